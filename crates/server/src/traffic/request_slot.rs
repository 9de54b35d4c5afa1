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
    /// The event sent (shared with the invocation: a reference count, not a copy).
    pub event: Bytes,
    /// The function's answer, or its error document.
    pub response: Bytes,
    /// The function failed (`X-Amz-Function-Error`).
    pub function_error: bool,
    /// Billed GB-seconds, from the invocation's REPORT line (0 when it has none).
    pub gb_seconds: f64,
}

tokio::task_local! {
    static SLOT: RefCell<Option<InvocationRecord>>;
}

/// Runs `request` with an empty slot the integration may fill.
pub async fn scope<F: Future>(request: F) -> F::Output {
    SLOT.scope(RefCell::new(None), request).await
}

/// Records the invocation of the request being served (nothing outside [`scope`]).
pub fn put(record: InvocationRecord) {
    let _ = SLOT.try_with(|slot| *slot.borrow_mut() = Some(record));
}

/// Takes the invocation recorded for the request being served, if any.
pub fn take() -> Option<InvocationRecord> {
    SLOT.try_with(|slot| slot.borrow_mut().take())
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(function: &str) -> InvocationRecord {
        InvocationRecord {
            function: function.into(),
            request_id: "r".into(),
            event: Bytes::from_static(b"{}"),
            response: Bytes::new(),
            function_error: false,
            gb_seconds: 0.0,
        }
    }

    #[tokio::test]
    async fn a_record_is_seen_only_inside_its_own_scope() {
        put(record("outside"));
        assert!(take().is_none(), "no slot outside a scope");
        let inside = scope(async {
            put(record("f"));
            take().map(|r| r.function)
        })
        .await;
        assert_eq!(inside.as_deref(), Some("f"));
        let empty = scope(async { take() }).await;
        assert!(empty.is_none(), "each scope starts empty");
    }
}
