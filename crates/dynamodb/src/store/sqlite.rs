//! The SQLite implementation of [`Store`]. WAL with `synchronous=NORMAL`: see the module above for
//! what that guarantees.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use sluice_aws_env::AwsEnv;

use super::backups;
use super::index::{build_index, index_keys, insert_index_entries, IndexKeys};
use super::schema::{self, DB_FILE};
use super::{
    decode_item, IndexRow, RestoreSource, Row, ShardCheckpoint, Store, StoreError, StoredItem,
    StreamCheckpoint, StreamInfo, Write,
};
use crate::attribute_value::item_to_json;
use crate::key_codec::partition_hash;
use crate::stream_record::{self, Change};
use crate::table::{KeySchema, TableDef};
use crate::table_backup::BackupRecord;

/// What a write needs to know about its table, cached so writes do not consult the catalogue.
#[derive(Debug, Clone)]
struct TableMeta {
    keys: KeySchema,
    indexes: IndexKeys,
    /// (ARN, view type) of the enabled stream.
    stream: Option<(String, String)>,
}

impl TableMeta {
    fn of(def: &TableDef, aws: &AwsEnv) -> TableMeta {
        TableMeta {
            keys: def.keys.clone(),
            indexes: index_keys(def),
            stream: def
                .latest_stream_arn(aws)
                .zip(def.stream_view_type().map(String::from)),
        }
    }
}

/// The SQLite store.
pub struct SqliteStore {
    conn: Connection,
    /// Region and account of stream ARNs and of the records' `awsRegion`.
    aws: AwsEnv,
    /// Keys, indexes and stream per table, mirrored from the stored definitions.
    tables: HashMap<String, TableMeta>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database in `dir`.
    pub fn open_dir(dir: &Path, aws: AwsEnv) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(DB_FILE);
        let conn = Connection::open(&path).map_err(|source| StoreError::Corrupt {
            path: path.clone(),
            source,
        })?;
        Self::init(conn, &path, aws)
    }

    /// A throwaway in-memory database.
    pub fn open_in_memory(aws: AwsEnv) -> Result<SqliteStore, StoreError> {
        Self::init(Connection::open_in_memory()?, Path::new(":memory:"), aws)
    }

    fn init(conn: Connection, path: &Path, aws: AwsEnv) -> Result<SqliteStore, StoreError> {
        schema::prepare(&conn, path)?;
        let mut store = SqliteStore {
            conn,
            aws,
            tables: HashMap::new(),
        };
        let defs = store.load_tables()?;
        if let Some(from) = schema::needs_upgrade(&store.conn)? {
            let tx = store.conn.transaction()?;
            schema::upgrade(&tx, from, &defs)?;
            tx.commit()?;
        }
        schema::move_streams_to(&mut store.conn, &store.aws)?;
        store.tables = defs
            .iter()
            .map(|d| (d.name.clone(), TableMeta::of(d, &store.aws)))
            .collect();
        Ok(store)
    }
}

impl Store for SqliteStore {
    fn load_tables(&self) -> Result<Vec<TableDef>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT def FROM tables ORDER BY name")?;
        let defs = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for d in defs {
            out.push(serde_json::from_str(&d?)?);
        }
        Ok(out)
    }

    fn put_table(&mut self, def: &TableDef) -> Result<(), StoreError> {
        let text = serde_json::to_string(def)?;
        let meta = TableMeta::of(def, &self.aws);
        let new = &meta.indexes;
        let previous = self.tables.get(&def.name);
        let old = previous.map(|m| m.indexes.clone()).unwrap_or_default();
        let old_stream = previous.and_then(|m| m.stream.clone());
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
        for (name, keys) in new {
            if !old.iter().any(|(n, k)| n == name && k == keys) {
                build_index(&tx, &def.name, name, keys)?;
            }
        }
        if old_stream != meta.stream {
            if let Some((arn, _)) = &old_stream {
                tx.execute(
                    "UPDATE streams SET enabled = 0 WHERE arn = ?1",
                    params![arn],
                )?;
            }
            if let (Some((arn, view)), Some(label)) = (&meta.stream, &def.stream_label) {
                let keys = serde_json::to_string(&def.keys)?;
                tx.execute(
                    "INSERT OR IGNORE INTO streams(arn, tbl, label, view_type, keys, created, enabled) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)",
                    params![arn, def.name, label, view, keys, now_seconds()],
                )?;
            }
        }
        tx.commit()?;
        self.tables.insert(def.name.clone(), meta);
        Ok(())
    }

    fn delete_table(&mut self, name: &str) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM items WHERE tbl = ?1", params![name])?;
        tx.execute("DELETE FROM idx WHERE tbl = ?1", params![name])?;
        tx.execute("DELETE FROM tables WHERE name = ?1", params![name])?;
        // A deleted table's streams stay readable (AWS keeps them for 24 hours) but get no records.
        tx.execute(
            "UPDATE streams SET enabled = 0 WHERE tbl = ?1",
            params![name],
        )?;
        tx.commit()?;
        self.tables.remove(name);
        Ok(())
    }

    fn put_backup(&mut self, backup: &BackupRecord) -> Result<(), StoreError> {
        backups::put(&mut self.conn, backup)
    }

    fn backups(&self) -> Result<Vec<BackupRecord>, StoreError> {
        backups::all(&self.conn)
    }

    fn delete_backup(&mut self, id: &str) -> Result<(), StoreError> {
        backups::delete(&mut self.conn, id)
    }

    fn restore(&mut self, from: RestoreSource<'_>, def: &TableDef) -> Result<(), StoreError> {
        let meta = TableMeta::of(def, &self.aws);
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO tables(name, def) VALUES (?1, ?2)",
            params![def.name, serde_json::to_string(def)?],
        )?;
        backups::copy_items(&tx, from, &def.name)?;
        for (name, keys) in &meta.indexes {
            build_index(&tx, &def.name, name, keys)?;
        }
        tx.commit()?;
        self.tables.insert(def.name.clone(), meta);
        Ok(())
    }

    fn get_stored(
        &self,
        table: &str,
        hk: &[u8],
        rk: &[u8],
    ) -> Result<Option<StoredItem>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT item, size FROM items WHERE tbl = ?1 AND ph = ?2 AND hk = ?3 AND rk = ?4",
            )?
            .query_row(params![table, ph(hk), hk, rk], stored_item(0))
            .optional()?)
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
        // One partition in sort-key order, or the table in scan order (partition hash first).
        let sql = match (hk.is_some(), after.is_some()) {
            (true, true) => format!("SELECT hk, rk, item, size FROM items WHERE tbl = ?1 AND ph = ?2 AND hk = ?3 AND rk {cmp} ?4 ORDER BY rk {order} LIMIT ?5"),
            (true, false) => format!("SELECT hk, rk, item, size FROM items WHERE tbl = ?1 AND ph = ?2 AND hk = ?3 ORDER BY rk {order} LIMIT ?4"),
            (false, true) => format!("SELECT hk, rk, item, size FROM items WHERE tbl = ?1 AND (ph, hk, rk) {cmp} (?2, ?3, ?4) ORDER BY ph {order}, hk {order}, rk {order} LIMIT ?5"),
            (false, false) => format!("SELECT hk, rk, item, size FROM items WHERE tbl = ?1 ORDER BY ph {order}, hk {order}, rk {order} LIMIT ?2"),
        };
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let map = |r: &rusqlite::Row| {
            Ok(Row {
                hk: r.get(0)?,
                rk: r.get(1)?,
                stored: stored_item(2)(r)?,
            })
        };
        let rows: Vec<Row> = match (hk, after) {
            (Some(h), Some((_, ark))) => stmt
                .query_map(params![table, ph(h), h, ark, limit], map)?
                .collect::<Result<_, _>>()?,
            (Some(h), None) => stmt
                .query_map(params![table, ph(h), h, limit], map)?
                .collect::<Result<_, _>>()?,
            (None, Some((ahk, ark))) => stmt
                .query_map(params![table, ph(ahk), ahk, ark, limit], map)?
                .collect::<Result<_, _>>()?,
            (None, None) => stmt
                .query_map(params![table, limit], map)?
                .collect::<Result<_, _>>()?,
        };
        Ok(rows)
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
             CROSS JOIN items it ON it.tbl = i.tbl AND it.ph = i.ph AND it.hk = i.hk AND it.rk = i.rk \
             WHERE i.tbl = ?1 AND i.idx = ?2",
        );
        // Within one index hash key the position is (irk, hk, rk); across the index, in scan
        // order, the index partition hash comes first.
        let cols: &[&str] = match ihk {
            Some(h) => {
                args.push(Sql::Blob(ph(h)));
                args.push(Sql::Blob(h.to_vec()));
                sql.push_str(" AND i.iph = ?3 AND i.ihk = ?4");
                &["i.irk", "i.hk", "i.rk"]
            }
            None => &["i.iph", "i.ihk", "i.irk", "i.hk", "i.rk"],
        };
        if let Some(pos) = after {
            let first = args.len() + 1;
            let marks: Vec<String> = (0..cols.len()).map(|k| format!("?{}", first + k)).collect();
            sql.push_str(&format!(
                " AND ({}) {cmp} ({})",
                cols.join(", "),
                marks.join(", ")
            ));
            // `pos` is (ihk, irk, hk, rk); the whole-index position starts with ihk's hash.
            if ihk.is_none() {
                args.push(Sql::Blob(ph(&pos[0])));
                args.extend(pos.iter().map(|b| Sql::Blob(b.clone())));
            } else {
                args.extend(pos.iter().skip(1).map(|b| Sql::Blob(b.clone())));
            }
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
        let now = now_seconds();
        for w in writes {
            let (table, hk, rk) = match w {
                Write::Put { table, hk, rk, .. }
                | Write::Delete { table, hk, rk }
                | Write::Expire { table, hk, rk } => (table, hk, rk),
            };
            let meta = self.tables.get(table.as_str());
            let indexes = meta.map(|m| &m.indexes);
            let stream = meta.and_then(|m| m.stream.as_ref().map(|s| (&m.keys, s)));
            // A stream record needs the item as it was; read it inside the write's transaction.
            let part = ph(hk);
            let old = match stream {
                Some(_) => tx
                    .prepare_cached(
                        "SELECT item FROM items WHERE tbl = ?1 AND ph = ?2 AND hk = ?3 AND rk = ?4",
                    )?
                    .query_row(params![table, part, hk, rk], |r| r.get::<_, String>(0))
                    .optional()?
                    .map(|t| decode_item(&t))
                    .transpose()?,
                None => None,
            };
            if indexes.is_some_and(|i| !i.is_empty()) {
                // The replaced item's entries go, whatever index keys it had.
                tx.prepare_cached("DELETE FROM idx WHERE tbl = ?1 AND hk = ?2 AND rk = ?3")?
                    .execute(params![table, hk, rk])?;
            }
            match w {
                Write::Put { item, .. } => {
                    let text = item_to_json(item).to_string();
                    let size = crate::attribute_value::item_size(item) as i64;
                    tx.prepare_cached("INSERT OR REPLACE INTO items(tbl, ph, hk, rk, item, size) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?
                        .execute(params![table, part, hk, rk, text, size])?;
                    if let Some(indexes) = indexes {
                        insert_index_entries(&tx, table, indexes, hk, rk, item)?;
                    }
                }
                Write::Delete { .. } | Write::Expire { .. } => {
                    tx.prepare_cached(
                        "DELETE FROM items WHERE tbl = ?1 AND ph = ?2 AND hk = ?3 AND rk = ?4",
                    )?
                    .execute(params![table, part, hk, rk])?;
                }
            }
            if let Some((keys, (arn, view))) = stream {
                let new = match w {
                    Write::Put { item, .. } => Some(item),
                    _ => None,
                };
                let expired = matches!(w, Write::Expire { .. });
                if let Some(record) = stream_record::record(
                    keys,
                    view,
                    Change {
                        old: old.as_ref(),
                        new,
                        expired,
                    },
                    now,
                    &self.aws.region,
                ) {
                    tx.prepare_cached(
                        "INSERT INTO stream_records(arn, created, record) VALUES (?1, ?2, ?3)",
                    )?
                    .execute(params![arn, now, record.to_string()])?;
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
             CROSS JOIN items it ON it.tbl = i.tbl AND it.ph = i.ph AND it.hk = i.hk AND it.rk = i.rk \
             WHERE i.tbl = ?1 AND i.idx = ?2",
            params![table, index],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    fn streams(&self, table: Option<&str>) -> Result<Vec<StreamInfo>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT arn, tbl, label, view_type, keys, created, enabled FROM streams \
             WHERE ?1 IS NULL OR tbl = ?1 ORDER BY arn",
        )?;
        let rows = stmt
            .query_map(params![table], stream_row)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(stream_info).collect()
    }

    fn stream(&self, arn: &str) -> Result<Option<StreamInfo>, StoreError> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT arn, tbl, label, view_type, keys, created, enabled FROM streams WHERE arn = ?1",
            )?
            .query_row(params![arn], stream_row)
            .optional()?;
        row.map(stream_info).transpose()
    }

    fn stream_records(
        &self,
        arn: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<(i64, serde_json::Value)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, record FROM stream_records WHERE arn = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )?;
        let rows = stmt
            .query_map(params![arn, after, limit as i64], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(seq, text)| {
                let v = serde_json::from_str(&text)?;
                Ok((seq, v))
            })
            .collect()
    }

    fn stream_bounds(&self, arn: &str) -> Result<Option<(i64, i64)>, StoreError> {
        let (first, last): (Option<i64>, Option<i64>) = self.conn.query_row(
            "SELECT min(seq), max(seq) FROM stream_records WHERE arn = ?1",
            params![arn],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(first.zip(last))
    }

    fn last_sequence(&self) -> Result<i64, StoreError> {
        // sqlite_sequence exists once the first AUTOINCREMENT row is written.
        let seq: Option<i64> = self
            .conn
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = 'stream_records'",
                [],
                |r| r.get(0),
            )
            .optional()
            .or_else(|e| match e {
                rusqlite::Error::SqliteFailure(..) => Ok(None),
                other => Err(other),
            })?;
        Ok(seq.unwrap_or(0))
    }

    fn trim_streams(&mut self, before: f64) -> Result<usize, StoreError> {
        Ok(self.conn.execute(
            "DELETE FROM stream_records WHERE created < ?1",
            params![before],
        )?)
    }

    fn checkpoint(&self, mapping: &str) -> Result<Option<StreamCheckpoint>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT arn, sequence FROM stream_checkpoints WHERE mapping = ?1",
                params![mapping],
                |r| {
                    Ok(StreamCheckpoint {
                        stream_arn: r.get(0)?,
                        sequence_number: r.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    fn save_checkpoint(
        &mut self,
        mapping: &str,
        checkpoint: &StreamCheckpoint,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO stream_checkpoints(mapping, arn, sequence, updated) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT(mapping) DO UPDATE SET arn = ?2, sequence = ?3, updated = ?4",
            params![
                mapping,
                checkpoint.stream_arn,
                checkpoint.sequence_number,
                now_seconds()
            ],
        )?;
        Ok(())
    }

    fn shard_checkpoints(
        &self,
        mapping: &str,
        arn: &str,
    ) -> Result<Vec<ShardCheckpoint>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT shard, sequence, finished FROM stream_shard_checkpoints \
             WHERE mapping = ?1 AND arn = ?2 ORDER BY shard",
        )?;
        let rows = stmt.query_map(params![mapping, arn], |r| {
            Ok(ShardCheckpoint {
                shard_id: r.get(0)?,
                sequence_number: r.get(1)?,
                finished: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn save_shard_checkpoints(
        &mut self,
        mapping: &str,
        arn: &str,
        checkpoints: &[ShardCheckpoint],
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut write = tx.prepare(
                "INSERT INTO stream_shard_checkpoints(mapping, arn, shard, sequence, finished, updated) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(mapping, arn, shard) \
                 DO UPDATE SET sequence = ?4, finished = ?5, updated = ?6",
            )?;
            let now = now_seconds();
            for c in checkpoints {
                write.execute(params![
                    mapping,
                    arn,
                    c.shard_id,
                    c.sequence_number,
                    c.finished,
                    now
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

/// A partition key's place in scan order, as stored.
fn ph(hk: &[u8]) -> Vec<u8> {
    partition_hash(hk).to_vec()
}

/// Reads an item's text and size from columns `first` and `first + 1`.
fn stored_item(first: usize) -> impl Fn(&rusqlite::Row) -> rusqlite::Result<StoredItem> {
    move |r| {
        Ok(StoredItem {
            text: r.get(first)?,
            size: r.get::<_, i64>(first + 1)? as usize,
        })
    }
}

type StreamRow = (String, String, String, String, String, f64, bool);

fn stream_row(r: &rusqlite::Row) -> rusqlite::Result<StreamRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

fn stream_info(row: StreamRow) -> Result<StreamInfo, StoreError> {
    let (arn, table, label, view_type, keys, created, enabled) = row;
    Ok(StreamInfo {
        arn,
        table,
        label,
        view_type,
        keys: serde_json::from_str(&keys)?,
        created,
        enabled,
    })
}

/// Wall-clock time in epoch seconds (millisecond precision).
fn now_seconds() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as f64 / 1000.0)
        .unwrap_or(0.0)
}
