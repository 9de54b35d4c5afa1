//! What the run's traffic was: the last requests (with the invocation each made), counts per
//! route and status, and per-function statistics. The console, the metrics endpoint and the cost
//! report read it; the request path only appends to it.
//!
//! Recording is cheap on purpose (the request path is benchmarked): a bounded ring of the last
//! requests whose event and response are the invocation's own reference-counted buffers, and
//! counters behind short uncontended locks. Function log lines are not copied here: the console
//! reads them from the log store by request id.

pub mod function_stats;
pub mod request_slot;
mod saved;

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use sluice_apigw::{AccessLog, AccessRecord, Dialect, RouteRecord};
use sluice_lambda::Invocation;

use crate::cost::{FrontDoor, RouteTraffic};
use crate::terminal_log::TerminalLog;
pub use function_stats::{FunctionStats, ReportFigures, DURATION_BUCKETS};
pub use request_slot::InvocationRecord;
pub use saved::{SavedTraffic, TRAFFIC_FILE};

/// How many requests the console keeps and shows by default.
pub const DEFAULT_RECENT: usize = 100;

/// One request as the console lists it.
#[derive(Debug, Clone)]
pub struct RecentRequest {
    /// When it was answered, in milliseconds since the epoch.
    pub at_millis: i64,
    /// The gateway's request id (`requestContext.requestId`).
    pub request_id: String,
    /// The method the client sent.
    pub method: String,
    /// The path and query the client sent.
    pub path: String,
    /// The status answered.
    pub status: u16,
    /// From the request head to the response.
    pub elapsed: Duration,
    /// The route it matched, if any.
    pub route: Option<RouteRecord>,
    /// The invocation it made, if it reached a function.
    pub invocation: Option<InvocationRecord>,
}

/// One route's counters (or the requests that matched none, with `route: None`).
#[derive(Debug, Clone)]
pub struct RouteTally {
    /// The route.
    pub route: Option<RouteRecord>,
    /// Requests.
    pub requests: u64,
    /// Requests by answered status.
    pub statuses: BTreeMap<u16, u64>,
    /// Invocations made.
    pub invocations: u64,
    /// Their billed GB-seconds.
    pub gb_seconds: f64,
}

/// The run's traffic, shared by the gateway's access log, the Lambda log sink and the console.
pub struct Traffic {
    capacity: usize,
    recent: Mutex<VecDeque<RecentRequest>>,
    routes: Mutex<Vec<RouteTally>>,
    functions: Mutex<BTreeMap<String, FunctionStats>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every update is a plain counter bump or push: a panic cannot leave one half done.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Traffic {
    /// Keeps the last `capacity` requests.
    pub fn new(capacity: usize) -> Traffic {
        Traffic {
            capacity,
            recent: Mutex::new(VecDeque::with_capacity(capacity)),
            routes: Mutex::new(Vec::new()),
            functions: Mutex::new(BTreeMap::new()),
        }
    }

    /// Records one answered API request, with the invocation its integration made (if any).
    pub fn request(&self, record: &AccessRecord, invocation: Option<InvocationRecord>) {
        {
            let mut routes = lock(&self.routes);
            let same = |t: &&mut RouteTally| match (&t.route, &record.route) {
                (Some(a), Some(b)) => a.api == b.api && a.key == b.key,
                (None, None) => true,
                _ => false,
            };
            let tally = match routes.iter_mut().find(same) {
                Some(tally) => tally,
                None => {
                    routes.push(RouteTally {
                        route: record.route.clone(),
                        requests: 0,
                        statuses: BTreeMap::new(),
                        invocations: 0,
                        gb_seconds: 0.0,
                    });
                    // Just pushed.
                    routes.last_mut().expect("a route was pushed")
                }
            };
            tally.requests += 1;
            *tally.statuses.entry(record.status).or_default() += 1;
            if let Some(invocation) = &invocation {
                tally.invocations += 1;
                tally.gb_seconds += invocation.gb_seconds;
            }
        }
        if self.capacity == 0 {
            return;
        }
        let entry = RecentRequest {
            at_millis: crate::logs::now_millis(),
            request_id: record.request_id.clone(),
            method: record.method.clone(),
            path: record.path.clone(),
            status: record.status,
            elapsed: record.elapsed,
            route: record.route.clone(),
            invocation,
        };
        let mut recent = lock(&self.recent);
        if recent.len() == self.capacity {
            recent.pop_front();
        }
        recent.push_back(entry);
    }

    /// Counts one invocation of `function`, whatever made it.
    pub fn invoked(&self, function: &str, invocation: &Invocation) {
        let report = function_stats::report_figures(&invocation.log_tail);
        let failed = invocation.function_error.is_some();
        let mut functions = lock(&self.functions);
        match functions.get_mut(function) {
            Some(stats) => stats.record(failed, report.as_ref()),
            None => {
                let mut stats = FunctionStats::default();
                stats.record(failed, report.as_ref());
                functions.insert(function.to_owned(), stats);
            }
        }
    }

    /// The kept requests, newest first.
    pub fn recent(&self) -> Vec<RecentRequest> {
        lock(&self.recent).iter().rev().cloned().collect()
    }

    /// Counters per route, in the order routes were first requested.
    pub fn routes(&self) -> Vec<RouteTally> {
        lock(&self.routes).clone()
    }

    /// Statistics per function name.
    pub fn functions(&self) -> BTreeMap<String, FunctionStats> {
        lock(&self.functions).clone()
    }

    /// The routed traffic as the cost report prices it.
    pub fn route_traffic(&self) -> Vec<RouteTraffic> {
        lock(&self.routes)
            .iter()
            .filter_map(|tally| {
                let route = tally.route.as_ref()?;
                Some(RouteTraffic {
                    api: route.api.clone(),
                    route: route.key.clone(),
                    function: route.function.clone(),
                    front_door: front_door(route.dialect),
                    requests: tally.requests,
                    invocations: tally.invocations,
                    gb_seconds: tally.gb_seconds,
                })
            })
            .collect()
    }
}

/// The front door a dialect is billed as.
pub fn front_door(dialect: Dialect) -> FrontDoor {
    match dialect {
        Dialect::Rest => FrontDoor::RestApi,
        Dialect::HttpApi(_) => FrontDoor::HttpApi,
        Dialect::FunctionUrl => FrontDoor::FunctionUrl,
    }
}

/// The gateway's access log: the terminal line as before, and the traffic record.
pub(crate) struct ObservedAccessLog {
    /// Where the line is printed.
    pub terminal: Arc<TerminalLog>,
    /// Where the request is counted.
    pub traffic: Arc<Traffic>,
}

impl AccessLog for ObservedAccessLog {
    fn record(&self, record: &AccessRecord) {
        self.terminal.record(record);
        self.traffic.request(record, request_slot::take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(path: &str, status: u16, route: Option<&str>) -> AccessRecord {
        AccessRecord {
            request_id: format!("id {path}"),
            method: "GET".into(),
            path: path.into(),
            status,
            route: route.map(|key| RouteRecord {
                api: "ServerlessRestApi".into(),
                key: key.into(),
                function: "Fn".into(),
                dialect: Dialect::Rest,
            }),
            ..AccessRecord::default()
        }
    }

    fn invocation(gb_seconds: f64) -> InvocationRecord {
        InvocationRecord {
            function: "fn-name".into(),
            request_id: "lambda-id".into(),
            event: bytes::Bytes::from_static(b"{}"),
            event_size: 2,
            response: bytes::Bytes::from_static(b"{\"statusCode\":200}"),
            response_size: 17,
            function_error: false,
            gb_seconds,
        }
    }

    #[test]
    fn requests_are_counted_per_route_and_status_and_the_ring_keeps_the_last_ones() {
        let traffic = Traffic::new(2);
        traffic.request(&access("/a", 200, Some("GET /a")), Some(invocation(0.5)));
        traffic.request(&access("/a", 502, Some("GET /a")), Some(invocation(0.25)));
        traffic.request(&access("/nope", 403, None), None);
        let recent = traffic.recent();
        assert_eq!(recent.len(), 2, "the ring is bounded");
        assert_eq!(recent[0].path, "/nope", "newest first");
        assert_eq!(recent[1].status, 502);
        let routes = traffic.routes();
        assert_eq!(routes.len(), 2);
        assert_eq!(routes[0].requests, 2);
        assert_eq!(routes[0].statuses, BTreeMap::from([(200, 1), (502, 1)]));
        assert_eq!(routes[0].gb_seconds, 0.75);
        assert!(routes[1].route.is_none());
        let priced = traffic.route_traffic();
        assert_eq!(priced.len(), 1, "unrouted requests are not priced");
        assert_eq!(
            (
                priced[0].requests,
                priced[0].invocations,
                priced[0].front_door
            ),
            (2, 2, FrontDoor::RestApi)
        );
    }
}
