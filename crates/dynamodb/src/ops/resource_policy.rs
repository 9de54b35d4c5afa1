//! PutResourcePolicy, GetResourcePolicy and DeleteResourcePolicy on a table or its stream.
//! Words and rules as moto's aws_verified tests (run against DynamoDB) and ack-api-quirks'
//! recordings (DDB-TABLE-205/211/212/213) show them. AWS applies a change after 1-3 s and throttles
//! a second change within 15 s; Sluice applies it at once and never throttles, as a local store
//! has no replicas to wait for.

use serde_json::{json, Value};

use crate::protocol::{DynamoError, DynamoResult, Reply, Req};
use crate::resource_policy::{next_revision, parse_document, same_document, Policy};
use crate::state::State;
use crate::table::TableDef;

/// `ExpectedRevisionId` meaning "only if no policy is attached".
const NO_POLICY: &str = "NO_POLICY";

/// The resource a `ResourceArn` names: a table, or the stream with this label of a table.
struct Target<'a> {
    arn: &'a str,
    table: String,
    stream: Option<String>,
}

impl Target<'_> {
    fn slot<'d>(&self, def: &'d TableDef) -> Option<&'d Policy> {
        match &self.stream {
            None => def.policies.table.as_ref(),
            Some(label) => def.policies.streams.get(label),
        }
    }

    fn set(&self, def: &mut TableDef, policy: Option<Policy>) {
        match (&self.stream, policy) {
            (None, p) => def.policies.table = p,
            (Some(label), Some(p)) => {
                def.policies.streams.insert(label.clone(), p);
            }
            (Some(label), None) => {
                def.policies.streams.remove(label);
            }
        }
    }

    fn not_found(&self) -> DynamoError {
        DynamoError::PolicyNotFound(format!(
            "Resource-based policy not found for the provided ResourceArn: {}",
            self.arn
        ))
    }
}

fn invalid(message: String) -> DynamoError {
    DynamoError::validation(format!(
        "One or more parameter values were invalid: {message}"
    ))
}

/// Reads `ResourceArn`: an ARN of a table of this account and region, or of its current stream.
fn target<'a>(state: &State, r: &Req<'a>) -> DynamoResult<Target<'a>> {
    let arn = r.str("ResourceArn")?;
    if !arn.starts_with("arn:") {
        return Err(invalid(format!("ARNs must start with 'arn:': {arn}")));
    }
    let fields: Vec<&str> = arn.splitn(6, ':').collect();
    let ["arn", partition, service, region, account, resource] = fields[..] else {
        return Err(invalid(format!("Invalid resource Arn: {arn}")));
    };
    if service == "dynamodb" && account != state.aws.account_id {
        return Err(DynamoError::validation(
            "This action is only supported by accounts that match the resource owner\u{2019}s account.",
        ));
    }
    if service != "dynamodb" || partition != state.aws.partition || region != state.aws.region {
        return Err(invalid(format!("Invalid resource Arn: {arn}")));
    }
    let Some(path) = resource.strip_prefix("table/") else {
        return Err(invalid(format!(
            "Provided Arn is not a DynamoDB resource arn: {arn}"
        )));
    };
    let parts: Vec<&str> = path.split('/').collect();
    let (table, stream) = match parts[..] {
        [table] => (table, None),
        [table, "stream", label] => (table, Some(label)),
        [_, "index", ..] => {
            return Err(invalid(format!(
                "Invalid resource arn provided, only table or stream is accepted. Provided resource arn: {arn}"
            )))
        }
        _ => {
            return Err(invalid(format!(
                "Provided Arn is not a DynamoDB resource arn: {arn}"
            )))
        }
    };
    let def = state.tables.get(table).ok_or_else(|| {
        DynamoError::ResourceNotFound(format!(
            "Requested resource not found: Table: {table} not found"
        ))
    })?;
    if let Some(label) = stream {
        if def.stream_label.as_deref() != Some(label) {
            return Err(DynamoError::ResourceNotFound(format!(
                "Requested resource not found: Stream: {label} not found for Table: {table}"
            )));
        }
    }
    Ok(Target {
        arn,
        table: table.to_string(),
        stream: stream.map(str::to_string),
    })
}

/// The refusal of a change that expected another revision than `current`'s.
fn check_expected(
    t: &Target,
    expected: Option<&str>,
    current: Option<&Policy>,
) -> DynamoResult<()> {
    let (Some(expected), Some(current)) = (expected, current) else {
        return match (expected, current) {
            // Documented: an expected revision with no policy attached is PolicyNotFoundException.
            (Some(e), None) if e != NO_POLICY => Err(t.not_found()),
            _ => Ok(()),
        };
    };
    let table = &t.table;
    let revision = &current.revision_id;
    if expected == NO_POLICY {
        return Err(DynamoError::PolicyNotFound(format!(
            "Resource-based policy not found for the provided ResourceArn: Requested policy update expecting none to be present for table {table}, but a policy exists with revision id {revision}."
        )));
    }
    if expected != revision {
        return Err(DynamoError::PolicyNotFound(format!(
            "Resource-based policy not found for the provided ResourceArn: Requested update for policy with revision id {expected}, but the policy associated to target table {table} has revision id {revision}."
        )));
    }
    Ok(())
}

/// PutResourcePolicy: attaches the document; the same document again keeps its revision.
/// `ConfirmRemoveSelfResourceAccess` is read and has no effect: AWS uses it to let a policy lock
/// the caller out, and Sluice enforces no policy.
pub fn put(state: &mut State, r: &Req, now: f64) -> DynamoResult<Value> {
    let t = target(state, r)?;
    let text = r.str("Policy")?;
    let expected = r.opt_str("ExpectedRevisionId")?;
    r.opt_bool("ConfirmRemoveSelfResourceAccess")?;
    let document = parse_document(text)?;
    let mut def = state.table(&t.table)?.clone();
    let current = t.slot(&def);
    check_expected(&t, expected, current)?;
    if let Some(p) = current.filter(|p| same_document(&p.document, &document)) {
        return Ok(json!({ "RevisionId": p.revision_id }));
    }
    let revision_id = next_revision(now, current);
    t.set(
        &mut def,
        Some(Policy {
            document,
            revision_id: revision_id.clone(),
        }),
    );
    state.store.put_table(&def)?;
    state.tables.insert(t.table, def);
    Ok(json!({ "RevisionId": revision_id }))
}

/// GetResourcePolicy.
pub fn get(state: &mut State, r: &Req) -> DynamoResult<Value> {
    let t = target(state, r)?;
    let def = state.table(&t.table)?;
    let p = t.slot(def).ok_or_else(|| t.not_found())?;
    Ok(json!({ "Policy": p.document, "RevisionId": p.revision_id }))
}

/// DeleteResourcePolicy: answers the removed policy's revision, and an empty body when there was
/// none (recorded: deleting from a table that never had a policy is an idempotent 200).
pub fn delete(state: &mut State, r: &Req) -> DynamoResult<Reply> {
    let t = target(state, r)?;
    let expected = r.opt_str("ExpectedRevisionId")?;
    let mut def = state.table(&t.table)?.clone();
    let current = t.slot(&def).cloned();
    check_expected(&t, expected, current.as_ref())?;
    let Some(removed) = current else {
        return Ok(Reply::Empty);
    };
    t.set(&mut def, None);
    state.store.put_table(&def)?;
    state.tables.insert(t.table, def);
    Ok(Reply::Json(json!({ "RevisionId": removed.revision_id })))
}
