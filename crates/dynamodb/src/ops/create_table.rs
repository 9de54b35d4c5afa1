//! CreateTable (tables are ACTIVE immediately) and `ensure_table` for template tables.

use serde_json::{json, Value};
use sluice_aws_env::AwsEnv;

use crate::protocol::{DynamoError, DynamoResult, Req};
use crate::state::State;
use crate::store::StoreError;
use crate::table::TableDef;
use crate::table_request::parse_create_table;
use crate::table_settings::PointInTimeRecovery;

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as f64 / 1000.0)
        .unwrap_or(0.0)
}

/// Parses a CreateTable request (`aws` names the encryption key ARNs).
pub fn parse(r: &Req, aws: &AwsEnv) -> DynamoResult<TableDef> {
    parse_create_table(r, now(), aws)
}

/// Creates the table; an existing name is ResourceInUseException.
pub fn apply(state: &mut State, def: TableDef) -> DynamoResult<Value> {
    if state.tables.contains_key(&def.name) {
        return Err(DynamoError::ResourceInUse(format!(
            "Table already exists: {}",
            def.name
        )));
    }
    state.store.put_table(&def)?;
    // AWS (recorded, LocalStack's create-table-result): CreateTable answers CREATING, and an
    // on-demand table's BillingModeSummary has no switch time yet. Sluice's table is ready at
    // once: DescribeTable (what waiters read) says ACTIVE.
    let mut desc = def.describe(&state.aws, 0, 0, "CREATING", &|_| (0, 0));
    if let Some(Value::Object(summary)) = desc.get_mut("BillingModeSummary") {
        summary.remove("LastUpdateToPayPerRequestDateTime");
    }
    state.tables.insert(def.name.clone(), def);
    Ok(json!({ "TableDescription": desc }))
}

/// What [`DynamoDb::ensure_table`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum EnsureOutcome {
    /// The table did not exist and was created.
    Created,
    /// The table exists with the same key schema and indexes.
    Unchanged,
    /// The table exists with a different schema; it is left as it is (data is never dropped silently).
    SchemaDiffers {
        /// Human-readable differences, for the startup report.
        differences: Vec<String>,
    },
}

/// Why a declared table (template or import) could not be ensured.
#[derive(Debug, thiserror::Error)]
pub enum EnsureTableError {
    /// CreateTable would reject the definition: the template's or the import file's fault.
    #[error("invalid definition of DynamoDB table {table}")]
    Invalid {
        /// The table's name (empty when the definition has none).
        table: String,
        /// DynamoDB's validation error.
        #[source]
        reason: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Storage failed: Sluice's fault.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a declared table sets beside its `CreateTable` request, as templates declare it on the
/// table resource while DynamoDB sets it with operations of its own.
#[derive(Debug, Clone, Copy, Default)]
pub struct Beside<'a> {
    /// The time-to-live attribute, when TTL is on (`UpdateTimeToLive`).
    pub ttl_attribute: Option<&'a str>,
    /// Point-in-time recovery's period in days, when on (`UpdateContinuousBackups`).
    pub point_in_time_recovery: Option<i64>,
}

/// Creates the table unless it exists, with what `beside` sets; reports how an existing table's
/// schema differs. An existing table gains the TTL, point-in-time recovery, resource policy and
/// stream the declaration adds.
pub fn ensure(
    state: &mut State,
    request: &Value,
    beside: Beside<'_>,
) -> Result<EnsureOutcome, EnsureTableError> {
    let table = request
        .get("TableName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let invalid = |reason: DynamoError| EnsureTableError::Invalid {
        table: table.clone(),
        reason: Box::new(reason),
    };
    let obj = request.as_object().ok_or_else(|| {
        invalid(DynamoError::Serialization(
            "the definition is not a JSON object".into(),
        ))
    })?;
    let mut def = parse(&Req(obj), &state.aws).map_err(invalid)?;
    // Not part of CreateTable on AWS: templates declare TTL and PITR on the table resource.
    let ttl = beside.ttl_attribute.map(String::from);
    def.ttl_attribute = ttl.clone();
    def.settings.point_in_time_recovery =
        beside
            .point_in_time_recovery
            .map(|recovery_period_days| PointInTimeRecovery {
                recovery_period_days,
            });
    if let Some(existing) = state.tables.get_mut(&def.name) {
        let mut changed = false;
        if existing.ttl_attribute.is_none() && ttl.is_some() {
            existing.ttl_attribute = ttl;
            changed = true;
        }
        if existing.settings.point_in_time_recovery.is_none()
            && def.settings.point_in_time_recovery.is_some()
        {
            existing.settings.point_in_time_recovery = def.settings.point_in_time_recovery.clone();
            changed = true;
        }
        if existing.policies.table.is_none() && def.policies.table.is_some() {
            existing.policies.table = def.policies.table.clone();
            changed = true;
        }
        // A stream the template adds is enabled, as CloudFormation would; a changed view type is
        // reported below instead (AWS needs the stream disabled and enabled again for that).
        if existing.stream_view_type().is_none() && def.stream_view_type().is_some() {
            existing.stream = def.stream.clone();
            existing.stream_label = def.stream_label.clone();
            changed = true;
        }
        if changed {
            let updated = existing.clone();
            state.store.put_table(&updated)?;
        }
    }
    let Some(existing) = state.tables.get(&def.name) else {
        state.store.put_table(&def)?;
        state.tables.insert(def.name.clone(), def);
        return Ok(EnsureOutcome::Created);
    };
    let mut differences = Vec::new();
    if existing.keys != def.keys {
        differences.push(format!(
            "key schema: existing {} vs template {}",
            existing.keys.to_json(),
            def.keys.to_json()
        ));
    }
    let names = |t: &TableDef| {
        let mut v: Vec<(String, Value)> = t
            .indexes
            .iter()
            .map(|i| (i.name.clone(), i.keys.to_json()))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    if names(existing) != names(&def) {
        differences.push(format!(
            "indexes: existing {:?} vs template {:?}",
            existing.indexes.iter().map(|i| &i.name).collect::<Vec<_>>(),
            def.indexes.iter().map(|i| &i.name).collect::<Vec<_>>()
        ));
    }
    if let (Some(a), Some(b)) = (existing.stream_view_type(), def.stream_view_type()) {
        if a != b {
            differences.push(format!("stream view type: existing {a} vs template {b}"));
        }
    }
    if existing.billing_mode != def.billing_mode {
        differences.push(format!(
            "billing mode: existing {} vs template {}",
            existing.billing_mode, def.billing_mode
        ));
    }
    Ok(if differences.is_empty() {
        EnsureOutcome::Unchanged
    } else {
        EnsureOutcome::SchemaDiffers { differences }
    })
}
