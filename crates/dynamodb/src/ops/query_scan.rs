//! Query and Scan: one pagination engine (Limit, ExclusiveStartKey/LastEvaluatedKey, 1 MB pages,
//! filters, projection, Select COUNT, parallel scan segments) over the table or a secondary index.

use serde_json::{json, Value};

use super::capacity::{read_units, Capacity};
use super::key_condition::{key_condition, EncodedRange};
use super::legacy;
use super::request_rules::table_name;
use crate::attribute_value::{item_from_json, item_size, item_to_json, Item};
use crate::expression::{evaluate, parse_condition, project, Condition, ExprAttrs, Path};
use crate::key_codec::segment_of;
use crate::member_constraints::{Violations, RETURN_CONSUMED_CAPACITY, SELECT};
use crate::protocol::{DynamoError, DynamoResult, ObjectWriter, Reply, Req, VALIDATION_ENVELOPE};
use crate::state::State;
use crate::store::{StoreError, StoredItem};
use crate::table::{IndexDef, KeySchema, TableDef};

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
    /// How DynamoDB names the filter in messages: "Filter Expression" or "QueryFilter".
    pub filter_member: &'static str,
    /// Select ALL_ATTRIBUTES was asked for explicitly (refused on a GSI that projects less).
    pub select_all: bool,
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
    // DynamoDB's request model checks these members together, before any expression is parsed.
    let mut v = Violations::new();
    v.check_enum(r, SELECT)?;
    v.check_enum(r, RETURN_CONSUMED_CAPACITY)?;
    if is_query {
        v.check_min_unechoed(r.opt_i64("Limit")?, "Limit", 1);
    } else {
        v.check_range(r.opt_i64("Limit")?, "limit", 1, None);
    }
    if !is_query {
        v.check_range(r.opt_i64("Segment")?, "segment", 0, Some(999_999));
        v.check_range(
            r.opt_i64("TotalSegments")?,
            "totalSegments",
            1,
            Some(1_000_000),
        );
    }
    v.finish()?;
    legacy::no_mixed_parameters(r)?;
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
            // An empty KeyConditions names no partition key: refused, not a read of the whole
            // table (Alternator's test_query_missing_key; the words are dynalite's, which follows
            // DynamoDB's length check on this map).
            (None, Some(m)) if m.is_empty() => {
                return Err(DynamoError::validation(
                    "Conditions can be of length 1 or 2 only",
                ))
            }
            (None, Some(m)) => legacy::filter_map(m, false)?,
            (Some(_), Some(_)) => {
                return Err(legacy::mixed("KeyConditions", "KeyConditionExpression"))
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
    let index = r.opt_str("IndexName")?.map(String::from);
    let select = r.opt_str("Select")?;
    let projection_member = if r.opt_str("ProjectionExpression")?.is_some() {
        "ProjectionExpression"
    } else {
        "AttributesToGet"
    };
    // AWS: a Select value and a projection must agree before anything is read; these refusals
    // come in Coral's envelope (recorded 2025), though they name no member.
    let select_conflict = |what: &str| {
        DynamoError::validation(format!(
            "{VALIDATION_ENVELOPE}Cannot specify the {projection_member} when choosing to get {what}"
        ))
    };
    let count_only = match select {
        None => false,
        Some("ALL_ATTRIBUTES") if projection.is_some() => {
            return Err(select_conflict("ALL_ATTRIBUTES"))
        }
        Some("ALL_PROJECTED_ATTRIBUTES") if projection.is_some() => {
            return Err(select_conflict("ALL_PROJECTED_ATTRIBUTES"))
        }
        Some("ALL_PROJECTED_ATTRIBUTES") if index.is_none() => {
            return Err(DynamoError::validation(format!(
                "{VALIDATION_ENVELOPE}ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
            )))
        }
        Some("ALL_ATTRIBUTES") | Some("ALL_PROJECTED_ATTRIBUTES") => false,
        Some("SPECIFIC_ATTRIBUTES") if projection.is_none() => {
            return Err(DynamoError::validation(format!(
                "{VALIDATION_ENVELOPE}Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES",
            )))
        }
        Some("SPECIFIC_ATTRIBUTES") => false,
        Some("COUNT") => {
            if projection.is_some() {
                return Err(select_conflict("only the Count"));
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
        index,
        key_condition,
        filter_member: if r.opt_str("FilterExpression")?.is_some() {
            "Filter Expression"
        } else {
            "QueryFilter"
        },
        select_all: select == Some("ALL_ATTRIBUTES"),
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

/// AWS: a Query's filter may not constrain the keys it queries by (they belong in the key condition).
fn check_filter_keys(q: &QueryScan, keys: &KeySchema) -> DynamoResult<()> {
    let Some(filter) = q.filter.as_ref().filter(|_| q.is_query) else {
        return Ok(());
    };
    let mut named = Vec::new();
    filter.for_each_path(&mut |p| named.push(p.root().to_string()));
    for k in keys.names() {
        if named.iter().any(|n| n == k) {
            return Err(DynamoError::validation(format!(
                "{} can only contain non-primary key attributes: Primary key attribute: {k}",
                q.filter_member
            )));
        }
    }
    Ok(())
}

/// AWS: an ExclusiveStartKey holds exactly the key attributes of the table and the index read.
fn check_start_key(start: &Item, def: &TableDef, index: Option<&IndexDef>) -> DynamoResult<()> {
    let mut names = def.keys.names();
    if let Some(i) = index {
        names.extend(i.keys.names());
    }
    if start.keys().any(|k| !names.contains(&k.as_str())) {
        return Err(DynamoError::validation(
            "The provided starting key is invalid: The provided key element does not match the schema",
        ));
    }
    Ok(())
}

/// Position of a row in scan order: table (hk, rk), or index (ihk, irk, hk, rk).
type Pos = Vec<Vec<u8>>;

/// Applies a Query or Scan.
pub fn apply(state: &mut State, q: QueryScan) -> DynamoResult<Reply> {
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
    check_filter_keys(&q, keys)?;
    if let Some(i) = index.filter(|i| q.select_all && !i.local) {
        let projects = i.projection.get("ProjectionType").and_then(Value::as_str);
        if projects.unwrap_or("ALL") != "ALL" {
            return Err(DynamoError::validation(format!(
                "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index {} because its projection type is not ALL",
                i.name
            )));
        }
    }
    if let Some(k) = &q.start {
        check_start_key(k, def, index)?;
    }
    // AWS: a local index read that asks for attributes the index does not project fetches them
    // from the table (Select ALL_ATTRIBUTES, or a projection naming one); a global index cannot.
    let lsi_fetches_table = index.is_some_and(|i| {
        i.local
            && (q.select_all
                || q.projection
                    .as_ref()
                    .is_some_and(|paths| paths.iter().any(|p| !i.projects(p.root(), &def.keys))))
    });
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
    // AWS: a parallel Scan resumes only inside its own segment (Alternator's
    // test_scan_parallel_with_exclusive_start_key).
    if let (Some(start), Some((seg, total))) = (&start, q.segment) {
        if segment_of(&start[0], total) != seg {
            return Err(DynamoError::validation(
                "The provided Exclusive start key does not map to the provided Segment and TotalSegments values.",
            ));
        }
    }
    // AWS: a Query resumes only from a key its key condition admits, the sort key included
    // (Alternator's test_gsi_query_exclusivestartkey_wrong_partition: `p = :p AND x = :x` on an
    // index refuses a start key with another x). Checked once, on the start key alone.
    if let (Some(start), Some(k), Some(start_item)) = (&start, &kc, &q.start) {
        if start[0] != k.hash || k.range.as_ref().is_some_and(|r| !evaluate(r, start_item)) {
            return Err(DynamoError::validation(
                "The provided starting key is outside query boundaries based on provided conditions",
            ));
        }
    }
    // A table Query's sort-key condition is tested on the encoded key, so unfiltered reads decode
    // nothing; an index's (possibly multi-attribute) key is tested on the item.
    let encoded_range = match (&kc, index) {
        (Some(k), None) => k.range.as_ref().and_then(EncodedRange::of),
        _ => None,
    };
    // Items for the response, as JSON text: stored text when nothing is filtered out of them.
    let mut items: Vec<String> = Vec::new();
    let (mut count, mut scanned, mut bytes) = (0usize, 0usize, 0usize);
    // AWS: each item a local index read fetches from the table is a read of its own, rounded up
    // to 4 KB, and shows on the Table arm; the index arm pays for the projected entries.
    let mut fetched_units = 0.0;
    let mut last: Option<Item> = None;
    let mut cursor = start.clone();
    let mut more_possible = true;
    'pages: while more_possible {
        // Both the table and its indexes stream from SQLite in key order, a chunk at a time; a
        // Limit smaller than a chunk asks only for what it can use.
        let want = q
            .limit
            .map_or(CHUNK, |l| l.saturating_sub(scanned).clamp(1, CHUNK));
        let chunk: Vec<(Pos, Entry)> = match index {
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
                    .map(|r| {
                        let item = if lsi_fetches_table {
                            r.item
                        } else {
                            i.project(&r.item, &def.keys)
                        };
                        (r.pos, Entry::Decoded(item))
                    })
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
                    .map(|r| (vec![r.hk, r.rk], Entry::Stored(r.stored)))
                    .collect()
            }
        };
        let Some((last_pos, _)) = chunk.last() else {
            break;
        };
        // The chunk's last row is where the next chunk resumes, whether or not it matched.
        cursor = Some(last_pos.clone());
        for (pos, entry) in chunk {
            let mut decoded: Option<Item> = None;
            if let Some(k) = &kc {
                let in_range = match (&encoded_range, &k.range) {
                    (Some(r), _) => r.matches(&pos[1]),
                    (None, Some(c)) => evaluate(c, entry.item(&mut decoded)?),
                    (None, None) => true,
                };
                if !in_range {
                    continue;
                }
            }
            if let Some((seg, total)) = q.segment {
                if segment_of(&pos[0], total) != seg {
                    continue;
                }
            }
            scanned += 1;
            match index.filter(|_| lsi_fetches_table) {
                Some(i) => {
                    let item = entry.item(&mut decoded)?;
                    bytes += item_size(&i.project(item, &def.keys));
                    fetched_units += read_units(item_size(item), q.consistent);
                }
                None => bytes += entry.size(),
            }
            // A full page (Limit or 1 MB) returns LastEvaluatedKey so the client asks for more.
            let full = q.limit.is_some_and(|l| scanned >= l) || bytes >= PAGE_BYTES;
            let matched = match &q.filter {
                Some(f) => evaluate(f, entry.item(&mut decoded)?),
                None => true,
            };
            // The page's last item gives LastEvaluatedKey: keep it before its text moves out.
            if full {
                last = Some(entry.item(&mut decoded)?.clone());
            }
            if matched {
                count += 1;
                if !q.count_only {
                    items.push(match &q.projection {
                        Some(p) => item_to_json(&project(entry.item(&mut decoded)?, p)).to_string(),
                        None => entry.into_text(),
                    });
                }
            }
            if full {
                break 'pages;
            }
        }
    }
    let mut out =
        ObjectWriter::with_capacity(items.iter().map(|t| t.len() + 1).sum::<usize>() + 160);
    if !q.count_only {
        out.raw_array("Items", items.iter().map(String::as_str));
    }
    out.value("Count", &json!(count));
    out.value("ScannedCount", &json!(scanned));
    if let Some(item) = last {
        let mut key = def.key_of(&item);
        if let Some(i) = index {
            for n in i.keys.names() {
                if let Some(v) = item.get(n) {
                    key.insert(n.to_string(), v.clone());
                }
            }
        }
        out.value("LastEvaluatedKey", &item_to_json(&key));
    }
    let units = read_units(bytes, q.consistent);
    let consumed = match index {
        Some(i) => q
            .capacity
            .render_index_read(&q.table, &i.name, i.local, units, fetched_units),
        None => q.capacity.render(&q.table, units),
    };
    if let Some(c) = consumed {
        out.value("ConsumedCapacity", &c);
    }
    state.consumed.add(&q.table, units + fetched_units, 0.0);
    Ok(out.finish())
}

/// One row read: a table item as stored (decoded only if something needs its attributes) or an
/// index entry's item (decoded, since the index projects it).
enum Entry {
    Stored(StoredItem),
    Decoded(Item),
}

impl Entry {
    /// The item, decoded into `slot` on first use.
    fn item<'a>(&'a self, slot: &'a mut Option<Item>) -> Result<&'a Item, StoreError> {
        match self {
            Entry::Decoded(item) => Ok(item),
            Entry::Stored(stored) => match slot {
                Some(item) => Ok(item),
                None => Ok(slot.insert(stored.decode()?)),
            },
        }
    }

    /// The item's JSON text: the stored text itself, moved, when there is one.
    fn into_text(self) -> String {
        match self {
            Entry::Stored(stored) => stored.text,
            Entry::Decoded(item) => item_to_json(&item).to_string(),
        }
    }

    /// Size by DynamoDB's accounting: stored with the item, or of the projected index entry.
    fn size(&self) -> usize {
        match self {
            Entry::Stored(stored) => stored.size,
            Entry::Decoded(item) => item_size(item),
        }
    }
}
