//! DescribeContributorInsights, UpdateContributorInsights and ListContributorInsights: the status
//! of CloudWatch Contributor Insights on a table or its global secondary indexes. Shapes from
//! botocore's model; behaviour and words as ack-api-quirks recorded them against DynamoDB
//! (DDB-TABLE-090/092/098/116). AWS: CloudWatch rules count the most accessed and throttled keys;
//! Sluice reports the status and the rules' names, and counts nothing.

use serde_json::{json, Map, Value};

use super::request_rules::table_name;
use crate::member_constraints::check_enums;
use crate::protocol::{null_error, DynamoError, DynamoResult, Req};
use crate::state::State;
use crate::table::TableDef;
use crate::table_settings::ContributorInsights;

/// The mode an ENABLE without one sets (recorded: omitting it reverts to this one).
const DEFAULT_MODE: &str = "ACCESSED_AND_THROTTLED_KEYS";
const MODES: (&str, &[&str]) = (
    "ContributorInsightsMode",
    &["ACCESSED_AND_THROTTLED_KEYS", "THROTTLED_KEYS"],
);

fn table_not_found(name: &str) -> DynamoError {
    DynamoError::ResourceNotFound(format!(
        "Requested resource not found: Table: {name} not found"
    ))
}

/// The table and the `IndexName` the request names (a global secondary index), `""` for none.
fn target<'a>(state: &'a State, r: &Req<'a>) -> DynamoResult<(&'a TableDef, &'a str)> {
    let name = table_name(r)?;
    let def = state
        .tables
        .get(name)
        .ok_or_else(|| table_not_found(name))?;
    let index = r.opt_str("IndexName")?.unwrap_or("");
    if !index.is_empty() && !def.indexes.iter().any(|i| i.name == index && !i.local) {
        return Err(DynamoError::ResourceNotFound(format!(
            "Requested resource not found: Index: {index} not found for table: {name}"
        )));
    }
    Ok((def, index))
}

/// `ContributorInsightsRuleList`: DynamoDB's rule names, `DynamoDBContributorInsights-<kind>-
/// <table>[-<index>]-<enable time, ms>`; PKC/PKT for partition keys, SKC/SKT too with a sort key,
/// only the throttled ones (…T) in THROTTLED_KEYS mode (recorded, DDB-TABLE-092).
fn rules(def: &TableDef, index: &str, ci: &ContributorInsights) -> Vec<String> {
    let has_sort = if index.is_empty() {
        def.keys.range.is_some()
    } else {
        def.index(index).is_some_and(|i| i.keys.range.is_some())
    };
    let resource = if index.is_empty() {
        def.name.clone()
    } else {
        format!("{}-{index}", def.name)
    };
    let stamp = (ci.updated * 1000.0) as u64;
    let kinds: &[&str] = match (ci.mode.as_str(), has_sort) {
        ("THROTTLED_KEYS", false) => &["PKT"],
        ("THROTTLED_KEYS", true) => &["PKT", "SKT"],
        (_, false) => &["PKC", "PKT"],
        (_, true) => &["PKC", "PKT", "SKC", "SKT"],
    };
    kinds
        .iter()
        .map(|k| format!("DynamoDBContributorInsights-{k}-{resource}-{stamp}"))
        .collect()
}

/// DescribeContributorInsights. Recorded: a table without insights answers its name and DISABLED
/// only.
pub fn describe(state: &mut State, r: &Req) -> DynamoResult<Value> {
    let (def, index) = target(state, r)?;
    let mut answer = Map::new();
    answer.insert("TableName".into(), json!(def.name));
    if !index.is_empty() {
        answer.insert("IndexName".into(), json!(index));
    }
    match def.settings.contributor_insights.get(index) {
        None => {
            answer.insert("ContributorInsightsStatus".into(), json!("DISABLED"));
        }
        Some(ci) => {
            answer.insert(
                "ContributorInsightsRuleList".into(),
                json!(rules(def, index, ci)),
            );
            answer.insert("ContributorInsightsStatus".into(), json!("ENABLED"));
            answer.insert("LastUpdateDateTime".into(), json!(ci.updated));
            answer.insert("ContributorInsightsMode".into(), json!(ci.mode));
        }
    }
    Ok(Value::Object(answer))
}

/// UpdateContributorInsights: answers ENABLING or DISABLING, as DynamoDB does; Sluice's change
/// is done at once, so the next Describe says ENABLED or DISABLED.
pub fn update(state: &mut State, r: &Req, now: f64) -> DynamoResult<Value> {
    check_enums(
        r,
        &[("ContributorInsightsAction", &["ENABLE", "DISABLE"]), MODES],
    )?;
    let action = r
        .opt_str("ContributorInsightsAction")?
        .ok_or_else(|| null_error("contributorInsightsAction"))?;
    let mode = r.opt_str("ContributorInsightsMode")?;
    let (def, index) = target(state, r)?;
    let mut def = def.clone();
    let index = index.to_string();
    let status = if action == "ENABLE" {
        let ci = ContributorInsights {
            mode: mode.unwrap_or(DEFAULT_MODE).to_string(),
            updated: now,
        };
        def.settings.contributor_insights.insert(index.clone(), ci);
        "ENABLING"
    } else {
        def.settings.contributor_insights.remove(&index);
        "DISABLING"
    };
    let mut answer = Map::new();
    answer.insert("TableName".into(), json!(def.name));
    if !index.is_empty() {
        answer.insert("IndexName".into(), json!(index));
    }
    answer.insert("ContributorInsightsStatus".into(), json!(status));
    let echoed = if action == "ENABLE" {
        Some(mode.unwrap_or(DEFAULT_MODE))
    } else {
        mode
    };
    if let Some(m) = echoed {
        answer.insert("ContributorInsightsMode".into(), json!(m));
    }
    state.store.put_table(&def)?;
    state.tables.insert(def.name.clone(), def);
    Ok(Value::Object(answer))
}

/// ListContributorInsights: the tables and indexes with insights on (of one table, when named),
/// as the AWS CLI's documented example lists them. `NextToken` is the position to resume at.
pub fn list(state: &mut State, r: &Req) -> DynamoResult<Value> {
    let only = match r.opt_str("TableName")? {
        Some(_) => Some(target(state, r)?.0.name.clone()),
        None => None,
    };
    let max = r.opt_i64("MaxResults")?.unwrap_or(100);
    if !(0..=100).contains(&max) {
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{max}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100"
        )));
    }
    // 0 is allowed by the model (no minimum); it lists as the default page does.
    let max = if max == 0 { 100 } else { max as usize };
    let start = match r.opt_str("NextToken")? {
        None => 0,
        Some(t) => t
            .parse::<usize>()
            // Sluice's words: AWS's for a token it did not give were not recorded.
            .map_err(|_| DynamoError::validation("Invalid NextToken"))?,
    };
    let all: Vec<Value> = state
        .tables
        .values()
        .filter(|t| only.as_ref().is_none_or(|n| *n == t.name))
        .flat_map(|t| {
            t.settings.contributor_insights.iter().map(|(index, ci)| {
                let mut s = Map::new();
                s.insert("TableName".into(), json!(t.name));
                if !index.is_empty() {
                    s.insert("IndexName".into(), json!(index));
                }
                s.insert("ContributorInsightsStatus".into(), json!("ENABLED"));
                s.insert("ContributorInsightsMode".into(), json!(ci.mode));
                Value::Object(s)
            })
        })
        .collect();
    let page: Vec<Value> = all.iter().skip(start).take(max).cloned().collect();
    let mut answer = Map::new();
    answer.insert("ContributorInsightsSummaries".into(), Value::Array(page));
    if start + max < all.len() {
        answer.insert("NextToken".into(), json!((start + max).to_string()));
    }
    Ok(Value::Object(answer))
}
