//! `sluice validate`: a summary for a good template, file/line/property for a bad one.

use std::process::Command;

use crate::{example_template, sluice};

#[test]
fn validate_summarizes_a_good_template() {
    let out = Command::new(sluice())
        .args(["validate", "-t"])
        .arg(example_template("hello"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("HelloFunction (python3.12"), "{stdout}");
    assert!(stdout.contains("/hello/{name}"), "{stdout}");
}

#[test]
fn template_errors_name_file_line_and_property_and_nothing_is_served() {
    let dir = sluice_testkit::fresh_dir("bad-template");
    let template = dir.join("template.yaml");
    std::fs::write(
        &template,
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: app.handler\n      Runtime: python3.12\n      CodeUri: .\n      Events:\n        Get:\n          Type: Api\n          Properties:\n            Path: /x\n            Method: FETCH\n",
    )
    .unwrap();
    for args in [&["validate"][..], &["start-api", "-p", "0"][..]] {
        let command = args[0];
        let out = Command::new(sluice())
            .args(args)
            .arg("-t")
            .arg(&template)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{command} must fail");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("template.yaml:14"), "{command}: {stderr}");
        assert!(
            stderr.contains("Resources.Fn.Properties.Events.Get.Properties.Method"),
            "{command}: {stderr}"
        );
    }
}
