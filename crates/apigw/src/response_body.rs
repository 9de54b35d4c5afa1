//! The body of every gateway response: whole (the usual case), or streamed from a function as it
//! writes (Function URLs in `RESPONSE_STREAM` mode), chunk by chunk, never buffered.

use std::pin::Pin;
use std::task::{Context, Poll};

use crate::integration::ChunkSource;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::{Body, Frame, SizeHint};

/// A response body: whole, or the rest of a function's stream.
#[derive(Debug)]
pub struct ResponseBody {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Full(Full<Bytes>),
    Streamed {
        /// Bytes already read with the stream's head (after the HTTP prelude), sent first.
        first: Option<Bytes>,
        rest: Box<dyn ChunkSource>,
    },
}

/// The function failed after its response began: the status is sent, so the body is cut off and
/// the connection closed, which tells the client the response is incomplete.
#[derive(Debug, thiserror::Error)]
#[error("the function failed mid-stream; the response was cut off")]
pub struct StreamAborted;

impl ResponseBody {
    /// The rest of a streamed response: `first`, then each chunk as it arrives.
    pub(crate) fn streamed(first: Bytes, rest: Box<dyn ChunkSource>) -> Self {
        ResponseBody {
            kind: Kind::Streamed {
                first: (!first.is_empty()).then_some(first),
                rest,
            },
        }
    }
}

impl ResponseBody {
    /// The whole body's bytes, without consuming it (`None` for a stream, which is not all here).
    pub(crate) fn whole(&self) -> Option<Bytes> {
        let Kind::Full(full) = &self.kind else {
            return None;
        };
        // A `Full` yields its one frame at once: polled without a waker to wake.
        let mut copy = full.clone();
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match Pin::new(&mut copy).poll_frame(&mut cx) {
            Poll::Ready(Some(Ok(frame))) => frame.into_data().ok(),
            _ => Some(Bytes::new()),
        }
    }
}

impl From<Full<Bytes>> for ResponseBody {
    fn from(body: Full<Bytes>) -> Self {
        ResponseBody {
            kind: Kind::Full(body),
        }
    }
}

impl From<Bytes> for ResponseBody {
    fn from(bytes: Bytes) -> Self {
        ResponseBody::from(Full::new(bytes))
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = StreamAborted;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, StreamAborted>>> {
        match &mut self.get_mut().kind {
            Kind::Full(full) => Pin::new(full)
                .poll_frame(cx)
                .map(|frame| frame.map(|f| f.map_err(|never| match never {}))),
            Kind::Streamed { first, rest } => {
                if let Some(bytes) = first.take() {
                    return Poll::Ready(Some(Ok(Frame::data(bytes))));
                }
                loop {
                    return match rest.poll_chunk(cx) {
                        // An empty chunk would read as the end of a chunked body.
                        Poll::Ready(Some(Ok(bytes))) if bytes.is_empty() => continue,
                        Poll::Ready(Some(Ok(bytes))) => Poll::Ready(Some(Ok(Frame::data(bytes)))),
                        Poll::Ready(Some(Err(_))) => Poll::Ready(Some(Err(StreamAborted))),
                        Poll::Ready(None) => Poll::Ready(None),
                        Poll::Pending => Poll::Pending,
                    };
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Full(full) => full.is_end_stream(),
            Kind::Streamed { .. } => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Full(full) => full.size_hint(),
            Kind::Streamed { .. } => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integration::StreamFailed;
    use http_body_util::BodyExt;
    use tokio::sync::mpsc;

    #[test]
    fn a_whole_body_can_be_read_without_consuming_it() {
        let body = ResponseBody::from(Bytes::from_static(b"hello"));
        assert_eq!(body.whole().as_deref(), Some(&b"hello"[..]));
        assert_eq!(body.whole().as_deref(), Some(&b"hello"[..]));
        assert_eq!(ResponseBody::from(Bytes::new()).whole(), Some(Bytes::new()));
        let (_tx, rx) = mpsc::channel::<Result<Bytes, StreamFailed>>(1);
        assert_eq!(
            ResponseBody::streamed(Bytes::new(), Box::new(rx)).whole(),
            None
        );
    }

    #[tokio::test]
    async fn a_stream_yields_its_head_then_each_chunk_and_fails_on_an_error() {
        let (tx, rx) = mpsc::channel(4);
        tx.send(Ok(Bytes::from_static(b"b"))).await.unwrap();
        tx.send(Ok(Bytes::new())).await.unwrap();
        tx.send(Ok(Bytes::from_static(b"c"))).await.unwrap();
        tx.send(Err(StreamFailed {
            payload: Bytes::new(),
        }))
        .await
        .unwrap();
        drop(tx);
        let mut body = ResponseBody::streamed(Bytes::from_static(b"a"), Box::new(rx));
        let mut seen = Vec::new();
        let mut failed = false;
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(frame) => seen.push(frame.into_data().unwrap()),
                Err(StreamAborted) => failed = true,
            }
        }
        assert_eq!(seen, [&b"a"[..], b"b", b"c"]);
        assert!(failed);
    }
}
