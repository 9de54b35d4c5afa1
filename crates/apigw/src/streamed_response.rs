//! Phase map response for a streamed answer (Function URLs in `RESPONSE_STREAM` mode, REST Lambda
//! proxies in `ResponseTransferMode: STREAM`). Status and headers come from the HTTP prelude that
//! node's `HttpResponseStream.from` writes first (JSON, then 8 NUL bytes), read as the API's kind
//! reads it; what follows is the body, relayed to the client as the function writes it.
//!
//! The head waits for the prelude (or, without one, the first chunk), so a function that fails
//! before writing anything is answered as a buffered failure would be (502); once the head is
//! sent, a failure can only cut the body off.

use crate::gateway_error::GatewayError;
use crate::integration::{ChunkSource, ResponseStream, StreamFailed};
use bytes::{Bytes, BytesMut};
use http::{HeaderValue, Response};
use http_body_util::Full;

/// The content type that announces an HTTP prelude.
const PRELUDE_CONTENT_TYPE: &str = "application/vnd.awslambda.http-integration-response";
/// What ends the prelude.
const DELIMITER: [u8; 8] = [0; 8];
/// AWS documents, for API Gateway's streaming integration, that the prelude must end within the
/// first 16 KB of the stream; Function URLs read the same format, so Sluice holds them to it.
const MAX_PRELUDE: usize = 16 * 1024;

/// A streamed response's head, and the body bytes read with it.
#[derive(Debug)]
pub(crate) struct StreamedHead {
    /// Status and headers; its body is empty (the stream is the body).
    pub response: Response<Full<Bytes>>,
    /// Body bytes that arrived with the head.
    pub first: Bytes,
    /// The rest of the body.
    pub rest: Box<dyn ChunkSource>,
}

/// How a kind of API turns a prelude into status and headers (the reason when it cannot).
pub(crate) type PreludeReader = fn(&[u8]) -> Result<Response<Full<Bytes>>, String>;

/// Read the stream until its head is known.
pub(crate) async fn head(
    stream: ResponseStream,
    read_prelude: PreludeReader,
) -> Result<StreamedHead, GatewayError> {
    let ResponseStream {
        content_type,
        mut chunks,
    } = stream;
    if content_type != PRELUDE_CONTENT_TYPE {
        // AWS: without a prelude the status is 200 and the content type the runtime's.
        let first = match next(&mut chunks).await {
            Some(Ok(bytes)) => bytes,
            Some(Err(failed)) => return Err(failure(&failed)),
            None => Bytes::new(),
        };
        let mut response = Response::new(Full::new(Bytes::new()));
        if let Ok(value) = HeaderValue::from_str(&content_type) {
            response
                .headers_mut()
                .insert(http::header::CONTENT_TYPE, value);
        }
        return Ok(StreamedHead {
            response,
            first,
            rest: chunks,
        });
    }
    let mut read = BytesMut::new();
    let end = loop {
        if let Some(at) = read.windows(DELIMITER.len()).position(|w| w == DELIMITER) {
            break at;
        }
        if read.len() > MAX_PRELUDE {
            return Err(malformed("no end of the HTTP prelude in its first 16 KB"));
        }
        match next(&mut chunks).await {
            Some(Ok(bytes)) => read.extend_from_slice(&bytes),
            Some(Err(failed)) => return Err(failure(&failed)),
            None => return Err(malformed("the stream ended inside its HTTP prelude")),
        }
    };
    let mut read = read.freeze();
    let prelude = read.split_to(end);
    let first = read.slice(DELIMITER.len()..);
    let response =
        read_prelude(&prelude).map_err(|reason| malformed(&format!("HTTP prelude: {reason}")))?;
    Ok(StreamedHead {
        response,
        first,
        rest: chunks,
    })
}

async fn next(chunks: &mut Box<dyn ChunkSource>) -> Option<Result<Bytes, StreamFailed>> {
    std::future::poll_fn(|cx| chunks.poll_chunk(cx)).await
}

fn failure(failed: &StreamFailed) -> GatewayError {
    GatewayError::FunctionFailed(String::from_utf8_lossy(&failed.payload).into_owned())
}

fn malformed(reason: &str) -> GatewayError {
    GatewayError::MalformedResponse(reason.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect;
    use tokio::sync::mpsc;

    async fn stream_of(
        content_type: &str,
        chunks: Vec<Result<&'static [u8], ()>>,
    ) -> Result<StreamedHead, GatewayError> {
        let (tx, rx) = mpsc::channel(chunks.len().max(1));
        for chunk in chunks {
            let item = chunk.map(Bytes::from_static).map_err(|()| StreamFailed {
                payload: Bytes::from_static(br#"{"errorType":"Error"}"#),
            });
            tx.send(item).await.unwrap();
        }
        drop(tx);
        head(
            ResponseStream {
                content_type: content_type.to_owned(),
                chunks: Box::new(rx),
            },
            Dialect::FunctionUrl.prelude_reader(),
        )
        .await
    }

    #[tokio::test]
    async fn a_prelude_split_across_chunks_gives_status_headers_and_cookies() {
        let head = stream_of(
            PRELUDE_CONTENT_TYPE,
            vec![
                Ok(br#"{"statusCode":201,"headers":{"x-a":"1"},"#),
                Ok(b"\"cookies\":[\"c=1\",\"d=2\"]}\0\0\0"),
                Ok(b"\0\0\0\0\0body"),
            ],
        )
        .await
        .unwrap();
        assert_eq!(head.response.status(), 201);
        assert_eq!(head.response.headers()["x-a"], "1");
        let cookies: Vec<_> = head
            .response
            .headers()
            .get_all("set-cookie")
            .iter()
            .collect();
        assert_eq!(cookies, ["c=1", "d=2"]);
        assert_eq!(
            head.response.headers()["content-type"],
            "application/octet-stream"
        );
        assert_eq!(&head.first[..], b"body");
    }

    #[tokio::test]
    async fn without_a_prelude_the_status_is_200_and_the_type_the_runtimes() {
        let head = stream_of("text/event-stream", vec![Ok(b"data: 1\n\n")])
            .await
            .unwrap();
        assert_eq!(head.response.status(), 200);
        assert_eq!(head.response.headers()["content-type"], "text/event-stream");
        assert_eq!(&head.first[..], b"data: 1\n\n");
    }

    #[tokio::test]
    async fn failures_before_the_head_are_function_errors_and_bad_preludes_malformed() {
        let failed = stream_of("application/octet-stream", vec![Err(())]).await;
        assert!(
            matches!(failed, Err(GatewayError::FunctionFailed(_))),
            "{failed:?}"
        );
        let failed = stream_of(PRELUDE_CONTENT_TYPE, vec![Ok(b"{\"statusCode\":"), Err(())]).await;
        assert!(
            matches!(failed, Err(GatewayError::FunctionFailed(_))),
            "{failed:?}"
        );
        for bad in [&b"{\"statusCode\":200"[..], b"not json\0\0\0\0\0\0\0\0"] {
            let result = stream_of(PRELUDE_CONTENT_TYPE, vec![Ok(bad)]).await;
            assert!(
                matches!(result, Err(GatewayError::MalformedResponse(_))),
                "{result:?}"
            );
        }
    }
}
