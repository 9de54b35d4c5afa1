//! Hot reload: saving a handler or the template changes what the running server answers; a
//! template that does not load leaves the previous version serving.

use std::path::Path;
use std::time::Duration;

use sluice_testkit::{assert_eventually, fresh_dir, Server};

use crate::{client, sluice};

fn template(extra_route: bool) -> String {
    let mut text = String::from(
        "AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  HelloFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Events:
        Hello:
          Type: Api
          Properties: {Path: /hello, Method: get}
",
    );
    if extra_route {
        text.push_str(
            "        Bye:
          Type: Api
          Properties: {Path: /bye, Method: get}
",
        );
    }
    text
}

fn handler(version: &str) -> String {
    format!("def handler(event, context):\n    return {{\"statusCode\": 200, \"body\": \"{version}\"}}\n")
}

/// Writes a file the way editors save: a temporary file renamed over the old one.
fn save(path: &Path, text: &str) {
    let partial = path.with_extension("saving");
    std::fs::write(&partial, text).expect("write");
    std::fs::rename(&partial, path).expect("rename");
}

fn body(server: &Server, path: &str) -> (u16, String) {
    let response = client().get(server.url(path)).send().expect("request");
    let status = response.status().as_u16();
    (status, response.text().unwrap_or_default())
}

fn app(version: &str) -> std::path::PathBuf {
    let dir = fresh_dir("reload-app");
    std::fs::create_dir_all(dir.join("src")).expect("src");
    save(&dir.join("template.yaml"), &template(false));
    save(&dir.join("src/app.py"), &handler(version));
    dir
}

#[test]
fn saving_code_or_template_reloads_and_a_broken_template_keeps_the_old_version() {
    let dir = app("v1");
    let server = Server::start(sluice(), &dir.join("template.yaml"), &[]);
    assert_eq!(body(&server, "/hello"), (200, "v1".to_owned()));

    // A client loops on requests through every reload below: none may fail.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let looping = {
        let (url, stop) = (server.url("/hello"), stop.clone());
        std::thread::spawn(move || {
            let client = client();
            let mut answers = Vec::new();
            // Bounded in count as well as by the flag.
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && answers.len() < 20_000 {
                let answer = client
                    .get(&url)
                    .send()
                    .map(|r| (r.status().as_u16(), r.text().unwrap_or_default()))
                    .unwrap_or_else(|e| (0, e.to_string()));
                answers.push(answer);
            }
            answers
        })
    };

    save(&dir.join("src/app.py"), &handler("v2"));
    assert_eventually!(
        body(&server, "/hello") == (200, "v2".to_owned()),
        "the saved handler never answered"
    );
    let line = server
        .wait_for_log("Reloaded after a change to HelloFunction")
        .expect("one line says what changed");
    assert!(line.contains("app.py"), "{line}");

    // A template that does not load: reported with its position, the old version serves on.
    save(
        &dir.join("template.yaml"),
        &template(false).replace("Runtime: python3.12", "Runtime: [oops"),
    );
    let failed = server
        .wait_for_log("Reload failed")
        .expect("the failure is reported");
    assert!(failed.contains("template.yaml"), "{failed}");
    // The second line of the report may reach the log reader a moment after the first.
    assert!(server
        .wait_for_log("Still serving the previous version")
        .is_some());
    assert_eq!(body(&server, "/hello"), (200, "v2".to_owned()));

    // A template with a new route: the route serves, and the line names it.
    save(&dir.join("template.yaml"), &template(true));
    assert_eventually!(body(&server, "/bye").0 == 200, "the new route never served");
    assert!(server
        .logs()
        .iter()
        .any(|l| l.contains("+GET /bye (ServerlessRestApi)")));

    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let answers = looping.join().expect("client thread");
    let failed: Vec<_> = answers
        .iter()
        .filter(|(status, _)| *status != 200)
        .collect();
    assert!(
        failed.is_empty(),
        "failed during reloads: {:?}",
        &failed[..failed.len().min(3)]
    );
    assert!(answers.iter().any(|(_, body)| body == "v2"));
}

#[test]
fn no_reload_keeps_the_code_it_started_with() {
    let dir = app("v1");
    let server = Server::start(sluice(), &dir.join("template.yaml"), &["--no-reload"]);
    assert_eq!(body(&server, "/hello"), (200, "v1".to_owned()));
    save(&dir.join("src/app.py"), &handler("v2"));
    // Long enough for a watcher to have reloaded several times over.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(body(&server, "/hello"), (200, "v1".to_owned()));
    assert!(!server.logs().iter().any(|l| l.contains("Reloaded")));
}

/// A `provided` bootstrap (a python script speaking the Runtime API) answering `body`.
fn bootstrap(body: &str) -> String {
    format!(
        "#!/usr/bin/env python3
import http.client, json, os
conn = http.client.HTTPConnection(os.environ['AWS_LAMBDA_RUNTIME_API'])
while True:
    conn.request('GET', '/2018-06-01/runtime/invocation/next')
    next = conn.getresponse()
    next.read()
    rid = next.getheader('Lambda-Runtime-Aws-Request-Id')
    answer = json.dumps({{'statusCode': 200, 'body': '{body}'}})
    conn.request('POST', '/2018-06-01/runtime/invocation/' + rid + '/response', answer)
    conn.getresponse().read()
"
    )
}

/// Saves an executable file the way editors save it (the new file keeps the old one's mode).
fn save_executable(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    let partial = path.with_extension("saving");
    std::fs::write(&partial, text).expect("write");
    std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::rename(&partial, path).expect("rename");
}

#[test]
fn node_and_provided_functions_reload_too() {
    let dir = fresh_dir("reload-runtimes");
    for folder in ["node", "custom"] {
        std::fs::create_dir_all(dir.join(folder)).expect("code folder");
    }
    save(
        &dir.join("template.yaml"),
        "Transform: AWS::Serverless-2016-10-31
Resources:
  NodeFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: node/
      Handler: index.handler
      Runtime: nodejs20.x
      Events:
        Node: {Type: Api, Properties: {Path: /node, Method: get}}
  CustomFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: custom/
      Handler: unused
      Runtime: provided.al2023
      Events:
        Custom: {Type: Api, Properties: {Path: /custom, Method: get}}
",
    );
    let node = |version: &str| {
        format!("exports.handler = async () => ({{ statusCode: 200, body: '{version}' }});\n")
    };
    save(&dir.join("node/index.js"), &node("n1"));
    save_executable(&dir.join("custom/bootstrap"), &bootstrap("c1"));
    let server = Server::start(sluice(), &dir.join("template.yaml"), &[]);
    assert_eq!(body(&server, "/node"), (200, "n1".to_owned()));
    assert_eq!(body(&server, "/custom"), (200, "c1".to_owned()));

    save(&dir.join("node/index.js"), &node("n2"));
    assert_eventually!(within Duration::from_secs(30);
        body(&server, "/node") == (200, "n2".to_owned()),
        "the saved node handler never answered: {:#?}",
        server.logs()
    );
    save_executable(&dir.join("custom/bootstrap"), &bootstrap("c2"));
    assert_eventually!(within Duration::from_secs(30);
        body(&server, "/custom") == (200, "c2".to_owned()),
        "the saved bootstrap never answered: {:#?}",
        server.logs()
    );
    // Each save replaced only its own function's sandboxes.
    assert!(server
        .wait_for_log("Reloaded after a change to CustomFunction")
        .is_some());
    assert_eq!(body(&server, "/node"), (200, "n2".to_owned()));
}

/// With `CodeUri: .` the template's folder is the function's code: a `--log-file` kept there is
/// written on every request, and those writes must not reload the function (before, each request's
/// log lines reloaded it, so the next request cold-started a new sandbox).
#[test]
fn sluices_own_log_file_in_the_code_folder_does_not_reload() {
    let dir = fresh_dir("reload-own-log");
    save(
        &dir.join("template.yaml"),
        "AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  PidFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: app.handler
      Runtime: python3.12
      Events:
        Pid:
          Type: Api
          Properties: {Path: /pid, Method: get}
",
    );
    save(
        &dir.join("app.py"),
        "import os\ndef handler(event, context):\n    return {\"statusCode\": 200, \"body\": str(os.getpid())}\n",
    );
    let log = dir.join("sluice.log");
    let log_arg = log.to_str().expect("utf-8 path");
    let server = Server::start(
        sluice(),
        &dir.join("template.yaml"),
        &["--log-file", log_arg],
    );
    let (status, first) = body(&server, "/pid");
    assert_eq!(status, 200);
    // The request's REPORT line has reached the file: the write a watcher would see.
    assert_eventually!(
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("REPORT RequestId"),
        "no REPORT line in {}",
        log.display()
    );
    // Long enough for a watcher to have reloaded several times over.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(body(&server, "/pid"), (200, first.clone()));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(body(&server, "/pid"), (200, first));
    assert!(
        !server.logs().iter().any(|l| l.contains("Reloaded")),
        "reloaded on its own log: {:?}",
        server.logs()
    );
}

/// Invokes `function` through the Lambda Invoke API of `server`: the status and the payload.
fn invoke(server: &Server, function: &str) -> (u16, String) {
    let response = client()
        .post(server.url(&format!("/2015-03-31/functions/{function}/invocations")))
        .body("{}")
        .send()
        .expect("invoke");
    let status = response.status().as_u16();
    (status, response.text().unwrap_or_default())
}

#[test]
fn start_lambda_reloads_saved_code_and_template_functions() {
    // SAM CLI's start-lambda watches the template and code (with --warm-containers); Sluice's
    // does always, as start-api does.
    the_services_endpoint_reloads(Server::start_lambda);
}

#[test]
fn start_services_with_a_template_reloads_too() {
    the_services_endpoint_reloads(Server::start_services);
}

/// Saved code and template functions reach the Invoke API of the server `start` runs.
fn the_services_endpoint_reloads(start: fn(&Path, &Path, &[&str]) -> Server) {
    let dir = app("v1");
    let server = start(sluice(), &dir.join("template.yaml"), &[]);
    let payload = |body: &str| format!("{{\"statusCode\": 200, \"body\": \"{body}\"}}");
    assert_eq!(invoke(&server, "HelloFunction"), (200, payload("v1")));

    save(&dir.join("src/app.py"), &handler("v2"));
    assert_eventually!(
        invoke(&server, "HelloFunction") == (200, payload("v2")),
        "the saved handler never answered"
    );

    // A function added to the template can be invoked; removed again, it is not found.
    let second = "  SecondFunction:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src/, Handler: app.handler, Runtime: python3.12}
";
    save(&dir.join("template.yaml"), &(template(false) + second));
    assert_eventually!(
        invoke(&server, "SecondFunction") == (200, payload("v2")),
        "the added function never answered"
    );
    save(&dir.join("template.yaml"), &template(false));
    assert_eventually!(
        invoke(&server, "SecondFunction").0 == 404,
        "the removed function still answered"
    );
}

#[test]
fn start_lambda_no_reload_keeps_the_code_it_started_with() {
    let dir = app("v1");
    let server = Server::start_lambda(sluice(), &dir.join("template.yaml"), &["--no-reload"]);
    // A warm sandbox: one started after the save would read the saved code, reload or not.
    assert!(invoke(&server, "HelloFunction").1.contains("v1"));
    save(&dir.join("src/app.py"), &handler("v2"));
    // Long enough for a watcher to have reloaded several times over.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(invoke(&server, "HelloFunction").1.contains("v1"));
    assert!(!server.logs().iter().any(|l| l.contains("Reloaded")));
}
