//! Recovers the header-name casing clients send, which API Gateway keeps in payload 1.0 events.
//!
//! hyper lowercases header names and keeps its own case map private, so we watch the bytes on their
//! way to hyper: a small HTTP/1 framing tracker parses each request head (with `httparse`, the parser
//! hyper itself uses), records the names in order, then skips the body by `Content-Length` or chunked
//! framing. Requests on one connection arrive in order, so the service pops one record per request.
//! The tracker never changes a byte; if it loses track (input hyper will reject anyway) it stops
//! recording and requests fall back to lowercase names.
//!
//! The same wrapper fixes the one byte hyper gets "wrong" for a gateway: hyper answers an HTTP/1.0
//! request with an `HTTP/1.0` status line, with no setting to change it. API Gateway always answers
//! `HTTP/1.1`, so the status line of a response to an HTTP/1.0 request is rewritten on its way out
//! (same length; hyper still frames the body for the 1.0 client, with Content-Length or close).

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The header names of each request seen on one connection, oldest first.
#[derive(Clone, Default)]
pub struct HeaderNameQueue(Arc<Mutex<VecDeque<Vec<String>>>>);

impl HeaderNameQueue {
    /// The original names of the next request's headers, if they were recorded.
    pub fn pop(&self) -> Option<Vec<String>> {
        self.0.lock().ok()?.pop_front()
    }

    fn push(&self, names: Vec<String>) {
        if let Ok(mut queue) = self.0.lock() {
            queue.push_back(names);
        }
    }
}

/// Largest request head we track; hyper's own default limit is about this size.
const MAX_HEAD: usize = 64 * 1024;
const MAX_HEADERS: usize = 128;

enum Framing {
    /// Accumulating a request head.
    Head(Vec<u8>),
    /// Skipping this many body bytes.
    Body(u64),
    /// Chunked body: reading a chunk-size line.
    ChunkSize(Vec<u8>),
    /// Chunked body: skipping chunk data plus its CRLF.
    ChunkData(u64),
    /// Chunked body: trailer lines until an empty line.
    Trailer(Vec<u8>),
    /// Lost track; record nothing more on this connection.
    Lost,
}

/// Feeds bytes through the framing state machine, recording each request head's header names.
pub struct HeadTracker {
    state: Framing,
    queue: HeaderNameQueue,
    /// HTTP/1.0 requests whose response status line has not been written yet.
    http10_responses_due: usize,
}

impl HeadTracker {
    /// A tracker that records into `queue`.
    pub fn new(queue: HeaderNameQueue) -> Self {
        Self {
            state: Framing::Head(Vec::new()),
            queue,
            http10_responses_due: 0,
        }
    }

    /// Observe the next bytes of the connection.
    pub fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let state = std::mem::replace(&mut self.state, Framing::Lost);
            self.state = match state {
                Framing::Lost => return,
                Framing::Head(mut buf) => {
                    // Skip the blank lines RFC 9112 allows between requests.
                    if buf.is_empty() {
                        while let [b'\r' | b'\n', rest @ ..] = data {
                            data = rest;
                        }
                        if data.is_empty() {
                            self.state = Framing::Head(buf);
                            return;
                        }
                        // The whole head in this read, as it nearly always is: parse it where it
                        // lies instead of copying it into `buf` first.
                        let window = &data[..data.len().min(MAX_HEAD + 4)];
                        if let Some(end) = find_head_end(window, 0) {
                            self.state = self.finish_head(&data[..end]);
                            data = &data[end..];
                            continue;
                        }
                    }
                    let take = data.len().min(MAX_HEAD + 4 - buf.len().min(MAX_HEAD + 4));
                    let start = buf.len();
                    buf.extend_from_slice(&data[..take]);
                    match find_head_end(&buf, start) {
                        Some(end) => {
                            data = &data[end - start..];
                            buf.truncate(end);
                            self.finish_head(&buf)
                        }
                        None if buf.len() > MAX_HEAD => Framing::Lost,
                        None => {
                            data = &[];
                            Framing::Head(buf)
                        }
                    }
                }
                Framing::Body(left) => {
                    let n = (data.len() as u64).min(left);
                    data = &data[n as usize..];
                    if left == n {
                        Framing::Head(Vec::new())
                    } else {
                        Framing::Body(left - n)
                    }
                }
                Framing::ChunkSize(mut line) => match take_line(&mut data, &mut line) {
                    None if line.len() > 1024 => Framing::Lost,
                    None => Framing::ChunkSize(line),
                    Some(()) => {
                        let text = String::from_utf8_lossy(&line);
                        let size = text.split(';').next().unwrap_or("").trim();
                        match u64::from_str_radix(size, 16) {
                            Ok(0) => Framing::Trailer(Vec::new()),
                            Ok(n) => Framing::ChunkData(n + 2),
                            Err(_) => Framing::Lost,
                        }
                    }
                },
                Framing::ChunkData(left) => {
                    let n = (data.len() as u64).min(left);
                    data = &data[n as usize..];
                    if left == n {
                        Framing::ChunkSize(Vec::new())
                    } else {
                        Framing::ChunkData(left - n)
                    }
                }
                Framing::Trailer(mut line) => match take_line(&mut data, &mut line) {
                    None if line.len() > MAX_HEAD => Framing::Lost,
                    None => Framing::Trailer(line),
                    Some(()) if line.is_empty() => Framing::Head(Vec::new()),
                    Some(()) => Framing::Trailer(Vec::new()),
                },
            };
        }
    }

    fn finish_head(&mut self, head: &[u8]) -> Framing {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(head) {
            Ok(httparse::Status::Complete(_)) => {}
            _ => return Framing::Lost,
        }
        let mut chunked = false;
        let mut length = 0u64;
        let mut names = Vec::with_capacity(request.headers.len());
        for header in request.headers.iter() {
            names.push(header.name.to_owned());
            let value = String::from_utf8_lossy(header.value);
            if header.name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.to_ascii_lowercase().contains("chunked");
            } else if header.name.eq_ignore_ascii_case("content-length") {
                match value.trim().parse() {
                    Ok(n) => length = n,
                    Err(_) => return Framing::Lost,
                }
            }
        }
        self.queue.push(names);
        if request.version == Some(0) {
            self.http10_responses_due += 1;
        }
        if chunked {
            Framing::ChunkSize(Vec::new())
        } else if length > 0 {
            Framing::Body(length)
        } else {
            Framing::Head(Vec::new())
        }
    }
}

/// Index just past the `\r\n\r\n` (or `\n\n`) that ends a head, searching from near `from`.
fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    let start = from.saturating_sub(3);
    (start..buf.len()).find_map(|i| {
        if buf[i..].starts_with(b"\r\n\r\n") {
            Some(i + 4)
        } else if buf[i..].starts_with(b"\n\n") {
            Some(i + 2)
        } else {
            None
        }
    })
}

/// Moves bytes up to and including `\n` from `data` into `line` (without the line ending).
/// Returns `Some` when a whole line has been read.
fn take_line(data: &mut &[u8], line: &mut Vec<u8>) -> Option<()> {
    match data.iter().position(|&b| b == b'\n') {
        Some(pos) => {
            line.extend_from_slice(&data[..pos]);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            *data = &data[pos + 1..];
            Some(())
        }
        None => {
            line.extend_from_slice(data);
            *data = &[];
            None
        }
    }
}

/// A connection whose incoming bytes pass through a [`HeadTracker`] on their way to hyper.
pub struct CaseRecordingStream<S> {
    inner: S,
    tracker: HeadTracker,
    /// Bytes of an `HTTP/1.0 ` status-line prefix already written as `HTTP/1.1 `, while one is
    /// being rewritten (a write may stop mid-prefix).
    status_prefix_written: Option<usize>,
}

/// What hyper writes for an HTTP/1.0 peer, and what API Gateway writes instead.
const HTTP10_PREFIX: &[u8; 9] = b"HTTP/1.0 ";
const HTTP11_PREFIX: &[u8; 9] = b"HTTP/1.1 ";

/// Whether a write begins an `HTTP/1.0 ` status line (or all of it that fits in a short write).
fn starts_status_line(buf: &[u8]) -> bool {
    !buf.is_empty() && (buf.starts_with(HTTP10_PREFIX) || HTTP10_PREFIX.starts_with(buf))
}

impl<S> CaseRecordingStream<S> {
    /// Wrap a connection; the names of each request's headers are pushed onto `queue`.
    pub fn new(inner: S, queue: HeaderNameQueue) -> Self {
        Self {
            inner,
            tracker: HeadTracker::new(queue),
            status_prefix_written: None,
        }
    }

    /// `buf` with the status line's version patched when this write starts (or continues) the
    /// status line of a response to an HTTP/1.0 request; `None` when nothing needs patching.
    fn patched(&mut self, buf: &[u8]) -> Option<Vec<u8>> {
        let done = match self.status_prefix_written {
            Some(done) => done,
            None if self.tracker.http10_responses_due > 0 && starts_status_line(buf) => {
                self.tracker.http10_responses_due -= 1;
                self.status_prefix_written = Some(0);
                0
            }
            None => return None,
        };
        let mut out = buf.to_vec();
        for (byte, patch) in out.iter_mut().zip(&HTTP11_PREFIX[done..]) {
            *byte = *patch;
        }
        Some(out)
    }

    /// Records that `n` bytes of a patched write went out.
    fn wrote_patched(&mut self, n: usize) {
        if let Some(done) = self.status_prefix_written {
            let done = done + n;
            self.status_prefix_written = (done < HTTP11_PREFIX.len()).then_some(done);
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for CaseRecordingStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = result {
            this.tracker.feed(&buf.filled()[before..]);
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for CaseRecordingStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        match this.patched(buf) {
            None => Pin::new(&mut this.inner).poll_write(cx, buf),
            Some(patched) => {
                let result = Pin::new(&mut this.inner).poll_write(cx, &patched);
                if let Poll::Ready(Ok(n)) = result {
                    this.wrote_patched(n);
                }
                result
            }
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let first = first_non_empty(bufs);
        if self.status_prefix_written.is_some()
            || (self.tracker.http10_responses_due > 0 && starts_status_line(first))
        {
            // A status line to patch: write its slice alone (a vectored write may be partial).
            return self.poll_write(cx, first);
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// The first non-empty buffer of a vectored write: what a plain write of it sends first.
pub(crate) fn first_non_empty<'a>(bufs: &'a [io::IoSlice<'_>]) -> &'a [u8] {
    bufs.iter()
        .find(|b| !b.is_empty())
        .map_or(&[][..], |b| &b[..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(chunks: &[&[u8]]) -> Vec<Vec<String>> {
        let queue = HeaderNameQueue::default();
        let mut tracker = HeadTracker::new(queue.clone());
        for chunk in chunks {
            tracker.feed(chunk);
        }
        std::iter::from_fn(|| queue.pop()).collect()
    }

    #[test]
    fn keeps_case_and_order_of_one_request() {
        let got =
            record(&[b"GET / HTTP/1.1\r\nHost: x\r\nX-Custom-Thing: 1\r\naccept: */*\r\n\r\n"]);
        assert_eq!(got, vec![vec!["Host", "X-Custom-Thing", "accept"]]);
    }

    #[test]
    fn skips_content_length_bodies_across_split_reads() {
        let got = record(&[
            b"POST /a HTTP/1.1\r\nContent-Length: 10\r\nA: 1\r",
            b"\n\r\nHost: fake\r\n\r\n",
            b"GET /b HTTP/1.1\r\nB-Name: 2\r\n\r\n",
        ]);
        assert_eq!(
            got,
            vec![vec!["Content-Length", "A"], vec!["B-Name"]],
            "the body that looks like a header must not be recorded"
        );
    }

    #[test]
    fn skips_chunked_bodies_and_trailers() {
        let got = record(&[
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"5\r\nHo: x\r\n3;ext=1\r\nabc\r\n0\r\nTrailer-X: 1\r\n\r\n",
            b"GET / HTTP/1.1\r\nNext-One: y\r\n\r\n",
        ]);
        assert_eq!(got, vec![vec!["Transfer-Encoding"], vec!["Next-One"]]);
    }

    /// Heads that arrive whole are parsed in place: several in one read, with a body between.
    #[test]
    fn pipelined_requests_in_one_read() {
        let got = record(&[
            b"\r\nGET /1 HTTP/1.1\r\nA-One: 1\r\n\r\nPOST /2 HTTP/1.1\r\nContent-Length: 3\r\nB-Two: 2\r\n\r\nabcGET /3 HTTP/1.1\r\nC-Three: 3\r\n\r\nGET /4 HTTP/1.1\r\nD-Fo",
            b"ur: 4\r\n\r\n",
        ]);
        assert_eq!(
            got,
            vec![
                vec!["A-One"],
                vec!["Content-Length", "B-Two"],
                vec!["C-Three"],
                vec!["D-Four"]
            ]
        );
    }

    #[test]
    fn one_byte_at_a_time() {
        let input = b"GET / HTTP/1.1\r\nAbc: 1\r\nContent-Length: 2\r\n\r\nxyGET / HTTP/1.1\r\nDef: 2\r\n\r\n";
        let chunks: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(
            record(&chunks),
            vec![vec!["Abc", "Content-Length"], vec!["Def"]]
        );
    }

    /// Writes `chunks` through a stream that has read `request`, returning what reached the socket.
    fn written(request: &[u8], chunks: &[&[u8]]) -> Vec<u8> {
        let mut stream = CaseRecordingStream::new(Vec::new(), HeaderNameQueue::default());
        stream.tracker.feed(request);
        for chunk in chunks {
            let mut rest = *chunk;
            while !rest.is_empty() {
                let waker = std::task::Waker::noop();
                let mut cx = Context::from_waker(waker);
                // At most 4 bytes per write, so a status line is split across writes.
                let piece = &rest[..rest.len().min(4)];
                match Pin::new(&mut stream).poll_write(&mut cx, piece) {
                    Poll::Ready(Ok(n)) => rest = &rest[n..],
                    other => panic!("writing to a Vec: {other:?}"),
                }
            }
        }
        stream.inner
    }

    #[test]
    fn http10_request_gets_an_http11_status_line_even_across_split_writes() {
        let out = written(
            b"GET / HTTP/1.0\r\n\r\n",
            &[
                b"HTTP/1.0 200 OK\r\ncontent-length: 12\r\n\r\n",
                b"HTTP/1.0 200",
            ],
        );
        assert_eq!(
            out, b"HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\nHTTP/1.0 200",
            "only the status line changes, never the body"
        );
    }

    #[test]
    fn http11_exchanges_pass_unchanged() {
        let out = written(b"GET / HTTP/1.1\r\n\r\n", &[b"HTTP/1.0 200 OK\r\n\r\n"]);
        assert_eq!(out, b"HTTP/1.0 200 OK\r\n\r\n");
    }

    #[test]
    fn garbage_stops_recording_without_panicking() {
        let got = record(&[b"\x00\x01 not http\r\n\r\nGET / HTTP/1.1\r\nA: 1\r\n\r\n"]);
        assert!(got.is_empty());
    }
}
