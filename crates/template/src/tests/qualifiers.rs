//! Which version or alias each route's integration invokes: SAM events the `AutoPublishAlias`
//! alias, integrations the user wrote the qualifier their URI names (none: `$LATEST`).

use super::load;

/// `(path, qualifier)` of every route of every API, sorted by path.
fn qualifiers(model: &crate::Model) -> Vec<(String, Option<String>)> {
    let rest = model.rest_apis.iter().flat_map(|a| &a.routes);
    let http = model.http_apis.iter().flat_map(|a| &a.routes);
    let mut all: Vec<_> = rest
        .map(|r| (r.path.clone(), r.qualifier.clone()))
        .chain(http.map(|r| (r.path.clone(), r.qualifier.clone())))
        .collect();
    all.sort();
    all
}

const URI: &str = "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions";

fn template() -> String {
    format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      AutoPublishAlias: live
      Events:
        Rest: {{Type: Api, Properties: {{Path: /sam-rest, Method: GET}}}}
        Http: {{Type: HttpApi, Properties: {{Path: /sam-http, Method: GET}}}}
  Plain:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Events:
        Rest: {{Type: Api, Properties: {{Path: /sam-plain, Method: GET}}}}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Variables: {{alias: live, latest: $LATEST}}
      DefinitionBody:
        openapi: '3.0.1'
        paths:
          /doc-arn:
            get:
              x-amazon-apigateway-integration:
                {{type: aws_proxy, httpMethod: POST, uri: !Sub '{URI}/${{Fn.Arn}}/invocations'}}
          /doc-alias:
            get:
              x-amazon-apigateway-integration:
                {{type: aws_proxy, httpMethod: POST, uri: !Sub '{URI}/${{Fn.Alias}}/invocations'}}
          /doc-version:
            get:
              x-amazon-apigateway-integration:
                {{type: aws_proxy, httpMethod: POST, uri: !Sub '{URI}/${{Fn.Version}}/invocations'}}
          /doc-latest:
            get:
              x-amazon-apigateway-integration:
                {{type: aws_proxy, httpMethod: POST, uri: !Sub '{URI}/${{Fn.Arn}}:$LATEST/invocations'}}
          /doc-stage:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:Fn:${{stageVariables.alias}}/invocations'
          /doc-stage-latest:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:Fn:${{stageVariables.latest}}/invocations'
  HttpDoc:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: '3.0.1'
        paths:
          /http-doc-arn:
            get:
              x-amazon-apigateway-integration:
                {{type: aws_proxy, httpMethod: POST, payloadFormatVersion: '2.0', uri: !GetAtt Fn.Arn}}
          /http-doc-alias:
            get:
              x-amazon-apigateway-integration:
                {{type: aws_proxy, httpMethod: POST, payloadFormatVersion: '2.0', uri: !Ref Fn.Alias}}
  RawApi:
    Type: AWS::ApiGateway::RestApi
    Properties: {{Name: raw}}
  RawResource:
    Type: AWS::ApiGateway::Resource
    Properties: {{RestApiId: !Ref RawApi, ParentId: !GetAtt RawApi.RootResourceId, PathPart: raw-alias}}
  RawMethod:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref RawApi
      ResourceId: !Ref RawResource
      HttpMethod: GET
      Integration: {{Type: AWS_PROXY, IntegrationHttpMethod: POST, Uri: !Sub '{URI}/${{Fn.Alias}}/invocations'}}
  RawStage:
    Type: AWS::ApiGateway::Stage
    Properties: {{RestApiId: !Ref RawApi, StageName: v1}}
  V2Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {{Name: v2, ProtocolType: HTTP}}
  V2Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref V2Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub '{URI}/${{Fn.Version}}/invocations'
      PayloadFormatVersion: '2.0'
  V2Route:
    Type: AWS::ApiGatewayV2::Route
    Properties: {{ApiId: !Ref V2Api, RouteKey: GET /v2-version, Target: !Sub 'integrations/${{V2Integration}}'}}
"
    )
}

#[test]
fn sam_events_invoke_the_alias_and_written_integrations_what_their_uri_names() {
    let model = load(&template());
    assert!(model.warnings.is_empty(), "{:?}", model.warnings);
    let some = |q: &str| Some(q.to_owned());
    assert_eq!(
        qualifiers(&model),
        vec![
            ("/doc-alias".to_owned(), some("live")),
            ("/doc-arn".to_owned(), None),
            ("/doc-latest".to_owned(), None),
            ("/doc-stage".to_owned(), some("live")),
            ("/doc-stage-latest".to_owned(), None),
            ("/doc-version".to_owned(), some("1")),
            ("/http-doc-alias".to_owned(), some("live")),
            ("/http-doc-arn".to_owned(), None),
            ("/raw-alias".to_owned(), some("live")),
            ("/sam-http".to_owned(), some("live")),
            ("/sam-plain".to_owned(), None),
            ("/sam-rest".to_owned(), some("live")),
            ("/v2-version".to_owned(), some("1")),
        ]
    );
}

#[test]
fn a_qualifier_the_template_does_not_define_is_kept_and_reported() {
    let model = load(&format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {{Handler: app.handler, Runtime: python3.12, AutoPublishAlias: live}}
  Plain:
    Type: AWS::Serverless::Function
    Properties: {{Handler: app.handler, Runtime: python3.12}}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        openapi: '3.0.1'
        paths:
          /bogus:
            get:
              x-amazon-apigateway-integration:
                {{type: aws_proxy, httpMethod: POST, uri: !Sub '{URI}/${{Fn.Arn}}:bogus/invocations'}}
          /plain-live:
            get:
              x-amazon-apigateway-integration:
                {{type: aws_proxy, httpMethod: POST, uri: !Sub '{URI}/${{Plain.Arn}}:live/invocations'}}
          /unset:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:Fn:${{stageVariables.nope}}/invocations'
"
    ));
    let some = |q: &str| Some(q.to_owned());
    assert_eq!(
        qualifiers(&model),
        vec![
            ("/bogus".to_owned(), some("bogus")),
            ("/plain-live".to_owned(), some("live")),
            ("/unset".to_owned(), some("${stageVariables.nope}")),
        ]
    );
    let warnings = model.warnings.join("\n");
    assert_eq!(model.warnings.len(), 3, "{warnings}");
    assert!(
        warnings.contains("Api GET /bogus: the integration invokes Fn:bogus, a version or alias this template does not define"),
        "{warnings}"
    );
    assert!(warnings.contains("Fn:bogus"), "{warnings}");
    assert!(warnings.contains("Plain:live"), "{warnings}");
    assert!(
        warnings
            .contains("${stageVariables.nope} names a stage variable the stage does not define"),
        "{warnings}"
    );
    assert!(
        model
            .warnings
            .iter()
            .all(|w| w.ends_with("the route answers 500 Internal server error")),
        "{warnings}"
    );
}

#[test]
fn an_authorizer_uri_qualifier_takes_the_stage_variable_and_an_undefined_one_is_reported() {
    let model = load(&format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  AuthFn:
    Type: AWS::Serverless::Function
    Properties: {{Handler: app.handler, Runtime: python3.12, AutoPublishAlias: live}}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Variables: {{authAlias: live}}
      DefinitionBody:
        openapi: '3.0.1'
        components:
          securitySchemes:
            Staged:
              type: apiKey
              name: Authorization
              in: header
              x-amazon-apigateway-authorizer:
                type: token
                authorizerUri: !Sub '{URI}/${{AuthFn.Arn}}:${{!stageVariables.authAlias}}/invocations'
            Bogus:
              type: apiKey
              name: Authorization
              in: header
              x-amazon-apigateway-authorizer:
                type: token
                authorizerUri: !Sub '{URI}/${{AuthFn.Arn}}:bogus/invocations'
        paths: {{}}
"
    ));
    let qualifier = |name: &str| match &model.auth.apis["Api"].authorizers[name] {
        crate::auth_model::Authorizer::Lambda(lambda) => lambda.qualifier.clone(),
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(qualifier("Staged").as_deref(), Some("live"));
    assert_eq!(qualifier("Bogus").as_deref(), Some("bogus"));
    let warnings = model.warnings.join("\n");
    assert_eq!(model.warnings.len(), 1, "{warnings}");
    assert!(
        warnings.contains("Api authorizer Bogus: the authorizer invokes AuthFn:bogus, a version or alias this template does not define"),
        "{warnings}"
    );
}
