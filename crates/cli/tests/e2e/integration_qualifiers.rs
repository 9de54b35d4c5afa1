//! Which version of a function an API route invokes, seen from inside the handler: SAM's events
//! go through the `AutoPublishAlias` alias (SAM rewrites their integration URI to the alias ARN),
//! an integration the user wrote invokes what its URI names, `$LATEST` when it names nothing.

use serde_json::Value;
use sluice_testkit::{fresh_dir, Server};

use crate::{client, sluice};

/// One function with an alias, reached by a SAM `Api` event, a SAM `HttpApi` event and OpenAPI
/// documents naming `${Who.Arn}`, `${Who.Alias}`, `${Who.Version}` and an alias nobody defines;
/// the handler answers with what the invocation looks like from inside.
fn project() -> std::path::PathBuf {
    let dir = fresh_dir("integration-qualifiers");
    std::fs::write(
        dir.join("template.yaml"),
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Who:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      FunctionName: who
      AutoPublishAlias: live
      Events:
        Rest:
          Type: Api
          Properties: { Path: /sam, Method: GET }
        Http:
          Type: HttpApi
          Properties: { Path: /sam-http, Method: GET }
  Documented:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        openapi: '3.0.1'
        info: { title: documented, version: '1' }
        paths:
          /doc-arn:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Who.Arn}/invocations
          /doc-alias:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Who.Alias}/invocations
          /doc-version:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Who.Version}/invocations
          /doc-missing:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Who.Arn}:gone/invocations
  DocumentedHttp:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: '3.0.1'
        info: { title: documented-http, version: '1' }
        paths:
          /http-doc-arn:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                payloadFormatVersion: '2.0'
                uri: !GetAtt Who.Arn
"#,
    )
    .expect("writing the template");
    std::fs::write(
        dir.join("app.py"),
        r#"import json
import os


def handler(event, context):
    return {
        "statusCode": 200,
        "body": json.dumps({
            "arn": context.invoked_function_arn,
            "version": context.function_version,
            "env_version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"],
            "log_stream": context.log_stream_name,
        }),
    }
"#,
    )
    .expect("writing the handler");
    dir.join("template.yaml")
}

/// What the handler saw on `path`.
fn seen(server: &Server, path: &str) -> Value {
    let response = client().get(server.url(path)).send().unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().unwrap()
}

#[test]
fn sam_events_invoke_the_alias_and_written_integrations_what_their_uri_names() {
    let server = Server::start(sluice(), &project(), &[]);
    let arn = "arn:aws:lambda:us-east-1:123456789012:function:who";
    // SAM's events: through the alias, which runs version 1.
    for path in ["/sam", "/sam-http", "/doc-alias"] {
        let seen = seen(&server, path);
        assert_eq!(seen["arn"], format!("{arn}:live"), "{path}: {seen}");
        assert_eq!(seen["version"], "1", "{path}: {seen}");
        assert_eq!(seen["env_version"], "1", "{path}: {seen}");
        let stream = seen["log_stream"].as_str().unwrap();
        assert!(stream.contains("/[1]"), "{path}: {stream}");
    }
    // `${Who.Version}`: the version itself.
    let seen_version = seen(&server, "/doc-version");
    assert_eq!(seen_version["arn"], format!("{arn}:1"), "{seen_version}");
    assert_eq!(seen_version["version"], "1", "{seen_version}");
    // `${Who.Arn}`: the unqualified function, which Lambda runs as $LATEST.
    for path in ["/doc-arn", "/http-doc-arn"] {
        let seen = seen(&server, path);
        assert_eq!(seen["arn"], arn, "{path}: {seen}");
        assert_eq!(seen["version"], "$LATEST", "{path}: {seen}");
        assert_eq!(seen["env_version"], "$LATEST", "{path}: {seen}");
        let stream = seen["log_stream"].as_str().unwrap();
        assert!(stream.contains("/[$LATEST]"), "{path}: {stream}");
    }
    // An alias the template does not define: Lambda's ResourceNotFoundException, which a REST
    // API answers as an integration failure.
    let response = client().get(server.url("/doc-missing")).send().unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(
        response.text().unwrap(),
        r#"{"message": "Internal server error"}"#
    );
    assert!(
        server
            .wait_for_log("the integration invokes who:gone, a version or alias this template does not define")
            .is_some(),
        "{:#?}",
        server.logs()
    );
}

/// A token authorizer function with an alias, named by two REST authorizers: `!Ref AuthFn.Alias`
/// and `!GetAtt AuthFn.Arn`; it tells what invoked it through its `context`, which the echoing
/// route hands back.
fn authorizer_project() -> std::path::PathBuf {
    let dir = fresh_dir("authorizer-qualifiers");
    std::fs::write(
        dir.join("template.yaml"),
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        Authorizers:
          AliasAuth: { FunctionArn: !Ref AuthFn.Alias }
          LatestAuth: { FunctionArn: !GetAtt AuthFn.Arn }
  AuthFn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.authorize
      FunctionName: authz
      AutoPublishAlias: live
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.echo
      Events:
        Alias:
          Type: Api
          Properties: { RestApiId: !Ref Api, Path: /alias, Method: GET, Auth: { Authorizer: AliasAuth } }
        Latest:
          Type: Api
          Properties: { RestApiId: !Ref Api, Path: /latest, Method: GET, Auth: { Authorizer: LatestAuth } }
"#,
    )
    .expect("writing the template");
    std::fs::write(
        dir.join("app.py"),
        r#"import json


def authorize(event, context):
    return {
        "principalId": "user",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}],
        },
        "context": {"arn": context.invoked_function_arn, "version": context.function_version},
    }


def echo(event, context):
    return {"statusCode": 200, "body": json.dumps(event["requestContext"]["authorizer"])}
"#,
    )
    .expect("writing the handlers");
    dir.join("template.yaml")
}

#[test]
fn a_lambda_authorizer_invokes_the_qualifier_its_function_arn_names() {
    let server = Server::start(sluice(), &authorizer_project(), &[]);
    let arn = "arn:aws:lambda:us-east-1:123456789012:function:authz";
    let seen = |path: &str| -> Value {
        let response = client()
            .get(server.url(path))
            .header("authorization", "token")
            .send()
            .unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().unwrap()
    };
    // `!Ref AuthFn.Alias`: SAM puts the alias ARN in the authorizer's URI, so the alias runs.
    let alias = seen("/alias");
    assert_eq!(alias["arn"], format!("{arn}:live"), "{alias}");
    assert_eq!(alias["version"], "1", "{alias}");
    // `!GetAtt AuthFn.Arn`: the unqualified function, which Lambda runs as $LATEST.
    let latest = seen("/latest");
    assert_eq!(latest["arn"], arn, "{latest}");
    assert_eq!(latest["version"], "$LATEST", "{latest}");
}
