"""On-demand backups, restores and point-in-time recovery settings as DynamoDB answers them: the
answer shapes of botocore's model, what a backup records and a restore keeps, and the errors, from
ack-api-quirks' recordings against DynamoDB (backup.md, table-restore.md, DDB-TABLE-098/100).
One documented rule per check.

Run by tests/tests.rs with ENDPOINT=http://127.0.0.1:<port>; prints one line per check and exits non-zero
on the first failure.
"""

import datetime

from check_runner import S, check, dynamodb_client, error_of, rejects

client = dynamodb_client()

client.create_table(
    TableName="Orders",
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                          {"AttributeName": "sk", "AttributeType": "S"},
                          {"AttributeName": "status", "AttributeType": "S"}],
    GlobalSecondaryIndexes=[{"IndexName": "byStatus",
                             "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
                             "Projection": {"ProjectionType": "ALL"}}],
    BillingMode="PAY_PER_REQUEST",
    StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    SSESpecification={"Enabled": True},
    DeletionProtectionEnabled=True,
    Tags=[{"Key": "team", "Value": "a"}],
)
client.update_time_to_live(TableName="Orders",
                           TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
for i in range(3):
    client.put_item(TableName="Orders", Item={"pk": S(f"o{i}"), "sk": S("x"), "status": S("open")})
ORDERS = client.describe_table(TableName="Orders")["Table"]

BACKUP = client.create_backup(TableName="Orders", BackupName="nightly")["BackupDetails"]


@check("CreateBackup answers BackupDetails, CREATING, USER, with an ARN under the table's")
def _():
    assert set(BACKUP) == {"BackupArn", "BackupName", "BackupSizeBytes", "BackupStatus", "BackupType",
                           "BackupCreationDateTime"}, BACKUP
    assert BACKUP["BackupStatus"] == "CREATING" and BACKUP["BackupType"] == "USER", BACKUP
    assert BACKUP["BackupArn"].startswith(ORDERS["TableArn"] + "/backup/"), BACKUP
    assert BACKUP["BackupSizeBytes"] > 0, BACKUP


@check("DescribeBackup: AVAILABLE, the source table and only its stream, TTL, SSE and indexes")
def _():
    d = client.describe_backup(BackupArn=BACKUP["BackupArn"])["BackupDescription"]
    assert d["BackupDetails"]["BackupStatus"] == "AVAILABLE", d
    assert d["BackupDetails"]["BackupCreationDateTime"] == BACKUP["BackupCreationDateTime"], d
    t = d["SourceTableDetails"]
    assert t["TableName"] == "Orders" and t["TableId"] == ORDERS["TableId"], t
    assert t["ItemCount"] == 3 and t["BillingMode"] == "PAY_PER_REQUEST", t
    assert t["ProvisionedThroughput"] == {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0}, t
    f = d["SourceTableFeatureDetails"]
    assert set(f) == {"GlobalSecondaryIndexes", "StreamDescription", "TimeToLiveDescription",
                      "SSEDescription"}, f
    assert f["GlobalSecondaryIndexes"][0]["IndexName"] == "byStatus", f
    assert f["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}, f


@check("a backup keeps the items as they were when it was made")
def _():
    client.put_item(TableName="Orders", Item={"pk": S("late"), "sk": S("x"), "status": S("open")})
    client.delete_item(TableName="Orders", Key={"pk": S("o0"), "sk": S("x")})
    t = client.restore_table_from_backup(TargetTableName="OrdersCopy",
                                         BackupArn=BACKUP["BackupArn"])["TableDescription"]
    assert t["TableStatus"] == "CREATING", t
    assert t["RestoreSummary"]["SourceBackupArn"] == BACKUP["BackupArn"], t
    assert t["RestoreSummary"]["SourceTableArn"] == ORDERS["TableArn"], t
    keys = sorted(i["pk"]["S"] for i in client.scan(TableName="OrdersCopy")["Items"])
    assert keys == ["o0", "o1", "o2"], keys
    q = client.query(TableName="OrdersCopy", IndexName="byStatus",
                     KeyConditionExpression="#s = :s", ExpressionAttributeNames={"#s": "status"},
                     ExpressionAttributeValues={":s": S("open")})
    assert q["Count"] == 3, q


@check("a restored table keeps keys, indexes, billing and encryption, not stream, TTL, tags, protection")
def _():
    t = client.describe_table(TableName="OrdersCopy")["Table"]
    assert t["TableStatus"] == "ACTIVE" and "RestoreSummary" not in t, t
    assert t["KeySchema"] == ORDERS["KeySchema"], t
    assert t["GlobalSecondaryIndexes"][0]["IndexName"] == "byStatus", t
    assert t["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST", t
    assert t["SSEDescription"]["KMSMasterKeyArn"] == ORDERS["SSEDescription"]["KMSMasterKeyArn"], t
    assert "StreamSpecification" not in t and t["DeletionProtectionEnabled"] is False, t
    ttl = client.describe_time_to_live(TableName="OrdersCopy")["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] == "DISABLED", ttl
    assert client.list_tags_of_resource(ResourceArn=t["TableArn"])["Tags"] == []


@check("restore overrides: billing mode and an empty index list")
def _():
    t = client.restore_table_from_backup(
        TargetTableName="OrdersLean", BackupArn=BACKUP["BackupArn"], BillingModeOverride="PROVISIONED",
        ProvisionedThroughputOverride={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4},
        GlobalSecondaryIndexOverride=[])["TableDescription"]
    assert "GlobalSecondaryIndexes" not in t, t
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 3, t
    assert [a["AttributeName"] for a in t["AttributeDefinitions"]] == ["pk", "sk"], t


@check("restore errors: an existing target is TableAlreadyExistsException, an unknown backup BackupNotFoundException")
def _():
    rejects("Table already exists: OrdersCopy", client.restore_table_from_backup,
            code="TableAlreadyExistsException", TargetTableName="OrdersCopy", BackupArn=BACKUP["BackupArn"])
    missing = ORDERS["TableArn"] + "/backup/01700000000000-00000000"
    code, _, _ = error_of(client.restore_table_from_backup, TargetTableName="Nope", BackupArn=missing)
    assert code == "BackupNotFoundException", code
    assert error_of(client.describe_backup, BackupArn=missing)[0] == "BackupNotFoundException"
    rejects("Invalid Backup ARN", client.describe_backup, BackupArn=ORDERS["TableArn"] + "/stream/x/y/z")


@check("CreateBackup of a missing table is TableNotFoundException 'Table not found: <name>'")
def _():
    rejects("Table not found: Missing", client.create_backup, code="TableNotFoundException",
            TableName="Missing", BackupName="bak")


@check("ListBackups: USER by default, filters by table and time [lower, upper), pages by ARN")
def _():
    second = client.create_backup(TableName="Orders", BackupName="nightly")["BackupDetails"]
    client.create_backup(TableName="OrdersCopy", BackupName="copy")
    listed = client.list_backups(TableName="Orders")["BackupSummaries"]
    assert [b["BackupArn"] for b in listed] == [BACKUP["BackupArn"], second["BackupArn"]], listed
    assert listed[0]["TableId"] == ORDERS["TableId"] and listed[0]["BackupStatus"] == "AVAILABLE", listed
    assert len(client.list_backups()["BackupSummaries"]) == 3
    assert client.list_backups(BackupType="SYSTEM")["BackupSummaries"] == []
    assert client.list_backups(TableName="Missing")["BackupSummaries"] == []
    page = client.list_backups(Limit=1)
    assert len(page["BackupSummaries"]) == 1 and page["LastEvaluatedBackupArn"] == BACKUP["BackupArn"], page
    rest = client.list_backups(ExclusiveStartBackupArn=page["LastEvaluatedBackupArn"])
    assert len(rest["BackupSummaries"]) == 2 and "LastEvaluatedBackupArn" not in rest, rest
    # boto3 sends these bounds as whole epoch seconds.
    second_start = BACKUP["BackupCreationDateTime"].replace(microsecond=0)
    since = client.list_backups(TableName="Orders", TimeRangeLowerBound=second_start)["BackupSummaries"]
    assert len(since) == 2, since
    before = client.list_backups(TableName="Orders", TimeRangeUpperBound=second_start)["BackupSummaries"]
    assert before == [], before
    later = second_start + datetime.timedelta(days=1)
    assert len(client.list_backups(TableName="Orders", TimeRangeUpperBound=later)["BackupSummaries"]) == 2
    assert client.list_backups(TableName="Orders", TimeRangeLowerBound=later)["BackupSummaries"] == []


@check("DeleteBackup answers DELETED, and the backup is gone; backups outlive their table")
def _():
    client.update_table(TableName="Orders", DeletionProtectionEnabled=False)
    client.delete_table(TableName="Orders")
    assert client.describe_backup(BackupArn=BACKUP["BackupArn"])["BackupDescription"]
    d = client.delete_backup(BackupArn=BACKUP["BackupArn"])["BackupDescription"]
    assert d["BackupDetails"]["BackupStatus"] == "DELETED", d
    assert error_of(client.describe_backup, BackupArn=BACKUP["BackupArn"])[0] == "BackupNotFoundException"
    assert len(client.list_backups(TableName="Orders")["BackupSummaries"]) == 1


@check("continuous backups: ENABLED with recovery DISABLED until UpdateContinuousBackups turns it on")
def _():
    d = client.describe_continuous_backups(TableName="OrdersCopy")["ContinuousBackupsDescription"]
    assert d == {"ContinuousBackupsStatus": "ENABLED",
                 "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"}}, d
    on = client.update_continuous_backups(
        TableName="OrdersCopy", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    p = on["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert p["PointInTimeRecoveryStatus"] == "ENABLED" and p["RecoveryPeriodInDays"] == 35, p
    assert isinstance(p["LatestRestorableDateTime"], datetime.datetime), p
    p = client.describe_continuous_backups(TableName="OrdersCopy")["ContinuousBackupsDescription"]
    assert p["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED", p
    rejects("Table not found: Missing", client.describe_continuous_backups, code="TableNotFoundException",
            TableName="Missing")
    rejects("Table not found: Missing", client.update_continuous_backups, code="TableNotFoundException",
            TableName="Missing", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})


@check("RestoreTableToPointInTime: the latest time restores the table as it is; recovery off or another time is refused")
def _():
    rejects("Point in time recovery is not enabled for table 'OrdersLean'",
            client.restore_table_to_point_in_time, code="PointInTimeRecoveryUnavailableException",
            SourceTableName="OrdersLean", TargetTableName="Xone", UseLatestRestorableTime=True)
    rejects("Invalid Request: Either one of RestoreDateTime or UseLatestRestorableTime must be specified",
            client.restore_table_to_point_in_time, SourceTableName="OrdersCopy", TargetTableName="Xone")
    hour_ago = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    rejects("must be within EarliestRestorableDateTime", client.restore_table_to_point_in_time,
            code="InvalidRestoreTimeException", SourceTableName="OrdersCopy", TargetTableName="Xone",
            RestoreDateTime=hour_ago)
    t = client.restore_table_to_point_in_time(SourceTableName="OrdersCopy", TargetTableName="OrdersPitr",
                                              UseLatestRestorableTime=True)["TableDescription"]
    assert t["RestoreSummary"]["SourceTableArn"].endswith(":table/OrdersCopy"), t
    assert client.scan(TableName="OrdersPitr")["Count"] == 3
    rejects("Table not found: Missing", client.restore_table_to_point_in_time, code="TableNotFoundException",
            SourceTableName="Missing", TargetTableName="Xone", UseLatestRestorableTime=True)


print("all checks passed")
