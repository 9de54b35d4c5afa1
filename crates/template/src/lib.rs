//! SAM template → [`Model`]: YAML with CloudFormation tags, intrinsics, parameters, conditions,
//! `Globals`, and the serverless resources Sluice emulates.

mod access_logs;
mod auth;
pub mod auth_model;
mod auth_props;
mod cache_keys;
mod cfn_http_api;
mod cfn_rest_api;
mod cors;
mod document_conditions;
mod environment_rules;
mod error;
mod event_api;
mod event_invoke;
mod function_url;
mod gateway_responses;
mod globals;
mod http_api;
mod http_proxy;
mod include;
mod integration_qualifier;
mod integration_timeout;
mod intrinsics;
mod lambda_function;
mod language_extensions;
mod layers;
mod load;
mod logging_config;
mod long_form;
pub mod model;
mod nested;
mod non_proxy;
mod openapi;
mod openapi_parameters;
mod openapi_ref;
mod options;
mod parameter_mapping;
mod parameters;
mod path_item_refs;
mod paths;
mod plain_yaml;
mod reference_check;
mod request_validation;
mod resource_policy;
mod resource_tree;
mod resource_types;
mod resources;
mod reusable_integrations;
mod route_key;
pub mod route_path;
mod sam_properties;
mod served_stage;
mod stream_events;
mod tables;
mod tenancy_config;
mod transfer_mode;
mod yaml_tree;

pub use auth_model::AuthModel;
pub use error::TemplateError;
pub use load::{load, load_str, LoadOptions};
pub use model::{
    CidrBlock, Comparison, Condition, ConditionOperator, Effect, PolicyStatement, Principals,
    ResourcePolicy, SetQualifier,
};
pub use model::{
    Code, ContentHandling, Cors, Destination, EventInvoke, Function, FunctionUrl, FunctionUrlAuth,
    GatewayResponse, HttpApi, HttpIntegration, HttpProxy, HttpRoute, Integration,
    IntegrationResponse, InvokeMode, LayerBuild, LocalLayer, MapAction, MapTarget, Mapping,
    MappingValue, Model, ParameterMap, ParameterMapping, Passthrough, PayloadFormat,
    RequestValidation, ResponseMapping, RestApi, Route, Source, StageAccessLog, StartingPosition,
    StreamMapping, Table, ValuePart, DEFAULT_ROUTE, DEFAULT_STAGE,
};
pub use parameters::parse_parameter_overrides;
pub use plain_yaml::yaml_to_json;

#[cfg(test)]
mod tests;
