"""Control-plane settings and request-level validation as DynamoDB answers them: table settings that
round-trip through CreateTable/UpdateTable/DescribeTable, deletion protection, UpdateTable's capacity
rules, ItemCollectionMetrics, tagging another account's ARN, and request-model errors reported together.
One documented rule per check.

Run by tests/tests.rs with ENDPOINT=http://127.0.0.1:<port>; prints one line per check and exits non-zero
on the first failure.
"""

import json

from check_runner import S, check, dynamodb_client, rejects

client = dynamodb_client(validate=False)

HASH_ONLY = dict(
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
)


def create(name, **extra):
    kw = dict(HASH_ONLY)
    kw.update(extra)
    if "ProvisionedThroughput" not in kw:
        kw.setdefault("BillingMode", "PAY_PER_REQUEST")
    client.create_table(TableName=name, **kw)
    return client.describe_table(TableName=name)["Table"]


# ---- CreateTable / UpdateTable settings ---------------------------------------------------------------

@check("CreateTable settings round-trip: DeletionProtectionEnabled, TableClass, SSESpecification, OnDemandThroughput")
def _():
    t = create("SetAll", DeletionProtectionEnabled=True, TableClass="STANDARD_INFREQUENT_ACCESS",
               SSESpecification={"Enabled": True},
               OnDemandThroughput={"MaxReadRequestUnits": 10, "MaxWriteRequestUnits": 5})
    assert t["DeletionProtectionEnabled"] is True, t
    assert t["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS", t
    sse = t["SSEDescription"]
    assert sse["Status"] == "ENABLED" and sse["SSEType"] == "KMS", sse
    assert sse["KMSMasterKeyArn"].startswith("arn:aws:kms:us-east-1:"), sse
    assert t["OnDemandThroughput"] == {"MaxReadRequestUnits": 10, "MaxWriteRequestUnits": 5}, t


@check("omitted settings: protection off, no SSEDescription (AWS-owned key), class STANDARD or absent")
def _():
    t = create("SetNone")
    assert t["DeletionProtectionEnabled"] is False, t
    assert "SSEDescription" not in t, t
    assert t.get("TableClassSummary", {}).get("TableClass", "STANDARD") == "STANDARD", t
    t = create("SetOwnedKey", SSESpecification={"Enabled": False})
    assert "SSEDescription" not in t, t


@check("TableClass outside [STANDARD, STANDARD_INFREQUENT_ACCESS] is a request-model error")
def _():
    rejects(["Value 'COLD' at 'tableClass' failed to satisfy constraint",
             "Member must satisfy enum value set: [STANDARD, STANDARD_INFREQUENT_ACCESS]"],
            client.create_table, TableName="BadClass", BillingMode="PAY_PER_REQUEST", TableClass="COLD", **HASH_ONLY)


@check("UpdateTable changes deletion protection, table class and on-demand limits")
def _():
    create("SetUpd", OnDemandThroughput={"MaxReadRequestUnits": 10, "MaxWriteRequestUnits": 5})
    updated = client.update_table(TableName="SetUpd", DeletionProtectionEnabled=True)["TableDescription"]
    # AWS (recorded): UpdateTable answers UPDATING; DescribeTable then says ACTIVE.
    assert updated["TableStatus"] == "UPDATING", updated
    client.update_table(TableName="SetUpd", TableClass="STANDARD_INFREQUENT_ACCESS")
    client.update_table(TableName="SetUpd", OnDemandThroughput={"MaxReadRequestUnits": 20, "MaxWriteRequestUnits": 15})
    t = client.describe_table(TableName="SetUpd")["Table"]
    assert t["DeletionProtectionEnabled"] is True, t
    assert t["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS", t
    assert t["OnDemandThroughput"] == {"MaxReadRequestUnits": 20, "MaxWriteRequestUnits": 15}, t
    # A member left out keeps its value.
    client.update_table(TableName="SetUpd", OnDemandThroughput={"MaxReadRequestUnits": 30})
    t = client.describe_table(TableName="SetUpd")["Table"]
    assert t["OnDemandThroughput"] == {"MaxReadRequestUnits": 30, "MaxWriteRequestUnits": 15}, t


@check("DeleteTable is refused while deletion protection is enabled, allowed once it is disabled")
def _():
    create("Guarded", DeletionProtectionEnabled=True)
    rejects("Resource cannot be deleted as it is currently protected against deletion. "
            "Disable deletion protection first.", client.delete_table, TableName="Guarded")
    assert "Guarded" in client.list_tables()["TableNames"]
    client.update_table(TableName="Guarded", DeletionProtectionEnabled=False)
    client.delete_table(TableName="Guarded")
    assert "Guarded" not in client.list_tables()["TableNames"]


# ---- UpdateTable capacity rules -----------------------------------------------------------------------

@check("UpdateTable refuses a provisioned throughput equal to the current one")
def _():
    create("Prov", ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    rejects(["The provisioned throughput for the table will not change",
             "Current ReadCapacityUnits provisioned for the table: 5. Requested ReadCapacityUnits: 5."],
            client.update_table, TableName="Prov", BillingMode="PROVISIONED",
            ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    client.update_table(TableName="Prov", ProvisionedThroughput={"ReadCapacityUnits": 6, "WriteCapacityUnits": 5})
    t = client.describe_table(TableName="Prov")["Table"]["ProvisionedThroughput"]
    assert (t["ReadCapacityUnits"], t["WriteCapacityUnits"]) == (6, 5), t


@check("UpdateTable throughput units must be at least 1 (request model, before the table is read)")
def _():
    rejects("1 validation error detected: Value '0' at 'provisionedThroughput.readCapacityUnits' failed to "
            "satisfy constraint: Member must have value greater than or equal to 1",
            client.update_table, TableName="Prov", ProvisionedThroughput={"ReadCapacityUnits": 0, "WriteCapacityUnits": 5})
    rejects(["2 validation errors detected", "at 'provisionedThroughput.writeCapacityUnits'"],
            client.update_table, TableName="NoSuchTable",
            ProvisionedThroughput={"ReadCapacityUnits": -1, "WriteCapacityUnits": 0})


@check("UpdateTable to PAY_PER_REQUEST may not carry ProvisionedThroughput")
def _():
    rejects("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
            client.update_table, TableName="Prov", BillingMode="PAY_PER_REQUEST",
            ProvisionedThroughput={"ReadCapacityUnits": 7, "WriteCapacityUnits": 7})
    t = client.describe_table(TableName="Prov")["Table"]
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 6, t


# ---- ReturnItemCollectionMetrics ----------------------------------------------------------------------

client.create_table(
    TableName="Coll",
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                          {"AttributeName": "sk", "AttributeType": "S"},
                          {"AttributeName": "l", "AttributeType": "S"}],
    LocalSecondaryIndexes=[{"IndexName": "byL",
                            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                          {"AttributeName": "l", "KeyType": "RANGE"}],
                            "Projection": {"ProjectionType": "ALL"}}],
    BillingMode="PAY_PER_REQUEST",
)


def assert_metrics(resp, pk):
    m = resp["ItemCollectionMetrics"]
    assert m["ItemCollectionKey"] == {"pk": S(pk)}, m
    lo, hi = m["SizeEstimateRangeGB"]
    assert lo == 0.0 and hi == 1.0, m


@check("ReturnItemCollectionMetrics SIZE on a table with an LSI: the partition key and a GB range")
def _():
    item = {"pk": S("c1"), "sk": S("a"), "l": S("x"), "data": S("hello")}
    assert_metrics(client.put_item(TableName="Coll", Item=item, ReturnItemCollectionMetrics="SIZE"), "c1")
    assert_metrics(client.update_item(TableName="Coll", Key={"pk": S("c1"), "sk": S("a")},
                                      UpdateExpression="SET d = :v", ExpressionAttributeValues={":v": S("v")},
                                      ReturnItemCollectionMetrics="SIZE"), "c1")
    assert_metrics(client.delete_item(TableName="Coll", Key={"pk": S("c1"), "sk": S("a")},
                                      ReturnItemCollectionMetrics="SIZE"), "c1")
    r = client.put_item(TableName="Coll", Item=item, ReturnItemCollectionMetrics="NONE")
    assert "ItemCollectionMetrics" not in r, r


@check("ItemCollectionMetrics is not returned for a table without local secondary indexes")
def _():
    r = client.put_item(TableName="SetNone", Item={"pk": S("a")}, ReturnItemCollectionMetrics="SIZE")
    assert "ItemCollectionMetrics" not in r, r


# ---- Tags on ARNs -------------------------------------------------------------------------------------

@check("ListTagsOfResource on another account's table ARN is AccessDeniedException")
def _():
    rejects(["is not authorized to perform: dynamodb:ListTagsOfResource",
             "arn:aws:dynamodb:us-east-1:000000000000:table/nonexistent_table_xyz"],
            client.list_tags_of_resource, code="AccessDeniedException",
            ResourceArn="arn:aws:dynamodb:us-east-1:000000000000:table/nonexistent_table_xyz")
    own = client.describe_table(TableName="SetNone")["Table"]["TableArn"]
    assert client.list_tags_of_resource(ResourceArn=own)["Tags"] == []
    rejects("Invalid TableArn", client.list_tags_of_resource, ResourceArn="not-a-valid-arn")


@check("TagResource refuses an empty list, a 51st tag, characters outside AWS's set, aws: keys and index ARNs")
def _():
    t = create("TagRules", GlobalSecondaryIndexes=[{"IndexName": "gsi",
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}])
    arn = t["TableArn"]
    rejects("Atleast one Tag needs to be provided as Input.", client.tag_resource, ResourceArn=arn, Tags=[])
    rejects("Atleast one Tag Key needs to be provided as Input.", client.untag_resource, ResourceArn=arn, TagKeys=[])
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": str(i), "Value": str(i)} for i in range(30)])
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": str(i), "Value": str(i)} for i in range(20, 50)])
    rejects("Number of Tags exceed the current limit for the provided ResourceArn",
            client.tag_resource, ResourceArn=arn, Tags=[{"Key": "50", "Value": "x"}])
    assert len(client.list_tags_of_resource(ResourceArn=arn)["Tags"]) == 50
    client.untag_resource(ResourceArn=arn, TagKeys=[str(i) for i in range(50)])
    for bad in ["hi!", "d%g", '"hello"', "a,b", "\U0001f511"]:
        rejects(f"The Tag Key provided is invalid, Key: {bad}",
                client.tag_resource, ResourceArn=arn, Tags=[{"Key": bad, "Value": "dog"}])
        rejects(f"The Tag Value provided is invalid, Value: {bad}",
                client.tag_resource, ResourceArn=arn, Tags=[{"Key": "dog", "Value": bad}])
    rejects("Tag Key cannot be prefixed with aws:, Key: aws:x",
            client.tag_resource, ResourceArn=arn, Tags=[{"Key": "aws:x", "Value": "v"}])
    rejects("Duplicate Tag Keys provided as input: Duplicate Tag Key found d",
            client.tag_resource, ResourceArn=arn, Tags=[{"Key": "d", "Value": "1"}, {"Key": "d", "Value": "2"}])
    # Letters of any script, spaces and + - = . _ : / @ are allowed.
    ok = [{"Key": "ключ 表", "Value": "a+b-c=d.e_f:g/h@i"}, {"Key": " ", "Value": ""}]
    client.tag_resource(ResourceArn=arn, Tags=ok)
    assert sorted(client.list_tags_of_resource(ResourceArn=arn)["Tags"], key=str) == sorted(ok, key=str)
    for index_arn in [t["GlobalSecondaryIndexes"][0]["IndexArn"]]:
        for call, kw in [(client.list_tags_of_resource, {}), (client.tag_resource, {"Tags": ok}),
                         (client.untag_resource, {"TagKeys": ["x"]})]:
            rejects(f"Invalid TableArn: Invalid ResourceArn provided as input {index_arn}",
                    call, ResourceArn=index_arn, **kw)
    rejects("ARNs must start with 'arn:'", client.tag_resource, ResourceArn="I_do_not_exist",
            Tags=[{"Key": "k", "Value": "v"}])
    rejects("Number of Tags exceed the current limit for the provided ResourceArn",
            client.create_table, TableName="TooManyTags", BillingMode="PAY_PER_REQUEST",
            Tags=[{"Key": str(i), "Value": str(i)} for i in range(51)], **HASH_ONLY)
    rejects("Requested resource not found", client.describe_table, code="ResourceNotFoundException",
            TableName="TooManyTags")


@check("TagResource and UntagResource answer 200 with an empty body")
def _():
    import urllib.request, os
    arn = client.describe_table(TableName="SetNone")["Table"]["TableArn"]
    for op, body in [("TagResource", {"ResourceArn": arn, "Tags": [{"Key": "k", "Value": "v"}]}),
                     ("UntagResource", {"ResourceArn": arn, "TagKeys": ["k"]})]:
        req = urllib.request.Request(os.environ["ENDPOINT"], data=json.dumps(body).encode(), headers={
            "X-Amz-Target": f"DynamoDB_20120810.{op}", "Content-Type": "application/x-amz-json-1.0"})
        with urllib.request.urlopen(req) as r:
            assert r.status == 200 and r.read() == b"", op


@check("DescribeEndpoints names the address the client used, cached for 1440 minutes")
def _():
    from urllib.parse import urlparse
    import os
    got = client.describe_endpoints()["Endpoints"]
    assert got == [{"Address": urlparse(os.environ["ENDPOINT"]).netloc, "CachePeriodInMinutes": 1440}], got


@check("DeleteTable's description leaves out the schema, the indexes and the creation time")
def _():
    t = create("DelDesc", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
               AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"},
                                     {"AttributeName": "x", "AttributeType": "S"}],
               GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}],
                                        "Projection": {"ProjectionType": "ALL"}}],
               LocalSecondaryIndexes=[{"IndexName": "lsi", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                       {"AttributeName": "x", "KeyType": "RANGE"}],
                                       "Projection": {"ProjectionType": "ALL"}}])
    got = client.delete_table(TableName="DelDesc")["TableDescription"]
    for member in ["CreationDateTime", "KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes",
                   "LocalSecondaryIndexes"]:
        assert member in t and member not in got, (member, got)
    assert got["TableName"] == "DelDesc" and got["TableStatus"] == "DELETING", got
    assert got["TableId"] == t["TableId"] and got["TableArn"] == t["TableArn"], got
    assert got["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST", got
    assert got["ProvisionedThroughput"]["NumberOfDecreasesToday"] == 0, got
    assert "ItemCount" in got and "TableSizeBytes" in got, got


@check("CreateTable: a duplicate attribute definition is named; a given ProvisionedThroughput needs both units")
def _():
    # DynamoDB's words (scylladb#13870); DynamoDB Local's differ ("Cannot have two attributes with the same name").
    rejects("Attribute Name is duplicated: xyz", client.create_table, TableName="DupDef", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "xyz", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "xyz", "AttributeType": "S"},
                                  {"AttributeName": "xyz", "AttributeType": "N"}])
    for given, missing in [({"WriteCapacityUnits": 1}, "readCapacityUnits"),
                           ({"ReadCapacityUnits": 5}, "writeCapacityUnits")]:
        rejects(f"1 validation error detected: Value null at 'provisionedThroughput.{missing}' failed to satisfy "
                "constraint: Member must not be null",
                client.create_table, TableName="HalfUnits", BillingMode="PROVISIONED",
                ProvisionedThroughput=given, **HASH_ONLY)


# ---- Time to live ---------------------------------------------------------------------------------------

@check("UpdateTimeToLive: disabling or re-enabling must name the attribute TTL is on")
def _():
    create("TtlRules")
    rejects("TimeToLive is already disabled", client.update_time_to_live, TableName="TtlRules",
            TimeToLiveSpecification={"AttributeName": "expiration", "Enabled": False})
    client.update_time_to_live(TableName="TtlRules",
                               TimeToLiveSpecification={"AttributeName": "expiration", "Enabled": True})
    for enabled in [False, True]:
        rejects("TimeToLive is active on a different AttributeName: current AttributeName is expiration",
                client.update_time_to_live, TableName="TtlRules",
                TimeToLiveSpecification={"AttributeName": "dog", "Enabled": enabled})
    rejects("TimeToLive is already enabled", client.update_time_to_live, TableName="TtlRules",
            TimeToLiveSpecification={"AttributeName": "expiration", "Enabled": True})
    assert client.describe_time_to_live(TableName="TtlRules")["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "expiration"}
    client.update_time_to_live(TableName="TtlRules",
                               TimeToLiveSpecification={"AttributeName": "expiration", "Enabled": False})
    assert client.describe_time_to_live(TableName="TtlRules")["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "DISABLED"}


# ---- CreateTable request model ------------------------------------------------------------------------

@check("CreateTable: one attribute twice in the KeySchema is an invalid KeySchema")
def _():
    rejects("Invalid KeySchema: Some index key attribute have no definition",
            client.create_table, TableName="DupKey", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "pk", "KeyType": "RANGE"}])


@check("CreateTable: an attribute definition no key uses is refused; with an index both sets are listed")
def _():
    unused = {"AttributeName": "note", "AttributeType": "N"}
    rejects("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match "
            "number of attributes defined in AttributeDefinitions",
            client.create_table, TableName="UnusedDef", BillingMode="PAY_PER_REQUEST",
            KeySchema=HASH_ONLY["KeySchema"], AttributeDefinitions=HASH_ONLY["AttributeDefinitions"] + [unused])
    rejects("One or more parameter values were invalid: Some AttributeDefinitions are not used. "
            "AttributeDefinitions: [g, note, pk], keys used: [g, pk]",
            client.create_table, TableName="UnusedDefGsi", BillingMode="PAY_PER_REQUEST",
            KeySchema=HASH_ONLY["KeySchema"],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, unused,
                                  {"AttributeName": "g", "AttributeType": "S"}],
            GlobalSecondaryIndexes=[{"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                     "Projection": {"ProjectionType": "ALL"}}])


@check("CreateTable: KeyType outside [HASH, RANGE] is a request-model error naming its position")
def _():
    rejects("1 validation error detected: Value 'INVALID' at 'keySchema.1.member.keyType' failed to satisfy "
            "constraint: Member must satisfy enum value set: [HASH, RANGE]",
            client.create_table, TableName="BadKeyType", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "INVALID"}])


@check("CreateTable: an index's KeySchema errors name the index's member path")
def _():
    rejects("Value 'SIDEWAYS' at 'globalSecondaryIndexes.1.member.keySchema.1.member.keyType' failed to satisfy "
            "constraint: Member must satisfy enum value set: [HASH, RANGE]",
            client.create_table, TableName="BadGsiKey", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "g", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[{"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "SIDEWAYS"}],
                                     "Projection": {"ProjectionType": "ALL"}}])


@check("CreateTable: a KeySchema over two elements echoes the elements in the length error")
def _():
    rejects("1 validation error detected: Value '[KeySchemaElement(attributeName=pk, keyType=HASH), "
            "KeySchemaElement(attributeName=sk, keyType=RANGE), KeySchemaElement(attributeName=x, keyType=RANGE)]' "
            "at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2",
            client.create_table, TableName="ThreeKeys", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "x")],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"},
                       {"AttributeName": "x", "KeyType": "RANGE"}])


@check("CreateTable without TableName: the parameter is required")
def _():
    rejects("The parameter 'TableName' is required but was not present in the request",
            client.create_table, BillingMode="PAY_PER_REQUEST", **HASH_ONLY)


# ---- Item operations' request model -------------------------------------------------------------------

@check("PutItem and DeleteItem report every invalid enum member together")
def _():
    msg = rejects(["3 validation errors detected:", "at 'returnConsumedCapacity'",
                   "at 'returnItemCollectionMetrics'", "at 'returnValues'"],
                  client.put_item, TableName="SetNone", Item={"pk": S("a")}, ReturnConsumedCapacity="INVALID",
                  ReturnItemCollectionMetrics="INVALID", ReturnValues="INVALID")
    assert msg.count("; ") == 2, msg
    rejects(["2 validation errors detected:", "at 'returnConsumedCapacity'",
             "Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]"],
            client.delete_item, TableName="SetNone", Key={"pk": S("a")}, ReturnValues="INVALID",
            ReturnConsumedCapacity="INVALID")
    # A valid enum value PutItem does not support is a separate, later rule.
    rejects("ReturnValues can only be ALL_OLD or NONE",
            client.put_item, TableName="SetNone", Item={"pk": S("a")}, ReturnValues="ALL_NEW")


@check("UpdateItem reports only the first invalid enum member, ReturnValues first")
def _():
    msg = rejects(["1 validation error detected:", "at 'returnValues'"],
                  client.update_item, TableName="SetNone", Key={"pk": S("a")}, ReturnValues="INVALID",
                  ReturnConsumedCapacity="INVALID")
    assert "returnConsumedCapacity" not in msg, msg


@check("the table name is checked first and alone; an empty one fails the 1-character minimum")
def _():
    msg = rejects(["1 validation error detected:", "at 'tableName'",
                   "Member must have length greater than or equal to 1"],
                  client.put_item, TableName="", Item={"pk": S("a")}, ReturnValues="INVALID")
    assert "returnValues" not in msg, msg


@check("Query and Scan check Select, ReturnConsumedCapacity, Limit and Segment together")
def _():
    rejects(["2 validation errors detected:", "Value 'INVALID' at 'select'",
             "Value 'INVALID' at 'returnConsumedCapacity'"],
            client.query, TableName="SetNone", KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": S("a")}, Select="INVALID", ReturnConsumedCapacity="INVALID")
    rejects("1 validation error detected: Value '-1' at 'segment' failed to satisfy constraint: "
            "Member must have value greater than or equal to 0",
            client.scan, TableName="SetNone", Segment=-1, TotalSegments=4)
    rejects("Value '0' at 'totalSegments' failed to satisfy constraint: Member must have value greater than or equal to 1",
            client.scan, TableName="SetNone", Segment=0, TotalSegments=0)
    # Recorded: Query words Limit in the newer style (no echo, the request's spelling), Scan in the older.
    rejects("1 validation error detected: Value at 'Limit' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1",
            client.query, TableName="SetNone", KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": S("a")}, Limit=0)
    rejects("1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1",
            client.scan, TableName="SetNone", Limit=0)


print("all checks passed")
