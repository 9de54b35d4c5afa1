//! Secondary indexes as stored: index order, paging, and building entries for an older file.

use serde_json::{json, Value};
use sluice_aws_env::AwsEnv;
use sluice_dynamodb::{DynamoDb, StoreLocation};

use crate::{call, temp_dir};

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
    // AWS: partitions come in hash order, each whole and in index (score) order.
    let mut players: Vec<&str> = all.iter().map(|(p, _)| p.as_str()).collect();
    players.dedup();
    assert_eq!(players.len(), 3, "each partition is one run: {all:?}");
    for (player, games) in [
        ("ann", ["2", "3", "1"].as_slice()),
        ("bob", &["2", "1"]),
        ("cat", &["1"]),
    ] {
        let got: Vec<&str> = all
            .iter()
            .filter(|(p, _)| p == player)
            .map(|(_, g)| g.as_str())
            .collect();
        assert_eq!(got, games, "LSI scan: {player}'s items by score");
    }
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
