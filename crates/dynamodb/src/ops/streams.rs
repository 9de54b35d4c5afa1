//! The DynamoDB Streams API (`DynamoDBStreams_20120810.*`: ListStreams, DescribeStream,
//! GetShardIterator, GetRecords) over the records the store keeps (`crate::stream_record`).
//!
//! Every stream has one shard that stays open while the stream is enabled. Sequence numbers are one
//! counter over all streams (SQLite AUTOINCREMENT), shown as 21-digit strings as DynamoDB's are.

use base64::Engine;
use serde_json::{json, Map, Value};

use crate::protocol::DynamoResponse;
use crate::protocol::{encode_error, encode_ok, parse_body, DynamoError, DynamoResult, Reply, Req};
use crate::state::State;
use crate::store::StreamInfo;

/// Added to the internal counter so sequence numbers look like DynamoDB's (21 digits).
const SEQUENCE_BASE: i128 = 100_000_000_000_000_000_000;
/// Most records GetRecords returns (and its default `Limit`).
const MAX_RECORDS: i64 = 1000;
/// GetRecords stops adding records once a page holds this much data, as DynamoDB does at 1 MB.
const PAGE_BYTES: usize = 1024 * 1024;
/// Shard iterators expire after 15 minutes on AWS.
const ITERATOR_TTL_SECONDS: f64 = 15.0 * 60.0;

/// Runs one Streams operation and encodes its result or error.
pub fn dispatch(state: &mut State, target: &str, body: &[u8]) -> DynamoResponse {
    let result = parse_body(body).and_then(|req| {
        let r = Req(&req);
        match target {
            "ListStreams" => list_streams(state, &r),
            "DescribeStream" => describe_stream(state, &r),
            "GetShardIterator" => get_shard_iterator(state, &r),
            "GetRecords" => get_records(state, &r),
            _ => Err(DynamoError::UnknownOperation),
        }
    });
    match result {
        Ok(v) => encode_ok(Reply::Json(v)),
        Err(e) => encode_error(&e),
    }
}

fn sequence_number(seq: i64) -> String {
    (SEQUENCE_BASE + i128::from(seq)).to_string()
}

fn parse_sequence_number(text: &str) -> DynamoResult<i64> {
    let invalid = || {
        DynamoError::validation(format!(
            "Invalid SequenceNumber: {text} is not a valid sequence number"
        ))
    };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let n: i128 = text.parse().map_err(|_| invalid())?;
    i64::try_from(n - SEQUENCE_BASE)
        .ok()
        // 0 is an empty store's shard start (one below the first record).
        .filter(|s| *s >= 0)
        .ok_or_else(invalid)
}

/// The one shard's id: stable for a stream, in DynamoDB's shape (`shardId-` 20 digits `-` 8 hex).
fn shard_id(stream: &StreamInfo) -> String {
    // FNV-1a of the ARN: stable across restarts.
    let mut h: u32 = 0x811c_9dc5;
    for b in stream.arn.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("shardId-00000001{:012}-{h:08x}", stream.created as u64)
}

fn stream_not_found(arn: &str) -> DynamoError {
    DynamoError::ResourceNotFound(format!(
        "Requested resource not found: Stream: {arn} not found"
    ))
}

/// The `StreamArn` member, checked against DynamoDB Streams' length limits (37–1024) and shape.
fn stream_arn<'a>(r: &Req<'a>) -> DynamoResult<&'a str> {
    let arn = r.str("StreamArn")?;
    crate::table_request::check_length(arn, "streamArn", 37, 1024)?;
    check_stream_arn_shape(arn)?;
    Ok(arn)
}

/// A stream ARN is `arn:<partition>:dynamodb:<region>:<account>:table/<table>/stream/<label>`;
/// anything else is a ValidationException, not a missing stream (Alternator's test_streams.py,
/// written against DynamoDB: DescribeStream, GetShardIterator, ListStreams' ExclusiveStartStreamArn;
/// the words are those aws-sdk-js's integration test matches on AWS).
fn check_stream_arn_shape(arn: &str) -> DynamoResult<()> {
    let fields: Vec<&str> = arn.splitn(6, ':').collect();
    let well_formed = match fields[..] {
        ["arn", partition, "dynamodb", region, account, resource] => {
            let parts: Vec<&str> = resource.split('/').collect();
            !partition.is_empty()
                && !region.is_empty()
                && !account.is_empty()
                && matches!(parts[..], ["table", table, "stream", label] if !table.is_empty() && !label.is_empty())
        }
        _ => false,
    };
    if well_formed {
        Ok(())
    } else {
        Err(DynamoError::validation("Invalid StreamArn"))
    }
}

fn find_stream(state: &State, arn: &str) -> DynamoResult<StreamInfo> {
    state
        .store
        .stream(arn)?
        .ok_or_else(|| stream_not_found(arn))
}

fn limit(r: &Req, max: i64, default: i64) -> DynamoResult<i64> {
    let n = r.opt_i64("Limit")?.unwrap_or(default);
    if n < 1 {
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
        )));
    }
    if n > max {
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to {max}"
        )));
    }
    Ok(n)
}

/// ListStreams: every stream, or one table's, paged by ARN.
fn list_streams(state: &mut State, r: &Req) -> DynamoResult<Value> {
    let table = r.opt_str("TableName")?;
    if let Some(t) = table {
        crate::table_request::validate_table_name(t)?;
        if !state.tables.contains_key(t) && state.store.streams(Some(t))?.is_empty() {
            return Err(DynamoError::ResourceNotFound(format!(
                "Requested resource not found: Table: {t} not found"
            )));
        }
    }
    let limit = limit(r, 100, 100)? as usize;
    let start = r.opt_str("ExclusiveStartStreamArn")?;
    if let Some(start) = start {
        check_stream_arn_shape(start)?;
    }
    let all: Vec<StreamInfo> = state
        .store
        .streams(table)?
        .into_iter()
        .filter(|s| start.is_none_or(|a| s.arn.as_str() > a))
        .collect();
    let page: Vec<Value> = all
        .iter()
        .take(limit)
        .map(|s| json!({"StreamArn": s.arn, "TableName": s.table, "StreamLabel": s.label}))
        .collect();
    let mut out = Map::new();
    out.insert("Streams".into(), Value::Array(page));
    if all.len() > limit {
        out.insert("LastEvaluatedStreamArn".into(), json!(all[limit - 1].arn));
    }
    Ok(Value::Object(out))
}

/// DescribeStream: status, view type, key schema and the one shard with its sequence range.
fn describe_stream(state: &mut State, r: &Req) -> DynamoResult<Value> {
    let arn = stream_arn(r)?;
    limit(r, 100, 100)?;
    let stream = find_stream(state, arn)?;
    let bounds = state.store.stream_bounds(arn)?;
    // A shard starts just below its first record (AWS, asserted against it in LocalStack's
    // test_dynamodb_stream_records_with_update_item: the first record's number is greater); an
    // empty one just below where the next record will be numbered.
    let starting = match bounds {
        Some((first, _)) => first - 1,
        None => state.store.last_sequence()?,
    };
    let mut range = Map::new();
    range.insert(
        "StartingSequenceNumber".into(),
        json!(sequence_number(starting)),
    );
    if !stream.enabled {
        let ending = bounds.map(|(_, last)| last).unwrap_or(starting);
        range.insert(
            "EndingSequenceNumber".into(),
            json!(sequence_number(ending)),
        );
    }
    // ShardFilter CHILD_SHARDS asks for a shard's children; Sluice's one shard never splits.
    let children_only = match r.opt_obj("ShardFilter")? {
        None => false,
        Some(f) => {
            let f = Req(f);
            if let Some(other) = f.opt_str("Type")?.filter(|t| *t != "CHILD_SHARDS") {
                return Err(DynamoError::validation(format!(
                    "1 validation error detected: Value '{other}' at 'shardFilter.type' failed to satisfy constraint: Member must satisfy enum value set: [CHILD_SHARDS]"
                )));
            }
            if let Some(parent) = f.opt_str("ShardId")? {
                crate::table_request::check_length(parent, "shardFilter.shardId", 28, 65)?;
            }
            true
        }
    };
    let shards = match r.opt_str("ExclusiveStartShardId")? {
        _ if children_only => vec![],
        Some(s) if s >= shard_id(&stream).as_str() => vec![],
        _ => vec![json!({"ShardId": shard_id(&stream), "SequenceNumberRange": range})],
    };
    Ok(json!({"StreamDescription": {
        "StreamArn": stream.arn,
        "StreamLabel": stream.label,
        "StreamStatus": if stream.enabled { "ENABLED" } else { "DISABLED" },
        "StreamViewType": stream.view_type,
        "CreationRequestDateTime": stream.created,
        "TableName": stream.table,
        "KeySchema": stream.keys.to_json(),
        "Shards": shards,
    }}))
}

/// Where a reader is: records with sequence numbers above `after` come next.
struct Position {
    arn: String,
    shard: String,
    after: i64,
    issued: f64,
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// AWS's iterators read `<stream arn>|1|<opaque>` (asserted against AWS in LocalStack's
/// test_dynamodb_streams_shard_iterator_format); the opaque part is Sluice's position.
fn encode_iterator(p: &Position) -> String {
    let text = json!({"a": p.arn, "s": p.shard, "p": p.after, "t": p.issued}).to_string();
    let opaque = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
    format!("{}|1|{opaque}", p.arn)
}

fn decode_iterator(text: &str) -> DynamoResult<Position> {
    let invalid = || DynamoError::validation("Invalid ShardIterator");
    let opaque = text.rsplit_once("|1|").map_or(text, |(_, opaque)| opaque);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(opaque)
        .map_err(|_| invalid())?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    Ok(Position {
        arn: v["a"].as_str().ok_or_else(invalid)?.to_string(),
        shard: v["s"].as_str().ok_or_else(invalid)?.to_string(),
        after: v["p"].as_i64().ok_or_else(invalid)?,
        issued: v["t"].as_f64().ok_or_else(invalid)?,
    })
}

/// GetShardIterator: TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER.
fn get_shard_iterator(state: &mut State, r: &Req) -> DynamoResult<Value> {
    let arn = stream_arn(r)?;
    let shard = r.str("ShardId")?;
    crate::table_request::check_length(shard, "shardId", 28, 65)?;
    let kind = r.str("ShardIteratorType")?;
    let sequence = r.opt_str("SequenceNumber")?;
    let stream = find_stream(state, arn)?;
    if shard != shard_id(&stream) {
        return Err(DynamoError::ResourceNotFound(format!(
            "Requested resource not found: Shard does not exist: {shard}"
        )));
    }
    let need_sequence = || {
        sequence.ok_or_else(|| {
            DynamoError::validation(format!(
                "Must specify a SequenceNumber with a ShardIteratorType of {kind}"
            ))
        })
    };
    let after = match kind {
        "TRIM_HORIZON" => 0,
        "LATEST" => state.store.last_sequence()?,
        "AT_SEQUENCE_NUMBER" => parse_sequence_number(need_sequence()?)? - 1,
        "AFTER_SEQUENCE_NUMBER" => parse_sequence_number(need_sequence()?)?,
        other => {
            return Err(DynamoError::validation(format!(
                "1 validation error detected: Value '{other}' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_SEQUENCE_NUMBER, TRIM_HORIZON]"
            )))
        }
    };
    if matches!(kind, "TRIM_HORIZON" | "LATEST") && sequence.is_some() {
        return Err(DynamoError::validation(format!(
            "Cannot specify a SequenceNumber with a ShardIteratorType of {kind}"
        )));
    }
    let position = Position {
        arn: arn.to_string(),
        shard: shard.to_string(),
        after,
        issued: now(),
    };
    Ok(json!({ "ShardIterator": encode_iterator(&position) }))
}

/// GetRecords: the next records after the iterator's position and the iterator for what follows.
fn get_records(state: &mut State, r: &Req) -> DynamoResult<Value> {
    let text = r.str("ShardIterator")?;
    let limit = limit(r, MAX_RECORDS, MAX_RECORDS)?;
    let mut position = decode_iterator(text)?;
    let now = now();
    if now - position.issued > ITERATOR_TTL_SECONDS {
        return Err(DynamoError::ExpiredIterator(format!(
            "Iterator expired. The iterator was created at time {} while right now it is {} which is further in the future than the tolerated delay of 900000 milliseconds.",
            position.issued, now
        )));
    }
    let stream = find_stream(state, &position.arn)?;
    let rows = state
        .store
        .stream_records(&position.arn, position.after, limit as usize)?;
    let fetched = rows.len();
    let mut records = Vec::new();
    let mut bytes = 0;
    for (seq, mut record) in rows {
        let size = record["dynamodb"]["SizeBytes"].as_u64().unwrap_or(0) as usize;
        if !records.is_empty() && bytes + size > PAGE_BYTES {
            break;
        }
        bytes += size;
        if let Some(d) = record.get_mut("dynamodb").and_then(Value::as_object_mut) {
            d.insert("SequenceNumber".into(), json!(sequence_number(seq)));
        }
        records.push(record);
        position.after = seq;
    }
    let mut out = Map::new();
    let drained = records.len() == fetched && fetched < limit as usize;
    out.insert("Records".into(), Value::Array(records));
    // A disabled stream's shard is closed: once read to its end there is no next iterator.
    if stream.enabled || !drained {
        position.issued = now;
        out.insert(
            "NextShardIterator".into(),
            json!(encode_iterator(&position)),
        );
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_round_trip_and_reject_garbage() {
        assert_eq!(sequence_number(7), "100000000000000000007");
        assert_eq!(parse_sequence_number("100000000000000000007"), Ok(7));
        for bad in [
            "",
            "12x",
            "5",
            "-100000000000000000007",
            "99999999999999999999999999999999999999999",
        ] {
            assert!(parse_sequence_number(bad).is_err(), "{bad}");
        }
    }
}
