//! Declared cache key parameters load to each route's `cache_key_parameters` from every form a
//! template writes them in: SAM `RequestParameters` with `Caching: true`, OpenAPI
//! `cacheKeyParameters` and CloudFormation `Integration.CacheKeyParameters`.

use super::load;
use crate::{Model, Route};

/// The route at `method path` of the template's REST APIs.
fn route<'m>(model: &'m Model, method: &str, path: &str) -> &'m Route {
    model
        .rest_apis
        .iter()
        .flat_map(|a| a.routes.iter())
        .find(|r| r.method == method && r.path == path)
        .unwrap_or_else(|| panic!("no route {method} {path} in {:#?}", model.rest_apis))
}

#[test]
fn sam_request_parameters_marked_caching_are_the_cache_keys() {
    let model = load(
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: ./src
      Events:
        List:
          Type: Api
          Properties:
            Path: /users
            Method: get
            RequestParameters:
              - method.request.header.X-Plain
              - method.request.querystring.type: {Caching: true}
              - method.request.querystring.page: {Required: true, Caching: false}
              - method.request.header.Accept: {Required: false, Caching: "true"}
        Plain:
          Type: Api
          Properties: {Path: /plain, Method: get}
"#,
    );
    assert_eq!(
        route(&model, "GET", "/users").cache_key_parameters,
        [
            "method.request.querystring.type",
            "method.request.header.Accept"
        ]
    );
    assert!(route(&model, "GET", "/plain")
        .cache_key_parameters
        .is_empty());
}

#[test]
fn openapi_cache_key_parameters_on_proxy_and_custom_integrations() {
    let model = load(
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.handler, Runtime: python3.12, CodeUri: ./src}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionBody:
        openapi: 3.0.1
        paths:
          /items/{id}:
            get:
              parameters:
                - {name: id, in: path, required: true}
                - {name: type, in: query}
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
                cacheKeyParameters: [method.request.path.id, method.request.querystring.type]
          /report:
            get:
              parameters:
                - {name: Accept, in: header}
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
                cacheKeyParameters: [method.request.header.Accept, integration.request.header.X-Old]
                responses:
                  default: {statusCode: "200"}
          /plain:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
"#,
    );
    assert_eq!(
        route(&model, "GET", "/items/{id}").cache_key_parameters,
        ["method.request.path.id", "method.request.querystring.type"]
    );
    // Only method request parameters can be cache keys; another entry is reported and left out.
    assert_eq!(
        route(&model, "GET", "/report").cache_key_parameters,
        ["method.request.header.Accept"]
    );
    assert!(
        model
            .warnings
            .iter()
            .any(|w| w.contains("integration.request.header.X-Old") && w.contains("cache key")),
        "{:#?}",
        model.warnings
    );
    assert!(route(&model, "GET", "/plain")
        .cache_key_parameters
        .is_empty());
}

#[test]
fn cloudformation_integration_cache_key_parameters() {
    let model = load(
        r#"Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Code: ./src
      Role: arn:aws:iam::123456789012:role/r
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: raw}
  Users:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: users}
  GetUsers:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Users
      HttpMethod: GET
      AuthorizationType: NONE
      RequestParameters: {method.request.querystring.type: false}
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
        CacheKeyParameters: [method.request.querystring.type]
  PostUsers:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Users
      HttpMethod: POST
      AuthorizationType: NONE
      RequestParameters: {method.request.header.X-Team: true}
      Integration:
        Type: AWS
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
        CacheKeyParameters: [method.request.header.X-Team]
        IntegrationResponses: [{StatusCode: 200}]
  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties: {RestApiId: !Ref Api}
  Stage:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      DeploymentId: !Ref Deployment
      StageName: v1
      CacheClusterEnabled: true
      CacheClusterSize: "0.5"
      MethodSettings:
        - {ResourcePath: /~1users, HttpMethod: POST, CachingEnabled: true, CacheTtlInSeconds: 30}
"#,
    );
    assert_eq!(
        route(&model, "GET", "/users").cache_key_parameters,
        ["method.request.querystring.type"]
    );
    assert_eq!(
        route(&model, "POST", "/users").cache_key_parameters,
        ["method.request.header.X-Team"]
    );
    // The stage's cache settings are the API's, as SAM's on an `AWS::Serverless::Api`.
    let api = &model.auth.apis["Api"];
    assert!(api.cache_cluster_enabled);
    let setting = &api.method_settings[0];
    assert_eq!(
        (setting.resource_path.as_str(), setting.http_method.as_str()),
        ("/users", "POST")
    );
    assert_eq!(
        (setting.caching_enabled, setting.cache_ttl_secs),
        (Some(true), Some(30))
    );
}

#[test]
fn a_deployment_stage_description_sets_the_raw_api_stage_cache() {
    let model = load(
        r#"Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: raw}
  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties:
      RestApiId: !Ref Api
      StageName: v1
      StageDescription:
        CacheClusterEnabled: true
        CachingEnabled: true
        CacheTtlInSeconds: 120
"#,
    );
    let api = &model.auth.apis["Api"];
    assert!(api.cache_cluster_enabled);
    let stage_wide = api
        .method_settings
        .iter()
        .find(|s| s.resource_path == "/*" && s.http_method == "*")
        .expect("a stage-wide setting");
    assert_eq!(
        (stage_wide.caching_enabled, stage_wide.cache_ttl_secs),
        (Some(true), Some(120))
    );
}
