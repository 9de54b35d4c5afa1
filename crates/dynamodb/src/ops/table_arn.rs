//! Table ARNs where a table name is expected. AWS: every operation but CreateTable takes a table's
//! name or its ARN in `TableName` (documented for each, e.g. Scan: "You can also provide the Amazon
//! Resource Name (ARN) of the table in this parameter"), and so do the keys of the batch
//! operations' `RequestItems`, whose answers name each table as the request did. The operations
//! see names only: this step rewrites the request before them and the batch answers after them.

use serde_json::{Map, Value};
use sluice_aws_env::AwsEnv;

use crate::protocol::{DynamoError, DynamoResult};

/// A request whose table ARNs were replaced by names, and the ARNs a batch named its tables by.
pub struct Resolved {
    /// The request, naming tables by name.
    pub request: Map<String, Value>,
    /// `(name, arn)` for each `RequestItems` key that was an ARN.
    pub batch_arns: Vec<(String, String)>,
}

/// The request with its table ARNs replaced by names; `None` when it names no table by ARN.
pub fn resolve(
    aws: &AwsEnv,
    target: &str,
    req: &Map<String, Value>,
) -> DynamoResult<Option<Resolved>> {
    if target == "CreateTable" || !names_an_arn(req) {
        return Ok(None);
    }
    let mut request = req.clone();
    let mut batch_arns = Vec::new();
    rename_table(aws, target, &mut request)?;
    if let Some(Value::Array(actions)) = request.get_mut("TransactItems") {
        for action in actions.iter_mut().filter_map(Value::as_object_mut) {
            for body in action.values_mut().filter_map(Value::as_object_mut) {
                rename_table(aws, target, body)?;
            }
        }
    }
    if let Some(Value::Object(items)) = request.get_mut("RequestItems") {
        let mut renamed = Map::new();
        for (key, value) in std::mem::take(items) {
            match table_of(aws, target, &key)? {
                Some(name) => {
                    batch_arns.push((name.to_string(), key.clone()));
                    renamed.insert(name.to_string(), value);
                }
                None => {
                    renamed.insert(key, value);
                }
            }
        }
        *items = renamed;
    }
    Ok(Some(Resolved {
        request,
        batch_arns,
    }))
}

/// Names each table of a batch answer (`Responses`, `UnprocessedKeys`, `UnprocessedItems`) as the
/// request did.
pub fn rename_batch_answer(answer: &mut Value, batch_arns: &[(String, String)]) {
    for member in ["Responses", "UnprocessedKeys", "UnprocessedItems"] {
        let Some(Value::Object(tables)) = answer.get_mut(member) else {
            continue;
        };
        for (name, arn) in batch_arns {
            if let Some(v) = tables.remove(name) {
                tables.insert(arn.clone(), v);
            }
        }
    }
}

/// A cheap look before cloning: does any table member hold an ARN?
fn names_an_arn(req: &Map<String, Value>) -> bool {
    let is_arn = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .is_some_and(|s| s.starts_with("arn:"))
    };
    is_arn(req.get("TableName"))
        || req
            .get("RequestItems")
            .and_then(Value::as_object)
            .is_some_and(|m| m.keys().any(|k| k.starts_with("arn:")))
        || req
            .get("TransactItems")
            .and_then(Value::as_array)
            .is_some_and(|a| {
                a.iter()
                    .filter_map(Value::as_object)
                    .flat_map(|action| action.values())
                    .any(|body| is_arn(body.get("TableName")))
            })
}

fn rename_table(aws: &AwsEnv, target: &str, body: &mut Map<String, Value>) -> DynamoResult<()> {
    let Some(Value::String(given)) = body.get("TableName") else {
        return Ok(());
    };
    if let Some(name) = table_of(aws, target, given)? {
        let name = name.to_string();
        body.insert("TableName".into(), Value::String(name));
    }
    Ok(())
}

/// The table a table ARN names, `None` for what is not a table ARN (left for the name rules to
/// refuse). A table of another account is refused by IAM before DynamoDB looks; one of another
/// region is not here.
fn table_of<'a>(aws: &AwsEnv, target: &str, given: &'a str) -> DynamoResult<Option<&'a str>> {
    let fields: Vec<&str> = given.splitn(6, ':').collect();
    let ["arn", partition, "dynamodb", region, account, resource] = fields[..] else {
        return Ok(None);
    };
    let Some(name) = resource.strip_prefix("table/").filter(|n| !n.contains('/')) else {
        return Ok(None);
    };
    if account != aws.account_id {
        return Err(not_authorized(aws, target, given));
    }
    if partition != aws.partition || region != aws.region {
        return Err(DynamoError::ResourceNotFound(
            "Requested resource not found".into(),
        ));
    }
    Ok(Some(name))
}

/// IAM's refusal of `action` on `arn`, a resource of another account (IAM ARNs name no region).
pub(crate) fn not_authorized(aws: &AwsEnv, action: &str, arn: &str) -> DynamoError {
    let (partition, caller) = (&aws.partition, &aws.account_id);
    DynamoError::AccessDenied(format!(
        "User: arn:{partition}:iam::{caller}:root is not authorized to perform: dynamodb:{action} on resource: {arn} because no resource-based policy allows the dynamodb:{action} action"
    ))
}
