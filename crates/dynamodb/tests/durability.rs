//! Durability of the SQLite store: data across reopen, refusing damaged or foreign files, and
//! acknowledged writes surviving `kill -9`.

use std::path::PathBuf;

use serde_json::json;
use sluice_aws_env::AwsEnv;
use sluice_dynamodb::table_spec::ScalarType;
use sluice_dynamodb::{DynamoDb, EnsureOutcome, StoreError, StoreLocation, TableSpec};

use crate::{call, temp_dir};

#[tokio::test]
async fn data_survives_reopen() {
    let dir = temp_dir("reopen");
    {
        let db = DynamoDb::open(StoreLocation::Dir(dir.clone()), AwsEnv::default())
            .expect("open new dir");
        let create = TableSpec::on_demand("Items", "id", ScalarType::String);
        assert_eq!(
            db.ensure_table(&create).expect("ensure"),
            EnsureOutcome::Created
        );
        let (status, _) = call(
            &db,
            "PutItem",
            json!({"TableName": "Items", "Item": {"id": {"S": "k"}, "n": {"N": "42"}}}),
        )
        .await;
        assert_eq!(status, 200);
    }
    let db = DynamoDb::open(StoreLocation::Dir(dir.clone()), AwsEnv::default()).expect("reopen");
    let (status, body) = call(
        &db,
        "GetItem",
        json!({"TableName": "Items", "Key": {"id": {"S": "k"}}}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["Item"]["n"], json!({"N": "42"}));
    // Same schema again: unchanged; a different key schema is reported, not applied.
    let same = TableSpec::on_demand("Items", "id", ScalarType::String);
    assert_eq!(
        db.ensure_table(&same).expect("ensure"),
        EnsureOutcome::Unchanged
    );
    let changed = TableSpec::on_demand("Items", "pk", ScalarType::Number);
    assert!(matches!(
        db.ensure_table(&changed).expect("ensure"),
        EnsureOutcome::SchemaDiffers { .. }
    ));
    let (_, body) = call(
        &db,
        "GetItem",
        json!({"TableName": "Items", "Key": {"id": {"S": "k"}}}),
    )
    .await;
    assert_eq!(
        body["Item"]["n"],
        json!({"N": "42"}),
        "a differing template never drops data"
    );
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Settings DescribeTable reports (and DeleteTable honours) are stored with the table, not just
/// kept in memory.
#[tokio::test]
async fn table_settings_survive_reopen() {
    let dir = temp_dir("settings");
    {
        let db = DynamoDb::open(StoreLocation::Dir(dir.clone()), AwsEnv::default())
            .expect("open new dir");
        let (status, body) = call(
            &db,
            "CreateTable",
            json!({"TableName": "Kept", "BillingMode": "PAY_PER_REQUEST",
                   "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                   "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                   "DeletionProtectionEnabled": true, "TableClass": "STANDARD_INFREQUENT_ACCESS",
                   "SSESpecification": {"Enabled": true},
                   "OnDemandThroughput": {"MaxReadRequestUnits": 10, "MaxWriteRequestUnits": 5}}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let db = DynamoDb::open(StoreLocation::Dir(dir.clone()), AwsEnv::default()).expect("reopen");
    let (_, body) = call(&db, "DescribeTable", json!({"TableName": "Kept"})).await;
    let table = &body["Table"];
    assert_eq!(table["DeletionProtectionEnabled"], json!(true));
    assert_eq!(
        table["TableClassSummary"]["TableClass"],
        json!("STANDARD_INFREQUENT_ACCESS")
    );
    assert_eq!(table["SSEDescription"]["Status"], json!("ENABLED"));
    assert_eq!(
        table["OnDemandThroughput"],
        json!({"MaxReadRequestUnits": 10, "MaxWriteRequestUnits": 5})
    );
    let (status, body) = call(&db, "DeleteTable", json!({"TableName": "Kept"})).await;
    assert_eq!(status, 400, "{body}");
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Resource policies are stored with their table: a reopened store answers the same document and
/// RevisionId.
#[tokio::test]
async fn resource_policies_survive_reopen() {
    let dir = temp_dir("policies");
    let arn = AwsEnv::default().table_arn("Guarded");
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"dynamodb:GetItem","Resource":"*"}]}"#;
    let revision = {
        let db = DynamoDb::open(StoreLocation::Dir(dir.clone()), AwsEnv::default())
            .expect("open new dir");
        let (status, body) = call(
            &db,
            "CreateTable",
            json!({"TableName": "Guarded", "BillingMode": "PAY_PER_REQUEST",
                   "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                   "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = call(
            &db,
            "PutResourcePolicy",
            json!({"ResourceArn": arn, "Policy": policy}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        body["RevisionId"].clone()
    };
    let db = DynamoDb::open(StoreLocation::Dir(dir.clone()), AwsEnv::default()).expect("reopen");
    let (status, body) = call(&db, "GetResourcePolicy", json!({"ResourceArn": arn})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"Policy": policy, "RevisionId": revision}));
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A backup is durable: after a reopen it is listed and restores the items it copied.
#[tokio::test]
async fn backups_survive_reopen() {
    let dir = temp_dir("backups");
    let arn = {
        let db = DynamoDb::open(StoreLocation::Dir(dir.clone()), AwsEnv::default())
            .expect("open new dir");
        let (status, body) = call(
            &db,
            "CreateTable",
            json!({"TableName": "Saved", "BillingMode": "PAY_PER_REQUEST",
                   "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                   "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let item = json!({"TableName": "Saved", "Item": {"pk": {"S": "a"}, "v": {"N": "1"}}});
        assert_eq!(call(&db, "PutItem", item).await.0, 200);
        let (status, body) = call(
            &db,
            "CreateBackup",
            json!({"TableName": "Saved", "BackupName": "keep"}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        body["BackupDetails"]["BackupArn"].clone()
    };
    let db = DynamoDb::open(StoreLocation::Dir(dir.clone()), AwsEnv::default()).expect("reopen");
    let (status, body) = call(&db, "ListBackups", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["BackupSummaries"][0]["BackupArn"], arn);
    let (status, body) = call(
        &db,
        "RestoreTableFromBackup",
        json!({"TargetTableName": "Restored", "BackupArn": arn}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let key = json!({"TableName": "Restored", "Key": {"pk": {"S": "a"}}});
    let (_, body) = call(&db, "GetItem", key).await;
    assert_eq!(body["Item"]["v"], json!({"N": "1"}));
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A template's point-in-time recovery and resource policy reach the table it creates, and a
/// table created before the template declared them gains them.
#[tokio::test]
async fn a_template_tables_recovery_and_policy_are_set() {
    let db = DynamoDb::open(StoreLocation::InMemory, AwsEnv::default()).expect("store");
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"dynamodb:GetItem","Resource":"*"}]}"#;
    let plain = TableSpec::on_demand("Recovered", "pk", ScalarType::String);
    assert_eq!(
        db.ensure_table(&plain).expect("ensure"),
        EnsureOutcome::Created
    );
    let spec = TableSpec {
        point_in_time_recovery: Some(7),
        resource_policy: Some(policy.into()),
        ..plain
    };
    assert_eq!(
        db.ensure_table(&spec).expect("ensure"),
        EnsureOutcome::Unchanged
    );
    let (_, body) = call(
        &db,
        "DescribeContinuousBackups",
        json!({"TableName": "Recovered"}),
    )
    .await;
    let pitr = &body["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"];
    assert_eq!(
        pitr["PointInTimeRecoveryStatus"],
        json!("ENABLED"),
        "{body}"
    );
    assert_eq!(pitr["RecoveryPeriodInDays"], json!(7), "{body}");
    let arn = AwsEnv::default().table_arn("Recovered");
    let (status, body) = call(&db, "GetResourcePolicy", json!({"ResourceArn": arn})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Policy"], json!(policy));
}

/// A template's `DeletionProtectionEnabled`, `TableClass` and `SSESpecification` reach the table
/// it creates, as CloudFormation creates it.
#[tokio::test]
async fn a_template_tables_settings_are_the_created_tables() {
    let db = DynamoDb::open(StoreLocation::InMemory, AwsEnv::default()).expect("store");
    let spec = TableSpec {
        deletion_protection: true,
        table_class: Some("STANDARD_INFREQUENT_ACCESS".into()),
        sse_kms: Some(None),
        ..TableSpec::on_demand("Guarded", "pk", ScalarType::String)
    };
    assert_eq!(
        db.ensure_table(&spec).expect("ensure"),
        EnsureOutcome::Created
    );
    let (_, body) = call(&db, "DescribeTable", json!({"TableName": "Guarded"})).await;
    let table = &body["Table"];
    assert_eq!(table["DeletionProtectionEnabled"], json!(true), "{body}");
    assert_eq!(
        table["TableClassSummary"]["TableClass"],
        json!("STANDARD_INFREQUENT_ACCESS")
    );
    assert_eq!(table["SSEDescription"]["Status"], json!("ENABLED"));
    let (status, body) = call(&db, "DeleteTable", json!({"TableName": "Guarded"})).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("protected against deletion")),
        "{body}"
    );
}

#[test]
fn corrupted_or_foreign_file_is_a_clear_error() {
    let dir = temp_dir("corrupt");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("dynamodb.sqlite3"),
        b"this is not a database, just text that is long enough to matter....",
    )
    .expect("write");
    let err = DynamoDb::open(StoreLocation::Dir(dir.clone()), AwsEnv::default())
        .err()
        .expect("garbage file must be refused");
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("dynamodb.sqlite3"), "{err}");

    let dir2 = temp_dir("foreign");
    std::fs::create_dir_all(&dir2).expect("mkdir");
    let conn = rusqlite::Connection::open(dir2.join("dynamodb.sqlite3")).expect("sqlite");
    conn.execute_batch("CREATE TABLE other(x)").expect("create");
    drop(conn);
    let err = DynamoDb::open(StoreLocation::Dir(dir2.clone()), AwsEnv::default())
        .err()
        .expect("foreign db must be refused");
    assert!(matches!(err, StoreError::Foreign { .. }), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&dir2);
}

/// Set by `acknowledged_writes_survive_kill_9` when it re-runs this test binary as the writer to kill.
const CRASH_DIR_ENV: &str = "SLUICE_DDB_CRASH_CHILD_DIR";

/// The writer half of the crash test: a no-op unless started by the parent with `CRASH_DIR_ENV`.
#[tokio::test]
async fn crash_child() {
    let Some(dir) = std::env::var_os(CRASH_DIR_ENV) else {
        return;
    };
    let db = DynamoDb::open(StoreLocation::Dir(PathBuf::from(dir)), AwsEnv::default())
        .expect("child opens store");
    let create = TableSpec::on_demand("Burst", "id", ScalarType::Number);
    db.ensure_table(&create).expect("ensure table");
    for i in 0u64.. {
        let (status, _) =
            call(&db, "PutItem", json!({"TableName": "Burst", "Item": {"id": {"N": i.to_string()}, "pad": {"S": "x".repeat(512)}}})).await;
        assert_eq!(status, 200);
        // Printed only after the write was acknowledged.
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "ACK {i}");
        let _ = out.flush();
    }
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    use std::io::{BufRead, BufReader};
    let dir = temp_dir("crash");
    let mut child = std::process::Command::new(std::env::current_exe().expect("test binary path"))
        .args([
            "durability::crash_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CRASH_DIR_ENV, &dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn writer");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut acked: Vec<u64> = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("utf-8 line");
        if let Some(n) = line.strip_prefix("ACK ") {
            acked.push(n.parse().expect("number"));
            if acked.len() == 150 {
                break;
            }
        }
    }
    // SIGKILL mid-burst: no destructors, no flushes, no clean shutdown.
    child.kill().expect("kill -9 the writer");
    // Acks already in the pipe were acknowledged before the kill too.
    for line in lines {
        let Ok(line) = line else { break };
        if let Some(n) = line.strip_prefix("ACK ") {
            acked.push(n.parse().expect("number"));
        }
    }
    let _ = child.wait();
    assert!(
        acked.len() >= 150,
        "writer acknowledged only {} writes",
        acked.len()
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let db = DynamoDb::open(StoreLocation::Dir(dir.clone()), AwsEnv::default())
            .expect("reopen after kill -9");
        for i in &acked {
            let (status, body) = call(
                &db,
                "GetItem",
                json!({"TableName": "Burst", "Key": {"id": {"N": i.to_string()}}}),
            )
            .await;
            assert_eq!(status, 200);
            assert!(
                body.get("Item").is_some(),
                "acknowledged write {i} lost after kill -9"
            );
        }
    });
    let _ = std::fs::remove_dir_all(&dir);
}
