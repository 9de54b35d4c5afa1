//! Per-function invocation statistics from each invocation's outcome and REPORT figures: counts,
//! cold starts, a duration histogram (for Prometheus) and the recent durations (for p50/p99).

use std::collections::VecDeque;

pub use sluice_lambda::ReportFigures;

/// Histogram bucket upper bounds, in seconds: Prometheus' defaults stretched to Lambda's range
/// (a few milliseconds warm, seconds cold, up to the 900 s timeout).
pub const DURATION_BUCKETS: [f64; 13] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0,
];

/// How many recent durations the percentiles are computed from.
const RECENT_DURATIONS: usize = 1000;

/// One function's statistics since Sluice started.
#[derive(Debug, Clone, Default)]
pub struct FunctionStats {
    /// Invocations that reached the function.
    pub invocations: u64,
    /// Of those, the ones that failed (unhandled error, timeout, crash).
    pub errors: u64,
    /// Invocations that started a sandbox.
    pub cold_starts: u64,
    /// Count per [`DURATION_BUCKETS`] bound (not cumulative; the exposition sums them), plus
    /// one for larger durations.
    pub buckets: [u64; DURATION_BUCKETS.len() + 1],
    /// Sum of durations, in seconds.
    pub duration_sum: f64,
    /// The latest durations in milliseconds, oldest first.
    recent: VecDeque<f64>,
}

impl FunctionStats {
    /// Counts one invocation.
    pub fn record(&mut self, failed: bool, report: Option<&ReportFigures>) {
        self.invocations += 1;
        self.errors += u64::from(failed);
        let Some(report) = report else {
            return;
        };
        self.cold_starts += u64::from(report.cold);
        let seconds = report.duration_ms / 1000.0;
        let bucket = DURATION_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(DURATION_BUCKETS.len());
        self.buckets[bucket] += 1;
        self.duration_sum += seconds;
        if self.recent.len() == RECENT_DURATIONS {
            self.recent.pop_front();
        }
        self.recent.push_back(report.duration_ms);
    }

    /// How many durations the histogram holds.
    pub fn timed(&self) -> u64 {
        self.buckets.iter().sum()
    }

    /// The `p`th percentile (0–100) of the recent durations, in milliseconds (nearest rank).
    pub fn percentile(&self, p: f64) -> Option<f64> {
        if self.recent.is_empty() {
            return None;
        }
        let mut sorted: Vec<f64> = self.recent.iter().copied().collect();
        sorted.sort_by(f64::total_cmp);
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        Some(sorted[rank.clamp(1, sorted.len()) - 1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank_and_buckets_count_each_duration_once() {
        let mut stats = FunctionStats::default();
        for ms in 1..=100 {
            let report = ReportFigures {
                duration_ms: ms as f64,
                billed_ms: ms,
                memory_mb: 128,
                cold: ms == 1,
            };
            stats.record(ms % 10 == 0, Some(&report));
        }
        stats.record(true, None);
        assert_eq!(
            (stats.invocations, stats.errors, stats.cold_starts),
            (101, 11, 1)
        );
        assert_eq!(stats.percentile(50.0), Some(50.0));
        assert_eq!(stats.percentile(99.0), Some(99.0));
        assert_eq!(stats.timed(), 100);
        // 1–5 ms fall in the first bucket (≤ 5 ms), 6–10 in the second, 11–25 in the third.
        assert_eq!(&stats.buckets[..3], &[5, 5, 15]);
    }
}
