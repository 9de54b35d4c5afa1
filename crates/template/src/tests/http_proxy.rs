//! `HTTP_PROXY` integrations load to the same model from a REST API's and an HTTP API's OpenAPI
//! document and from raw CloudFormation; a VPC link is reported and served as a 500; a URI that
//! is no HTTP endpoint is refused naming file, line and property.

use super::{load, load_err};
use crate::{HttpIntegration, HttpProxy, Integration};

fn proxy(method: &str, uri: &str, parameters: &[(&str, &str)]) -> HttpProxy {
    HttpProxy {
        method: method.into(),
        uri: uri.into(),
        request_parameters: parameters
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

/// AWS docs, "HTTP integrations for REST APIs": `/{proxy+}` on `ANY`, integrated with
/// `…/petstore/{proxy}` and the `integration.request.path.proxy` parameter.
#[test]
fn rest_http_proxy_integrations_load_from_openapi_and_cloudformation() {
    let model = load(
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Doc:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionBody:
        swagger: '2.0'
        paths:
          /{proxy+}:
            x-amazon-apigateway-any-method:
              parameters:
                - {name: proxy, in: path, required: true, type: string}
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: ANY
                uri: https://petstore-demo-endpoint.execute-api.com/petstore/{proxy}
                timeoutInMillis: 5000
                requestParameters:
                  integration.request.path.proxy: method.request.path.proxy
  Raw:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: raw}
  Pets:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Raw, ParentId: !GetAtt Raw.RootResourceId, PathPart: pets}
  Get:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Raw
      ResourceId: !Ref Pets
      HttpMethod: GET
      AuthorizationType: NONE
      Integration:
        Type: HTTP_PROXY
        IntegrationHttpMethod: get
        ConnectionType: INTERNET
        Uri: http://${stageVariables.host}/pets
        RequestParameters:
          integration.request.header.X-Source: "'sluice'"
  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties: {RestApiId: !Ref Raw, StageName: v1}
"#,
    );
    let doc = &model.rest_apis[0].routes[0];
    assert_eq!(
        doc.integration,
        Integration::HttpProxy(proxy(
            "ANY",
            "https://petstore-demo-endpoint.execute-api.com/petstore/{proxy}",
            &[(
                "integration.request.path.proxy",
                "method.request.path.proxy"
            )],
        ))
    );
    assert_eq!(doc.timeout_ms, Some(5000));
    assert!(doc.function.is_empty());
    let raw = &model.rest_apis[1].routes[0];
    assert_eq!(
        raw.integration,
        Integration::HttpProxy(proxy(
            "GET",
            "http://${stageVariables.host}/pets",
            &[("integration.request.header.X-Source", "'sluice'")],
        ))
    );
    assert!(
        !model.warnings.iter().any(|w| w.contains("not emulated")),
        "{:#?}",
        model.warnings
    );
}

#[test]
fn http_api_http_proxy_integrations_load_from_openapi_and_cloudformation() {
    let model = load(
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Doc:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: '3.0.1'
        paths:
          /pets/{proxy+}:
            x-amazon-apigateway-any-method:
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: ANY
                uri: https://petstore.example.com/{proxy}
                payloadFormatVersion: '1.0'
                timeoutInMillis: 2000
                requestParameters:
                  overwrite:path: /v2/$request.path.proxy
  Raw:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: raw, ProtocolType: HTTP}
  Site:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Raw
      IntegrationType: HTTP_PROXY
      IntegrationUri: https://example.com/site
      PayloadFormatVersion: '1.0'
      RequestParameters:
        append:header.x-from: sluice
  Route:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Raw, RouteKey: GET /site, Target: !Sub 'integrations/${Site}'}
"#,
    );
    let doc = &model.http_apis[0].routes[0];
    assert_eq!(doc.route_key(), "ANY /pets/{proxy+}");
    assert_eq!(
        doc.integration,
        HttpIntegration::HttpProxy(proxy("ANY", "https://petstore.example.com/{proxy}", &[]))
    );
    assert_eq!(doc.timeout_ms, 2000);
    assert_eq!(doc.parameter_mapping.request.len(), 1);
    let raw = model
        .http_apis
        .iter()
        .find(|api| api.logical_id == "Raw")
        .expect("the raw API");
    // No IntegrationMethod: the client's method, as ANY sends it.
    assert_eq!(
        raw.routes[0].integration,
        HttpIntegration::HttpProxy(proxy("ANY", "https://example.com/site", &[]))
    );
    assert_eq!(raw.routes[0].timeout_ms, 30_000);
    assert_eq!(raw.routes[0].parameter_mapping.request.len(), 1);
    assert!(
        !model.warnings.iter().any(|w| w.contains("not emulated")),
        "{:#?}",
        model.warnings
    );
}

/// A VPC link reaches a load balancer in a VPC: the route is kept, reported once, and answers 500.
#[test]
fn an_http_proxy_through_a_vpc_link_is_reported_and_answers_500() {
    let model = load(
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Rest:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionBody:
        swagger: '2.0'
        paths:
          /private:
            get:
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: GET
                connectionType: VPC_LINK
                connectionId: abc123
                uri: http://internal-nlb.example.com/private
  Http:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: raw, ProtocolType: HTTP}
  Linked:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Http
      IntegrationType: HTTP_PROXY
      IntegrationMethod: ANY
      ConnectionType: VPC_LINK
      ConnectionId: link
      IntegrationUri: arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/x/1/2
      PayloadFormatVersion: '1.0'
  Route:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Http, RouteKey: GET /linked, Target: !Sub 'integrations/${Linked}'}
"#,
    );
    let kind = "HTTP_PROXY over VPC_LINK";
    assert_eq!(
        model.rest_apis[0].routes[0].integration,
        Integration::Unsupported { kind: kind.into() }
    );
    assert_eq!(
        model.http_apis[0].routes[0].integration,
        HttpIntegration::NotEmulated { kind: kind.into() }
    );
    let reported: Vec<_> = model.warnings.iter().filter(|w| w.contains(kind)).collect();
    assert_eq!(reported.len(), 2, "{:#?}", model.warnings);
    assert!(
        reported
            .iter()
            .any(|w| w.contains("GET /private answers 500")),
        "{reported:?}"
    );
    assert!(
        reported.iter().any(|w| w.starts_with("Resources.Linked: ")
            && w.contains("answer 500 Internal Server Error")),
        "{reported:?}"
    );
}

#[test]
fn an_http_proxy_uri_that_is_no_http_endpoint_is_refused_where_it_is_written() {
    let rest = load_err(
        r#"Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
  M:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: GET
      Integration:
        Type: HTTP_PROXY
        IntegrationHttpMethod: GET
        Uri: petstore.example.com/pets
"#,
    );
    assert!(
        rest.starts_with("/app/template.yaml:13:")
            && rest.contains("Resources.M.Properties.Integration.Uri")
            && rest.contains("Invalid HTTP endpoint specified for URI"),
        "{rest}"
    );
    let http = load_err(
        r#"Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: raw, ProtocolType: HTTP}
  Site:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: HTTP_PROXY
      IntegrationMethod: GET
      IntegrationUri: arn:aws:lambda:us-east-1:123456789012:function:f
"#,
    );
    assert!(
        http.starts_with("/app/template.yaml:11:")
            && http.contains("Resources.Site.Properties.IntegrationUri")
            && http.contains("Invalid HTTP endpoint specified for URI"),
        "{http}"
    );
    let openapi = load_err(
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: '3.0.1'
        paths:
          /x:
            get:
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: GET
                uri: /relative/path
"#,
    );
    assert!(
        openapi.starts_with("/app/template.yaml:14:")
            && openapi.contains("x-amazon-apigateway-integration.uri")
            && openapi.contains("Invalid HTTP endpoint specified for URI"),
        "{openapi}"
    );
    // REST, as AWS: a method to call the endpoint with is required.
    let no_method = load_err(
        r#"Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
  M:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: GET
      Integration:
        Type: HTTP_PROXY
        Uri: https://example.com
"#,
    );
    assert!(
        no_method.contains("Integration.IntegrationHttpMethod")
            && no_method.contains("needs the HTTP method"),
        "{no_method}"
    );
}
