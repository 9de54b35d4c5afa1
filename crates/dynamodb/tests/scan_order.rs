//! Scan order: DynamoDB returns a Scan in partition order (a hash of the partition key), not key
//! order; pagination and parallel segments follow that order; older files are upgraded to it.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use sluice_aws_env::AwsEnv;
use sluice_dynamodb::{DynamoDb, StoreLocation};

use crate::{call, temp_dir};

/// The `id` (S) and `n` (N, or "" when absent) of every item of a response.
fn keys(body: &Value) -> Vec<(String, String)> {
    body["Items"]
        .as_array()
        .expect("Items")
        .iter()
        .map(|i| {
            (
                i["id"]["S"].as_str().unwrap_or("").to_string(),
                i["n"]["N"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// Every page of a Scan (with `Limit` and the ExclusiveStartKey of the page before), in order.
async fn scan_all(db: &DynamoDb, mut req: Value) -> Vec<(String, String)> {
    let mut all = Vec::new();
    for _ in 0..1000 {
        let (status, body) = call(db, "Scan", req.clone()).await;
        assert_eq!(status, 200, "{body}");
        all.extend(keys(&body));
        match body.get("LastEvaluatedKey") {
            Some(k) => req["ExclusiveStartKey"] = k.clone(),
            None => return all,
        }
    }
    panic!("pagination does not end");
}

async fn create(db: &DynamoDb, name: &str, range: bool) {
    let mut schema = vec![json!({"AttributeName": "id", "KeyType": "HASH"})];
    let mut attrs = vec![json!({"AttributeName": "id", "AttributeType": "S"})];
    if range {
        schema.push(json!({"AttributeName": "n", "KeyType": "RANGE"}));
        attrs.push(json!({"AttributeName": "n", "AttributeType": "N"}));
    }
    let req = json!({"TableName": name, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": schema, "AttributeDefinitions": attrs});
    let (status, body) = call(db, "CreateTable", req).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn scan_is_in_partition_order_with_pages_and_segments_consistent() {
    let db = DynamoDb::open(StoreLocation::InMemory, AwsEnv::default()).expect("open");
    create(&db, "Flat", false).await;
    let ids: Vec<String> = (0..40).map(|i| format!("item-{i:02}")).collect();
    for id in &ids {
        let put = json!({"TableName": "Flat", "Item": {"id": {"S": id}}});
        assert_eq!(call(&db, "PutItem", put).await.0, 200);
    }
    let (_, whole) = call(&db, "Scan", json!({"TableName": "Flat"})).await;
    let order: Vec<String> = keys(&whole).into_iter().map(|(id, _)| id).collect();
    // AWS: not key order, so code that relies on sorted scans fails here as it does there.
    assert_eq!(order.len(), 40);
    assert_ne!(order, ids, "a Scan came back in key order");
    assert_eq!(order.iter().collect::<BTreeSet<_>>().len(), 40);
    // The order is the table's, not the request's: the same on every call and on every page.
    let (_, again) = call(&db, "Scan", json!({"TableName": "Flat"})).await;
    assert_eq!(keys(&again), keys(&whole));
    let paged = scan_all(&db, json!({"TableName": "Flat", "Limit": 7})).await;
    assert_eq!(paged, keys(&whole), "pages walk the same order");
    // Parallel scan: each item in exactly one segment, each segment a run of the scan order.
    let mut joined = Vec::new();
    for segment in 0..4 {
        let seg = scan_all(
            &db,
            json!({"TableName": "Flat", "Limit": 3, "Segment": segment, "TotalSegments": 4}),
        )
        .await;
        joined.extend(seg);
    }
    assert_eq!(
        joined,
        keys(&whole),
        "segments, in turn, are the scan order"
    );

    // With a sort key: each partition is one run, in sort-key order.
    create(&db, "Sorted", true).await;
    for id in ["a", "b", "c", "d", "e", "f"] {
        for n in [3, -1, 20, 0] {
            let put = json!({"TableName": "Sorted", "Item": {"id": {"S": id}, "n": {"N": n.to_string()}}});
            assert_eq!(call(&db, "PutItem", put).await.0, 200);
        }
    }
    let all = scan_all(&db, json!({"TableName": "Sorted", "Limit": 5})).await;
    assert_eq!(all.len(), 24);
    let mut partitions: Vec<&str> = all.iter().map(|(id, _)| id.as_str()).collect();
    partitions.dedup();
    assert_eq!(partitions.len(), 6, "each partition is one run: {all:?}");
    assert_ne!(
        partitions,
        ["a", "b", "c", "d", "e", "f"],
        "partitions in key order"
    );
    for chunk in all.chunks(4) {
        let ns: Vec<&str> = chunk.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(ns, ["-1", "0", "3", "20"], "{chunk:?}");
    }
}

/// The layout a Sluice before partition-ordered scans wrote (schema version 1), as it created it.
const VERSION_1_DDL: &str = "
    PRAGMA journal_mode=WAL;
    PRAGMA application_id=1397507138;
    CREATE TABLE tables(name TEXT PRIMARY KEY, def TEXT NOT NULL);
    CREATE TABLE items(
        tbl TEXT NOT NULL, hk BLOB NOT NULL, rk BLOB NOT NULL,
        item TEXT NOT NULL, size INTEGER NOT NULL,
        PRIMARY KEY (tbl, hk, rk)) WITHOUT ROWID;
    CREATE TABLE idx(
        tbl TEXT NOT NULL, idx TEXT NOT NULL, ihk BLOB NOT NULL, irk BLOB NOT NULL,
        hk BLOB NOT NULL, rk BLOB NOT NULL,
        PRIMARY KEY (tbl, idx, ihk, irk, hk, rk)) WITHOUT ROWID;
    CREATE INDEX idx_by_item ON idx(tbl, hk, rk);
    CREATE TABLE streams(
        arn TEXT PRIMARY KEY, tbl TEXT NOT NULL, label TEXT NOT NULL, view_type TEXT NOT NULL,
        keys TEXT NOT NULL, created REAL NOT NULL, enabled INTEGER NOT NULL);
    CREATE TABLE stream_records(
        seq INTEGER PRIMARY KEY AUTOINCREMENT, arn TEXT NOT NULL,
        created REAL NOT NULL, record TEXT NOT NULL);
    CREATE INDEX stream_records_by_arn ON stream_records(arn, seq);
    CREATE INDEX stream_records_by_age ON stream_records(created);
    CREATE TABLE stream_checkpoints(
        mapping TEXT PRIMARY KEY, arn TEXT NOT NULL, sequence TEXT NOT NULL,
        updated REAL NOT NULL);
    PRAGMA user_version=1;";

#[tokio::test]
async fn a_file_in_the_key_ordered_layout_is_upgraded_in_place() {
    // A table definition and items as the store writes them, taken from a current file.
    let donor = temp_dir("scan-order-donor");
    let create = json!({"TableName": "Tbl", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "n", "AttributeType": "N"}, {"AttributeName": "g", "AttributeType": "S"}],
        "GlobalSecondaryIndexes": [{"IndexName": "by-g", "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}]});
    {
        let db =
            DynamoDb::open(StoreLocation::Dir(donor.clone()), AwsEnv::default()).expect("open");
        assert_eq!(call(&db, "CreateTable", create).await.0, 200);
        for i in 0..30 {
            let put = json!({"TableName": "Tbl", "Item": {"id": {"S": format!("k{}", i % 10)},
                "n": {"N": i.to_string()}, "g": {"S": if i % 2 == 0 { "even" } else { "odd" }}}});
            assert_eq!(call(&db, "PutItem", put).await.0, 200);
        }
    }
    let donor_conn = rusqlite::Connection::open(donor.join("dynamodb.sqlite3")).expect("donor");
    let def: String = donor_conn
        .query_row("SELECT def FROM tables", [], |r| r.get(0))
        .expect("table def");
    let mut stmt = donor_conn
        .prepare("SELECT tbl, hk, rk, item, size FROM items")
        .expect("items");
    type OldRow = (String, Vec<u8>, Vec<u8>, String, i64);
    let rows: Vec<OldRow> = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(rows.len(), 30);
    drop(stmt);
    drop(donor_conn);

    // The old file: version 1 layout, holding those items and their (old-layout) index entries.
    let dir = temp_dir("scan-order-upgrade");
    std::fs::create_dir_all(&dir).expect("dir");
    {
        let old = rusqlite::Connection::open(dir.join("dynamodb.sqlite3")).expect("old file");
        old.execute_batch(VERSION_1_DDL).expect("old layout");
        old.execute("INSERT INTO tables(name, def) VALUES ('Tbl', ?1)", [&def])
            .expect("def");
        for (tbl, hk, rk, item, size) in &rows {
            old.execute(
                "INSERT INTO items(tbl, hk, rk, item, size) VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![tbl, hk, rk, item, size],
            )
            .expect("item");
            let g: Value = serde_json::from_str(item).expect("item JSON");
            let ihk = g["g"]["S"].as_str().expect("g").as_bytes().to_vec();
            old.execute(
                "INSERT INTO idx(tbl, idx, ihk, irk, hk, rk) VALUES (?1, 'by-g', ?2, x'', ?3, ?4)",
                rusqlite::params![tbl, ihk, hk, rk],
            )
            .expect("index entry");
        }
    }

    let db = DynamoDb::open(StoreLocation::Dir(dir.clone()), AwsEnv::default()).expect("upgrade");
    // Every item is still there, by key, by scan and by index.
    for i in 0..30 {
        let get = json!({"TableName": "Tbl", "Key": {"id": {"S": format!("k{}", i % 10)}, "n": {"N": i.to_string()}}});
        let (status, body) = call(&db, "GetItem", get).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("Item").is_some(), "item {i} lost: {body}");
    }
    let all = scan_all(&db, json!({"TableName": "Tbl", "Limit": 4})).await;
    assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), 30, "{all:?}");
    let q = json!({"TableName": "Tbl", "IndexName": "by-g", "KeyConditionExpression": "g = :g",
        "ExpressionAttributeValues": {":g": {"S": "odd"}}});
    assert_eq!(call(&db, "Query", q).await.1["Count"], 15);
    let q = json!({"TableName": "Tbl", "KeyConditionExpression": "id = :k AND n > :n",
        "ExpressionAttributeValues": {":k": {"S": "k3"}, ":n": {"N": "3"}}});
    let (_, body) = call(&db, "Query", q).await;
    assert_eq!(
        keys(&body),
        [("k3", "13"), ("k3", "23")].map(|(a, b)| (a.to_string(), b.to_string()))
    );
    // Writes after the upgrade land in the new layout beside the old items.
    let put = json!({"TableName": "Tbl", "Item": {"id": {"S": "new"}, "n": {"N": "1"}, "g": {"S": "odd"}}});
    assert_eq!(call(&db, "PutItem", put).await.0, 200);
    assert_eq!(scan_all(&db, json!({"TableName": "Tbl"})).await.len(), 31);
    drop(db);
    let conn = rusqlite::Connection::open(dir.join("dynamodb.sqlite3")).expect("sqlite");
    let version: i32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(version, 2);
    drop(conn);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&donor);
}
