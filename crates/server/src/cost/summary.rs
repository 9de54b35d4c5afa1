//! One run's costs, priced once and shown three ways: the short table `start-api` prints at
//! shutdown, `sluice report`, and the console.

use super::routes::{route_costs, table_cost, units_cost, RouteCost, RouteTraffic, TableTraffic};
use super::{dollars, prices, Prices, PRICES_AS_OF};

/// A run's routes and tables, priced.
#[derive(Debug, Clone)]
pub struct RunCosts {
    /// The prices used.
    pub prices: Prices,
    /// The region asked for (the prices may be another's stand-in).
    pub region: String,
    /// Per route, in the order routes were first requested.
    pub routes: Vec<RouteCost>,
    /// Per table: its units and their cost.
    pub tables: Vec<(TableTraffic, f64)>,
}

impl RunCosts {
    /// Prices `routes` and `tables` in `region`; `arm64` says which functions (logical ids) run on
    /// Graviton.
    pub fn new(
        routes: &[RouteTraffic],
        tables: &[TableTraffic],
        arm64: impl Fn(&str) -> bool,
        region: &str,
    ) -> RunCosts {
        let (prices, _) = prices::for_region(region);
        RunCosts {
            prices,
            region: region.to_owned(),
            routes: route_costs(routes, arm64, &prices),
            tables: tables
                .iter()
                .filter(|t| t.read_units > 0.0 || t.write_units > 0.0)
                .map(|t| (t.clone(), table_cost(t, &prices)))
                .collect(),
        }
    }

    /// Nothing was requested and no table was used.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty() && self.tables.is_empty()
    }

    /// What the prices are: region, date, and that no free tier is applied.
    pub fn heading(&self) -> String {
        let region = if self.prices.region == self.region {
            self.region.clone()
        } else {
            format!("{}, priced as {}", self.region, self.prices.region)
        };
        format!("{region}, list prices of {PRICES_AS_OF}, no free tier")
    }

    /// All DynamoDB request units' cost.
    pub fn dynamodb_total(&self) -> f64 {
        self.tables.iter().map(|(_, cost)| cost).sum()
    }

    /// The cost of the units no route's invocation consumed (tools, other processes, calls
    /// without a trace header): the tables' units less the routes'. Every table is priced alike,
    /// so the difference of the sums is exact.
    pub fn unattributed_dynamodb(&self) -> f64 {
        let sum = |table: fn(&TableTraffic) -> f64, route: fn(&RouteTraffic) -> f64| {
            let tables: f64 = self.tables.iter().map(|(t, _)| table(t)).sum();
            let routes: f64 = self.routes.iter().map(|r| route(&r.traffic)).sum();
            (tables - routes).max(0.0)
        };
        units_cost(
            sum(|t| t.read_units, |r| r.read_units),
            sum(|t| t.write_units, |r| r.write_units),
            &self.prices,
        )
    }

    /// Everything, as served and with every route through a Function URL: the routes (their
    /// DynamoDB units included) plus the units no route consumed.
    pub fn totals(&self) -> (f64, f64) {
        let rest = self.unattributed_dynamodb();
        let served: f64 = self.routes.iter().map(|r| r.as_served).sum();
        let url: f64 = self.routes.iter().map(|r| r.through[2].1).sum();
        (served + rest, url + rest)
    }

    /// Requests API Gateway would not bill (authorization, API key and throttling refusals).
    pub fn rejected(&self) -> u64 {
        self.routes.iter().map(|r| r.traffic.rejected).sum()
    }

    /// The short table: one line per route (as served, and through a Function URL), one per
    /// table, and the total each way.
    pub fn short_table(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "What this run's traffic would cost on AWS ({}):",
            self.heading()
        )];
        if self.is_empty() {
            lines.push("  no requests".to_owned());
            return lines;
        }
        lines.push(format!(
            "  {:<44} {:>8} {:>10} {:>16} {:>16}",
            "route", "requests", "DynamoDB", "as served", "via Function URL"
        ));
        for r in &self.routes {
            let name = format!("{} ({})", r.traffic.route, r.traffic.front_door.label());
            lines.push(format!(
                "  {:<44} {:>8} {:>10} {:>16} {:>16}",
                name,
                r.traffic.requests,
                format!("{}/{}", r.traffic.read_units, r.traffic.write_units),
                dollars(r.as_served),
                dollars(r.through[2].1)
            ));
        }
        let rest = self.unattributed_dynamodb();
        if rest > 0.0 {
            lines.push(format!(
                "  {:<44} {:>8} {:>10} {:>16} {:>16}",
                "DynamoDB outside any request",
                "",
                "",
                dollars(rest),
                dollars(rest)
            ));
        }
        let (served, url) = self.totals();
        lines.push(format!(
            "  {:<44} {:>8} {:>10} {:>16} {:>16}",
            "total",
            "",
            "",
            dollars(served),
            dollars(url)
        ));
        if self
            .routes
            .iter()
            .any(|r| r.traffic.read_units + r.traffic.write_units > 0.0)
            || rest > 0.0
        {
            lines.push("  (DynamoDB: read/write request units, on demand)".to_owned());
        }
        let rejected = self.rejected();
        if rejected > 0 {
            lines.push(format!(
                "  ({rejected} refused by an authorizer, API key or throttle: API Gateway does not bill those)"
            ));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::FrontDoor;

    /// Hand-computed (us-east-1): `GET /` on an HTTP API, 2 requests, 2 invocations, 0.25 GB-s
    /// on x86_64: Lambda 2 × $0.0000002 + 0.25 × $0.0000166667 = $0.000004566675; as served,
    /// plus 2 × $0.000001, $0.000006566675 → "$0.00000657"; via a Function URL "$0.00000457".
    /// Table `t`: 4 RRU × $0.000000125 + 2 WRU × $0.000000625 = $0.00000175, none of it by the
    /// route's invocations.
    /// Totals: $0.000008316675 → "$0.00000832" and $0.000006316675 → "$0.00000632".
    #[test]
    fn the_short_table_shows_each_route_both_ways_and_the_totals() {
        let routes = [RouteTraffic {
            api: "Api".into(),
            route: "GET /".into(),
            function: "Fn".into(),
            front_door: FrontDoor::HttpApi,
            requests: 2,
            invocations: 2,
            gb_seconds: 0.25,
            rejected: 0,
            read_units: 0.0,
            write_units: 0.0,
        }];
        let tables = [
            TableTraffic {
                table: "t".into(),
                read_units: 4.0,
                write_units: 2.0,
            },
            TableTraffic {
                table: "unused".into(),
                read_units: 0.0,
                write_units: 0.0,
            },
        ];
        let costs = RunCosts::new(&routes, &tables, |_| false, "us-east-1");
        let lines = costs.short_table();
        let text = lines.join("\n");
        assert!(lines[0].contains("us-east-1, list prices of"), "{text}");
        let route = lines
            .iter()
            .find(|l| l.contains("GET / (HTTP API)"))
            .unwrap();
        assert!(
            route.contains("$0.00000657") && route.contains("$0.00000457"),
            "{text}"
        );
        let outside = lines
            .iter()
            .find(|l| l.contains("DynamoDB outside any request"))
            .unwrap();
        assert!(outside.contains("$0.00000175"), "{text}");
        assert!(!text.contains("refused"), "nothing was refused: {text}");
        let total = lines
            .iter()
            .find(|l| l.trim_start().starts_with("total"))
            .unwrap();
        assert!(
            total.contains("$0.00000832") && total.contains("$0.00000632"),
            "{text}"
        );
    }

    /// A fixed traffic log with DynamoDB units per route and refused requests, by hand
    /// (us-east-1): `PUT /items` on a REST API, x86_64: 12 requests of which 4 refused (3 by the
    /// authorizer, 1 throttled), 8 invocations, 0.5 GB-s, 16 RRU and 8 WRU by those invocations.
    /// - Lambda: 8 × $0.0000002 = $0.0000016, + 0.5 × $0.0000166667 = $0.00000833335
    ///   → $0.00000993335.
    /// - DynamoDB: 16 × $0.000000125 = $0.000002, + 8 × $0.000000625 = $0.000005 → $0.000007.
    /// - REST API: the 8 billed requests × $0.0000035 = $0.000028.
    /// - as served: $0.00000993335 + $0.000007 + $0.000028 = $0.00004493335 → "$0.00004493";
    ///   via a Function URL: $0.00001693335 → "$0.00001693".
    ///
    /// Table `items` consumed 20 RRU and 10 WRU in all: 4 RRU and 2 WRU outside any request,
    /// 4 × $0.000000125 + 2 × $0.000000625 = $0.00000175.
    /// Totals: $0.00004668335 → "$0.00004668" and $0.00001868335 → "$0.00001868".
    #[test]
    fn route_dynamodb_units_and_refused_requests_are_priced_as_aws_bills_them() {
        let routes = [RouteTraffic {
            api: "Api".into(),
            route: "PUT /items".into(),
            function: "Put".into(),
            front_door: FrontDoor::RestApi,
            requests: 12,
            invocations: 8,
            gb_seconds: 0.5,
            rejected: 4,
            read_units: 16.0,
            write_units: 8.0,
        }];
        let tables = [TableTraffic {
            table: "items".into(),
            read_units: 20.0,
            write_units: 10.0,
        }];
        let costs = RunCosts::new(&routes, &tables, |_| false, "us-east-1");
        let close = |a: f64, b: f64| (a - b).abs() < 1e-15;
        let route = &costs.routes[0];
        assert!(close(route.lambda, 0.000_009_933_35), "{route:?}");
        assert!(close(route.dynamodb, 0.000_007), "{route:?}");
        assert!(close(route.as_served, 0.000_044_933_35), "{route:?}");
        assert!(close(route.through[1].1, 0.000_024_933_35), "{route:?}");
        assert!(close(route.through[2].1, 0.000_016_933_35), "{route:?}");
        assert!(close(costs.unattributed_dynamodb(), 0.000_001_75));
        let (served, url) = costs.totals();
        assert!(close(served, 0.000_046_683_35), "{served}");
        assert!(close(url, 0.000_018_683_35), "{url}");
        let lines = costs.short_table();
        let text = lines.join("\n");
        let row = lines.iter().find(|l| l.contains("PUT /items")).unwrap();
        assert!(
            row.contains("16/8") && row.contains("$0.00004493") && row.contains("$0.00001693"),
            "{text}"
        );
        let total = lines
            .iter()
            .find(|l| l.trim_start().starts_with("total"))
            .unwrap();
        assert!(
            total.contains("$0.00004668") && total.contains("$0.00001868"),
            "{text}"
        );
        assert!(
            text.contains("(4 refused by an authorizer, API key or throttle: API Gateway does not bill those)"),
            "{text}"
        );
    }
}
