//! Composition of authentication and traffic control: the state that outlives a template generation
//! (authorizer cache, limits), the local Cognito issuers, API key values, and the gateway's guards.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use sluice_apigw::auth::issuer::{cognito_issuer, IssuerError, LocalIssuer, TokenRequest};
use sluice_apigw::auth::jwks_fetch::KeyLocation;
use sluice_apigw::auth::jwt::{Jwks, JwtRules, JwtValidator};
use sluice_apigw::auth::limits::{EmbeddedLimits, LimitsError};
use sluice_apigw::auth::remote_keys::RemoteKeys;
use sluice_apigw::auth::{AuthorizerCache, ACCOUNT_THROTTLE};
use sluice_apigw::{GuardInputs, GuardState, Guards};
use sluice_template::auth_model::{Authorizer, PoolRef};
use sluice_template::Model;

use crate::config::Config;

/// Why authentication could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum AuthSetupError {
    /// A pool's signing key.
    #[error("local Cognito issuer: {0}")]
    Issuer(#[from] IssuerError),
    /// The quota file.
    #[error("usage plan quotas: {0}")]
    Limits(#[from] LimitsError),
    /// `sluice token` was asked for a pool or client the template does not have.
    #[error("{0}")]
    Token(String),
    /// The API key file.
    #[error("{}: {message}", path.display())]
    ApiKeys {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// Opens the state shared by every generation: the authorizer cache and the limits store.
pub fn open_guard_state(config: &Config) -> Result<GuardState, AuthSetupError> {
    let limits: Arc<dyn sluice_apigw::auth::limits::LimitsStore> = match &config.limits_store {
        // Keys are per account and region, so two applications can share one Redis.
        Some(url) => Arc::new(crate::limits_redis::RedisLimits::connect(
            url,
            &format!("{}:{}", config.aws.account_id, config.aws.region),
        )?),
        None => {
            let file =
                (!config.in_memory).then(|| config.state_dir().join("limits").join("quotas.json"));
            Arc::new(EmbeddedLimits::open(file)?)
        }
    };
    Ok(GuardState {
        authorizer_cache: Arc::new(AuthorizerCache::default()),
        limits,
        response_cache: Arc::default(),
    })
}

/// The template's local issuers, by pool id (keys created in the state folder on first use).
pub fn local_issuers(
    config: &Config,
    model: &Model,
) -> Result<Vec<(String, Arc<LocalIssuer>)>, AuthSetupError> {
    let state_dir = config.state_dir();
    model
        .auth
        .user_pools
        .iter()
        .map(|pool| {
            let issuer = cognito_issuer(&config.aws.region, &pool.pool_id);
            let local = LocalIssuer::open(&state_dir, &pool.pool_id, issuer)?;
            Ok((pool.logical_id.clone(), Arc::new(local)))
        })
        .collect()
}

/// Compiles the gateway's guards; startup notes (generated API keys) go to `notes`.
pub fn guards(
    config: &Config,
    model: &Model,
    issuers: &[(String, Arc<LocalIssuer>)],
    state: GuardState,
    notes: &mut Vec<String>,
) -> Result<Guards, AuthSetupError> {
    let mut inputs = GuardInputs {
        account_throttle: config.account_throttle.unwrap_or(ACCOUNT_THROTTLE),
        ..GuardInputs::default()
    };
    for (logical_id, issuer) in issuers {
        let pool = model.auth.user_pool(logical_id);
        let audiences = pool
            .map(|p| p.clients.iter().map(|c| c.client_id.clone()).collect())
            .unwrap_or_default();
        let validator = JwtValidator::new(
            issuer.jwks()?,
            JwtRules {
                issuer: issuer.issuer().to_owned(),
                audiences,
                token_uses: vec!["id".into(), "access".into()],
                leeway_secs: 0,
            },
        );
        inputs.pools.insert(logical_id.clone(), validator);
        inputs
            .issuers
            .insert(issuer.issuer().to_owned(), issuer.jwks()?);
    }
    let (pools, issuers) = external_pools(config);
    inputs.pools.extend(pools);
    inputs.issuers.extend(issuers);
    for keys in remote_keys(model, &mut inputs) {
        // The startup fetch runs beside readiness; a token arriving first waits for it (a few
        // seconds at most). Each fetch ends within its own timeout, so nothing is left to stop.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { keys.prefetch().await });
        }
    }
    inputs.api_key_values = api_key_values(config, model, notes)?;
    inputs.credentials = credentials(config, model, notes);
    inputs.disable_authorizers = config.disable_authorizer;
    if config.disable_authorizer {
        notes.push(
            "Warning: --disable-authorizer: Lambda and Cognito authorizers are skipped; their routes are open"
                .into(),
        );
    }
    Ok(Guards::new(
        &model.auth,
        &model.rest_apis,
        &model.http_apis,
        &inputs,
        state,
    ))
}

/// Pools outside the template whose JWKS the user put in `<state>/jwks/<pool id>.json`.
///
/// AWS: API Gateway fetches a pool's keys itself, and so does Sluice ([`remote_keys`]) unless the
/// pool's JWKS is supplied as a file named for the pool id at the end of its ARN (offline use:
/// the file wins). The keys serve
/// REST authorizers (by pool ARN) and HTTP API JWT authorizers (by the pool's issuer URL).
fn external_pools(config: &Config) -> (HashMap<String, JwtValidator>, HashMap<String, Jwks>) {
    let mut out = HashMap::new();
    let mut issuers = HashMap::new();
    let dir = config.state_dir().join("jwks");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return (out, issuers);
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(pool_id) = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned) else {
            continue;
        };
        let Some(region) = pool_id.split('_').next().map(str::to_owned) else {
            continue;
        };
        match std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|b| Jwks::from_json(&b).map_err(|e| e.to_string()))
        {
            Ok(jwks) => {
                issuers.insert(cognito_issuer(&region, &pool_id), jwks.clone());
                let arn = format!(
                    "arn:{}:cognito-idp:{region}:{}:userpool/{pool_id}",
                    config.aws.partition, config.aws.account_id
                );
                out.insert(
                    arn,
                    JwtValidator::new(
                        jwks,
                        JwtRules {
                            issuer: cognito_issuer(&region, &pool_id),
                            audiences: Vec::new(),
                            token_uses: vec!["id".into(), "access".into()],
                            leeway_secs: 0,
                        },
                    ),
                );
            }
            // A bad file leaves the pool without keys: its routes fail closed with a log line.
            Err(e) => tracing::error!("{}: {e}", path.display()),
        }
    }
    (out, issuers)
}

/// Issuers the template trusts whose keys Sluice neither holds nor finds in `<state>/jwks/`:
/// HTTP API JWT issuers (keys through `{issuer}/.well-known/openid-configuration`) and REST
/// Cognito authorizers' pools outside the template (keys at the pool's
/// `https://cognito-idp.<region>.amazonaws.com/<pool id>/.well-known/jwks.json`), as API Gateway
/// fetches them. Adds them to `inputs` and returns them, for the startup fetch. Only `https://`
/// issuers are fetched, as on AWS; others stay without keys (their routes fail closed).
fn remote_keys(model: &Model, inputs: &mut GuardInputs) -> Vec<Arc<RemoteKeys>> {
    let mut out = Vec::new();
    for authorizer in model
        .auth
        .apis
        .values()
        .flat_map(|a| a.authorizers.values())
    {
        match authorizer {
            Authorizer::Jwt(j) => {
                if inputs.issuers.contains_key(&j.issuer)
                    || inputs.remote_issuers.contains_key(&j.issuer)
                    || !j.issuer.starts_with("https://")
                {
                    continue;
                }
                let keys = Arc::new(RemoteKeys::new(
                    j.issuer.clone(),
                    KeyLocation::Discovery {
                        issuer: j.issuer.clone(),
                    },
                ));
                inputs.remote_issuers.insert(j.issuer.clone(), keys.clone());
                out.push(keys);
            }
            Authorizer::Cognito(c) => {
                for pool in &c.pools {
                    let PoolRef::Arn(arn) = pool else { continue };
                    if inputs.pools.contains_key(arn) {
                        continue;
                    }
                    // arn:<partition>:cognito-idp:<region>:<account>:userpool/<pool id>
                    let region = arn.split(':').nth(3).unwrap_or_default();
                    let Some(pool_id) = arn.rsplit_once("userpool/").map(|(_, id)| id) else {
                        continue;
                    };
                    if region.is_empty() || pool_id.is_empty() {
                        continue;
                    }
                    let issuer = cognito_issuer(region, pool_id);
                    let keys = Arc::new(RemoteKeys::new(
                        issuer.clone(),
                        KeyLocation::Jwks {
                            url: format!("{issuer}/.well-known/jwks.json"),
                        },
                    ));
                    let rules = JwtRules {
                        issuer,
                        audiences: Vec::new(),
                        token_uses: vec!["id".into(), "access".into()],
                        leeway_secs: 0,
                    };
                    inputs
                        .pools
                        .insert(arn.clone(), JwtValidator::remote(keys.clone(), rules));
                    out.push(keys);
                }
            }
            _ => {}
        }
    }
    out
}

/// Access keys `AWS_IAM` routes and Function URLs accept: `<state>/credentials`, in the AWS CLI's INI format
/// (`[profile]`, `aws_access_key_id`, `aws_secret_access_key`).
///
/// AWS: IAM knows every principal; Sluice knows only the keys it is given, so a copy of the profiles
/// a developer signs with goes in the state folder (Sluice never reads `~/.aws` on its own).
fn credentials(
    config: &Config,
    model: &Model,
    notes: &mut Vec<String>,
) -> Vec<sluice_apigw::auth::sigv4::Credential> {
    let uses_iam = model.auth.apis.values().any(|a| {
        a.routes
            .iter()
            .any(|r| r.authorizer == sluice_template::auth_model::RouteAuthorizer::Iam)
    }) || model
        .function_urls
        .iter()
        .any(|u| u.auth == sluice_template::FunctionUrlAuth::AwsIam);
    let path = config.state_dir().join("credentials");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(_) => {
            if uses_iam {
                notes.push(format!(
                    "Warning: AWS_IAM routes and Function URLs accept no signature until {} holds credentials (the AWS CLI's INI format)",
                    path.display()
                ));
            }
            return Vec::new();
        }
    };
    parse_credentials(&text)
}

/// The profiles of an AWS credentials file that have both a key id and a secret.
pub fn parse_credentials(text: &str) -> Vec<sluice_apigw::auth::sigv4::Credential> {
    let mut out = Vec::new();
    let mut profile = String::new();
    let mut id: Option<String> = None;
    let mut secret: Option<String> = None;
    let mut flush = |profile: &str, id: &mut Option<String>, secret: &mut Option<String>| {
        if let (Some(access_key_id), Some(secret_access_key)) = (id.take(), secret.take()) {
            out.push(sluice_apigw::auth::sigv4::Credential {
                access_key_id,
                secret_access_key,
                profile: profile.to_owned(),
            });
        }
    };
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            flush(&profile, &mut id, &mut secret);
            profile = name.trim().trim_start_matches("profile ").to_owned();
        } else if let Some((key, value)) = line.split_once('=') {
            match key.trim() {
                "aws_access_key_id" => id = Some(value.trim().to_owned()),
                "aws_secret_access_key" => secret = Some(value.trim().to_owned()),
                _ => {}
            }
        }
    }
    flush(&profile, &mut id, &mut secret);
    out
}

/// Values of API keys the template leaves to AWS to generate: made once, kept in
/// `<state>/api-keys.json`, printed at startup.
fn api_key_values(
    config: &Config,
    model: &Model,
    notes: &mut Vec<String>,
) -> Result<HashMap<String, String>, AuthSetupError> {
    let path = config.state_dir().join("api-keys.json");
    let mut stored = read_api_keys(&path)?;
    let mut changed = false;
    for key in &model.auth.api_keys {
        match &key.value {
            Some(value) => notes.push(format!("API key {}: {value}", key.logical_id)),
            None => {
                let value = stored
                    .entry(key.logical_id.clone())
                    .or_insert_with(|| {
                        changed = true;
                        generate_key()
                    })
                    .clone();
                notes.push(format!("API key {}: {value}", key.logical_id));
            }
        }
    }
    if changed {
        write_api_keys(&path, &stored)?;
    }
    Ok(stored.into_iter().collect())
}

/// The stored generated keys (`{}` when the file does not exist yet).
pub fn read_api_keys(path: &Path) -> Result<BTreeMap<String, String>, AuthSetupError> {
    let error = |message: String| AuthSetupError::ApiKeys {
        path: path.to_owned(),
        message,
    };
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice::<BTreeMap<String, String>>(&bytes)
            .map_err(|e| error(format!("not a JSON object of strings: {e}"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(error(e.to_string())),
    }
}

fn write_api_keys(path: &Path, keys: &BTreeMap<String, String>) -> Result<(), AuthSetupError> {
    let error = |e: std::io::Error| AuthSetupError::ApiKeys {
        path: path.to_owned(),
        message: e.to_string(),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(error)?;
    }
    let text = serde_json::to_string_pretty(&Value::from(
        keys.iter()
            .map(|(k, v)| (k.clone(), Value::from(v.clone())))
            .collect::<serde_json::Map<_, _>>(),
    ))
    .unwrap_or_default();
    std::fs::write(path, text).map_err(error)
}

/// 40 random alphanumerics, like the keys API Gateway generates.
fn generate_key() -> String {
    const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = String::with_capacity(40);
    while out.len() < 40 {
        for byte in uuid::Uuid::new_v4().as_bytes() {
            if out.len() < 40 {
                out.push(char::from(ALNUM[usize::from(*byte) % ALNUM.len()]));
            }
        }
    }
    out
}

/// The JWKS and OpenID configuration documents the services endpoint serves, by pool id.
pub fn well_known(issuers: &[(String, Arc<LocalIssuer>)]) -> HashMap<String, Arc<LocalIssuer>> {
    issuers
        .iter()
        .map(|(_, issuer)| (issuer.pool_id().to_owned(), issuer.clone()))
        .collect()
}

/// Answers `GET /<pool id>/.well-known/jwks.json` and `…/openid-configuration`; `None` for any
/// other request.
pub(crate) fn serve_well_known(
    issuers: &HashMap<String, Arc<LocalIssuer>>,
    parts: &http::request::Parts,
) -> Option<http::Response<http_body_util::Full<bytes::Bytes>>> {
    if parts.method != http::Method::GET {
        return None;
    }
    let path = parts.uri.path().trim_start_matches('/');
    let (pool_id, document) = path.split_once("/.well-known/")?;
    let issuer = issuers.get(pool_id)?;
    let body = match document {
        "jwks.json" => issuer.jwks_json().clone(),
        "openid-configuration" => {
            let host = parts
                .headers
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            issuer.openid_configuration(&format!("http://{host}/{pool_id}/.well-known/jwks.json"))
        }
        _ => return None,
    };
    let mut response = http::Response::new(http_body_util::Full::new(bytes::Bytes::from(
        body.to_string(),
    )));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    Some(response)
}

/// What `sluice token` was asked for.
#[derive(Debug, Clone, Default)]
pub struct TokenOptions {
    /// Pool logical id or pool id (optional when the template has one pool).
    pub pool: Option<String>,
    /// Client logical id or client id (default: the pool's first client).
    pub client: Option<String>,
    /// `sub`.
    pub sub: Option<String>,
    /// `cognito:username`.
    pub username: String,
    /// `cognito:groups`.
    pub groups: Vec<String>,
    /// Scopes (an access token when any).
    pub scopes: Vec<String>,
    /// Extra claims.
    pub claims: Vec<(String, String)>,
    /// Seconds until expiry (negative: already expired).
    pub expires_in: i64,
}

/// Signs a token with the pool's local key, shaped as Cognito shapes it.
pub fn mint_token(
    config: &Config,
    model: &Model,
    options: &TokenOptions,
) -> Result<String, AuthSetupError> {
    let pools = &model.auth.user_pools;
    let names = || {
        pools
            .iter()
            .map(|p| p.logical_id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let pool = match &options.pool {
        Some(name) => model.auth.user_pool(name).ok_or_else(|| {
            AuthSetupError::Token(format!(
                "no AWS::Cognito::UserPool {name:?} in the template; pools: {}",
                names()
            ))
        })?,
        None => match pools.as_slice() {
            [only] => only,
            [] => {
                return Err(AuthSetupError::Token(
                    "the template has no AWS::Cognito::UserPool".into(),
                ))
            }
            _ => {
                return Err(AuthSetupError::Token(format!(
                    "the template has several user pools; name one with --pool: {}",
                    names()
                )))
            }
        },
    };
    let client_id = match &options.client {
        Some(name) => pool
            .clients
            .iter()
            .find(|c| c.logical_id == *name || c.client_id == *name)
            .map(|c| c.client_id.clone())
            .ok_or_else(|| {
                AuthSetupError::Token(format!(
                    "no AWS::Cognito::UserPoolClient {name:?} for pool {}",
                    pool.logical_id
                ))
            })?,
        None => pool
            .clients
            .first()
            .map(|c| c.client_id.clone())
            .unwrap_or_else(|| sluice_template::auth_model::user_pool_client_id(&pool.logical_id)),
    };
    let issuer = cognito_issuer(&config.aws.region, &pool.pool_id);
    let local = LocalIssuer::open(&config.state_dir(), &pool.pool_id, issuer.clone())?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    let request = TokenRequest {
        client_id,
        sub: options.sub.clone(),
        username: options.username.clone(),
        groups: options.groups.clone(),
        scopes: options.scopes.clone(),
        extra: options.claims.clone(),
        expires_in: options.expires_in,
        now,
    };
    Ok(local.sign(&request.claims(&issuer))?)
}

/// Every API key with its value (stored or from the template) and whether it is enabled.
pub fn list_api_keys(
    config: &Config,
    model: &Model,
) -> Result<Vec<(String, Option<String>, bool)>, AuthSetupError> {
    let stored = read_api_keys(&config.state_dir().join("api-keys.json"))?;
    Ok(model
        .auth
        .api_keys
        .iter()
        .map(|k| {
            let value = k
                .value
                .clone()
                .or_else(|| stored.get(&k.logical_id).cloned());
            (k.logical_id.clone(), value, k.enabled)
        })
        .collect())
}

/// Routes whose auth settings Sluice cannot enforce (they answer 500), without touching the state
/// folder's keys: what `sluice validate` reports.
pub fn unenforceable(config: &Config, model: &Model) -> Vec<String> {
    let mut inputs = GuardInputs::default();
    for pool in &model.auth.user_pools {
        let rules = JwtRules {
            issuer: cognito_issuer(&config.aws.region, &pool.pool_id),
            audiences: Vec::new(),
            token_uses: Vec::new(),
            leeway_secs: 0,
        };
        inputs.issuers.insert(rules.issuer.clone(), Jwks::empty());
        inputs.pools.insert(
            pool.logical_id.clone(),
            JwtValidator::new(Jwks::empty(), rules),
        );
    }
    let (pools, issuers) = external_pools(config);
    inputs.pools.extend(pools);
    inputs.issuers.extend(issuers);
    // Issuers whose keys would be fetched are enforceable; nothing is fetched here.
    remote_keys(model, &mut inputs);
    let state = GuardState {
        authorizer_cache: Arc::new(AuthorizerCache::default()),
        limits: Arc::new(EmbeddedLimits::in_memory()),
        response_cache: Arc::default(),
    };
    Guards::new(
        &model.auth,
        &model.rest_apis,
        &model.http_apis,
        &inputs,
        state,
    )
    .unenforceable()
}
