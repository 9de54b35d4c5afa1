//! The extensions of one sandbox and where each stands in Lambda's lifecycle: who registered for
//! which events, who has called `next` since its last event, who failed or exited.
//!
//! Pure state behind a lock: the HTTP handlers ([`super::api`]) move agents through it, the
//! sandbox's supervisor dispatches events and waits (through [`Registry::watch`]) until every
//! agent is done with them.

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::{oneshot, watch};

/// What an extension can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventKind {
    /// Each invocation.
    Invoke,
    /// The environment's end.
    Shutdown,
}

impl EventKind {
    fn parse(name: &str) -> Option<EventKind> {
        match name {
            "INVOKE" => Some(EventKind::Invoke),
            "SHUTDOWN" => Some(EventKind::Shutdown),
            _ => None,
        }
    }
}

/// Why the environment ends (`shutdownReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ShutdownReason {
    /// Normal end: idle, replaced, stopped.
    Spindown,
    /// An invocation ran past the function's timeout.
    Timeout,
    /// The runtime exited during an invocation.
    Failure,
}

impl ShutdownReason {
    fn as_str(self) -> &'static str {
        match self {
            ShutdownReason::Spindown => "spindown",
            ShutdownReason::Timeout => "timeout",
            ShutdownReason::Failure => "failure",
        }
    }
}

/// One event as `GET /extension/event/next` returns it (JSON text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Event {
    /// The JSON body.
    pub body: String,
}

impl Event {
    /// An INVOKE event.
    pub fn invoke(request_id: &str, deadline_ms: u64, function_arn: &str, trace_id: &str) -> Event {
        let body = serde_json::json!({
            "eventType": "INVOKE",
            "deadlineMs": deadline_ms,
            "requestId": request_id,
            "invokedFunctionArn": function_arn,
            "tracing": { "type": "X-Amzn-Trace-Id", "value": trace_id },
        });
        Event {
            body: body.to_string(),
        }
    }

    /// A SHUTDOWN event.
    pub fn shutdown(reason: ShutdownReason, deadline_ms: u64) -> Event {
        let body = serde_json::json!({
            "eventType": "SHUTDOWN",
            "shutdownReason": reason.as_str(),
            "deadlineMs": deadline_ms,
        });
        Event {
            body: body.to_string(),
        }
    }
}

/// Where one extension stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Registered, not yet asked for an event.
    Registered,
    /// Waiting in `next`: done with whatever it was given.
    Ready,
    /// Given an event it has not finished (it has not called `next` since).
    Running,
    /// Reported `exit/error` or `init/error`, or its process ended.
    Gone,
}

#[derive(Debug)]
struct Agent {
    id: String,
    name: String,
    /// An executable from `/opt/extensions` (else an internal extension of the runtime process).
    external: bool,
    invoke: bool,
    shutdown: bool,
    state: State,
    queue: VecDeque<Event>,
    /// The pending `next` request, if one is waiting.
    waiter: Option<oneshot::Sender<Event>>,
}

/// A failure that ends the sandbox, as Lambda names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// `Extension.Crash`, or the type the extension reported.
    pub error_type: String,
    /// What happened, for the log and the error document.
    pub message: String,
}

/// A refusal of the Extensions API: HTTP status, `errorType`, `errorMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub status: u16,
    pub error_type: &'static str,
    pub message: String,
}

impl Refusal {
    fn forbidden(error_type: &'static str, message: String) -> Refusal {
        Refusal {
            status: 403,
            error_type,
            message,
        }
    }
}

/// What `register` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Registered {
    /// `Lambda-Extension-Identifier`.
    pub id: String,
}

#[derive(Debug, Default)]
struct Inner {
    /// File names of the external extensions started for this sandbox.
    external_names: Vec<String>,
    agents: Vec<Agent>,
    /// Closed when the Init phase ends: later registrations are refused.
    closed: bool,
    /// The first failure (init/error, exit/error, a crash).
    failure: Option<Failure>,
    /// External extensions whose process ended before registering.
    unregistered_exits: Vec<String>,
}

/// The extensions of one sandbox.
#[derive(Debug)]
pub(crate) struct Registry {
    inner: Mutex<Inner>,
    changed: watch::Sender<()>,
}

/// Lambda allows ten extensions per function.
const MAX_EXTENSIONS: usize = 10;

impl Registry {
    /// A registry expecting the external extensions named `external_names` (their file names).
    pub fn new(external_names: Vec<String>) -> Registry {
        Registry {
            inner: Mutex::new(Inner {
                external_names,
                ..Inner::default()
            }),
            changed: watch::channel(()).0,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Plain data updated in small steps; a panic cannot leave it inconsistent.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn touch(&self) {
        self.changed.send_replace(());
    }

    /// A receiver that wakes on every change (mark it seen before checking a condition).
    pub fn watch(&self) -> watch::Receiver<()> {
        self.changed.subscribe()
    }

    /// `POST /extension/register`. A name that is not one of the sandbox's executables is an
    /// internal extension (one the runtime process registers), which may not subscribe to
    /// SHUTDOWN, as on Lambda.
    pub fn register(&self, name: &str, events: &[String]) -> Result<Registered, Refusal> {
        let mut inner = self.lock();
        let external = inner.external_names.iter().any(|n| n == name);
        let mut invoke = false;
        let mut shutdown = false;
        for event in events {
            match EventKind::parse(event) {
                Some(EventKind::Invoke) => invoke = true,
                Some(EventKind::Shutdown) if external => shutdown = true,
                Some(EventKind::Shutdown) => {
                    return Err(Refusal::forbidden(
                        "Extension.InvalidEventType",
                        format!("{event}: ShutdownEventNotSupportedForInternalExtension"),
                    ))
                }
                None => {
                    return Err(Refusal::forbidden(
                        "Extension.InvalidEventType",
                        format!("{event}: ErrorInvalidEventType"),
                    ))
                }
            }
        }
        if let Some(agent) = inner.agents.iter().find(|a| a.name == name) {
            let state = if agent.external {
                "Registered"
            } else {
                "Started"
            };
            return Err(Refusal::forbidden(
                "Extension.InvalidExtensionState",
                format!(
                    "State transition from {state} to Registered failed for extension {name}. Error: State transition is not allowed"
                ),
            ));
        }
        if !external {
            if inner.closed {
                return Err(Refusal::forbidden(
                    "Extension.RegistrationClosed",
                    "Extension registration closed already".to_owned(),
                ));
            }
            if inner.agents.len() >= MAX_EXTENSIONS {
                return Err(Refusal::forbidden(
                    "Extension.TooManyExtensions",
                    format!("Extension limit ({MAX_EXTENSIONS}) reached"),
                ));
            }
        }
        let id = uuid::Uuid::new_v4().to_string();
        inner.agents.push(Agent {
            id: id.clone(),
            name: name.to_owned(),
            external,
            invoke,
            shutdown,
            state: State::Registered,
            queue: VecDeque::new(),
            waiter: None,
        });
        drop(inner);
        self.touch();
        Ok(Registered { id })
    }

    /// `GET /extension/event/next`: the agent is done with its last event; the receiver resolves
    /// with its next one.
    pub fn next(&self, id: &str) -> Result<oneshot::Receiver<Event>, Refusal> {
        let mut inner = self.lock();
        let agent = find(&mut inner, id)?;
        if agent.state == State::Gone {
            return Err(Refusal::forbidden(
                "Extension.InvalidExtensionState",
                format!(
                    "State transition from Exited to Ready failed for extension {id}. Error: State transition is not allowed"
                ),
            ));
        }
        let (tx, rx) = oneshot::channel();
        match agent.queue.pop_front() {
            Some(event) => {
                agent.state = State::Running;
                let _ = tx.send(event);
            }
            None => {
                agent.state = State::Ready;
                agent.waiter = Some(tx);
            }
        }
        drop(inner);
        self.touch();
        Ok(rx)
    }

    /// `POST /extension/init/error` or `/extension/exit/error`: the agent is gone and the
    /// sandbox with it.
    pub fn error(&self, id: &str, error_type: &str, init: bool) -> Result<(), Refusal> {
        let mut inner = self.lock();
        let agent = find(&mut inner, id)?;
        agent.state = State::Gone;
        agent.waiter = None;
        let name = agent.name.clone();
        let phase = if init { "init" } else { "exit" };
        inner.failure.get_or_insert(Failure {
            error_type: error_type.to_owned(),
            message: format!("Extension {name} reported an {phase} error: {error_type}"),
        });
        drop(inner);
        self.touch();
        Ok(())
    }

    /// The identifier's agent exists (for the Telemetry and Logs API subscriptions).
    pub fn name_of(&self, id: &str) -> Result<String, Refusal> {
        let mut inner = self.lock();
        find(&mut inner, id).map(|a| a.name.clone())
    }

    /// The process of external extension `name` ended (`status` as Lambda words it).
    pub fn process_exited(&self, name: &str, status: &str, shutting_down: bool) {
        let mut inner = self.lock();
        match inner.agents.iter_mut().find(|a| a.name == name) {
            Some(agent) => {
                agent.state = State::Gone;
                agent.waiter = None;
                if !shutting_down {
                    inner.failure.get_or_insert(Failure {
                        error_type: "Extension.Crash".to_owned(),
                        message: format!("Extension {name} exited: {status}"),
                    });
                }
            }
            None => inner.unregistered_exits.push(name.to_owned()),
        }
        drop(inner);
        self.touch();
    }

    /// External extension `name` could not be started (Lambda's `Extension.LaunchError`).
    pub fn launch_failed(&self, name: &str, message: &str) {
        let mut inner = self.lock();
        inner.failure.get_or_insert(Failure {
            error_type: "Extension.LaunchError".to_owned(),
            message: format!("Extension {name} could not start: {message}"),
        });
        drop(inner);
        self.touch();
    }

    /// Every external extension has registered or ended; `Err` names the failure if one ended
    /// (or failed) before registering.
    pub fn registration_settled(&self) -> Option<Result<(), Failure>> {
        let inner = self.lock();
        if let Some(failure) = &inner.failure {
            return Some(Err(failure.clone()));
        }
        if let Some(name) = inner.unregistered_exits.first() {
            return Some(Err(Failure {
                error_type: "Extension.Crash".to_owned(),
                message: format!("Extension {name} exited before registering"),
            }));
        }
        let all = inner
            .external_names
            .iter()
            .all(|n| inner.agents.iter().any(|a| &a.name == n));
        all.then_some(Ok(()))
    }

    /// Init is over once every registered agent waits in `next` (`Err` on a failure).
    pub fn init_settled(&self) -> Option<Result<(), Failure>> {
        let mut inner = self.lock();
        if let Some(failure) = &inner.failure {
            return Some(Err(failure.clone()));
        }
        let ready = inner
            .agents
            .iter()
            .all(|a| matches!(a.state, State::Ready | State::Running));
        if ready {
            inner.closed = true;
        }
        ready.then_some(Ok(()))
    }

    /// Give every agent subscribed to `kind` the event (built only if one is); how many got it.
    pub fn dispatch(&self, kind: EventKind, event: impl FnOnce() -> Event) -> usize {
        let mut inner = self.lock();
        let mut given = 0;
        let event = std::cell::LazyCell::new(event);
        for agent in &mut inner.agents {
            let subscribed = match kind {
                EventKind::Invoke => agent.invoke,
                EventKind::Shutdown => agent.shutdown,
            };
            if !subscribed || agent.state == State::Gone {
                continue;
            }
            given += 1;
            agent.state = State::Running;
            let event = &*event;
            match agent.waiter.take() {
                Some(waiter) => {
                    if let Err(event) = waiter.send(event.clone()) {
                        // Its `next` request went away; it gets the event on the next one.
                        agent.queue.push_back(event);
                    }
                }
                None => agent.queue.push_back(event.clone()),
            }
        }
        drop(inner);
        if given > 0 {
            self.touch();
        }
        given
    }

    /// No agent is still working on an event (every one called `next` again or is gone).
    pub fn all_done(&self) -> bool {
        self.lock().agents.iter().all(|a| a.state != State::Running)
    }

    /// The first failure, if any.
    pub fn failure(&self) -> Option<Failure> {
        self.lock().failure.clone()
    }

    /// How many external and internal extensions registered.
    pub fn counts(&self) -> (usize, usize) {
        let inner = self.lock();
        let external = inner.agents.iter().filter(|a| a.external).count();
        (external, inner.agents.len() - external)
    }
}

fn find<'a>(inner: &'a mut Inner, id: &str) -> Result<&'a mut Agent, Refusal> {
    inner.agents.iter_mut().find(|a| a.id == id).ok_or_else(|| {
        Refusal::forbidden(
            "Extension.UnknownExtensionIdentifier",
            format!("Unknown extension {id}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn init_waits_for_every_external_extension_then_for_next() {
        let registry = Registry::new(vec!["a".into(), "b".into()]);
        let a = registry.register("a", &events(&["INVOKE"])).unwrap();
        assert_eq!(
            registry.registration_settled(),
            None,
            "b has not registered"
        );
        let b = registry
            .register("b", &events(&["INVOKE", "SHUTDOWN"]))
            .unwrap();
        assert_eq!(registry.registration_settled(), Some(Ok(())));
        assert_eq!(registry.init_settled(), None, "nobody called next");
        let _rx_a = registry.next(&a.id).unwrap();
        assert_eq!(registry.init_settled(), None, "b has not called next");
        let _rx_b = registry.next(&b.id).unwrap();
        assert_eq!(registry.init_settled(), Some(Ok(())));
        assert_eq!(registry.counts(), (2, 0));
    }

    #[test]
    fn an_invocation_ends_when_each_subscriber_calls_next_again() {
        let registry = Registry::new(vec!["inv".into(), "down".into()]);
        let inv = registry.register("inv", &events(&["INVOKE"])).unwrap();
        let down = registry.register("down", &events(&["SHUTDOWN"])).unwrap();
        let mut rx = registry.next(&inv.id).unwrap();
        let _down_rx = registry.next(&down.id).unwrap();
        let event = Event::invoke("req-1", 5, "arn", "Root=1");
        assert_eq!(registry.dispatch(EventKind::Invoke, || event.clone()), 1);
        assert_eq!(rx.try_recv().unwrap(), event);
        assert!(!registry.all_done(), "inv is working on the event");
        let mut rx = registry.next(&inv.id).unwrap();
        assert!(registry.all_done());
        assert!(rx.try_recv().is_err(), "no event yet");
        let shutdown = Event::shutdown(ShutdownReason::Spindown, 9);
        assert_eq!(
            registry.dispatch(EventKind::Shutdown, || shutdown.clone()),
            1
        );
        assert!(!registry.all_done());
        registry.process_exited("down", "exit status 0", true);
        assert!(registry.all_done());
        assert_eq!(
            registry.failure(),
            None,
            "exiting at shutdown is no failure"
        );
    }

    #[test]
    fn an_event_given_while_no_next_waits_is_queued() {
        let registry = Registry::new(vec!["x".into()]);
        let x = registry.register("x", &events(&["INVOKE"])).unwrap();
        let event = Event::invoke("r", 1, "arn", "t");
        registry.dispatch(EventKind::Invoke, || event.clone());
        let mut rx = registry.next(&x.id).unwrap();
        assert_eq!(rx.try_recv().unwrap(), event);
        assert!(!registry.all_done());
    }

    #[test]
    fn internal_extensions_cannot_take_shutdown_and_registration_closes() {
        let registry = Registry::new(vec!["real".into()]);
        let refused = registry
            .register("wrong-name", &events(&["INVOKE", "SHUTDOWN"]))
            .unwrap_err();
        assert_eq!(refused.status, 403);
        assert_eq!(refused.error_type, "Extension.InvalidEventType");
        let bogus = registry.register("real", &events(&["LOGS"])).unwrap_err();
        assert_eq!(bogus.error_type, "Extension.InvalidEventType");
        let internal = registry.register("inside", &events(&["INVOKE"])).unwrap();
        let real = registry.register("real", &events(&["SHUTDOWN"])).unwrap();
        assert_eq!(
            registry.register("real", &[]).unwrap_err().error_type,
            "Extension.InvalidExtensionState"
        );
        let _a = registry.next(&internal.id).unwrap();
        let _b = registry.next(&real.id).unwrap();
        assert_eq!(registry.init_settled(), Some(Ok(())));
        assert_eq!(registry.counts(), (1, 1));
        assert_eq!(
            registry.register("late", &[]).unwrap_err().error_type,
            "Extension.RegistrationClosed"
        );
    }

    #[test]
    fn unknown_ids_errors_and_crashes() {
        let registry = Registry::new(vec!["x".into(), "y".into()]);
        assert_eq!(
            registry.next("nope").unwrap_err().error_type,
            "Extension.UnknownExtensionIdentifier"
        );
        let x = registry.register("x", &[]).unwrap();
        registry.process_exited("y", "exit status 1", false);
        let failure = registry.registration_settled().unwrap().unwrap_err();
        assert_eq!(failure.error_type, "Extension.Crash");
        registry.error(&x.id, "Extension.Boom", true).unwrap();
        assert_eq!(registry.failure().unwrap().error_type, "Extension.Boom");
        assert_eq!(
            registry.next(&x.id).unwrap_err().error_type,
            "Extension.InvalidExtensionState"
        );
    }

    #[test]
    fn event_bodies_have_lambdas_fields() {
        let invoke: serde_json::Value =
            serde_json::from_str(&Event::invoke("id", 7, "arn:x", "Root=1").body).unwrap();
        assert_eq!(
            invoke,
            serde_json::json!({"eventType":"INVOKE","deadlineMs":7,"requestId":"id","invokedFunctionArn":"arn:x","tracing":{"type":"X-Amzn-Trace-Id","value":"Root=1"}})
        );
        let down: serde_json::Value =
            serde_json::from_str(&Event::shutdown(ShutdownReason::Timeout, 3).body).unwrap();
        assert_eq!(
            down,
            serde_json::json!({"eventType":"SHUTDOWN","shutdownReason":"timeout","deadlineMs":3})
        );
    }
}
