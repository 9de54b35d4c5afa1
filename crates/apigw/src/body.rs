//! Phase read body: the whole request body under the API's size limit.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;

use crate::exchange::Exchange;
use crate::gateway_error::GatewayError;

/// The `Content-Length` the client declared, if any and numeric.
pub(crate) fn declared_length(ex: &Exchange) -> Option<usize> {
    ex.headers
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Read the whole body, refusing more than `limit` bytes (chunked bodies have no declared length)
/// and a client that sends nothing for `idle` while the body is incomplete.
pub(crate) async fn read<B>(body: B, limit: usize, idle: Duration) -> Result<Bytes, GatewayError>
where
    B: hyper::body::Body<Data = Bytes> + Send,
    B::Error: std::fmt::Display,
{
    let mut body = std::pin::pin!(body);
    let mut buffer = BytesMut::new();
    loop {
        let frame = match tokio::time::timeout(idle, body.frame()).await {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(_) => return Err(GatewayError::BodyTimedOut),
        };
        let frame = frame.map_err(|e| GatewayError::BodyUnreadable(e.to_string()))?;
        if let Ok(data) = frame.into_data() {
            if buffer.len() + data.len() > limit {
                discard(body).await;
                return Err(GatewayError::BodyTooLarge { limit });
            }
            buffer.extend_from_slice(&data);
        }
    }
    Ok(buffer.freeze())
}

/// Reads and drops the rest of a refused body, up to a bound in bytes and time, so the client gets
/// to read the error response; past the bound the connection is closed as before.
pub(crate) async fn discard<B>(body: B)
where
    B: hyper::body::Body<Data = Bytes> + Send,
    B::Error: std::fmt::Display,
{
    const MAX_DISCARD: usize = 64 * 1024 * 1024;
    let mut body = std::pin::pin!(body);
    let drain = async {
        let mut seen = 0usize;
        while let Some(Ok(frame)) = body.frame().await {
            if let Ok(data) = frame.into_data() {
                seen += data.len();
                if seen > MAX_DISCARD {
                    break;
                }
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), drain).await;
}
