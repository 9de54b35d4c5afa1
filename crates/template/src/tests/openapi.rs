//! APIs defined by OpenAPI (`DefinitionBody`, `DefinitionUri`) load to the same routes as their
//! SAM event equivalents.

use super::{load, load_err};
use crate::{LoadOptions, PayloadFormat};

const FUNCTION: &str = "  ItemsFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
";

/// `(method, path, function, payload format)` of every HTTP API route, sorted.
fn http_routes(model: &crate::Model) -> Vec<(String, String, String, PayloadFormat)> {
    let mut routes: Vec<_> = model
        .http_apis
        .iter()
        .flat_map(|api| api.routes.iter())
        .map(|r| {
            (
                r.method.clone(),
                r.path.clone(),
                r.function.clone(),
                r.payload_format,
            )
        })
        .collect();
    routes.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    routes
}

#[test]
fn http_api_definition_body_matches_its_events_equivalent() {
    let openapi = load(&format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: '3.0.1'
        x-amazon-apigateway-cors:
          allowOrigins: [https://app.example.com]
          allowMethods: [GET]
          maxAge: 60
        paths:
          /items/{{id}}:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{ItemsFunction.Arn}}/invocations
                payloadFormatVersion: '2.0'
          /legacy:
            x-amazon-apigateway-any-method:
              x-amazon-apigateway-integration:
                type: AWS_PROXY
                uri: !GetAtt ItemsFunction.Arn
                payloadFormatVersion: '1.0'
          /$default:
            x-amazon-apigateway-any-method:
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: !Sub ${{ItemsFunction.Arn}}
{FUNCTION}"
    ));
    assert!(openapi.warnings.is_empty(), "{:?}", openapi.warnings);
    let events = load(&format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
{FUNCTION}      Events:
        Get: {{Type: HttpApi, Properties: {{ApiId: !Ref Api, Path: '/items/{{id}}', Method: get}}}}
        Legacy: {{Type: HttpApi, Properties: {{ApiId: !Ref Api, Path: /legacy, Method: any, PayloadFormatVersion: '1.0'}}}}
        Default: {{Type: HttpApi, Properties: {{ApiId: !Ref Api}}}}
"
    ));
    assert_eq!(http_routes(&openapi), http_routes(&events));
    assert_eq!(http_routes(&openapi).len(), 3);
    let cors = openapi.http_apis[0]
        .cors
        .clone()
        .expect("x-amazon-apigateway-cors");
    assert_eq!(
        cors.allow_origins,
        vec!["https://app.example.com".to_owned()]
    );
    assert_eq!(cors.allow_methods, vec!["GET".to_owned()]);
    assert_eq!(cors.max_age, Some(60));
}

#[test]
fn rest_definition_uri_matches_its_events_equivalent() {
    let dir = std::env::temp_dir().join(format!("sluice-openapi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("openapi.yaml"),
        "openapi: '3.0.1'
x-amazon-apigateway-binary-media-types: ['image~1png']
paths:
  /items:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri:
          Fn::Sub: arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${ItemsFunction.Arn}/invocations
    post:
      x-amazon-apigateway-integration:
        type: aws_proxy
        uri: !Sub arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:${ItemsFunction}
",
    )
    .expect("write openapi");
    let template = dir.join("template.yaml");
    std::fs::write(
        &template,
        format!(
            "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionUri: openapi.yaml
{FUNCTION}"
        ),
    )
    .expect("write template");
    let model = crate::load(&template, &LoadOptions::default()).expect("loads");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(model.warnings.is_empty(), "{:?}", model.warnings);
    let api = &model.rest_apis[0];
    let routes: Vec<(&str, &str, &str)> = api
        .routes
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str(), r.function.as_str()))
        .collect();
    assert_eq!(
        routes,
        vec![
            ("GET", "/items", "ItemsFunction"),
            ("POST", "/items", "ItemsFunction")
        ]
    );
    assert_eq!(api.binary_media_types, vec!["image/png".to_owned()]);
}

#[test]
fn an_integration_naming_a_missing_function_is_an_error_at_its_place_in_the_document() {
    let err = load_err(&format!(
        "Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        paths:
          /x:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: arn:aws:lambda:us-east-1:123456789012:function:Nope
{FUNCTION}"
    ));
    assert!(
        err.contains("DefinitionBody.paths./x.get.x-amazon-apigateway-integration.uri"),
        "{err}"
    );
    assert!(err.contains("function Nope"), "{err}");
}
