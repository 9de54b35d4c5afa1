//! On-demand backups as stored: a `backups` row per backup (its record as JSON) and a copy of the
//! table's items in `backup_items`, kept in scan order so a restore copies them as they are.

use rusqlite::{params, Connection, Transaction};

use super::{RestoreSource, StoreError};
use crate::table_backup::BackupRecord;

/// Records `backup` and copies its table's items, in one transaction.
pub(super) fn put(conn: &mut Connection, backup: &BackupRecord) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    tx.execute(
        "INSERT INTO backups(id, created, info) VALUES (?1, ?2, ?3)",
        params![backup.id, backup.created, serde_json::to_string(backup)?],
    )?;
    tx.execute(
        "INSERT INTO backup_items(backup, ph, hk, rk, item, size) \
         SELECT ?1, ph, hk, rk, item, size FROM items WHERE tbl = ?2",
        params![backup.id, backup.source.name],
    )?;
    tx.commit()?;
    Ok(())
}

/// Every backup, oldest first.
pub(super) fn all(conn: &Connection) -> Result<Vec<BackupRecord>, StoreError> {
    let mut stmt = conn.prepare("SELECT info FROM backups ORDER BY created, id")?;
    let infos = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for info in infos {
        out.push(serde_json::from_str(&info?)?);
    }
    Ok(out)
}

/// Drops a backup and its items.
pub(super) fn delete(conn: &mut Connection, id: &str) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM backup_items WHERE backup = ?1", params![id])?;
    tx.execute("DELETE FROM backups WHERE id = ?1", params![id])?;
    tx.commit()?;
    Ok(())
}

/// Copies the items of `from` into the table `table`, inside the caller's transaction.
pub(super) fn copy_items(
    tx: &Transaction,
    from: RestoreSource<'_>,
    table: &str,
) -> Result<(), StoreError> {
    let (copy, source) = match from {
        RestoreSource::Backup(id) => (
            "INSERT INTO items(tbl, ph, hk, rk, item, size) \
             SELECT ?1, ph, hk, rk, item, size FROM backup_items WHERE backup = ?2",
            id,
        ),
        RestoreSource::Table(name) => (
            "INSERT INTO items(tbl, ph, hk, rk, item, size) \
             SELECT ?1, ph, hk, rk, item, size FROM items WHERE tbl = ?2",
            name,
        ),
    };
    tx.execute(copy, params![table, source])?;
    Ok(())
}
