//! One deployed API as the gateway serves it: its kind, its stage and its CORS rules.

use std::collections::BTreeMap;

use sluice_template::{
    Cors, FunctionUrl, FunctionUrlAuth, HttpApi, InvokeMode, PayloadFormat, RestApi,
};

use crate::binary_media::BinaryMediaTypes;
use crate::dialect::Dialect;
use crate::exchange::stable_id;

/// One API of the template, deployed to its stage.
#[derive(Debug, Clone)]
pub(crate) struct Api {
    /// The logical id (seeds `apiId` and `resourceId`).
    pub logical_id: String,
    /// What kind of API it is (its routes may refine it, e.g. an HTTP API route on payload 1.0).
    pub dialect: Dialect,
    /// Its stage, as events describe it.
    pub stage: ApiStage,
    /// CORS the gateway itself applies: REST `Cors` (preflight only), HTTP API
    /// `CorsConfiguration` and Function URL `Cors` (preflight and responses).
    pub cors: Option<Cors>,
    /// Callers must be IAM-authorized (Function URL `AuthType: AWS_IAM`).
    pub requires_iam: bool,
    /// Whether responses are streamed to the client as the function writes them (a Function URL
    /// in `RESPONSE_STREAM` mode).
    pub streams: bool,
    /// A REST API's customized gateway responses.
    pub gateway_responses: Vec<sluice_template::GatewayResponse>,
    /// A REST API's resource policy, evaluated for every request (HTTP APIs and Function URLs
    /// have none).
    pub resource_policy: Option<sluice_template::ResourcePolicy>,
    /// The stage's access log (`AccessLogSetting(s)`), if it keeps one.
    pub access_log: Option<std::sync::Arc<crate::stage_access_log::StageLog>>,
    /// A REST API stage's execution log (`MethodSettings` `LoggingLevel`), if a method logs.
    pub execution_log: Option<std::sync::Arc<crate::execution_log::StageExecutionLog>>,
}

/// One API's deployed stage, as the event describes it.
#[derive(Debug, Clone)]
pub(crate) struct ApiStage {
    /// `requestContext.apiId`: stable, derived from the logical id.
    pub api_id: String,
    /// `requestContext.deploymentId`: stable per API (Sluice deploys once per template load).
    pub deployment_id: String,
    /// `StageName`.
    pub stage: String,
    /// `Variables` (stage variables).
    pub stage_variables: BTreeMap<String, String>,
    /// `BinaryMediaTypes`.
    pub binary_media_types: BinaryMediaTypes,
}

impl Api {
    /// A REST API (payload 1.0) of the template.
    pub fn rest(api: &RestApi) -> Api {
        Api {
            logical_id: api.logical_id.clone(),
            dialect: Dialect::Rest,
            stage: ApiStage {
                api_id: stable_id(&api.logical_id, 10),
                deployment_id: stable_id(&format!("deployment {}", api.logical_id), 6),
                stage: api.stage_name.clone(),
                stage_variables: api.stage_variables.clone(),
                binary_media_types: BinaryMediaTypes::new(&api.binary_media_types),
            },
            // SAM's generated OPTIONS method; proxy responses get no CORS headers from the gateway.
            cors: api.cors.clone(),
            requires_iam: false,
            streams: false,
            gateway_responses: api.gateway_responses.clone(),
            resource_policy: api.resource_policy.clone(),
            access_log: None,
            execution_log: None,
        }
    }

    /// An HTTP API of the template.
    pub fn http(api: &HttpApi) -> Api {
        Api {
            logical_id: api.logical_id.clone(),
            dialect: Dialect::HttpApi(PayloadFormat::V2),
            stage: ApiStage {
                api_id: stable_id(&api.logical_id, 10),
                deployment_id: stable_id(&format!("deployment {}", api.logical_id), 6),
                stage: api.stage_name.clone(),
                stage_variables: api.stage_variables.clone(),
                binary_media_types: BinaryMediaTypes::new(&[]),
            },
            cors: api.cors.clone(),
            requires_iam: false,
            streams: false,
            gateway_responses: Vec::new(),
            resource_policy: None,
            access_log: None,
            execution_log: None,
        }
    }

    /// A Function URL: its own "API" whose id is the URL id, named by its target (`MyFn:live`
    /// for an alias's URL) so access records tell a function's URLs apart.
    pub fn function_url(url: &FunctionUrl) -> Api {
        Api {
            logical_id: url.target(),
            dialect: Dialect::FunctionUrl,
            stage: ApiStage {
                api_id: function_url_id(&url.target()),
                deployment_id: String::new(),
                stage: sluice_template::DEFAULT_STAGE.to_owned(),
                stage_variables: BTreeMap::new(),
                binary_media_types: BinaryMediaTypes::new(&[]),
            },
            cors: url.cors.clone(),
            requires_iam: url.auth == FunctionUrlAuth::AwsIam,
            streams: url.invoke_mode == InvokeMode::ResponseStream,
            gateway_responses: Vec::new(),
            resource_policy: None,
            access_log: None,
            execution_log: None,
        }
    }
}

/// A Function URL's id: 32 lower-case letters and digits as on AWS, stable per target (the
/// function's logical id, `:alias` for an alias's URL: [`FunctionUrl::target`]) so the address
/// survives restarts and each of a function's URLs has its own. Built from three independently seeded parts: one 64-bit hash only
/// fills about a dozen characters before `stable_id` re-mixes it the same way for every seed.
pub fn function_url_id(target: &str) -> String {
    let mut id: String = (0..3)
        .map(|part| stable_id(&format!("function url {target} {part}"), 11))
        .collect();
    id.truncate(32);
    id
}
