//! What the run's traffic was: the last requests (with the invocation each made), counts per
//! route and status, and per-function statistics. The console, the metrics endpoint and the cost
//! report read it; the request path only appends to it.
//!
//! Recording is cheap on purpose (the request path is benchmarked): a bounded ring of the last
//! requests whose event and response are the invocation's own reference-counted buffers, and
//! counters behind short uncontended locks. Function log lines are not copied here: the console
//! reads them from the log store by request id.

pub mod dynamodb_units;
pub mod function_stats;
pub mod request_slot;
mod saved;

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use sluice_apigw::{AccessLog, AccessRecord, Dialect, RouteRecord};
use sluice_dynamodb::TableUnits;
use sluice_lambda::Invocation;

use crate::cost::{FrontDoor, RouteTraffic};
use crate::terminal_log::TerminalLog;
use dynamodb_units::UnitsByTrace;
pub use function_stats::{FunctionStats, ReportFigures, DURATION_BUCKETS};
pub use request_slot::{InvocationRecord, RequestInvocations};
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
    /// Invocations made (a Lambda authorizer's included: Lambda bills them).
    pub invocations: u64,
    /// Their billed GB-seconds.
    pub gb_seconds: f64,
    /// Requests refused in a way API Gateway does not bill (authorizer, API key, throttle).
    pub rejected: u64,
    /// DynamoDB read request units the invocations consumed.
    pub read_units: f64,
    /// DynamoDB write request units the invocations consumed.
    pub write_units: f64,
}

/// The run's traffic, shared by the gateway's access log, the Lambda log sink and the console.
pub struct Traffic {
    capacity: usize,
    recent: Mutex<VecDeque<RecentRequest>>,
    routes: Mutex<Vec<RouteTally>>,
    functions: Mutex<BTreeMap<String, FunctionStats>>,
    /// DynamoDB units of invocations still running (or never asked for by a request).
    dynamodb: Mutex<UnitsByTrace>,
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
            dynamodb: Mutex::new(UnitsByTrace::default()),
        }
    }

    /// Records one answered API request, with the invocation its integration made (if any).
    pub fn request(&self, record: &AccessRecord, invocation: Option<InvocationRecord>) {
        let invocations = RequestInvocations {
            last: invocation,
            earlier: Vec::new(),
        };
        self.request_with(record, invocations);
    }

    /// Records one answered API request with every invocation it made: the last is the one the
    /// console shows; all are billed (a Lambda authorizer's too, allowed or not).
    pub fn request_with(&self, record: &AccessRecord, invocations: RequestInvocations) {
        let RequestInvocations { last, earlier } = invocations;
        // The handlers' DynamoDB calls were answered before the functions answered.
        let mut units = TableUnits::default();
        let mut gb_seconds = 0.0;
        {
            let mut by_trace = lock(&self.dynamodb);
            for made in earlier.iter().chain(&last) {
                let taken = by_trace.take(&made.trace_id);
                units.read += taken.read;
                units.write += taken.write;
                gb_seconds += made.gb_seconds;
            }
        }
        let invocation = last;
        let invoked = earlier.len() as u64 + u64::from(invocation.is_some());
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
                        rejected: 0,
                        read_units: 0.0,
                        write_units: 0.0,
                    });
                    // Just pushed.
                    routes.last_mut().expect("a route was pushed")
                }
            };
            tally.requests += 1;
            *tally.statuses.entry(record.status).or_default() += 1;
            if record.rejected.is_some() {
                tally.rejected += 1;
            }
            tally.read_units += units.read;
            tally.write_units += units.write;
            tally.invocations += invoked;
            tally.gb_seconds += gb_seconds;
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

    /// Counts one DynamoDB call's units toward the invocation its `X-Amzn-Trace-Id` names.
    pub fn dynamodb_call(&self, trace_header: &str, units: TableUnits) {
        lock(&self.dynamodb).add(trace_header, units);
    }

    /// Counts one invocation of `function`, whatever made it.
    pub fn invoked(&self, function: &str, invocation: &Invocation) {
        let report = invocation.report;
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
                    api: route.api.to_string(),
                    route: route.key.to_string(),
                    function: route.function.to_string(),
                    front_door: front_door(route.dialect),
                    requests: tally.requests,
                    invocations: tally.invocations,
                    gb_seconds: tally.gb_seconds,
                    rejected: tally.rejected,
                    read_units: tally.read_units,
                    write_units: tally.write_units,
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
    /// Where a stage's access log lines (`AccessLogSetting(s)`) and a REST stage's execution log
    /// lines (`MethodSettings` `LoggingLevel`) go, as CloudWatch Logs events.
    pub logs: Arc<crate::logs::LogStore>,
}

impl AccessLog for ObservedAccessLog {
    fn record(&self, record: &AccessRecord) {
        self.terminal.record(record);
        if let Some(line) = &record.stage_log {
            self.logs
                .append_shared(line.group.clone(), line.stream.clone(), &line.message);
        }
        if let Some(execution) = &record.execution_log {
            for (timestamp, message) in &execution.lines {
                self.logs.append_shared_at(
                    execution.group.clone(),
                    execution.stream.clone(),
                    *timestamp,
                    message.clone(),
                );
            }
        }
        self.traffic.request_with(record, request_slot::take());
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
            trace_id: String::new(),
            integration_status: request_slot::INVOKED,
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

    /// A fixed traffic log, priced by hand (us-east-1): `POST /orders` on a REST API, x86_64.
    /// - Request 1: invoked (trace A, 0.25 GB-s); its handler's calls: 2 RRU + 1 WRU, then 1 WRU.
    /// - Request 2: a Lambda authorizer denied it (403); the authorizer ran 0.125 GB-s.
    /// - Request 3: throttled (429), nothing invoked.
    /// - Request 4: invoked (trace B, 0.25 GB-s); its handler's call: 0.5 RRU.
    /// - Request 5: the Lambda authorizer allowed it (0.125 GB-s), then invoked (0.25 GB-s).
    /// - A call with trace C (an invocation no request made: 3 WRU) and one without a trace.
    ///
    /// The route: 5 requests, 3 billed, 5 invocations (two of them the authorizer's), 1.0 GB-s,
    /// 2.5 RRU, 2 WRU.
    /// - Lambda: 5 × $0.0000002 + 1.0 × $0.0000166667 = $0.0000176667.
    /// - DynamoDB: 2.5 × $0.000000125 + 2 × $0.000000625 = $0.0000015625.
    /// - REST API: 3 × $0.0000035 = $0.0000105 → as served $0.0000297292.
    #[test]
    fn a_fixed_traffic_log_prices_each_routes_dynamodb_units_and_leaves_refusals_unbilled() {
        let traffic = Traffic::new(0);
        let traced = |trace: &str| InvocationRecord {
            trace_id: format!("Root=1-{trace};Parent=0;Sampled=0"),
            ..invocation(0.25)
        };
        let units = |read, write| TableUnits { read, write };
        traffic.dynamodb_call("Root=1-A;Parent=1;Sampled=0", units(2.0, 1.0));
        traffic.dynamodb_call("Root=1-A;Parent=2;Sampled=0", units(0.0, 1.0));
        traffic.request(
            &access("/orders", 200, Some("POST /orders")),
            Some(traced("A")),
        );
        let refused = |status, rejection| AccessRecord {
            rejected: Some(rejection),
            ..access("/orders", status, Some("POST /orders"))
        };
        let authorizer = || InvocationRecord {
            function: "authorizer-fn".into(),
            ..invocation(0.125)
        };
        traffic.request(
            &refused(403, sluice_apigw::Rejection::Authorization),
            Some(authorizer()),
        );
        traffic.request(&refused(429, sluice_apigw::Rejection::Throttled), None);
        traffic.dynamodb_call("Root=1-C;Parent=3;Sampled=0", units(0.0, 3.0));
        traffic.dynamodb_call("Root=1-B;Parent=4;Sampled=0", units(0.5, 0.0));
        traffic.request(
            &access("/orders", 200, Some("POST /orders")),
            Some(traced("B")),
        );
        traffic.request_with(
            &access("/orders", 200, Some("POST /orders")),
            RequestInvocations {
                last: Some(traced("E")),
                earlier: vec![authorizer()],
            },
        );
        let routes = traffic.route_traffic();
        assert_eq!(routes.len(), 1);
        let route = &routes[0];
        assert_eq!(
            (
                route.requests,
                route.rejected,
                route.billed_requests(),
                route.invocations
            ),
            (5, 2, 3, 5)
        );
        assert_eq!(route.gb_seconds, 1.0);
        assert_eq!((route.read_units, route.write_units), (2.5, 2.0));
        let costs = crate::cost::RunCosts::new(&routes, &[], |_| false, "us-east-1");
        let close = |a: f64, b: f64| (a - b).abs() < 1e-15;
        let priced = &costs.routes[0];
        assert!(close(priced.lambda, 0.000_017_666_7), "{priced:?}");
        assert!(close(priced.dynamodb, 0.000_001_562_5), "{priced:?}");
        assert!(close(priced.as_served, 0.000_029_729_2), "{priced:?}");
    }
}
