//! Per-route and per-table costs: each route's requests through the front door that served them
//! and through the other two (the seed question: API Gateway or Function URL?), and DynamoDB's
//! on-demand request units per table.

use serde::{Deserialize, Serialize};

use super::Prices;

/// The kind of front door a route is (what API Gateway or Lambda charges per request for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FrontDoor {
    /// API Gateway REST API.
    RestApi,
    /// API Gateway HTTP API.
    HttpApi,
    /// Lambda function URL.
    FunctionUrl,
}

impl FrontDoor {
    /// The name the report prints.
    pub fn label(self) -> &'static str {
        match self {
            FrontDoor::RestApi => "REST API",
            FrontDoor::HttpApi => "HTTP API",
            FrontDoor::FunctionUrl => "Function URL",
        }
    }

    /// What one request through this door costs, beyond Lambda's own charge.
    pub fn request_price(self, prices: &Prices) -> f64 {
        match self {
            FrontDoor::RestApi => prices.rest_api_request,
            FrontDoor::HttpApi => prices.http_api_request,
            FrontDoor::FunctionUrl => prices.function_url_request,
        }
    }
}

/// One route's traffic in a run, as the traffic file keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteTraffic {
    /// The API's logical id (the function's, for a function URL).
    pub api: String,
    /// `GET /items/{id}`, `$default`, …
    pub route: String,
    /// The function's logical id.
    pub function: String,
    /// The front door that served it.
    pub front_door: FrontDoor,
    /// Requests that matched the route.
    pub requests: u64,
    /// The Lambda invocations they made: the function's, and a Lambda authorizer's (Lambda bills
    /// those whether it allowed the request or not; priced at the route function's architecture).
    pub invocations: u64,
    /// Billed GB-seconds of those invocations (billed duration × memory, from REPORT lines).
    pub gb_seconds: f64,
    /// Of the requests, the ones the gateway refused before the integration in a way API Gateway
    /// does not bill (authorizer 401/403, API key 403, throttle or quota 429; see
    /// `sluice_apigw::Rejection`).
    #[serde(default)]
    pub rejected: u64,
    /// DynamoDB read request units the route's invocations consumed (the calls carrying the
    /// invocation's `X-Amzn-Trace-Id`).
    #[serde(default)]
    pub read_units: f64,
    /// DynamoDB write request units the route's invocations consumed.
    #[serde(default)]
    pub write_units: f64,
}

impl RouteTraffic {
    /// The requests API Gateway bills: all but the rejected ones.
    pub fn billed_requests(&self) -> u64 {
        self.requests.saturating_sub(self.rejected)
    }
}

/// One table's consumed request units in a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableTraffic {
    /// The table's name.
    pub table: String,
    /// Read request units.
    pub read_units: f64,
    /// Write request units.
    pub write_units: f64,
}

/// What one route's traffic costs, as served and through each front door.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteCost {
    /// The route as counted.
    pub traffic: RouteTraffic,
    /// Lambda's charge: requests plus GB-seconds.
    pub lambda: f64,
    /// The DynamoDB request units the route's invocations consumed, on demand.
    pub dynamodb: f64,
    /// Lambda, DynamoDB and the door that served it.
    pub as_served: f64,
    /// Lambda, DynamoDB and each door, in [`FrontDoor`] order: REST API, HTTP API, Function URL.
    pub through: [(FrontDoor, f64); 3],
}

/// Costs per route; `arm64` says which functions (by logical id) run on Graviton.
///
/// Each door charges for the billed requests only: API Gateway does not bill authorization,
/// API key or throttling refusals (see `RouteTraffic::rejected`), and the same requests are
/// taken as refused behind the other doors. AWS: HTTP API requests are metered in 512 KB steps;
/// Sluice counts each request once (local payloads are small).
pub fn route_costs(
    routes: &[RouteTraffic],
    arm64: impl Fn(&str) -> bool,
    prices: &Prices,
) -> Vec<RouteCost> {
    routes
        .iter()
        .map(|r| {
            let gb_second = if arm64(&r.function) {
                prices.lambda_gb_second_arm
            } else {
                prices.lambda_gb_second_x86
            };
            let lambda = r.invocations as f64 * prices.lambda_request + r.gb_seconds * gb_second;
            let dynamodb = units_cost(r.read_units, r.write_units, prices);
            let billed = r.billed_requests() as f64;
            let door = |d: FrontDoor| lambda + dynamodb + billed * d.request_price(prices);
            RouteCost {
                traffic: r.clone(),
                lambda,
                dynamodb,
                as_served: door(r.front_door),
                through: [
                    FrontDoor::RestApi,
                    FrontDoor::HttpApi,
                    FrontDoor::FunctionUrl,
                ]
                .map(|d| (d, door(d))),
            }
        })
        .collect()
}

/// What one table's request units cost on demand.
pub fn table_cost(table: &TableTraffic, prices: &Prices) -> f64 {
    units_cost(table.read_units, table.write_units, prices)
}

/// What on-demand read and write request units cost.
pub fn units_cost(read: f64, write: f64, prices: &Prices) -> f64 {
    read * prices.dynamodb_read_unit + write * prices.dynamodb_write_unit
}

#[cfg(test)]
mod tests {
    use super::super::prices;
    use super::*;

    /// A fixed traffic log, costed by hand (us-east-1 list prices of `PRICES_AS_OF`):
    ///
    /// `GET /items` on a REST API, x86_64: 10 requests, 8 reached the function, 2.0 GB-s billed.
    /// - Lambda: 8 × $0.0000002 = $0.0000016, plus 2.0 × $0.0000166667 = $0.0000333334
    ///   → $0.000035 (0.0000016 + 0.0000333334 = 0.0000349334).
    /// - as served (REST): + 10 × $0.0000035 = $0.000035 → $0.0000699334.
    /// - through an HTTP API: + 10 × $0.000001 = $0.00001 → $0.0000449334.
    /// - through a Function URL: + $0 → $0.0000349334.
    ///
    /// `$default` on an HTTP API, arm64: 4 requests, 4 invocations, 0.5 GB-s.
    /// - Lambda: 4 × $0.0000002 = $0.0000008, plus 0.5 × $0.0000133334 = $0.0000066667
    ///   → $0.0000074667; as served (HTTP API): + 4 × $0.000001 → $0.0000114667.
    ///
    /// Table `items`: 1000 read units × $0.000000125 = $0.000125, 300 write units ×
    /// $0.000000625 = $0.0001875 → $0.0003125.
    #[test]
    fn a_fixed_traffic_log_costs_what_was_computed_by_hand_per_route_and_table() {
        let (prices, _) = prices::for_region("us-east-1");
        let routes = [
            RouteTraffic {
                api: "ServerlessRestApi".into(),
                route: "GET /items".into(),
                function: "ListItems".into(),
                front_door: FrontDoor::RestApi,
                requests: 10,
                invocations: 8,
                gb_seconds: 2.0,
                rejected: 0,
                read_units: 0.0,
                write_units: 0.0,
            },
            RouteTraffic {
                api: "ServerlessHttpApi".into(),
                route: "$default".into(),
                function: "Catchall".into(),
                front_door: FrontDoor::HttpApi,
                requests: 4,
                invocations: 4,
                gb_seconds: 0.5,
                rejected: 0,
                read_units: 0.0,
                write_units: 0.0,
            },
        ];
        let costs = route_costs(&routes, |f| f == "Catchall", &prices);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-15;
        let items = &costs[0];
        assert!(close(items.lambda, 0.000_034_933_4), "{items:?}");
        assert!(close(items.as_served, 0.000_069_933_4), "{items:?}");
        assert_eq!(items.through[0].0, FrontDoor::RestApi);
        assert!(close(items.through[0].1, 0.000_069_933_4), "{items:?}");
        assert!(close(items.through[1].1, 0.000_044_933_4), "{items:?}");
        assert!(close(items.through[2].1, 0.000_034_933_4), "{items:?}");
        let catchall = &costs[1];
        assert!(close(catchall.lambda, 0.000_007_466_7), "{catchall:?}");
        assert!(close(catchall.as_served, 0.000_011_466_7), "{catchall:?}");
        let table = TableTraffic {
            table: "items".into(),
            read_units: 1000.0,
            write_units: 300.0,
        };
        assert!(close(table_cost(&table, &prices), 0.000_312_5));
    }
}
