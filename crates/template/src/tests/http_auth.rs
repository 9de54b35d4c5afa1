//! HTTP API auth: SAM `Auth`, OpenAPI security and raw `AWS::ApiGatewayV2::Authorizer`s load to
//! the same model; nested stacks keep their auth.

use std::path::Path;

use super::{load, load_err};
use crate::auth_model::*;
use crate::LoadOptions;

const FIXTURE: &str = include_str!("../../../cli/tests/fixtures/http-auth/template.yaml");

/// The issuer SAM's `!Sub https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}` gives.
fn pool_issuer(model: &crate::Model, pool: &str) -> String {
    let pool = model.auth.user_pool(pool).expect("pool");
    format!(
        "https://cognito-idp.us-east-1.amazonaws.com/{}",
        pool.pool_id
    )
}

#[test]
fn the_http_auth_fixture_resolves_every_route() {
    let model = load(FIXTURE);
    let api = &model.auth.apis["Api"];
    let route = |method: &str, path: &str| {
        api.route(method, path)
            .unwrap_or_else(|| panic!("route {method} {path}"))
    };
    assert_eq!(route("GET", "/public").authorizer, RouteAuthorizer::None);
    // DefaultAuthorizer covers the routes that say nothing.
    assert_eq!(
        route("GET", "/me").authorizer,
        RouteAuthorizer::Named("Jwt".into())
    );
    assert_eq!(
        route("GET", "/scoped").scopes,
        vec!["items/read".to_owned()]
    );
    assert_eq!(route("ANY", "/iam").authorizer, RouteAuthorizer::Iam);
    let Authorizer::Jwt(jwt) = &api.authorizers["Jwt"] else {
        panic!("Jwt authorizer");
    };
    assert_eq!(jwt.issuer, pool_issuer(&model, "UserPool"));
    let client = &model.auth.user_pool("UserPool").expect("pool").clients[0];
    assert_eq!(jwt.audiences, vec![client.client_id.clone()]);
    assert_eq!(jwt.identity, IdentitySource::Header("Authorization".into()));
    let Authorizer::Lambda(simple) = &api.authorizers["Simple"] else {
        panic!("Simple");
    };
    assert_eq!(simple.function, "SimpleAuthorizer");
    assert_eq!(simple.ttl_secs, 60);
    assert_eq!(
        simple.http,
        Some(HttpLambdaFormat {
            v2: true,
            simple_responses: true
        })
    );
    let Authorizer::Lambda(policy) = &api.authorizers["Policy"] else {
        panic!("Policy");
    };
    assert_eq!(
        policy.payload,
        LambdaPayload::Request {
            identity: vec![
                IdentitySource::Header("X-Token".into()),
                IdentitySource::Query("tenant".into())
            ]
        }
    );
    assert_eq!(policy.ttl_secs, 300);
    let Authorizer::Lambda(v1) = &api.authorizers["V1"] else {
        panic!("V1");
    };
    assert_eq!(
        v1.http,
        Some(HttpLambdaFormat {
            v2: false,
            simple_responses: false
        })
    );
    // `Auth` is read now, so it no longer draws a "not emulated" warning.
    assert!(
        !model.warnings.iter().any(|w| w.contains("Auth")),
        "{:?}",
        model.warnings
    );
}

const POOL: &str = "
  Pool:
    Type: AWS::Cognito::UserPool
  Client:
    Type: AWS::Cognito::UserPoolClient
    Properties: {UserPoolId: !Ref Pool}
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.handler, Runtime: python3.12, CodeUri: src/}
  Authz:
    Type: AWS::Serverless::Function
    Properties: {Handler: authz.handler, Runtime: python3.12, CodeUri: src/}
";

const SAM: &str = "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        Authorizers:
          Jwt:
            IdentitySource: $request.header.Authorization
            JwtConfiguration:
              issuer: !Sub https://cognito-idp.${AWS::Region}.amazonaws.com/${Pool}
              audience: [!Ref Client]
          Lambda:
            FunctionArn: !GetAtt Authz.Arn
            AuthorizerPayloadFormatVersion: '2.0'
            EnableSimpleResponses: true
            Identity: {Headers: [X-Token], ReauthorizeEvery: 30}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      Events:
        Read: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /items, Method: get, Auth: {Authorizer: Jwt, AuthorizationScopes: [items/read]}}}
        Write: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /items, Method: post, Auth: {Authorizer: Lambda}}}
        Open: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /open, Method: get}}
  Pool:
    Type: AWS::Cognito::UserPool
  Client:
    Type: AWS::Cognito::UserPoolClient
    Properties: {UserPoolId: !Ref Pool}
  Authz:
    Type: AWS::Serverless::Function
    Properties: {Handler: authz.handler, Runtime: python3.12, CodeUri: src/}
";

const OPENAPI: &str = "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: '3.0.1'
        components:
          securitySchemes:
            Jwt:
              type: oauth2
              x-amazon-apigateway-authorizer:
                type: jwt
                identitySource: $request.header.Authorization
                jwtConfiguration:
                  issuer: !Sub https://cognito-idp.${AWS::Region}.amazonaws.com/${Pool}
                  audience: [!Ref Client]
            Lambda:
              type: apiKey
              name: X-Token
              in: header
              x-amazon-apigateway-authorizer:
                type: request
                identitySource: $request.header.X-Token
                authorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Authz.Arn}/invocations
                authorizerPayloadFormatVersion: '2.0'
                authorizerResultTtlInSeconds: 30
                enableSimpleResponses: true
        paths:
          /items:
            get:
              security: [{Jwt: [items/read]}]
              x-amazon-apigateway-integration:
                type: aws_proxy
                payloadFormatVersion: '2.0'
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
            post:
              security: [{Lambda: []}]
              x-amazon-apigateway-integration:
                type: aws_proxy
                payloadFormatVersion: '2.0'
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
          /open:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                payloadFormatVersion: '2.0'
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
";

const CFN: &str = "Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: api, ProtocolType: HTTP}
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !GetAtt Fn.Arn
      PayloadFormatVersion: '2.0'
  Jwt:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref Api
      Name: jwt
      AuthorizerType: JWT
      IdentitySource: [$request.header.Authorization]
      JwtConfiguration:
        Issuer: !Sub https://cognito-idp.${AWS::Region}.amazonaws.com/${Pool}
        Audience: [!Ref Client]
  Lambda:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref Api
      Name: lambda
      AuthorizerType: REQUEST
      IdentitySource: [$request.header.X-Token]
      AuthorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Authz.Arn}/invocations
      AuthorizerPayloadFormatVersion: '2.0'
      AuthorizerResultTtlInSeconds: 30
      EnableSimpleResponses: true
  Read:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: GET /items
      Target: !Sub integrations/${Integration}
      AuthorizationType: JWT
      AuthorizerId: !Ref Jwt
      AuthorizationScopes: [items/read]
  Write:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: POST /items
      Target: !Sub integrations/${Integration}
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref Lambda
  Open:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: GET /open
      Target: !Sub integrations/${Integration}
";

/// A route's method, path, authorizer and scopes.
type Guard = (String, String, RouteAuthorizer, Vec<String>);

/// The API's authorizers and its routes' guards, in a comparable order.
fn auth_of(yaml: &str) -> (Vec<(String, Authorizer)>, Vec<Guard>) {
    let model = load(yaml);
    let api = &model.auth.apis["Api"];
    let authorizers = api
        .authorizers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut routes: Vec<_> = api
        .routes
        .iter()
        .map(|r| {
            (
                r.method.clone(),
                r.path.clone(),
                r.authorizer.clone(),
                r.scopes.clone(),
            )
        })
        .collect();
    routes.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    (authorizers, routes)
}

#[test]
fn sam_openapi_and_cloudformation_forms_load_to_the_same_auth() {
    let sam = auth_of(SAM);
    let cfn_template = format!("{CFN}{POOL}");
    assert_eq!(auth_of(&format!("{OPENAPI}{POOL}")), sam);
    assert_eq!(auth_of(&cfn_template), sam);
    // The raw authorizers are read, so they are not reported as ignored.
    let warnings = load(&cfn_template).warnings;
    assert!(
        !warnings.iter().any(|w| w.contains("Authorizer")),
        "{warnings:?}"
    );
    let (authorizers, routes) = sam;
    assert_eq!(routes.len(), 3);
    assert_eq!(
        routes[0],
        (
            "GET".to_owned(),
            "/items".to_owned(),
            RouteAuthorizer::Named("Jwt".into()),
            vec!["items/read".to_owned()]
        )
    );
    assert_eq!(routes[1].2, RouteAuthorizer::None);
    assert!(
        matches!(authorizers[1].1, Authorizer::Lambda(LambdaAuthorizer { ttl_secs: 30, ref function, .. }) if function == "Authz")
    );
}

#[test]
fn a_lambda_authorizer_without_payload_version_is_an_error() {
    let broken = SAM.replace("            AuthorizerPayloadFormatVersion: '2.0'\n", "");
    let error = load_err(&broken);
    assert!(
        error.contains("AuthorizerPayloadFormatVersion is required"),
        "{error}"
    );
    let v1_simple = SAM.replace(
        "AuthorizerPayloadFormatVersion: '2.0'",
        "AuthorizerPayloadFormatVersion: '1.0'",
    );
    assert!(load_err(&v1_simple).contains("simple responses need payload format version 2.0"));
}

#[test]
fn an_openapi_route_naming_an_unknown_scheme_keeps_the_name_so_it_fails_closed() {
    let model = load(&format!(
        "{}{POOL}",
        OPENAPI.replace("security: [{Lambda: []}]", "security: [{Missing: []}]")
    ));
    let api = &model.auth.apis["Api"];
    let post = api.route("POST", "/items").expect("route");
    assert_eq!(post.authorizer, RouteAuthorizer::Named("Missing".into()));
    assert!(!api.authorizers.contains_key("Missing"));
}

#[test]
fn a_child_stacks_auth_joins_the_parent_under_its_prefixed_names() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../cli/tests/fixtures/nested-auth/template.yaml");
    let model = crate::load(&file, &LoadOptions::default()).expect("nested fixture loads");
    let rest = &model.auth.apis["Child/RestApi"];
    assert_eq!(
        rest.route("GET", "/guarded").expect("guarded").authorizer,
        RouteAuthorizer::Named("TokenAuth".into())
    );
    assert!(rest.route("GET", "/keyed").expect("keyed").api_key_required);
    let Authorizer::Lambda(token) = &rest.authorizers["TokenAuth"] else {
        panic!("TokenAuth");
    };
    assert_eq!(token.function, "Child/AuthorizerFunction");
    let http = &model.auth.apis["Child/HttpApi"];
    assert_eq!(
        http.route("GET", "/jwt").expect("jwt").authorizer,
        RouteAuthorizer::Named("Jwt".into())
    );
    let pool = model.auth.user_pool("Child/UserPool").expect("child pool");
    let Authorizer::Jwt(jwt) = &http.authorizers["Jwt"] else {
        panic!("Jwt");
    };
    assert!(jwt.issuer.ends_with(&pool.pool_id), "{}", jwt.issuer);
    let plan = &model.auth.usage_plans[0];
    assert_eq!(plan.apis, vec!["Child/RestApi".to_owned()]);
    assert_eq!(plan.keys, vec!["Child/RestApiApiKey".to_owned()]);
    assert_eq!(model.auth.api_keys[0].logical_id, "Child/RestApiApiKey");
}

#[test]
fn a_sam_jwt_configuration_accepts_the_cloudformation_key_spelling() {
    // SAM lowercases JwtConfiguration's keys, so `Issuer`/`Audience` mean `issuer`/`audience`.
    let model = load(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Jwt
        Authorizers:
          Jwt:
            JwtConfiguration:
              Issuer: https://issuer.example.com
              Audience: [aud-1, aud-2]
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      Events:
        Read: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /items, Method: get}}
",
    );
    let Authorizer::Jwt(jwt) = &model.auth.apis["Api"].authorizers["Jwt"] else {
        panic!("a JWT authorizer");
    };
    assert_eq!(jwt.issuer, "https://issuer.example.com");
    assert_eq!(jwt.audiences, ["aud-1", "aud-2"]);
}
