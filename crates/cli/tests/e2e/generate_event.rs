//! `sluice generate-event`: the real binary prints what `sam local generate-event` printed.

use std::process::Command;

use crate::sluice;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(sluice())
        .args(args)
        .output()
        .expect("running sluice")
}

#[test]
fn prints_sams_sample_byte_for_byte() {
    let sample = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/events/apigateway-aws-proxy-get-hello.json"
    ))
    .expect("sample");
    for prefix in [&["generate-event"][..], &["local", "generate-event"]] {
        let args = [
            prefix,
            &[
                "apigateway",
                "aws-proxy",
                "--method",
                "GET",
                "--path",
                "hello",
                "--resource",
                "/hello",
                "--stage",
                "Prod",
                "--body",
                "",
            ],
        ]
        .concat();
        let out = run(&args);
        assert!(out.status.success(), "{args:?}: {out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), sample, "{args:?}");
    }
}

#[test]
fn help_lists_events_and_unknown_ones_are_usage_errors() {
    let out = run(&["generate-event", "apigateway", "--help"]);
    assert!(out.status.success(), "{out:?}");
    let help = String::from_utf8_lossy(&out.stdout);
    for event in [
        "aws-proxy",
        "http-api-proxy",
        "authorizer",
        "request-authorizer",
    ] {
        assert!(help.contains(event), "{event} missing from:\n{help}");
    }
    let out = run(&["generate-event", "apigateway", "no-such-event"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty());
}
