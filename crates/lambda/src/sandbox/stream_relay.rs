//! A response the runtime streams: relayed chunk by chunk to the caller while the sandbox is
//! still watched for its timeout and its death. The invocation (and its REPORT) ends with the
//! stream, or later when extensions are still at work on it, as on AWS.

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{error_payload, runtime_exited, Outcome, Sandbox, StreamHead};
use super::{response_too_large, RESPONSE_TOO_LARGE};
use crate::invocation_log::ReportStatus;
use crate::runtime_api::StreamFrame;
use crate::{StreamFailure, StreamingInvocation, MAX_STREAMED_RESPONSE};

/// Chunks held between the runtime and a caller that reads slower than the function writes.
const RELAY_BUFFER: usize = 16;

/// The caller's end of the relay; `None` once the caller went away.
type Caller = Option<mpsc::Sender<Result<Bytes, StreamFailure>>>;

impl Sandbox {
    /// Hand the stream to the caller through `head`, then relay `frames` until the stream ends,
    /// the runtime dies or the invocation times out (which ends the stream with an error).
    pub(super) async fn relay_stream(
        &mut self,
        request_id: String,
        content_type: String,
        mut frames: mpsc::Receiver<StreamFrame>,
        head: Option<StreamHead>,
        deadline: Instant,
    ) -> Outcome {
        let (sender, body) = mpsc::channel(RELAY_BUFFER);
        let streaming = StreamingInvocation {
            request_id: request_id.clone(),
            content_type,
            body,
        };
        // AWS: a function whose client left runs on; the stream is read to its end either way.
        let mut caller: Caller = head
            .and_then(|head| head.send(streaming).ok())
            .map(|()| sender);
        loop {
            let frame = tokio::select! {
                frame = frames.recv() => frame,
                status = runtime_exited(&mut self.process) => {
                    self.runtime_died();
                    // What the runtime sent before it died is still delivered.
                    while let Ok(frame) = frames.try_recv() {
                        if let Some(outcome) = self.relay(Some(frame), &mut caller, deadline).await {
                            return outcome;
                        }
                    }
                    let outcome = self.runtime_exited_during(&request_id, &status);
                    end_with_failure(caller, &outcome);
                    return outcome;
                }
                _ = tokio::time::sleep_until(deadline) => {
                    let outcome = self.timed_out(&request_id);
                    end_with_failure(caller, &outcome);
                    return outcome;
                }
            };
            if frame.is_none() {
                // The runtime's connection broke off mid-stream (a crash): its exit, or the
                // timeout, says how the invocation ended.
                let outcome = tokio::select! {
                    status = runtime_exited(&mut self.process) => {
                        self.runtime_died();
                        self.runtime_exited_during(&request_id, &status)
                    }
                    _ = tokio::time::sleep_until(deadline) => self.timed_out(&request_id),
                };
                end_with_failure(caller, &outcome);
                return outcome;
            }
            if let Some(outcome) = self.relay(frame, &mut caller, deadline).await {
                return outcome;
            }
        }
    }

    /// Pass one frame on; `Some` when it ended the stream.
    async fn relay(
        &mut self,
        frame: Option<StreamFrame>,
        caller: &mut Caller,
        deadline: Instant,
    ) -> Option<Outcome> {
        let outcome = match frame? {
            StreamFrame::Data(bytes) => {
                if let Some(sender) = caller.as_ref() {
                    // Bounded by the deadline: a stalled reader must not outlast the timeout.
                    match tokio::time::timeout_at(deadline, sender.send(Ok(bytes))).await {
                        Ok(Ok(())) | Err(_) => {}
                        Ok(Err(_)) => *caller = None,
                    }
                }
                return None;
            }
            // Dropping the caller's sender closes the stream: a complete response.
            StreamFrame::End => Outcome {
                payload: Bytes::new(),
                function_error: false,
                status: ReportStatus::Success,
            },
            // A handled failure, as `POST /error` reports one: REPORT shows no status.
            StreamFrame::Failed { error_type, body } => Outcome {
                payload: error_payload(error_type.as_deref(), body),
                function_error: true,
                status: ReportStatus::Success,
            },
            StreamFrame::TooLarge => Outcome {
                payload: response_too_large(MAX_STREAMED_RESPONSE),
                function_error: true,
                status: ReportStatus::Error(RESPONSE_TOO_LARGE.to_owned()),
            },
        };
        end_with_failure(caller.take(), &outcome);
        Some(outcome)
    }
}

/// Ends the caller's stream with the outcome's error, if it is one. Delivered by a task of its
/// own: the caller may be behind by a full buffer, and the sandbox must not wait for it.
fn end_with_failure(caller: Caller, outcome: &Outcome) {
    let (Some(sender), true) = (caller, outcome.function_error) else {
        return;
    };
    let failure = StreamFailure {
        error_type: error_type_of(outcome),
        payload: outcome.payload.clone(),
    };
    tokio::spawn(async move {
        let _ = sender.send(Err(failure)).await;
    });
}

/// The error type a failed outcome reports.
fn error_type_of(outcome: &Outcome) -> String {
    match &outcome.status {
        ReportStatus::Timeout => "Sandbox.Timedout".to_owned(),
        ReportStatus::Error(kind) => kind.clone(),
        ReportStatus::Success => serde_json::from_slice::<serde_json::Value>(&outcome.payload)
            .ok()
            .and_then(|v| v.get("errorType")?.as_str().map(str::to_owned))
            .unwrap_or_else(|| "Unhandled".to_owned()),
    }
}
