//! Nested stacks (`AWS::Serverless::Application`): parameters in, outputs out, parent wins routes.

use std::process::Command;

use sluice_testkit::Server;

use super::project;
use crate::{get_text, sluice};

const PARENT: &str = "Transform: AWS::Serverless-2016-10-31
Resources:
  Greeter:
    Type: AWS::Serverless::Application
    Properties:
      Location: greeter/template.yaml
      Parameters: {Greeting: hello-from-parent}
  Store:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: ./store/template.yaml
  Parent:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Environment: {Variables: {SAYS: !GetAtt Greeter.Outputs.Said}}
      Events:
        Root: {Type: Api, Properties: {Path: /parent, Method: get}}
        Clash: {Type: Api, Properties: {Path: /shared, Method: get}}
";

const GREETER: &str = "Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting: {Type: String}
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Environment: {Variables: {SAYS: !Ref Greeting}}
      Events:
        Get: {Type: Api, Properties: {Path: /hello, Method: get}}
        Clash: {Type: Api, Properties: {Path: /shared, Method: get}}
Outputs:
  Said:
    Value: !Sub '${Greeting} via ${Hello}'
";

const STORE: &str = "Transform: AWS::Serverless-2016-10-31
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Environment: {Variables: {SAYS: store}}
      Events:
        Get: {Type: Api, Properties: {Path: /store, Method: get}}
";

const SAYS_PY: &str = "import os\ndef handler(event, context):\n    return {'statusCode': 200, 'body': os.environ['SAYS'] + ' from ' + context.function_name}\n";

#[test]
fn nested_stacks_take_parameters_give_outputs_and_the_parent_wins_route_collisions() {
    let dir = project(
        "nested",
        &[
            ("template.yaml", PARENT),
            ("src/app.py", SAYS_PY),
            ("greeter/template.yaml", GREETER),
            ("greeter/src/app.py", SAYS_PY),
            ("store/template.yaml", STORE),
            ("store/src/app.py", SAYS_PY),
        ],
    );
    let template = dir.join("template.yaml");
    let validate = Command::new(sluice())
        .args(["validate", "-t"])
        .arg(&template)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&validate.stdout);
    assert!(
        validate.status.success(),
        "{}",
        String::from_utf8_lossy(&validate.stderr)
    );
    assert!(stdout.contains("Greeter/Hello (python3.12"), "{stdout}");
    assert!(stdout.contains("Store/Hello (python3.12"), "{stdout}");

    let server = Server::start(sluice(), &template, &[]);
    assert!(server
        .wait_for_log("Greeter/Hello: GET /shared is also routed to Parent, which wins")
        .is_some());
    let get = |path: &str| get_text(&server, path);
    assert_eq!(get("/parent"), "hello-from-parent via Hello from Parent");
    assert_eq!(get("/hello"), "hello-from-parent from Greeter/Hello");
    assert_eq!(get("/store"), "store from Store/Hello");
    assert_eq!(get("/shared"), "hello-from-parent via Hello from Parent");
}

const OUTER: &str = "Transform: AWS::Serverless-2016-10-31
Resources:
  Child:
    Type: AWS::Serverless::Application
    Properties:
      Location: child/template.yaml
";

const INNER: &str = "Transform: AWS::Serverless-2016-10-31
Resources:
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.echo
      CodeUri: .
  Named:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: custom-named
      Runtime: python3.12
      Handler: app.says
      CodeUri: .
      Environment: {Variables: {SAYS: template}}
";

const INNER_PY: &str = "import os\ndef echo(event, context):\n    return event\ndef says(event, context):\n    return os.environ['SAYS']\n";

fn nested_project() -> std::path::PathBuf {
    project(
        "nested-ids",
        &[
            ("template.yaml", OUTER),
            ("child/template.yaml", INNER),
            ("child/app.py", INNER_PY),
            ("vars.json", r#"{"Named": {"SAYS": "env-vars file"}}"#),
        ],
    )
}

#[test]
fn start_lambda_invokes_nested_and_named_functions_by_logical_id_as_sam_cli_does() {
    let dir = nested_project();
    let server = Server::start_lambda(sluice(), &dir.join("template.yaml"), &[]);
    let invoke = |name: &str| {
        let response = crate::client()
            .post(format!(
                "{}/2015-03-31/functions/{name}/invocations",
                server.services_url
            ))
            .body(r#"{"from": "caller"}"#)
            .send()
            .unwrap();
        (response.status().as_u16(), response.text().unwrap())
    };
    // The bare logical id, the path and Lambda's own name all reach the nested functions.
    assert_eq!(invoke("Echo"), (200, r#"{"from": "caller"}"#.to_owned()));
    assert_eq!(
        invoke("Child%2FEcho"),
        (200, r#"{"from": "caller"}"#.to_owned())
    );
    assert_eq!(invoke("Named"), (200, r#""template""#.to_owned()));
    assert_eq!(invoke("custom-named"), (200, r#""template""#.to_owned()));
    assert_eq!(invoke("Nowhere").0, 404);
}

#[test]
fn invoke_finds_a_nested_function_by_its_bare_logical_id_and_prints_only_the_payload() {
    let dir = nested_project();
    let out = Command::new(sluice())
        .args(["local", "invoke", "Named", "--no-event", "-n"])
        .arg(dir.join("vars.json"))
        .current_dir(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // The env-vars section names the function as SAM CLI lets it: by its bare logical id. Piped,
    // stdout holds the payload's bytes and nothing else.
    assert_eq!(String::from_utf8_lossy(&out.stdout), r#""env-vars file""#);

    let missing = Command::new(sluice())
        .args(["invoke", "Child/Nowhere", "--no-event"])
        // SAM CLI's variable for the template, as `-t` would give it.
        .env("SAM_TEMPLATE_FILE", dir.join("template.yaml"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(missing.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not found in template"), "{stderr}");
    assert!(stderr.contains("Child/Echo"), "{stderr}");
}
