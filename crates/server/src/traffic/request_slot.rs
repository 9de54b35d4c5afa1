//! Carries what the integration learned about a request (which function ran, with what event and
//! answer) to the access-log phase of the same request, without threading it through the gateway:
//! both run inside the one task that serves the request, so a task-local slot joins them.

use std::cell::RefCell;
use std::future::Future;

use bytes::Bytes;

/// One invocation made for an API request.
#[derive(Debug, Clone)]
pub struct InvocationRecord {
    /// The function's name (its log group is `/aws/lambda/<function>`).
    pub function: String,
    /// The request id the function saw (its START/END/REPORT lines carry it).
    pub request_id: String,
    /// The event sent ([`kept`]: shared with the invocation, or its first [`KEPT_BYTES`]).
    pub event: Bytes,
    /// The event's full size.
    pub event_size: usize,
    /// The function's answer, or its error document ([`kept`] too).
    pub response: Bytes,
    /// The answer's full size.
    pub response_size: usize,
    /// The function failed (`X-Amz-Function-Error`).
    pub function_error: bool,
    /// Billed GB-seconds, from the invocation's REPORT line (0 when it has none).
    pub gb_seconds: f64,
    /// The trace header the runtime was given: the handler's SDK calls carry it.
    pub trace_id: String,
    /// The status Lambda's Invoke answered the gateway with (`$context.integration.
    /// integrationStatus`): 200, or 202 for an asynchronous (`Event`) invocation, which runs
    /// after the request's answer and so has no response or cost here.
    pub integration_status: u16,
}

/// Lambda's Invoke status for a synchronous invocation, whatever the function answered.
pub const INVOKED: u16 = 200;

/// Lambda's Invoke status for an asynchronous (`Event`) invocation: queued, not yet run.
pub const QUEUED: u16 = 202;

/// The most of an event or response the console keeps: a hundred 6 MB payloads would otherwise
/// hold 600 MB alive.
pub const KEPT_BYTES: usize = 64 * 1024;

/// `payload` itself when small (a reference count, no copy), else a copy of its first
/// [`KEPT_BYTES`] so the large buffer can be freed.
pub fn kept(payload: &Bytes) -> Bytes {
    if payload.len() <= KEPT_BYTES {
        payload.clone()
    } else {
        Bytes::copy_from_slice(&payload[..KEPT_BYTES])
    }
}

/// The invocations one request made.
#[derive(Debug, Default)]
pub struct RequestInvocations {
    /// The last: the integration's, or a Lambda authorizer's when it refused the request.
    pub last: Option<InvocationRecord>,
    /// Any before it: a Lambda authorizer's, when the request went on to the integration (billed
    /// by Lambda all the same).
    pub earlier: Vec<InvocationRecord>,
}

tokio::task_local! {
    static SLOT: RefCell<RequestInvocations>;
}

/// Runs `request` with an empty slot the integration may fill.
///
/// A plain function returning tokio's future, not an `async fn`: an `async fn` would hold
/// `request` twice in its state (as its argument and inside the awaited scope), doubling the
/// per-request future hyper moves into place.
pub fn scope<F: Future>(request: F) -> impl Future<Output = F::Output> {
    SLOT.scope(RefCell::new(RequestInvocations::default()), request)
}

/// Records an invocation of the request being served (nothing outside [`scope`]).
pub fn put(record: InvocationRecord) {
    let _ = SLOT.try_with(|slot| {
        let mut slot = slot.borrow_mut();
        if let Some(earlier) = slot.last.replace(record) {
            slot.earlier.push(earlier);
        }
    });
}

/// Takes the invocations recorded for the request being served.
pub fn take() -> RequestInvocations {
    SLOT.try_with(|slot| std::mem::take(&mut *slot.borrow_mut()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(function: &str) -> InvocationRecord {
        InvocationRecord {
            function: function.into(),
            request_id: "r".into(),
            event: Bytes::from_static(b"{}"),
            event_size: 2,
            response: Bytes::new(),
            response_size: 0,
            function_error: false,
            gb_seconds: 0.0,
            trace_id: String::new(),
            integration_status: INVOKED,
        }
    }

    #[test]
    fn large_payloads_are_kept_as_a_copy_of_their_start() {
        let small = Bytes::from_static(b"{}");
        assert_eq!(
            kept(&small).as_ptr(),
            small.as_ptr(),
            "small ones are shared"
        );
        let large = Bytes::from(vec![b'x'; KEPT_BYTES + 1]);
        let kept = kept(&large);
        assert_eq!(kept.len(), KEPT_BYTES);
        assert_ne!(
            kept.as_ptr(),
            large.as_ptr(),
            "a copy, so the large buffer can go"
        );
    }

    #[tokio::test]
    async fn a_record_is_seen_only_inside_its_own_scope() {
        put(record("outside"));
        assert!(take().last.is_none(), "no slot outside a scope");
        let inside = scope(async {
            put(record("f"));
            take().last.map(|r| r.function)
        })
        .await;
        assert_eq!(inside.as_deref(), Some("f"));
        let empty = scope(async { take() }).await;
        assert!(empty.last.is_none(), "each scope starts empty");
    }

    #[tokio::test]
    async fn an_authorizers_invocation_is_kept_before_the_integrations() {
        let taken = scope(async {
            put(record("authorizer"));
            put(record("handler"));
            take()
        })
        .await;
        assert_eq!(taken.last.map(|r| r.function).as_deref(), Some("handler"));
        let earlier: Vec<_> = taken.earlier.into_iter().map(|r| r.function).collect();
        assert_eq!(earlier, ["authorizer"]);
    }
}
