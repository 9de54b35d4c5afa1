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
