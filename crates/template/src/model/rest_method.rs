//! What a REST API method does besides routing: its integration (Lambda proxy, Lambda custom with
//! mapping templates, MOCK, a DynamoDB action, an HTTP endpoint, mapped or proxied, or a type
//! Sluice does not emulate) and its request validation.

use std::collections::BTreeMap;

/// How a REST route reaches its backend.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Integration {
    /// Lambda proxy (`AWS_PROXY`, every SAM `Api` event): the function gets the proxy event.
    #[default]
    LambdaProxy,
    /// Lambda custom integration (`AWS` with a Lambda URI): the mapped payload in, the integration
    /// responses out.
    Lambda(Mapping),
    /// `MOCK`: no backend; the request template's `statusCode` selects the integration response.
    Mock(Mapping),
    /// A DynamoDB action (`AWS` with `arn:aws:apigateway:<region>:dynamodb:action/<Action>`),
    /// served by Sluice's own DynamoDB: the mapped request is the action's input, and the
    /// service's status code selects the integration response.
    DynamoDb {
        /// The action (`GetItem`, `PutItem`, `Query`…).
        action: String,
        /// Request templates and integration responses.
        mapping: Mapping,
    },
    /// `HTTP` (custom): the mapped request goes to an HTTP endpoint, whose status code selects
    /// the integration response.
    Http {
        /// The integration's `httpMethod` (upper case); `ANY`, or none, sends the request's own.
        method: String,
        /// The endpoint's URL as written: `{name}` placeholders take the
        /// `integration.request.path.name` parameters, `${stageVariables.name}` the stage's.
        uri: String,
        /// Request templates, parameters and integration responses.
        mapping: Mapping,
    },
    /// `HTTP_PROXY`: the client's request passes to an HTTP endpoint and its answer back (HTTP
    /// APIs' `HTTP_PROXY` integrations compile to it too).
    HttpProxy(HttpProxy),
    /// A Lambda proxy whose integration `httpMethod` is not `POST`: API Gateway deploys it, but
    /// Lambda's Invoke action takes `POST` only, so every request fails as INTEGRATION_FAILURE, a
    /// 500 (LocalStack's AWS-validated `test_lambda_aws_proxy_integration_non_post_method`).
    LambdaProxyNotPost {
        /// The integration's `httpMethod` as written, upper case.
        method: String,
    },
    /// A type Sluice does not emulate (AWS services but DynamoDB, `HTTP_PROXY` through a VPC
    /// link): reported at load, answered with 500 at run time.
    Unsupported {
        /// The type as written (`AWS (sqs)`, `HTTP_PROXY over VPC_LINK`).
        kind: String,
    },
}

/// An `HTTP_PROXY` integration of a REST or HTTP API route: the endpoint the client's request is
/// passed to (AWS docs, "HTTP integrations for REST APIs", "Create HTTP proxy integrations for
/// HTTP APIs").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpProxy {
    /// `httpMethod` / `IntegrationHttpMethod` / `IntegrationMethod`, upper case; `ANY` sends the
    /// client's method.
    pub method: String,
    /// The endpoint's URL as written: `{name}` placeholders (REST: the
    /// `integration.request.path.name` parameters; HTTP APIs: the route's path variables, `{proxy}`
    /// for `{proxy+}`) and `${stageVariables.name}` are filled per request.
    pub uri: String,
    /// REST `requestParameters` (`integration.request.header|querystring|path.name` → source),
    /// added to what the client sent. HTTP APIs map parameters with the route's
    /// `RequestParameters` instead, so theirs is empty.
    pub request_parameters: BTreeMap<String, String>,
}

/// The mapping of a non-proxy integration: request templates and integration responses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mapping {
    /// `requestTemplates`: content type (lower case) → VTL template.
    pub request_templates: BTreeMap<String, String>,
    /// `passthroughBehavior` (default `WHEN_NO_MATCH`).
    pub passthrough: Passthrough,
    /// `responses` / `IntegrationResponses`, in template order.
    pub responses: Vec<IntegrationResponse>,
    /// `requestParameters`: `integration.request.header.X` (or `.querystring.` / `.path.`) →
    /// `'literal'`, `method.request.header.x`, `stageVariables.x`, `context.x`, … A Lambda custom
    /// integration reads `X-Amz-Invocation-Type` from it.
    pub request_parameters: BTreeMap<String, String>,
    /// `contentHandling` of the integration request: how the method request's body is converted
    /// before the request template sees it.
    pub content_handling: ContentHandling,
}

/// `contentHandling` of an integration request or response: a conversion between a binary body
/// and its base64 text (AWS docs, "Content type conversions in API Gateway").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContentHandling {
    /// Unset: the body passes as it is (the binary media types still decide, see the docs' table).
    #[default]
    Passthrough,
    /// `CONVERT_TO_TEXT`: a binary body becomes its base64 text.
    ConvertToText,
    /// `CONVERT_TO_BINARY`: a text body is base64-decoded into a binary blob.
    ConvertToBinary,
}

/// What happens to a request whose content type has no template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Passthrough {
    /// The body passes through untransformed when no template matches.
    #[default]
    WhenNoMatch,
    /// The body passes through only when there are no templates at all; else 415.
    WhenNoTemplates,
    /// 415 unless a template matches.
    Never,
}

/// One integration response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IntegrationResponse {
    /// `selectionPattern` (a Java regex matched against a Lambda error message, or a MOCK status
    /// code); `None` for the default response.
    pub selection_pattern: Option<String>,
    /// The method response's status code.
    pub status_code: u16,
    /// `responseTemplates`: content type → VTL template; none means the body passes through.
    pub response_templates: BTreeMap<String, String>,
    /// `responseParameters`: `method.response.header.X` → `'literal'`,
    /// `integration.response.header.x` or `integration.response.body[.path]`.
    pub response_parameters: BTreeMap<String, String>,
    /// `contentHandling` of the integration response: how the mapped body is converted for the
    /// method response.
    pub content_handling: ContentHandling,
}

/// Request validation of one method (`RequestValidator` + models and required parameters).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestValidation {
    /// The body's JSON Schema (draft 4, `$ref`s to other models inlined under `definitions`),
    /// checked when the validator validates bodies.
    pub body_schema: Option<serde_json::Value>,
    /// The content type the schema is for (`application/json`, or `$default` for any); AWS skips
    /// body validation for a request of another content type.
    pub body_content_type: String,
    /// Required request parameters (`method.request.querystring.name`,
    /// `method.request.header.name`, `method.request.path.name`), in template order, checked when
    /// the validator validates parameters.
    pub required_parameters: Vec<String>,
}
