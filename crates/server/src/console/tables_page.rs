//! The DynamoDB tables and a paged item view, read through the store's own API (ListTables,
//! DescribeTable, Scan) exactly as a client would.

use std::collections::BTreeSet;

use bytes::Bytes;
use serde_json::{json, Value};
use sluice_dynamodb::DynamoDb;

use super::html::{escape, url_part, Page};

/// Items per page of the item view.
pub const PAGE_ITEMS: usize = 25;

async fn call(dynamodb: &DynamoDb, operation: &str, body: Value) -> Result<Value, String> {
    let response = dynamodb
        .handle(operation, Bytes::from(body.to_string()))
        .await;
    let value: Value = serde_json::from_slice(&response.body).map_err(|e| e.to_string())?;
    if response.status == 200 {
        Ok(value)
    } else {
        Err(format!(
            "{}: {}",
            value["__type"].as_str().unwrap_or("error"),
            value["message"]
                .as_str()
                .or(value["Message"].as_str())
                .unwrap_or("")
        ))
    }
}

/// The tables, with their key schema and item count.
pub async fn list(prefix: &str, dynamodb: &DynamoDb) -> String {
    let mut page = Page::new(prefix, "DynamoDB tables");
    let names = match call(dynamodb, "ListTables", json!({})).await {
        Ok(v) => v["TableNames"].as_array().cloned().unwrap_or_default(),
        Err(e) => {
            page.text(&e);
            return page.finish();
        }
    };
    if names.is_empty() {
        page.text("No tables.");
    }
    let mut rows = Vec::new();
    for name in names.iter().filter_map(Value::as_str) {
        let described = call(dynamodb, "DescribeTable", json!({ "TableName": name }))
            .await
            .unwrap_or_default();
        let table = &described["Table"];
        let keys: Vec<String> = table["KeySchema"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|k| {
                format!(
                    "{} ({})",
                    k["AttributeName"].as_str().unwrap_or(""),
                    k["KeyType"].as_str().unwrap_or("")
                )
            })
            .collect();
        rows.push(vec![
            format!(
                "<a href=\"{}/tables/{}\">{}</a>",
                escape(prefix),
                url_part(name),
                escape(name)
            ),
            escape(&keys.join(", ")),
            table["ItemCount"].as_u64().unwrap_or(0).to_string(),
        ]);
    }
    page.table(&["table", "key", "items"], &rows);
    page.finish()
}

/// One attribute value as a cell: strings and numbers plainly, anything else as its JSON.
fn cell(value: &Value) -> String {
    match value.as_object().and_then(|o| o.iter().next()) {
        Some((kind, v)) if kind == "S" || kind == "N" => v.as_str().unwrap_or("").to_owned(),
        Some((kind, v)) if kind == "BOOL" => v.to_string(),
        Some((kind, _)) if kind == "NULL" => "null".to_owned(),
        _ => value.to_string(),
    }
}

/// One page of `table`'s items, from `start` (a `LastEvaluatedKey` as JSON) when given.
pub async fn items(prefix: &str, dynamodb: &DynamoDb, table: &str, start: Option<&str>) -> String {
    let mut page = Page::new(prefix, &format!("Table {table}"));
    let mut request = json!({ "TableName": table, "Limit": PAGE_ITEMS });
    if let Some(start) = start {
        match serde_json::from_str::<Value>(start) {
            Ok(key) => request["ExclusiveStartKey"] = key,
            Err(_) => {
                page.text("The page link is damaged; showing the first page.");
            }
        }
    }
    let scanned = match call(dynamodb, "Scan", request).await {
        Ok(v) => v,
        Err(e) => {
            page.text(&e);
            return page.finish();
        }
    };
    let items = scanned["Items"].as_array().cloned().unwrap_or_default();
    let columns: BTreeSet<&str> = items
        .iter()
        .filter_map(Value::as_object)
        .flat_map(|o| o.keys().map(String::as_str))
        .collect();
    let columns: Vec<&str> = columns.into_iter().collect();
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|item| {
            columns
                .iter()
                .map(|c| item.get(*c).map(|v| escape(&cell(v))).unwrap_or_default())
                .collect()
        })
        .collect();
    page.text(&format!("{} items on this page", items.len()));
    page.table(&columns, &rows);
    if let Some(next) = scanned.get("LastEvaluatedKey") {
        page.raw(&format!(
            "<p><a href=\"{}/tables/{}?start={}\">Next page</a></p>",
            escape(prefix),
            url_part(table),
            url_part(&next.to_string())
        ));
    }
    page.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_dynamodb::StoreLocation;

    #[tokio::test]
    async fn the_item_view_pages_through_a_table_and_escapes_values() {
        let db = DynamoDb::open(StoreLocation::InMemory, sluice_aws_env::AwsEnv::default())
            .expect("in-memory store");
        call(
            &db,
            "CreateTable",
            json!({"TableName": "notes",
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST"}),
        )
        .await
        .expect("table created");
        for i in 0..PAGE_ITEMS + 5 {
            let item =
                json!({"id": {"S": format!("item-{i:02}")}, "text": {"S": "<script>x</script>"}});
            call(&db, "PutItem", json!({"TableName": "notes", "Item": item}))
                .await
                .expect("item put");
        }
        let first = items("/_sluice", &db, "notes", None).await;
        assert!(
            first.contains(&format!("{PAGE_ITEMS} items on this page")),
            "{first}"
        );
        assert!(first.contains("&lt;script&gt;x&lt;/script&gt;"), "{first}");
        assert!(!first.contains("<script>"), "{first}");
        // The link carries the last key, percent-encoded; following it gives the rest.
        let link = first
            .split("?start=")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a next-page link");
        let start = percent_encoding::percent_decode_str(link).decode_utf8_lossy();
        let second = items("/_sluice", &db, "notes", Some(&start)).await;
        assert!(second.contains("5 items on this page"), "{second}");
        let listed = list("/_sluice", &db).await;
        assert!(
            listed.contains("href=\"/_sluice/tables/notes\""),
            "{listed}"
        );
    }
}
