//! Tenant-isolated functions behind API Gateway, as serverless-patterns
//! `apigw-lambda-tenant-isolation` deploys them: a REST API maps a request header to Lambda's
//! `X-Amz-Tenant-Id`, each tenant's invocations run in sandboxes of their own, and a route that
//! names no tenant cannot invoke the function.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;
use sluice_testkit::{fresh_dir, Server};

use crate::{client, sluice};

fn app() -> PathBuf {
    let dir = fresh_dir("tenant-isolation");
    let template = r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Isolated:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      TenancyConfig:
        TenantIsolationMode: PER_TENANT
      InlineCode: |
        import json, os
        counter = 0
        def handler(event, context):
            global counter
            counter += 1
            body = {"tenant": context.tenant_id, "counter": counter, "pid": os.getpid()}
            return {"statusCode": 200, "body": json.dumps(body)}
      Events:
        Http:
          Type: HttpApi
          Properties: {Path: /http, Method: get}
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: tenants}
  IsolatedResource:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: isolated}
  IsolatedMethod:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref IsolatedResource
      HttpMethod: GET
      AuthorizationType: NONE
      RequestParameters:
        method.request.header.x-tenant-id: false
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Isolated.Arn}/invocations
        RequestParameters:
          integration.request.header.X-Amz-Tenant-Id: method.request.header.x-tenant-id
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: IsolatedMethod
    Properties: {RestApiId: !Ref Api, StageName: dev}
"#;
    std::fs::write(dir.join("template.yaml"), template).expect("write template");
    dir.join("template.yaml")
}

/// GET `path` with these headers: status and body.
fn get(server: &Server, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut request = client().get(server.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().expect("request");
    (response.status().as_u16(), response.text().expect("body"))
}

#[test]
fn a_mapped_tenant_header_isolates_tenants_and_a_missing_one_is_an_integration_failure() {
    let server = Server::start(sluice(), &app(), &[]);
    let mut pids: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    for tenant in ["BlueTenant", "BlueTenant", "GreenTenant", "BlueTenant"] {
        let (status, body) = get(&server, "/isolated", &[("x-tenant-id", tenant)]);
        assert_eq!(status, 200, "{body}");
        let answer: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(answer["tenant"], tenant, "{answer}");
        pids.entry(tenant.to_owned())
            .or_default()
            .insert(answer["pid"].as_u64().expect("pid"));
    }
    assert!(
        pids["BlueTenant"].is_disjoint(&pids["GreenTenant"]),
        "a sandbox served two tenants: {pids:?}"
    );

    // AWS: Lambda refuses an isolated function's invocation without a tenant
    // (InvalidParameterValueException), which API Gateway answers as an integration failure: a
    // REST API when the mapped header is absent, and any HTTP API route (HTTP APIs cannot set
    // X-Amz-Tenant-Id).
    let (status, body) = get(&server, "/isolated", &[]);
    assert_eq!(
        (status, body.as_str()),
        (500, r#"{"message": "Internal server error"}"#)
    );
    let (status, body) = get(&server, "/http", &[("x-amz-tenant-id", "BlueTenant")]);
    assert_eq!(
        (status, body.as_str()),
        (500, r#"{"message":"Internal Server Error"}"#)
    );
}
