//! `ReturnItemCollectionMetrics`: the size of the item collection (the items sharing a partition
//! key, plus what the local secondary indexes store of them) a write touched. DynamoDB reports it
//! only for tables with a local secondary index, since only those limit a collection's size.

use serde_json::{json, Value};

use crate::attribute_value::{item_size, item_to_json, Item};
use crate::protocol::{DynamoResult, Req};
use crate::store::Store;
use crate::table::TableDef;

/// Rows read per round trip while sizing a collection.
const CHUNK: usize = 256;
const BYTES_PER_GB: f64 = 1024.0 * 1024.0 * 1024.0;

/// True when the request asks for `ReturnItemCollectionMetrics: SIZE` (the enum is checked earlier).
pub fn wanted(r: &Req) -> DynamoResult<bool> {
    Ok(r.opt_str("ReturnItemCollectionMetrics")? == Some("SIZE"))
}

/// The `ItemCollectionMetrics` of the collection holding `key` (an item or its key, after the
/// write), or `None` when the table has no local secondary index.
pub fn metrics(
    store: &dyn Store,
    def: &TableDef,
    hk: &[u8],
    key: &Item,
) -> DynamoResult<Option<Value>> {
    let lsis: Vec<_> = def.indexes.iter().filter(|i| i.local).collect();
    if lsis.is_empty() {
        return Ok(None);
    }
    let mut bytes = 0usize;
    let mut after: Option<(Vec<u8>, Vec<u8>)> = None;
    loop {
        let rows = store.range(
            &def.name,
            Some(hk),
            after.as_ref().map(|(h, r)| (h.as_slice(), r.as_slice())),
            true,
            CHUNK,
        )?;
        for row in &rows {
            bytes += row.stored.size;
            let item = row.stored.decode()?;
            for lsi in &lsis {
                if lsi.keys.encode_sparse(&item).is_some() {
                    bytes += item_size(&lsi.project(&item, &def.keys));
                }
            }
        }
        match rows.last() {
            Some(last) if rows.len() == CHUNK => after = Some((last.hk.clone(), last.rk.clone())),
            _ => break,
        }
    }
    // AWS: a lower and an upper bound in GB, documented as a rough estimate; Sluice gives the whole
    // gigabytes below and above the collection's size.
    let low = (bytes as f64 / BYTES_PER_GB).floor();
    let partition: Item = key
        .iter()
        .filter(|(name, _)| def.keys.is_hash_attr(name))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(Some(json!({
        "ItemCollectionKey": item_to_json(&partition),
        "SizeEstimateRangeGB": [low, low + 1.0],
    })))
}

/// Adds `ItemCollectionMetrics` to a write response object when there are any.
pub fn insert(response: &mut Value, metrics: Option<Value>) {
    if let (Some(out), Some(m)) = (response.as_object_mut(), metrics) {
        out.insert("ItemCollectionMetrics".into(), m);
    }
}
