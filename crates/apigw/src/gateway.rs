//! The phase walk for one request, over one [`Exchange`]:
//!
//! - request side: route → authorize → api key → throttle → cache lookup → read body → IAM (which
//!   signs the body's hash) → validate (REST request validators) → integrate (proxy, or a mapped
//!   non-proxy integration that answers whole);
//! - response side: map response → (cache store → CORS) → stamp → access log.
//!
//! Each phase either hands the exchange on or ends the request with a [`GatewayError`], answered in
//! one place in the matched API's [`Dialect`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use sluice_template::{
    auth_model::AuthModel, Function, FunctionUrl, HttpApi, HttpIntegration, Integration,
    PayloadFormat, RestApi, StageAccessLog,
};

use crate::access_log::{AccessLog, AccessRecord, RouteRecord};
use crate::api::Api;
use crate::auth::phases::{self, AuthorizeContext};
use crate::auth::resource_policy::{self, Caller};
use crate::auth::response_cache::Cached;
use crate::auth::Check;
use crate::auth::Guards;
use crate::body;
use crate::dialect::Dialect;
use crate::exchange::{ErrorFacts, Exchange, IntegrationFacts};
use crate::execution_log::{self, ExecutionTrace, StageExecutionLog};
use crate::function_url::FunctionUrlTable;
use crate::gateway_error::{Culprit, GatewayError};
use crate::integration::{CallHttp, CallService, FunctionAnswer, Invoke, InvokeError};
use crate::mapped_integration::{self, Backend};
use crate::options::GatewayOptions;
use crate::response_body::ResponseBody;
use crate::route_table::{RouteError, RouteMatch, RouteSpec, RouteTable};
use crate::stage_access_log::{Outcome as StageOutcome, StageLog};
use crate::streamed_response::{self, StreamedHead};

/// Every front door of a template the gateway serves.
#[derive(Debug, Clone, Copy, Default)]
pub struct Apis<'a> {
    /// REST APIs (payload 1.0).
    pub rest: &'a [RestApi],
    /// HTTP APIs (payload 2.0 or 1.0 per route).
    pub http: &'a [HttpApi],
    /// Function URLs.
    pub function_urls: &'a [FunctionUrl],
}

/// API Gateway for all APIs of a template, merged on one port as SAM local does.
pub struct Gateway {
    /// Routes of every API.
    pub(crate) routes: RouteTable,
    /// Function URLs, found by host or by `/lambda-url/<name>/` before the routes are searched.
    pub(crate) function_urls: FunctionUrlTable,
    /// Every API, with its kind and stage; `RouteEntry::api` indexes it.
    pub(crate) apis: Vec<Api>,
    /// How requests that match no route are answered (the kind of API the template serves).
    default_dialect: Dialect,
    /// Where proxy integrations go.
    invoker: Arc<dyn Invoke>,
    /// Where DynamoDB service integrations go (none: they answer 500, not emulated).
    services: Option<Arc<dyn CallService>>,
    /// Where `HTTP` integrations' requests go (none: they answer 500, not emulated).
    http: Option<Arc<dyn CallHttp>>,
    /// Where each request's access record goes, if anywhere.
    access_log: Option<Arc<dyn AccessLog>>,
    /// Authorizers, API keys and throttles per route (none: every route open, nothing limited).
    guards: Option<Arc<Guards>>,
    /// Limits and identity.
    pub(crate) options: GatewayOptions,
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
        Gateway::serving(
            Apis {
                rest: apis,
                ..Apis::default()
            },
            invoker,
            options,
        )
    }

    /// Build the gateway for every API and Function URL of a template, all on one port.
    ///
    /// Requests that match no route are answered as the template's kind of API: REST if it has
    /// any REST API (SAM local's answer, and what REST clients of a mixed template expect), else
    /// HTTP API (an HTTP API template, or one with only Function URLs, where AWS's plain
    /// `404 Not Found` is the least surprising answer).
    pub fn serving(
        apis: Apis<'_>,
        invoker: Arc<dyn Invoke>,
        options: GatewayOptions,
    ) -> Result<Gateway, RouteError> {
        let (routes, served, function_urls) = compile(apis)?;
        let default_dialect = if apis.rest.is_empty() {
            Dialect::HttpApi(PayloadFormat::V2)
        } else {
            Dialect::Rest
        };
        Ok(Gateway {
            routes,
            function_urls,
            apis: served,
            default_dialect,
            invoker,
            services: None,
            http: None,
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

    /// Sends DynamoDB service integrations (`AWS` with a `dynamodb:action/…` URI) to `services`.
    pub fn with_services(mut self, services: Arc<dyn CallService>) -> Gateway {
        self.services = Some(services);
        self
    }

    /// Sends `HTTP` integrations' requests to their endpoints through `http`.
    pub fn with_http(mut self, http: Arc<dyn CallHttp>) -> Gateway {
        self.http = Some(http);
        self
    }

    /// Gives the stages of `logs`' APIs their access logs (`AccessLogSetting(s)`): each request
    /// to one gets its line in the [`AccessRecord`].
    pub fn with_stage_access_logs(mut self, logs: &[StageAccessLog]) -> Gateway {
        for setting in logs {
            let served = self
                .apis
                .iter_mut()
                .filter(|api| api.logical_id == setting.api && api.dialect != Dialect::FunctionUrl);
            for api in served {
                api.access_log = Some(Arc::new(StageLog::new(
                    &setting.log_group,
                    &setting.format,
                    &api.stage.api_id,
                    &api.stage.stage,
                )));
            }
        }
        self
    }

    /// Gives the REST API stages whose `MethodSettings` set a `LoggingLevel` their execution
    /// log: each request to a method that logs gets its lines in the [`AccessRecord`].
    /// `functions` name the Lambda functions the log's URIs show.
    pub fn with_execution_logs(mut self, auth: &AuthModel, functions: &[Function]) -> Gateway {
        let names: std::collections::BTreeMap<String, String> = functions
            .iter()
            .map(|f| (f.logical_id.clone(), f.name.clone()))
            .collect();
        for api in self.apis.iter_mut().filter(|a| a.dialect == Dialect::Rest) {
            let Some(settings) = auth.apis.get(&api.logical_id) else {
                continue;
            };
            api.execution_log = StageExecutionLog::new(
                &api.stage.api_id,
                &api.stage.stage,
                &settings.method_settings,
                names.clone(),
            )
            .map(Arc::new);
        }
        self
    }

    /// Sends one [`AccessRecord`] per request to `log`.
    pub fn with_access_log(mut self, log: Arc<dyn AccessLog>) -> Gateway {
        self.access_log = Some(log);
        self
    }

    /// Serve one HTTP request. Never panics; every failure becomes an AWS-shaped response.
    pub async fn handle<B>(&self, req: Request<B>, remote: SocketAddr) -> Response<ResponseBody>
    where
        B: hyper::body::Body<Data = Bytes> + Send,
        B::Error: std::fmt::Display,
    {
        let started = Instant::now();
        let (parts, body) = req.into_parts();
        let mut ex = Exchange::new(parts, remote, self.default_dialect);
        let outcome = match self.cors_preflight(&mut ex) {
            Some(answer) => answer.map(Reply::Answered),
            None => self.request_side(&mut ex, body).await,
        };
        let rejected = outcome.as_ref().err().and_then(GatewayError::rejection);
        let response = self.response_side(&mut ex, outcome);
        self.log_access(&ex, &response, rejected, started);
        response
    }

    /// Request-side phases, in order; resolves to the function's answer (or, for a mapped
    /// integration, the whole response).
    async fn request_side<B>(&self, ex: &mut Exchange, body: B) -> Result<Reply, GatewayError>
    where
        B: hyper::body::Body<Data = Bytes> + Send,
        B::Error: std::fmt::Display,
    {
        // Oversized headers (a huge token or cookie) are refused first, as AWS's front end does:
        // no route, authorizer or function sees them.
        if header_bytes(ex) > self.options.max_header_bytes {
            body::discard(body).await;
            return Err(GatewayError::HeadersTooLarge {
                limit: self.options.max_header_bytes,
            });
        }
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
        // The cache answers in the integration's place, after every authorization: an `AWS_IAM`
        // route (and its resource policy) decides only once the body is read, so it looks later.
        let iam_route = self.guard(ex).await?;
        if !iam_route {
            if let Some(cached) = self.cache_lookup(ex) {
                body::discard(body).await;
                return Ok(cached);
            }
        }
        ex.body = body::read(
            body,
            self.options.max_body_bytes,
            self.options.body_idle_timeout,
        )
        .await?;
        // IAM authorizes now that the body is read: SigV4 signs its hash.
        self.require_iam(ex)?;
        self.iam(ex)?;
        if iam_route {
            if let Some(cached) = self.cache_lookup(ex) {
                return Ok(cached);
            }
        }
        self.validate(ex)?;
        self.map_request_parameters(ex)?;
        let integrating = Instant::now();
        let lambda_request_id = lambda_request_id(ex);
        let integrated = self.integrate(ex, &lambda_request_id).await;
        execution_log::integrated(ex, integrating);
        // AWS: Lambda's Invoke answers a function error with 200 (`X-Amz-Function-Error`), so a
        // proxy integration's function error is an invocation Lambda answered, with its status.
        let status = match &integrated {
            Ok((_, status)) => *status,
            Err(GatewayError::FunctionFailed(_)) => Some(200),
            Err(_) => None,
        };
        let reply = integrated.map(|(reply, _)| reply);
        let invoked = status.is_some();
        // AWS: `integration.requestId` is the `x-amzn-RequestId` Lambda's Invoke answered, so only
        // a Lambda integration that Lambda answered has one (not MOCK, DynamoDB, a throttled or
        // timed-out invocation).
        let lambda_answered = invoked
            && ex.route.as_ref().is_some_and(|route| {
                matches!(
                    route.entry.integration,
                    Integration::LambdaProxy | Integration::Lambda(_)
                )
            });
        let lambda_proxy = ex
            .route
            .as_ref()
            .is_some_and(|route| matches!(route.entry.integration, Integration::LambdaProxy));
        ex.integration = Some(IntegrationFacts {
            latency: integrating.elapsed(),
            status,
            // A Lambda proxy's is its function's, known once the response phase maps it.
            backend_status: if lambda_proxy { None } else { status },
            request_id: lambda_answered.then_some(lambda_request_id),
            // Copied only for a stage that logs it: no cost for APIs without access logging.
            error: match &reply {
                Err(GatewayError::FunctionFailed(error)) if self.stage_log(ex).is_some() => {
                    Some(error.clone())
                }
                _ => None,
            },
        });
        reply
    }

    /// Phase map request parameters: an HTTP API integration's `RequestParameters` rewrite the
    /// request the event is built from.
    fn map_request_parameters(&self, ex: &mut Exchange) -> Result<(), GatewayError> {
        let Some(route) = ex.route.clone() else {
            return Ok(());
        };
        if route.entry.parameter_mapping.is_none() {
            return Ok(());
        }
        let api = self
            .apis
            .get(route.entry.api)
            .ok_or_else(|| GatewayError::Internal("route names an unknown API".into()))?;
        crate::parameter_mapping::map_request(ex, &route, api);
        Ok(())
    }

    /// Phase validate: the REST method's request validator, once the body is read and before
    /// anything is invoked (AWS answers 400 without calling the integration).
    fn validate(&self, ex: &Exchange) -> Result<(), GatewayError> {
        let (route, _) = self.matched(ex)?;
        match &route.entry.validator {
            Some(validator) => validator.check(ex, route),
            None => Ok(()),
        }
    }

    /// Response-side phases: map the payload (or the error) to the response, apply CORS, then
    /// stamp it. A streamed answer's head goes through the same phases; its body follows as the
    /// function writes it.
    fn response_side(
        &self,
        ex: &mut Exchange,
        outcome: Result<Reply, GatewayError>,
    ) -> Response<ResponseBody> {
        let mapped = outcome.and_then(|reply| match reply {
            Reply::Answered(response) => {
                // Only a route's own cache lookup leaves it storable: a CORS preflight never
                // looks, and a hit is not stored again.
                self.cache_store(ex, || Cached::Mapped {
                    status: response.status(),
                    headers: response.headers().clone(),
                    body: response.body().clone(),
                });
                Ok((response, None))
            }
            Reply::Proxied(response) => {
                // Phase map response parameters (HTTP APIs), as for a function's answer.
                let (route, api) = self.matched(ex)?;
                let mut response = crate::parameter_mapping::map_response(response, ex, route, api);
                self.cache_store(ex, || Cached::Mapped {
                    status: response.status(),
                    headers: response.headers().clone(),
                    body: response.body().clone(),
                });
                self.apply_cors(ex, &mut response);
                Ok((response, None))
            }
            Reply::Payload(payload) => {
                execution_log::endpoint_response(ex, || payload.clone());
                let mut response = self.map_response(ex, &payload)?;
                self.cache_store(ex, || Cached::Payload(payload));
                self.apply_cors(ex, &mut response);
                Ok((response, None))
            }
            Reply::Streamed(head) => {
                let StreamedHead {
                    mut response,
                    first,
                    rest,
                } = head;
                function_status(ex, response.status());
                self.apply_cors(ex, &mut response);
                Ok((response, Some(ResponseBody::streamed(first, rest))))
            }
        });
        let answered = mapped.is_ok();
        let (mut response, streamed) = match mapped {
            Ok(mapped) => mapped,
            Err(error) => {
                log_failure(ex, &error);
                execution_log::failed(ex, &error);
                if self.stage_log(ex).is_some() {
                    ex.error = Some(ErrorFacts {
                        response_type: error.response_type(),
                        body: error.body(ex.dialect),
                        validation_errors: error.validation_errors().to_owned(),
                    });
                }
                (self.error_response(ex, error), None)
            }
        };
        let traced = traced(ex, answered);
        ex.dialect.stamp(&mut response, ex, traced);
        match streamed {
            Some(body) => response.map(|_| body),
            None => response.map(ResponseBody::from),
        }
    }

    /// The answer for `error`: API Gateway's default, with a REST API's customized gateway
    /// response for its type laid over it (the route's API, or the only REST API when no route
    /// matched).
    fn error_response(&self, ex: &Exchange, error: GatewayError) -> Response<Full<Bytes>> {
        let api = match &ex.route {
            _ if ex.dialect != Dialect::Rest => None,
            Some(route) => self.apis.get(route.entry.api),
            None => {
                let mut rest = self.apis.iter().filter(|a| a.dialect == Dialect::Rest);
                rest.next().filter(|_| rest.next().is_none())
            }
        };
        // Most APIs customize nothing: their answer is built once, with no body to look at.
        let Some(api) = api.filter(|api| !api.gateway_responses.is_empty()) else {
            return error.into_response(ex.dialect, &ex.request_id);
        };
        let response_type = error.response_type();
        let default_body = error.body(ex.dialect);
        let error_validation = error.validation_errors().to_owned();
        let response = error.into_response(ex.dialect, &ex.request_id);
        crate::gateway_responses::customize(
            response,
            response_type,
            &default_body,
            error_validation.as_str(),
            &api.gateway_responses,
            ex,
            &api.stage,
        )
    }

    /// Phase route: the route and API for this method and path (a Function URL first, by host or
    /// path prefix); the route's kind of API answers from here on.
    fn route(&self, ex: &mut Exchange) -> Result<(), GatewayError> {
        let host = ex.header("host");
        let route = match self.function_urls.find(
            ex.pinned_url.as_deref(),
            host.as_deref(),
            &ex.raw_path,
            &self.options.aws.region,
        ) {
            Some(Ok((route, api_path))) => {
                ex.api_path = api_path;
                route
            }
            Some(Err(crate::function_url::UnknownUrl)) => {
                ex.dialect = Dialect::FunctionUrl;
                return Err(GatewayError::NoFunctionUrl);
            }
            None => self
                .routes
                .find(&ex.method, &ex.raw_path)
                .ok_or(GatewayError::NoRoute)?,
        };
        if self.apis.get(route.entry.api).is_none() {
            return Err(GatewayError::Internal("route names an unknown API".into()));
        }
        ex.dialect = route.entry.dialect;
        // Only a method that writes an execution log carries a trace for its phases to note in.
        ex.execution = self
            .apis
            .get(route.entry.api)
            .and_then(|api| api.execution_log.as_deref())
            .and_then(|log| log.logging(&route.entry.method, &route.entry.resource))
            .map(|logging| Box::new(ExecutionTrace::new(logging)));
        ex.route = Some(route);
        Ok(())
    }

    /// Phase IAM: an API that requires SigV4 (Function URL `AWS_IAM`) accepts only requests
    /// signed with a key Sluice was given (AWS: any IAM principal the resource policy allows).
    /// Without guards there are no keys: every request is refused, so a private URL stays private.
    fn require_iam(&self, ex: &mut Exchange) -> Result<(), GatewayError> {
        let (_, api) = self.matched(ex)?;
        if !api.requires_iam {
            return Ok(());
        }
        match &self.guards {
            Some(guards) => phases::sigv4_caller(guards, ex, &self.options.aws),
            None => Err(GatewayError::IamNotVerified),
        }
    }

    /// Phases resource policy → authorize → API key → throttle, in API Gateway's order. `true`
    /// when the route is `AWS_IAM`, whose authorization ends once the body is read ([`Self::iam`]).
    async fn guard(&self, ex: &mut Exchange) -> Result<bool, GatewayError> {
        let route = ex
            .route
            .clone()
            .ok_or_else(|| GatewayError::Internal("no route selected before authorize".into()))?;
        let api = self
            .apis
            .get(route.entry.api)
            .ok_or_else(|| GatewayError::Internal("route names an unknown API".into()))?;
        let (method, resource) = (&route.entry.method, &route.entry.resource);
        let guard = self
            .guards
            .as_ref()
            .and_then(|guards| guards.route(&api.logical_id, method, resource));
        let check = guard.map(|g| &g.check);
        let iam_route = matches!(check, Some(Check::Iam));
        // AWS checks the policy before calling a Lambda authorizer (a deny never invokes it);
        // a Cognito authorizer authenticates first, and IAM once the signature names the caller.
        let policy_after = matches!(check, Some(Check::Cognito { .. } | Check::Iam));
        if !policy_after {
            let authenticated = matches!(
                check,
                Some(Check::Lambda { .. } | Check::Jwt { .. } | Check::Skipped)
            );
            resource_policy::guard(api, ex, &self.options.aws, Caller::Anonymous, authenticated)?;
        }
        let Some(guards) = &self.guards else {
            execution_log::usage_plan(ex, false, true);
            return Ok(iam_route);
        };
        let mut plan = None;
        if let Some(guard) = guard {
            let cx = AuthorizeContext {
                invoker: self.invoker.as_ref(),
                aws: &self.options.aws,
                api,
                route: &route,
                timeout: ex.dialect.integration_timeout(&self.options, &route),
            };
            let authorized = phases::authorize(guard, guards, ex, cx).await;
            if let (Check::Lambda { .. }, Some(name)) = (&guard.check, &guard.authorizer_name) {
                execution_log::authorizer(ex, &api.logical_id, name, authorized.as_ref().err());
            }
            authorized?;
            if matches!(guard.check, Check::Cognito { .. }) {
                resource_policy::guard(api, ex, &self.options.aws, Caller::Anonymous, true)?;
            }
            let keyed = phases::api_key(guard, guards, ex, &api.logical_id);
            if keyed.is_err() {
                execution_log::usage_plan(ex, guard.api_key_required, false);
            }
            plan = keyed?;
        }
        let throttled =
            phases::throttle(guard, guards, ex, plan, (&api.logical_id, method, resource)).await;
        let key_required = guard.is_some_and(|g| g.api_key_required);
        execution_log::usage_plan(ex, key_required, throttled.is_ok());
        throttled?;
        Ok(iam_route)
    }

    /// Phase IAM: an `AWS_IAM` route's signature, then the resource policy for the signed caller
    /// (Sluice has no IAM: the caller's own policies allow, so only the resource policy's deny
    /// refuses, as for a caller in the API's account).
    fn iam(&self, ex: &mut Exchange) -> Result<(), GatewayError> {
        let (Some(guards), Some(route)) = (&self.guards, ex.route.clone()) else {
            return Ok(());
        };
        let Some(api) = self.apis.get(route.entry.api) else {
            return Ok(());
        };
        let Some(guard) = guards.route(&api.logical_id, &route.entry.method, &route.entry.resource)
        else {
            return Ok(());
        };
        phases::iam(guard, guards, ex, &self.options.aws)?;
        if !matches!(guard.check, Check::Iam) {
            return Ok(());
        }
        let aws = &self.options.aws;
        let user_arn = match &ex.iam_caller {
            Some((_, profile)) => format!(
                "arn:{}:iam::{}:user/{profile}",
                aws.partition, aws.account_id
            ),
            None => return Err(GatewayError::Internal("IAM passed without a caller".into())),
        };
        let caller = Caller::Iam {
            account: &aws.account_id,
            arn: &user_arn,
        };
        // The authorize phase of an IAM route: the signed caller's policies, here the resource
        // policy alone.
        let started = Instant::now();
        let result = resource_policy::guard(api, ex, aws, caller, true);
        ex.auth.authorize = Some(phases::phase_end(ex, result.as_ref().map(|_| ()), started));
        result
    }

    /// Phase cache lookup: a cached payload for this method, path and declared cache key
    /// parameters, if the stage caches the method.
    fn cache_lookup(&self, ex: &mut Exchange) -> Option<Reply> {
        let guards = self.guards.as_ref()?;
        let route = ex.route.as_ref()?;
        let api = self.apis.get(route.entry.api)?;
        let guard = guards.route(&api.logical_id, &route.entry.method, &route.entry.resource)?;
        let ttl = guard.cache_ttl?;
        let key = crate::cache_key::of(
            ex,
            &api.logical_id,
            &api.stage.stage,
            &guard.cache_key_parameters,
        );
        let hit = guards.state.response_cache.get(&key);
        ex.response_cache_hit = Some(hit.is_some());
        ex.cache = Some((key, ttl));
        Some(match hit? {
            Cached::Payload(payload) => Reply::Payload(payload),
            Cached::Mapped {
                status,
                headers,
                body,
            } => {
                let mut response = Response::new(body);
                *response.status_mut() = status;
                *response.headers_mut() = headers;
                Reply::Answered(response)
            }
        })
    }

    /// Phase cache store: a fresh answer of the integration, mapped without error (a proxy's
    /// payload, or a non-proxy integration's method response).
    fn cache_store(&self, ex: &Exchange, answer: impl FnOnce() -> Cached) {
        if let (Some(guards), Some((key, ttl)), Some(false)) =
            (&self.guards, &ex.cache, ex.response_cache_hit)
        {
            guards.state.response_cache.put(key.clone(), answer(), *ttl);
        }
    }

    /// The API the route phase selected.
    pub(crate) fn matched<'a>(
        &'a self,
        ex: &'a Exchange,
    ) -> Result<(&'a RouteMatch, &'a Api), GatewayError> {
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
    /// classify failures. A streaming API (Function URL) or route (REST `STREAM`) waits only for
    /// the head of a streamed answer; non-proxy REST integrations (Lambda custom, MOCK) map the
    /// request and the response themselves and answer whole; an `HTTP_PROXY` relays the
    /// endpoint's answer. Beside the reply, the status the integration's endpoint answered
    /// (`$context.integrationStatus`).
    async fn integrate(
        &self,
        ex: &Exchange,
        request_id: &str,
    ) -> Result<(Reply, Option<u16>), GatewayError> {
        let (route, api) = self.matched(ex)?;
        // AWS: Lambda's Invoke action takes POST only; API Gateway's call with another method
        // fails before the function runs, as INTEGRATION_FAILURE (observed as 500, LocalStack's
        // AWS-validated `test_lambda_aws_proxy_integration_non_post_method`).
        if let Integration::LambdaProxyNotPost { method } = &route.entry.integration {
            return Err(GatewayError::InvokeRejected(format!(
                "the integration invokes {} with {method}; Lambda's Invoke action takes POST",
                route.entry.target.as_str()
            )));
        }
        if let Integration::HttpProxy(proxy) = &route.entry.integration {
            let timeout = ex.dialect.integration_timeout(&self.options, route);
            let client = self.http.as_deref();
            return crate::http_proxy::integrate(
                ex,
                route,
                api,
                &self.options.aws,
                proxy,
                client,
                timeout,
            )
            .await
            .map(|response| {
                let status = response.status().as_u16();
                (Reply::Proxied(response), Some(status))
            });
        }
        if !matches!(route.entry.integration, Integration::LambdaProxy) {
            let backend = Backend {
                invoker: self.invoker.as_ref(),
                services: self.services.as_deref(),
                http: self.http.as_deref(),
                timeout: ex.dialect.integration_timeout(&self.options, route),
                request_id,
            };
            return mapped_integration::integrate(
                ex,
                route,
                api,
                &self.options.aws,
                &route.entry.integration,
                backend,
            )
            .await
            .map(|(response, status)| (Reply::Answered(response), Some(status)));
        }
        let payload = ex.dialect.event(ex, route, api, &self.options.aws)?;
        execution_log::endpoint_request(ex, &payload);
        // The invoker's target (`Fn`, `Fn:live`), made with the route: borrowed, not formatted.
        let function = route.entry.target.as_str();
        let request_id = Some(request_id);
        // A request parameter the route maps to Lambda's X-Amz-Tenant-Id names the tenant; a
        // request without that value leaves the header out, as API Gateway's mapping does.
        let tenant = match &route.entry.tenant_id_parameter {
            Some(source) => {
                mapped_integration::proxy_parameter(ex, route, api, &self.options.aws, source)?
            }
            None => None,
        };
        let reply = async {
            if let Some(tenant) = &tenant {
                // Sluice: a tenant's invocation is answered whole, even on a STREAM route.
                let payload = self
                    .invoker
                    .invoke_for_tenant(function, payload, tenant, request_id)
                    .await;
                return Ok(Reply::Payload(payload.map_err(invoke_failure)?));
            }
            if !api.streams && !route.entry.streams {
                let payload = self.invoker.invoke(function, payload, request_id).await;
                return Ok(Reply::Payload(payload.map_err(invoke_failure)?));
            }
            let answer = self
                .invoker
                .invoke_streaming(function, payload, request_id)
                .await;
            match answer.map_err(invoke_failure)? {
                FunctionAnswer::Buffered(payload) => Ok(Reply::Payload(payload)),
                FunctionAnswer::Streamed(stream) => Ok(Reply::Streamed(
                    streamed_response::head(stream, ex.dialect.prelude_reader()).await?,
                )),
            }
        };
        // A streamed answer is timed to its head (the route's TimeoutInMillis, up to 15 minutes in
        // STREAM mode); its body runs until the function's own Timeout. Either way the invocation
        // runs on when the gateway gives up, as Lambda's does.
        let timeout = ex.dialect.integration_timeout(&self.options, route);
        // AWS: Lambda's Invoke answered 200, whatever the function's response says.
        tokio::time::timeout(timeout, reply)
            .await
            .unwrap_or(Err(GatewayError::IntegrationTimedOut))
            .map(|reply| (reply, Some(200)))
    }

    /// Phase map response: the function's payload as the API's kind turns it into a response.
    fn map_response(
        &self,
        ex: &mut Exchange,
        payload: &[u8],
    ) -> Result<Response<Full<Bytes>>, GatewayError> {
        let (_, api) = self.matched(ex)?;
        let response = ex.dialect.response(ex, api, payload)?;
        // The function's own status, before an HTTP API's response parameters may overwrite it.
        function_status(ex, response.status());
        let (route, api) = self.matched(ex)?;
        // Phase map response parameters (HTTP APIs): the integration's `ResponseParameters` for
        // the status it answered.
        Ok(crate::parameter_mapping::map_response(
            response, ex, route, api,
        ))
    }

    /// The API a request belongs to and its stage's access log, if that stage keeps one: the
    /// route's API, or, when no route matched, the only API of the request's kind (AWS logs a
    /// request that matches no route on the API it was sent to).
    ///
    /// AWS: the host names the API and the path's first segment its stage, so an unrouted request
    /// has both (a path naming no stage is logged on none). Sluice: every API shares the listener
    /// at its root, so with two APIs of a kind nothing in an unrouted request names one. Reading
    /// its first segment as a stage would pick an API the route phase never considered (`/prod/x`
    /// is not routed to `/x` of the stage `prod`), and the gateway response customized for the
    /// request's API is chosen by the same rule: such a request is logged on neither.
    fn stage_log(&self, ex: &Exchange) -> Option<(&Api, &StageLog)> {
        let api = match &ex.route {
            Some(route) => self.apis.get(route.entry.api)?,
            None => {
                let mut same = self.apis.iter().filter(|a| a.dialect == ex.dialect);
                same.next().filter(|_| same.next().is_none())?
            }
        };
        Some((api, api.access_log.as_deref()?))
    }

    /// The request's lines in its REST API stage's execution log, if its method writes one.
    fn execution_lines(
        &self,
        ex: &Exchange,
        response: &Response<ResponseBody>,
    ) -> Option<crate::ExecutionLogLines> {
        ex.execution.as_ref()?;
        let api = self.apis.get(ex.route.as_ref()?.entry.api)?;
        let ending = execution_log::Ending {
            status: response.status().as_u16(),
            headers: response.headers(),
            body: response.body().whole(),
        };
        api.execution_log
            .as_deref()?
            .lines(ex, api, &self.options.aws, &ending)
    }

    /// Phase access log: one record per request, and its line in the stage's access log.
    fn log_access(
        &self,
        ex: &Exchange,
        response: &Response<ResponseBody>,
        rejected: Option<crate::Rejection>,
        started: Instant,
    ) {
        let Some(log) = &self.access_log else {
            return;
        };
        let status = response.status();
        let stage_log = self.stage_log(ex).map(|(api, stage_log)| {
            let outcome = StageOutcome {
                status: status.as_u16(),
                response_length: hyper::body::Body::size_hint(response.body()).exact(),
                latency: started.elapsed(),
                error: ex.error.as_ref(),
            };
            stage_log.line(ex, api, &self.options.aws, &outcome)
        });
        let execution_log = self.execution_lines(ex, response);
        let path = match &ex.query {
            Some(query) => format!("{}?{query}", ex.raw_path),
            None => ex.raw_path.clone(),
        };
        log.record(&AccessRecord {
            request_id: ex.request_id.clone(),
            method: ex.method.clone(),
            path,
            protocol: ex.protocol,
            status: status.as_u16(),
            elapsed: started.elapsed(),
            authorizer: ex.decided_by.clone(),
            authorizer_cache_hit: ex.authorizer_cache_hit,
            response_cache_hit: ex.response_cache_hit,
            throttled_by: ex.throttled_by.clone(),
            rejected,
            stage_log,
            execution_log,
            route: ex.route.as_ref().map(|route| {
                let entry = &route.entry;
                let record = entry.record.get_or_init(|| RouteRecord {
                    api: self
                        .apis
                        .get(entry.api)
                        .map_or("", |api| api.logical_id.as_str())
                        .into(),
                    key: entry.route_key.as_str().into(),
                    function: entry.function.as_str().into(),
                    dialect: entry.dialect,
                });
                record.clone()
            }),
        });
    }
}

/// The route table, the served APIs (indexed by the routes) and the Function URLs of `apis`.
pub(crate) fn compile(
    apis: Apis<'_>,
) -> Result<(RouteTable, Vec<Api>, FunctionUrlTable), RouteError> {
    let mut specs = Vec::new();
    let mut served: Vec<Api> = apis.rest.iter().map(Api::rest).collect();
    for (index, api) in apis.rest.iter().enumerate() {
        specs.extend(api.routes.iter().map(|route| RouteSpec::rest(index, route)));
    }
    for api in apis.http {
        let index = served.len();
        served.push(Api::http(api));
        specs.extend(api.routes.iter().map(|route| {
            RouteSpec {
                api: index,
                method: route.method.clone(),
                path: route.path.clone(),
                function: route.function.clone(),
                event_name: route.event_name.clone(),
                dialect: Dialect::HttpApi(route.payload_format),
                route_key: route.route_key(),
                timeout: Some(Duration::from_millis(u64::from(route.timeout_ms))),
                integration: match &route.integration {
                    HttpIntegration::Lambda => Integration::LambdaProxy,
                    HttpIntegration::HttpProxy(proxy) => Integration::HttpProxy(proxy.clone()),
                    HttpIntegration::NotEmulated { kind } => {
                        Integration::Unsupported { kind: kind.clone() }
                    }
                },
                validation: None,
                // AWS: HTTP APIs do not pass an operation name on.
                operation_name: None,
                // AWS: response streaming is a REST API feature.
                streams: false,
                parameter_mapping: (!route.parameter_mapping.is_empty())
                    .then(|| Arc::new(route.parameter_mapping.clone())),
                // AWS: "You can't use HTTP APIs to invoke tenant-isolated Lambda functions
                // because you can't override the X-Amz-Tenant-Id header" (Lambda docs).
                tenant_id_parameter: None,
                qualifier: route.qualifier.clone(),
            }
        }));
    }
    let function_urls = FunctionUrlTable::new(apis.function_urls, served.len());
    served.extend(apis.function_urls.iter().map(Api::function_url));
    Ok((RouteTable::from_specs(specs)?, served, function_urls))
}

/// Whether a REST answer carries the gateway's `X-Amzn-Trace-Id`: AWS adds it to what an
/// integration calling a backend for it answered (Lambda, proxy or not, an AWS service, an HTTP
/// endpoint), and not to a MOCK's answer (LocalStack's AWS-validated `test_invocation_trace_id`),
/// an `HTTP_PROXY` endpoint's (which keeps its own; `test_apigateway_header_remapping_http`) or
/// its own error responses (the same recordings' 500s, and a 502 in aws-amplify/amplify-js#6931).
fn traced(ex: &Exchange, answered: bool) -> bool {
    answered
        && ex.route.as_ref().is_some_and(|route| {
            !matches!(
                route.entry.integration,
                Integration::Mock(_) | Integration::HttpProxy(_)
            )
        })
}

/// The request line (`GET /path?query HTTP/1.1`) plus every header value, as AWS counts them.
fn header_bytes(ex: &Exchange) -> usize {
    let request_line = ex.method.len()
        + 1
        + ex.raw_path.len()
        + ex.query.as_ref().map_or(0, |q| q.len() + 1)
        + " HTTP/1.1".len();
    request_line + ex.headers.values().map(|v| v.len()).sum::<usize>()
}

/// What the request side produced: the function's payload, or an answer the gateway made itself.
enum Reply {
    /// The function's response payload, still to be mapped.
    Payload(Bytes),
    /// A streamed answer, its head read.
    Streamed(StreamedHead),
    /// A complete response (CORS preflight, a mapped integration's answer).
    Answered(Response<Full<Bytes>>),
    /// An `HTTP_PROXY` endpoint's answer: complete, but an HTTP API's response parameters and
    /// CORS still apply.
    Proxied(Response<Full<Bytes>>),
}

/// The Lambda request id the integration invokes under. Recorded from Lambda: a Function URL's
/// `x-amzn-RequestId` is the invocation's own id; API Gateway's request ids are its own, apart
/// from Lambda's, so it picks a fresh one (a UUID, as Lambda's are) for its access log to name.
fn lambda_request_id(ex: &Exchange) -> String {
    match ex.dialect {
        Dialect::FunctionUrl => ex.request_id.clone(),
        Dialect::Rest | Dialect::HttpApi(_) => uuid::Uuid::new_v4().to_string(),
    }
}

/// Records the status a Lambda proxy's function answered with (`$context.integration.status`),
/// once the response phase read it from the function's response.
fn function_status(ex: &mut Exchange, status: http::StatusCode) {
    if let Some(integration) = ex.integration.as_mut() {
        integration.backend_status = Some(status.as_u16());
    }
}

/// The gateway's view of a failed invocation.
fn invoke_failure(error: InvokeError) -> GatewayError {
    match error {
        InvokeError::Function { payload } => {
            GatewayError::FunctionFailed(String::from_utf8_lossy(&payload).into_owned())
        }
        InvokeError::Rejected {
            error_type,
            message,
        } => GatewayError::InvokeRejected(format!("{error_type}: {message}")),
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
