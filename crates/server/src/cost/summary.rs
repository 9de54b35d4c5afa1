//! One run's costs, priced once and shown three ways: the short table `start-api` prints at
//! shutdown, `sluice report`, and the console.

use super::routes::{route_costs, table_cost, RouteCost, RouteTraffic, TableTraffic};
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
            "  {:<44} {:>8} {:>16} {:>16}",
            "route", "requests", "as served", "via Function URL"
        ));
        for r in &self.routes {
            let name = format!("{} ({})", r.traffic.route, r.traffic.front_door.label());
            lines.push(format!(
                "  {:<44} {:>8} {:>16} {:>16}",
                name,
                r.traffic.requests,
                dollars(r.as_served),
                dollars(r.through[2].1)
            ));
        }
        for (t, cost) in &self.tables {
            lines.push(format!(
                "  DynamoDB {:<35} {:>8} {:>16} {:>16}",
                t.table,
                format!("{}/{}", t.read_units, t.write_units),
                dollars(*cost),
                dollars(*cost)
            ));
        }
        let served: f64 =
            self.routes.iter().map(|r| r.as_served).sum::<f64>() + self.dynamodb_total();
        let url: f64 =
            self.routes.iter().map(|r| r.through[2].1).sum::<f64>() + self.dynamodb_total();
        lines.push(format!(
            "  {:<44} {:>8} {:>16} {:>16}",
            "total",
            "",
            dollars(served),
            dollars(url)
        ));
        if !self.tables.is_empty() {
            lines.push("  (DynamoDB column: read/write request units, on demand)".to_owned());
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
    /// Table `t`: 4 RRU × $0.000000125 + 2 WRU × $0.000000625 = $0.00000175.
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
        let table = lines.iter().find(|l| l.contains("DynamoDB t")).unwrap();
        assert!(
            table.contains("4/2") && table.contains("$0.00000175"),
            "{text}"
        );
        assert!(
            !text.contains("unused"),
            "unused tables are left out: {text}"
        );
        let total = lines
            .iter()
            .find(|l| l.trim_start().starts_with("total"))
            .unwrap();
        assert!(
            total.contains("$0.00000832") && total.contains("$0.00000632"),
            "{text}"
        );
    }
}
