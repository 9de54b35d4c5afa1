//! Secondary indexes as stored: one `idx` row per indexed item, kept in step with each write and
//! built from the items when an index is added (or an old file is upgraded).

use rusqlite::{params, Transaction};

use super::{decode_item, StoreError};
use crate::attribute_value::Item;
use crate::key_codec::partition_hash;
use crate::table::{KeySchema, TableDef};

/// The index key schemas of a table, cached so a write can maintain them without the catalogue.
pub(super) type IndexKeys = Vec<(String, KeySchema)>;

pub(super) fn index_keys(def: &TableDef) -> IndexKeys {
    def.indexes
        .iter()
        .map(|i| (i.name.clone(), i.keys.clone()))
        .collect()
}

/// Writes the index entries of one item (sparse: an item lacking an index key is not in that index).
pub(super) fn insert_index_entries(
    tx: &Transaction,
    table: &str,
    indexes: &IndexKeys,
    hk: &[u8],
    rk: &[u8],
    item: &Item,
) -> Result<(), StoreError> {
    for (name, keys) in indexes {
        if let Some((ihk, irk)) = keys.encode_sparse(item) {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO idx(tbl, idx, iph, ihk, irk, ph, hk, rk) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                table,
                name,
                partition_hash(&ihk).as_slice(),
                ihk,
                irk,
                partition_hash(hk).as_slice(),
                hk,
                rk
            ])?;
        }
    }
    Ok(())
}

/// Fills one index from the table's items (a GSI added by UpdateTable, or an old file's indexes).
pub(super) fn build_index(
    tx: &Transaction,
    table: &str,
    name: &str,
    keys: &KeySchema,
) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM idx WHERE tbl = ?1 AND idx = ?2",
        params![table, name],
    )?;
    let mut stmt = tx.prepare("SELECT hk, rk, item FROM items WHERE tbl = ?1")?;
    let mut rows = stmt.query(params![table])?;
    let single = vec![(name.to_string(), keys.clone())];
    while let Some(row) = rows.next()? {
        let hk: Vec<u8> = row.get(0)?;
        let rk: Vec<u8> = row.get(1)?;
        let item = decode_item(&row.get::<_, String>(2)?)?;
        insert_index_entries(tx, table, &single, &hk, &rk, &item)?;
    }
    Ok(())
}
