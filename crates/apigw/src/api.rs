//! One deployed API as the gateway serves it: its kind and its stage.

use std::collections::BTreeMap;

use sluice_template::RestApi;

use crate::binary_media::BinaryMediaTypes;
use crate::dialect::Dialect;
use crate::exchange::stable_id;

/// One API of the template, deployed to its stage.
#[derive(Debug, Clone)]
pub(crate) struct Api {
    /// The logical id (seeds `apiId` and `resourceId`).
    pub logical_id: String,
    /// What kind of API it is.
    pub dialect: Dialect,
    /// Its stage, as events describe it.
    pub stage: ApiStage,
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
        }
    }
}
