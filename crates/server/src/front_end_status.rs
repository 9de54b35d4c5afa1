//! DynamoDB's front end answers a request whose request line or headers are too large with
//! `400 Bad Request`. hyper refuses such requests itself, before any service sees them, with 431
//! (headers too large or too many) or 414 (request target too long), and has no setting for the
//! status. This wrapper, on the services endpoint's connections, rewrites those automatic status
//! lines on their way out. The endpoint's own handlers never answer 431 or 414, and hyper's refusal
//! is a bare head written at once (status line to blank line, no body), which is what is matched;
//! every other write passes straight through.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The status lines hyper writes for request heads it will not parse, and what replaces them.
const REFUSALS: [&[u8]; 4] = [
    b"HTTP/1.1 431 ",
    b"HTTP/1.1 414 ",
    b"HTTP/1.0 431 ",
    b"HTTP/1.0 414 ",
];

/// A connection whose automatic 431/414 answers go out as 400.
pub struct FrontEndStatus<S> {
    inner: S,
    /// A rewritten response head not yet fully written, and how much of it was.
    pending: Vec<u8>,
    written: usize,
}

impl<S> FrontEndStatus<S> {
    /// Wraps one accepted connection.
    pub fn new(inner: S) -> FrontEndStatus<S> {
        FrontEndStatus {
            inner,
            pending: Vec::new(),
            written: 0,
        }
    }
}

/// `buf` with its status line replaced by `400 Bad Request`, when it starts with a refusal.
fn rewritten(buf: &[u8]) -> Option<Vec<u8>> {
    if !REFUSALS.iter().any(|r| buf.starts_with(r)) || !buf.ends_with(b"\r\n\r\n") {
        return None;
    }
    let end = buf.windows(2).position(|w| w == b"\r\n")?;
    let mut out = Vec::with_capacity(buf.len());
    out.extend_from_slice(&buf[..9]); // "HTTP/1.x "
    out.extend_from_slice(b"400 Bad Request");
    out.extend_from_slice(&buf[end..]);
    Some(out)
}

impl<S: AsyncWrite + Unpin> FrontEndStatus<S> {
    /// Writes what is left of a rewritten head.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n =
                ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for FrontEndStatus<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for FrontEndStatus<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.poll_pending(cx))?;
        match rewritten(buf) {
            None => Pin::new(&mut this.inner).poll_write(cx, buf),
            Some(head) => {
                // The caller's bytes are taken whole; the rewrite goes out now or on the next
                // write, flush or shutdown.
                this.pending = head;
                if let Poll::Ready(Err(e)) = this.poll_pending(cx) {
                    return Poll::Ready(Err(e));
                }
                Poll::Ready(Ok(buf.len()))
            }
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let first = crate::header_case::first_non_empty(bufs);
        if !self.pending.is_empty() || rewritten(first).is_some() {
            return self.poll_write(cx, first);
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hypers_refusals_are_rewritten() {
        let head = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(
            rewritten(head).as_deref(),
            Some(&b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n"[..])
        );
        let long = b"HTTP/1.1 414 URI Too Long\r\n\r\n";
        assert_eq!(
            rewritten(long).as_deref(),
            Some(&b"HTTP/1.1 400 Bad Request\r\n\r\n"[..])
        );
        assert_eq!(rewritten(b"HTTP/1.1 200 OK\r\n\r\n"), None);
        assert_eq!(rewritten(b"{\"HTTP/1.1 431 \"}"), None);
    }
}
