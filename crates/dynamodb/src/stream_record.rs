//! The change record DynamoDB Streams keeps for one item write. Built by the store inside the write's
//! transaction, read back by the Streams API (`ops::streams`); depends on neither.

use serde_json::{json, Map, Value};

use crate::attribute_value::{item_size, item_to_json, Item};
use crate::table::KeySchema;

/// One item write as its stream sees it.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    /// The item before the write (`None` if it did not exist).
    pub old: Option<&'a Item>,
    /// The item after the write (`None` for a delete).
    pub new: Option<&'a Item>,
    /// True when time to live deleted the item (the record then names the service).
    pub expired: bool,
}

/// The change record for one write, or `None` when nothing changed (DynamoDB writes no record for a
/// put or update that leaves the item as it was, nor for deleting a missing item). `region` is the
/// record's `awsRegion`.
pub fn record(
    keys: &KeySchema,
    view_type: &str,
    change: Change<'_>,
    now: f64,
    region: &str,
) -> Option<Value> {
    let Change { old, new, expired } = change;
    let event = match (old, new) {
        (None, Some(_)) => "INSERT",
        (Some(o), Some(n)) if o == n => return None,
        (Some(_), Some(_)) => "MODIFY",
        (Some(_), None) => "REMOVE",
        (None, None) => return None,
    };
    let source = new.or(old)?;
    let key: Item = keys
        .names()
        .iter()
        .filter_map(|n| source.get(*n).map(|v| (n.to_string(), v.clone())))
        .collect();
    let mut size = item_size(&key);
    let mut body = Map::new();
    body.insert("ApproximateCreationDateTime".into(), json!(now.floor()));
    body.insert("Keys".into(), item_to_json(&key));
    if matches!(view_type, "NEW_IMAGE" | "NEW_AND_OLD_IMAGES") {
        if let Some(n) = new {
            size += item_size(n);
            body.insert("NewImage".into(), item_to_json(n));
        }
    }
    if matches!(view_type, "OLD_IMAGE" | "NEW_AND_OLD_IMAGES") {
        if let Some(o) = old {
            size += item_size(o);
            body.insert("OldImage".into(), item_to_json(o));
        }
    }
    body.insert("SizeBytes".into(), json!(size));
    body.insert("StreamViewType".into(), json!(view_type));
    let mut out = Map::new();
    out.insert(
        "eventID".into(),
        json!(uuid::Uuid::new_v4().simple().to_string()),
    );
    out.insert("eventName".into(), json!(event));
    out.insert("eventVersion".into(), json!("1.1"));
    out.insert("eventSource".into(), json!("aws:dynamodb"));
    out.insert("awsRegion".into(), json!(region));
    out.insert("dynamodb".into(), Value::Object(body));
    if expired {
        // How AWS marks deletions made by time to live, spelled as the Streams API's model names
        // the members (Alternator's test_ttl_expiration_streams, written against DynamoDB; boto3
        // drops lowercase keys). Lambda's event spells them `type`/`principalId`: the stream
        // poller renames them on delivery.
        out.insert(
            "userIdentity".into(),
            json!({"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}),
        );
    }
    Some(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute_value::AttributeValue;
    use crate::table::KeyAttr;

    fn item(pairs: &[(&str, &str)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), AttributeValue::S(v.to_string())))
            .collect()
    }

    #[test]
    fn records_follow_the_view_type_and_skip_no_ops() {
        let keys = KeySchema::simple(
            KeyAttr {
                name: "id".into(),
                kind: "S".into(),
            },
            None,
        );
        let old = item(&[("id", "a"), ("v", "1")]);
        let new = item(&[("id", "a"), ("v", "2")]);
        let r = record(
            &keys,
            "NEW_AND_OLD_IMAGES",
            Change {
                old: Some(&old),
                new: Some(&new),
                expired: false,
            },
            10.5,
            "eu-west-1",
        )
        .expect("modify");
        assert_eq!(r["eventName"], "MODIFY");
        assert_eq!(r["awsRegion"], "eu-west-1");
        assert_eq!(r["dynamodb"]["Keys"], json!({"id": {"S": "a"}}));
        assert_eq!(r["dynamodb"]["OldImage"]["v"], json!({"S": "1"}));
        assert_eq!(r["dynamodb"]["NewImage"]["v"], json!({"S": "2"}));
        assert_eq!(r["dynamodb"]["ApproximateCreationDateTime"], json!(10.0));
        let r = record(
            &keys,
            "KEYS_ONLY",
            Change {
                old: None,
                new: Some(&new),
                expired: false,
            },
            0.0,
            "us-east-1",
        )
        .expect("insert");
        assert_eq!(r["eventName"], "INSERT");
        assert!(r["dynamodb"].get("NewImage").is_none());
        let r = record(
            &keys,
            "OLD_IMAGE",
            Change {
                old: Some(&old),
                new: None,
                expired: true,
            },
            0.0,
            "us-east-1",
        )
        .expect("remove");
        assert_eq!(r["eventName"], "REMOVE");
        assert_eq!(
            r["userIdentity"],
            json!({"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"})
        );
        assert!(record(
            &keys,
            "NEW_IMAGE",
            Change {
                old: Some(&old),
                new: Some(&old),
                expired: false
            },
            0.0,
            "us-east-1"
        )
        .is_none());
        assert!(record(
            &keys,
            "NEW_IMAGE",
            Change {
                old: None,
                new: None,
                expired: false
            },
            0.0,
            "us-east-1"
        )
        .is_none());
    }
}
