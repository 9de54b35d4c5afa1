//! The phase walk for one request, over one [`Exchange`]:
//!
//! - request side: route → (authorize → api key → throttle → cache lookup, added by later issues)
//!   → read body → (IAM, which signs the body's hash) → integrate;
//! - response side: map response → (cache store → CORS) → stamp → access log.
//!
//! Each phase either hands the exchange on or ends the request with a [`GatewayError`], answered in
//! one place in the matched API's [`Dialect`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderValue, Request, Response};
use http_body_util::Full;
use sluice_aws_env::AwsEnv;
use sluice_template::RestApi;

use crate::access_log::{AccessLog, AccessRecord};
use crate::api::Api;
use crate::auth::phases::{self, AuthorizeContext};
use crate::auth::Guards;
use crate::body;
use crate::dialect::Dialect;
use crate::exchange::Exchange;
use crate::gateway_error::{Culprit, GatewayError};
use crate::integration::{Invoke, InvokeError};
use crate::route_table::{RouteError, RouteMatch, RouteTable};

/// Limits and identity of the emulated API Gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayOptions {
    /// How long the gateway waits for the function (AWS REST: 29 s) before answering 504.
    pub integration_timeout: Duration,
    /// Largest request body accepted (AWS: 10 MB) before answering 413.
    pub max_body_bytes: usize,
    /// Region and account the gateway pretends to run in (`requestContext.accountId`).
    pub aws: AwsEnv,
}

impl Default for GatewayOptions {
    fn default() -> Self {
        GatewayOptions {
            integration_timeout: Duration::from_secs(29),
            max_body_bytes: 10 * 1024 * 1024,
            aws: AwsEnv::default(),
        }
    }
}

/// API Gateway for all APIs of a template, merged on one port as SAM local does.
pub struct Gateway {
    /// Routes of every API.
    routes: RouteTable,
    /// Every API, with its kind and stage; `RouteEntry::api` indexes it.
    apis: Vec<Api>,
    /// How requests that match no route are answered (the kind of API the template serves).
    default_dialect: Dialect,
    /// Where proxy integrations go.
    invoker: Arc<dyn Invoke>,
    /// Where each request's access record goes, if anywhere.
    access_log: Option<Arc<dyn AccessLog>>,
    /// Authorizers, API keys and throttles per route (none: every route open, nothing limited).
    guards: Option<Arc<Guards>>,
    /// Limits and identity.
    options: GatewayOptions,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("routes", &self.routes)
            .field("apis", &self.apis)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// Build the route table for all REST APIs of a template (SAM local merges them on one port).
    pub fn new(
        apis: &[RestApi],
        invoker: Arc<dyn Invoke>,
        options: GatewayOptions,
    ) -> Result<Gateway, RouteError> {
        Ok(Gateway {
            routes: RouteTable::new(apis)?,
            apis: apis.iter().map(Api::rest).collect(),
            default_dialect: Dialect::Rest,
            invoker,
            access_log: None,
            guards: None,
            options,
        })
    }

    /// Guards routes with the template's authorizers, API keys and throttles.
    pub fn with_guards(mut self, guards: Arc<Guards>) -> Gateway {
        self.guards = Some(guards);
        self
    }

    /// Sends one [`AccessRecord`] per request to `log`.
    pub fn with_access_log(mut self, log: Arc<dyn AccessLog>) -> Gateway {
        self.access_log = Some(log);
        self
    }

    /// Serve one HTTP request. Never panics; every failure becomes an AWS-shaped response.
    pub async fn handle<B>(&self, req: Request<B>, remote: SocketAddr) -> Response<Full<Bytes>>
    where
        B: hyper::body::Body<Data = Bytes> + Send,
        B::Error: std::fmt::Display,
    {
        let started = Instant::now();
        let (parts, body) = req.into_parts();
        let mut ex = Exchange::new(&parts, remote, self.default_dialect);
        let outcome = self.request_side(&mut ex, body).await;
        let response = self.response_side(&ex, outcome);
        self.log_access(&ex, &response, started);
        response
    }

    /// Request-side phases, in order; resolves to the function's payload.
    async fn request_side<B>(&self, ex: &mut Exchange, body: B) -> Result<Bytes, GatewayError>
    where
        B: hyper::body::Body<Data = Bytes> + Send,
        B::Error: std::fmt::Display,
    {
        // A declared length over the limit is refused before any routing work. The body is still
        // read and dropped: a client that is mid-upload when the connection closes sees a broken pipe
        // instead of the 413.
        if body::declared_length(ex).is_some_and(|len| len > self.options.max_body_bytes) {
            body::discard(body).await;
            return Err(GatewayError::BodyTooLarge {
                limit: self.options.max_body_bytes,
            });
        }
        self.route(ex)?;
        self.guard(ex).await?;
        if let Some(payload) = self.cache_lookup(ex) {
            body::discard(body).await;
            return Ok(payload);
        }
        ex.body = body::read(body, self.options.max_body_bytes).await?;
        // IAM authorizes now that the body is read: SigV4 signs its hash.
        self.iam(ex)?;
        self.integrate(ex).await
    }

    /// Response-side phases: map the payload (or the error) to the response, then stamp it.
    fn response_side(
        &self,
        ex: &Exchange,
        outcome: Result<Bytes, GatewayError>,
    ) -> Response<Full<Bytes>> {
        let mapped = outcome.and_then(|payload| {
            let response = self.map_response(ex, &payload)?;
            self.cache_store(ex, payload);
            Ok(response)
        });
        let mut response = match mapped {
            Ok(response) => response,
            Err(error) => {
                log_failure(ex, &error);
                error.into_response(ex.dialect, &ex.request_id)
            }
        };
        // Phase to come: CORS, here, before the stamp.
        stamp(&mut response, ex);
        response
    }

    /// Phase route: the route and API for this method and path; the API's kind answers from here on.
    fn route(&self, ex: &mut Exchange) -> Result<(), GatewayError> {
        let route = self
            .routes
            .find(&ex.method, &ex.raw_path)
            .ok_or(GatewayError::NoRoute)?;
        let api = self
            .apis
            .get(route.entry.api)
            .ok_or_else(|| GatewayError::Internal("route names an unknown API".into()))?;
        ex.dialect = api.dialect;
        ex.route = Some(route);
        Ok(())
    }

    /// Phases authorize → API key → throttle, in API Gateway's order.
    async fn guard(&self, ex: &mut Exchange) -> Result<(), GatewayError> {
        let Some(guards) = &self.guards else {
            return Ok(());
        };
        let route = ex
            .route
            .clone()
            .ok_or_else(|| GatewayError::Internal("no route selected before authorize".into()))?;
        let api = self
            .apis
            .get(route.entry.api)
            .ok_or_else(|| GatewayError::Internal("route names an unknown API".into()))?;
        let (method, resource) = (&route.entry.method, &route.entry.resource);
        let guard = guards.route(&api.logical_id, method, resource);
        if let Some(guard) = guard {
            let cx = AuthorizeContext {
                invoker: self.invoker.as_ref(),
                aws: &self.options.aws,
                api,
                route: &route,
                timeout: ex.dialect.integration_timeout(&self.options),
            };
            phases::authorize(guard, guards, ex, cx).await?;
            phases::api_key(guard, guards, ex, &api.logical_id).await?;
        }
        phases::throttle(guard, guards, ex, &api.logical_id, method, resource).await
    }

    /// Phase IAM: an `AWS_IAM` route's signature.
    fn iam(&self, ex: &mut Exchange) -> Result<(), GatewayError> {
        let (Some(guards), Some(route)) = (&self.guards, ex.route.clone()) else {
            return Ok(());
        };
        let Some(api) = self.apis.get(route.entry.api) else {
            return Ok(());
        };
        match guards.route(&api.logical_id, &route.entry.method, &route.entry.resource) {
            Some(guard) => phases::iam(guard, guards, ex),
            None => Ok(()),
        }
    }

    /// Phase cache lookup: a cached payload for this method and path, if the stage caches it.
    fn cache_lookup(&self, ex: &mut Exchange) -> Option<Bytes> {
        let guards = self.guards.as_ref()?;
        let route = ex.route.as_ref()?;
        let api = self.apis.get(route.entry.api)?;
        let guard = guards.route(&api.logical_id, &route.entry.method, &route.entry.resource)?;
        let ttl = guard.cache_ttl?;
        let key = format!(
            "{}/{}/{} {}",
            api.logical_id, api.stage.stage, ex.method, ex.raw_path
        );
        let hit = guards.state.response_cache.get(&key);
        ex.response_cache_hit = Some(hit.is_some());
        ex.cache = Some((key, ttl));
        hit
    }

    /// Phase cache store: a fresh payload the response phase mapped without error.
    fn cache_store(&self, ex: &Exchange, payload: Bytes) {
        if let (Some(guards), Some((key, ttl)), Some(false)) =
            (&self.guards, &ex.cache, ex.response_cache_hit)
        {
            guards.state.response_cache.put(key.clone(), payload, *ttl);
        }
    }

    /// The API the route phase selected.
    fn matched<'a>(&'a self, ex: &'a Exchange) -> Result<(&'a RouteMatch, &'a Api), GatewayError> {
        let route = ex
            .route
            .as_ref()
            .ok_or_else(|| GatewayError::Internal("no route selected before integration".into()))?;
        let api = self
            .apis
            .get(route.entry.api)
            .ok_or_else(|| GatewayError::Internal("route names an unknown API".into()))?;
        Ok((route, api))
    }

    /// Phase integrate: build the event, invoke the function under the integration timeout,
    /// classify failures.
    async fn integrate(&self, ex: &Exchange) -> Result<Bytes, GatewayError> {
        let (route, api) = self.matched(ex)?;
        let payload = ex.dialect.event(ex, route, api, &self.options.aws)?;
        let invocation = self.invoker.invoke(&route.entry.function, payload);
        let timeout = ex.dialect.integration_timeout(&self.options);
        match tokio::time::timeout(timeout, invocation).await {
            Err(_) => Err(GatewayError::IntegrationTimedOut),
            Ok(Ok(response)) => Ok(response),
            Ok(Err(InvokeError::Function { payload })) => Err(GatewayError::FunctionFailed(
                String::from_utf8_lossy(&payload).into_owned(),
            )),
            Ok(Err(InvokeError::Rejected {
                error_type,
                message,
            })) => Err(GatewayError::InvokeRejected(format!(
                "{error_type}: {message}"
            ))),
        }
    }

    /// Phase map response: the function's payload as the API's kind turns it into a response.
    fn map_response(
        &self,
        ex: &Exchange,
        payload: &[u8],
    ) -> Result<Response<Full<Bytes>>, GatewayError> {
        let (_, api) = self.matched(ex)?;
        ex.dialect.response(ex, api, payload)
    }

    /// Phase access log: one record per request.
    fn log_access(&self, ex: &Exchange, response: &Response<Full<Bytes>>, started: Instant) {
        let Some(log) = &self.access_log else {
            return;
        };
        let path = match &ex.query {
            Some(query) => format!("{}?{query}", ex.raw_path),
            None => ex.raw_path.clone(),
        };
        log.record(&AccessRecord {
            request_id: ex.request_id.clone(),
            method: ex.method.clone(),
            path,
            protocol: ex.protocol,
            status: response.status().as_u16(),
            elapsed: started.elapsed(),
            authorizer: ex.decided_by.clone(),
            authorizer_cache_hit: ex.authorizer_cache_hit,
            response_cache_hit: ex.response_cache_hit,
            throttled_by: ex.throttled_by.clone(),
        });
    }
}

/// Headers API Gateway adds to every response, its own errors included.
fn stamp(response: &mut Response<Full<Bytes>>, ex: &Exchange) {
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-amzn-requestid", &ex.request_id),
        ("x-amz-apigw-id", &ex.extended_request_id),
        ("x-amzn-trace-id", &ex.trace_id),
    ] {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
}

/// One log line per failed request, at a level that says whose fault it is.
fn log_failure(ex: &Exchange, error: &GatewayError) {
    let status = error.status(ex.dialect).as_u16();
    match error.culprit() {
        Culprit::Client => tracing::debug!(
            request_id = %ex.request_id, method = %ex.method, path = %ex.raw_path, status, "{error}"
        ),
        Culprit::Function => tracing::warn!(
            request_id = %ex.request_id, method = %ex.method, path = %ex.raw_path, status, "{error}"
        ),
        Culprit::Sluice => tracing::error!(
            request_id = %ex.request_id, method = %ex.method, path = %ex.raw_path, status, "{error}"
        ),
    }
}
