//! One module per DynamoDB operation (parse the request, then apply it) and the dispatcher.

pub mod backups;
pub mod batch;
pub mod capacity;
pub mod contributor_insights;
pub mod create_table;
pub mod delete_item;
pub mod get_item;
pub mod item_collection;
pub mod key_condition;
pub mod legacy;
pub mod partiql;
pub mod put_item;
pub mod query_scan;
pub mod request_rules;
pub mod resource_policy;
pub mod streams;
pub mod table_admin;
pub mod table_arn;
pub mod transact;
pub mod update_item;

use serde_json::{json, Map, Value};

use crate::protocol::DynamoResponse;
use crate::protocol::{
    encode_error, encode_ok, parse_body, DynamoError, DynamoResult, InternalCause, Reply, Req,
};
use crate::state::State;
use crate::store::StoreError;
use request_rules::Wording;

/// Storage failures are Sluice's fault: a 500 that keeps the failure as its source.
impl From<StoreError> for DynamoError {
    fn from(e: StoreError) -> Self {
        DynamoError::Internal(InternalCause::new(e))
    }
}

/// Runs one operation and encodes its result or error.
pub fn dispatch(state: &mut State, target: &str, body: &[u8]) -> DynamoResponse {
    let result = parse_body(body).and_then(|req| run(state, target, &req));
    match result {
        Ok(r) => encode_ok(r),
        Err(e) => encode_error(&e),
    }
}

/// DescribeEndpoints' answer naming `address` (`host[:port]`, no scheme), as DynamoDB names its
/// regional endpoint with a 1440-minute cache period (botocore's endpoint discovery keeps it that long).
pub fn describe_endpoints(address: &str) -> Value {
    json!({"Endpoints": [{"Address": address, "CachePeriodInMinutes": 1440}]})
}

fn run(state: &mut State, target: &str, req: &Map<String, Value>) -> DynamoResult<Reply> {
    let Some(resolved) = table_arn::resolve(&state.aws, target, req)? else {
        return run_named(state, target, req);
    };
    let reply = run_named(state, target, &resolved.request)?;
    Ok(match reply {
        Reply::Json(mut answer) if !resolved.batch_arns.is_empty() => {
            table_arn::rename_batch_answer(&mut answer, &resolved.batch_arns);
            Reply::Json(answer)
        }
        other => other,
    })
}

/// Runs an operation whose request names its tables by name.
fn run_named(state: &mut State, target: &str, req: &Map<String, Value>) -> DynamoResult<Reply> {
    let r = Req(req);
    // The reads that serve stored items write their responses as text.
    match target {
        "GetItem" => return get_item::apply(state, get_item::parse(&r)?),
        "Query" => return query_scan::apply(state, query_scan::parse(&r, true)?),
        "Scan" => return query_scan::apply(state, query_scan::parse(&r, false)?),
        "TagResource" => return table_admin::tag_resource(state, &r).map(|()| Reply::Empty),
        "UntagResource" => return table_admin::untag_resource(state, &r).map(|()| Reply::Empty),
        "DeleteResourcePolicy" => return resource_policy::delete(state, &r),
        _ => {}
    }
    let value = match target {
        "CreateTable" => create_table::apply(state, create_table::parse(&r, &state.aws)?),
        "DescribeTable" => table_admin::describe_table(state, &r),
        "ListTables" => table_admin::list_tables(state, &r),
        "DeleteTable" => table_admin::delete_table(state, &r),
        "UpdateTable" => table_admin::update_table(state, &r),
        "ListTagsOfResource" => table_admin::list_tags(state, &r),
        "DescribeTimeToLive" => table_admin::describe_ttl(state, &r),
        "UpdateTimeToLive" => table_admin::update_ttl(state, &r),
        "PutResourcePolicy" => resource_policy::put(state, &r, table_admin::now()),
        "GetResourcePolicy" => resource_policy::get(state, &r),
        "CreateBackup" => backups::create_backup(state, &r, table_admin::now()),
        "DescribeBackup" => backups::describe_backup(state, &r),
        "DeleteBackup" => backups::delete_backup(state, &r),
        "ListBackups" => backups::list_backups(state, &r),
        "RestoreTableFromBackup" => {
            backups::restore_table_from_backup(state, &r, table_admin::now())
        }
        "RestoreTableToPointInTime" => {
            backups::restore_table_to_point_in_time(state, &r, table_admin::now())
        }
        "DescribeContributorInsights" => contributor_insights::describe(state, &r),
        "UpdateContributorInsights" => contributor_insights::update(state, &r, table_admin::now()),
        "ListContributorInsights" => contributor_insights::list(state, &r),
        "DescribeContinuousBackups" => {
            backups::describe_continuous_backups(state, &r, table_admin::now())
        }
        "UpdateContinuousBackups" => {
            backups::update_continuous_backups(state, &r, table_admin::now())
        }
        // Callers that know the address the client used answer with it
        // (`DynamoDb::describe_endpoints`); in-process callers have none, so they get AWS's own.
        "DescribeEndpoints" => Ok(describe_endpoints(&format!(
            "dynamodb.{}.{}",
            state.aws.region,
            state.aws.url_suffix()
        ))),
        "DescribeLimits" => Ok(
            json!({"AccountMaxReadCapacityUnits": 80000, "AccountMaxWriteCapacityUnits": 80000,
            "TableMaxReadCapacityUnits": 40000, "TableMaxWriteCapacityUnits": 40000}),
        ),
        "PutItem" => put_item::apply(state, put_item::parse(&r, Wording::Standalone)?),
        "DeleteItem" => delete_item::apply(state, delete_item::parse(&r, Wording::Standalone)?),
        "UpdateItem" => update_item::apply(state, update_item::parse(&r, Wording::Standalone)?),
        "BatchWriteItem" => batch::write(state, &r),
        "BatchGetItem" => batch::get(state, &r),
        "TransactWriteItems" => transact::write(state, &r),
        "TransactGetItems" => transact::get(state, &r),
        "ExecuteStatement" => partiql::execute_statement(state, &r),
        "BatchExecuteStatement" => partiql::batch_execute_statement(state, &r),
        "ExecuteTransaction" => partiql::execute_transaction(state, &r),
        _ => Err(DynamoError::UnknownOperation),
    };
    value.map(Reply::Json)
}
