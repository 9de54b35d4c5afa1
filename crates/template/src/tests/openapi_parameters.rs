//! An OpenAPI operation's parameters are its own and its path item's (an operation's parameter of
//! the same `name` and `in` overriding the path item's), each possibly a `$ref` into the document,
//! and every reader sees the same ones: request validation (required parameters, a Swagger 2.0
//! `body` parameter) and the cache key check. An OpenAPI 3 `requestBody` may be a `$ref` too.

use super::{load, load_err};
use crate::{Model, RequestValidation, Route};

/// The route at `method path` of the only REST API.
fn route<'m>(model: &'m Model, method: &str, path: &str) -> &'m Route {
    model
        .rest_apis
        .iter()
        .flat_map(|a| a.routes.iter())
        .find(|r| r.method == method && r.path == path)
        .unwrap_or_else(|| panic!("no route {method} {path} in {:#?}", model.rest_apis))
}

/// The sorted required parameters of the route's validation.
fn required(model: &Model, method: &str, path: &str) -> Vec<String> {
    let validation = route(model, method, path)
        .validation
        .clone()
        .unwrap_or_else(|| panic!("{method} {path} has no validation"));
    let mut required = validation.required_parameters;
    required.sort();
    required
}

/// A SAM API whose `DefinitionBody` is `document` (indented to sit under it), with function `Fn`.
fn template(document: &str) -> String {
    let document: String = document
        .lines()
        .map(|line| format!("        {line}\n"))
        .collect();
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
{document}"#
    )
}

/// An operation's Lambda proxy integration to `Fn`, with `extra` entries (`, cacheKeyParameters: […]`).
fn integration(extra: &str) -> String {
    format!(
        "x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: !Sub 'arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Fn.Arn}}/invocations'{extra}}}"
    )
}

#[test]
fn openapi_3_path_item_and_ref_parameters_are_the_methods_and_an_operation_overrides_them() {
    let proxy = integration("");
    let model = load(&template(&format!(
        r#"openapi: 3.0.1
x-amazon-apigateway-request-validators:
  params: {{validateRequestBody: false, validateRequestParameters: true}}
x-amazon-apigateway-request-validator: params
paths:
  /teams/{{id}}:
    parameters:
      - {{name: id, in: path, required: true}}
      - $ref: '#/components/parameters/Team'
      - {{name: X-Trace, in: header, required: true}}
    get:
      parameters:
        - {{name: verbose, in: query, required: true}}
      {proxy}
    delete:
      parameters:
        # Same name and location: the operation's own wins, here optional.
        - {{name: team, in: query, required: false}}
        # Header names ignore case.
        - {{name: x-trace, in: header}}
      {proxy}
components:
  parameters:
    Team: {{name: team, in: query, required: true}}
"#
    )));
    assert_eq!(
        required(&model, "GET", "/teams/{id}"),
        [
            "method.request.header.X-Trace",
            "method.request.path.id",
            "method.request.querystring.team",
            "method.request.querystring.verbose",
        ]
    );
    assert_eq!(
        required(&model, "DELETE", "/teams/{id}"),
        ["method.request.path.id"]
    );
    assert!(model.warnings.is_empty(), "{:#?}", model.warnings);
}

#[test]
fn swagger_2_ref_parameters_declare_required_values_and_the_body_model() {
    let proxy = integration("");
    let model = load(&template(&format!(
        r#"swagger: "2.0"
x-amazon-apigateway-request-validators:
  all: {{validateRequestBody: true, validateRequestParameters: true}}
x-amazon-apigateway-request-validator: all
paths:
  /users:
    parameters:
      - $ref: '#/parameters/Tenant'
    post:
      parameters:
        - $ref: '#/parameters/NewUser'
        - $ref: '#/parameters/Alias'
      {proxy}
parameters:
  Tenant: {{name: X-Tenant, in: header, required: true, type: string}}
  NewUser: {{name: user, in: body, required: true, schema: {{$ref: '#/definitions/User'}}}}
  # A reference may name another reference.
  Alias: {{$ref: '#/parameters/Source'}}
  Source: {{name: source, in: query, required: true, type: string}}
definitions:
  User: {{type: object, required: [name], properties: {{name: {{type: string}}}}}}
"#
    )));
    let validation = route(&model, "POST", "/users").validation.clone().unwrap();
    let user = serde_json::json!({"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}});
    assert_eq!(
        validation,
        RequestValidation {
            body_schema: Some(serde_json::json!({"allOf": [user], "definitions": {"User": user}})),
            body_content_type: "application/json".into(),
            required_parameters: vec![
                "method.request.header.X-Tenant".into(),
                "method.request.querystring.source".into(),
            ],
        }
    );
}

#[test]
fn a_ref_that_names_nothing_is_reported_and_left_out() {
    let model = load(&template(&format!(
        r#"openapi: 3.0.1
x-amazon-apigateway-request-validators:
  params: {{validateRequestBody: false, validateRequestParameters: true}}
x-amazon-apigateway-request-validator: params
paths:
  /things:
    get:
      parameters:
        - $ref: '#/components/parameters/Missing'
        - $ref: 'common.yaml#/Page'
        - {{name: q, in: query, required: true}}
      {}
"#,
        integration(", cacheKeyParameters: [method.request.querystring.page]")
    )));
    assert_eq!(
        required(&model, "GET", "/things"),
        ["method.request.querystring.q"]
    );
    for target in ["#/components/parameters/Missing", "common.yaml#/Page"] {
        assert!(
            model.warnings.iter().any(|w| w.contains(target)
                && w.contains("paths./things.get.parameters")
                && w.contains("left out")),
            "{target}: {:#?}",
            model.warnings
        );
    }
    // What the unread reference declares is unknown, so a cache key is not refused for it.
    assert_eq!(
        route(&model, "GET", "/things").cache_key_parameters,
        ["method.request.querystring.page"]
    );
}

#[test]
fn a_cache_key_is_declared_by_a_path_item_ref_and_refused_without_one() {
    let document = |parameters: &str| {
        template(&format!(
            r#"openapi: 3.0.1
paths:
  /items:
    parameters: {parameters}
    get:
      {}
components:
  parameters:
    Kind: {{name: X-Kind, in: header}}
"#,
            integration(", cacheKeyParameters: [method.request.header.X-Kind]")
        ))
    };
    let model = load(&document("[{$ref: '#/components/parameters/Kind'}]"));
    assert_eq!(
        route(&model, "GET", "/items").cache_key_parameters,
        ["method.request.header.X-Kind"]
    );
    let error = load_err(&document("[]"));
    assert!(
        error.contains("Invalid cache key parameter specified"),
        "{error}"
    );
}

#[test]
fn an_openapi_3_request_body_ref_is_the_body_model_and_one_naming_nothing_is_reported() {
    let proxy = integration("");
    let model = load(&template(&format!(
        r#"openapi: 3.0.1
x-amazon-apigateway-request-validators:
  body: {{validateRequestBody: true, validateRequestParameters: false}}
x-amazon-apigateway-request-validator: body
paths:
  /users:
    post:
      requestBody: {{$ref: '#/components/requestBodies/NewUser'}}
      {proxy}
    put:
      requestBody: {{$ref: '#/components/requestBodies/Gone'}}
      {proxy}
components:
  requestBodies:
    NewUser:
      required: true
      content:
        application/json:
          schema: {{$ref: '#/components/schemas/User'}}
  schemas:
    User: {{type: object, required: [name], properties: {{name: {{type: string}}}}}}
"#
    )));
    let user = serde_json::json!({"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}});
    let validation = route(&model, "POST", "/users").validation.clone().unwrap();
    assert_eq!(
        validation.body_schema,
        Some(serde_json::json!({"allOf": [user], "definitions": {"User": user}}))
    );
    assert_eq!(validation.body_content_type, "application/json");
    assert_eq!(
        route(&model, "PUT", "/users")
            .validation
            .clone()
            .unwrap()
            .body_schema,
        None
    );
    assert!(
        model
            .warnings
            .iter()
            .any(|w| w.contains("paths./users.put.requestBody.$ref")
                && w.contains("#/components/requestBodies/Gone")),
        "{:#?}",
        model.warnings
    );
}
