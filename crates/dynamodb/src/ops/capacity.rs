//! `ReturnConsumedCapacity`: the units an operation consumed, rounded as DynamoDB rounds them, and
//! their rendering as TOTAL or with the per-table and per-index breakdown of INDEXES.

use serde_json::{json, Map, Value};

use crate::attribute_value::{item_size, Item};
use crate::protocol::{DynamoError, DynamoResult, Req};
use crate::table::TableDef;

/// `ReturnConsumedCapacity` as asked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Capacity {
    /// Not returned.
    None,
    /// Total only.
    Total,
    /// Total plus per-table/index breakdown.
    Indexes,
}

impl Capacity {
    /// Reads `ReturnConsumedCapacity`.
    pub fn parse(r: &Req) -> DynamoResult<Capacity> {
        match r.opt_str("ReturnConsumedCapacity")? {
            None | Some("NONE") => Ok(Capacity::None),
            Some("TOTAL") => Ok(Capacity::Total),
            Some("INDEXES") => Ok(Capacity::Indexes),
            Some(other) => Err(DynamoError::validation(format!(
                "1 validation error detected: Value '{other}' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]"
            ))),
        }
    }

    /// Adds the transactions' `ConsumedCapacity` list (one entry per table), if asked for. AWS:
    /// only transactions split the units into `ReadCapacityUnits`/`WriteCapacityUnits`.
    pub fn insert_per_table(
        self,
        out: &mut Map<String, Value>,
        units: &[(String, f64)],
        read: bool,
    ) {
        let kind = if read {
            "ReadCapacityUnits"
        } else {
            "WriteCapacityUnits"
        };
        let caps: Vec<Value> = units
            .iter()
            .filter_map(|(table, u)| match self {
                Capacity::None => None,
                Capacity::Total => Some(json!({"TableName": table, "CapacityUnits": u, kind: u})),
                Capacity::Indexes => Some(json!({"TableName": table, "CapacityUnits": u, kind: u,
                    "Table": {"CapacityUnits": u, kind: u}})),
            })
            .collect();
        if !caps.is_empty() {
            out.insert("ConsumedCapacity".into(), Value::Array(caps));
        }
    }

    /// The `ConsumedCapacity` object for `units` on `table`, if asked for. AWS reports only the
    /// aggregate `CapacityUnits` outside transactions: no read/write split.
    pub fn render(self, table: &str, units: f64) -> Option<Value> {
        match self {
            Capacity::None => None,
            Capacity::Total => Some(json!({"TableName": table, "CapacityUnits": units})),
            Capacity::Indexes => Some(
                json!({"TableName": table, "CapacityUnits": units, "Table": {"CapacityUnits": units}}),
            ),
        }
    }

    /// The `ConsumedCapacity` of a read through an index: in `INDEXES` mode the index's units sit
    /// under `GlobalSecondaryIndexes` or `LocalSecondaryIndexes` and the table's part is what a
    /// local index read fetched from the table (`table_units`, else zero); the total sums both.
    pub fn render_index_read(
        self,
        table: &str,
        index: &str,
        local: bool,
        units: f64,
        table_units: f64,
    ) -> Option<Value> {
        let total = units + table_units;
        match self {
            Capacity::Indexes => {
                let group = if local {
                    "LocalSecondaryIndexes"
                } else {
                    "GlobalSecondaryIndexes"
                };
                Some(json!({"TableName": table, "CapacityUnits": total,
                    "Table": {"CapacityUnits": table_units}, group: {index: {"CapacityUnits": units}}}))
            }
            other => other.render(table, total),
        }
    }

    /// The `ConsumedCapacity` of the writes `w` made to `table`: the total, and under INDEXES the
    /// table's part and an arm for each index a write touched (none for untouched indexes).
    pub fn render_writes(self, table: &str, w: &WriteUnits) -> Option<Value> {
        let total = w.total();
        match self {
            Capacity::None => None,
            Capacity::Total => Some(json!({"TableName": table, "CapacityUnits": total})),
            Capacity::Indexes => {
                let mut out = json!({"TableName": table, "CapacityUnits": total,
                    "Table": {"CapacityUnits": w.table}});
                for (group, local) in [
                    ("GlobalSecondaryIndexes", false),
                    ("LocalSecondaryIndexes", true),
                ] {
                    let parts: Map<String, Value> = w
                        .indexes
                        .iter()
                        .filter(|(_, l, _)| *l == local)
                        .map(|(n, _, u)| (n.clone(), json!({"CapacityUnits": u})))
                        .collect();
                    if !parts.is_empty() {
                        out[group] = Value::Object(parts);
                    }
                }
                Some(out)
            }
        }
    }

    /// The `ConsumedCapacity` of a single-item write: the table's units plus each index's; INDEXES
    /// mode shows the parts.
    pub fn render_write(
        self,
        def: &TableDef,
        units: f64,
        old: Option<&Item>,
        new: Option<&Item>,
    ) -> Option<Value> {
        if self == Capacity::None {
            // Not asked for: the per-index accounting is skipped entirely.
            return None;
        }
        let mut w = WriteUnits::default();
        w.add(def, units, old, new);
        self.render_writes(&def.name, &w)
    }
}

/// The write units consumed on one table: the table's own and each touched index's.
#[derive(Debug, Default, Clone)]
pub struct WriteUnits {
    /// The table's own units.
    pub table: f64,
    /// (index name, is local, units) for each index some write touched.
    indexes: Vec<(String, bool, f64)>,
}

impl WriteUnits {
    /// Adds one item write of `units` table units and its index units (from the item before and after).
    pub fn add(&mut self, def: &TableDef, units: f64, old: Option<&Item>, new: Option<&Item>) {
        self.table += units;
        if def.indexes.is_empty() {
            return;
        }
        for (name, local, u) in index_write_units(def, old, new) {
            match self.indexes.iter_mut().find(|(n, _, _)| *n == name) {
                Some(entry) => entry.2 += u,
                None => self.indexes.push((name, local, u)),
            }
        }
    }

    /// The table's units plus every index's.
    pub fn total(&self) -> f64 {
        self.table + self.indexes.iter().map(|(_, _, u)| u).sum::<f64>()
    }
}

/// Write units for an item of `bytes` (1 KB each, at least one).
pub fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

/// Adds `units` to `table`'s total in a per-table list (the multi-table operations' report), in
/// the order tables are first met.
pub fn add_to_table(totals: &mut Vec<(String, f64)>, table: &str, units: f64) {
    match totals.iter_mut().find(|(t, _)| t == table) {
        Some((_, total)) => *total += units,
        None => totals.push((table.to_owned(), units)),
    }
}

/// Read units for `bytes` (4 KB each; eventually consistent reads cost half).
pub fn read_units(bytes: usize, consistent: bool) -> f64 {
    let u = bytes.div_ceil(4096).max(1) as f64;
    if consistent {
        u
    } else {
        u / 2.0
    }
}

/// Write units a single-item write costs each index of `def` (non-zero ones only): an item entering
/// or leaving an index costs its projected size there, a change of index key costs both, and a write
/// that leaves the index's copy unchanged costs nothing (DynamoDB's GSI write accounting).
fn index_write_units(
    def: &TableDef,
    old: Option<&Item>,
    new: Option<&Item>,
) -> Vec<(String, bool, f64)> {
    let mut out = Vec::new();
    for i in &def.indexes {
        let entry = |item: Option<&Item>| {
            let item = item?;
            let key = i.keys.encode_sparse(item)?;
            Some((key, i.project(item, &def.keys)))
        };
        let units = match (entry(old), entry(new)) {
            (None, None) => 0.0,
            (None, Some((_, n))) => write_units(item_size(&n)),
            (Some((_, o)), None) => write_units(item_size(&o)),
            (Some((ko, o)), Some((kn, n))) if ko != kn => {
                write_units(item_size(&o)) + write_units(item_size(&n))
            }
            (Some((_, o)), Some((_, n))) if o == n => 0.0,
            (Some((_, o)), Some((_, n))) => write_units(item_size(&o).max(item_size(&n))),
        };
        if units > 0.0 {
            out.push((i.name.clone(), i.local, units));
        }
    }
    out
}

/// The write units a single-item write costs `def`'s indexes in all.
pub fn index_write_total(def: &TableDef, old: Option<&Item>, new: Option<&Item>) -> f64 {
    if def.indexes.is_empty() {
        return 0.0;
    }
    index_write_units(def, old, new)
        .iter()
        .map(|(_, _, u)| u)
        .sum()
}
