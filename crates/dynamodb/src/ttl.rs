//! Time to live: deletes items whose TTL attribute (a Number of epoch seconds) has passed.

use crate::attribute_value::AttributeValue;
use crate::number::Number;
use crate::state::State;
use crate::store::{StoreError, Write};

/// Rows read per storage round trip while sweeping.
const CHUNK: usize = 512;

/// Deletes expired items in every TTL-enabled table; returns the number deleted.
pub fn sweep(state: &mut State, now: f64) -> Result<usize, StoreError> {
    let now = Number::parse(&format!("{now:.3}")).unwrap_or_else(|_| Number::zero());
    let tables: Vec<(String, String)> = state
        .tables
        .values()
        .filter_map(|t| Some((t.name.clone(), t.ttl_attribute.clone()?)))
        .collect();
    let mut deleted = 0;
    for (table, attr) in tables {
        let mut after: Option<(Vec<u8>, Vec<u8>)> = None;
        let mut expired = Vec::new();
        loop {
            let rows = state.store.range(
                &table,
                None,
                after.as_ref().map(|(a, b)| (a.as_slice(), b.as_slice())),
                true,
                CHUNK,
            )?;
            let Some(last) = rows.last() else { break };
            after = Some((last.hk.clone(), last.rk.clone()));
            for row in &rows {
                // AWS: only Number attributes expire; other types are ignored.
                if let Some(AttributeValue::N(at)) = row.stored.decode()?.get(&attr) {
                    if *at <= now {
                        expired.push(Write::Expire {
                            table: table.clone(),
                            hk: row.hk.clone(),
                            rk: row.rk.clone(),
                        });
                    }
                }
            }
            if rows.len() < CHUNK {
                break;
            }
        }
        deleted += expired.len();
        state.store.apply(&expired)?;
    }
    Ok(deleted)
}
