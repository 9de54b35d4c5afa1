//! Authentication and traffic control: the guards each route gets from the template (authorizer,
//! API key, usage plan, throttle), compiled once per template generation, over state that outlives
//! generations ([`GuardState`]: authorizer cache, limits) so a reload keeps quotas and caches.

mod http_authorizer;
pub mod issuer;
pub mod jwks_fetch;
pub mod jwt;
pub mod limits;
pub(crate) mod phases;
pub mod policy;
mod policy_values;
pub mod remote_keys;
pub(crate) mod resource_policy;
pub mod response_cache;
pub mod sigv4;

use foldhash::fast::RandomState as FastState;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use regex::Regex;
use sluice_template::auth_model::{
    AuthModel, Authorizer, HttpLambdaFormat, IdentitySource, LambdaPayload, PoolRef,
    RouteAuthorizer, Throttle, UsagePlan,
};
use sluice_template::{HttpApi, RestApi};

use self::jwt::{Jwks, JwtRules, JwtValidator};
use self::limits::LimitsStore;
use self::policy::AuthorizerAnswer;

/// State shared by every generation of the gateway: created once by the server.
#[derive(Clone)]
pub struct GuardState {
    /// Lambda authorizer results by identity.
    pub authorizer_cache: Arc<AuthorizerCache>,
    /// Token buckets and quota counters.
    pub limits: Arc<dyn LimitsStore>,
    /// The stage cache of function payloads.
    pub response_cache: Arc<response_cache::ResponseCache>,
}

impl std::fmt::Debug for GuardState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardState").finish_non_exhaustive()
    }
}

/// Lambda authorizer answers, keyed by API, authorizer and identity sources, until their TTL.
#[derive(Debug, Default)]
pub struct AuthorizerCache {
    entries: Mutex<HashMap<String, (Instant, Arc<AuthorizerAnswer>)>>,
}

impl AuthorizerCache {
    /// The cached answer for `key`, if still fresh.
    pub(crate) fn get(&self, key: &str) -> Option<Arc<AuthorizerAnswer>> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        match entries.get(key) {
            Some((expires, answer)) if *expires > Instant::now() => Some(answer.clone()),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// Keeps `answer` for `ttl`.
    pub(crate) fn put(&self, key: String, answer: Arc<AuthorizerAnswer>, ttl: Duration) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.insert(key, (Instant::now() + ttl, answer));
    }
}

/// What the server resolves before compiling guards: verification keys and API key values.
#[derive(Debug, Clone)]
pub struct GuardInputs {
    /// Validators per pool: by logical id for the template's pools, by ARN for external ones.
    pub pools: HashMap<String, JwtValidator>,
    /// Keys per issuer URL (`iss`), for HTTP API JWT authorizers: the local pools' and the
    /// external JWKS files'.
    pub issuers: HashMap<String, Jwks>,
    /// Keys fetched from issuers Sluice does not host, by issuer URL, for HTTP API JWT
    /// authorizers (REST pools outside the template get theirs in `pools`).
    pub remote_issuers: HashMap<String, Arc<remote_keys::RemoteKeys>>,
    /// API key values by the key's logical id (template values or generated ones).
    pub api_key_values: HashMap<String, String>,
    /// The account-level throttle (AWS: 10,000 rps, burst 5,000).
    pub account_throttle: Throttle,
    /// Access keys `AWS_IAM` routes accept.
    pub credentials: Vec<sigv4::Credential>,
    /// SAM CLI's `--disable-authorizer`: Lambda and Cognito authorizers are skipped (the user asked
    /// for open routes); `AWS_IAM`, API keys and throttles still apply.
    pub disable_authorizers: bool,
}

impl Default for GuardInputs {
    fn default() -> Self {
        GuardInputs {
            pools: HashMap::new(),
            issuers: HashMap::new(),
            remote_issuers: HashMap::new(),
            api_key_values: HashMap::new(),
            account_throttle: ACCOUNT_THROTTLE,
            credentials: Vec::new(),
            disable_authorizers: false,
        }
    }
}

/// AWS's default account-level throttle.
pub const ACCOUNT_THROTTLE: Throttle = Throttle {
    rate_limit: 10_000.0,
    burst_limit: 5_000,
};

/// How one route is authorized.
#[derive(Debug, Clone)]
pub(crate) enum Check {
    /// No authorizer.
    Open,
    /// An authorizer `--disable-authorizer` skipped: open, and counted as having allowed (a
    /// resource policy that says nothing does not refuse, as after the authorizer's allow).
    Skipped,
    /// A Cognito user pool authorizer.
    Cognito {
        /// The pools' validators (any one accepting the token is enough).
        validators: Vec<JwtValidator>,
        /// Header carrying the token.
        header: String,
        /// `Identity.ValidationExpression`.
        validation: Option<Regex>,
        /// Required scopes (any one); empty means an id token is expected.
        scopes: Vec<String>,
    },
    /// A Lambda authorizer.
    Lambda {
        /// The invoker's target: the function's logical id (or name), `Fn:qualifier` when the
        /// authorizer's ARN names a version or alias.
        function: String,
        /// TOKEN header and expression, or REQUEST identity sources.
        payload: LambdaPayload,
        /// Compiled `ValidationExpression` of a TOKEN authorizer.
        validation: Option<Regex>,
        /// Result cache TTL (zero disables).
        ttl: Duration,
        /// The HTTP API's payload version and response mode; `None` on a REST API.
        http: Option<HttpLambdaFormat>,
    },
    /// An HTTP API JWT authorizer.
    Jwt {
        /// The issuer's keys and the authorizer's issuer and audiences.
        validator: JwtValidator,
        /// Where the token is.
        identity: IdentitySource,
        /// The route's `AuthorizationScopes` (any one must be granted); empty: none required.
        scopes: Vec<String>,
    },
    /// `AWS_IAM`: a SigV4 signature from a known access key, checked once the body is read.
    Iam,
    /// Something Sluice cannot enforce: the route answers 500 (fail closed).
    Unenforceable(String),
}

/// Everything guarding one route.
#[derive(Debug, Clone)]
pub(crate) struct RouteGuard {
    /// The authorizer's name (for the access log), if any.
    pub authorizer_name: Option<String>,
    /// How the route is authorized.
    pub check: Check,
    /// Whether an API key is required.
    pub api_key_required: bool,
    /// The effective throttle and the level it came from: `method` or `stage` (REST
    /// `MethodSettings`), `route` (an HTTP API's `RouteSettings` / `DefaultRouteSettings`). Each
    /// method or route takes from a bucket of its own, whatever the level.
    pub throttle: Option<(Throttle, &'static str)>,
    /// The stage cache's TTL for this method, when caching is on.
    pub cache_ttl: Option<Duration>,
    /// The method's declared cache key parameters (`method.request.querystring.type`, …).
    pub cache_key_parameters: Vec<String>,
}

/// An API key Sluice accepts.
#[derive(Debug, Clone)]
pub(crate) struct KnownKey {
    /// Its logical id (used in counter keys and logs, never the value itself).
    pub id: String,
    /// `Enabled`.
    pub enabled: bool,
}

/// Route guards by (API logical id, method, resource path). hashbrown's map, because its lookups
/// take a borrowed key ([`RouteRef`]): a request's up to three lookups build no owned keys.
/// foldhash, not SipHash: the keys are the template's routes, and SipHash was 1.5 k instructions
/// of every request (bench/instructions).
type RouteGuards = hashbrown::HashMap<(String, String, String), RouteGuard, FastState>;

/// A route's key as borrowed strings; hashes as the owned tuple does (fields in order).
#[derive(Hash)]
struct RouteRef<'a>(&'a str, &'a str, &'a str);

impl hashbrown::Equivalent<(String, String, String)> for RouteRef<'_> {
    fn equivalent(&self, key: &(String, String, String)) -> bool {
        self.0 == key.0 && self.1 == key.1 && self.2 == key.2
    }
}

/// Every route's guards for one template generation.
#[derive(Debug)]
pub struct Guards {
    /// By (API logical id, method, resource path).
    routes: RouteGuards,
    /// APIs whose key comes from the authorizer (`usageIdentifierKey`).
    key_from_authorizer: Vec<String>,
    /// By key value.
    keys: HashMap<String, KnownKey>,
    plans: Vec<UsagePlan>,
    account: Throttle,
    pub(crate) sigv4: sigv4::SigV4Verifier,
    pub(crate) state: GuardState,
}

impl Guards {
    /// Compiles the guards of the REST and HTTP APIs from the template's auth model.
    pub fn new(
        model: &AuthModel,
        apis: &[RestApi],
        http_apis: &[HttpApi],
        inputs: &GuardInputs,
        state: GuardState,
    ) -> Guards {
        let mut routes = RouteGuards::default();
        http_routes(model, http_apis, inputs, &mut routes);
        let mut key_from_authorizer = Vec::new();
        for api in apis {
            let Some(auth) = model.apis.get(&api.logical_id) else {
                continue;
            };
            if auth.api_key_from_authorizer {
                key_from_authorizer.push(api.logical_id.clone());
            }
            for route in &api.routes {
                let method = route.method.to_ascii_uppercase();
                let resource = normalize(&route.path);
                let route_auth = auth
                    .routes
                    .iter()
                    .find(|r| r.method == method && normalize(&r.path) == resource);
                let raw_method = auth.methods.get(&route.event_name);
                let (authorizer_name, check, api_key_required) = match route_auth {
                    None => match raw_method {
                        Some(m) => match (&m.unenforceable, &m.authorizer) {
                            (Some(why), _) => {
                                (None, Check::Unenforceable(why.clone()), m.api_key_required)
                            }
                            (None, Some(_)) if inputs.disable_authorizers => {
                                (None, Check::Skipped, m.api_key_required)
                            }
                            (None, Some(name)) => (
                                Some(name.clone()),
                                compile(auth.authorizers.get(name), &m.scopes, inputs),
                                m.api_key_required,
                            ),
                            (None, None) if m.iam => {
                                (Some("AWS_IAM".to_owned()), Check::Iam, m.api_key_required)
                            }
                            (None, None) => (None, Check::Open, m.api_key_required),
                        },
                        // A route no event describes (an OpenAPI path): the API's defaults, as
                        // SAM applies them to `DefinitionBody`.
                        None => match &auth.default_authorizer {
                            Some(RouteAuthorizer::Named(name)) if !inputs.disable_authorizers => (
                                Some(name.clone()),
                                compile(
                                    auth.authorizers.get(name),
                                    &match auth.authorizers.get(name) {
                                        Some(Authorizer::Cognito(c)) => c.scopes.clone(),
                                        _ => Vec::new(),
                                    },
                                    inputs,
                                ),
                                auth.default_api_key_required,
                            ),
                            Some(RouteAuthorizer::Iam) => (
                                Some("AWS_IAM".to_owned()),
                                Check::Iam,
                                auth.default_api_key_required,
                            ),
                            Some(RouteAuthorizer::Named(_)) => {
                                (None, Check::Skipped, auth.default_api_key_required)
                            }
                            _ => (None, Check::Open, auth.default_api_key_required),
                        },
                    },
                    Some(r) => {
                        let (name, check) = match &r.authorizer {
                            RouteAuthorizer::None => (None, Check::Open),
                            RouteAuthorizer::Iam => (Some("AWS_IAM".to_owned()), Check::Iam),
                            RouteAuthorizer::Named(_) if inputs.disable_authorizers => {
                                (None, Check::Skipped)
                            }
                            RouteAuthorizer::Named(name) => (
                                Some(name.clone()),
                                compile(auth.authorizers.get(name), &r.scopes, inputs),
                            ),
                        };
                        (name, check, r.api_key_required)
                    }
                };
                let throttle = effective_throttle(
                    &auth.method_settings,
                    &method,
                    &resource,
                    inputs.account_throttle,
                );
                let cache_ttl = auth
                    .cache_cluster_enabled
                    .then(|| effective_cache(&auth.method_settings, &method, &resource))
                    .flatten();
                routes.insert(
                    (api.logical_id.clone(), method, resource),
                    RouteGuard {
                        authorizer_name,
                        check,
                        api_key_required,
                        throttle,
                        cache_ttl,
                        cache_key_parameters: route.cache_key_parameters.clone(),
                    },
                );
            }
        }
        let keys = model
            .api_keys
            .iter()
            .filter_map(|k| {
                let value = k
                    .value
                    .clone()
                    .or_else(|| inputs.api_key_values.get(&k.logical_id).cloned())?;
                Some((
                    value,
                    KnownKey {
                        id: k.logical_id.clone(),
                        enabled: k.enabled,
                    },
                ))
            })
            .collect();
        Guards {
            routes,
            key_from_authorizer,
            keys,
            plans: model.usage_plans.clone(),
            account: inputs.account_throttle,
            sigv4: sigv4::SigV4Verifier::new(inputs.credentials.clone()),
            state,
        }
    }

    /// The guard of a route, if the template gives it any.
    pub(crate) fn route(&self, api: &str, method: &str, resource: &str) -> Option<&RouteGuard> {
        self.routes.get(&RouteRef(api, method, resource))
    }

    /// Every route that cannot be enforced, as `API METHOD PATH: why` (for `sluice validate`).
    pub fn unenforceable(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .routes
            .iter()
            .filter_map(|((api, method, path), guard)| match &guard.check {
                Check::Unenforceable(why) => Some(format!("{api} {method} {path}: {why}")),
                _ => None,
            })
            .collect();
        out.sort();
        out
    }
}

/// The check for a named authorizer; anything Sluice cannot enforce fails closed.
fn compile(authorizer: Option<&Authorizer>, scopes: &[String], inputs: &GuardInputs) -> Check {
    let regex = |expr: &Option<String>| -> Result<Option<Regex>, String> {
        match expr {
            // AWS matches the whole token against the expression.
            Some(e) => Regex::new(&format!("^(?:{e})$")).map(Some).map_err(|err| {
                // The parser's message spans lines; one log line reads better.
                let err = err
                    .to_string()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                format!("ValidationExpression {e:?} is not a regular expression: {err}")
            }),
            None => Ok(None),
        }
    };
    match authorizer {
        None => {
            Check::Unenforceable("the route names an authorizer the API does not define".into())
        }
        Some(Authorizer::Unenforceable(why)) => Check::Unenforceable(why.clone()),
        Some(Authorizer::Jwt(j)) => {
            let rules = JwtRules {
                issuer: j.issuer.clone(),
                audiences: j.audiences.clone(),
                token_uses: Vec::new(),
                leeway_secs: 0,
            };
            let validator = match (
                inputs.issuers.get(&j.issuer),
                inputs.remote_issuers.get(&j.issuer),
            ) {
                (Some(jwks), _) => JwtValidator::new(jwks.clone(), rules),
                (None, Some(remote)) => JwtValidator::remote(remote.clone(), rules),
                (None, None) => {
                    return Check::Unenforceable(format!(
                        "no keys for JWT issuer {} (not https://, so its keys are not fetched, as API Gateway fetches only from https:// issuers; not a Cognito pool of the template; no JWKS file in the state folder's jwks/)",
                        j.issuer
                    ))
                }
            };
            Check::Jwt {
                validator,
                identity: j.identity.clone(),
                scopes: scopes.to_vec(),
            }
        }
        Some(Authorizer::Cognito(c)) => {
            let mut validators = Vec::new();
            for pool in &c.pools {
                let key = match pool {
                    PoolRef::Local(id) | PoolRef::Arn(id) => id,
                };
                match inputs.pools.get(key) {
                    Some(v) => validators.push(v.clone()),
                    None => {
                        return Check::Unenforceable(format!(
                            "no JWKS for user pool {key} (a pool outside the template needs its JWKS file)"
                        ))
                    }
                }
            }
            match regex(&c.validation_expression) {
                Ok(validation) => Check::Cognito {
                    validators,
                    header: c.header.to_ascii_lowercase(),
                    validation,
                    scopes: scopes.to_vec(),
                },
                Err(why) => Check::Unenforceable(why),
            }
        }
        Some(Authorizer::Lambda(l)) => {
            let expression = match &l.payload {
                LambdaPayload::Token {
                    validation_expression,
                    ..
                } => validation_expression.clone(),
                LambdaPayload::Request { identity } => {
                    if identity.is_empty() && l.ttl_secs > 0 {
                        return Check::Unenforceable(
                            "a REQUEST authorizer with caching needs identity sources".into(),
                        );
                    }
                    None
                }
            };
            match regex(&expression) {
                Ok(validation) => Check::Lambda {
                    // The invoker's target, made once here: `Fn`, or `Fn:live` when the
                    // authorizer's ARN names a qualifier (what API Gateway invokes).
                    function: match &l.qualifier {
                        Some(qualifier) => format!("{}:{qualifier}", l.function),
                        None => l.function.clone(),
                    },
                    payload: l.payload.clone(),
                    validation,
                    ttl: Duration::from_secs(u64::from(l.ttl_secs)),
                    http: l.http,
                },
                Err(why) => Check::Unenforceable(why),
            }
        }
    }
}

/// The guards of every HTTP API route: each has a `RouteAuth` from the template (open ones too);
/// one without is refused rather than opened. A JWT authorizer's validator is compiled once per
/// API and shared by its routes, so they share its verified-token memory.
fn http_routes(
    model: &AuthModel,
    apis: &[HttpApi],
    inputs: &GuardInputs,
    routes: &mut RouteGuards,
) {
    for api in apis {
        let Some(auth) = model.apis.get(&api.logical_id) else {
            continue;
        };
        let mut compiled: HashMap<&str, Check> = HashMap::new();
        for route in &api.routes {
            let found = auth
                .routes
                .iter()
                .find(|r| r.method == route.method && r.path == route.path);
            let (name, check) = match found.map(|r| (&r.authorizer, &r.scopes)) {
                None => (
                    None,
                    Check::Unenforceable("the route's auth could not be read".into()),
                ),
                Some((RouteAuthorizer::None, _)) => (None, Check::Open),
                Some((RouteAuthorizer::Iam, _)) => (Some("AWS_IAM".to_owned()), Check::Iam),
                Some((RouteAuthorizer::Named(_), _)) if inputs.disable_authorizers => {
                    (None, Check::Skipped)
                }
                Some((RouteAuthorizer::Named(name), scopes)) => {
                    let base = compiled
                        .entry(name.as_str())
                        .or_insert_with(|| compile(auth.authorizers.get(name), &[], inputs));
                    let check = match base.clone() {
                        Check::Jwt {
                            validator,
                            identity,
                            ..
                        } => Check::Jwt {
                            validator,
                            identity,
                            scopes: scopes.clone(),
                        },
                        other => other,
                    };
                    (Some(name.clone()), check)
                }
            };
            // A limit the setting leaves out is the account's, as a REST method setting's is.
            let throttle = auth
                .route_throttling
                .for_route(&route.route_key())
                .map(|limits| {
                    let limit = Throttle {
                        rate_limit: limits
                            .rate_limit
                            .unwrap_or(inputs.account_throttle.rate_limit),
                        burst_limit: limits
                            .burst_limit
                            .unwrap_or(inputs.account_throttle.burst_limit),
                    };
                    (limit, "route")
                });
            routes.insert(
                (
                    api.logical_id.clone(),
                    route.method.clone(),
                    normalize(&route.path),
                ),
                RouteGuard {
                    authorizer_name: name,
                    check,
                    api_key_required: false,
                    throttle,
                    cache_ttl: None,
                    cache_key_parameters: Vec::new(),
                },
            );
        }
    }
}

/// The most specific `MethodSettings` throttle for a route: its own resource and method, then the
/// resource with any method, then the stage (`/*/*`). A limit the entry leaves out is `account`'s
/// (the configured account limit, as for an HTTP API route).
fn effective_throttle(
    settings: &[sluice_template::auth_model::MethodSetting],
    method: &str,
    resource: &str,
    account: Throttle,
) -> Option<(Throttle, &'static str)> {
    let candidates = [
        (resource, method, "method"),
        (resource, "*", "method"),
        ("/*", "*", "stage"),
    ];
    for (path, verb, level) in candidates {
        if let Some(s) = settings.iter().find(|s| {
            normalize(&s.resource_path) == path && s.http_method.eq_ignore_ascii_case(verb)
        }) {
            if s.rate_limit.is_some() || s.burst_limit.is_some() {
                return Some((
                    Throttle {
                        rate_limit: s.rate_limit.unwrap_or(account.rate_limit),
                        burst_limit: s.burst_limit.unwrap_or(account.burst_limit),
                    },
                    level,
                ));
            }
        }
    }
    None
}

/// The cache TTL for a method: the most specific `MethodSettings` entry saying `CachingEnabled`
/// (a stage-wide `/*/*` one covers GET only, as on AWS), its `CacheTtlInSeconds` (default 300; 0
/// disables).
fn effective_cache(
    settings: &[sluice_template::auth_model::MethodSetting],
    method: &str,
    resource: &str,
) -> Option<Duration> {
    let candidates = [(resource, method), (resource, "*"), ("/*", "*")];
    let find = |pick: &dyn Fn(&sluice_template::auth_model::MethodSetting) -> bool| {
        candidates.iter().find_map(|(path, verb)| {
            settings.iter().find(|s| {
                normalize(&s.resource_path) == *path
                    && s.http_method.eq_ignore_ascii_case(verb)
                    && pick(s)
            })
        })
    };
    let setting = find(&|s| s.caching_enabled.is_some())?;
    let stage_wide = setting.resource_path == "/*";
    if setting.caching_enabled != Some(true) || (stage_wide && method != "GET") {
        return None;
    }
    let ttl = find(&|s| s.cache_ttl_secs.is_some())
        .and_then(|s| s.cache_ttl_secs)
        .unwrap_or(300)
        .min(3600);
    (ttl > 0).then(|| Duration::from_secs(u64::from(ttl)))
}

/// Resource paths compare without a trailing slash (as the route table stores them).
fn normalize(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// Identity source values in order, `None` when one is missing or empty (AWS then answers 401
/// without invoking the authorizer).
pub(crate) fn identity_values(
    sources: &[IdentitySource],
    header: impl Fn(&str) -> Option<String>,
    query: impl Fn(&str) -> Option<String>,
    stage_variable: impl Fn(&str) -> Option<String>,
    context: impl Fn(&str) -> Option<String>,
) -> Option<Vec<String>> {
    sources
        .iter()
        .map(|source| {
            match source {
                IdentitySource::Header(n) => header(n),
                IdentitySource::Query(n) => query(n),
                IdentitySource::StageVariable(n) => stage_variable(n),
                IdentitySource::Context(n) => context(n),
            }
            .filter(|v| !v.is_empty())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_template::auth_model::{JwtAuthorizer, MethodSetting};

    fn jwt_authorizer(issuer: &str) -> Authorizer {
        Authorizer::Jwt(JwtAuthorizer {
            issuer: issuer.to_owned(),
            audiences: vec!["app".into()],
            identity: IdentitySource::Header("Authorization".into()),
            scopes: Vec::new(),
        })
    }

    #[test]
    fn an_issuer_with_fetched_keys_is_enforced_and_one_without_keys_fails_closed() {
        let issuer = "https://tenant.example";
        let mut inputs = GuardInputs::default();
        inputs.remote_issuers.insert(
            issuer.to_owned(),
            Arc::new(remote_keys::RemoteKeys::new(
                issuer.to_owned(),
                jwks_fetch::KeyLocation::Discovery {
                    issuer: issuer.to_owned(),
                },
            )),
        );
        assert!(matches!(
            compile(Some(&jwt_authorizer(issuer)), &[], &inputs),
            Check::Jwt { .. }
        ));
        // AWS fetches keys from https:// issuers only: a plain http one is never fetched.
        match compile(Some(&jwt_authorizer("http://tenant.example")), &[], &inputs) {
            Check::Unenforceable(why) => assert!(why.contains("https://"), "{why}"),
            other => panic!("expected fail-closed, got {other:?}"),
        }
    }

    fn setting(path: &str, method: &str, rate: Option<f64>, burst: Option<u32>) -> MethodSetting {
        MethodSetting {
            resource_path: path.into(),
            http_method: method.into(),
            rate_limit: rate,
            burst_limit: burst,
            caching_enabled: None,
            cache_ttl_secs: None,
            logging_level: None,
            data_trace_enabled: None,
        }
    }

    /// `--account-throttle 7,3`: a limit a `MethodSettings` entry leaves out is that one, not
    /// AWS's default account limit (10,000 rps, burst 5,000).
    #[test]
    fn a_limit_a_method_setting_leaves_out_is_the_configured_accounts() {
        let account = Throttle {
            rate_limit: 7.0,
            burst_limit: 3,
        };
        let settings = [
            setting("/*", "*", None, Some(1)),
            setting("/items", "GET", Some(2.0), None),
        ];
        let limit = |method, resource| {
            effective_throttle(&settings, method, resource, account).map(|(t, level)| {
                assert!(level == "method" || level == "stage");
                (t.rate_limit, t.burst_limit)
            })
        };
        assert_eq!(limit("GET", "/items"), Some((2.0, 3)));
        assert_eq!(limit("POST", "/items"), Some((7.0, 1)));
    }

    #[tokio::test]
    async fn keys_that_cannot_be_fetched_refuse_the_token() {
        // Not https: the fetch fails at once, without the network.
        let keys = Arc::new(remote_keys::RemoteKeys::new(
            "http://tenant.example".into(),
            jwks_fetch::KeyLocation::Discovery {
                issuer: "http://tenant.example".into(),
            },
        ));
        keys.prefetch().await;
        let validator = JwtValidator::remote(
            keys,
            JwtRules {
                issuer: "http://tenant.example".into(),
                audiences: Vec::new(),
                token_uses: Vec::new(),
                leeway_secs: 0,
            },
        );
        let err = validator
            .validate_fetching("a.b.c", 0)
            .await
            .expect_err("no keys");
        assert_eq!(err, jwt::JwtError::NoKeys);
    }
}
