//! A Path Item of an OpenAPI document may be a `$ref` to a Path Item elsewhere in it
//! (`#/x-paths/…`, `#/components/pathItems/…`, another path): its operations are the routes, for
//! REST and HTTP APIs, inline or in a `DefinitionUri` file. Fields beside the `$ref` are merged in;
//! a reference that names nothing, leaves the document or loops is a template error at its line.
//! An HTTP API operation's integration may be a `$ref` to a reusable one.

use super::{load, load_err};
use crate::{LoadOptions, Model};

/// Two functions, so a test can tell which operation a route came from.
const FUNCTIONS: &str = "  ItemsFunction:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.handler, Runtime: python3.12}
  OtherFunction:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.handler, Runtime: python3.12}
";

/// An operation integrating `function` by Lambda proxy.
fn operation(function: &str) -> String {
    format!(
        "{{x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: !Sub 'arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{{function}.Arn}}/invocations'}}}}"
    )
}

/// `ty` (a SAM API type and its properties) with `document` (indented to sit under
/// `DefinitionBody`), and the two functions.
fn sam(ty: &str, document: &str) -> String {
    let document: String = document
        .lines()
        .map(|line| format!("        {line}\n"))
        .collect();
    format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: {ty}
      DefinitionBody:
{document}{FUNCTIONS}"
    )
}

const REST: &str = "AWS::Serverless::Api\n    Properties:\n      StageName: Prod";
const HTTP: &str = "AWS::Serverless::HttpApi\n    Properties:";

/// `(method, path, function)` of every route of every API, sorted.
fn routes(model: &Model) -> Vec<(String, String, String)> {
    let rest = model.rest_apis.iter().flat_map(|a| {
        a.routes
            .iter()
            .map(|r| (r.method.clone(), r.path.clone(), r.function.clone()))
    });
    let http = model.http_apis.iter().flat_map(|a| {
        a.routes
            .iter()
            .map(|r| (r.method.clone(), r.path.clone(), r.function.clone()))
    });
    let mut all: Vec<_> = rest.chain(http).collect();
    all.sort();
    all
}

fn route(method: &str, path: &str, function: &str) -> (String, String, String) {
    (method.into(), path.into(), function.into())
}

#[test]
fn a_path_item_ref_brings_its_operations_to_rest_and_http_apis() {
    let items = operation("ItemsFunction");
    for (ty, version, container, pointer) in [
        (REST, "swagger: '2.0'", "x-paths", "#/x-paths/Items"),
        (
            HTTP,
            "openapi: 3.1.0",
            "components:\n  pathItems",
            "#/components/pathItems/Items",
        ),
    ] {
        let model = load(&sam(
            ty,
            &format!(
                "{version}
paths:
  /items:
    $ref: '{pointer}'
  /items/{{id}}:
    get: {items}
{container}:
    Items:
      get: {items}
      post: {items}
"
            ),
        ));
        assert_eq!(
            routes(&model),
            [
                route("GET", "/items", "ItemsFunction"),
                route("GET", "/items/{id}", "ItemsFunction"),
                route("POST", "/items", "ItemsFunction"),
            ],
            "{ty}"
        );
        assert!(model.warnings.is_empty(), "{ty}: {:?}", model.warnings);
    }
}

#[test]
fn raw_cloudformation_apis_follow_path_item_refs_too() {
    let items = operation("ItemsFunction");
    let model = load(&format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Rest:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Body:
        swagger: '2.0'
        paths:
          /rest: {{$ref: '#/x-paths/Shared'}}
        x-paths:
          Shared:
            get: {items}
  Http:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Body:
        openapi: 3.0.1
        paths:
          /http: {{$ref: '#/x-paths/Shared'}}
        x-paths:
          Shared:
            get: {items}
{FUNCTIONS}"
    ));
    assert_eq!(
        routes(&model),
        [
            route("GET", "/http", "ItemsFunction"),
            route("GET", "/rest", "ItemsFunction"),
        ]
    );
}

#[test]
fn fields_beside_the_ref_are_merged_and_a_conflict_keeps_the_referenced_one() {
    let (items, other) = (operation("ItemsFunction"), operation("OtherFunction"));
    let model = load(&sam(
        HTTP,
        &format!(
            "openapi: 3.0.1
paths:
  /items:
    $ref: '#/x-paths/Items'
    delete: {other}
    get: {other}
  # A chain: another path's item, itself a reference.
  /aliases:
    $ref: '#/paths/~1items'
x-paths:
  Items:
    get: {items}
"
        ),
    ));
    assert_eq!(
        routes(&model),
        [
            route("DELETE", "/aliases", "OtherFunction"),
            route("DELETE", "/items", "OtherFunction"),
            route("GET", "/aliases", "ItemsFunction"),
            route("GET", "/items", "ItemsFunction"),
        ]
    );
    assert_eq!(
        model.warnings,
        ["Resources.Api.Properties.DefinitionBody.paths./items: get is both beside the $ref and in \"#/x-paths/Items\", which OpenAPI leaves undefined; the one in \"#/x-paths/Items\" is used"]
    );
}

#[test]
fn a_referenced_path_items_parameters_are_its_operations() {
    let model = load(&sam(
        REST,
        &format!(
            "swagger: '2.0'
x-amazon-apigateway-request-validators:
  params: {{validateRequestBody: false, validateRequestParameters: true}}
x-amazon-apigateway-request-validator: params
paths:
  /teams: {{$ref: '#/x-paths/Teams'}}
x-paths:
  Teams:
    parameters:
      - {{name: team, in: query, required: true}}
    get: {}
",
            operation("ItemsFunction")
        ),
    ));
    let route = &model.rest_apis[0].routes[0];
    assert_eq!(
        route
            .validation
            .as_ref()
            .map(|v| &v.required_parameters[..]),
        Some(&["method.request.querystring.team".to_owned()][..])
    );
}

#[test]
fn a_referenced_path_items_conditions_are_chosen() {
    let items = operation("ItemsFunction");
    let model = load(&format!(
        "Transform: AWS::Serverless-2016-10-31
Conditions:
  Never: !Equals [a, b]
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: 3.0.1
        paths:
          /items: !If [Never, !Ref AWS::NoValue, {{$ref: '#/x-paths/Items'}}]
        x-paths:
          Items:
            get: {items}
            post: !If [Never, {items}, !Ref AWS::NoValue]
{FUNCTIONS}"
    ));
    assert_eq!(routes(&model), [route("GET", "/items", "ItemsFunction")]);
}

#[test]
fn an_unfollowable_path_item_ref_is_an_error_at_its_line() {
    let items = operation("ItemsFunction");
    for (paths, wanted) in [
        (
            "  /items: {$ref: '#/x-paths/Missing'}",
            "\"#/x-paths/Missing\" names nothing in this document",
        ),
        (
            "  /items: {$ref: 'common.yaml#/Items'}",
            "\"common.yaml#/Items\" is outside the document",
        ),
        (
            "  /items: {$ref: '#/info/title'}",
            "\"#/info/title\" names a scalar, not a Path Item",
        ),
        (
            "  /items: {$ref: '#/x-paths/Loop'}",
            "the Path Item references loop (#/x-paths/Loop -> #/x-paths/Again -> #/x-paths/Loop)",
        ),
        (
            "  /items: {$ref: '#/paths/~1items'}",
            "the Path Item references loop (#/paths/~1items -> #/paths/~1items)",
        ),
    ] {
        let err = load_err(&sam(
            HTTP,
            &format!(
                "openapi: 3.0.1
info: {{title: Items}}
paths:
{paths}
x-paths:
  Loop: {{$ref: '#/x-paths/Again'}}
  Again: {{$ref: '#/x-paths/Loop'}}
  Items:
    get: {items}
"
            ),
        ));
        assert!(err.contains(wanted), "{paths}: {err}");
        let at = if wanted.contains("Again") {
            // The reference that closes the loop.
            "/app/template.yaml:13:"
        } else {
            "/app/template.yaml:10:"
        };
        assert!(err.starts_with(at), "{paths}: {err}");
        assert!(err.contains(".$ref: "), "{paths}: {err}");
        assert!(err.contains("\n  hint: "), "{paths}: {err}");
    }
}

#[test]
fn a_definition_file_follows_its_path_item_refs_and_names_itself_in_errors() {
    let dir = std::env::temp_dir().join(format!("sluice-path-item-refs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let template = dir.join("template.yaml");
    std::fs::write(
        &template,
        format!(
            "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionUri: api.yaml
{FUNCTIONS}"
        ),
    )
    .expect("write template");
    let document = |target: &str| {
        format!(
            "openapi: 3.0.1
paths:
  /items:
    $ref: '{target}'
x-paths:
  Items:
    get: {}
",
            operation("ItemsFunction")
        )
    };
    std::fs::write(dir.join("api.yaml"), document("#/x-paths/Items")).expect("write api");
    let model = crate::load(&template, &LoadOptions::default());
    std::fs::write(dir.join("api.yaml"), document("#/x-paths/Nope")).expect("write api");
    let err = crate::load(&template, &LoadOptions::default());
    let _ = std::fs::remove_dir_all(&dir);
    let model = model.expect("loads");
    assert_eq!(routes(&model), [route("GET", "/items", "ItemsFunction")]);
    let err = err.expect_err("a dangling reference").to_string();
    assert!(err.contains("/api.yaml:4:"), "{err}");
    assert!(err.contains("api.yaml.paths./items.$ref"), "{err}");
}

#[test]
fn an_http_api_operation_may_refer_to_a_reusable_integration() {
    let document = |target: &str, version: &str| {
        format!(
            "openapi: 3.0.1
paths:
  /items:
    get:
      x-amazon-apigateway-integration:
        $ref: '{target}'
components:
  x-amazon-apigateway-integrations:
    items:
      type: aws_proxy
      httpMethod: POST
      uri: !GetAtt ItemsFunction.Arn
      payloadFormatVersion: '{version}'
"
        )
    };
    let reusable = "#/components/x-amazon-apigateway-integrations/items";
    let model = load(&sam(HTTP, &document(reusable, "1.0")));
    assert_eq!(routes(&model), [route("GET", "/items", "ItemsFunction")]);
    assert_eq!(
        model.http_apis[0].routes[0].payload_format,
        crate::PayloadFormat::V1
    );
    // An error in the reusable integration names its own place.
    let err = load_err(&sam(HTTP, &document(reusable, "3.0")));
    assert!(
        err.contains("DefinitionBody.components.x-amazon-apigateway-integrations.items.payloadFormatVersion: \"3.0\""),
        "{err}"
    );
    let err = load_err(&sam(
        HTTP,
        &document("#/components/x-amazon-apigateway-integrations/nope", "1.0"),
    ));
    assert!(err.starts_with("/app/template.yaml:12:"), "{err}");
    assert!(
        err.contains("x-amazon-apigateway-integration.$ref: \"#/components/x-amazon-apigateway-integrations/nope\" names nothing in this document"),
        "{err}"
    );
    // AWS: reusable integrations are an HTTP API feature only.
    let err = load_err(&sam(REST, &document(reusable, "1.0")));
    assert!(
        err.contains("a REST API's integration cannot be a $ref"),
        "{err}"
    );
}
