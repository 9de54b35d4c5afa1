//! Declared cache key parameters load to each route's `cache_key_parameters` from every form a
//! template writes them in: SAM `RequestParameters` with `Caching: true`, OpenAPI
//! `cacheKeyParameters` and CloudFormation `Integration.CacheKeyParameters`; a cache key the method
//! does not declare as a request parameter is refused, as API Gateway refuses it.

use super::{load, load_err};
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
            parameters:
              - {name: id, in: path, required: true}
            get:
              parameters:
                - $ref: '#/components/parameters/Type'
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
                cacheKeyParameters: [method.request.header.accept, method.request.multivalueheader.Accept]
                responses:
                  default: {statusCode: "200"}
          /plain:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
        components:
          parameters:
            Type: {name: type, in: query}
"#,
    );
    // Declared on the path item, or through a `$ref`, a parameter is the method's all the same.
    assert_eq!(
        route(&model, "GET", "/items/{id}").cache_key_parameters,
        ["method.request.path.id", "method.request.querystring.type"]
    );
    // Header names ignore case; a multi-value location names the same declared parameter.
    assert_eq!(
        route(&model, "GET", "/report").cache_key_parameters,
        [
            "method.request.header.accept",
            "method.request.multivalueheader.Accept"
        ]
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

/// A raw method with `RequestParameters` (or none) and `CacheKeyParameters`, for the refusals.
fn cloudformation_method(request_parameters: &str, cache_keys: &str) -> String {
    format!(
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
    Properties: {{Name: raw}}
  Users:
    Type: AWS::ApiGateway::Resource
    Properties: {{RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: users}}
  GetUsers:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Users
      HttpMethod: GET
      AuthorizationType: NONE
{request_parameters}      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Fn.Arn}}/invocations
        CacheKeyParameters:
{cache_keys}"#
    )
}

#[test]
fn a_cache_key_the_method_does_not_declare_is_refused_where_it_is_written() {
    // AWS: PutIntegration answers `Invalid cache key parameter specified`; the stack fails.
    let err = load_err(&cloudformation_method(
        "      RequestParameters: {method.request.querystring.page: false}\n",
        "          - method.request.querystring.page\n          - method.request.querystring.type\n",
    ));
    let first_line = err.lines().next().unwrap_or_default();
    assert_eq!(
        first_line,
        "/app/template.yaml:29:13: Resources.GetUsers.Properties.Integration.CacheKeyParameters[1]: \
         \"method.request.querystring.type\" is not a request parameter of this method; API Gateway \
         refuses it (Invalid cache key parameter specified)"
    );
    assert!(
        err.contains("hint: declare method.request.querystring.type in the method's Properties.RequestParameters"),
        "{err}"
    );
    // Without any RequestParameters, no cache key is declared.
    let err = load_err(&cloudformation_method(
        "",
        "          - method.request.path.id\n",
    ));
    assert!(
        err.contains("CacheKeyParameters[0]")
            && err.contains("Invalid cache key parameter specified"),
        "{err}"
    );
}

#[test]
fn an_openapi_cache_key_that_is_not_a_declared_parameter_is_refused() {
    let template = |cache_key: &str| {
        format!(
            r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {{Handler: app.handler, Runtime: python3.12, CodeUri: ./src}}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionBody:
        openapi: 3.0.1
        paths:
          /report:
            get:
              parameters:
                - {{name: Accept, in: header}}
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Fn.Arn}}/invocations
                cacheKeyParameters: [method.request.header.Accept, {cache_key}]
"#
        )
    };
    // An undeclared query parameter, and an integration request parameter (AWS refuses both).
    for cache_key in [
        "method.request.querystring.type",
        "integration.request.header.X-Old",
    ] {
        let err = load_err(&template(cache_key));
        assert!(
            err.starts_with(
                "/app/template.yaml:21:68: Resources.Api.Properties.DefinitionBody.paths./report.get.x-amazon-apigateway-integration.cacheKeyParameters[1]: "
            ) && err.contains(&format!("{cache_key:?} is not a request parameter of this method"))
                && err.contains("hint: "),
            "{err}"
        );
    }
}
