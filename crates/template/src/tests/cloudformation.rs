//! HTTP APIs, Function URLs and functions written as raw CloudFormation (as CDK synthesizes them)
//! load to the same model as their SAM equivalents.

use super::load;
use crate::{Code, FunctionUrlAuth, PayloadFormat};

const CDK_STYLE: &str = "Resources:
  Role:
    Type: AWS::IAM::Role
    Properties: {AssumeRolePolicyDocument: {}}
  ItemsFn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: items
      Runtime: python3.12
      Handler: app.handler
      Code: ./src
      Role: !GetAtt Role.Arn
      Timeout: 10
      MemorySize: 256
      Environment:
        Variables: {TABLE: items}
  AssetFn:
    Type: AWS::Lambda::Function
    Metadata:
      aws:asset:path: asset.0123abcd
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      Code: {S3Bucket: cdk-assets, S3Key: 0123abcd.zip}
      Role: !GetAtt Role.Arn
  InlineFn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: 'def handler(e, c): return 1'}
      Role: !GetAtt Role.Arn
  Permission:
    Type: AWS::Lambda::Permission
    Properties: {Action: lambda:InvokeFunction, FunctionName: !Ref ItemsFn, Principal: apigateway.amazonaws.com}
  QuickApi:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: quick
      ProtocolType: HTTP
      Target: !GetAtt ItemsFn.Arn
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: full, ProtocolType: HTTP, CorsConfiguration: {AllowOrigins: ['*']}}
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${ItemsFn.Arn}/invocations
      PayloadFormatVersion: '1.0'
  GetItem:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: GET /items/{id}
      Target: !Join [/, [integrations, !Ref Integration]]
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: {ApiId: !Ref Api, StageName: prod, AutoDeploy: true, StageVariables: {v: '1'}}
  Url:
    Type: AWS::Lambda::Url
    Properties: {TargetFunctionArn: !GetAtt InlineFn.Arn, AuthType: AWS_IAM}
";

#[test]
fn cdk_style_functions_apis_and_urls() {
    let model = load(CDK_STYLE);
    assert!(model.warnings.is_empty(), "{:?}", model.warnings);

    let items = model.function("ItemsFn").expect("ItemsFn");
    assert_eq!(items.name, "items");
    assert_eq!(items.code, Code::Dir("/app/src".into()));
    assert_eq!((items.timeout_secs, items.memory_mb), (10, 256));
    assert_eq!(items.environment["TABLE"], "items");
    let asset = model.function("AssetFn").expect("AssetFn");
    assert_eq!(asset.code, Code::Dir("/app/asset.0123abcd".into()));
    let inline = model.function("InlineFn").expect("InlineFn");
    assert_eq!(
        inline.code,
        Code::Inline("def handler(e, c): return 1".into())
    );

    let quick = &model.http_apis[0];
    assert_eq!(quick.logical_id, "QuickApi");
    assert_eq!(quick.stage_name, "$default");
    assert_eq!(quick.routes.len(), 1);
    assert_eq!(quick.routes[0].route_key(), "$default");
    assert_eq!(quick.routes[0].function, "ItemsFn");

    let api = &model.http_apis[1];
    assert_eq!(api.stage_name, "prod");
    assert_eq!(api.stage_variables["v"], "1");
    assert_eq!(
        api.cors.as_ref().map(|c| c.allow_origins.clone()),
        Some(vec!["*".to_owned()])
    );
    assert_eq!(api.routes.len(), 1);
    let route = &api.routes[0];
    assert_eq!(route.route_key(), "GET /items/{id}");
    assert_eq!(route.function, "ItemsFn");
    assert_eq!(route.payload_format, PayloadFormat::V1);

    assert_eq!(model.function_urls.len(), 1);
    assert_eq!(model.function_urls[0].function, "InlineFn");
    assert_eq!(model.function_urls[0].auth, FunctionUrlAuth::AwsIam);
}

#[test]
fn an_openapi_import_without_protocol_type_is_an_http_api() {
    let model = load(
        r#"Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: app.handler, Code: ./src}
  Imported:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Body:
        openapi: "3.0"
        info: {title: imported}
        paths:
          /items:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                payloadFormatVersion: "2.0"
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
"#,
    );
    assert_eq!(model.http_apis.len(), 1);
    let routes = &model.http_apis[0].routes;
    assert_eq!(routes.len(), 1);
    assert_eq!(routes[0].route_key(), "GET /items");
    assert_eq!(routes[0].function, "Fn");
}

#[test]
fn quick_create_matches_the_sam_default_route() {
    let sam = load(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  ItemsFn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Events:
        All: {Type: HttpApi}
",
    );
    let cfn = load(CDK_STYLE);
    let strip = |r: &crate::HttpRoute| {
        (
            r.method.clone(),
            r.path.clone(),
            r.function.clone(),
            r.payload_format,
        )
    };
    assert_eq!(
        sam.http_apis[0]
            .routes
            .iter()
            .map(strip)
            .collect::<Vec<_>>(),
        cfn.http_apis[0]
            .routes
            .iter()
            .map(strip)
            .collect::<Vec<_>>()
    );
}

#[test]
fn raw_rest_api_matches_the_sam_routes() {
    let cfn = load(
        "Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: app.handler, Code: ./src}
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: items, BinaryMediaTypes: ['image~1png']}
  Items:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: items}
  Item:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !Ref Items, PathPart: '{id}'}
  ListItems:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Items
      HttpMethod: GET
      AuthorizationType: NONE
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
  AnyItem:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Item
      HttpMethod: ANY
      Integration: {Type: AWS_PROXY, IntegrationHttpMethod: POST, Uri: !Sub 'arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations'}
  RootGet:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: GET
      Integration: {Type: AWS_PROXY, Uri: !Sub 'arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations'}
  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties: {RestApiId: !Ref Api}
  Stage:
    Type: AWS::ApiGateway::Stage
    Properties: {RestApiId: !Ref Api, DeploymentId: !Ref Deployment, StageName: v1, Variables: {env: dev}}
",
    );
    assert!(cfn.warnings.is_empty(), "{:?}", cfn.warnings);
    let api = &cfn.rest_apis[0];
    assert_eq!(api.logical_id, "Api");
    assert_eq!(api.stage_name, "v1");
    assert_eq!(api.stage_variables["env"], "dev");
    assert_eq!(api.binary_media_types, vec!["image/png".to_owned()]);
    let routes: Vec<(&str, &str, &str)> = api
        .routes
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str(), r.function.as_str()))
        .collect();
    assert_eq!(
        routes,
        vec![
            ("GET", "/items", "Fn"),
            ("ANY", "/items/{id}", "Fn"),
            ("GET", "/", "Fn")
        ]
    );
}

#[test]
fn a_deployments_stage_description_gives_the_stage_its_variables() {
    // CloudFormation, `AWS::ApiGateway::Deployment` StageDescription: "Variables: A map that
    // defines the stage variables for the Stage resource that is associated with the new
    // deployment".
    let cfn = load(
        "Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: app.handler, Code: ./src}
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: items}
  RootGet:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: GET
      Integration: {Type: AWS_PROXY, Uri: !Sub 'arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations'}
  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties:
      RestApiId: !Ref Api
      StageName: prod
      StageDescription:
        Variables: {env: prod, table: !Sub '${AWS::StackName}-items'}
",
    );
    let api = &cfn.rest_apis[0];
    assert_eq!(api.stage_name, "prod");
    assert_eq!(api.stage_variables.len(), 2, "{:?}", api.stage_variables);
    assert_eq!(api.stage_variables["env"], "prod");
    assert!(api.stage_variables["table"].ends_with("-items"));
}

#[test]
fn an_api_with_an_openapi_body_is_an_http_api_without_protocol_type() {
    // CloudFormation: ProtocolType is required unless Body imports an (HTTP) API definition.
    let model = load(
        "Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: app.handler, Code: ./src}
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Body:
        openapi: 3.0.1
        info: {title: imported, version: '1.0'}
        paths:
          /items:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                payloadFormatVersion: '2.0'
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
        x-amazon-apigateway-cors:
          allowOrigins: [https://example.com]
          allowMethods: [GET]
",
    );
    assert!(model.warnings.is_empty(), "{:?}", model.warnings);
    assert_eq!(model.http_apis.len(), 1);
    let api = &model.http_apis[0];
    assert_eq!(api.routes.len(), 1);
    assert_eq!(api.routes[0].route_key(), "GET /items");
    assert_eq!(api.routes[0].function, "Fn");
    assert_eq!(
        api.cors.as_ref().map(|c| c.allow_origins.clone()),
        Some(vec!["https://example.com".to_owned()])
    );
}

#[test]
fn rest_operation_names_come_from_the_method_and_from_operation_id() {
    let model = load(
        "Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: app.handler, Code: ./src}
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Body:
        swagger: '2.0'
        info: {title: api}
        paths:
          /documented:
            get:
              operationId: ListDocumented
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
  Other:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: other}
  Items:
    Type: AWS::ApiGateway::Resource
    Properties: {ParentId: !GetAtt Other.RootResourceId, PathPart: items, RestApiId: !Ref Other}
  GetItems:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Other
      ResourceId: !Ref Items
      HttpMethod: GET
      AuthorizationType: NONE
      OperationName: ListItems
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
",
    );
    let operation = |path: &str| {
        model
            .rest_apis
            .iter()
            .flat_map(|api| api.routes.iter())
            .find(|r| r.path == path)
            .map(|r| r.operation_name.clone())
    };
    assert_eq!(
        operation("/documented"),
        Some(Some("ListDocumented".into()))
    );
    assert_eq!(operation("/items"), Some(Some("ListItems".into())));
}

#[test]
fn a_method_calling_a_function_outside_the_template_answers_500_not_a_load_error() {
    // A deployed function of another stack: CloudFormation creates the method and API Gateway
    // answers 500 when it cannot invoke the function.
    let model = load(
        "Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: api}
  Items:
    Type: AWS::ApiGateway::Resource
    Properties: {ParentId: !GetAtt Api.RootResourceId, PathPart: items, RestApiId: !Ref Api}
  GetItems:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Items
      HttpMethod: GET
      AuthorizationType: NONE
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/arn:aws:lambda:${AWS::Region}:123456789012:function:Elsewhere/invocations
",
    );
    let warning = model
        .warnings
        .iter()
        .find(|w| w.contains("function Elsewhere, which this template does not define"))
        .unwrap_or_else(|| panic!("{:?}", model.warnings));
    assert!(
        warning.contains("GetItems.Properties.Integration.Uri"),
        "{warning}"
    );
    let route = &model.rest_apis[0].routes[0];
    assert_eq!(
        (route.method.as_str(), route.path.as_str()),
        ("GET", "/items")
    );
    assert!(matches!(
        &route.integration,
        crate::Integration::Unsupported { kind } if kind.contains("Elsewhere")
    ));
}

#[test]
fn a_lambda_proxy_integrated_with_get_is_served_as_the_500_aws_answers() {
    // AWS: CloudFormation creates the method, and every request fails, since Lambda's Invoke
    // action takes POST (LocalStack's AWS-validated
    // `test_lambda_aws_proxy_integration_non_post_method`).
    let model = load(
        "Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Handler: app.handler, Runtime: python3.12, Code: {ZipFile: x}, Role: arn:aws:iam::123456789012:role/r}
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: api}
  Items:
    Type: AWS::ApiGateway::Resource
    Properties: {ParentId: !GetAtt Api.RootResourceId, PathPart: items, RestApiId: !Ref Api}
  GetItems:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Items
      HttpMethod: GET
      AuthorizationType: NONE
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: get
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
",
    );
    let warning = model
        .warnings
        .iter()
        .find(|w| w.contains("GET cannot invoke a Lambda function"))
        .unwrap_or_else(|| panic!("{:?}", model.warnings));
    assert!(
        warning.contains("GetItems.Properties.Integration.IntegrationHttpMethod"),
        "{warning}"
    );
    let route = &model.rest_apis[0].routes[0];
    assert_eq!(route.function, "Fn");
    assert_eq!(
        route.integration,
        crate::Integration::LambdaProxyNotPost {
            method: "GET".into()
        }
    );
}

#[test]
fn raw_resources_keep_api_gateways_tree_rules() {
    // LocalStack's AWS-validated `test_create_proxy_resource_validation`: a variable sibling of
    // `{proxy+}`, and any child of it, are refused when the resource is created.
    let api = "Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: api}
  Proxy:
    Type: AWS::ApiGateway::Resource
    Properties: {ParentId: !GetAtt Api.RootResourceId, PathPart: '{proxy+}', RestApiId: !Ref Api}
";
    let err = super::load_err(&format!(
        "{api}  Dynamic:
    Type: AWS::ApiGateway::Resource
    Properties: {{ParentId: !GetAtt Api.RootResourceId, PathPart: '{{dynamic}}', RestApiId: !Ref Api}}
"
    ));
    assert!(
        err.contains(":10:")
            && err.contains("Resources.Dynamic.Properties.PathPart")
            && err.contains(
                "A sibling ({proxy+}) of this resource already has a variable path part -- only one is allowed"
            ),
        "{err}"
    );
    let err = super::load_err(&format!(
        "{api}  Child:
    Type: AWS::ApiGateway::Resource
    Properties: {{ParentId: !Ref Proxy, PathPart: child, RestApiId: !Ref Api}}
"
    ));
    assert!(
        err.contains(":10:")
            && err.contains("Resources.Child.Properties.PathPart")
            && err.contains(
                "Cannot create a child of a resource with a greedy path variable: {proxy+}"
            ),
        "{err}"
    );
    // A literal sibling, and a greedy child of a literal, are fine.
    let model = load(&format!(
        "{api}  Parent:
    Type: AWS::ApiGateway::Resource
    Properties: {{ParentId: !GetAtt Api.RootResourceId, PathPart: parent, RestApiId: !Ref Api}}
  Greedy:
    Type: AWS::ApiGateway::Resource
    Properties: {{ParentId: !Ref Parent, PathPart: '{{child+}}', RestApiId: !Ref Api}}
"
    ));
    assert_eq!(model.rest_apis.len(), 1);
}

#[test]
fn raw_http_api_integrations_sluice_cannot_run_keep_their_routes() {
    // AWS serves each route through its integration; Sluice keeps the routes and answers 500
    // (but for the HTTP endpoint, which it calls).
    let model = load(
        "Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: api, ProtocolType: HTTP}
  Queue:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationSubtype: SQS-SendMessage
      PayloadFormatVersion: '1.0'
      RequestParameters: {QueueUrl: https://sqs.us-east-1.amazonaws.com/123456789012/q, MessageBody: $request.body}
  Site:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: HTTP_PROXY
      IntegrationMethod: ANY
      IntegrationUri: https://example.com
      PayloadFormatVersion: '1.0'
  Elsewhere:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: arn:aws:lambda:us-east-1:123456789012:function:Elsewhere
      PayloadFormatVersion: '2.0'
  Send:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: POST /send, Target: !Sub 'integrations/${Queue}'}
  Pages:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: GET /site, Target: !Sub 'integrations/${Site}'}
  Other:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: GET /other, Target: !Sub 'integrations/${Elsewhere}'}
",
    );
    let routes: Vec<(String, crate::HttpIntegration)> = model.http_apis[0]
        .routes
        .iter()
        .map(|r| (r.route_key(), r.integration.clone()))
        .collect();
    let not_emulated = |kind: &str| crate::HttpIntegration::NotEmulated { kind: kind.into() };
    assert_eq!(
        routes,
        vec![
            ("POST /send".into(), not_emulated("SQS-SendMessage")),
            (
                "GET /site".into(),
                crate::HttpIntegration::HttpProxy(crate::HttpProxy {
                    method: "ANY".into(),
                    uri: "https://example.com".into(),
                    request_parameters: Default::default(),
                })
            ),
            (
                "GET /other".into(),
                not_emulated("Lambda (function Elsewhere, outside the template)")
            ),
        ]
    );
    for id in ["Queue", "Elsewhere"] {
        assert!(
            model
                .warnings
                .iter()
                .any(|w| w.starts_with(&format!("Resources.{id}: "))
                    && w.contains("its routes answer 500 Internal Server Error")),
            "{id}: {:?}",
            model.warnings
        );
    }
}

#[test]
fn a_rest_api_body_brings_its_binary_media_types() {
    // Importing a definition reads x-amazon-apigateway-binary-media-types into the API's
    // binaryMediaTypes, beside those of the BinaryMediaTypes property.
    let model = load(
        "Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      BinaryMediaTypes: ['image~1png']
      Body:
        swagger: '2.0'
        info: {title: api}
        paths: {}
        x-amazon-apigateway-binary-media-types: [image/gif]
",
    );
    assert_eq!(
        model.rest_apis[0].binary_media_types,
        vec!["image/png".to_owned(), "image/gif".to_owned()]
    );
}

#[test]
fn a_method_whose_integration_response_transfer_mode_is_stream_streams() {
    let model = load(
        "Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: nodejs20.x, Handler: index.handler, CodeUri: .}
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: api}
  Chat:
    Type: AWS::ApiGateway::Resource
    Properties: {ParentId: !GetAtt Api.RootResourceId, PathPart: chat, RestApiId: !Ref Api}
  PostChat:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Chat
      HttpMethod: POST
      AuthorizationType: NONE
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        ResponseTransferMode: STREAM
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2021-11-15/functions/${Fn.Arn}/response-streaming-invocations
",
    );
    let route = &model.rest_apis[0].routes[0];
    assert_eq!(route.function, "Fn");
    assert!(route.streams);
}

#[test]
fn a_method_keeps_its_integration_timeout() {
    let model = load(
        "Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: nodejs20.x, Handler: index.handler, CodeUri: .}
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: api}
  Slow:
    Type: AWS::ApiGateway::Resource
    Properties: {ParentId: !GetAtt Api.RootResourceId, PathPart: slow, RestApiId: !Ref Api}
  GetSlow:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Slow
      HttpMethod: GET
      AuthorizationType: NONE
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        TimeoutInMillis: 750
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
  PostSlow:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Slow
      HttpMethod: POST
      AuthorizationType: NONE
      Integration:
        Type: MOCK
        TimeoutInMillis: 60
        RequestTemplates: {application/json: '{\"statusCode\": 200}'}
",
    );
    let timeout_of = |method: &str| {
        model.rest_apis[0]
            .routes
            .iter()
            .find(|r| r.method == method)
            .map(|r| r.timeout_ms)
    };
    assert_eq!(timeout_of("GET"), Some(Some(750)));
    assert_eq!(timeout_of("POST"), Some(Some(60)));
}

/// An `AWS::ApiGatewayV2::Integration`'s `TimeoutInMillis` is kept within 50..=30000; API Gateway
/// refuses anything else, so Sluice does too (it used to clamp silently).
#[test]
fn an_http_api_integration_timeout_outside_api_gateways_bounds_is_refused() {
    let template = |ms: &str| {
        CDK_STYLE.replace(
            "      PayloadFormatVersion: '1.0'\n",
            &format!("      PayloadFormatVersion: '1.0'\n      TimeoutInMillis: {ms}\n"),
        )
    };
    let timeout = |yaml: &str| load(yaml).http_apis[1].routes[0].timeout_ms;
    assert_eq!(timeout(CDK_STYLE), 30_000);
    assert_eq!(timeout(&template("1200")), 1200);
    let err = super::load_err(&template("45000"));
    assert!(
        err.contains("Resources.Integration.Properties.TimeoutInMillis: \"45000\" is not an integration timeout between 50 and 30000 ms; API Gateway refuses it"),
        "{err}"
    );
    assert!(super::load_err(&template("10")).contains("between 50 and 30000"));
}

/// AWS: an HTTP API route key is `METHOD /path` or `$default`; CreateRoute refuses anything else,
/// so a raw route's key is refused at its line instead of being served as `$default` (it was).
#[test]
fn a_raw_route_key_api_gateway_refuses_is_a_template_error_at_its_line() {
    let with_key =
        |key: &str| CDK_STYLE.replace("RouteKey: GET /items/{id}", &format!("RouteKey: {key}"));
    assert_eq!(
        super::load_err(&with_key("foo")),
        "/app/template.yaml:56:17: Resources.GetItem.Properties.RouteKey: \"foo\" is not a route key \
         (expected \"METHOD /path\" or $default)\n  hint: write a method, one space and the path, \
         e.g. GET /items (ANY for every method), or $default"
    );
    let websocket = super::load_err(&with_key("$connect"));
    assert!(
        websocket.starts_with(
            "/app/template.yaml:56:17: Resources.GetItem.Properties.RouteKey: \"$connect\" is a WebSocket route key"
        ),
        "{websocket}"
    );
    assert!(super::load_err(&with_key("$disconnect")).contains("WebSocket route key"));
    let method = super::load_err(&with_key("FETCH /items"));
    assert!(
        method.contains("RouteKey: \"FETCH\" is not an HTTP method (expected one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY)"),
        "{method}"
    );
    let path = super::load_err(&with_key("GET items"));
    assert!(
        path.contains(
            "RouteKey: invalid path \"items\" in the route key: a path must start with `/`"
        ),
        "{path}"
    );
    // Quick create's `RouteKey` follows the same rules, at its own line.
    let quick = CDK_STYLE.replace(
        "      Target: !GetAtt ItemsFn.Arn\n",
        "      Target: !GetAtt ItemsFn.Arn\n      RouteKey: foo\n",
    );
    assert!(
        super::load_err(&quick).starts_with(
            "/app/template.yaml:42:17: Resources.QuickApi.Properties.RouteKey: \"foo\" is not a route key"
        ),
        "{}",
        super::load_err(&quick)
    );
    // What AWS accepts still loads.
    let any = load(&with_key("ANY /{proxy+}"));
    assert_eq!(any.http_apis[1].routes[0].route_key(), "ANY /{proxy+}");
    // (`$default` is QuickApi's route already; `route_key::tests` covers it.)
}
