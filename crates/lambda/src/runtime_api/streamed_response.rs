//! `POST /runtime/invocation/{id}/response` in streaming mode
//! (`Lambda-Runtime-Function-Response-Mode: streaming`, chunked body, failures as trailers).

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use tokio::sync::mpsc;

use super::{
    accepted, error_response, header_string, read_body, Phase, RuntimeEvent, State, StreamFrame,
    Transition, ERROR_TYPE_HEADER,
};
use crate::lock::lock;
use crate::MAX_STREAMED_RESPONSE;

/// Trailer: the error document, base64-encoded (AWS's runtimes encode it so it fits a header).
const ERROR_BODY_TRAILER: &str = "lambda-runtime-function-error-body";
/// Content type of a streamed response that names none (as AWS's node runtime defaults it).
const DEFAULT_STREAM_CONTENT_TYPE: &str = "application/octet-stream";

/// A streamed `POST /invocation/{id}/response`: each chunk goes to the supervisor as it arrives
/// (waiting while the supervisor's reader is behind, so a slow client slows the runtime as on
/// AWS); the 202 answers once the body has ended.
pub(super) async fn streamed_response(
    state: &State,
    id: &str,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    // AWS (RIE states.go): the invocation is in `InvocationResponse` while its body streams,
    // and `RuntimeResponseSentState` once the body ended, however it ended.
    let refused = {
        let mut phase = lock(&state.phase);
        let refused = phase.refusal_of_result(id, Transition::InvocationResponse);
        if refused.is_none() {
            *phase = Phase::InvocationResponse(id.to_owned());
        }
        refused
    };
    if let Some(refused) = refused {
        read_body(req.into_body()).await;
        return refused;
    }
    let response = relay_body(state, id, req).await;
    *lock(&state.phase) = Phase::ResponseSent(id.to_owned());
    response
}

/// Send the streamed body to the supervisor frame by frame; the runtime's answer.
async fn relay_body(state: &State, id: &str, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let content_type = header_string(&req, "content-type")
        .unwrap_or_else(|| DEFAULT_STREAM_CONTENT_TYPE.to_owned());
    let (frames, receiver) = mpsc::channel(8);
    let _ = state.events.send(RuntimeEvent::Stream {
        request_id: id.to_owned(),
        content_type,
        frames: receiver,
    });
    // `None` once the supervisor stopped listening or a last frame went out: the rest of the
    // body is read and dropped so the runtime's connection stays usable.
    let mut frames = Some(frames);
    let mut total = 0usize;
    let mut body = req.into_body();
    let mut too_large = false;
    loop {
        let frame = match body.frame().await {
            None => {
                send_frame(&mut frames, StreamFrame::End).await;
                break;
            }
            // The runtime's connection broke: the channel closes without a last frame.
            Some(Err(_)) => {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequest",
                    "Could not read request body",
                )
            }
            Some(Ok(frame)) => frame,
        };
        match frame.into_data() {
            Ok(data) => {
                total += data.len();
                if total > MAX_STREAMED_RESPONSE && !too_large {
                    too_large = true;
                    send_frame(&mut frames, StreamFrame::TooLarge).await;
                    frames = None;
                }
                send_frame(&mut frames, StreamFrame::Data(data)).await;
            }
            Err(frame) => {
                if let Some((error_type, body)) =
                    frame.into_trailers().ok().as_ref().and_then(trailer_error)
                {
                    send_frame(&mut frames, StreamFrame::Failed { error_type, body }).await;
                    frames = None;
                }
            }
        }
    }
    if too_large {
        return error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            &format!("Exceeded maximum allowed payload size ({MAX_STREAMED_RESPONSE} bytes)."),
        );
    }
    accepted()
}

/// Hand one frame to the supervisor; forget it when it no longer listens.
async fn send_frame(frames: &mut Option<mpsc::Sender<StreamFrame>>, frame: StreamFrame) {
    if let Some(sender) = frames {
        if sender.send(frame).await.is_err() {
            *frames = None;
        }
    }
}

/// The failure a streamed response's trailers report: the error type, and the error document
/// (base64 in `Lambda-Runtime-Function-Error-Body`; taken as text when it is not base64).
pub(super) fn trailer_error(trailers: &http::HeaderMap) -> Option<(Option<String>, Bytes)> {
    use base64::Engine as _;
    let error_type = trailers
        .get(ERROR_TYPE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .filter(|s| !s.is_empty());
    let body = trailers.get(ERROR_BODY_TRAILER).map(|v| {
        let raw = v.as_bytes();
        base64::engine::general_purpose::STANDARD
            .decode(raw)
            .map(Bytes::from)
            .unwrap_or_else(|_| Bytes::copy_from_slice(raw))
    });
    if error_type.is_none() && body.is_none() {
        return None;
    }
    Some((error_type, body.unwrap_or_default()))
}
