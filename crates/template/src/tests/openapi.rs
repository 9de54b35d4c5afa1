//! APIs defined by OpenAPI (`DefinitionBody`, `DefinitionUri`) load to the same routes as their
//! SAM event equivalents.

use super::load;
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
fn a_rest_lambda_proxy_integrated_with_get_is_served_as_the_500_aws_answers() {
    // AWS imports the operation, and every request fails, since Lambda's Invoke action takes
    // POST (LocalStack's AWS-validated `test_lambda_aws_proxy_integration_non_post_method`);
    // `POST` in any case, or no `httpMethod`, is a working proxy.
    let model = load(&format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionBody:
        paths:
          /get:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: GET
                uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{ItemsFunction.Arn}}/invocations
          /post:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: post
                uri: !GetAtt ItemsFunction.Arn
          /unset:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: !GetAtt ItemsFunction.Arn
{FUNCTION}"
    ));
    let integration = |path: &str| {
        let routes = &model.rest_apis[0].routes;
        let route = routes.iter().find(|r| r.path == path).expect("route");
        (route.function.clone(), route.integration.clone())
    };
    assert_eq!(
        integration("/get"),
        (
            "ItemsFunction".into(),
            crate::Integration::LambdaProxyNotPost {
                method: "GET".into()
            }
        )
    );
    for path in ["/post", "/unset"] {
        assert_eq!(
            integration(path),
            ("ItemsFunction".into(), crate::Integration::LambdaProxy)
        );
    }
    assert_eq!(model.warnings.len(), 1, "{:?}", model.warnings);
    assert!(
        model.warnings[0].contains(
            "paths./get.get.x-amazon-apigateway-integration.httpMethod: GET cannot invoke a Lambda function"
        ),
        "{:?}",
        model.warnings
    );
}

#[test]
fn a_rest_document_giving_a_resource_two_variable_children_is_refused() {
    // AWS's import refuses it: "A sibling ({proxy+}) of this resource already has a variable path
    // part -- only one is allowed" (LocalStack's AWS-validated
    // `test_create_proxy_resource_validation`), whatever the names or methods.
    for (first, second) in [("/{proxy+}", "/{dynamic}"), ("/a/{id}", "/a/{name}/x")] {
        let err = super::load_err(&format!(
            "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionBody:
        paths:
          '{first}':
            get:
              x-amazon-apigateway-integration: {{type: mock}}
          '{second}':
            post:
              x-amazon-apigateway-integration: {{type: mock}}
"
        ));
        let theirs = first.rsplit('/').next().unwrap_or_default();
        assert!(
            err.contains(":14:")
                && err.contains(&format!("DefinitionBody.paths.{second}.post"))
                && err.contains(&format!(
                    "A sibling ({theirs}) of this resource already has a variable path part"
                )),
            "{err}"
        );
    }
}

#[test]
fn an_integration_naming_a_function_outside_the_template_is_reported_at_its_place() {
    // A deployed function of another stack: API Gateway imports the route and answers 500.
    for (kind, api) in [
        ("REST", "Api\n    Properties:\n      StageName: Prod"),
        ("HTTP", "HttpApi\n    Properties:"),
    ] {
        let model = load(&format!(
            "Resources:
  Api:
    Type: AWS::Serverless::{api}
      DefinitionBody:
        paths:
          /x:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: arn:aws:lambda:us-east-1:123456789012:function:Nope
{FUNCTION}"
        ));
        let warning = model
            .warnings
            .iter()
            .find(|w| w.contains("function Nope, which this template does not define"))
            .unwrap_or_else(|| panic!("{kind}: {:?}", model.warnings));
        assert!(
            warning.contains("DefinitionBody.paths./x.get.x-amazon-apigateway-integration.uri"),
            "{warning}"
        );
        if kind == "REST" {
            let route = &model.rest_apis[0].routes[0];
            assert!(matches!(
                &route.integration,
                crate::Integration::Unsupported { kind } if kind.contains("Nope")
            ));
        } else {
            let route = &model.http_apis[0].routes[0];
            assert_eq!(route.route_key(), "GET /x");
            assert!(matches!(
                &route.integration,
                crate::HttpIntegration::NotEmulated { kind } if kind.contains("Nope")
            ));
        }
    }
}

#[test]
fn http_api_routes_with_integrations_sluice_cannot_run_are_served_as_500s() {
    // AWS: the route exists and its integration serves it (an AWS service); Sluice keeps the
    // route (CORS and authorizers apply) and answers 500. Its HTTP backend Sluice calls.
    let model = load(&format!(
        "Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: '3.0.1'
        paths:
          /events:
            post:
              x-amazon-apigateway-integration:
                type: aws_proxy
                integrationSubtype: EventBridge-PutEvents
                credentials: arn:aws:iam::123456789012:role/api
                requestParameters:
                  Detail: $request.body.Detail
                payloadFormatVersion: '1.0'
          /proxied/{{proxy+}}:
            x-amazon-apigateway-any-method:
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: ANY
                uri: https://example.com/{{proxy}}
                payloadFormatVersion: '1.0'
          /items:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: !GetAtt ItemsFunction.Arn
                payloadFormatVersion: '2.0'
{FUNCTION}"
    ));
    let routes: Vec<(String, crate::HttpIntegration)> = model.http_apis[0]
        .routes
        .iter()
        .map(|r| (r.route_key(), r.integration.clone()))
        .collect();
    let not_emulated = |kind: &str| crate::HttpIntegration::NotEmulated { kind: kind.into() };
    assert_eq!(
        routes,
        vec![
            ("POST /events".into(), not_emulated("EventBridge-PutEvents")),
            (
                "ANY /proxied/{proxy+}".into(),
                crate::HttpIntegration::HttpProxy(crate::HttpProxy {
                    method: "ANY".into(),
                    uri: "https://example.com/{proxy}".into(),
                    request_parameters: Default::default(),
                })
            ),
            ("GET /items".into(), crate::HttpIntegration::Lambda),
        ]
    );
    assert!(
        !model.warnings.iter().any(|w| w.contains("HTTP_PROXY")),
        "{:?}",
        model.warnings
    );
    assert!(
        model
            .warnings
            .iter()
            .any(|w| w.contains("paths./events.post")
                && w.contains("EventBridge-PutEvents")
                && w.contains("answers 500 Internal Server Error")),
        "{:?}",
        model.warnings
    );
}

/// A REST API with its own document, and `Api` events on it: one on a documented route, one not.
fn rest_with_document_and_events(merge: &str) -> String {
    format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
{merge}      DefinitionBody:
        swagger: '2.0'
        paths:
          /items/{{id}}:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{DocFunction.Arn}}/invocations
          /items:
            post:
              responses: {{}}
  DocFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
{FUNCTION}      Events:
        Get: {{Type: Api, Properties: {{RestApiId: !Ref Api, Path: '/items/{{itemId}}', Method: get}}}}
        Post: {{Type: Api, Properties: {{RestApiId: !Ref Api, Path: /items, Method: post}}}}
"
    )
}

fn rest_routes(model: &crate::Model) -> Vec<(String, String, String)> {
    let mut routes: Vec<_> = model.rest_apis[0]
        .routes
        .iter()
        .map(|r| (r.method.clone(), r.path.clone(), r.function.clone()))
        .collect();
    routes.sort();
    routes
}

#[test]
fn api_events_add_no_route_to_a_rest_apis_own_document() {
    // SAM (push.py): an `Api` event edits the definition only when SAM generated it or
    // MergeDefinitions is set; otherwise it adds just the invoke permission.
    let model = load(&rest_with_document_and_events(""));
    assert_eq!(
        rest_routes(&model),
        vec![("GET".into(), "/items/{id}".into(), "DocFunction".into())]
    );
    let missing: Vec<_> = model
        .warnings
        .iter()
        .filter(|w| w.contains("403 Missing Authentication Token"))
        .collect();
    assert_eq!(missing.len(), 1, "{:?}", model.warnings);
    assert!(missing[0].contains("event `Post` of `ItemsFunction`: POST /items"));
    assert!(
        model
            .warnings
            .iter()
            .any(|w| w
                .contains("DefinitionBody.paths./items.post: no x-amazon-apigateway-integration")),
        "{:?}",
        model.warnings
    );
}

#[test]
fn with_merge_definitions_api_events_override_and_extend_the_document() {
    let model = load(&rest_with_document_and_events(
        "      MergeDefinitions: true\n",
    ));
    assert_eq!(
        rest_routes(&model),
        vec![
            (
                "GET".into(),
                "/items/{itemId}".into(),
                "ItemsFunction".into()
            ),
            ("POST".into(), "/items".into(), "ItemsFunction".into()),
        ]
    );
    assert!(model.warnings.is_empty(), "{:?}", model.warnings);
}

#[test]
fn an_http_api_document_keeps_its_integrations_and_events_fill_the_missing_ones() {
    // SAM (HttpApi push): an event adds its integration where the document has none, and a
    // documented integration stays, whichever comes first in the template.
    for functions_first in [false, true] {
        let api = "  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: '3.0.1'
        paths:
          /items:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: !GetAtt DocFunction.Arn
                payloadFormatVersion: '2.0'
            post:
              responses: {}
          /bare:
            get:
              responses: {}
";
        let functions = format!(
            "  DocFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
{FUNCTION}      Events:
        Get: {{Type: HttpApi, Properties: {{ApiId: !Ref Api, Path: /items, Method: get}}}}
        Post: {{Type: HttpApi, Properties: {{ApiId: !Ref Api, Path: /items, Method: post}}}}
"
        );
        let body = if functions_first {
            format!("{functions}{api}")
        } else {
            format!("{api}{functions}")
        };
        let model = load(&format!(
            "Transform: AWS::Serverless-2016-10-31\nResources:\n{body}"
        ));
        let routes: Vec<_> = http_routes(&model)
            .into_iter()
            .map(|(method, path, function, _)| (method, path, function))
            .collect();
        assert_eq!(
            routes,
            vec![
                ("GET".into(), "/items".into(), "DocFunction".into()),
                ("POST".into(), "/items".into(), "ItemsFunction".into()),
            ]
        );
        // Only the operation no event supplies is reported unserved.
        let unserved: Vec<_> = model
            .warnings
            .iter()
            .filter(|w| w.contains("no x-amazon-apigateway-integration"))
            .collect();
        assert_eq!(unserved.len(), 1, "{:?}", model.warnings);
        assert!(unserved[0].contains("paths./bare.get"), "{unserved:?}");
    }
}

#[test]
fn aws_include_brings_a_definition_from_its_file() {
    let dir = std::env::temp_dir().join(format!("sluice-include-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("api")).expect("temp dir");
    std::fs::write(
        dir.join("api/openapi.yaml"),
        "openapi: '3.0.1'
paths:
  /items:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${ItemsFunction.Arn}/invocations
",
    )
    .expect("write openapi");
    // Beside other keys, an included mapping merges in: here Globals' Function settings.
    std::fs::write(dir.join("globals.yaml"), "Timeout: 9\nMemorySize: 512\n").expect("write");
    let template = dir.join("template.yaml");
    let write = |location: &str| {
        std::fs::write(
            &template,
            format!(
                "Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    MemorySize: 256
    Fn::Transform: {{Name: AWS::Include, Parameters: {{Location: globals.yaml}}}}
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionBody:
        Fn::Transform:
          Name: AWS::Include
          Parameters:
            Location: {location}
{FUNCTION}"
            ),
        )
        .expect("write template");
    };
    write("api/openapi.yaml");
    let model = crate::load(&template, &LoadOptions::default()).expect("loads");
    assert!(model.warnings.is_empty(), "{:?}", model.warnings);
    let routes: Vec<_> = model.rest_apis[0]
        .routes
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str(), r.function.as_str()))
        .collect();
    assert_eq!(routes, vec![("GET", "/items", "ItemsFunction")]);
    // The template's own key wins over the included one.
    assert_eq!(model.functions[0].memory_mb, 256);
    assert_eq!(model.functions[0].timeout_secs, 9);

    write("s3://bucket/openapi.yaml");
    let model = crate::load(&template, &LoadOptions::default()).expect("loads");
    assert!(model.rest_apis[0].routes.is_empty());
    assert!(
        model.warnings.iter().any(|w| w
            .contains("DefinitionBody.Fn::Transform.Parameters.Location: s3://bucket/openapi.yaml is not read locally")),
        "{:?}",
        model.warnings
    );

    write("missing.yaml");
    let err = crate::load(&template, &LoadOptions::default())
        .expect_err("a missing include")
        .to_string();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(err.contains("template.yaml:15:"), "{err}");
    assert!(err.contains("cannot read"), "{err}");
}

#[test]
fn an_http_api_service_integration_is_reported_not_a_load_error() {
    let model = load(&format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: '3.0.1'
        paths:
          /:
            post:
              x-amazon-apigateway-integration:
                integrationSubtype: EventBridge-PutEvents
                credentials: arn:aws:iam::123456789012:role/apigw
                requestParameters: {{Detail: $request.body.Detail}}
                payloadFormatVersion: '1.0'
                type: aws_proxy
                connectionType: INTERNET
{FUNCTION}"
    ));
    // AWS serves the route through EventBridge; Sluice keeps it, answering 500.
    assert_eq!(
        model.http_apis[0].routes[0].integration,
        crate::HttpIntegration::NotEmulated {
            kind: "EventBridge-PutEvents".into()
        }
    );
    assert!(
        model
            .warnings
            .iter()
            .any(|w| w.contains("EventBridge-PutEvents service integration is not emulated")),
        "{:?}",
        model.warnings
    );
}

#[test]
fn a_route_of_two_apis_is_served_by_the_first_with_a_warning() {
    // One port serves every API; on AWS each has its own hostname, so both are valid there.
    let model = load(&format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  V1: {{Type: AWS::Serverless::HttpApi}}
  V2: {{Type: AWS::Serverless::HttpApi}}
  Rest: {{Type: AWS::Serverless::Api, Properties: {{StageName: Prod}}}}
{FUNCTION}      Events:
        One: {{Type: HttpApi, Properties: {{ApiId: !Ref V1, Path: '/global/{{id}}', Method: GET}}}}
        Two: {{Type: HttpApi, Properties: {{ApiId: !Ref V2, Path: '/global/{{key}}', Method: GET}}}}
        Three: {{Type: HttpApi, Properties: {{ApiId: !Ref V2, Path: /only-v2, Method: GET}}}}
        Rest: {{Type: Api, Properties: {{RestApiId: !Ref Rest, Path: /only-v2, Method: GET}}}}
"
    ));
    let routes = |id: &str| -> Vec<String> {
        model
            .http_apis
            .iter()
            .find(|a| a.logical_id == id)
            .map(|a| a.routes.iter().map(|r| r.path.clone()).collect())
            .unwrap_or_default()
    };
    assert_eq!(routes("V1"), vec!["/global/{id}".to_owned()]);
    // REST APIs come first: the HTTP API's /only-v2 is the REST API's.
    assert!(routes("V2").is_empty(), "{:?}", routes("V2"));
    assert_eq!(model.rest_apis[0].routes.len(), 1);
    let shadowed: Vec<_> = model
        .warnings
        .iter()
        .filter(|w| w.contains("Sluice serves every API on one port"))
        .collect();
    assert_eq!(shadowed.len(), 2, "{:?}", model.warnings);
    assert!(shadowed
        .iter()
        .any(|w| w.starts_with("V2: GET /global/{key}") && w.contains("also a route of V1")));
}

#[test]
fn an_error_in_a_definition_file_names_that_file_and_its_line() {
    let dir = std::env::temp_dir().join(format!("sluice-defuri-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("api.yaml"),
        "openapi: '3.0.1'
paths:
  /items:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        uri: !GetAtt ItemsFunction.Arn
        payloadFormatVersion: '3.0'
",
    )
    .expect("write openapi");
    let template = dir.join("template.yaml");
    for definition in [
        "DefinitionUri: api.yaml",
        "DefinitionBody: {'Fn::Transform': {Name: AWS::Include, Parameters: {Location: api.yaml}}}",
    ] {
        std::fs::write(
            &template,
            format!(
                "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      {definition}
{FUNCTION}"
            ),
        )
        .expect("write template");
        let err = crate::load(&template, &LoadOptions::default())
            .expect_err("an invalid payload format")
            .to_string();
        assert!(err.contains("/api.yaml:6:"), "{definition}: {err}");
        assert!(!err.contains("template.yaml"), "{definition}: {err}");
        assert!(
            err.contains("\"3.0\" is not a payload format version"),
            "{err}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gateway_responses_load_from_sam_the_document_and_raw_resources() {
    let model = load(&format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      GatewayResponses:
        DEFAULT_4XX:
          ResponseParameters:
            Headers:
              Access-Control-Allow-Origin: \"'*'\"
              X-Echo: method.request.header.Origin
        UNAUTHORIZED:
          StatusCode: 401
          ResponseTemplates:
            application/json: '{{\"error\": $context.error.messageString}}'
      DefinitionBody:
        swagger: '2.0'
        x-amazon-apigateway-gateway-responses:
          DEFAULT_4XX:
            responseParameters:
              gatewayresponse.header.X-From-Doc: \"'doc'\"
          MISSING_AUTHENTICATION_TOKEN:
            statusCode: 404
        paths: {{}}
  Raw:
    Type: AWS::ApiGateway::GatewayResponse
    Properties:
      RestApiId: !Ref Api
      ResponseType: THROTTLED
      ResponseParameters:
        gatewayresponse.header.Retry-After: \"'1'\"
{FUNCTION}"
    ));
    let responses = &model.rest_apis[0].gateway_responses;
    let find = |t: &str| {
        responses
            .iter()
            .find(|r| r.response_type == t)
            .unwrap_or_else(|| panic!("{t} in {responses:?}"))
    };
    // SAM's GatewayResponses replace the document's of the same type.
    assert_eq!(
        find("DEFAULT_4XX").headers,
        vec![("Access-Control-Allow-Origin".to_owned(), "*".to_owned())]
    );
    assert_eq!(find("UNAUTHORIZED").status_code, Some(401));
    assert_eq!(
        find("UNAUTHORIZED").templates["application/json"],
        "{\"error\": $context.error.messageString}"
    );
    assert_eq!(find("MISSING_AUTHENTICATION_TOKEN").status_code, Some(404));
    assert_eq!(
        find("THROTTLED").headers,
        vec![("Retry-After".to_owned(), "1".to_owned())]
    );
    assert_eq!(
        find("DEFAULT_4XX").mapped_headers,
        vec![(
            "X-Echo".to_owned(),
            "method.request.header.Origin".to_owned()
        )]
    );
    assert!(model.warnings.is_empty(), "{:?}", model.warnings);
}

#[test]
fn paths_under_fn_if_route_the_branch_the_condition_picks() {
    let source = format!(
        "Transform: AWS::Serverless-2016-10-31
Parameters:
  Env: {{Type: String, Default: prod}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Rest:
    Type: AWS::Serverless::Api
    Properties:
      StageName: live
      DefinitionBody:
        swagger: '2.0'
        paths:
          /orders:
            Fn::If:
              - IsProd
              - post:
                  x-amazon-apigateway-integration:
                    type: aws_proxy
                    httpMethod: POST
                    uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{ItemsFunction.Arn}}/invocations
              - get:
                  x-amazon-apigateway-integration:
                    type: aws_proxy
                    httpMethod: POST
                    uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{ItemsFunction.Arn}}/invocations
          /debug:
            !If
              - IsProd
              - !Ref AWS::NoValue
              - get:
                  x-amazon-apigateway-integration:
                    type: aws_proxy
                    httpMethod: POST
                    uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{ItemsFunction.Arn}}/invocations
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: '3.0.1'
        paths:
          /items:
            get:
              Fn::If:
                - IsProd
                - x-amazon-apigateway-integration:
                    type: aws_proxy
                    uri: !GetAtt ItemsFunction.Arn
                    payloadFormatVersion: '1.0'
                - x-amazon-apigateway-integration:
                    type: aws_proxy
                    uri: !GetAtt ItemsFunction.Arn
                    payloadFormatVersion: '2.0'
{FUNCTION}"
    );
    let model = load(&source);
    let rest: Vec<_> = model.rest_apis[0]
        .routes
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str(), r.function.as_str()))
        .collect();
    assert_eq!(rest, [("POST", "/orders", "ItemsFunction")]);
    assert_eq!(
        http_routes(&model),
        [(
            "GET".to_owned(),
            "/items".to_owned(),
            "ItemsFunction".to_owned(),
            PayloadFormat::V1
        )]
    );

    let staging = LoadOptions {
        parameter_overrides: [("Env".to_owned(), "staging".to_owned())].into(),
        ..LoadOptions::default()
    };
    let model = super::load_with(&source, &staging);
    let mut rest: Vec<_> = model.rest_apis[0]
        .routes
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    rest.sort();
    assert_eq!(rest, [("GET", "/debug"), ("GET", "/orders")]);
}

/// `ResponseTransferMode: STREAM` on an `Api` event, `responseTransferMode` in an OpenAPI
/// integration and `Integration.ResponseTransferMode` on a CloudFormation method all make the
/// route stream; API Gateway takes only BUFFERED and STREAM.
#[test]
fn a_rest_route_streams_when_its_response_transfer_mode_is_stream() {
    let event = |mode: &str| {
        format!(
            "Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      CodeUri: .
      Events:
        Chat:
          Type: Api
          Properties: {{ Path: /chat, Method: post, ResponseTransferMode: {mode} }}
"
        )
    };
    let streams = |yaml: &str| load(yaml).rest_apis[0].routes[0].streams;
    assert!(streams(&event("STREAM")));
    assert!(!streams(&event("BUFFERED")));
    assert_eq!(
        super::load_err(&event("STREAMED")),
        "/app/template.yaml:12:74: Resources.Fn.Properties.Events.Chat.Properties.ResponseTransferMode: \
         \"STREAMED\" is not a response transfer mode; API Gateway refuses it\n  hint: use BUFFERED or STREAM"
    );

    let document = "Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      CodeUri: .
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        openapi: 3.0.1
        paths:
          /chat:
            post:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                responseTransferMode: STREAM
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2021-11-15/functions/${Fn.Arn}/response-streaming-invocations
";
    assert!(streams(document));
    assert!(!streams(&document.replace("STREAM\n", "BUFFERED\n")));
}

/// `TimeoutInMillis` on an `Api` event and `timeoutInMillis` in an OpenAPI integration set the
/// route's timeout, within API Gateway's bounds: 50 ms to 29 s by default, up to 300 s with a
/// raised quota (warned), up to 15 minutes in STREAM mode.
#[test]
fn a_rest_route_keeps_its_integration_timeout() {
    let event = |props: &str| {
        format!(
            "Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      CodeUri: .
      Events:
        Slow:
          Type: Api
          Properties: {{ Path: /slow, Method: get, {props} }}
"
        )
    };
    let timeout = |yaml: &str| load(yaml).rest_apis[0].routes[0].timeout_ms;
    assert_eq!(timeout(&event("TimeoutInMillis: 1500")), Some(1500));
    assert_eq!(timeout(&event("Auth: {}")), None);
    let quiet = load(&event("TimeoutInMillis: 29000"));
    assert!(quiet.warnings.is_empty(), "{:?}", quiet.warnings);
    let raised = load(&event("TimeoutInMillis: 120000"));
    assert_eq!(raised.rest_apis[0].routes[0].timeout_ms, Some(120_000));
    assert!(
        raised.warnings.iter().any(|w| w.contains("quota")),
        "{:?}",
        raised.warnings
    );
    assert_eq!(
        timeout(&event(
            "TimeoutInMillis: 900000, ResponseTransferMode: STREAM"
        )),
        Some(900_000)
    );
    assert_eq!(
        super::load_err(&event("TimeoutInMillis: 49")),
        "/app/template.yaml:12:68: Resources.Fn.Properties.Events.Slow.Properties.TimeoutInMillis: \
         \"49\" is not an integration timeout between 50 and 300000 ms; API Gateway refuses it\n  \
         hint: 29000 is the default; more needs a quota increase on AWS, and STREAM mode allows up to 900000"
    );
    assert!(super::load_err(&event("TimeoutInMillis: 300001")).contains("between 50 and 300000"));
    assert!(super::load_err(&event(
        "TimeoutInMillis: 900001, ResponseTransferMode: STREAM"
    ))
    .contains("between 50 and 900000"));

    let document = "Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      CodeUri: .
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        openapi: 3.0.1
        paths:
          /slow:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                timeoutInMillis: 2500
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
";
    assert_eq!(timeout(document), Some(2500));
}

/// An HTTP API's OpenAPI integration keeps its `timeoutInMillis` (at most 30 s).
#[test]
fn an_http_api_document_route_keeps_its_integration_timeout() {
    let document = |ms: &str| {
        format!(
            "Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      CodeUri: .
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: 3.0.1
        paths:
          /slow:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                payloadFormatVersion: '2.0'
                timeoutInMillis: {ms}
                uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Fn.Arn}}/invocations
"
        )
    };
    assert_eq!(
        load(&document("2500")).http_apis[0].routes[0].timeout_ms,
        2500
    );
    assert!(super::load_err(&document("30001")).contains("between 50 and 30000"));
}
