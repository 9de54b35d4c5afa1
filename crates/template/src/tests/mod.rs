//! Unit tests by topic, all through the public `load_str` so they pin behaviour, not internals.

mod access_logs;
mod auth;
mod cache_keys;
mod cloudformation;
mod errors;
mod http_api;
mod http_auth;
mod http_proxy;
mod http_throttling;
mod intrinsics;
mod mapping;
mod openapi;
mod openapi_parameters;
mod parameters;
mod path_item_refs;
mod qualifiers;
mod resource_policy;
mod resources;
mod streams;
mod tables;

use std::path::Path;

use crate::{load_str, LoadOptions, Model};

/// The file name used in every test; messages start with it.
const FILE: &str = "/app/template.yaml";

/// Loads `yaml` with default options, panicking with the error text on failure.
fn load(yaml: &str) -> Model {
    load_with(yaml, &LoadOptions::default())
}

fn load_with(yaml: &str, options: &LoadOptions) -> Model {
    match load_str(yaml, Path::new(FILE), options) {
        Ok(model) => model,
        Err(e) => panic!("load failed: {e}"),
    }
}

/// Loads `yaml` expecting an error, and returns it rendered.
fn load_err(yaml: &str) -> String {
    load_err_with(yaml, &LoadOptions::default())
}

fn load_err_with(yaml: &str, options: &LoadOptions) -> String {
    match load_str(yaml, Path::new(FILE), options) {
        Ok(model) => panic!("expected an error, got {model:#?}"),
        Err(e) => e.to_string(),
    }
}

/// Evaluates `value` as a function's environment variable `V`, the easiest property to observe.
/// `prelude` holds extra top-level sections (Parameters, Mappings, Conditions…) and `extra` more resources.
fn env_value(prelude: &str, value: &str) -> String {
    env_value_with(prelude, value, "", &LoadOptions::default())
}

fn env_value_with(prelude: &str, value: &str, extra: &str, options: &LoadOptions) -> String {
    let yaml = env_template(prelude, value, extra);
    let model = load_with(&yaml, options);
    model.functions[0]
        .environment
        .get("VAL")
        .cloned()
        .unwrap_or_else(|| "<absent>".into())
}

fn env_template(prelude: &str, value: &str, extra: &str) -> String {
    format!(
        "Transform: AWS::Serverless-2016-10-31
{prelude}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables:
          VAL: {value}
{extra}"
    )
}
