//! The cheapest possible Lambda runtime client, for the benchmark only: blocking std I/O, one
//! keep-alive connection, hand-written HTTP/1.1, a fixed hello response. Built with plain `rustc`
//! by `bench/run` (not a workspace member: it has no dependencies and is no product).
//!
//! Served by Sluice as a `provided.al2023` function, it shows what Sluice itself costs per request
//! (gateway + Runtime API + sandbox supervision) once the function's own runtime costs ~nothing.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// An API Gateway proxy response, as the hello examples return it.
const RESPONSE: &[u8] = br#"{"statusCode":200,"headers":{"Content-Type":"application/json"},"body":"{\"message\":\"Hello, world!\"}"}"#;

/// Reads one HTTP response; returns the request id header (if any) after consuming the body.
fn read_response(reader: &mut BufReader<TcpStream>) -> std::io::Result<String> {
    let mut line = String::new();
    let mut length = 0usize;
    let mut request_id = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("lambda-runtime-aws-request-id") {
                request_id = value.to_owned();
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    Ok(request_id)
}

fn main() -> std::io::Result<()> {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API").map_err(std::io::Error::other)?;
    let stream = TcpStream::connect(&api)?;
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        write!(
            writer,
            "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: {api}\r\n\r\n"
        )?;
        let id = read_response(&mut reader)?;
        let mut post = format!(
            "POST /2018-06-01/runtime/invocation/{id}/response HTTP/1.1\r\nHost: {api}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            RESPONSE.len()
        )
        .into_bytes();
        post.extend_from_slice(RESPONSE);
        writer.write_all(&post)?;
        read_response(&mut reader)?;
    }
}
