//! Durable storage behind a small `Store` trait; the SQLite implementation uses WAL with
//! `synchronous=FULL`, so a write acknowledged to a client survives `kill -9`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Transaction};

use crate::attribute_value::{item_from_value, item_to_json, Item};
use crate::table::{KeySchema, TableDef};

/// File name of the database inside a store directory.
pub const DB_FILE: &str = "dynamodb.sqlite3";
/// SQLite `application_id` marking a file as Sluice's ("SLDB"), so a foreign database is refused.
const APPLICATION_ID: i32 = 0x534c_4442;
/// `PRAGMA user_version` of the current layout. 1: secondary indexes are stored in `idx`; a file at
/// version 0 (older Sluice) gets its index entries built once when opened.
const SCHEMA_VERSION: i32 = 1;

/// Storage failures; these are Sluice's fault or the data file's, never the client's.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The directory could not be created.
    #[error("cannot create the DynamoDB data directory {path}: {source}")]
    CreateDir {
        /// Directory.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not a SQLite database or is damaged.
    #[error("the DynamoDB data file {path} is corrupted or not a database ({source}); move it away to start empty")]
    Corrupt {
        /// File.
        path: PathBuf,
        /// Cause.
        source: rusqlite::Error,
    },
    /// The file is a SQLite database that Sluice did not create.
    #[error("the DynamoDB data file {path} belongs to another program (application_id {found:#x}); move it away to start empty")]
    Foreign {
        /// File.
        path: PathBuf,
        /// The id found.
        found: i32,
    },
    /// A stored value could not be decoded.
    #[error("stored data is unreadable: {0}")]
    Decode(String),
    /// Any other SQLite failure.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A CreateTable request given to `ensure_table` is invalid.
    #[error("invalid table definition: {0}")]
    InvalidTable(String),
}

/// One stored row: encoded keys, the item and its size.
#[derive(Debug, Clone)]
pub struct Row {
    /// Encoded hash key.
    pub hk: Vec<u8>,
    /// Encoded range key (empty when the table has none).
    pub rk: Vec<u8>,
    /// The item.
    pub item: Item,
}

/// One write of an atomic batch.
#[derive(Debug, Clone)]
pub enum Write {
    /// Insert or replace.
    Put {
        /// Table.
        table: String,
        /// Hash key.
        hk: Vec<u8>,
        /// Range key.
        rk: Vec<u8>,
        /// Item.
        item: Item,
    },
    /// Delete if present.
    Delete {
        /// Table.
        table: String,
        /// Hash key.
        hk: Vec<u8>,
        /// Range key.
        rk: Vec<u8>,
    },
}

/// What the DynamoDB operations need from storage. Callers serialize access (one lock), so a
/// read-check-write sequence followed by [`Store::apply`] is atomic.
pub trait Store: Send {
    /// All table definitions.
    fn load_tables(&self) -> Result<Vec<TableDef>, StoreError>;
    /// Creates or replaces a table definition.
    fn put_table(&mut self, def: &TableDef) -> Result<(), StoreError>;
    /// Drops a table and its items.
    fn delete_table(&mut self, name: &str) -> Result<(), StoreError>;
    /// One item by key.
    fn get(&self, table: &str, hk: &[u8], rk: &[u8]) -> Result<Option<Item>, StoreError>;
    /// Up to `limit` rows in key order: within one hash key if `hk` is given, after `after` (exclusive),
    /// backwards if `!forward`.
    fn range(
        &self,
        table: &str,
        hk: Option<&[u8]>,
        after: Option<(&[u8], &[u8])>,
        forward: bool,
        limit: usize,
    ) -> Result<Vec<Row>, StoreError>;
    /// Up to `limit` entries of a secondary index in index order (index hash, index range, table hash,
    /// table range): within one index hash key if `ihk` is given, strictly after the position `after`
    /// (those four keys), backwards if `!forward`. Each comes with the full table item.
    fn index_range(
        &self,
        table: &str,
        index: &str,
        ihk: Option<&[u8]>,
        after: Option<&[Vec<u8>]>,
        forward: bool,
        limit: usize,
    ) -> Result<Vec<IndexRow>, StoreError>;
    /// Applies writes all-or-nothing, keeping every secondary index of the written tables in step.
    fn apply(&mut self, writes: &[Write]) -> Result<(), StoreError>;
    /// (item count, total bytes) of a table.
    fn stats(&self, table: &str) -> Result<(i64, i64), StoreError>;
    /// (item count, total bytes of the indexed items) of a secondary index.
    fn index_stats(&self, table: &str, index: &str) -> Result<(i64, i64), StoreError>;
}

/// One entry of a secondary index with the item it points at.
#[derive(Debug, Clone)]
pub struct IndexRow {
    /// Position in index order: index hash, index range, table hash, table range (encoded).
    pub pos: Vec<Vec<u8>>,
    /// The full table item.
    pub item: Item,
}

/// The index key schemas of a table, cached so a write can maintain them without the catalogue.
type IndexKeys = Vec<(String, KeySchema)>;

fn index_keys(def: &TableDef) -> IndexKeys {
    def.indexes
        .iter()
        .map(|i| (i.name.clone(), i.keys.clone()))
        .collect()
}

/// Writes the index entries of one item (sparse: an item lacking an index key is not in that index).
fn insert_index_entries(
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
                "INSERT OR REPLACE INTO idx(tbl, idx, ihk, irk, hk, rk) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![table, name, ihk, irk, hk, rk])?;
        }
    }
    Ok(())
}

/// Fills one index from the table's items (a GSI added by UpdateTable, or an old file's indexes).
fn build_index(
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

/// The SQLite store.
pub struct SqliteStore {
    conn: Connection,
    /// Index key schemas per table, mirrored from the stored definitions.
    indexes: HashMap<String, IndexKeys>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database in `dir`.
    pub fn open_dir(dir: &Path) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(DB_FILE);
        let conn = Connection::open(&path).map_err(|source| StoreError::Corrupt {
            path: path.clone(),
            source,
        })?;
        Self::init(conn, &path)
    }

    /// A throwaway in-memory database.
    pub fn open_in_memory() -> Result<SqliteStore, StoreError> {
        Self::init(Connection::open_in_memory()?, Path::new(":memory:"))
    }

    fn init(conn: Connection, path: &Path) -> Result<SqliteStore, StoreError> {
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
            return Err(StoreError::Decode(format!(
                "{}: integrity check failed: {check}",
                path.display()
            )));
        }
        conn.execute_batch(&format!(
            "PRAGMA journal_mode=WAL;
             PRAGMA synchronous=FULL;
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
             CREATE INDEX IF NOT EXISTS idx_by_item ON idx(tbl, hk, rk);"
        ))
        .map_err(corrupt)?;
        let mut store = SqliteStore {
            conn,
            indexes: HashMap::new(),
        };
        let defs = store.load_tables()?;
        let version: i32 = store
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version < SCHEMA_VERSION {
            let tx = store.conn.transaction()?;
            for def in &defs {
                for i in &def.indexes {
                    build_index(&tx, &def.name, &i.name, &i.keys)?;
                }
            }
            tx.execute_batch(&format!("PRAGMA user_version={SCHEMA_VERSION}"))?;
            tx.commit()?;
        }
        store.indexes = defs
            .iter()
            .map(|d| (d.name.clone(), index_keys(d)))
            .collect();
        Ok(store)
    }
}

fn decode_item(text: &str) -> Result<Item, StoreError> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| StoreError::Decode(e.to_string()))?;
    item_from_value(&v).map_err(|e| StoreError::Decode(e.to_string()))
}

impl Store for SqliteStore {
    fn load_tables(&self) -> Result<Vec<TableDef>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT def FROM tables ORDER BY name")?;
        let defs = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for d in defs {
            out.push(serde_json::from_str(&d?).map_err(|e| StoreError::Decode(e.to_string()))?);
        }
        Ok(out)
    }

    fn put_table(&mut self, def: &TableDef) -> Result<(), StoreError> {
        let text = serde_json::to_string(def).map_err(|e| StoreError::Decode(e.to_string()))?;
        let new = index_keys(def);
        let old = self.indexes.get(&def.name).cloned().unwrap_or_default();
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT OR REPLACE INTO tables(name, def) VALUES (?1, ?2)",
            params![def.name, text],
        )?;
        // Dropped (or redefined) indexes lose their entries; new ones are built from the items.
        for (name, keys) in &old {
            if !new.iter().any(|(n, k)| n == name && k == keys) {
                tx.execute(
                    "DELETE FROM idx WHERE tbl = ?1 AND idx = ?2",
                    params![def.name, name],
                )?;
            }
        }
        for (name, keys) in &new {
            if !old.iter().any(|(n, k)| n == name && k == keys) {
                build_index(&tx, &def.name, name, keys)?;
            }
        }
        tx.commit()?;
        self.indexes.insert(def.name.clone(), new);
        Ok(())
    }

    fn delete_table(&mut self, name: &str) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM items WHERE tbl = ?1", params![name])?;
        tx.execute("DELETE FROM idx WHERE tbl = ?1", params![name])?;
        tx.execute("DELETE FROM tables WHERE name = ?1", params![name])?;
        tx.commit()?;
        self.indexes.remove(name);
        Ok(())
    }

    fn get(&self, table: &str, hk: &[u8], rk: &[u8]) -> Result<Option<Item>, StoreError> {
        let text: Option<String> = self
            .conn
            .prepare_cached("SELECT item FROM items WHERE tbl = ?1 AND hk = ?2 AND rk = ?3")?
            .query_row(params![table, hk, rk], |r| r.get(0))
            .optional()?;
        text.map(|t| decode_item(&t)).transpose()
    }

    fn range(
        &self,
        table: &str,
        hk: Option<&[u8]>,
        after: Option<(&[u8], &[u8])>,
        forward: bool,
        limit: usize,
    ) -> Result<Vec<Row>, StoreError> {
        let (cmp, order) = if forward { (">", "ASC") } else { ("<", "DESC") };
        let limit = limit as i64;
        let sql = match (hk.is_some(), after.is_some()) {
            (true, true) => format!("SELECT hk, rk, item FROM items WHERE tbl = ?1 AND hk = ?2 AND rk {cmp} ?3 ORDER BY rk {order} LIMIT ?4"),
            (true, false) => format!("SELECT hk, rk, item FROM items WHERE tbl = ?1 AND hk = ?2 ORDER BY rk {order} LIMIT ?3"),
            (false, true) => format!("SELECT hk, rk, item FROM items WHERE tbl = ?1 AND (hk, rk) {cmp} (?2, ?3) ORDER BY hk {order}, rk {order} LIMIT ?4"),
            (false, false) => format!("SELECT hk, rk, item FROM items WHERE tbl = ?1 ORDER BY hk {order}, rk {order} LIMIT ?2"),
        };
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let map = |r: &rusqlite::Row| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, String>(2)?,
            ))
        };
        let rows: Vec<(Vec<u8>, Vec<u8>, String)> = match (hk, after) {
            (Some(h), Some((_, ark))) => stmt
                .query_map(params![table, h, ark, limit], map)?
                .collect::<Result<_, _>>()?,
            (Some(h), None) => stmt
                .query_map(params![table, h, limit], map)?
                .collect::<Result<_, _>>()?,
            (None, Some((ahk, ark))) => stmt
                .query_map(params![table, ahk, ark, limit], map)?
                .collect::<Result<_, _>>()?,
            (None, None) => stmt
                .query_map(params![table, limit], map)?
                .collect::<Result<_, _>>()?,
        };
        rows.into_iter()
            .map(|(hk, rk, t)| {
                Ok(Row {
                    hk,
                    rk,
                    item: decode_item(&t)?,
                })
            })
            .collect()
    }

    fn index_range(
        &self,
        table: &str,
        index: &str,
        ihk: Option<&[u8]>,
        after: Option<&[Vec<u8>]>,
        forward: bool,
        limit: usize,
    ) -> Result<Vec<IndexRow>, StoreError> {
        use rusqlite::types::Value as Sql;
        let (cmp, order) = if forward { (">", "ASC") } else { ("<", "DESC") };
        let mut args: Vec<Sql> = vec![Sql::Text(table.into()), Sql::Text(index.into())];
        let mut sql = String::from(
            "SELECT i.ihk, i.irk, i.hk, i.rk, it.item FROM idx i \
             CROSS JOIN items it ON it.tbl = i.tbl AND it.hk = i.hk AND it.rk = i.rk \
             WHERE i.tbl = ?1 AND i.idx = ?2",
        );
        // Within one index hash key the position is (irk, hk, rk); across the index, all four.
        let cols: &[&str] = match ihk {
            Some(h) => {
                args.push(Sql::Blob(h.to_vec()));
                sql.push_str(" AND i.ihk = ?3");
                &["i.irk", "i.hk", "i.rk"]
            }
            None => &["i.ihk", "i.irk", "i.hk", "i.rk"],
        };
        if let Some(pos) = after {
            let skip = 4 - cols.len();
            let first = args.len() + 1;
            let marks: Vec<String> = (0..cols.len()).map(|k| format!("?{}", first + k)).collect();
            sql.push_str(&format!(
                " AND ({}) {cmp} ({})",
                cols.join(", "),
                marks.join(", ")
            ));
            args.extend(pos.iter().skip(skip).map(|b| Sql::Blob(b.clone())));
        }
        let ordered: Vec<String> = cols.iter().map(|c| format!("{c} {order}")).collect();
        sql.push_str(&format!(
            " ORDER BY {} LIMIT ?{}",
            ordered.join(", "),
            args.len() + 1
        ));
        args.push(Sql::Integer(limit as i64));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt
            .query_map(params_from_iter(args), |r| {
                Ok((
                    vec![
                        r.get::<_, Vec<u8>>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                        r.get::<_, Vec<u8>>(3)?,
                    ],
                    r.get::<_, String>(4)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(pos, text)| {
                Ok(IndexRow {
                    pos,
                    item: decode_item(&text)?,
                })
            })
            .collect()
    }

    fn apply(&mut self, writes: &[Write]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        for w in writes {
            let (table, hk, rk) = match w {
                Write::Put { table, hk, rk, .. } | Write::Delete { table, hk, rk } => {
                    (table, hk, rk)
                }
            };
            let indexes = self.indexes.get(table.as_str());
            if indexes.is_some_and(|i| !i.is_empty()) {
                // The replaced item's entries go, whatever index keys it had.
                tx.prepare_cached("DELETE FROM idx WHERE tbl = ?1 AND hk = ?2 AND rk = ?3")?
                    .execute(params![table, hk, rk])?;
            }
            match w {
                Write::Put { item, .. } => {
                    let text = item_to_json(item).to_string();
                    let size = crate::attribute_value::item_size(item) as i64;
                    tx.prepare_cached("INSERT OR REPLACE INTO items(tbl, hk, rk, item, size) VALUES (?1, ?2, ?3, ?4, ?5)")?
                        .execute(params![table, hk, rk, text, size])?;
                    if let Some(indexes) = indexes {
                        insert_index_entries(&tx, table, indexes, hk, rk, item)?;
                    }
                }
                Write::Delete { .. } => {
                    tx.prepare_cached("DELETE FROM items WHERE tbl = ?1 AND hk = ?2 AND rk = ?3")?
                        .execute(params![table, hk, rk])?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn stats(&self, table: &str) -> Result<(i64, i64), StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*), coalesce(sum(size), 0) FROM items WHERE tbl = ?1",
            params![table],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    fn index_stats(&self, table: &str, index: &str) -> Result<(i64, i64), StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*), coalesce(sum(it.size), 0) FROM idx i \
             CROSS JOIN items it ON it.tbl = i.tbl AND it.hk = i.hk AND it.rk = i.rk \
             WHERE i.tbl = ?1 AND i.idx = ?2",
            params![table, index],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }
}
