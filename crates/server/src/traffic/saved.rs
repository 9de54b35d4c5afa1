//! The last `start-api` run's traffic, kept in the state folder so `sluice report` can price it
//! per route and per table after the server stopped (the REPORT lines it prices per function are
//! in the log store already).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::cost::{RouteTraffic, TableTraffic};

/// The file's name in the state folder.
pub const TRAFFIC_FILE: &str = "traffic.json";

/// One run's routed requests and DynamoDB request units.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SavedTraffic {
    /// Per route.
    pub routes: Vec<RouteTraffic>,
    /// Per table.
    pub tables: Vec<TableTraffic>,
}

impl SavedTraffic {
    /// Writes the file whole (a temporary file renamed over it, so a reader never sees half).
    pub fn save(&self, state_dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(state_dir)?;
        let text = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        let temporary = state_dir.join(format!("{TRAFFIC_FILE}.tmp"));
        std::fs::write(&temporary, text)?;
        std::fs::rename(temporary, state_dir.join(TRAFFIC_FILE))
    }

    /// Reads the file; `None` when there is none (no run yet) or it cannot be read.
    pub fn load(state_dir: &Path) -> Option<SavedTraffic> {
        let text = std::fs::read(state_dir.join(TRAFFIC_FILE)).ok()?;
        serde_json::from_slice(&text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::FrontDoor;

    #[test]
    fn saved_traffic_reads_back_as_written() {
        let dir = std::env::temp_dir().join(format!("sluice-traffic-{}", uuid::Uuid::new_v4()));
        assert_eq!(SavedTraffic::load(&dir), None);
        let saved = SavedTraffic {
            routes: vec![RouteTraffic {
                api: "Api".into(),
                route: "GET /".into(),
                function: "Fn".into(),
                front_door: FrontDoor::HttpApi,
                requests: 3,
                invocations: 2,
                gb_seconds: 0.25,
                rejected: 1,
                read_units: 2.5,
                write_units: 1.0,
            }],
            tables: vec![TableTraffic {
                table: "t".into(),
                read_units: 1.5,
                write_units: 2.0,
            }],
        };
        saved.save(&dir).unwrap();
        assert_eq!(SavedTraffic::load(&dir), Some(saved));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_traffic_file_from_before_refusals_and_route_units_still_loads() {
        let dir = std::env::temp_dir().join(format!("sluice-traffic-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(TRAFFIC_FILE),
            r#"{"routes": [{"api": "Api", "route": "GET /", "function": "Fn",
                "front_door": "RestApi", "requests": 3, "invocations": 3, "gb_seconds": 0.5}],
              "tables": []}"#,
        )
        .unwrap();
        let saved = SavedTraffic::load(&dir).expect("an older file loads");
        let route = &saved.routes[0];
        assert_eq!(
            (route.rejected, route.read_units, route.write_units),
            (0, 0.0, 0.0)
        );
        assert_eq!(route.billed_requests(), 3);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
