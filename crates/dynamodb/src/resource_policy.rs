//! Resource-based policies of a table and of its stream: the documents and revision ids DynamoDB
//! keeps (stored with the table definition), and the checks PutResourcePolicy and CreateTable's
//! `ResourcePolicy` apply to a document.
//! AWS: the policy is enforced on every request; Sluice: stored and answered only, never enforced,
//! because every local caller is the account's own root.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::protocol::{DynamoError, DynamoResult};

/// Largest policy document, in bytes of the document as sent (whitespace counts).
pub const MAX_POLICY_BYTES: usize = 20480;

/// One attached policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The document as Get answers it: the client's JSON without its whitespace.
    pub document: String,
    /// `RevisionId`: the epoch milliseconds of the change, as DynamoDB's are.
    pub revision_id: String,
}

/// The policies of one table: its own and its streams' (each stream ARN is a slot of its own).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResourcePolicies {
    /// The table's policy.
    pub table: Option<Policy>,
    /// Policies of the table's streams, by stream label.
    pub streams: BTreeMap<String, Policy>,
}

impl ResourcePolicies {
    /// True when no policy is attached (the stored definition then leaves the member out, as
    /// files written before policies existed do).
    pub fn is_empty(&self) -> bool {
        self.table.is_none() && self.streams.is_empty()
    }
}

/// The next revision id of a slot whose current one is `previous`: the time in epoch
/// milliseconds, kept above the previous one so two changes within a millisecond still order.
pub fn next_revision(now: f64, previous: Option<&Policy>) -> String {
    let ms = (now * 1000.0) as u64;
    let after = previous
        .and_then(|p| p.revision_id.parse::<u64>().ok())
        .map_or(0, |r| r + 1);
    ms.max(after).to_string()
}

/// Validates a policy document and returns it as stored (its whitespace dropped, members in the
/// client's order). The words are DynamoDB's, recorded against AWS (ack-api-quirks DDB-TABLE-211).
/// AWS also rewrites a document into a canonical form (a one-element list as a string, an account
/// id as its root ARN) and checks the grammar and principals with IAM; Sluice keeps the
/// document's structure and checks what a local caller can get wrong in its text.
pub fn parse_document(text: &str) -> DynamoResult<String> {
    let invalid = |what: &str| {
        DynamoError::validation(format!(
            "One or more parameter values were invalid: Invalid policy document: {what}"
        ))
    };
    if text.len() > MAX_POLICY_BYTES {
        return Err(DynamoError::validation(format!(
            "One or more parameter values were invalid: Maximum policy size of {MAX_POLICY_BYTES} bytes exceeded"
        )));
    }
    let doc: Value =
        serde_json::from_str(text).map_err(|_| invalid("This policy contains invalid Json"))?;
    let Value::Object(members) = &doc else {
        return Err(invalid("This policy contains invalid Json"));
    };
    let statements: Vec<&Value> = match members.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    if statements.is_empty() {
        return Err(invalid("Could not parse the policy: Statement is empty!"));
    }
    for statement in statements {
        for field in ["Effect", "Principal", "Action", "Resource"] {
            // Each of a pair is enough (NotAction for Action, NotResource, NotPrincipal).
            let negated = format!("Not{field}");
            if statement.get(field).is_none() && statement.get(&negated).is_none() {
                return Err(invalid(&format!("Missing required field {field}")));
            }
        }
        if grants_everyone(statement) {
            // Recorded with no "One or more parameter values" prefix.
            return Err(DynamoError::validation(
                "Resource-based policy grants unbounded access in one or more elements. Please revise the policy to ensure least-privilege form of access",
            ));
        }
    }
    // serde_json keeps the members' order (`preserve_order`), so this only drops whitespace.
    Ok(doc.to_string())
}

/// An unconditional Allow to `*` (or `{"AWS": "*"}`), which DynamoDB's guardrail refuses.
fn grants_everyone(statement: &Value) -> bool {
    let allow = statement
        .get("Effect")
        .and_then(Value::as_str)
        .is_some_and(|e| e.eq_ignore_ascii_case("allow"));
    let everyone = match statement.get("Principal") {
        Some(Value::String(p)) => p == "*",
        Some(Value::Object(p)) => p.get("AWS").and_then(Value::as_str) == Some("*"),
        _ => false,
    };
    allow && everyone && statement.get("Condition").is_none()
}

/// True if two stored documents are the same policy (a re-Put of it is a no-op that keeps the
/// revision id): equal as JSON, whatever the whitespace or member order.
pub fn same_document(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<Value>(a),
        serde_json::from_str::<Value>(b),
    ) {
        (Ok(a), Ok(b)) => same_value(&a, &b),
        _ => a == b,
    }
}

/// JSON equality that ignores the order of object members (`preserve_order` makes `==` see it).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, v)| b.get(k).is_some_and(|w| same_value(v, w)))
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(v, w)| same_value(v, w))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "dynamodb:GetItem",
        "Resource": "*"}]}"#;

    fn message(text: &str) -> String {
        match parse_document(text) {
            Err(DynamoError::Validation(m)) => m,
            other => panic!("expected a ValidationException, got {other:?}"),
        }
    }

    #[test]
    fn a_document_is_stored_without_whitespace_in_the_clients_order() {
        let stored = parse_document(DOC).unwrap();
        assert!(
            stored.starts_with(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","#),
            "{stored}"
        );
        assert!(same_document(DOC, &stored));
    }

    #[test]
    fn documents_dynamodb_refuses() {
        assert!(message("{not json").ends_with("This policy contains invalid Json"));
        assert!(message("").ends_with("This policy contains invalid Json"));
        assert!(message(r#"{"Version":"2012-10-17","Statement":[]}"#)
            .ends_with("Could not parse the policy: Statement is empty!"));
        let no_resource =
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"x"},"Action":"dynamodb:*"}]}"#;
        assert!(message(no_resource).ends_with("Missing required field Resource"));
        let everyone = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"dynamodb:*","Resource":"*"}]}"#;
        assert!(message(everyone).starts_with("Resource-based policy grants unbounded access"));
        let padded = format!("{DOC}{}", " ".repeat(MAX_POLICY_BYTES));
        assert_eq!(
            message(&padded),
            "One or more parameter values were invalid: Maximum policy size of 20480 bytes exceeded"
        );
    }

    #[test]
    fn revisions_are_epoch_milliseconds_that_only_grow() {
        assert_eq!(next_revision(1_700_000_000.5, None), "1700000000500");
        let previous = Policy {
            document: String::new(),
            revision_id: "1700000000500".into(),
        };
        assert_eq!(
            next_revision(1_700_000_000.5, Some(&previous)),
            "1700000000501"
        );
    }

    #[test]
    fn a_table_stored_before_policies_existed_loads_and_stores_as_it_was() {
        let old = serde_json::json!({
            "name": "t", "keys": {"hash": {"name": "pk", "kind": "S"}, "range": null},
            "attribute_definitions": [], "indexes": [], "billing_mode": "PAY_PER_REQUEST",
            "read_capacity": 0, "write_capacity": 0, "created": 0.0, "tags": [],
            "ttl_attribute": null, "stream": null, "table_id": "x"
        });
        let def: crate::table::TableDef = serde_json::from_value(old).unwrap();
        assert!(def.policies.is_empty());
        let stored = serde_json::to_value(&def).unwrap();
        assert!(stored.get("policies").is_none(), "{stored}");
    }

    #[test]
    fn member_order_and_whitespace_do_not_make_a_new_policy() {
        assert!(same_document(
            r#"{"a":1,"b":[1,2]}"#,
            r#"{ "b": [1, 2], "a": 1 }"#
        ));
        assert!(!same_document(r#"{"b":[2,1]}"#, r#"{"b":[1,2]}"#));
    }
}
