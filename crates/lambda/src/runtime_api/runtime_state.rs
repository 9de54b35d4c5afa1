//! Where the runtime stands in Lambda's runtime state machine, and the 403 AWS answers when a
//! request does not fit it (AWS's runtime interface emulator, lambda/core/states.go and
//! lambda/rapi/handler/constants.go).

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::Full;

use super::error_response;

/// The runtime's state, named as AWS names it in its `InvalidStateTransition` messages.
pub(super) enum Phase {
    /// Started, before its first `next`: the only state that takes an `/init/error`.
    Started,
    /// It reported `/init/error`; nothing else is allowed.
    InitError,
    /// Waiting in `next` for an invocation.
    Ready,
    /// An invocation handed out and not answered: `next` renders it again.
    Running(Box<CurrentInvocation>),
    /// A response begun (streaming) or refused for its response mode: the invocation is
    /// no longer open, nor answered.
    InvocationResponse(String),
    /// A response or error posted for this id. AWS: the id stays the current one until the
    /// runtime's next `next`, so a second result for it fails the state check, not the id check.
    ResponseSent(String),
}

/// What the runtime asks the state machine to do.
#[derive(Clone, Copy)]
pub(super) enum Transition {
    /// `GET /invocation/next`.
    Ready,
    /// `POST /invocation/{id}/response`.
    InvocationResponse,
    /// `POST /invocation/{id}/error`.
    InvocationErrorResponse,
    /// `POST /init/error`.
    InitError,
}

/// The invocation a `next` handed out, kept so a second `next` can render it again.
pub(super) struct CurrentInvocation {
    pub request_id: String,
    pub payload: Bytes,
    /// The `Lambda-Runtime-*` headers, rendered once.
    pub headers: http::HeaderMap,
    /// Whether the caller takes a streamed response.
    pub streaming: bool,
}

impl Phase {
    /// The state's name in AWS's messages (`RuntimeResponseSentState` is AWS's spelling).
    fn name(&self) -> &'static str {
        match self {
            Phase::Started => "Started",
            Phase::InitError => "InitError",
            Phase::Ready => "Ready",
            Phase::Running(_) => "Running",
            Phase::InvocationResponse(_) => "InvocationResponse",
            Phase::ResponseSent(_) => "RuntimeResponseSentState",
        }
    }

    /// The request id the runtime may still post results for.
    pub(super) fn current_id(&self) -> Option<&str> {
        match self {
            Phase::Running(current) => Some(&current.request_id),
            Phase::InvocationResponse(id) | Phase::ResponseSent(id) => Some(id),
            Phase::Started | Phase::InitError | Phase::Ready => None,
        }
    }

    /// Why a result (`transition`) posted for invocation `id` is refused, if it is: AWS's 403
    /// unless an invocation is open (before the runtime's first `next`, while it waits in
    /// `next`, once the current one is answered), then 400 for an id that is not the open one.
    ///
    /// AWS (RIE rapi/handler/invocationresponse.go, invocationerror.go): the state machine's
    /// check comes before the request id's.
    pub(super) fn refusal_of_result(
        &self,
        id: &str,
        transition: Transition,
    ) -> Option<Response<Full<Bytes>>> {
        if !matches!(self, Phase::Running(_)) {
            return Some(self.refuse(transition));
        }
        (self.current_id() != Some(id)).then(super::invalid_request_id)
    }

    /// AWS's 403 for `transition` from this state.
    pub(super) fn refuse(&self, transition: Transition) -> Response<Full<Bytes>> {
        let to = match transition {
            Transition::Ready => "Ready",
            Transition::InvocationResponse => "InvocationResponse",
            Transition::InvocationErrorResponse => "InvocationErrorResponse",
            Transition::InitError => "InitError",
        };
        error_response(
            StatusCode::FORBIDDEN,
            "InvalidStateTransition",
            &format!(
                "State transition from {} to {to} failed for runtime. Error: State transition is not allowed",
                self.name()
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn refusals_quote_aws_state_names() {
        let body = Phase::ResponseSent("id".to_owned())
            .refuse(Transition::InvocationResponse)
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["errorType"], "InvalidStateTransition");
        assert_eq!(
            body["errorMessage"],
            "State transition from RuntimeResponseSentState to InvocationResponse failed for runtime. Error: State transition is not allowed"
        );
        let response = Phase::Ready.refuse(Transition::InitError);
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
}
