//! Integration tests: the real boto3 client against `DynamoDb::handle` behind a tiny HTTP server, and
//! durability of the SQLite store across reopen.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use sluice_aws_env::AwsEnv;
use sluice_dynamodb::table_spec::{ScalarType, StreamViewType};
use sluice_dynamodb::{DynamoDb, EnsureOutcome, StoreError, StoreLocation, TableSpec};

/// Serves `db` the way the lead's services endpoint will: dispatch on `X-Amz-Target`.
async fn serve(db: Arc<DynamoDb>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("bound address");
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let db = Arc::clone(&db);
            tokio::spawn(async move {
                let svc = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let db = Arc::clone(&db);
                    async move {
                        let target = req
                            .headers()
                            .get("x-amz-target")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_string();
                        let body = req
                            .into_body()
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let resp = match target.strip_prefix("DynamoDBStreams_20120810.") {
                            Some(op) => db.handle_streams(op, body).await,
                            None => {
                                let op = target.trim_start_matches("DynamoDB_20120810.");
                                db.handle(op, body).await
                            }
                        };
                        Ok::<_, Infallible>(
                            Response::builder()
                                .status(resp.status)
                                .header("content-type", "application/x-amz-json-1.0")
                                .body(Full::new(resp.body))
                                .expect("static response parts are valid"),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_client_and_resource_apis() {
    run_boto3_script("boto3_e2e.py").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_dynamodb_streams() {
    run_boto3_script("boto3_streams.py").await;
}

/// Runs one of the boto3 scripts in `tests/` against a fresh in-memory store.
async fn run_boto3_script(name: &str) {
    let db = DynamoDb::open(StoreLocation::InMemory, AwsEnv::default()).expect("in-memory store");
    let addr = serve(db).await;
    let script = format!("{}/tests/{name}", env!("CARGO_MANIFEST_DIR"));
    let out = tokio::process::Command::new("python3")
        .arg(script)
        .env("ENDPOINT", format!("http://{addr}"))
        .env_remove("AWS_PROFILE")
        .output()
        .await
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "boto3 checks failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("all checks passed"), "{stdout}");
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sluice-ddb-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

async fn call(db: &DynamoDb, op: &str, body: Value) -> (u16, Value) {
    let r = db.handle(op, Bytes::from(body.to_string())).await;
    (
        r.status,
        serde_json::from_slice(&r.body).expect("response is JSON"),
    )
}

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

#[tokio::test]
async fn protocol_errors() {
    let db = DynamoDb::open(StoreLocation::InMemory, AwsEnv::default()).expect("store");
    let r = db.handle("PutItem", Bytes::from_static(b"{not json")).await;
    assert_eq!(r.status, 400);
    let v: Value = serde_json::from_slice(&r.body).expect("json");
    assert_eq!(
        v["__type"],
        "com.amazon.coral.service#SerializationException"
    );
    let (status, v) = call(&db, "NoSuchOp", json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(
        v["__type"],
        "com.amazon.coral.service#UnknownOperationException"
    );
    let (status, v) = call(
        &db,
        "GetItem",
        json!({"TableName": "Nope", "Key": {"id": {"S": "x"}}}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        v["__type"],
        "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
    );
    let (_, v) = call(&db, "CreateTable", json!({"TableName": "ab"})).await;
    assert_eq!(v["__type"], "com.amazon.coral.validate#ValidationException");
    let create = json!({"TableName": "Things", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"});
    let (_, v) = call(&db, "CreateTable", create.clone()).await;
    assert!(v.get("TableDescription").is_some(), "{v}");
    let (_, v) = call(&db, "CreateTable", create).await;
    assert_eq!(
        v["__type"],
        "com.amazonaws.dynamodb.v20120810#ResourceInUseException"
    );
    let put = json!({"TableName": "Things", "Item": {"id": {"S": "a"}}, "ConditionExpression": "attribute_exists(id)"});
    let (_, v) = call(&db, "PutItem", put).await;
    assert_eq!(
        v["__type"],
        "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"
    );
    let tx = json!({"TransactItems": [{"ConditionCheck": {"TableName": "Things", "Key": {"id": {"S": "a"}},
        "ConditionExpression": "attribute_exists(id)"}}]});
    let (_, v) = call(&db, "TransactWriteItems", tx).await;
    assert_eq!(
        v["__type"],
        "com.amazonaws.dynamodb.v20120810#TransactionCanceledException"
    );
    // Expression attribute maps without an expression that could use them: DynamoDB's exact messages.
    let cases = [
        ("PutItem", json!({"TableName": "Things", "Item": {"id": {"S": "a"}}, "ExpressionAttributeValues": {":v": {"S": "x"}}}),
            "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null"),
        ("UpdateItem", json!({"TableName": "Things", "Key": {"id": {"S": "a"}}, "ExpressionAttributeValues": {":v": {"S": "x"}}}),
            "ExpressionAttributeValues can only be specified when using expressions: UpdateExpression and ConditionExpression are null"),
        ("Query", json!({"TableName": "Things", "KeyConditions": {}, "ExpressionAttributeValues": {}}),
            "ExpressionAttributeValues can only be specified when using expressions: FilterExpression and KeyConditionExpression are null"),
        ("Scan", json!({"TableName": "Things", "ProjectionExpression": "id", "ExpressionAttributeValues": {":v": {"S": "x"}}}),
            "ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null"),
        ("DeleteItem", json!({"TableName": "Things", "Key": {"id": {"S": "a"}}, "ExpressionAttributeNames": {"#n": "id"}}),
            "ExpressionAttributeNames can only be specified when using expressions"),
    ];
    for (op, body, message) in cases {
        let (status, v) = call(&db, op, body).await;
        assert_eq!(status, 400, "{op}");
        assert_eq!(
            v["__type"], "com.amazon.coral.validate#ValidationException",
            "{op}"
        );
        assert_eq!(v["message"], message, "{op}");
    }
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
        .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
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

#[tokio::test]
async fn expired_items_are_swept() {
    let db = DynamoDb::open(StoreLocation::InMemory, AwsEnv::default()).expect("store");
    let create = json!({"TableName": "Sessions", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"});
    assert_eq!(call(&db, "CreateTable", create).await.0, 200);
    let ttl = json!({"TableName": "Sessions", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "exp"}});
    assert_eq!(call(&db, "UpdateTimeToLive", ttl).await.0, 200);
    // A template table declares TTL through ensure_table.
    let templ = TableSpec {
        ttl_attribute: Some("until".into()),
        ..TableSpec::on_demand("Tokens", "id", ScalarType::String)
    };
    assert_eq!(
        db.ensure_table(&templ).expect("ensure"),
        EnsureOutcome::Created
    );
    let (_, d) = call(&db, "DescribeTimeToLive", json!({"TableName": "Tokens"})).await;
    assert_eq!(d["TimeToLiveDescription"]["AttributeName"], "until");
    // A stream added to the template later is enabled on the existing table; a changed view type is reported.
    let mut streamed = templ.clone();
    streamed.stream = Some(StreamViewType::NewImage);
    assert_eq!(
        db.ensure_table(&streamed).expect("ensure"),
        EnsureOutcome::Unchanged
    );
    let (_, d) = call(&db, "DescribeTable", json!({"TableName": "Tokens"})).await;
    assert!(d["Table"]["LatestStreamArn"].is_string(), "{d}");
    streamed.stream = Some(StreamViewType::KeysOnly);
    assert!(matches!(
        db.ensure_table(&streamed).expect("ensure"),
        EnsureOutcome::SchemaDiffers { .. }
    ));
    for (id, exp) in [
        ("old", json!({"N": "1000"})),
        ("new", json!({"N": "3000"})),
        ("str", json!({"S": "1000"})),
    ] {
        let put = json!({"TableName": "Sessions", "Item": {"id": {"S": id}, "exp": exp}});
        assert_eq!(call(&db, "PutItem", put).await.0, 200);
    }
    assert_eq!(db.sweep_expired(2000.0).expect("sweep"), 1);
    let (_, body) = call(&db, "Scan", json!({"TableName": "Sessions"})).await;
    let mut ids: Vec<&str> = body["Items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"]["S"].as_str())
        .collect();
    ids.sort();
    assert_eq!(ids, ["new", "str"]);
}

/// Keys of the items in a Query/Scan response, as (hash S, range N) pairs.
fn pairs(body: &Value, hash: &str, range: &str) -> Vec<(String, String)> {
    body["Items"]
        .as_array()
        .expect("Items")
        .iter()
        .map(|i| {
            (
                i[hash]["S"].as_str().unwrap_or("").to_string(),
                i[range]["N"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// Pages through a Query or Scan with `Limit`, returning every item's (hash, range) and the pages' keys.
async fn paginate(
    db: &DynamoDb,
    op: &str,
    mut req: Value,
    hash: &str,
    range: &str,
) -> (Vec<(String, String)>, Vec<Value>) {
    let mut all = Vec::new();
    let mut keys = Vec::new();
    loop {
        let (status, body) = call(db, op, req.clone()).await;
        assert_eq!(status, 200, "{body}");
        all.extend(pairs(&body, hash, range));
        match body.get("LastEvaluatedKey") {
            Some(k) => {
                keys.push(k.clone());
                req["ExclusiveStartKey"] = k.clone();
            }
            None => break,
        }
        assert!(keys.len() < 100, "pagination does not end");
    }
    (all, keys)
}

#[tokio::test]
async fn secondary_indexes_are_stored_in_index_order() {
    let db = DynamoDb::open(StoreLocation::InMemory, AwsEnv::default()).expect("store");
    let create = json!({"TableName": "Scores", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "player", "KeyType": "HASH"}, {"AttributeName": "game", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "player", "AttributeType": "S"}, {"AttributeName": "game", "AttributeType": "N"},
            {"AttributeName": "league", "AttributeType": "S"}, {"AttributeName": "score", "AttributeType": "N"}],
        "GlobalSecondaryIndexes": [{"IndexName": "by-league", "Projection": {"ProjectionType": "KEYS_ONLY"},
            "KeySchema": [{"AttributeName": "league", "KeyType": "HASH"}, {"AttributeName": "score", "KeyType": "RANGE"}]}],
        "LocalSecondaryIndexes": [{"IndexName": "by-score", "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": "player", "KeyType": "HASH"}, {"AttributeName": "score", "KeyType": "RANGE"}]}]});
    assert_eq!(call(&db, "CreateTable", create).await.0, 200);
    // Scores chosen so index order differs from table order; negative and fractional numbers included.
    let rows = [
        ("ann", 1, Some("gold"), Some("30")),
        ("ann", 2, Some("gold"), Some("-5")),
        ("ann", 3, None, Some("12.5")), // no league: absent from by-league (sparse)
        ("bob", 1, Some("gold"), Some("100")),
        ("bob", 2, Some("silver"), Some("7")),
        ("bob", 3, Some("gold"), None), // no score: absent from both indexes
        ("cat", 1, Some("gold"), Some("30")), // ties with ann/1 on the index key
    ];
    for (player, game, league, score) in rows {
        let mut item =
            json!({"player": {"S": player}, "game": {"N": game.to_string()}, "note": {"S": "x"}});
        if let Some(l) = league {
            item["league"] = json!({"S": l});
        }
        if let Some(s) = score {
            item["score"] = json!({"N": s});
        }
        let (status, body) =
            call(&db, "PutItem", json!({"TableName": "Scores", "Item": item})).await;
        assert_eq!(status, 200, "{body}");
    }
    let gold = json!({"TableName": "Scores", "IndexName": "by-league",
        "KeyConditionExpression": "league = :l", "ExpressionAttributeValues": {":l": {"S": "gold"}}});
    let (_, body) = call(&db, "Query", gold.clone()).await;
    assert_eq!(
        pairs(&body, "player", "game"),
        [("ann", "2"), ("ann", "1"), ("cat", "1"), ("bob", "1")]
            .map(|(a, b)| (a.to_string(), b.to_string())),
        "index order is score order, ties by table key; {body}"
    );
    // KEYS_ONLY projection: table and index keys only.
    let first = &body["Items"][0];
    assert!(
        first.get("note").is_none() && first.get("score").is_some(),
        "{first}"
    );
    let mut backwards = gold.clone();
    backwards["ScanIndexForward"] = json!(false);
    let (_, body) = call(&db, "Query", backwards.clone()).await;
    assert_eq!(
        pairs(&body, "player", "game"),
        [("bob", "1"), ("cat", "1"), ("ann", "1"), ("ann", "2")]
            .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    // Range conditions on the index sort key.
    let mut ranged = gold.clone();
    ranged["KeyConditionExpression"] = json!("league = :l AND score BETWEEN :a AND :b");
    ranged["ExpressionAttributeValues"] =
        json!({":l": {"S": "gold"}, ":a": {"N": "0"}, ":b": {"N": "50"}});
    let (_, body) = call(&db, "Query", ranged).await;
    assert_eq!(body["Count"], 2, "{body}");
    // Pagination with Limit 1, both directions: every page's key holds table and index keys.
    for req in [gold.clone(), backwards] {
        let mut paged = req.clone();
        paged["Limit"] = json!(1);
        let (all, keys) = paginate(&db, "Query", paged, "player", "game").await;
        let (_, whole) = call(&db, "Query", req).await;
        assert_eq!(all, pairs(&whole, "player", "game"));
        for k in &keys {
            let mut names: Vec<&str> = k
                .as_object()
                .expect("key")
                .keys()
                .map(|s| s.as_str())
                .collect();
            names.sort();
            assert_eq!(names, ["game", "league", "player", "score"], "{k}");
        }
    }
    // Scan of an index: every indexed item once, in index order across hash keys.
    let (all, _) = paginate(
        &db,
        "Scan",
        json!({"TableName": "Scores", "IndexName": "by-league", "Limit": 2}),
        "player",
        "game",
    )
    .await;
    assert_eq!(all.len(), 5, "{all:?}");
    let (all, _) = paginate(
        &db,
        "Scan",
        json!({"TableName": "Scores", "IndexName": "by-score", "Limit": 3}),
        "player",
        "game",
    )
    .await;
    assert_eq!(
        all,
        [
            ("ann", "2"),
            ("ann", "3"),
            ("ann", "1"),
            ("bob", "2"),
            ("bob", "1"),
            ("cat", "1")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string())),
        "LSI scan: by player then score"
    );
    // An update moves an item between index keys; removing the key drops it from the index.
    let update = json!({"TableName": "Scores", "Key": {"player": {"S": "bob"}, "game": {"N": "2"}},
        "UpdateExpression": "SET league = :g, score = :s", "ExpressionAttributeValues": {":g": {"S": "gold"}, ":s": {"N": "-50"}}});
    assert_eq!(call(&db, "UpdateItem", update).await.0, 200);
    let remove = json!({"TableName": "Scores", "Key": {"player": {"S": "ann"}, "game": {"N": "1"}}, "UpdateExpression": "REMOVE league"});
    assert_eq!(call(&db, "UpdateItem", remove).await.0, 200);
    let delete =
        json!({"TableName": "Scores", "Key": {"player": {"S": "cat"}, "game": {"N": "1"}}});
    assert_eq!(call(&db, "DeleteItem", delete).await.0, 200);
    // A batch put replaces an item with one lacking the index keys.
    let batch = json!({"RequestItems": {"Scores": [{"PutRequest": {"Item": {"player": {"S": "bob"}, "game": {"N": "1"}}}}]}});
    assert_eq!(call(&db, "BatchWriteItem", batch).await.0, 200);
    let (_, body) = call(&db, "Query", gold.clone()).await;
    assert_eq!(
        pairs(&body, "player", "game"),
        [("bob", "2"), ("ann", "2")].map(|(a, b)| (a.to_string(), b.to_string())),
        "{body}"
    );
    let silver = json!({"TableName": "Scores", "IndexName": "by-league",
        "KeyConditionExpression": "league = :l", "ExpressionAttributeValues": {":l": {"S": "silver"}}});
    assert_eq!(call(&db, "Query", silver).await.1["Count"], 0);
    // A transaction writes index entries too.
    let tx = json!({"TransactItems": [{"Put": {"TableName": "Scores",
        "Item": {"player": {"S": "dan"}, "game": {"N": "1"}, "league": {"S": "gold"}, "score": {"N": "0"}}}}]});
    assert_eq!(call(&db, "TransactWriteItems", tx).await.0, 200);
    let (_, body) = call(&db, "Query", gold.clone()).await;
    assert_eq!(
        pairs(&body, "player", "game"),
        [("bob", "2"), ("ann", "2"), ("dan", "1")].map(|(a, b)| (a.to_string(), b.to_string()))
    );
    // DescribeTable counts each index's own items.
    let (_, d) = call(&db, "DescribeTable", json!({"TableName": "Scores"})).await;
    assert_eq!(d["Table"]["ItemCount"], 7);
    assert_eq!(
        d["Table"]["GlobalSecondaryIndexes"][0]["ItemCount"], 3,
        "{d}"
    );
    assert_eq!(
        d["Table"]["LocalSecondaryIndexes"][0]["ItemCount"], 5,
        "{d}"
    );
    // A GSI added later is built from the existing items; a removed one is gone.
    let add = json!({"TableName": "Scores",
        "AttributeDefinitions": [{"AttributeName": "game", "AttributeType": "N"}],
        "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "by-game", "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": "game", "KeyType": "HASH"}]}}]});
    let (status, body) = call(&db, "UpdateTable", add).await;
    assert_eq!(status, 200, "{body}");
    let by_game = json!({"TableName": "Scores", "IndexName": "by-game",
        "KeyConditionExpression": "game = :g", "ExpressionAttributeValues": {":g": {"N": "1"}}});
    let (_, body) = call(&db, "Query", by_game.clone()).await;
    let mut players: Vec<String> = pairs(&body, "player", "game")
        .into_iter()
        .map(|p| p.0)
        .collect();
    players.sort();
    assert_eq!(players, ["ann", "bob", "dan"], "{body}");
    let drop = json!({"TableName": "Scores", "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "by-game"}}]});
    assert_eq!(call(&db, "UpdateTable", drop).await.0, 200);
    let (status, body) = call(&db, "Query", by_game).await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn index_entries_are_built_for_a_file_from_before_stored_indexes() {
    let dir = temp_dir("index-migration");
    let create = json!({"TableName": "Tbl", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
        "GlobalSecondaryIndexes": [{"IndexName": "by-g", "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}]});
    {
        let db = DynamoDb::open(StoreLocation::Dir(dir.clone()), AwsEnv::default()).expect("open");
        let (status, body) = call(&db, "CreateTable", create).await;
        assert_eq!(status, 200, "{body}");
        for id in ["a", "b"] {
            let put = json!({"TableName": "Tbl", "Item": {"id": {"S": id}, "g": {"S": "x"}}});
            assert_eq!(call(&db, "PutItem", put).await.0, 200);
        }
    }
    // What an older Sluice left behind: items, no index entries, layout version 0.
    let conn = rusqlite::Connection::open(dir.join("dynamodb.sqlite3")).expect("sqlite");
    conn.execute_batch("DELETE FROM idx; PRAGMA user_version=0;")
        .expect("downgrade");
    drop(conn);
    let db = DynamoDb::open(StoreLocation::Dir(dir.clone()), AwsEnv::default()).expect("reopen");
    let q = json!({"TableName": "Tbl", "IndexName": "by-g", "KeyConditionExpression": "g = :g",
        "ExpressionAttributeValues": {":g": {"S": "x"}}});
    assert_eq!(call(&db, "Query", q).await.1["Count"], 2);
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}

async fn call_streams(db: &DynamoDb, op: &str, body: Value) -> (u16, Value) {
    let r = db.handle_streams(op, Bytes::from(body.to_string())).await;
    (
        r.status,
        serde_json::from_slice(&r.body).expect("response is JSON"),
    )
}

#[tokio::test]
async fn stream_records_are_durable_and_name_ttl_deletions() {
    let dir = temp_dir("streams");
    let arn = {
        let db = DynamoDb::open(StoreLocation::Dir(dir.clone()), AwsEnv::default()).expect("open");
        let create = json!({"TableName": "Sessions", "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "OLD_IMAGE"}});
        let (status, body) = call(&db, "CreateTable", create).await;
        assert_eq!(status, 200, "{body}");
        let ttl = json!({"TableName": "Sessions", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "exp"}});
        assert_eq!(call(&db, "UpdateTimeToLive", ttl).await.0, 200);
        let put =
            json!({"TableName": "Sessions", "Item": {"id": {"S": "s1"}, "exp": {"N": "1000"}}});
        assert_eq!(call(&db, "PutItem", put).await.0, 200);
        assert_eq!(db.sweep_expired(2000.0).expect("sweep"), 1);
        body["TableDescription"]["LatestStreamArn"]
            .as_str()
            .expect("LatestStreamArn")
            .to_string()
    };
    // Reopened: the stream and its records are still there.
    let db = DynamoDb::open(StoreLocation::Dir(dir.clone()), AwsEnv::default()).expect("reopen");
    let (status, d) = call_streams(&db, "DescribeStream", json!({"StreamArn": arn})).await;
    assert_eq!(status, 200, "{d}");
    let shard = d["StreamDescription"]["Shards"][0]["ShardId"].clone();
    let (_, it) = call_streams(
        &db,
        "GetShardIterator",
        json!({"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
    )
    .await;
    let (status, page) = call_streams(
        &db,
        "GetRecords",
        json!({"ShardIterator": it["ShardIterator"]}),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let records = page["Records"].as_array().expect("Records");
    let names: Vec<&str> = records
        .iter()
        .filter_map(|r| r["eventName"].as_str())
        .collect();
    assert_eq!(names, ["INSERT", "REMOVE"], "{page}");
    assert!(records[0].get("userIdentity").is_none());
    assert_eq!(
        records[1]["userIdentity"],
        json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"})
    );
    assert_eq!(
        records[1]["dynamodb"]["OldImage"]["exp"],
        json!({"N": "1000"})
    );
    // A new record after reopening continues the sequence.
    let put = json!({"TableName": "Sessions", "Item": {"id": {"S": "s2"}}});
    assert_eq!(call(&db, "PutItem", put).await.0, 200);
    let (_, page2) = call_streams(
        &db,
        "GetRecords",
        json!({"ShardIterator": page["NextShardIterator"]}),
    )
    .await;
    let seq = |r: &Value| -> u128 {
        r["dynamodb"]["SequenceNumber"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("SequenceNumber")
    };
    assert_eq!(
        page2["Records"].as_array().map(Vec::len),
        Some(1),
        "{page2}"
    );
    assert!(seq(&page2["Records"][0]) > seq(&records[1]));
    // Deleting the table leaves its stream readable but disabled.
    assert_eq!(
        call(&db, "DeleteTable", json!({"TableName": "Sessions"}))
            .await
            .0,
        200
    );
    let (_, d) = call_streams(&db, "DescribeStream", json!({"StreamArn": arn})).await;
    assert_eq!(d["StreamDescription"]["StreamStatus"], "DISABLED", "{d}");
    let (status, v) = call_streams(&db, "NoSuchOp", json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(
        v["__type"],
        "com.amazon.coral.service#UnknownOperationException"
    );
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn arns_and_stream_records_follow_the_configured_region() {
    let db =
        DynamoDb::open(StoreLocation::InMemory, AwsEnv::in_region("eu-west-1")).expect("store");
    let create = json!({"TableName": "Orders", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "owner", "AttributeType": "S"}],
        "GlobalSecondaryIndexes": [{"IndexName": "ByOwner",
            "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}],
        "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_IMAGE"}});
    let (status, body) = call(&db, "CreateTable", create).await;
    assert_eq!(status, 200, "{body}");
    let table = &body["TableDescription"];
    let prefix = "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders";
    assert_eq!(table["TableArn"], prefix);
    assert_eq!(
        table["GlobalSecondaryIndexes"][0]["IndexArn"],
        format!("{prefix}/index/ByOwner")
    );
    let arn = table["LatestStreamArn"].as_str().expect("LatestStreamArn");
    assert!(arn.starts_with(&format!("{prefix}/stream/")), "{arn}");
    // Tags are addressed by the table's ARN in this region; another region's ARN names nothing.
    let tag = json!({"ResourceArn": prefix, "Tags": [{"Key": "k", "Value": "v"}]});
    assert_eq!(call(&db, "TagResource", tag).await.0, 200);
    let other = json!({"ResourceArn": "arn:aws:dynamodb:us-east-1:123456789012:table/Orders",
        "Tags": [{"Key": "k", "Value": "v"}]});
    assert_eq!(call(&db, "TagResource", other).await.0, 400);
    let (_, endpoints) = call(&db, "DescribeEndpoints", json!({})).await;
    assert_eq!(
        endpoints["Endpoints"][0]["Address"],
        "dynamodb.eu-west-1.amazonaws.com"
    );

    let put = json!({"TableName": "Orders", "Item": {"id": {"S": "o1"}, "owner": {"S": "ann"}}});
    assert_eq!(call(&db, "PutItem", put).await.0, 200);
    let (_, streams) = call_streams(&db, "ListStreams", json!({"TableName": "Orders"})).await;
    assert_eq!(streams["Streams"][0]["StreamArn"], arn, "{streams}");
    let (_, d) = call_streams(&db, "DescribeStream", json!({"StreamArn": arn})).await;
    let shard = d["StreamDescription"]["Shards"][0]["ShardId"].clone();
    let (_, it) = call_streams(
        &db,
        "GetShardIterator",
        json!({"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
    )
    .await;
    let (status, page) = call_streams(
        &db,
        "GetRecords",
        json!({"ShardIterator": it["ShardIterator"]}),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["Records"][0]["awsRegion"], "eu-west-1", "{page}");
}

#[tokio::test]
async fn the_sweeper_runs_until_stopped_and_one_store_has_one() {
    let db = DynamoDb::open(StoreLocation::InMemory, AwsEnv::default()).expect("store");
    let create = json!({"TableName": "Sessions", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"});
    assert_eq!(call(&db, "CreateTable", create).await.0, 200);
    let ttl = json!({"TableName": "Sessions", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "exp"}});
    assert_eq!(call(&db, "UpdateTimeToLive", ttl).await.0, 200);
    let count = |db: Arc<DynamoDb>| async move {
        let (_, body) = call(&db, "Scan", json!({"TableName": "Sessions"})).await;
        body["Count"].as_i64().expect("Count")
    };
    let put_expired =
        |id: &str| json!({"TableName": "Sessions", "Item": {"id": {"S": id}, "exp": {"N": "1"}}});

    let interval = std::time::Duration::from_millis(20);
    let sweeper = db.start_sweeper(interval).expect("sweeper starts");
    assert!(
        matches!(
            db.start_sweeper(interval),
            Err(sluice_dynamodb::SweeperError::AlreadyRunning)
        ),
        "a second sweeper on the same store is refused"
    );
    assert_eq!(call(&db, "PutItem", put_expired("a")).await.0, 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while count(db.clone()).await > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the sweeper never swept"
        );
        tokio::time::sleep(interval).await;
    }

    // stop() returns once the thread has ended: nothing is swept any more, and a new one may start.
    sweeper.stop();
    assert_eq!(call(&db, "PutItem", put_expired("b")).await.0, 200);
    tokio::time::sleep(interval * 5).await;
    assert_eq!(count(db.clone()).await, 1, "a stopped sweeper swept");
    db.start_sweeper(interval)
        .expect("restart after stop")
        .stop();
}
