//! A lean closed-loop HTTP/1.1 load generator for the DynamoDB benchmark (std only, built with
//! `rustc -O`): N threads, one keep-alive connection each, every request written whole and its
//! response read whole before the next is sent. The same binary drives Sluice and moto, so any client
//! cost is identical on both sides, and it is a few microseconds per request, far below either server.
//!
//! Usage:
//!   loadgen --addr 127.0.0.1:PORT --op put|get|scan|query|create-table|seed|seed-query|http-get
//!           [--conns N] [--duration SECS] [--warmup SECS] [--table NAME] [--key NAME]
//!           [--range-key NAME] [--items N] [--per-partition N] [--path /items]
//!
//! `put` writes fresh keys (`p<conn>-<seq>`), `get` reads the `--items` keys `seed` wrote, `scan` is one
//! Scan with `Limit` = `--items`, `query` one Query of a whole partition (`pk = :p AND sk >= :lo`) of a
//! table made with `--range-key`, whose `--items` partitions of `--per-partition` items each
//! `seed-query` wrote, `http-get` a plain `GET --path` (the Items API). Output is one
//! line of `key=value` pairs (ops, all_ops — warm-up included —, seconds, rps, p50_us, p90_us, p99_us,
//! errors, reconnects).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::exit;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// A dummy SigV4 header: neither server checks the signature, but moto reads the region from it.
const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIDBENCH/20240101/us-east-1/dynamodb/aws4_request, \
SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0000000000000000000000000000000000000000000000000000000000000000";

struct Args {
    addr: String,
    op: String,
    conns: usize,
    duration: f64,
    warmup: f64,
    table: String,
    key: String,
    /// Sort key of the table `create-table` makes (none when empty).
    range_key: String,
    items: usize,
    per_partition: usize,
    path: String,
}

fn parse_args() -> Args {
    let mut a = Args {
        addr: String::new(),
        op: String::new(),
        conns: 1,
        duration: 5.0,
        warmup: 1.0,
        table: "Bench".into(),
        key: "pk".into(),
        range_key: String::new(),
        items: 1000,
        per_partition: 20,
        path: "/items".into(),
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        let value = argv
            .get(i + 1)
            .cloned()
            .unwrap_or_else(|| die(&format!("{} needs a value", argv[i])));
        match argv[i].as_str() {
            "--addr" => a.addr = value,
            "--op" => a.op = value,
            "--conns" => {
                a.conns = value
                    .parse()
                    .unwrap_or_else(|_| die("--conns: not a number"))
            }
            "--duration" => {
                a.duration = value
                    .parse()
                    .unwrap_or_else(|_| die("--duration: not a number"))
            }
            "--warmup" => {
                a.warmup = value
                    .parse()
                    .unwrap_or_else(|_| die("--warmup: not a number"))
            }
            "--table" => a.table = value,
            "--key" => a.key = value,
            "--range-key" => a.range_key = value,
            "--per-partition" => {
                a.per_partition = value
                    .parse()
                    .unwrap_or_else(|_| die("--per-partition: not a number"))
            }
            "--items" => {
                a.items = value
                    .parse()
                    .unwrap_or_else(|_| die("--items: not a number"))
            }
            "--path" => a.path = value,
            other => die(&format!("unknown argument {other}")),
        }
        i += 2;
    }
    if a.addr.is_empty() || a.op.is_empty() {
        die("usage: loadgen --addr HOST:PORT --op put|get|scan|create-table|seed|http-get [--conns N] [--duration S] [--warmup S]");
    }
    a
}

fn die(msg: &str) -> ! {
    eprintln!("loadgen: {msg}");
    exit(2)
}

/// One DynamoDB JSON 1.0 request, complete with headers, ready to write.
fn ddb_request(addr: &str, operation: &str, body: &str) -> Vec<u8> {
    format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-amz-json-1.0\r\n\
X-Amz-Target: DynamoDB_20120810.{operation}\r\nX-Amz-Date: 20240101T000000Z\r\n\
Authorization: {AUTH}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The benchmark's item: ~200 bytes of DynamoDB JSON with string and number attributes.
fn item_json(key: &str) -> String {
    format!(
        r#"{{"pk":{{"S":"{key}"}},"name":{{"S":"Widget {key}"}},"description":{{"S":"A sturdy widget for benchmarking, made of steel, blue, 12 cm"}},"category":{{"S":"tools"}},"price":{{"N":"19.99"}},"quantity":{{"N":"42"}},"rating":{{"N":"4.5"}}}}"#
    )
}

fn put_body(table: &str, key: &str) -> String {
    format!(r#"{{"TableName":"{table}","Item":{}}}"#, item_json(key))
}

fn get_body(table: &str, key: &str) -> String {
    format!(r#"{{"TableName":"{table}","Key":{{"pk":{{"S":"{key}"}}}}}}"#)
}

fn seed_key(i: usize) -> String {
    format!("item-{i:06}")
}

/// The item `seed-query` writes at position `j` of partition `p`: the benchmark item plus a sort key.
fn query_item_put(table: &str, p: usize, j: usize) -> String {
    let item = item_json(&partition_key(p));
    let item = item.replacen('{', &format!(r#"{{"sk":{{"S":"s{j:04}"}},"#), 1);
    format!(r#"{{"TableName":"{table}","Item":{item}}}"#)
}

fn partition_key(p: usize) -> String {
    format!("part-{p:04}")
}

/// A Query for every item of one partition, through a key condition on both keys.
fn query_body(table: &str, p: usize) -> String {
    format!(
        r#"{{"TableName":"{table}","KeyConditionExpression":"pk = :p AND sk >= :lo","ExpressionAttributeValues":{{":p":{{"S":"{}"}},":lo":{{"S":"s"}}}}}}"#,
        partition_key(p)
    )
}

/// One keep-alive connection; reconnects when the server closes it (HTTP/1.0-style servers).
struct Conn {
    addr: String,
    reader: Option<BufReader<TcpStream>>,
    connects: u64,
}

impl Conn {
    fn new(addr: &str) -> Conn {
        Conn {
            addr: addr.to_string(),
            reader: None,
            connects: 0,
        }
    }

    fn connect(&mut self) -> std::io::Result<()> {
        let s = TcpStream::connect(&self.addr)?;
        s.set_nodelay(true)?;
        self.reader = Some(BufReader::with_capacity(64 * 1024, s));
        Ok(())
    }

    /// Sends `req`, returns (status, body). Retries once on a connection the server closed.
    fn round_trip(&mut self, req: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
        for attempt in 0..2 {
            if self.reader.is_none() {
                self.connects += 1;
                self.connect()?;
            }
            match self.try_round_trip(req) {
                Ok((status, body, keep)) => {
                    if !keep {
                        self.reader = None;
                    }
                    return Ok((status, body));
                }
                Err(_) if attempt == 0 => {
                    // A keep-alive connection the server had closed: reconnect and resend once.
                    self.reader = None;
                }
                Err(e) => return Err(e),
            }
        }
        unreachable!("the loop returns on its second attempt")
    }

    fn try_round_trip(&mut self, req: &[u8]) -> std::io::Result<(u16, Vec<u8>, bool)> {
        let reader = self.reader.as_mut().expect("connected just above");
        reader.get_mut().write_all(req)?;
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "closed",
            ));
        }
        let http10 = line.starts_with("HTTP/1.0");
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("bad status line {line:?}"),
                )
            })?;
        let mut content_length: Option<usize> = None;
        let mut chunked = false;
        let mut keep = !http10;
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "closed in headers",
                ));
            }
            let h = line.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((name, value)) = h.split_once(':') {
                let value = value.trim();
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => content_length = value.parse().ok(),
                    "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                    "connection" => {
                        if value.eq_ignore_ascii_case("close") {
                            keep = false
                        } else if value.eq_ignore_ascii_case("keep-alive") {
                            keep = true
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                reader.read_line(&mut line)?;
                let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                    .map_err(|_| {
                    std::io::Error::new(std::io::ErrorKind::InvalidData, "bad chunk size")
                })?;
                let start = body.len();
                body.resize(start + size, 0);
                reader.read_exact(&mut body[start..])?;
                line.clear();
                reader.read_line(&mut line)?;
                if size == 0 {
                    break;
                }
            }
        } else if let Some(n) = content_length {
            body.resize(n, 0);
            reader.read_exact(&mut body)?;
        } else {
            reader.read_to_end(&mut body)?;
            keep = false;
        }
        Ok((status, body, keep))
    }
}

/// One-off request that must succeed (setup steps); prints the server's answer if it does not.
fn must(conn: &mut Conn, req: &[u8], what: &str) -> Vec<u8> {
    match conn.round_trip(req) {
        Ok((200, body)) => body,
        Ok((status, body)) => die(&format!(
            "{what}: HTTP {status}: {}",
            String::from_utf8_lossy(&body)
        )),
        Err(e) => die(&format!("{what}: {e}")),
    }
}

fn create_table(a: &Args) {
    let body = if a.range_key.is_empty() {
        format!(
            r#"{{"TableName":"{}","AttributeDefinitions":[{{"AttributeName":"{k}","AttributeType":"S"}}],"KeySchema":[{{"AttributeName":"{k}","KeyType":"HASH"}}],"BillingMode":"PAY_PER_REQUEST"}}"#,
            a.table,
            k = a.key
        )
    } else {
        format!(
            r#"{{"TableName":"{}","AttributeDefinitions":[{{"AttributeName":"{k}","AttributeType":"S"}},{{"AttributeName":"{r}","AttributeType":"S"}}],"KeySchema":[{{"AttributeName":"{k}","KeyType":"HASH"}},{{"AttributeName":"{r}","KeyType":"RANGE"}}],"BillingMode":"PAY_PER_REQUEST"}}"#,
            a.table,
            k = a.key,
            r = a.range_key
        )
    };
    let mut c = Conn::new(&a.addr);
    must(
        &mut c,
        &ddb_request(&a.addr, "CreateTable", &body),
        "CreateTable",
    );
    // moto creates tables ACTIVE at once; wait anyway in case a server reports CREATING.
    let describe = ddb_request(
        &a.addr,
        "DescribeTable",
        &format!(r#"{{"TableName":"{}"}}"#, a.table),
    );
    for _ in 0..100 {
        let reply = must(&mut c, &describe, "DescribeTable");
        let compact: String = String::from_utf8_lossy(&reply).split_whitespace().collect();
        if compact.contains(r#""TableStatus":"ACTIVE""#) {
            return;
        }
        thread::sleep(Duration::from_millis(50));
    }
    die("table never became ACTIVE");
}

fn seed(a: &Args) {
    let mut c = Conn::new(&a.addr);
    for i in 0..a.items {
        must(
            &mut c,
            &ddb_request(&a.addr, "PutItem", &put_body(&a.table, &seed_key(i))),
            "seed PutItem",
        );
    }
}

fn seed_query(a: &Args) {
    let mut c = Conn::new(&a.addr);
    for p in 0..a.items {
        for j in 0..a.per_partition {
            must(
                &mut c,
                &ddb_request(&a.addr, "PutItem", &query_item_put(&a.table, p, j)),
                "seed-query PutItem",
            );
        }
    }
}

struct Worker {
    ops: u64,
    /// Successful requests including the warm-up (what the server's CPU time was spent on).
    all_ops: u64,
    errors: u64,
    reconnects: u64,
    latencies_us: Vec<u32>,
    first_error: Option<String>,
}

/// The closed loop of one connection: requests measured only between `measure_from` and `stop`.
fn run_worker(a: Arc<Args>, id: usize, start: Instant, stop: Arc<AtomicBool>) -> Worker {
    let warmup = Duration::from_secs_f64(a.warmup);
    let mut w = Worker {
        ops: 0,
        all_ops: 0,
        errors: 0,
        reconnects: 0,
        latencies_us: Vec::with_capacity(1 << 16),
        first_error: None,
    };
    let mut c = Conn::new(&a.addr);
    // Pre-built requests for reads: the client does no formatting in the timed loop.
    let gets: Vec<Vec<u8>> = if a.op == "get" {
        (0..a.items)
            .map(|i| ddb_request(&a.addr, "GetItem", &get_body(&a.table, &seed_key(i))))
            .collect()
    } else {
        Vec::new()
    };
    let queries: Vec<Vec<u8>> = if a.op == "query" {
        (0..a.items)
            .map(|p| ddb_request(&a.addr, "Query", &query_body(&a.table, p)))
            .collect()
    } else {
        Vec::new()
    };
    // The whole partition must come back, or the measurement is of something cheaper.
    let want_count = format!("\"Count\":{}", a.per_partition).into_bytes();
    let want_count_spaced = format!("\"Count\": {}", a.per_partition).into_bytes();
    let scan = ddb_request(
        &a.addr,
        "Scan",
        &format!(r#"{{"TableName":"{}","Limit":{}}}"#, a.table, a.items),
    );
    let http_get = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n\r\n",
        a.path, a.addr
    )
    .into_bytes();
    // Threads start reading at different keys so they do not walk the table in lockstep.
    let mut seq: usize = id * 7919;
    while !stop.load(Ordering::Relaxed) {
        let put_req;
        let req: &[u8] = match a.op.as_str() {
            "put" => {
                put_req = ddb_request(
                    &a.addr,
                    "PutItem",
                    &put_body(&a.table, &format!("p{id}-{seq:08}")),
                );
                &put_req
            }
            "get" => &gets[seq % gets.len()],
            "scan" => &scan,
            "query" => &queries[seq % queries.len()],
            _ => &http_get,
        };
        seq += 1;
        let t0 = Instant::now();
        let result = c.round_trip(req);
        let elapsed = t0.elapsed();
        let measuring = t0.duration_since(start) >= warmup;
        match result {
            Ok((200, body)) => {
                // A GetItem that found nothing would be a cheap, wrong measurement.
                if a.op == "get" && !body.windows(7).any(|w| w == b"\"Item\":") {
                    w.errors += 1;
                    w.first_error.get_or_insert_with(|| {
                        format!("GetItem without Item: {}", String::from_utf8_lossy(&body))
                    });
                } else if a.op == "query"
                    && !body.windows(want_count.len()).any(|w| w == want_count)
                    && !body
                        .windows(want_count_spaced.len())
                        .any(|w| w == want_count_spaced)
                {
                    w.errors += 1;
                    w.first_error.get_or_insert_with(|| {
                        format!("Query without all items: {}", String::from_utf8_lossy(&body))
                    });
                } else if measuring {
                    w.all_ops += 1;
                    w.ops += 1;
                    w.latencies_us
                        .push(elapsed.as_micros().min(u32::MAX as u128) as u32);
                } else {
                    w.all_ops += 1;
                }
            }
            Ok((status, body)) => {
                w.errors += 1;
                w.first_error.get_or_insert_with(|| {
                    format!("HTTP {status}: {}", String::from_utf8_lossy(&body))
                });
            }
            Err(e) => {
                w.errors += 1;
                w.first_error.get_or_insert_with(|| e.to_string());
                c.reader = None;
                thread::sleep(Duration::from_millis(10));
            }
        }
    }
    w.reconnects = c.connects.saturating_sub(1);
    w
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn load(a: Args) {
    let a = Arc::new(a);
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let handles: Vec<_> = (0..a.conns)
        .map(|id| {
            let (a, stop) = (Arc::clone(&a), Arc::clone(&stop));
            thread::spawn(move || run_worker(a, id, start, stop))
        })
        .collect();
    thread::sleep(Duration::from_secs_f64(a.warmup + a.duration));
    stop.store(true, Ordering::Relaxed);
    let measured = start.elapsed().as_secs_f64() - a.warmup;
    let (mut ops, mut all_ops, mut errors, mut reconnects, mut lat) =
        (0u64, 0u64, 0u64, 0u64, Vec::new());
    let mut first_error = None;
    for h in handles {
        let w = h.join().unwrap_or_else(|_| die("a worker panicked"));
        ops += w.ops;
        all_ops += w.all_ops;
        errors += w.errors;
        reconnects += w.reconnects;
        lat.extend(w.latencies_us);
        if first_error.is_none() {
            first_error = w.first_error;
        }
    }
    lat.sort_unstable();
    println!(
        "ops={ops} all_ops={all_ops} seconds={measured:.2} rps={:.0} p50_us={} p90_us={} p99_us={} errors={errors} reconnects={reconnects}",
        ops as f64 / measured,
        percentile(&lat, 0.50),
        percentile(&lat, 0.90),
        percentile(&lat, 0.99),
    );
    if let Some(e) = first_error {
        let e: String = e.chars().take(300).collect();
        eprintln!("loadgen: first error: {e}");
    }
}

fn main() {
    let a = parse_args();
    match a.op.as_str() {
        "create-table" => create_table(&a),
        "seed" => seed(&a),
        "seed-query" => seed_query(&a),
        "put" | "get" | "scan" | "query" | "http-get" => load(a),
        other => die(&format!("unknown --op {other}")),
    }
}
