//! The compiled application: what the rest of Sluice needs from a SAM template, fully resolved.
//!
//! Every intrinsic (`!Ref`, `!Sub`, …), parameter, condition and `Globals` entry has been applied by
//! the time a `Model` exists; consumers never see raw template values.

mod http;
mod parameter_mapping;
mod resource_policy;
mod rest_method;
mod streams;

pub use http::{
    Cors, FunctionUrl, FunctionUrlAuth, HttpApi, HttpIntegration, HttpRoute, InvokeMode,
    PayloadFormat, DEFAULT_ROUTE, DEFAULT_STAGE,
};
pub use parameter_mapping::{
    MapAction, MapTarget, MappingValue, ParameterMap, ParameterMapping, ResponseMapping, ValuePart,
};
pub use resource_policy::{
    CidrBlock, Comparison, Condition, ConditionOperator, Effect, PolicyStatement, Principals,
    ResourcePolicy, SetQualifier,
};
pub use streams::{StartingPosition, StreamMapping};

pub use rest_method::{
    ContentHandling, HttpProxy, Integration, IntegrationResponse, Mapping, Passthrough,
    RequestValidation,
};

use std::collections::BTreeMap;
use std::path::PathBuf;

/// A loaded template: its functions, REST APIs and the warnings found while loading.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model {
    /// The template file this model came from (absolute).
    pub template_path: PathBuf,
    /// `AWS::Serverless::Function` resources, in template order.
    pub functions: Vec<Function>,
    /// REST APIs (payload 1.0): explicit `AWS::Serverless::Api` resources and the implicit
    /// `ServerlessRestApi` that SAM creates for events without a `RestApiId`.
    pub rest_apis: Vec<RestApi>,
    /// HTTP APIs (payload 2.0 or 1.0): explicit `AWS::Serverless::HttpApi` resources and the
    /// implicit `ServerlessHttpApi` for `HttpApi` events without an `ApiId`.
    pub http_apis: Vec<HttpApi>,
    /// Functions with a `FunctionUrlConfig`, in template order.
    pub function_urls: Vec<FunctionUrl>,
    /// DynamoDB tables (`AWS::Serverless::SimpleTable`, `AWS::DynamoDB::Table`), in template order.
    pub tables: Vec<Table>,
    /// Functions fed by DynamoDB streams (`Type: DynamoDB` events, `AWS::Lambda::EventSourceMapping`).
    pub stream_mappings: Vec<StreamMapping>,
    /// One line per thing Sluice carries but does not emulate (resource types, properties).
    pub warnings: Vec<String>,
    /// Authorizers, user pools, API keys, usage plans and method settings.
    pub auth: crate::auth_model::AuthModel,
    /// The APIs whose stage writes an access log (`AccessLogSetting(s)`), one entry per API.
    pub access_logs: Vec<StageAccessLog>,
    /// `Outputs` values, evaluated for nested stacks only (their parent reads them); empty for
    /// the template Sluice was started with.
    pub outputs: BTreeMap<String, String>,
    /// The local layers this template and its nested stacks define, by the ARN `Ref` gives each:
    /// a stack passes a layer to another as that ARN (a parameter, a nested stack's output).
    pub layers: BTreeMap<String, LocalLayer>,
}

/// A layer whose content is on this machine (a local `ContentUri`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalLayer {
    /// Its folder (or `.zip`): what Lambda would unpack into `/opt`, unbuilt.
    pub folder: PathBuf,
    /// How `sluice build` builds it, when it has a `Metadata.BuildMethod` Sluice runs.
    pub build: Option<LayerBuild>,
}

/// One DynamoDB table the template declares; created at startup if missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The resource's logical id.
    pub logical_id: String,
    /// `TableName`, else the logical id (what `!Ref` gives locally).
    pub name: String,
    /// The table's definition (keys, indexes, billing, stream, TTL, tags), built from the resource's
    /// properties; its `name` is [`Table::name`].
    pub spec: sluice_table_spec::TableSpec,
}

/// A local layer with a `Metadata.BuildMethod`: `sam build` builds it into the folder Lambda
/// unpacks into `/opt` (its runtime's subfolder, `python/` or `nodejs/`, or what a makefile
/// writes), and so does `sluice build`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerBuild {
    /// The layer's logical id (its build folder's name, `make build-<id>`).
    pub logical_id: String,
    /// Its `ContentUri` folder, as it appears in the functions' `layers`.
    pub content: PathBuf,
    /// `Metadata.BuildMethod`: a runtime (`nodejs20.x`, `python3.12`) or `makefile`.
    pub build_method: String,
}

/// One Lambda function.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// The resource's logical id (`HelloFunction`).
    pub logical_id: String,
    /// `FunctionName`, else the logical id (AWS would generate `<stack>-<logicalId>-<suffix>`; a
    /// stable local name is more useful and still unique).
    pub name: String,
    /// `Runtime`, e.g. `python3.12`, `nodejs20.x`, `provided.al2023`.
    pub runtime: String,
    /// `Handler`; empty for `provided*` runtimes that do not need one.
    pub handler: String,
    /// Where the code lives: `CodeUri` resolved against the template's folder, or a folder Sluice wrote
    /// `InlineCode` into.
    pub code: Code,
    /// `MemorySize` in MB (default 128).
    pub memory_mb: u32,
    /// `Timeout` in seconds (default 3).
    pub timeout_secs: u32,
    /// `Environment.Variables`, resolved to strings.
    pub environment: BTreeMap<String, String>,
    /// `ReservedConcurrentExecutions`, if set.
    pub reserved_concurrency: Option<u32>,
    /// `Architectures` (default `["x86_64"]`).
    pub architectures: Vec<String>,
    /// `LoggingConfig.SystemLogLevel` (`DEBUG`, `INFO`, `WARN`), if set: the least severe of
    /// Lambda's own records that reach CloudWatch Logs when the log format is JSON.
    pub system_log_level: Option<String>,
    /// `Metadata.BuildMethod` (e.g. `rust-cargolambda`), used to find a built `bootstrap`.
    pub build_method: Option<String>,
    /// `Metadata.BuildProperties`, resolved (what `BuildMethod: esbuild` bundles with); `Null`
    /// when absent.
    pub build_properties: serde_json::Value,
    /// `AutoPublishAlias`: the alias name (`live`) under which the function can also be invoked.
    pub alias: Option<String>,
    /// `ProvisionedConcurrencyConfig.ProvisionedConcurrentExecutions`: sandboxes kept initialised
    /// ahead of any invocation (SAM allows it only with `AutoPublishAlias`).
    pub provisioned_concurrency: Option<u32>,
    /// The folders of the function's local layers (`Layers` naming `LayerVersion`s of this
    /// template), in `Layers` order: what Lambda would unpack into `/opt`.
    pub layers: Vec<PathBuf>,
    /// Those of `layers` that `sam build` builds (`Metadata.BuildMethod`), which Sluice builds
    /// too: each names its folder as it appears in `layers`.
    pub layer_builds: Vec<LayerBuild>,
    /// Where `CodeUri` was written (the resource when it is absent), for errors about the code.
    pub code_uri_source: Source,
    /// Where `Handler` was written (the resource when it is absent), for errors about the module.
    pub handler_source: Source,
    /// Where `Runtime` was written (the resource when it is absent), for a runtime Sluice cannot run.
    pub runtime_source: Source,
    /// `EventInvokeConfig` (or an `AWS::Lambda::EventInvokeConfig` naming the function): how
    /// asynchronous invocations are retried and where their records go.
    pub event_invoke: EventInvoke,
    /// `TenancyConfig.TenantIsolationMode: PER_TENANT`: every invocation names a tenant and runs
    /// in an execution environment of that tenant's only.
    pub tenant_isolation: bool,
}

/// A function's asynchronous invocation settings; `None` fields keep Lambda's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventInvoke {
    /// `MaximumRetryAttempts` (0–2).
    pub maximum_retry_attempts: Option<u32>,
    /// `MaximumEventAgeInSeconds` (60–21600).
    pub maximum_event_age_secs: Option<u32>,
    /// `DestinationConfig.OnSuccess`.
    pub on_success: Option<Destination>,
    /// `DestinationConfig.OnFailure`.
    pub on_failure: Option<Destination>,
}

/// Where asynchronous invocation records go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// `Lambda`, `SQS`, `SNS`, `EventBridge` or `S3` (SAM's `Type`, else read from the ARN).
    pub kind: String,
    /// The ARN (or a function's name), resolved; `None` when SAM creates the queue or topic.
    pub target: Option<String>,
    /// Where it was written.
    pub source: Source,
}

/// Where a property was written, so a problem found after loading (a `CodeUri` folder that does
/// not exist) is reported like a template error: `file:line:col: property: message`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Source {
    /// The template file, as named when loading.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// Dotted property path (`Resources.Fn.Properties.CodeUri`).
    pub property: String,
}

impl Source {
    /// A template error at this place.
    pub fn error(&self, message: impl Into<String>, hint: Option<String>) -> crate::TemplateError {
        crate::TemplateError::Invalid {
            file: self.file.clone(),
            line: self.line,
            col: self.col,
            property: self.property.clone(),
            message: message.into(),
            hint,
        }
    }

    /// A startup warning about this place: `file:line:col: property: message`.
    pub fn warning(&self, message: impl std::fmt::Display) -> String {
        format!(
            "{}:{}:{}: {}: {message}",
            self.file.display(),
            self.line,
            self.col,
            self.property
        )
    }
}

/// Where a function's code comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Code {
    /// A folder on disk (`CodeUri`), absolute.
    Dir(PathBuf),
    /// `InlineCode` source text; the lambda layer writes it to a file named for the runtime.
    Inline(String),
}

/// One REST API (API Gateway v1, payload 1.0) and its stage.
#[derive(Debug, Clone, PartialEq)]
pub struct RestApi {
    /// The logical id (`ServerlessRestApi` for the implicit API).
    pub logical_id: String,
    /// `StageName` (`Prod` for the implicit API).
    pub stage_name: String,
    /// `Variables`: stage variables, resolved to strings.
    pub stage_variables: BTreeMap<String, String>,
    /// `BinaryMediaTypes`, with SAM's `~1` unescaped to `/` (`image/png`, `*/*`).
    pub binary_media_types: Vec<String>,
    /// Every `Type: Api` event that targets this API.
    pub routes: Vec<Route>,
    /// `Cors`: SAM generates an `OPTIONS` preflight (MOCK) method on every path.
    pub cors: Option<Cors>,
    /// Customized gateway responses (`GatewayResponses`, the document's
    /// `x-amazon-apigateway-gateway-responses`, `AWS::ApiGateway::GatewayResponse`).
    pub gateway_responses: Vec<GatewayResponse>,
    /// The resource policy (`Policy`, `x-amazon-apigateway-policy`, SAM's `Auth.ResourcePolicy`
    /// and events' `Auth.ResourcePolicy`, merged as SAM merges them); `None`: no policy, open.
    pub resource_policy: Option<ResourcePolicy>,
}

/// A stage's access logging: one line per request, in `format`, to the log group `log_group`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageAccessLog {
    /// The logical id of the API (REST or HTTP) whose served stage logs.
    pub api: String,
    /// The CloudWatch Logs group `DestinationArn` names.
    pub log_group: String,
    /// `Format`: the line, with `$context.*` variables to substitute (final newline dropped).
    pub format: String,
}

/// One customized gateway response: what API Gateway answers for its own errors of a type.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GatewayResponse {
    /// The response type (`DEFAULT_4XX`, `UNAUTHORIZED`, `BAD_REQUEST_BODY`, …).
    pub response_type: String,
    /// `StatusCode`, when it replaces the type's.
    pub status_code: Option<u16>,
    /// Response headers and their literal values (SAM's quotes removed).
    pub headers: Vec<(String, String)>,
    /// Response headers whose value is mapped from the request: `method.request.header.Name`,
    /// `method.request.querystring.name`, `method.request.path.name` or `stageVariables.name`.
    pub mapped_headers: Vec<(String, String)>,
    /// `ResponseTemplates`: content type → mapping template for the body.
    pub templates: BTreeMap<String, String>,
}

/// One route: a method on a resource path and its integration (a function, unless MOCK).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Route {
    /// Upper-case HTTP method, or `ANY`.
    pub method: String,
    /// The resource path as written in the template (`/items/{id}`, `/{proxy+}`).
    pub path: String,
    /// Logical id of the function the event belongs to (empty for MOCK and unsupported types).
    pub function: String,
    /// The event's name in `Events` (`GetItems`), for messages.
    pub event_name: String,
    /// How the method reaches the function (Lambda proxy for every SAM `Api` event).
    pub integration: Integration,
    /// Request validation, when a validator applies to the method.
    pub validation: Option<RequestValidation>,
    /// The method's `OperationName` (OpenAPI `operationId`): `requestContext.operationName`.
    pub operation_name: Option<String>,
    /// `ResponseTransferMode: STREAM` (a Lambda proxy only): the function is invoked with
    /// `InvokeWithResponseStream` and its answer relayed as it writes it.
    pub streams: bool,
    /// The integration's `TimeoutInMillis`; `None` → API Gateway's default (29 s).
    pub timeout_ms: Option<u32>,
    /// The integration's declared cache key parameters (`method.request.querystring.type`, …):
    /// with the stage cache on, their values join method and path in the cache key.
    pub cache_key_parameters: Vec<String>,
    /// A Lambda proxy's `integration.request.header.X-Amz-Tenant-Id` request parameter
    /// (`method.request.header.x-tenant-id`, `'literal'`, …): the tenant a tenant-isolated
    /// function is invoked for.
    pub tenant_id_parameter: Option<String>,
    /// The version or alias the integration invokes (`live`, `1`): the one its URI names, the
    /// function's `AutoPublishAlias` alias for a SAM event; `None`: the unqualified function,
    /// which Lambda runs as `$LATEST`.
    pub qualifier: Option<String>,
}

impl Route {
    /// What the route reaches, for route tables: the function, `MOCK`, a DynamoDB action, an HTTP
    /// endpoint (mapped or proxied), or the unsupported type.
    pub fn target(&self) -> String {
        match &self.integration {
            Integration::LambdaProxy => self.function.clone(),
            Integration::Lambda(_) => format!("{} (custom integration)", self.function),
            Integration::Mock(_) => "MOCK".to_owned(),
            Integration::DynamoDb { action, .. } => format!("DynamoDB {action}"),
            Integration::Http { method, uri, .. } => format!("HTTP {method} {uri}"),
            Integration::HttpProxy(proxy) => format!("HTTP_PROXY {} {}", proxy.method, proxy.uri),
            Integration::LambdaProxyNotPost { method } => {
                format!("{} (integration httpMethod {method}: 500)", self.function)
            }
            Integration::Unsupported { kind } => format!("{kind} (not emulated: 500)"),
        }
    }
}

impl Model {
    /// The function with this logical id (a nested stack's as `Child/Id`) or `FunctionName`; else,
    /// as SAM CLI resolves a bare logical id, the nested function with that id in the stack
    /// nearest the root (the first listed when two are as near).
    pub fn function(&self, name: &str) -> Option<&Function> {
        self.functions
            .iter()
            .find(|f| f.logical_id == name)
            .or_else(|| self.functions.iter().find(|f| f.name == name))
            .or_else(|| {
                self.functions
                    .iter()
                    .filter(|f| f.logical_id.rsplit('/').next() == Some(name))
                    .min_by_key(|f| f.logical_id.matches('/').count())
            })
    }

    /// Other names a local caller may invoke `function` by, besides its function name: its
    /// logical id, and a nested function's bare logical id when that resolves to it (SAM CLI's
    /// `start-lambda` takes them; Lambda itself knows only the name).
    pub fn local_names(&self, function: &Function) -> Vec<String> {
        let mut names = vec![function.logical_id.clone()];
        if let Some((_, bare)) = function.logical_id.rsplit_once('/') {
            names.push(bare.to_owned());
        }
        names.retain(|id| {
            *id != function.name
                && self
                    .function(id)
                    .is_some_and(|f| f.logical_id == function.logical_id)
        });
        names
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::{load_str, LoadOptions};

    const FN: &str = "    Type: AWS::Serverless::Function
    Properties: {Handler: app.handler, Runtime: python3.12}";

    #[test]
    fn a_bare_logical_id_finds_the_nested_function_nearest_the_root() {
        let yaml = format!("Resources:\n  Deep:\n{FN}\n  Near:\n{FN}\n  Named:\n{FN}\n");
        let mut model = load_str(
            &yaml,
            Path::new("/app/template.yaml"),
            &LoadOptions::default(),
        )
        .expect("loads");
        // As `nested::merge` names a grandchild's and a child's functions.
        model.functions[0].logical_id = "App/Inner/Fn".into();
        model.functions[0].name = "App/Inner/Fn".into();
        model.functions[1].logical_id = "App/Fn".into();
        model.functions[1].name = "App/Fn".into();
        model.functions[2].logical_id = "App/Named".into();
        model.functions[2].name = "custom".into();
        let found = |id: &str| model.function(id).map(|f| f.logical_id.as_str());
        assert_eq!(found("Fn"), Some("App/Fn"));
        assert_eq!(found("App/Inner/Fn"), Some("App/Inner/Fn"));
        assert_eq!(found("Named"), Some("App/Named"));
        assert_eq!(found("custom"), Some("App/Named"));
        assert_eq!(found("Missing"), None);
        assert_eq!(model.local_names(&model.functions[0]), Vec::<String>::new());
        assert_eq!(model.local_names(&model.functions[1]), ["Fn"]);
        assert_eq!(
            model.local_names(&model.functions[2]),
            ["App/Named", "Named"]
        );
    }
}
