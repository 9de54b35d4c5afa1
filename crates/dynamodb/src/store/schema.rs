//! The SQLite file's layout: the marks that tell Sluice's file from another program's, the tables and
//! indexes, and the one upgrade from an older layout.

use std::path::Path;

use rusqlite::{params, Connection, Transaction};
use sluice_aws_env::AwsEnv;

use super::index::build_index;
use super::StoreError;
use crate::table::TableDef;

/// File name of the database inside a store directory.
pub const DB_FILE: &str = "dynamodb.sqlite3";
/// SQLite `application_id` marking a file as Sluice's ("SLDB"), so a foreign database is refused.
const APPLICATION_ID: i32 = 0x534c_4442;
/// `PRAGMA user_version` of the current layout. 1: secondary indexes are stored in `idx`; a file at
/// version 0 (older Sluice) gets its index entries built once when opened.
const SCHEMA_VERSION: i32 = 1;

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
         CREATE TABLE IF NOT EXISTS items(
             tbl TEXT NOT NULL, hk BLOB NOT NULL, rk BLOB NOT NULL,
             item TEXT NOT NULL, size INTEGER NOT NULL,
             PRIMARY KEY (tbl, hk, rk)) WITHOUT ROWID;
         CREATE TABLE IF NOT EXISTS idx(
             tbl TEXT NOT NULL, idx TEXT NOT NULL, ihk BLOB NOT NULL, irk BLOB NOT NULL,
             hk BLOB NOT NULL, rk BLOB NOT NULL,
             PRIMARY KEY (tbl, idx, ihk, irk, hk, rk)) WITHOUT ROWID;
         -- A write finds the entries of the item it replaces by the item's key.
         CREATE INDEX IF NOT EXISTS idx_by_item ON idx(tbl, hk, rk);
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
             updated REAL NOT NULL);"
    ))
    .map_err(corrupt)?;
    Ok(())
}

/// True when the file predates the current layout and needs [`upgrade`].
pub(super) fn needs_upgrade(conn: &Connection) -> Result<bool, StoreError> {
    let version: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    Ok(version < SCHEMA_VERSION)
}

/// Brings an older file to the current layout: builds the stored index entries of every table.
pub(super) fn upgrade(tx: &Transaction, defs: &[TableDef]) -> Result<(), StoreError> {
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
        for table in ["streams", "stream_records", "stream_checkpoints"] {
            tx.execute(
                &format!("UPDATE {table} SET arn = {renamed} WHERE {elsewhere}"),
                params![prefix],
            )?;
        }
        tx.commit()?;
    }
    Ok(())
}
