//! Query and Scan: one pagination engine (Limit, ExclusiveStartKey/LastEvaluatedKey, 1 MB pages,
//! filters, projection, Select COUNT, parallel scan segments) over the table or a secondary index.

use serde_json::{json, Map, Value};

use super::{legacy, read_units, table_name, Capacity};
use crate::attribute_value::{item_from_json, item_size, item_to_json, Item};
use crate::expression::{evaluate, parse_condition, project, Condition, ExprAttrs, Path};
use crate::expression::{CmpOp, Operand};
use crate::key_codec;
use crate::protocol::{DynamoError, DynamoResult, Req};
use crate::state::State;
use crate::table::{KeySchema, TableDef};

/// DynamoDB stops a page after reading this much data.
const PAGE_BYTES: usize = 1024 * 1024;
/// Rows fetched from storage per round trip.
const CHUNK: usize = 256;

/// A parsed Query or Scan.
pub struct QueryScan {
    /// True for Query.
    pub is_query: bool,
    /// Table.
    pub table: String,
    /// Index, if any.
    pub index: Option<String>,
    /// KeyConditionExpression / KeyConditions (Query).
    pub key_condition: Option<Condition>,
    /// FilterExpression / ScanFilter / QueryFilter.
    pub filter: Option<Condition>,
    /// Projection.
    pub projection: Option<Vec<Path>>,
    /// Select COUNT?
    pub count_only: bool,
    /// Limit on items evaluated.
    pub limit: Option<usize>,
    /// ExclusiveStartKey.
    pub start: Option<Item>,
    /// ScanIndexForward.
    pub forward: bool,
    /// (Segment, TotalSegments).
    pub segment: Option<(u32, u32)>,
    /// ConsistentRead.
    pub consistent: bool,
    /// ReturnConsumedCapacity.
    pub capacity: Capacity,
}

/// Parses a Query (`is_query`) or Scan.
pub fn parse(r: &Req, is_query: bool) -> DynamoResult<QueryScan> {
    let table = table_name(r)?.to_string();
    let mut attrs = ExprAttrs::from_request(
        r,
        if is_query {
            &[
                "FilterExpression",
                "KeyConditionExpression",
                "ProjectionExpression",
            ]
        } else {
            &["FilterExpression", "ProjectionExpression"]
        },
    )?;
    let key_condition = if is_query {
        match (r.opt_str("KeyConditionExpression")?, r.opt_obj("KeyConditions")?) {
            (Some(e), None) => Some(parse_condition(e, "KeyConditionExpression", &mut attrs)?),
            (None, Some(m)) => legacy::filter_map(m, false)?,
            (Some(_), Some(_)) => {
                return Err(DynamoError::validation(
                    "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {KeyConditions} Expression parameters: {KeyConditionExpression}",
                ))
            }
            (None, None) => {
                return Err(DynamoError::validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."))
            }
        }
    } else {
        None
    };
    let filter = legacy::filter(
        r,
        &mut attrs,
        if is_query {
            "QueryFilter"
        } else {
            "ScanFilter"
        },
    )?;
    let projection = legacy::projection(r, &mut attrs)?;
    attrs.check_all_used()?;
    let count_only = match r.opt_str("Select")? {
        None | Some("ALL_ATTRIBUTES") | Some("ALL_PROJECTED_ATTRIBUTES") => false,
        Some("SPECIFIC_ATTRIBUTES") => false,
        Some("COUNT") => {
            if projection.is_some() {
                return Err(DynamoError::validation("Cannot specify the AttributesToGet when choosing to get only the Count"));
            }
            true
        }
        Some(other) => {
            return Err(DynamoError::validation(format!(
                "1 validation error detected: Value '{other}' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]"
            )))
        }
    };
    let limit = match r.opt_i64("Limit")? {
        Some(n) if n < 1 => {
            return Err(DynamoError::validation(format!(
                "1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
            )))
        }
        n => n.map(|n| n as usize),
    };
    let segment = match (r.opt_i64("Segment")?, r.opt_i64("TotalSegments")?) {
        (None, None) => None,
        (Some(s), Some(t)) => {
            if !(1..=1_000_000).contains(&t) {
                return Err(DynamoError::validation(format!(
                    "1 validation error detected: Value '{t}' at 'totalSegments' failed to satisfy constraint: Member must have value less than or equal to 1000000"
                )));
            }
            if s < 0 || s >= t {
                return Err(DynamoError::validation(format!(
                    "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {s} is not less than TotalSegments: {t}"
                )));
            }
            Some((s as u32, t as u32))
        }
        (Some(_), None) => return Err(DynamoError::validation("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")),
        (None, Some(_)) => return Err(DynamoError::validation("The Segment parameter is required but was not present in the request when parameter TotalSegments is present")),
    };
    Ok(QueryScan {
        is_query,
        table,
        index: r.opt_str("IndexName")?.map(String::from),
        key_condition,
        filter,
        projection,
        count_only,
        limit,
        start: r
            .opt_obj("ExclusiveStartKey")?
            .map(item_from_json)
            .transpose()?,
        forward: r.opt_bool("ScanIndexForward")?.unwrap_or(true),
        segment,
        consistent: r.opt_bool("ConsistentRead")?.unwrap_or(false),
        capacity: Capacity::parse(r)?,
    })
}

/// The key condition split into the hash value and an optional sort-key condition.
struct KeyCondition {
    hash: Vec<u8>,
    range: Option<Condition>,
}

fn split_and(c: &Condition, out: &mut Vec<Condition>) {
    match c {
        Condition::And(a, b) => {
            split_and(a, out);
            split_and(b, out);
        }
        other => out.push(other.clone()),
    }
}

fn key_path_name(o: &Operand) -> Option<&str> {
    match o {
        Operand::Path(p) if p.0.len() == 1 => Some(p.root()),
        _ => None,
    }
}

fn key_condition(cond: &Condition, keys: &KeySchema) -> DynamoResult<KeyCondition> {
    let unsupported = || DynamoError::validation("Query key condition not supported");
    let mut terms = Vec::new();
    split_and(cond, &mut terms);
    if terms.len() > 2 {
        return Err(DynamoError::validation(
            "Conditions can be of length 1 or 2 only",
        ));
    }
    let mut hash = None;
    let mut range = None;
    for t in terms {
        let (name, value) = match &t {
            Condition::Compare(a, op, Operand::Value(v)) => (
                key_path_name(a).ok_or_else(unsupported)?,
                Some((*op, v.clone())),
            ),
            Condition::Between(a, Operand::Value(_), Operand::Value(_))
            | Condition::BeginsWith(a, Operand::Value(_)) => {
                (key_path_name(a).ok_or_else(unsupported)?, None)
            }
            _ => return Err(unsupported()),
        };
        if name == keys.hash.name {
            match value {
                Some((CmpOp::Eq, v)) if hash.is_none() => {
                    if v.type_name() != keys.hash.kind {
                        return Err(DynamoError::validation("One or more parameter values were invalid: Condition parameter type does not match schema type"));
                    }
                    hash = key_codec::encode(&v);
                }
                _ => return Err(unsupported()),
            }
        } else if keys.range.as_ref().is_some_and(|r| r.name == name) && range.is_none() {
            if matches!(value, Some((CmpOp::Ne, _))) {
                return Err(DynamoError::validation(
                    "Unsupported operator on KeyConditionExpression: operator: <>",
                ));
            }
            range = Some(t.clone());
        } else {
            return Err(DynamoError::validation(format!(
                "Query condition missed key schema element: {}",
                if hash.is_none() {
                    &keys.hash.name
                } else {
                    name
                }
            )));
        }
    }
    let hash = hash.ok_or_else(|| {
        DynamoError::validation(format!(
            "Query condition missed key schema element: {}",
            keys.hash.name
        ))
    })?;
    Ok(KeyCondition { hash, range })
}

/// Position of a row in scan order: table (hk, rk), or index (ihk, irk, hk, rk).
type Pos = Vec<Vec<u8>>;

fn segment_of(hk: &[u8], total: u32) -> u32 {
    // FNV-1a: stable across runs, so a segment is the same set of items on every page.
    let mut h: u32 = 0x811c_9dc5;
    for b in hk {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h % total
}

/// Applies a Query or Scan.
pub fn apply(state: &mut State, q: QueryScan) -> DynamoResult<Value> {
    let def: &TableDef = state.table(&q.table)?;
    let index = match &q.index {
        Some(n) => Some(def.index(n).ok_or_else(|| {
            DynamoError::validation(format!("The table does not have the specified index: {n}"))
        })?),
        None => None,
    };
    if q.consistent && index.is_some_and(|i| !i.local) {
        return Err(DynamoError::validation(
            "Consistent reads are not supported on global secondary indexes",
        ));
    }
    let keys = index.map(|i| &i.keys).unwrap_or(&def.keys);
    let kc = match &q.key_condition {
        Some(c) => Some(key_condition(c, keys)?),
        None => None,
    };
    // Where to resume.
    let start: Option<Pos> = match &q.start {
        None => None,
        Some(k) => {
            let (hk, rk) = def.encode_key(k).map_err(|_| DynamoError::validation("The provided starting key is invalid: The provided key element does not match the schema"))?;
            match index {
                None => Some(vec![hk, rk]),
                Some(i) => {
                    let (ihk, irk) = i.keys.encode_sparse(k).ok_or_else(|| {
                        DynamoError::validation("The provided starting key is invalid")
                    })?;
                    Some(vec![ihk, irk, hk, rk])
                }
            }
        }
    };
    let mut items = Vec::new();
    let (mut count, mut scanned, mut bytes) = (0usize, 0usize, 0usize);
    let mut last: Option<Item> = None;
    let mut cursor = start.clone();
    let mut more_possible = true;
    'pages: while more_possible {
        // Both the table and its indexes stream from SQLite in key order, a chunk at a time; a
        // Limit smaller than a chunk asks only for what it can use (rows are decoded when read).
        let want = q
            .limit
            .map_or(CHUNK, |l| l.saturating_sub(scanned).clamp(1, CHUNK));
        let chunk: Vec<(Pos, Item)> = match index {
            Some(i) => {
                let rows = state.store.index_range(
                    &q.table,
                    &i.name,
                    kc.as_ref().map(|k| k.hash.as_slice()),
                    cursor.as_deref(),
                    q.forward || !q.is_query,
                    want,
                )?;
                more_possible = rows.len() == want;
                rows.into_iter()
                    .map(|r| (r.pos, i.project(&r.item, &def.keys)))
                    .collect()
            }
            None => {
                let hk = kc.as_ref().map(|k| k.hash.as_slice());
                let after = cursor.as_ref().map(|p| (p[0].as_slice(), p[1].as_slice()));
                let rows =
                    state
                        .store
                        .range(&q.table, hk, after, q.forward || !q.is_query, want)?;
                more_possible = rows.len() == want;
                rows.into_iter()
                    .map(|r| (vec![r.hk, r.rk], r.item))
                    .collect()
            }
        };
        if chunk.is_empty() {
            break;
        }
        for (pos, item) in chunk {
            cursor = Some(pos.clone());
            if let Some(k) = &kc {
                if k.range.as_ref().is_some_and(|c| !evaluate(c, &item)) {
                    continue;
                }
            }
            if let Some((seg, total)) = q.segment {
                if segment_of(&pos[0], total) != seg {
                    continue;
                }
            }
            scanned += 1;
            bytes += item_size(&item);
            if q.filter.as_ref().is_none_or(|f| evaluate(f, &item)) {
                count += 1;
                if !q.count_only {
                    items.push(match &q.projection {
                        Some(p) => project(&item, p),
                        None => item.clone(),
                    });
                }
            }
            // A full page (Limit or 1 MB) returns LastEvaluatedKey so the client asks for more.
            if q.limit.is_some_and(|l| scanned >= l) || bytes >= PAGE_BYTES {
                last = Some(item);
                break 'pages;
            }
        }
    }
    let mut out = Map::new();
    if !q.count_only {
        out.insert(
            "Items".into(),
            Value::Array(items.iter().map(item_to_json).collect()),
        );
    }
    out.insert("Count".into(), json!(count));
    out.insert("ScannedCount".into(), json!(scanned));
    if let Some(item) = last {
        let mut key = def.key_of(&item);
        if let Some(i) = index {
            for n in i.keys.names() {
                if let Some(v) = item.get(n) {
                    key.insert(n.to_string(), v.clone());
                }
            }
        }
        out.insert("LastEvaluatedKey".into(), item_to_json(&key));
    }
    if let Some(c) = q
        .capacity
        .render(&q.table, read_units(bytes, q.consistent), true)
    {
        out.insert("ConsumedCapacity".into(), c);
    }
    Ok(Value::Object(out))
}
