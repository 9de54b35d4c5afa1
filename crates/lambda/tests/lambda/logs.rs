//! START / END / REPORT lines and the function's own output between them.

use serde_json::json;

use crate::harness::{invoke, python, service};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_output_end_report_in_order_with_init_duration_on_cold_start_only() {
    let (lambda, lines) = service(vec![python("Noisy", "app.noisy")]);
    let first = invoke(&lambda, "Noisy", json!({})).await;
    let second = invoke(&lambda, "Noisy", json!({})).await;
    for (inv, cold) in [(&first, true), (&second, false)] {
        let id = &inv.request_id;
        let tail: Vec<&str> = inv.log_tail.lines().collect();
        let pos = |needle: &str| {
            tail.iter()
                .position(|l| l.contains(needle))
                .unwrap_or_else(|| panic!("{needle:?} missing from {tail:#?}"))
        };
        let start = pos(&format!("START RequestId: {id} Version: $LATEST"));
        let printed = pos("printed line");
        let warned = pos("warned line");
        let stderr = pos("stderr line");
        let end = pos(&format!("END RequestId: {id}"));
        let report = pos(&format!("REPORT RequestId: {id}\tDuration: "));
        assert!(
            start < printed && printed < warned && warned < end,
            "{tail:#?}"
        );
        assert!(start < stderr && stderr < end, "{tail:#?}");
        assert_eq!(report, end + 1);
        let report_line = tail[report];
        assert!(report_line.contains("\tBilled Duration: "), "{report_line}");
        // AWS ends the line with a tab, in the log tail as in the stored events.
        assert!(
            report_line.ends_with(" MB\t") || report_line.ends_with(" ms\t"),
            "{report_line:?}"
        );
        assert!(
            report_line.contains("\tMemory Size: 128 MB\tMax Memory Used: "),
            "{report_line}"
        );
        let used: u64 = report_line
            .split("Max Memory Used: ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        assert!(used > 1, "python uses more than 1 MB: {report_line}");
        assert_eq!(
            report_line.contains("\tInit Duration: "),
            cold,
            "{report_line}"
        );
    }
    // The logging format carries the request id, as on Lambda.
    let warned = lines
        .of("Noisy")
        .into_iter()
        .find(|l| l.contains("warned line"))
        .unwrap();
    assert!(warned.starts_with("[WARNING]\t"), "{warned}");
    assert!(
        warned.contains(&format!("Z\t{}\twarned line", first.request_id)),
        "{warned}"
    );
    // The sink saw the same lines as the tails, in the same order.
    let all = lines.of("Noisy").join("\n") + "\n";
    assert_eq!(all, format!("{}{}", first.log_tail, second.log_tail));
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_without_a_final_newline_is_logged_before_end() {
    // Lambda ends the invocation's log with what the function wrote, newline or not; it must
    // neither wait for a later invocation's newline nor be lost when the sandbox stops.
    let (lambda, _lines) = service(vec![python("Partial", "app.unterminated")]);
    for _ in 0..2 {
        let inv = invoke(&lambda, "Partial", json!({})).await;
        let tail: Vec<&str> = inv.log_tail.lines().collect();
        let pos = |needle: &str| {
            tail.iter()
                .position(|l| l.contains(needle))
                .unwrap_or_else(|| panic!("{needle:?} missing from {tail:#?}"))
        };
        let end = pos(&format!("END RequestId: {}", inv.request_id));
        assert!(pos("no newline on stdout") < end, "{tail:#?}");
        assert!(pos("no newline on stderr") < end, "{tail:#?}");
        assert_eq!(
            tail.iter().filter(|l| l.contains("no newline")).count(),
            2,
            "each write is one line of its own invocation: {tail:#?}"
        );
    }
    lambda.shutdown().await;
}
