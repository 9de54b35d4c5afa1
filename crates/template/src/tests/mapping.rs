//! Non-proxy integrations (Lambda custom, DynamoDB actions, MOCK, HTTP, unsupported types) and request
//! validation load to the same model from OpenAPI, raw CloudFormation and SAM events; bad input
//! names file and line.

use super::{load, load_err};
use crate::{
    ContentHandling, Integration, IntegrationResponse, Mapping, Passthrough, RequestValidation,
    Route,
};

const FUNCTION: &str = "  Fn:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.handler, Runtime: python3.12, CodeUri: ./src}
";

const REQUEST_TEMPLATE: &str = "{\"name\": $input.json('$.name')}";
const RESPONSE_TEMPLATE: &str = "{\"greeting\": \"$input.path('$.greeting')\"}";

/// The route at `method path` of the only REST API.
fn route<'m>(model: &'m crate::Model, method: &str, path: &str) -> &'m Route {
    model
        .rest_apis
        .iter()
        .flat_map(|a| a.routes.iter())
        .find(|r| r.method == method && r.path == path)
        .unwrap_or_else(|| panic!("no route {method} {path} in {:#?}", model.rest_apis))
}

fn lambda_mapping() -> Integration {
    Integration::Lambda(Mapping {
        request_templates: [("application/json".to_owned(), REQUEST_TEMPLATE.to_owned())].into(),
        passthrough: Passthrough::WhenNoTemplates,
        responses: vec![
            IntegrationResponse {
                selection_pattern: None,
                status_code: 200,
                response_templates: [("application/json".to_owned(), RESPONSE_TEMPLATE.to_owned())]
                    .into(),
                response_parameters: [(
                    "method.response.header.X-Greeted".to_owned(),
                    "'yes'".to_owned(),
                )]
                .into(),
                content_handling: ContentHandling::ConvertToBinary,
            },
            IntegrationResponse {
                selection_pattern: Some(".*Bad name.*".into()),
                status_code: 400,
                response_templates: [(
                    "application/json".to_owned(),
                    "{\"error\": \"$input.path('$.errorMessage')\"}".to_owned(),
                )]
                .into(),
                response_parameters: Default::default(),
                // Unset: the body passes through.
                content_handling: ContentHandling::Passthrough,
            },
        ],
        request_parameters: [(
            "integration.request.header.X-Amz-Invocation-Type".to_owned(),
            "method.request.header.InvocationType".to_owned(),
        )]
        .into(),
        content_handling: ContentHandling::ConvertToText,
    })
}

#[test]
fn lambda_custom_integration_loads_the_same_from_openapi_and_cloudformation() {
    let openapi = load(&format!(
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
{FUNCTION}  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionBody:
        swagger: '2.0'
        paths:
          /hello:
            post:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Fn.Arn}}/invocations
                passthroughBehavior: when_no_templates
                contentHandling: CONVERT_TO_TEXT
                requestParameters:
                  integration.request.header.X-Amz-Invocation-Type: method.request.header.InvocationType
                requestTemplates:
                  application/json: "{{\"name\": $input.json('$.name')}}"
                responses:
                  default:
                    statusCode: '200'
                    contentHandling: CONVERT_TO_BINARY
                    responseParameters:
                      method.response.header.X-Greeted: "'yes'"
                    responseTemplates:
                      application/json: "{{\"greeting\": \"$input.path('$.greeting')\"}}"
                  .*Bad name.*:
                    statusCode: 400
                    responseTemplates:
                      application/json: "{{\"error\": \"$input.path('$.errorMessage')\"}}"
"#
    ));
    let cfn = load(&format!(
        r#"Resources:
{FUNCTION}  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {{Name: hello}}
  Hello:
    Type: AWS::ApiGateway::Resource
    Properties: {{RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: hello}}
  PostHello:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Hello
      HttpMethod: POST
      Integration:
        Type: AWS
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Fn.Arn}}/invocations
        PassthroughBehavior: WHEN_NO_TEMPLATES
        ContentHandling: CONVERT_TO_TEXT
        RequestParameters:
          integration.request.header.X-Amz-Invocation-Type: method.request.header.InvocationType
        RequestTemplates:
          application/json: "{{\"name\": $input.json('$.name')}}"
        IntegrationResponses:
          - StatusCode: 200
            ContentHandling: CONVERT_TO_BINARY
            ResponseParameters:
              method.response.header.X-Greeted: "'yes'"
            ResponseTemplates:
              application/json: "{{\"greeting\": \"$input.path('$.greeting')\"}}"
          - StatusCode: 400
            SelectionPattern: .*Bad name.*
            ResponseTemplates:
              application/json: "{{\"error\": \"$input.path('$.errorMessage')\"}}"
      MethodResponses:
        - StatusCode: 200
        - StatusCode: 400
"#
    ));
    for model in [&openapi, &cfn] {
        let route = route(model, "POST", "/hello");
        assert_eq!(route.function, "Fn");
        assert_eq!(route.integration, lambda_mapping());
    }
}

#[test]
fn dynamodb_actions_load_from_openapi_and_cloudformation() {
    let template = r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Table:
    Type: AWS::Serverless::SimpleTable
  Doc:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionBody:
        openapi: 3.0.1
        paths:
          /items/{id}:
            get:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:dynamodb:action/GetItem
                requestTemplates:
                  application/json: !Sub '{"TableName": "${Table}"}'
                responses:
                  default: {statusCode: 200}
  Raw:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: raw}
  Items:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Raw, ParentId: !GetAtt Raw.RootResourceId, PathPart: items}
  Put:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Raw
      ResourceId: !Ref Items
      HttpMethod: POST
      AuthorizationType: NONE
      Integration:
        Type: AWS
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:dynamodb:action/PutItem
        IntegrationResponses:
          - {StatusCode: 200}
          - {StatusCode: 400, SelectionPattern: '4\d{2}'}
  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties: {RestApiId: !Ref Raw, StageName: v1}
"#;
    let model = load(template);
    let Integration::DynamoDb { action, mapping } =
        &route(&model, "GET", "/items/{id}").integration
    else {
        panic!("{model:#?}")
    };
    assert_eq!(action, "GetItem");
    assert_eq!(
        mapping.request_templates["application/json"],
        r#"{"TableName": "Table"}"#
    );
    let Integration::DynamoDb { action, mapping } = &route(&model, "POST", "/items").integration
    else {
        panic!("{model:#?}")
    };
    assert_eq!(action, "PutItem");
    assert_eq!(
        mapping.responses[1].selection_pattern.as_deref(),
        Some(r"4\d{2}")
    );
    assert!(
        !model.warnings.iter().any(|w| w.contains("not emulated")),
        "{:#?}",
        model.warnings
    );
}

/// serverless-patterns apigw-lambda-authorizer-custom-header calls https://httpbin.org/get through
/// an `http` integration whose request template adds a header.
#[test]
fn http_integrations_load_from_openapi_and_cloudformation() {
    let template = r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Doc:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionBody:
        swagger: '2.0'
        paths:
          /:
            get:
              x-amazon-apigateway-integration:
                type: http
                httpMethod: GET
                uri: https://httpbin.org/get
                passthroughBehavior: when_no_templates
                requestTemplates:
                  application/json: '#set($context.requestOverride.header.x = "y")'
                responses:
                  '200': {statusCode: '200'}
  Raw:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: raw}
  Pets:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Raw, ParentId: !GetAtt Raw.RootResourceId, PathPart: '{id}'}
  Get:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Raw
      ResourceId: !Ref Pets
      HttpMethod: GET
      AuthorizationType: NONE
      Integration:
        Type: HTTP
        IntegrationHttpMethod: any
        Uri: http://${stageVariables.host}/pets/{id}
        RequestParameters:
          integration.request.path.id: method.request.path.id
        IntegrationResponses:
          - {StatusCode: 200}
          - {StatusCode: 404, SelectionPattern: '404'}
  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties: {RestApiId: !Ref Raw, StageName: v1}
"#;
    let model = load(template);
    let Integration::Http {
        method,
        uri,
        mapping,
    } = &route(&model, "GET", "/").integration
    else {
        panic!("{model:#?}")
    };
    assert_eq!(
        (method.as_str(), uri.as_str()),
        ("GET", "https://httpbin.org/get")
    );
    assert_eq!(mapping.passthrough, Passthrough::WhenNoTemplates);
    assert_eq!(
        mapping.responses[0].selection_pattern.as_deref(),
        Some("200")
    );
    let Integration::Http {
        method,
        uri,
        mapping,
    } = &route(&model, "GET", "/{id}").integration
    else {
        panic!("{model:#?}")
    };
    assert_eq!(method, "ANY");
    assert_eq!(uri, "http://${stageVariables.host}/pets/{id}");
    assert_eq!(
        mapping.request_parameters["integration.request.path.id"],
        "method.request.path.id"
    );
    assert_eq!(mapping.responses[1].status_code, 404);
    assert!(
        !model.warnings.iter().any(|w| w.contains("not emulated")),
        "{:#?}",
        model.warnings
    );
}

#[test]
fn an_http_integration_without_a_method_or_an_http_uri_is_refused() {
    let method = |line: &str, uri: &str| {
        load_err(&format!(
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
        Type: HTTP
{line}        Uri: {uri}
"#
        ))
    };
    let no_method = method("", "https://example.com");
    assert!(
        no_method.starts_with("/app/template.yaml:11:")
            && no_method.contains("Integration.IntegrationHttpMethod")
            && no_method.contains("needs the HTTP method"),
        "{no_method}"
    );
    let not_http = method(
        "        IntegrationHttpMethod: GET\n",
        "ftp://example.com/x",
    );
    assert!(
        not_http.starts_with("/app/template.yaml:13:")
            && not_http.contains("Integration.Uri")
            && not_http.contains("Invalid HTTP endpoint specified for URI"),
        "{not_http}"
    );
}

#[test]
fn mock_and_unsupported_integrations() {
    let model = load(&format!(
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
{FUNCTION}  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionBody:
        openapi: 3.0.1
        paths:
          /mock:
            get:
              x-amazon-apigateway-integration:
                type: mock
                requestTemplates:
                  application/json: '{{"statusCode": 200}}'
                responses:
                  default:
                    statusCode: 200
                    responseTemplates:
                      application/json: '{{"mocked": true}}'
          /pets:
            get:
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: GET
                uri: http://petstore.example.com/pets
          /queue:
            post:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: arn:aws:apigateway:us-east-1:sqs:path/123456789012/queue
"#
    ));
    let mock = route(&model, "GET", "/mock");
    assert!(mock.function.is_empty());
    let Integration::Mock(mapping) = &mock.integration else {
        panic!("{:?}", mock.integration)
    };
    assert_eq!(
        mapping.request_templates["application/json"],
        r#"{"statusCode": 200}"#
    );
    assert_eq!(mapping.responses[0].status_code, 200);
    assert_eq!(
        route(&model, "GET", "/pets").integration,
        Integration::HttpProxy(crate::HttpProxy {
            method: "GET".into(),
            uri: "http://petstore.example.com/pets".into(),
            request_parameters: Default::default(),
        })
    );
    assert_eq!(
        route(&model, "POST", "/queue").integration,
        Integration::Unsupported {
            kind: "AWS (sqs)".into()
        }
    );
    let reported: Vec<_> = model
        .warnings
        .iter()
        .filter(|w| w.contains("integrations are not emulated"))
        .collect();
    assert_eq!(reported.len(), 1, "{:#?}", model.warnings);
    assert!(
        reported[0].contains("POST /queue answers 500"),
        "{reported:?}"
    );
}

fn user_schema() -> serde_json::Value {
    serde_json::json!({
        "allOf": [{"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "address": {"$ref": "#/definitions/Address"}}}],
        "definitions": {
            "User": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "address": {"$ref": "#/definitions/Address"}}},
            "Address": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    })
}

#[test]
fn request_validation_loads_the_same_from_sam_openapi_and_cloudformation() {
    let sam = load(
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: ./src
      Events:
        Create:
          Type: Api
          Properties:
            Path: /users
            Method: post
            RestApiId: !Ref Api
            RequestModel: {Model: User, Required: true, ValidateBody: true, ValidateParameters: true}
            RequestParameters:
              - method.request.querystring.tag: {Required: true}
              - method.request.header.X-Trace: {Required: false}
              - method.request.header.X-Team: {Required: true, Caching: false}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Models:
        User:
          type: object
          required: [name]
          properties:
            name: {type: string}
            address: {$ref: !Sub 'https://apigateway.amazonaws.com/restapis/${Api}/models/Address'}
        Address:
          type: object
          properties:
            city: {type: string}
"#,
    );
    let openapi = load(&format!(
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
{FUNCTION}  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionBody:
        openapi: 3.0.1
        x-amazon-apigateway-request-validators:
          all: {{validateRequestBody: true, validateRequestParameters: true}}
        x-amazon-apigateway-request-validator: all
        components:
          schemas:
            User:
              type: object
              required: [name]
              properties:
                name: {{type: string}}
                address: {{$ref: '#/components/schemas/Address'}}
            Address:
              type: object
              properties:
                city: {{type: string}}
        paths:
          /users:
            post:
              parameters:
                - {{name: tag, in: query, required: true}}
                - {{name: X-Trace, in: header}}
                - {{name: X-Team, in: header, required: true}}
              requestBody:
                content:
                  application/json:
                    schema: {{$ref: '#/components/schemas/User'}}
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: !GetAtt Fn.Arn
"#
    ));
    let cfn = load(&format!(
        r#"Resources:
{FUNCTION}  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {{Name: users}}
  Users:
    Type: AWS::ApiGateway::Resource
    Properties: {{RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: users}}
  Validator:
    Type: AWS::ApiGateway::RequestValidator
    Properties: {{RestApiId: !Ref Api, ValidateRequestBody: true, ValidateRequestParameters: true}}
  UserModel:
    Type: AWS::ApiGateway::Model
    Properties:
      RestApiId: !Ref Api
      Name: User
      ContentType: application/json
      Schema:
        type: object
        required: [name]
        properties:
          name: {{type: string}}
          address: {{$ref: !Sub 'https://apigateway.amazonaws.com/restapis/${{Api}}/models/Address'}}
  AddressModel:
    Type: AWS::ApiGateway::Model
    Properties:
      RestApiId: !Ref Api
      Name: Address
      Schema: {{type: object, properties: {{city: {{type: string}}}}}}
  PostUsers:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Users
      HttpMethod: POST
      RequestValidatorId: !Ref Validator
      RequestModels: {{application/json: !Ref UserModel}}
      RequestParameters:
        method.request.querystring.tag: true
        method.request.header.X-Trace: false
        method.request.header.X-Team: true
      Integration:
        Type: AWS_PROXY
        Uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Fn.Arn}}/invocations
"#
    ));
    let expected = RequestValidation {
        body_schema: Some(user_schema()),
        body_content_type: "application/json".into(),
        required_parameters: vec![
            "method.request.querystring.tag".into(),
            "method.request.header.X-Team".into(),
        ],
    };
    for (form, model) in [
        ("SAM", &sam),
        ("OpenAPI", &openapi),
        ("CloudFormation", &cfn),
    ] {
        let route = route(model, "POST", "/users");
        let mut validation = route.validation.clone().expect(form);
        validation.required_parameters.sort();
        let mut expected = expected.clone();
        expected.required_parameters.sort();
        assert_eq!(validation, expected, "{form}");
    }
}

#[test]
fn cfn_method_names_its_validator_by_get_att_request_validator_id() {
    // serverless-patterns apigw-lambda-request-validator: CloudFormation's documented
    // `RequestValidatorId` return value names the validator as `!Ref` does.
    for form in [
        "!GetAtt Validator.RequestValidatorId",
        "!GetAtt [Validator, RequestValidatorId]",
    ] {
        let model = load(&format!(
            r#"Resources:
{FUNCTION}  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {{Name: people}}
  Validator:
    Type: AWS::ApiGateway::RequestValidator
    Properties: {{RestApiId: !Ref Api, ValidateRequestBody: false, ValidateRequestParameters: true}}
  Post:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: POST
      AuthorizationType: NONE
      RequestValidatorId: {form}
      RequestParameters:
        method.request.querystring.myQueryString: true
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Fn.Arn}}/invocations
"#
        ));
        let validation = route(&model, "POST", "/").validation.clone().expect(form);
        assert_eq!(
            validation.required_parameters,
            vec!["method.request.querystring.myQueryString".to_string()],
            "{form}"
        );
    }
}

#[test]
fn sam_request_parameters_without_a_validator_are_not_checked_and_say_so() {
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
        Get:
          Type: Api
          Properties:
            Path: /things
            Method: get
            RequestParameters: [{method.request.querystring.q: {Required: true}}]
"#,
    );
    assert_eq!(route(&model, "GET", "/things").validation, None);
    assert!(
        model
            .warnings
            .iter()
            .any(|w| w.contains("RequestParameters") && w.contains("ValidateParameters")),
        "{:#?}",
        model.warnings
    );
}

#[test]
fn bad_mappings_and_validators_name_file_line_and_property() {
    let bad_template = load_err(&format!(
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
{FUNCTION}  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionBody:
        paths:
          /x:
            get:
              x-amazon-apigateway-integration:
                type: mock
                requestTemplates:
                  application/json: '#if($a) no end'
"#
    ));
    assert!(
        bad_template.starts_with("/app/template.yaml:17:")
            && bad_template.contains("requestTemplates.application/json")
            && bad_template.contains("#if has no #end"),
        "{bad_template}"
    );
    let bad_status = load_err(&format!(
        r#"Resources:
{FUNCTION}  Api:
    Type: AWS::ApiGateway::RestApi
  M:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: GET
      Integration:
        Type: MOCK
        IntegrationResponses:
          - StatusCode: two hundred
"#
    ));
    assert!(
        bad_status.starts_with("/app/template.yaml:16:")
            && bad_status.contains("IntegrationResponses[0].StatusCode")
            && bad_status.contains("not an HTTP status code"),
        "{bad_status}"
    );
    let bad_pattern = load_err(&format!(
        r#"Resources:
{FUNCTION}  Api:
    Type: AWS::ApiGateway::RestApi
  M:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: GET
      Integration:
        Type: MOCK
        IntegrationResponses:
          - StatusCode: 400
            SelectionPattern: '(unclosed'
"#
    ));
    assert!(
        bad_pattern.starts_with("/app/template.yaml:17:")
            && bad_pattern.contains("selection pattern"),
        "{bad_pattern}"
    );
    let bad_handling = load_err(&format!(
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
{FUNCTION}  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionBody:
        paths:
          /x:
            get:
              x-amazon-apigateway-integration:
                type: mock
                contentHandling: CONVERT_TO_BASE64
"#
    ));
    assert!(
        bad_handling.starts_with("/app/template.yaml:16:")
            && bad_handling.contains("x-amazon-apigateway-integration.contentHandling")
            && bad_handling.contains("CONVERT_TO_BASE64")
            && bad_handling.contains("CONVERT_TO_TEXT or CONVERT_TO_BINARY"),
        "{bad_handling}"
    );
    let bad_response_handling = load_err(&format!(
        r#"Resources:
{FUNCTION}  Api:
    Type: AWS::ApiGateway::RestApi
  M:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: GET
      Integration:
        Type: MOCK
        IntegrationResponses:
          - StatusCode: 200
            ContentHandling: binary
"#
    ));
    assert!(
        bad_response_handling.starts_with("/app/template.yaml:17:")
            && bad_response_handling.contains("IntegrationResponses[0].ContentHandling"),
        "{bad_response_handling}"
    );
    let unknown_validator = load_err(&format!(
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
{FUNCTION}  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionBody:
        paths:
          /x:
            get:
              x-amazon-apigateway-request-validator: strict
              x-amazon-apigateway-integration: {{type: aws_proxy, uri: !GetAtt Fn.Arn}}
"#
    ));
    assert!(
        unknown_validator.starts_with("/app/template.yaml:14:")
            && unknown_validator.contains("request validator \"strict\" is not declared"),
        "{unknown_validator}"
    );
    let missing_model = load_err(
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: ./src
      Events:
        Create:
          Type: Api
          Properties:
            Path: /users
            Method: post
            RequestModel: {Model: Usr, ValidateBody: true}
"#,
    );
    assert!(
        missing_model.starts_with("/app/template.yaml:15:")
            && missing_model.contains("model \"Usr\" is not in the API's Models"),
        "{missing_model}"
    );
}

#[test]
fn a_proxy_integration_maps_the_tenant_id_header_from_cloudformation_and_openapi() {
    // serverless-patterns apigw-lambda-tenant-isolation writes the CloudFormation form; the
    // OpenAPI form is the same parameter under x-amazon-apigateway-integration.
    let model = load(&format!(
        "Resources:
{FUNCTION}  Api:
    Type: AWS::ApiGateway::RestApi
  Items:
    Type: AWS::ApiGateway::Resource
    Properties: {{RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: isolated}}
  Get:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Items
      HttpMethod: GET
      AuthorizationType: NONE
      RequestParameters:
        method.request.header.x-tenant-id: true
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Fn.Arn}}/invocations
        RequestParameters:
          integration.request.header.X-Amz-Tenant-Id: method.request.header.x-tenant-id
  Post:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Items
      HttpMethod: POST
      AuthorizationType: NONE
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Fn.Arn}}/invocations
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: [Get, Post]
    Properties: {{RestApiId: !Ref Api, StageName: dev}}
  Doc:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        openapi: '3.0'
        info: {{title: t}}
        paths:
          /tenant/{{tenant}}:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Fn.Arn}}/invocations
                requestParameters:
                  integration.request.header.x-amz-tenant-id: method.request.path.tenant
"
    ));
    assert_eq!(
        route(&model, "GET", "/isolated")
            .tenant_id_parameter
            .as_deref(),
        Some("method.request.header.x-tenant-id")
    );
    assert_eq!(route(&model, "POST", "/isolated").tenant_id_parameter, None);
    assert_eq!(
        route(&model, "GET", "/tenant/{tenant}")
            .tenant_id_parameter
            .as_deref(),
        Some("method.request.path.tenant")
    );
}
