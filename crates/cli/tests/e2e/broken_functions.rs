//! One function that cannot run does not stop the application: as on AWS (where such a template
//! deploys), every other function serves and only the broken one's invocations fail, with the
//! runtime's own error where a runtime starts. `validate` still reports it as an error.

use std::process::{Command, Stdio};

use sluice_testkit::{assert_eventually, fresh_dir, Server};

use crate::{client, sluice};

const TEMPLATE: &str = "Transform: AWS::Serverless-2016-10-31
Resources:
  Healthy:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Events:
        Get: {Type: Api, Properties: {Path: /healthy, Method: get}}
  NoModule:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: nomodule.handler
      CodeUri: src/
      Events:
        Get: {Type: Api, Properties: {Path: /nomodule, Method: get}}
  Malformed:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: code/handler
      CodeUri: src/
      Events:
        Get: {Type: Api, Properties: {Path: /malformed, Method: get}}
  NodeNoModule:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: nomodule.handler
      CodeUri: node/
      Events:
        Get: {Type: Api, Properties: {Path: /node, Method: get}}
  Java:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: java21
      Handler: example.Handler::handleRequest
      CodeUri: java/
      Events:
        Get: {Type: Api, Properties: {Path: /java, Method: get}}
  NoFolder:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: missing/
      Events:
        Get: {Type: Api, Properties: {Path: /nofolder, Method: get}}
";

const APP_PY: &str =
    "def handler(event, context):\n    return {'statusCode': 200, 'body': 'healthy'}\n";

/// The project: the template, a healthy handler, and folders without the modules it names.
fn project() -> std::path::PathBuf {
    let dir = fresh_dir("broken-functions");
    for (path, content) in [
        ("template.yaml", TEMPLATE),
        ("src/app.py", APP_PY),
        ("node/other.js", ""),
        ("java/readme.txt", ""),
    ] {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, content).unwrap();
    }
    dir
}

/// One CloudWatch Logs API call (JSON 1.1) to the services endpoint.
fn logs_api(server: &Server, operation: &str, body: &str) -> serde_json::Value {
    client()
        .post(&server.services_url)
        .header("X-Amz-Target", format!("Logs_20140328.{operation}"))
        .header("Content-Type", "application/x-amz-json-1.1")
        .body(body.to_owned())
        .send()
        .unwrap()
        .json()
        .unwrap()
}

fn get(server: &Server, path: &str) -> (u16, String) {
    let response = client().get(server.url(path)).send().unwrap();
    (response.status().as_u16(), response.text().unwrap())
}

#[test]
fn start_api_serves_the_healthy_functions_and_fails_only_the_broken_ones() {
    let dir = project();
    let template = dir.join("template.yaml");
    let server = Server::start(sluice(), &template, &[]);
    let file = template.display();
    // Each broken function is said at startup, at its property, as `validate` says it.
    for warning in [
        format!("Warning: {file}:15:16: Resources.NoModule.Properties.Handler: module nomodule not found: no nomodule.py in"),
        format!("Warning: {file}:23:16: Resources.Malformed.Properties.Handler: \"code/handler\" is not module.function"),
        format!("Warning: {file}:31:16: Resources.NodeNoModule.Properties.Handler: module nomodule not found"),
        format!("Warning: {file}:38:16: Resources.Java.Properties.Runtime: java21 is not a runtime Sluice can run"),
        format!("Warning: {file}:48:16: Resources.NoFolder.Properties.CodeUri: folder {} does not exist", dir.join("missing").display()),
    ] {
        assert!(server.wait_for_log(&warning).is_some(), "{warning}");
    }
    assert!(server
        .wait_for_log("Function NoModule starts anyway: its invocations fail, as they would on AWS")
        .is_some());

    assert_eq!(get(&server, "/healthy"), (200, "healthy".to_owned()));
    // AWS: a function error through a REST proxy integration is 502 with this exact body.
    let aws_502 = (502, r#"{"message": "Internal server error"}"#.to_owned());
    for path in ["/nomodule", "/malformed", "/node", "/java", "/nofolder"] {
        assert_eq!(get(&server, path), aws_502, "{path}");
    }
    // The function's log says why, in the runtime's words (or Sluice's, where none starts).
    for line in [
        "[NoModule] [ERROR] Runtime.ImportModuleError: Unable to import module 'nomodule': No module named 'nomodule'",
        "[Malformed] [ERROR] Runtime.MalformedHandlerName: Bad handler 'code/handler': not enough values to unpack (expected 2, got 1)",
        "\tERROR\tUncaught Exception \t{\"errorType\":\"Runtime.ImportModuleError\",\"errorMessage\":\"Error: Cannot find module 'nomodule'",
        // AWS's shape for a runtime that cannot start: the error, its type on a line of its own.
        " Error: runtime java21 is not supported by Sluice",
        "[Java] Runtime.InvalidEntrypoint",
        "[Java] INIT_REPORT Init Duration: ",
        " Error: the function's code folder (CodeUri) ",
    ] {
        assert!(server.wait_for_log(line).is_some(), "{line}");
    }
    // The healthy function still serves after the others failed.
    assert_eq!(get(&server, "/healthy"), (200, "healthy".to_owned()));

    // Lambda's Invoke API: 200, `X-Amz-Function-Error: Unhandled`, and the runtime's document.
    let invoke = |name: &str| {
        client()
            .post(format!(
                "{}/2015-03-31/functions/{name}/invocations",
                server.services_url
            ))
            .body("{}")
            .send()
            .unwrap()
    };
    let response = invoke("NoModule");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["x-amz-function-error"].to_str().unwrap(),
        "Unhandled"
    );
    let document: serde_json::Value = response.json().unwrap();
    assert_eq!(document["errorType"], "Runtime.ImportModuleError");
    assert_eq!(
        document["errorMessage"],
        "Unable to import module 'nomodule': No module named 'nomodule'"
    );
    let document: serde_json::Value = invoke("NodeNoModule").json().unwrap();
    assert_eq!(document["errorType"], "Runtime.ImportModuleError");
    assert!(document["errorMessage"]
        .as_str()
        .unwrap()
        .starts_with("Error: Cannot find module 'nomodule'\nRequire stack:\n"));
    // AWS: `Unhandled`, and Lambda's document naming the request.
    let response = invoke("Java");
    assert_eq!(
        response.headers()["x-amz-function-error"].to_str().unwrap(),
        "Unhandled"
    );
    let request_id = response.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_owned();
    let document: serde_json::Value = response.json().unwrap();
    assert_eq!(document["errorType"], "Runtime.InvalidEntrypoint");
    assert_eq!(
        document["errorMessage"],
        format!("RequestId: {request_id} Error: runtime java21 is not supported by Sluice, which runs python3.x, nodejsN.x, provided, provided.al2 and provided.al2023 functions")
    );
    // Its lines are in a sandbox's stream, as on AWS (`YYYY/MM/DD/[$LATEST]<32 hex>`), which
    // INIT_START opens and the failed invocation's REPORT closes.
    let streams = logs_api(
        &server,
        "DescribeLogStreams",
        r#"{"logGroupName":"/aws/lambda/Java"}"#,
    );
    let names: Vec<&str> = streams["logStreams"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["logStreamName"].as_str())
        .collect();
    assert!(!names.is_empty(), "{streams}");
    for name in &names {
        assert!(
            name[10..].starts_with("/[$LATEST]") && name.len() == 10 + 10 + 32,
            "{name}"
        );
    }
    let events = logs_api(
        &server,
        "FilterLogEvents",
        r#"{"logGroupName":"/aws/lambda/Java","filterPattern":"REPORT"}"#,
    );
    let report = crate::event_messages(&events)
        .into_iter()
        .find(|m| m.contains(&request_id))
        .unwrap_or_else(|| panic!("no REPORT for {request_id}: {events}"))
        .to_owned();
    assert!(
        report.ends_with("\tStatus: error\tError Type: Runtime.InvalidEntrypoint\t"),
        "{report}"
    );
    let document: serde_json::Value = invoke("NoFolder").json().unwrap();
    let message = document["errorMessage"].as_str().unwrap();
    let cause = format!(
        " Error: the function's code folder (CodeUri) {} does not exist",
        dir.join("missing").display()
    );
    assert!(
        message.starts_with("RequestId: ") && message.ends_with(&cause),
        "{message}"
    );

    // The folder appearing is a change like any other: the function serves once it is there.
    std::fs::create_dir_all(dir.join("missing")).unwrap();
    std::fs::write(dir.join("missing/app.py"), APP_PY).unwrap();
    assert_eventually!(
        get(&server, "/nofolder") == (200, "healthy".to_owned()),
        "the created folder was never served"
    );
}

/// AWS: an HTTP API answers a function error with 500 and its own body.
#[test]
fn an_http_api_answers_a_broken_functions_invocation_with_its_500() {
    let dir = project();
    let http_only = TEMPLATE.replace(
        "Get: {Type: Api, Properties: {Path: /nomodule, Method: get}}",
        "Get: {Type: HttpApi, Properties: {Path: /nomodule, Method: get}}",
    );
    assert_ne!(http_only, TEMPLATE);
    std::fs::write(dir.join("template.yaml"), http_only).unwrap();
    let server = Server::start(sluice(), &dir.join("template.yaml"), &[]);
    assert_eq!(
        get(&server, "/nomodule"),
        (500, r#"{"message":"Internal Server Error"}"#.to_owned())
    );
}

#[test]
fn validate_refuses_what_start_api_warns_about_and_invoke_fails_only_the_broken_function() {
    let dir = project();
    let template = dir.join("template.yaml");
    let out = Command::new(sluice())
        .args(["validate", "-t"])
        .arg(&template)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    // Every broken function, at its file:line:property, as start-up warns about each.
    let file = template.display();
    assert!(stderr.contains("5 functions cannot run"), "{stderr}");
    for problem in [
        format!("{file}:15:16: Resources.NoModule.Properties.Handler: module nomodule not found"),
        format!("{file}:23:16: Resources.Malformed.Properties.Handler: \"code/handler\" is not module.function"),
        format!("{file}:31:16: Resources.NodeNoModule.Properties.Handler: module nomodule not found"),
        format!("{file}:38:16: Resources.Java.Properties.Runtime: java21 is not a runtime Sluice can run"),
        format!("{file}:48:16: Resources.NoFolder.Properties.CodeUri: folder {} does not exist", dir.join("missing").display()),
    ] {
        assert!(stderr.contains(&problem), "{problem}\n{stderr}");
    }
    assert!(!stderr.contains("Healthy"), "{stderr}");

    let invoke = |function: &str| {
        Command::new(sluice())
            .args(["invoke", function, "--no-event", "--services-port", "0"])
            .arg("-t")
            .arg(&template)
            .arg("--state-dir")
            .arg(fresh_dir("broken-invoke-state"))
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let healthy = invoke("Healthy");
    assert!(
        healthy.status.success(),
        "{}",
        String::from_utf8_lossy(&healthy.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&healthy.stdout).unwrap();
    assert_eq!(answer["body"], "healthy");

    for (function, error_type) in [
        ("Malformed", "Runtime.MalformedHandlerName"),
        ("Java", "Runtime.InvalidEntrypoint"),
    ] {
        let broken = invoke(function);
        assert_eq!(
            broken.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&broken.stderr)
        );
        let document: serde_json::Value = serde_json::from_slice(&broken.stdout).unwrap();
        assert_eq!(document["errorType"], error_type, "{function}");
    }
}
