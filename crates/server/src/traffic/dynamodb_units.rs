//! DynamoDB request units by the invocation whose handler consumed them, so the cost report can
//! price them per route. The key is the X-Ray trace the invocation's runtime was given: AWS's
//! SDKs send `_X_AMZN_TRACE_ID` as the `X-Amzn-Trace-Id` header of every call a handler makes
//! (botocore's, the JS SDK's and the Rust SDK's recursion detection), and each invocation gets a
//! trace of its own, so a call's trace names its invocation exactly.

use std::collections::VecDeque;

use foldhash::HashMap;

use sluice_dynamodb::TableUnits;

/// Traces kept at most: units of invocations no request takes (the Invoke API, stream
/// mappings) must not pile up; the oldest go first.
const KEPT_TRACES: usize = 4096;

/// Units per trace root, and the roots in the order they came (taken ones included). foldhash
/// (seeded per process), not SipHash: every proxied request takes its trace's units.
#[derive(Debug, Default)]
pub struct UnitsByTrace {
    units: HashMap<String, TableUnits>,
    order: VecDeque<String>,
}

/// The `Root=…` part of a trace header (`Root=1-…;Parent=…;Sampled=0`), which stays the same
/// for every call of one invocation.
pub fn trace_root(header: &str) -> Option<&str> {
    header
        .split(';')
        .map(str::trim)
        .find(|part| part.starts_with("Root="))
        .filter(|root| root.len() > "Root=".len())
}

impl UnitsByTrace {
    /// Adds one call's units to the invocation its `X-Amzn-Trace-Id` header names.
    pub fn add(&mut self, trace_header: &str, units: TableUnits) {
        let Some(root) = trace_root(trace_header) else {
            return;
        };
        if units.read == 0.0 && units.write == 0.0 {
            return;
        }
        if let Some(sum) = self.units.get_mut(root) {
            sum.read += units.read;
            sum.write += units.write;
            return;
        }
        if self.order.len() == KEPT_TRACES {
            if let Some(oldest) = self.order.pop_front() {
                self.units.remove(&oldest);
            }
        }
        self.order.push_back(root.to_owned());
        self.units.insert(root.to_owned(), units);
    }

    /// Takes the units consumed under the invocation's trace (`trace_id` as the runtime got it).
    pub fn take(&mut self, trace_id: &str) -> TableUnits {
        let Some(root) = trace_root(trace_id) else {
            return TableUnits::default();
        };
        // Its place in `order` stays until it comes round (a scan per request would cost more).
        self.units.remove(root).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(read: f64, write: f64) -> TableUnits {
        TableUnits { read, write }
    }

    #[test]
    fn calls_of_one_invocation_add_up_under_its_trace_root() {
        let mut by_trace = UnitsByTrace::default();
        // botocore sends the runtime's header as it is; the parent differs per segment.
        by_trace.add("Root=1-5f84c7a1-aaaa;Parent=1;Sampled=0", units(1.0, 0.0));
        by_trace.add("Root=1-5f84c7a1-aaaa;Parent=2;Sampled=0", units(0.5, 2.0));
        by_trace.add("Root=1-5f84c7a1-bbbb;Parent=3;Sampled=0", units(4.0, 0.0));
        by_trace.add("Parent=4", units(9.0, 9.0));
        assert_eq!(
            by_trace.take("Root=1-5f84c7a1-aaaa;Parent=9;Sampled=0"),
            units(1.5, 2.0)
        );
        assert_eq!(
            by_trace.take("Root=1-5f84c7a1-aaaa;Parent=9;Sampled=0"),
            TableUnits::default(),
            "taken once"
        );
        assert_eq!(by_trace.take(""), TableUnits::default());
        assert_eq!(by_trace.take("Root=1-5f84c7a1-bbbb"), units(4.0, 0.0));
    }

    #[test]
    fn the_oldest_traces_go_first_past_the_bound() {
        let mut by_trace = UnitsByTrace::default();
        for n in 0..=KEPT_TRACES {
            by_trace.add(&format!("Root=1-{n}"), units(1.0, 0.0));
        }
        assert_eq!(by_trace.take("Root=1-0"), TableUnits::default());
        assert_eq!(by_trace.take("Root=1-1"), units(1.0, 0.0));
        assert_eq!(by_trace.units.len(), KEPT_TRACES - 1);
        assert_eq!(by_trace.order.len(), KEPT_TRACES);
    }
}
