//! HTTP APIs, `HttpApi` events and Function URLs.

use super::{load, load_err};
use crate::{Cors, FunctionUrlAuth, HttpRoute, InvokeMode, PayloadFormat};

const TEMPLATE: &str = "Transform: AWS::Serverless-2016-10-31
Globals:
  HttpApi:
    StageVariables:
      table: items
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      StageName: v1
      CorsConfiguration:
        AllowOrigins: [https://app.example.com]
        AllowMethods: [GET, POST]
        AllowHeaders: [authorization, content-type]
        MaxAge: 600
        AllowCredentials: true
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      FunctionName: my-fn
      FunctionUrlConfig:
        AuthType: NONE
        Cors:
          AllowOrigins: ['*']
      Events:
        Implicit:
          Type: HttpApi
        Get:
          Type: HttpApi
          Properties:
            ApiId: !Ref Api
            Path: /items/{id}
            Method: get
            PayloadFormatVersion: '1.0'
            TimeoutInMillis: 5000
        Any:
          Type: HttpApi
          Properties:
            ApiId: !Ref Api
            Path: /files/{proxy+}
            Method: ANY
";

fn route(method: &str, path: &str, event: &str) -> HttpRoute {
    HttpRoute {
        method: method.into(),
        path: path.into(),
        function: "Fn".into(),
        integration: Default::default(),
        event_name: event.into(),
        payload_format: PayloadFormat::V2,
        timeout_ms: 30_000,
        parameter_mapping: Default::default(),
        qualifier: None,
    }
}

#[test]
fn explicit_and_implicit_http_apis_with_their_routes() {
    let model = load(TEMPLATE);
    assert!(model.warnings.is_empty(), "{:?}", model.warnings);
    assert!(model.rest_apis.is_empty());
    assert_eq!(model.http_apis.len(), 2);
    let api = &model.http_apis[0];
    assert_eq!(api.logical_id, "Api");
    assert_eq!(api.stage_name, "v1");
    assert_eq!(api.stage_variables["table"], "items");
    assert_eq!(
        api.cors,
        Some(Cors {
            allow_origins: vec!["https://app.example.com".into()],
            allow_methods: vec!["GET".into(), "POST".into()],
            allow_headers: vec!["authorization".into(), "content-type".into()],
            expose_headers: vec![],
            max_age: Some(600),
            allow_credentials: true,
        })
    );
    let get = HttpRoute {
        payload_format: PayloadFormat::V1,
        timeout_ms: 5000,
        ..route("GET", "/items/{id}", "Get")
    };
    assert_eq!(
        api.routes,
        vec![get, route("ANY", "/files/{proxy+}", "Any")]
    );
    assert_eq!(api.routes[0].route_key(), "GET /items/{id}");

    let implicit = &model.http_apis[1];
    assert_eq!(implicit.logical_id, "ServerlessHttpApi");
    assert_eq!(implicit.stage_name, "$default");
    assert_eq!(implicit.routes, vec![route("ANY", "$default", "Implicit")]);
    assert_eq!(implicit.routes[0].route_key(), "$default");
    assert_eq!(implicit.cors, None);
}

#[test]
fn function_url_config() {
    let model = load(TEMPLATE);
    assert_eq!(model.function_urls.len(), 1);
    let url = &model.function_urls[0];
    assert_eq!(
        (url.function.as_str(), url.function_name.as_str()),
        ("Fn", "my-fn")
    );
    assert_eq!(url.auth, FunctionUrlAuth::None);
    assert_eq!(url.invoke_mode, InvokeMode::Buffered);
    assert_eq!(
        url.cors.as_ref().map(|c| c.allow_origins.clone()),
        Some(vec!["*".to_owned()])
    );
}

#[test]
fn cors_true_allows_everything() {
    let model = load(
        "Resources:\n  Api:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      CorsConfiguration: true\n",
    );
    let cors = model.http_apis[0].cors.clone().expect("cors");
    assert_eq!(cors.allow_origins, vec!["*".to_owned()]);
    assert_eq!(model.http_apis[0].stage_name, "$default");
}

#[test]
fn conflicting_routes_are_rejected_as_aws_does() {
    let err = load_err(
        "Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Events:
        A:
          Type: HttpApi
          Properties: {Path: '/a/{id}', Method: get}
        B:
          Type: HttpApi
          Properties: {Path: '/a/{name}', Method: get}
",
    );
    assert!(err.contains("Resources.F.Properties.Events.B"), "{err}");
    assert!(err.contains("GET /a/{name}"), "{err}");
    let err = load_err(
        "Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Events:
        A:
          Type: HttpApi
          Properties: {Path: '/a/{id}', Method: get}
        B:
          Type: HttpApi
          Properties: {Path: '/a/{name}/x', Method: post}
",
    );
    assert!(err.contains("Events.B.Properties.Path"), "{err}");
    assert!(err.contains("use {id} in both paths"), "{err}");
}

#[test]
fn bad_values_name_the_property() {
    let base = "Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
";
    for (extra, property) in [
        (
            "      Events:\n        E:\n          Type: HttpApi\n          Properties: {Path: /a, Method: get, PayloadFormatVersion: '3.0'}\n",
            "Events.E.Properties.PayloadFormatVersion",
        ),
        (
            "      Events:\n        E:\n          Type: HttpApi\n          Properties: {Path: /a, Method: get, TimeoutInMillis: 40000}\n",
            "Events.E.Properties.TimeoutInMillis",
        ),
        (
            "      Events:\n        E:\n          Type: HttpApi\n          Properties: {Path: /a, Method: get, ApiId: !Ref Nope}\n",
            "Events.E.Properties.ApiId",
        ),
        (
            "      FunctionUrlConfig: {AuthType: OPEN}\n",
            "FunctionUrlConfig.AuthType",
        ),
    ] {
        let err = load_err(&format!("{base}{extra}"));
        assert!(err.contains(property), "{property}: {err}");
    }
}

/// SAM (`ImplicitHttpApiPlugin._process_api_events`) makes an event with neither `Path` nor
/// `Method` the `$default` route, and refuses one with only one of them: "Event is missing key
/// 'Method'." (or 'Path'). Sluice refuses it too, naming the missing property.
#[test]
fn an_event_with_a_path_and_no_method_is_refused_as_sam_refuses_it() {
    let template = |properties: &str| {
        format!(
            "Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Events:
        E:
          Type: HttpApi
          Properties: {properties}
"
        )
    };
    assert_eq!(
        load_err(&template("{Path: /items}")),
        "/app/template.yaml:10:23: Resources.F.Properties.Events.E.Properties.Method: \
         Path is set but Method is not; SAM refuses the event\n  \
         hint: add e.g. Method: GET (ANY for every method), or drop Path for the $default route"
    );
    let err = load_err(&template("{Method: GET}"));
    assert!(
        err.contains(
            "Resources.F.Properties.Events.E.Properties.Path: Method is set but Path is not"
        ),
        "{err}"
    );
    // An empty Path is no Path, as SAM reads it.
    let err = load_err(&template("{Path: '', Method: GET}"));
    assert!(
        err.contains("Events.E.Properties.Path: Method is set"),
        "{err}"
    );
}

#[test]
fn iam_and_streaming_are_read() {
    let model = load(
        "Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      FunctionUrlConfig:
        AuthType: AWS_IAM
        InvokeMode: RESPONSE_STREAM
",
    );
    let url = &model.function_urls[0];
    assert_eq!(url.auth, FunctionUrlAuth::AwsIam);
    assert_eq!(url.invoke_mode, InvokeMode::ResponseStream);
    assert_eq!(url.function_name, "F");
}

/// SAM's `FunctionUrlConfig` of a function with `AutoPublishAlias` is the alias's URL
/// (`TargetFunctionArn: !Ref MyFunctionAliaslive` in SAM's translation); an `AWS::Lambda::Url` of
/// the plain function is the unqualified function's: two URLs, each with its own settings.
#[test]
fn an_alias_url_and_the_unqualified_url_of_one_function() {
    let model = load(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      AutoPublishAlias: live
      FunctionUrlConfig:
        AuthType: AWS_IAM
        InvokeMode: RESPONSE_STREAM
  PlainUrl:
    Type: AWS::Lambda::Url
    Properties:
      TargetFunctionArn: !Ref F
      AuthType: NONE
  QualifiedUrl:
    Type: AWS::Lambda::Url
    Properties:
      TargetFunctionArn: !GetAtt F.Arn
      Qualifier: beta
      AuthType: NONE
  ArnUrl:
    Type: AWS::Lambda::Url
    Properties:
      TargetFunctionArn: !Sub '${F.Arn}:gamma'
      AuthType: NONE
",
    );
    let urls: Vec<_> = model
        .function_urls
        .iter()
        .map(|u| (u.target(), u.qualifier.as_deref(), u.auth, u.invoke_mode))
        .collect();
    assert_eq!(
        urls,
        [
            (
                "F:live".to_owned(),
                Some("live"),
                FunctionUrlAuth::AwsIam,
                InvokeMode::ResponseStream
            ),
            (
                "F".to_owned(),
                None,
                FunctionUrlAuth::None,
                InvokeMode::Buffered
            ),
            (
                "F:beta".to_owned(),
                Some("beta"),
                FunctionUrlAuth::None,
                InvokeMode::Buffered
            ),
            (
                "F:gamma".to_owned(),
                Some("gamma"),
                FunctionUrlAuth::None,
                InvokeMode::Buffered
            ),
        ]
    );
}

#[test]
fn rest_cors_string_object_and_globals_forms() {
    let fn_with_event = "  F:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Events:
        E:
          Type: Api
          Properties: {Path: /x, Method: get}
";
    let model = load(&format!(
        "Globals:\n  Api:\n    Cors: \"'*'\"\nResources:\n{fn_with_event}"
    ));
    assert_eq!(
        model.rest_apis[0].cors,
        Some(Cors {
            allow_origins: vec!["*".into()],
            ..Cors::default()
        })
    );
    let model = load(&format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Cors:
        AllowOrigin: \"'https://app.example.com'\"
        AllowMethods: \"'GET, POST'\"
        AllowHeaders: \"'Content-Type,Authorization'\"
        MaxAge: \"'600'\"
        AllowCredentials: true
{fn_with_event}"
    ));
    assert!(model.warnings.is_empty(), "{:?}", model.warnings);
    assert_eq!(
        model.rest_apis[0].cors,
        Some(Cors {
            allow_origins: vec!["https://app.example.com".into()],
            // As written: SAM puts the values in the preflight's mock response verbatim.
            allow_methods: vec!["GET, POST".into()],
            allow_headers: vec!["Content-Type,Authorization".into()],
            expose_headers: vec![],
            max_age: Some(600),
            allow_credentials: true,
        })
    );
    let err = load_err(
        "Resources:\n  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: Prod\n      Cors: {AllowMethods: \"'GET'\"}\n",
    );
    assert!(err.contains("Cors.AllowOrigin"), "{err}");
}

/// An HTTP API document's `requestParameters` / `responseParameters` and an
/// `AWS::ApiGatewayV2::Integration`'s `RequestParameters` / `ResponseParameters` become the
/// route's parameter mapping; API Gateway's reserved headers and unknown keys are refused.
#[test]
fn an_http_api_integration_keeps_its_parameter_mapping() {
    use crate::{MapAction, MapTarget, MappingValue, ParameterMap, ResponseMapping, ValuePart};
    let document = |request: &str| {
        format!(
            "Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {{Runtime: python3.12, Handler: app.handler, CodeUri: .}}
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: 3.0.1
        paths:
          /pets/{{id}}:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                payloadFormatVersion: '2.0'
                uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Fn.Arn}}/invocations
                requestParameters:
                  {request}
                responseParameters:
                  '500':
                    overwrite:statuscode: '403'
                    append:header.x-stage: $stageVariables.env
"
        )
    };
    let model = load(&document("append:header.x-pet: pet-${request.path.id}"));
    assert!(model.warnings.is_empty(), "{:?}", model.warnings);
    let mapping = &model.http_apis[0].routes[0].parameter_mapping;
    assert_eq!(
        mapping.request,
        [ParameterMap {
            action: MapAction::Append,
            target: MapTarget::Header("x-pet".into()),
            value: MappingValue(vec![
                ValuePart::Text("pet-".into()),
                ValuePart::RequestPathParameter("id".into()),
            ]),
        }]
    );
    assert_eq!(
        mapping.response,
        [ResponseMapping {
            status: 500,
            maps: vec![
                ParameterMap {
                    action: MapAction::Overwrite,
                    target: MapTarget::StatusCode,
                    value: MappingValue(vec![ValuePart::Text("403".into())]),
                },
                ParameterMap {
                    action: MapAction::Append,
                    target: MapTarget::Header("x-stage".into()),
                    value: MappingValue(vec![ValuePart::StageVariable("env".into())]),
                },
            ],
        }]
    );
    let err = super::load_err(&document("overwrite:header.Authorization: x"));
    assert!(
        err.contains("requestParameters.overwrite:header.Authorization: authorization is a reserved header: API Gateway refuses a map of it"),
        "{err}"
    );
    assert!(
        super::load_err(&document("overwrite:header.x-amzn-trace: x")).contains("reserved header")
    );
    assert!(super::load_err(&document("rename:header.a: x"))
        .contains("\"rename\" is not a parameter mapping action; API Gateway refuses it"));
    assert!(
        super::load_err(&document("overwrite:header.a: $response.body.x"))
            .contains("$response.body.x is not a request source")
    );
    let path = load(&document("overwrite:path: /v2$request.path"));
    assert!(path.warnings.is_empty(), "{:?}", path.warnings);
    assert_eq!(
        path.http_apis[0].routes[0].parameter_mapping.request,
        [ParameterMap {
            action: MapAction::Overwrite,
            target: MapTarget::Path,
            value: MappingValue(vec![ValuePart::Text("/v2".into()), ValuePart::RequestPath,]),
        }]
    );
    // Only `overwrite` takes the path, and only on the request side.
    assert!(super::load_err(&document("append:path: /v2"))
        .contains("\"append:path\" is not a parameter mapping key; API Gateway refuses it"));

    let cloudformation = load(
        "Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: app.handler, Code: ., Role: arn:aws:iam::123456789012:role/r}
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
      RequestParameters:
        remove:querystring.debug: \"''\"
      ResponseParameters:
        '200':
          ResponseParameters:
            - Destination: overwrite:header.cache-control
              Source: no-store
  Route:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: GET /pets, Target: !Sub 'integrations/${Integration}'}
",
    );
    let mapping = &cloudformation.http_apis[0].routes[0].parameter_mapping;
    assert_eq!(mapping.request[0].action, MapAction::Remove);
    assert_eq!(
        mapping.request[0].target,
        MapTarget::QueryString("debug".into())
    );
    assert_eq!(mapping.response[0].status, 200);
    assert_eq!(
        mapping.response[0].maps[0].target,
        MapTarget::Header("cache-control".into())
    );
    assert_eq!(
        mapping.response[0].maps[0].value,
        MappingValue(vec![ValuePart::Text("no-store".into())])
    );
}
