//! Non-proxy REST integrations and request validation, served by the real binary to python
//! handlers (`tests/fixtures/mapping`).

use serde_json::{json, Value};
use sluice_testkit::Server;

use crate::{client, sluice};

fn template() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mapping/template.yaml")
}

/// `START` lines of `function` logged so far.
fn invocations(server: &Server, function: &str) -> usize {
    let needle = format!("[{function}] START RequestId");
    server.logs().iter().filter(|l| l.contains(&needle)).count()
}

#[test]
fn custom_integration_mock_unsupported_and_validation() {
    let server = Server::start(sluice(), &template(), &[]);
    let http = client();

    // Lambda custom integration: mapped request in, mapped response out.
    let response = http
        .post(server.url("/greet?lang=en"))
        .header("content-type", "application/json")
        .body(r#"{"name": "Ann"}"#)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-mapped"], "yes");
    assert_eq!(response.headers()["x-greeting-stage"], "v1");
    let body: Value = response.json().unwrap();
    assert_eq!(
        body,
        json!({"message": "Hello, Ann (en)", "via": "custom integration"})
    );

    // The function's error message selects the 400 response.
    let response = http
        .post(server.url("/greet"))
        .header("content-type", "application/json")
        .body(r#"{"name": "xavier"}"#)
        .send()
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().unwrap();
    assert_eq!(body, json!({"error": "Bad name: xavier"}));

    // WHEN_NO_TEMPLATES with a template defined: another content type is refused.
    let response = http
        .post(server.url("/greet"))
        .header("content-type", "text/plain")
        .body("Ann")
        .send()
        .unwrap();
    assert_eq!(response.status(), 415);
    assert_eq!(
        response.text().unwrap(),
        r#"{"message":"Unsupported Media Type"}"#
    );

    // MOCK: the request template's statusCode selects the response.
    let response = http.get(server.url("/status/200")).send().unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().unwrap();
    assert_eq!(body["mock"], "ok");
    let response = http.get(server.url("/status/404")).send().unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.text().unwrap(), r#"{"mock": "not found"}"#);

    // An HTTP_PROXY through a VPC link is not emulated: reported once at load, 500 at run time.
    let response = http.get(server.url("/pets")).send().unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(
        response.headers()["x-amzn-errortype"],
        "InternalServerErrorException"
    );
    assert_eq!(
        response.text().unwrap(),
        r#"{"message": "Internal server error"}"#
    );
    let reported = server
        .logs()
        .iter()
        .filter(|l| l.contains("HTTP_PROXY over VPC_LINK integrations are not emulated"))
        .count();
    assert_eq!(reported, 1, "{:#?}", server.logs());

    // Request validation: 400 without invoking the function.
    for (uri, body, expected) in [
        (
            "/users",
            r#"{"name": "Bo"}"#,
            r#"{"message":"Missing required request parameters: [team]"}"#,
        ),
        (
            "/users?team=core",
            r#"{"age": 3}"#,
            r#"{"message":"Invalid request body"}"#,
        ),
        (
            "/users?team=core",
            r#"{"name": "Bo", "age": -1}"#,
            r#"{"message":"Invalid request body"}"#,
        ),
    ] {
        let response = http
            .post(server.url(uri))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .unwrap();
        assert_eq!(response.status(), 400, "{uri} {body}");
        assert_eq!(
            response.headers()["x-amzn-errortype"],
            "BadRequestException"
        );
        assert_eq!(response.text().unwrap(), expected);
    }
    let response = http
        .post(server.url("/users?team=core"))
        .header("content-type", "application/json")
        .body(r#"{"name": "Bo", "age": 3}"#)
        .send()
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().unwrap();
    assert_eq!(body, json!({"created": "Bo"}));
    // Logs arrive in order: once the valid request's END is in, any START of the refused ones
    // would be too.
    assert!(server
        .wait_for_log("[UsersFunction] END RequestId")
        .is_some());
    assert_eq!(invocations(&server, "UsersFunction"), 1);
    assert_eq!(invocations(&server, "GreetFunction"), 2);
}

/// A REST API whose required query parameter is declared on the path item, through a `$ref`.
const PATH_ITEM_PARAMETERS: &str = r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionBody:
        openapi: 3.0.1
        info: {title: teams, version: '1'}
        x-amazon-apigateway-request-validators:
          params: {validateRequestBody: false, validateRequestParameters: true}
        x-amazon-apigateway-request-validator: params
        paths:
          /members:
            parameters:
              - $ref: '#/components/parameters/Team'
            get:
              x-amazon-apigateway-integration:
                type: mock
                requestTemplates:
                  application/json: '{"statusCode": 200}'
                responses:
                  default:
                    statusCode: '200'
                    responseTemplates:
                      application/json: '{"team": "$input.params(''team'')"}'
        components:
          parameters:
            Team: {name: team, in: query, required: true, schema: {type: string}}
"#;

#[test]
fn a_required_parameter_declared_on_the_path_item_by_ref_is_enforced() {
    let dir = sluice_testkit::fresh_dir("path-item-parameters");
    std::fs::write(dir.join("template.yaml"), PATH_ITEM_PARAMETERS).unwrap();
    let server = Server::start(sluice(), &dir.join("template.yaml"), &[]);
    let http = client();
    let response = http.get(server.url("/members")).send().unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()["x-amzn-errortype"],
        "BadRequestException"
    );
    assert_eq!(
        response.text().unwrap(),
        r#"{"message":"Missing required request parameters: [team]"}"#
    );
    let response = http.get(server.url("/members?team=core")).send().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().unwrap(), r#"{"team": "core"}"#);
}

#[test]
fn customized_gateway_responses_set_status_headers_and_body() {
    let dir = sluice_testkit::fresh_dir("gateway-responses");
    std::fs::write(
        dir.join("template.yaml"),
        format!(
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
              X-Origin: method.request.header.Origin
        BAD_REQUEST_BODY:
          StatusCode: 422
          ResponseTemplates:
            application/json: '{{\"error\": $context.error.messageString, \"type\": \"$context.error.responseType\", \"detail\": \"$context.error.validationErrorString\"}}'
      Models:
        User: {{type: object, required: [name]}}
  UsersFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {}
      Handler: app.create_user
      Runtime: python3.12
      Events:
        Create:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /users
            Method: post
            RequestModel: {{Model: User, Required: true, ValidateBody: true}}
",
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/mapping/src")
                .display()
        ),
    )
    .unwrap();
    let server = Server::start(sluice(), &dir.join("template.yaml"), &[]);
    let http = client();
    // An unknown route: the 403 keeps its body and gains DEFAULT_4XX's headers, one of them
    // mapped from the request.
    let response = http
        .get(server.url("/nope"))
        .header("origin", "https://app.example.com")
        .send()
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert_eq!(response.headers()["x-origin"], "https://app.example.com");
    assert_eq!(
        response.text().unwrap(),
        r#"{"message":"Missing Authentication Token"}"#
    );
    // A repeated request header maps its last value, as `method.request.header` reads it on AWS.
    let response = http
        .get(server.url("/nope"))
        .header("origin", "https://first.example.com")
        .header("origin", "https://last.example.com")
        .send()
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(response.headers()["x-origin"], "https://last.example.com");
    // A body the model refuses: BAD_REQUEST_BODY's own status and template; a customized type
    // does not take DEFAULT_4XX's settings (AWS: only an unspecified type defaults to it).
    let response = http
        .post(server.url("/users"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .unwrap();
    assert_eq!(response.status(), 422);
    assert!(!response
        .headers()
        .contains_key("access-control-allow-origin"));
    // `validationErrorString` lists the violations, quotes escaped, in the words AWS answers
    // with (recorded: `[object has missing required properties ([\"schedule\",\"team\"])]`).
    assert_eq!(
        response.text().unwrap(),
        r#"{"error": "Invalid request body", "type": "BAD_REQUEST_BODY", "detail": "[object has missing required properties ([\"name\"])]"}"#
    );
    let response = http
        .post(server.url("/users"))
        .header("content-type", "application/json")
        .body("not json")
        .send()
        .unwrap();
    assert_eq!(response.status(), 422);
    assert_eq!(
        response.text().unwrap(),
        r#"{"error": "Invalid request body", "type": "BAD_REQUEST_BODY", "detail": "[Unknown error parsing request body]"}"#
    );
}

/// A REST API whose methods call DynamoDB actions directly (no function), with the mapping
/// templates such APIs use: the table comes from `!Sub`, the key from the path.
const DYNAMODB_ACTIONS: &str = r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Notes:
    Type: AWS::Serverless::SimpleTable
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionBody:
        openapi: 3.0.1
        info: {title: notes, version: '1'}
        paths:
          /notes/{id}:
            put:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:dynamodb:action/PutItem
                passthroughBehavior: when_no_templates
                requestTemplates:
                  application/json: !Sub |
                    {"TableName": "${Notes}",
                     "Item": {"id": {"S": "$input.params('id')"}, "text": {"S": $input.json('$.text')}}}
                responses:
                  default:
                    statusCode: 201
                    responseTemplates:
                      application/json: '{"saved": "$input.params(''id'')"}'
            get:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:dynamodb:action/GetItem
                requestTemplates:
                  application/json: !Sub '{"TableName": "${Notes}", "Key": {"id": {"S": "$input.params(''id'')"}}}'
                responses:
                  default:
                    statusCode: 200
                    responseParameters:
                      method.response.header.cache-timestamp: integration.response.header.Date
                      method.response.header.X-Length: integration.response.header.content-length
                    responseTemplates:
                      application/json: '{"text": "$input.path(''$.Item.text.S'')"}'
          /broken:
            get:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:dynamodb:action/GetItem
                requestTemplates:
                  application/json: '{"TableName": "no-such-table", "Key": {"id": {"S": "1"}}}'
                responses:
                  default:
                    statusCode: 200
                  '4\d{2}':
                    statusCode: 400
                    responseTemplates:
                      application/json: '{"failed": "$input.path(''$.__type'')"}'
"#;

#[test]
fn dynamodb_actions_run_against_the_store_handlers_use() {
    let dir = sluice_testkit::fresh_dir("dynamodb-actions");
    std::fs::write(dir.join("template.yaml"), DYNAMODB_ACTIONS).unwrap();
    let server = Server::start(sluice(), &dir.join("template.yaml"), &[]);
    let http = client();
    let response = http
        .put(server.url("/notes/n1"))
        .header("content-type", "application/json")
        .body(r#"{"text": "buy milk"}"#)
        .send()
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.text().unwrap(), r#"{"saved": "n1"}"#);
    let response = http.get(server.url("/notes/n1")).send().unwrap();
    assert_eq!(response.status(), 200);
    // DynamoDB's own response headers map (its `Date`, as
    // aws-samples/serverless-patterns apigw-cache-invalidation-eventbridge maps it).
    let date = response.headers()["cache-timestamp"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        date.len() == 29 && date.ends_with(" GMT") && date.as_bytes()[3] == b',',
        "{date}"
    );
    let length: usize = response.headers()["x-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(response.text().unwrap(), r#"{"text": "buy milk"}"#);
    // The length of DynamoDB's own body, not of the mapped answer:
    // {"Item":{"id":{"S":"n1"},"text":{"S":"buy milk"}}} in any attribute order.
    assert_eq!(length, 50);

    // The same table an SDK reaches through the services endpoint.
    let item: Value = http
        .post(format!("{}/", server.services_url))
        .header("X-Amz-Target", "DynamoDB_20120810.GetItem")
        .header("Content-Type", "application/x-amz-json-1.0")
        .body(r#"{"TableName": "Notes", "Key": {"id": {"S": "n1"}}}"#)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(item["Item"]["text"]["S"], "buy milk");

    // DynamoDB's error is the integration's answer: its 400 selects the 4\d{2} response.
    let response = http.get(server.url("/broken")).send().unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.text().unwrap(),
        r#"{"failed": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"}"#
    );
}

/// The first bytes of a PNG: its signature and IHDR chunk (`\x89` alone is not UTF-8, so any
/// lossy text step on the way would show).
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89";
/// [`PNG`] in base64.
const PNG_BASE64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ";

/// Non-proxy methods converting binary payloads as `contentHandling` and the binary media types
/// say (AWS docs, "Content type conversions in API Gateway").
const CONTENT_HANDLING: &str = r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Upload:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        def handler(event, context):
            return {"received": event}
  Picture:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        def handler(event, context):
            return "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ"
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      BinaryMediaTypes: [image~1png]
      DefinitionBody:
        openapi: '3.0.1'
        info: {title: images, version: '1'}
        paths:
          /upload:
            post:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Upload.Arn}/invocations
                contentHandling: CONVERT_TO_TEXT
                requestTemplates:
                  image/png: '{"image": "$input.body", "type": "$input.params(''Content-Type'')"}'
                responses:
                  default: {statusCode: 200}
          /upload-unconverted:
            post:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Upload.Arn}/invocations
                requestTemplates:
                  image/png: '{"image": "$input.body"}'
                responses:
                  default: {statusCode: 200}
          /picture:
            get:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Picture.Arn}/invocations
                responses:
                  default:
                    statusCode: 200
                    contentHandling: CONVERT_TO_BINARY
                    responseParameters:
                      method.response.header.Content-Type: "'image/png'"
          /picture-as-accepted:
            get:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Picture.Arn}/invocations
                responses:
                  default: {statusCode: 200}
          /pixel:
            get:
              x-amazon-apigateway-integration:
                type: mock
                requestTemplates:
                  application/json: '{"statusCode": 200}'
                responses:
                  default:
                    statusCode: 200
                    contentHandling: CONVERT_TO_BINARY
                    responseParameters:
                      method.response.header.Content-Type: "'image/png'"
                    responseTemplates:
                      application/json: iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ
"#;

#[test]
fn content_handling_converts_binary_payloads_both_ways() {
    use base64::Engine as _;
    assert_eq!(
        base64::engine::general_purpose::STANDARD.encode(PNG),
        PNG_BASE64
    );
    let dir = sluice_testkit::fresh_dir("content-handling");
    std::fs::write(dir.join("template.yaml"), CONTENT_HANDLING).unwrap();
    let server = Server::start(sluice(), &dir.join("template.yaml"), &[]);
    let http = client();

    // CONVERT_TO_TEXT: the PNG's bytes reach the request template, and so the function, as
    // base64 in `$input.body`.
    let response = http
        .post(server.url("/upload"))
        .header("content-type", "image/png")
        .body(PNG)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().unwrap();
    assert_eq!(
        body,
        json!({"received": {"image": PNG_BASE64, "type": "image/png"}})
    );

    // No contentHandling: a binary body cannot be transformed by a template (AWS's 500
    // "Unable to transform request"); the function is not invoked.
    let response = http
        .post(server.url("/upload-unconverted"))
        .header("content-type", "image/png")
        .body(PNG)
        .send()
        .unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(
        response.text().unwrap(),
        r#"{"message": "Internal server error"}"#
    );

    // CONVERT_TO_BINARY: the function's base64 answer (a JSON string) reaches the client as the
    // raw bytes, whatever it accepts.
    for accept in ["application/json", "image/png"] {
        let response = http
            .get(server.url("/picture"))
            .header("accept", accept)
            .send()
            .unwrap();
        assert_eq!(response.status(), 200, "{accept}");
        assert_eq!(response.headers()["content-type"], "image/png");
        assert_eq!(response.bytes().unwrap().as_ref(), PNG, "{accept}");
    }

    // Unset: decoded only for a client whose first Accept type is a binary media type.
    let response = http
        .get(server.url("/picture-as-accepted"))
        .header("accept", "image/png")
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().unwrap().as_ref(), PNG);
    let response = http
        .get(server.url("/picture-as-accepted"))
        .header("accept", "application/json")
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().unwrap(), format!("\"{PNG_BASE64}\""));

    // MOCK: the response template writes the base64, CONVERT_TO_BINARY sends the bytes.
    let response = http.get(server.url("/pixel")).send().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    assert_eq!(response.bytes().unwrap().as_ref(), PNG);

    // Logs arrive in order: once the last invocation's END is in, a START of the refused
    // upload would be too.
    assert!(server.wait_for_log("[Picture] END RequestId").is_some());
    assert_eq!(invocations(&server, "Upload"), 1);
}

/// A Lambda custom integration whose response template turns the proxy-shaped answer into XML,
/// escaping a value one tag lacks (serverless-patterns apigw-lambda-json-xml-vtl-transformation).
const XML_RESPONSE: &str = r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Pets:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        import json
        def handler(event, context):
            tags = [{"name": "doggie"}, {"name": "photo", "value": "a/b"}]
            return {"statusCode": 200, "body": json.dumps({"tags": tags})}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionBody:
        swagger: '2.0'
        info: {title: xml, version: '1'}
        paths:
          /details:
            get:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Pets.Arn}/invocations
                responses:
                  default:
                    statusCode: '200'
                    responseTemplates:
                      application/json: |
                        #set($body = $util.parseJson($input.path('$').body))
                        <tags>#foreach($tag in $body.tags)<tag name="$tag.name">$util.escapeJavaScript($tag.value)</tag>#end</tags>
"#;

#[test]
fn an_absent_value_escapes_to_nothing_in_a_response_template() {
    let dir = sluice_testkit::fresh_dir("xml-response");
    std::fs::write(dir.join("template.yaml"), XML_RESPONSE).unwrap();
    let server = Server::start(sluice(), &dir.join("template.yaml"), &[]);
    let response = client().get(server.url("/details")).send().unwrap();
    assert_eq!(response.status(), 200);
    // Commons Lang's escapeJavaScript(null) is null, which renders as nothing: not `null`.
    assert_eq!(
        response.text().unwrap(),
        "<tags><tag name=\"doggie\"></tag><tag name=\"photo\">a\\/b</tag></tags>\n"
    );
}

/// serverless-patterns apigw-lambda-authorizer-custom-header: a TOKEN authorizer's context
/// becomes a header the request template adds, on the way to an `http` integration's endpoint
/// (httpbin there; [`Echo`] here).
const HTTP_INTEGRATION: &str = r#"Transform: AWS::Serverless-2016-10-31
Parameters:
  Backend:
    Type: String
Resources:
  Authorizer:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        def handler(event, context):
            effect = "Allow" if event["authorizationToken"] == "allow" else "Deny"
            # The whole API: the policy is cached for the token, whatever path comes next.
            api = event["methodArn"].split("/")[0]
            statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": api + "/*"}
            return {"principalId": "user", "context": {"enrichment": "from the authorizer"},
                    "policyDocument": {"Version": "2012-10-17", "Statement": [statement]}}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Auth:
        DefaultAuthorizer: Token
        Authorizers:
          Token:
            FunctionArn: !GetAtt Authorizer.Arn
            Identity: {Header: AuthorizationToken}
      DefinitionBody:
        swagger: '2.0'
        paths:
          /items/{id}:
            get:
              x-amazon-apigateway-integration:
                type: http
                httpMethod: GET
                uri: !Sub ${Backend}/items/{id}
                passthroughBehavior: when_no_templates
                requestParameters:
                  integration.request.path.id: method.request.path.id
                requestTemplates:
                  application/json: |
                    #set($context.requestOverride.header.enrichmentHeader = "$context.authorizer.enrichment")
                responses:
                  default:
                    statusCode: '200'
                    responseParameters:
                      method.response.header.X-Backend: integration.response.header.X-Backend
                  '404':
                    statusCode: '404'
                    responseTemplates:
                      application/json: '{"missing": "$input.params(''id'')"}'
"#;

/// An HTTP endpoint on 127.0.0.1 that answers each request with its method, path and headers as
/// JSON (404 for `/items/gone`) and an `X-Backend` header, one connection at a time.
struct Echo {
    port: u16,
}

impl Echo {
    fn start() -> Echo {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding the echo port");
        let port = listener.local_addr().expect("the echo address").port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(&stream);
                let mut head = String::new();
                let _ = reader.read_line(&mut head);
                let mut headers = serde_json::Map::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                        break;
                    }
                    if let Some((name, value)) = line.trim_end().split_once(':') {
                        headers.insert(name.to_ascii_lowercase(), json!(value.trim()));
                    }
                }
                let mut parts = head.split_whitespace();
                let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                let status = if path == "/items/gone" {
                    "404 Not Found"
                } else {
                    "200 OK"
                };
                let body = json!({"method": method, "path": path, "headers": headers}).to_string();
                let _ = write!(
                    &stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nX-Backend: echo\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Echo { port }
    }
}

#[test]
fn an_http_integration_calls_its_endpoint_with_the_mapped_request() {
    let echo = Echo::start();
    let dir = sluice_testkit::fresh_dir("http-integration");
    std::fs::write(dir.join("template.yaml"), HTTP_INTEGRATION).unwrap();
    let backend = format!("Backend=http://127.0.0.1:{}", echo.port);
    let server = Server::start(
        sluice(),
        &dir.join("template.yaml"),
        &["--parameter-overrides", &backend],
    );
    let http = client();

    let response = http
        .get(server.url("/items/7"))
        .header("AuthorizationToken", "allow")
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-backend"], "echo");
    let seen: Value = response.json().unwrap();
    assert_eq!(seen["method"], "GET");
    assert_eq!(seen["path"], "/items/7");
    assert_eq!(seen["headers"]["enrichmentheader"], "from the authorizer");
    assert_eq!(seen["headers"]["accept"], "application/json");
    assert!(
        seen["headers"]["user-agent"]
            .as_str()
            .is_some_and(|ua| ua.starts_with("AmazonAPIGateway_")),
        "{seen}"
    );
    assert!(seen["headers"]["x-amzn-trace-id"].is_string(), "{seen}");
    // The client's own headers are not forwarded unless mapped.
    assert!(
        seen["headers"].get("authorizationtoken").is_none(),
        "{seen}"
    );

    // The endpoint's 404 selects the 404 response.
    let response = http
        .get(server.url("/items/gone"))
        .header("AuthorizationToken", "allow")
        .send()
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.text().unwrap(), r#"{"missing": "gone"}"#);

    // The authorizer still decides first.
    let response = http
        .get(server.url("/items/7"))
        .header("AuthorizationToken", "deny")
        .send()
        .unwrap();
    assert_eq!(response.status(), 403);
}
