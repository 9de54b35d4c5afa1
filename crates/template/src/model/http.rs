//! HTTP APIs (API Gateway v2), Function URLs and CORS settings, as the model carries them.

use std::collections::BTreeMap;

/// The stage an HTTP API deploys to unless `StageName` says otherwise (served at the root).
pub const DEFAULT_STAGE: &str = "$default";
/// The route key of the catch-all route.
pub const DEFAULT_ROUTE: &str = "$default";

/// One HTTP API (API Gateway v2) and its stage.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpApi {
    /// The logical id (`ServerlessHttpApi` for the implicit API).
    pub logical_id: String,
    /// `StageName`, else `$default` (the stage served without a path prefix).
    pub stage_name: String,
    /// `StageVariables`, resolved to strings.
    pub stage_variables: BTreeMap<String, String>,
    /// `CorsConfiguration` (`true` means every origin, as SAM expands it).
    pub cors: Option<Cors>,
    /// Every `Type: HttpApi` event that targets this API, in template order.
    pub routes: Vec<HttpRoute>,
}

/// The event format a Lambda integration of an HTTP API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PayloadFormat {
    /// `1.0`: the REST API's proxy event with `version: "1.0"`.
    V1,
    /// `2.0` (SAM's default).
    #[default]
    V2,
}

/// What serves an HTTP API route.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum HttpIntegration {
    /// A Lambda proxy integration of the route's function.
    #[default]
    Lambda,
    /// `HTTP_PROXY`: the request passes to a public HTTP endpoint and its answer back.
    HttpProxy(super::HttpProxy),
    /// An integration Sluice does not run (an AWS service subtype such as SQS-SendMessage,
    /// `HTTP_PROXY` through a VPC link, a function outside the template). AWS serves the route
    /// through it; Sluice matches the route (so CORS and authorizers apply) and answers 500.
    NotEmulated {
        /// What the integration is, for messages (`SQS-SendMessage`, `HTTP_PROXY over VPC_LINK`).
        kind: String,
    },
}

/// One HTTP API route: a route key and its integration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRoute {
    /// Upper-case method or `ANY`; `ANY` for `$default`.
    pub method: String,
    /// The path template (`/items/{id}`), or `$default`.
    pub path: String,
    /// Logical id of the function (empty when the integration is not a template's function).
    pub function: String,
    /// The route's integration.
    pub integration: HttpIntegration,
    /// The event's name in `Events`, for messages.
    pub event_name: String,
    /// `PayloadFormatVersion`.
    pub payload_format: PayloadFormat,
    /// `TimeoutInMillis` (50..=30000, default 30000).
    pub timeout_ms: u32,
    /// The integration's `RequestParameters` / `ResponseParameters`.
    pub parameter_mapping: super::ParameterMapping,
    /// The version or alias the integration invokes (`live`, `1`): the one its URI names, the
    /// function's `AutoPublishAlias` alias for a SAM event; `None`: the unqualified function,
    /// which Lambda runs as `$LATEST`.
    pub qualifier: Option<String>,
}

impl HttpRoute {
    /// The route key as AWS writes it: `GET /items/{id}` or `$default`.
    pub fn route_key(&self) -> String {
        if self.path == DEFAULT_ROUTE {
            DEFAULT_ROUTE.to_owned()
        } else {
            format!("{} {}", self.method, self.path)
        }
    }

    /// What the route reaches, for route tables: the function, the endpoint, or the integration
    /// not emulated.
    pub fn target(&self) -> String {
        match &self.integration {
            HttpIntegration::Lambda => self.function.clone(),
            HttpIntegration::HttpProxy(proxy) => {
                format!("HTTP_PROXY {} {}", proxy.method, proxy.uri)
            }
            HttpIntegration::NotEmulated { kind } => format!("{kind} (not emulated: 500)"),
        }
    }
}

/// CORS as an HTTP API (`CorsConfiguration`) or a Function URL (`Cors`) declares it; REST `Cors`
/// is converted to the same shape with SAM's quotes removed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cors {
    /// `AllowOrigins`: exact origins, or `*`.
    pub allow_origins: Vec<String>,
    /// `AllowMethods` (`*` allowed).
    pub allow_methods: Vec<String>,
    /// `AllowHeaders` (`*` allowed).
    pub allow_headers: Vec<String>,
    /// `ExposeHeaders`.
    pub expose_headers: Vec<String>,
    /// `MaxAge` in seconds.
    pub max_age: Option<u32>,
    /// `AllowCredentials`.
    pub allow_credentials: bool,
}

/// How a Function URL authenticates callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionUrlAuth {
    /// `NONE`: public.
    None,
    /// `AWS_IAM`: SigV4-signed requests only.
    AwsIam,
}

/// How a Function URL returns the function's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvokeMode {
    /// `BUFFERED` (default): the whole response at once.
    Buffered,
    /// `RESPONSE_STREAM`: chunks as the handler writes them.
    ResponseStream,
}

/// A function's `FunctionUrlConfig`.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionUrl {
    /// Logical id of the function.
    pub function: String,
    /// The function's name (the `/lambda-url/<name>/` path form uses it).
    pub function_name: String,
    /// The alias the URL invokes (`Qualifier`, or the alias SAM's `AutoPublishAlias` makes);
    /// `None` for the unqualified function (`$LATEST`). Each qualifier is its own URL on AWS.
    pub qualifier: Option<String>,
    /// `AuthType`.
    pub auth: FunctionUrlAuth,
    /// `Cors`.
    pub cors: Option<Cors>,
    /// `InvokeMode`.
    pub invoke_mode: InvokeMode,
}

impl FunctionUrl {
    /// The URL's target as Lambda names it, relative to the template: the function's logical id,
    /// with `:qualifier` for an alias's URL (`MyFn:live`).
    pub fn target(&self) -> String {
        match &self.qualifier {
            Some(q) => format!("{}:{q}", self.function),
            None => self.function.clone(),
        }
    }
}

impl Cors {
    /// The headers of SAM's REST API preflight (its MOCK `OPTIONS` method) for a path with these
    /// methods, in SAM's order: origin, methods, then headers, max age and credentials when set.
    pub fn rest_preflight_headers(&self, methods: &[String]) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            ("Access-Control-Allow-Origin", self.allow_origins.join(",")),
            (
                "Access-Control-Allow-Methods",
                self.rest_allow_methods(methods),
            ),
        ];
        if !self.allow_headers.is_empty() {
            headers.push(("Access-Control-Allow-Headers", self.allow_headers.join(",")));
        }
        if let Some(age) = self.max_age {
            headers.push(("Access-Control-Max-Age", age.to_string()));
        }
        if self.allow_credentials {
            headers.push(("Access-Control-Allow-Credentials", "true".to_owned()));
        }
        headers
    }

    /// A REST API preflight's `Access-Control-Allow-Methods`, as SAM writes it for a path with
    /// these methods: `AllowMethods` as written, else the path's methods and OPTIONS (every method
    /// for `ANY`), sorted.
    fn rest_allow_methods(&self, methods: &[String]) -> String {
        if !self.allow_methods.is_empty() {
            return self.allow_methods.join(",");
        }
        const ALL_METHODS: &[&str] = &["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"];
        let mut list: Vec<String> = if methods.iter().any(|m| m == "ANY") {
            ALL_METHODS.iter().map(|m| (*m).to_owned()).collect()
        } else {
            methods
                .iter()
                .cloned()
                .chain(std::iter::once("OPTIONS".to_owned()))
                .collect()
        };
        list.sort();
        list.dedup();
        list.join(",")
    }
}
