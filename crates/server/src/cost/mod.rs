//! What a run's traffic would cost on AWS: Lambda's requests and GB-seconds from the REPORT lines
//! the functions wrote (kept in the log store), and the same requests through each front door
//! (REST API, HTTP API, function URL), so the choice between them has numbers from the developer's
//! own traffic; per route ([`routes`]: its billed requests, its invocations and the DynamoDB units
//! they consumed) and DynamoDB's request units per table. Prices come from [`prices`], the one
//! table.

pub mod prices;
pub mod routes;
mod summary;

use std::collections::BTreeMap;

pub use prices::{Prices, PRICES_AS_OF};
pub use routes::{route_costs, table_cost, FrontDoor, RouteCost, RouteTraffic, TableTraffic};
pub use summary::RunCosts;

/// One REPORT line's billing figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Billed {
    /// `Billed Duration`, in milliseconds.
    pub billed_ms: u64,
    /// `Memory Size`, in MB.
    pub memory_mb: u64,
}

/// The billing figures of a `REPORT RequestId: …` line or its JSON form (a `platform.report`
/// event, for functions logging in Lambda's JSON format), or `None` for any other line.
pub fn parse_report(line: &str) -> Option<Billed> {
    if line.starts_with('{') {
        let event: serde_json::Value = serde_json::from_str(line).ok()?;
        if event["type"] != "platform.report" {
            return None;
        }
        let metrics = &event["record"]["metrics"];
        return Some(Billed {
            billed_ms: metrics["billedDurationMs"].as_u64()?,
            memory_mb: metrics["memorySizeMB"].as_u64()?,
        });
    }
    let rest = line.strip_prefix("REPORT RequestId: ")?;
    let field = |name: &str| -> Option<u64> {
        rest.split('\t')
            .find_map(|part| part.trim().strip_prefix(name))
            .and_then(|v| v.trim().split(' ').next())
            .and_then(|n| n.parse().ok())
    };
    Some(Billed {
        billed_ms: field("Billed Duration:")?,
        memory_mb: field("Memory Size:")?,
    })
}

/// One function's traffic and what it would cost.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionCost {
    /// The function's name.
    pub function: String,
    /// Invocations (REPORT lines).
    pub invocations: u64,
    /// Sum of billed GB-seconds.
    pub gb_seconds: f64,
    /// Lambda's charge: requests plus duration.
    pub lambda: f64,
    /// The API Gateway REST API charge for as many requests.
    pub rest_api: f64,
    /// The HTTP API charge for as many requests.
    pub http_api: f64,
    /// The function URL charge (none beyond Lambda's).
    pub function_url: f64,
}

impl FunctionCost {
    /// Lambda plus the front door's charge, for each front door.
    pub fn totals(&self) -> [(&'static str, f64); 3] {
        [
            ("REST API", self.lambda + self.rest_api),
            ("HTTP API", self.lambda + self.http_api),
            ("Function URL", self.lambda + self.function_url),
        ]
    }
}

/// Costs per function from REPORT lines; `arm64` says which functions run on Graviton.
pub fn function_costs<'a>(
    lines_by_function: impl IntoIterator<Item = (&'a str, &'a str)>,
    arm64: impl Fn(&str) -> bool,
    prices: &Prices,
) -> Vec<FunctionCost> {
    let mut sums: BTreeMap<&str, (u64, f64)> = BTreeMap::new();
    for (function, line) in lines_by_function {
        if let Some(billed) = parse_report(line) {
            let entry = sums.entry(function).or_default();
            entry.0 += 1;
            entry.1 += billed.billed_ms as f64 / 1000.0 * billed.memory_mb as f64 / 1024.0;
        }
    }
    sums.into_iter()
        .map(|(function, (invocations, gb_seconds))| {
            let gb_second_price = if arm64(function) {
                prices.lambda_gb_second_arm
            } else {
                prices.lambda_gb_second_x86
            };
            let requests = invocations as f64;
            FunctionCost {
                function: function.to_owned(),
                invocations,
                gb_seconds,
                lambda: requests * prices.lambda_request + gb_seconds * gb_second_price,
                rest_api: requests * prices.rest_api_request,
                http_api: requests * prices.http_api_request,
                function_url: requests * prices.function_url_request,
            }
        })
        .collect()
}

/// A cost in dollars with enough digits to see a single request's share.
pub fn dollars(amount: f64) -> String {
    if amount == 0.0 {
        "$0".to_owned()
    } else if amount < 0.01 {
        format!("${amount:.8}")
    } else {
        format!("${amount:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_lines_give_billed_duration_and_memory() {
        let line = "REPORT RequestId: abc\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 45 MB\tInit Duration: 123.45 ms\t";
        assert_eq!(
            parse_report(line),
            Some(Billed {
                billed_ms: 13,
                memory_mb: 128
            })
        );
        assert_eq!(parse_report("START RequestId: abc Version: $LATEST"), None);
        let json = r#"{"time":"t","type":"platform.report","record":{"requestId":"r","metrics":{"durationMs":1.5,"billedDurationMs":2,"memorySizeMB":256,"maxMemoryUsedMB":40},"status":"success"}}"#;
        assert_eq!(
            parse_report(json),
            Some(Billed {
                billed_ms: 2,
                memory_mb: 256
            })
        );
        assert_eq!(parse_report(r#"{"type":"platform.start"}"#), None);
    }

    /// A fixed traffic log, costed by hand:
    /// - `api` (x86_64, 128 MB): 3 invocations billed 100 + 200 + 1000 ms
    ///   = 1.3 s × 0.125 GB = 0.1625 GB-s × $0.0000166667 = $0.00000270833875,
    ///   plus 3 × $0.0000002 = $0.0000006 → Lambda $0.00000330833875;
    ///   REST API 3 × $0.0000035 = $0.0000105; HTTP API 3 × $0.000001 = $0.000003.
    /// - `worker` (arm64, 1024 MB): 1 invocation billed 2000 ms = 2 GB-s × $0.0000133334
    ///   = $0.0000266668, plus $0.0000002 → Lambda $0.0000268668.
    #[test]
    fn a_fixed_traffic_log_costs_what_was_computed_by_hand() {
        let report = |ms: u32, mb: u32| {
            format!("REPORT RequestId: r\tDuration: 1.00 ms\tBilled Duration: {ms} ms\tMemory Size: {mb} MB\tMax Memory Used: 40 MB\t")
        };
        let lines = [
            ("api", "START RequestId: r Version: $LATEST".to_owned()),
            ("api", report(100, 128)),
            ("api", "END RequestId: r".to_owned()),
            ("api", report(200, 128)),
            ("api", report(1000, 128)),
            ("worker", report(2000, 1024)),
        ];
        let (prices, stand_in) = prices::for_region("us-east-1");
        assert!(!stand_in);
        let costs = function_costs(
            lines.iter().map(|(f, l)| (*f, l.as_str())),
            |f| f == "worker",
            &prices,
        );
        let close = |a: f64, b: f64| (a - b).abs() < 1e-15;
        let api = &costs[0];
        assert_eq!((api.function.as_str(), api.invocations), ("api", 3));
        assert!(close(api.gb_seconds, 0.1625), "{api:?}");
        assert!(close(api.lambda, 0.000_003_308_338_75), "{api:?}");
        assert!(close(api.rest_api, 0.000_010_5), "{api:?}");
        assert!(close(api.http_api, 0.000_003), "{api:?}");
        assert!(
            close(api.totals()[2].1, api.lambda),
            "a function URL adds nothing"
        );
        let worker = &costs[1];
        assert!(close(worker.lambda, 0.000_026_866_8), "{worker:?}");
        assert_eq!(dollars(worker.lambda), "$0.00002687");
        assert_eq!(dollars(12.345), "$12.35");
        assert!(
            prices::for_region("eu-west-1").1,
            "unknown regions say they use a stand-in"
        );
    }
}
