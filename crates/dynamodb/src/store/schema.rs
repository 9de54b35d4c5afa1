//! The SQLite file's layout: the marks that tell Sluice's file from another program's, the tables and
//! indexes, and the upgrades from older layouts (versioned by `PRAGMA user_version`).

use std::path::Path;

use rusqlite::{params, Connection, Transaction};
use sluice_aws_env::AwsEnv;

use super::index::build_index;
use super::StoreError;
use crate::key_codec::partition_hash;
use crate::table::TableDef;

/// File name of the database inside a store directory.
pub const DB_FILE: &str = "dynamodb.sqlite3";
/// SQLite `application_id` marking a file as Sluice's ("SLDB"), so a foreign database is refused.
const APPLICATION_ID: i32 = 0x534c_4442;
/// `PRAGMA user_version` of the current layout. 1: secondary indexes are stored in `idx`. 2: items
/// and index entries are keyed first by the partition hash (`ph`, `iph`:
/// [`crate::key_codec::partition_hash`]), so scans come back in partition order as DynamoDB's do.
/// An older file is upgraded in place, in one transaction, when opened ([`upgrade`]).
const SCHEMA_VERSION: i32 = 2;

/// The items, in scan order: table, partition hash, partition key, sort key.
const ITEMS_DDL: &str = "CREATE TABLE IF NOT EXISTS items(
    tbl TEXT NOT NULL, ph BLOB NOT NULL, hk BLOB NOT NULL, rk BLOB NOT NULL,
    item TEXT NOT NULL, size INTEGER NOT NULL,
    PRIMARY KEY (tbl, ph, hk, rk)) WITHOUT ROWID;";

/// Secondary index entries in index scan order (index partition hash first); `ph` finds the item.
const IDX_DDL: &str = "CREATE TABLE IF NOT EXISTS idx(
    tbl TEXT NOT NULL, idx TEXT NOT NULL, iph BLOB NOT NULL, ihk BLOB NOT NULL, irk BLOB NOT NULL,
    ph BLOB NOT NULL, hk BLOB NOT NULL, rk BLOB NOT NULL,
    PRIMARY KEY (tbl, idx, iph, ihk, irk, hk, rk)) WITHOUT ROWID;
    -- A write finds the entries of the item it replaces by the item's key.
    CREATE INDEX IF NOT EXISTS idx_by_item ON idx(tbl, hk, rk);";

/// Refuses a damaged or foreign file, then creates whatever part of the layout is missing.
pub(super) fn prepare(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let corrupt = |source| StoreError::Corrupt {
        path: path.to_path_buf(),
        source,
    };
    // The first real read is where SQLite notices a non-database file.
    let app_id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(corrupt)?;
    let existing: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(corrupt)?;
    if existing > 0 && app_id != APPLICATION_ID {
        return Err(StoreError::Foreign {
            path: path.to_path_buf(),
            found: app_id,
        });
    }
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(corrupt)?;
    if check != "ok" {
        return Err(StoreError::Damaged {
            path: path.to_path_buf(),
            report: check,
        });
    }
    conn.execute_batch(&format!(
        "PRAGMA journal_mode=WAL;
         PRAGMA synchronous=NORMAL;
         PRAGMA application_id={APPLICATION_ID};
         CREATE TABLE IF NOT EXISTS tables(name TEXT PRIMARY KEY, def TEXT NOT NULL);
         {ITEMS_DDL}
         {IDX_DDL}
         CREATE TABLE IF NOT EXISTS streams(
             arn TEXT PRIMARY KEY, tbl TEXT NOT NULL, label TEXT NOT NULL, view_type TEXT NOT NULL,
             keys TEXT NOT NULL, created REAL NOT NULL, enabled INTEGER NOT NULL);
         -- AUTOINCREMENT: sequence numbers are never reused, even after trimming.
         CREATE TABLE IF NOT EXISTS stream_records(
             seq INTEGER PRIMARY KEY AUTOINCREMENT, arn TEXT NOT NULL,
             created REAL NOT NULL, record TEXT NOT NULL);
         CREATE INDEX IF NOT EXISTS stream_records_by_arn ON stream_records(arn, seq);
         CREATE INDEX IF NOT EXISTS stream_records_by_age ON stream_records(created);
         -- Where each event source mapping has read its stream to. Created when missing, so a
         -- file from an older Sluice gains it on open with its data untouched.
         CREATE TABLE IF NOT EXISTS stream_checkpoints(
             mapping TEXT PRIMARY KEY, arn TEXT NOT NULL, sequence TEXT NOT NULL,
             updated REAL NOT NULL);
         -- Where each mapping has read each shard to: a remote stream has many shards, read side
         -- by side; a missing row means the shard is read from its start. `stream_checkpoints`
         -- (one row a mapping) is what older Sluices wrote; pollers turn it into these rows.
         CREATE TABLE IF NOT EXISTS stream_shard_checkpoints(
             mapping TEXT NOT NULL, arn TEXT NOT NULL, shard TEXT NOT NULL, sequence TEXT,
             finished INTEGER NOT NULL, updated REAL NOT NULL,
             PRIMARY KEY (mapping, arn, shard)) WITHOUT ROWID;
         -- On-demand backups (created when missing, so older files gain them on open): the record
         -- (with the table's definition) and a copy of the table's items, in scan order.
         CREATE TABLE IF NOT EXISTS backups(
             id TEXT PRIMARY KEY, created REAL NOT NULL, info TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS backup_items(
             backup TEXT NOT NULL, ph BLOB NOT NULL, hk BLOB NOT NULL, rk BLOB NOT NULL,
             item TEXT NOT NULL, size INTEGER NOT NULL,
             PRIMARY KEY (backup, ph, hk, rk)) WITHOUT ROWID;"
    ))
    .map_err(corrupt)?;
    Ok(())
}

/// The layout version of the file, when it predates the current one and needs [`upgrade`].
pub(super) fn needs_upgrade(conn: &Connection) -> Result<Option<i32>, StoreError> {
    let version: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    Ok((version < SCHEMA_VERSION).then_some(version))
}

/// Brings a file at layout `from` to the current one, inside the caller's transaction (a crash
/// leaves the old layout whole): items get their partition hash, and every index is rebuilt.
pub(super) fn upgrade(tx: &Transaction, from: i32, defs: &[TableDef]) -> Result<(), StoreError> {
    // `items` of a file before version 2 lacks `ph` and is keyed (tbl, hk, rk); a new file that
    // never had items has the new layout already (prepare made it), so look at the columns.
    let has_ph: bool = tx.query_row(
        "SELECT count(*) FROM pragma_table_info('items') WHERE name = 'ph'",
        [],
        |r| r.get::<_, i64>(0).map(|n| n > 0),
    )?;
    if from < 2 && !has_ph {
        tx.execute_batch(&format!(
            "ALTER TABLE items RENAME TO items_v1;
             {ITEMS_DDL}
             DROP TABLE IF EXISTS idx;
             {IDX_DDL}"
        ))?;
        {
            let mut read = tx.prepare("SELECT tbl, hk, rk, item, size FROM items_v1")?;
            let mut write = tx.prepare(
                "INSERT INTO items(tbl, ph, hk, rk, item, size) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut rows = read.query([])?;
            while let Some(row) = rows.next()? {
                let hk: Vec<u8> = row.get(1)?;
                write.execute(params![
                    row.get::<_, String>(0)?,
                    partition_hash(&hk).as_slice(),
                    hk,
                    row.get::<_, Vec<u8>>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, i64>(4)?,
                ])?;
            }
        }
        tx.execute_batch("DROP TABLE items_v1")?;
    }
    for def in defs {
        for i in &def.indexes {
            build_index(tx, &def.name, &i.name, &i.keys)?;
        }
    }
    tx.execute_batch(&format!("PRAGMA user_version={SCHEMA_VERSION}"))?;
    Ok(())
}

/// Stream ARNs are stored (they key the records), but name the region and account the file was last
/// opened in. Reopened under another `--region`, they are renamed to this one, so the table's
/// `LatestStreamArn` and its stream stay the same stream. Old records keep the `awsRegion` they were
/// written with.
pub(super) fn move_streams_to(conn: &mut Connection, aws: &AwsEnv) -> Result<(), StoreError> {
    let prefix = aws.table_arn("");
    // `…:table/<name>/stream/<label>`: keep what follows `:table/`, put the current prefix before it.
    let renamed = "?1 || substr(arn, instr(arn, ':table/') + 7)";
    let elsewhere = "instr(arn, ':table/') > 0 AND substr(arn, 1, length(?1)) <> ?1";
    let stale: i64 = conn.query_row(
        &format!("SELECT count(*) FROM streams WHERE {elsewhere}"),
        params![prefix],
        |r| r.get(0),
    )?;
    if stale > 0 {
        let tx = conn.transaction()?;
        for table in [
            "streams",
            "stream_records",
            "stream_checkpoints",
            "stream_shard_checkpoints",
        ] {
            tx.execute(
                &format!("UPDATE {table} SET arn = {renamed} WHERE {elsewhere}"),
                params![prefix],
            )?;
        }
        tx.commit()?;
    }
    Ok(())
}
