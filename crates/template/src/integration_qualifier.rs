//! Which version or alias of its function each API route invokes, settled once the whole model is
//! read: a `${stageVariables.name}` qualifier takes the stage's value, and a qualifier the
//! template does not define is reported.

use std::collections::BTreeMap;

use crate::model::{Function, Model};

/// How an integration URI names a stage variable (API Gateway substitutes it per stage).
const STAGE_VARIABLE: (&str, &str) = ("${stageVariables.", "}");

/// Resolves stage-variable qualifiers and warns about qualifiers no resource of the template
/// defines. AWS: Lambda answers such an invocation ResourceNotFoundException, which API Gateway
/// turns into a 500; Sluice keeps the qualifier so the invocation fails the same way.
pub(crate) fn settle(model: &mut Model) {
    let Model {
        functions,
        rest_apis,
        http_apis,
        warnings,
        ..
    } = model;
    for api in rest_apis.iter_mut() {
        for route in &mut api.routes {
            let place = Place {
                api: &api.logical_id,
                method: &route.method,
                path: &route.path,
                function: &route.function,
                answer: "500 Internal server error",
            };
            settle_route(
                &mut route.qualifier,
                &api.stage_variables,
                functions,
                place,
                warnings,
            );
        }
    }
    for api in http_apis.iter_mut() {
        for route in &mut api.routes {
            let place = Place {
                api: &api.logical_id,
                method: &route.method,
                path: &route.path,
                function: &route.function,
                answer: "500 Internal Server Error",
            };
            settle_route(
                &mut route.qualifier,
                &api.stage_variables,
                functions,
                place,
                warnings,
            );
        }
    }
}

/// A route, for messages.
struct Place<'a> {
    api: &'a str,
    method: &'a str,
    path: &'a str,
    function: &'a str,
    /// What the API answers when the invocation fails.
    answer: &'a str,
}

fn settle_route(
    qualifier: &mut Option<String>,
    stage_variables: &BTreeMap<String, String>,
    functions: &[Function],
    place: Place<'_>,
    warnings: &mut Vec<String>,
) {
    let Some(written) = qualifier.as_deref() else {
        return;
    };
    if let Some(name) = stage_variable(written) {
        match stage_variables.get(name) {
            Some(value) => {
                *qualifier = Some(value.clone()).filter(|v| !v.is_empty() && v != "$LATEST");
            }
            None => {
                warnings.push(format!(
                    "{} {} {}: the integration's qualifier {written} names a stage variable the stage does not define; the route answers {}",
                    place.api, place.method, place.path, place.answer
                ));
                return;
            }
        }
    }
    let (Some(qualifier), Some(function)) = (
        qualifier.as_deref(),
        functions.iter().find(|f| f.logical_id == place.function),
    ) else {
        return;
    };
    if !defines(function, qualifier) {
        warnings.push(format!(
            "{} {} {}: the integration invokes {}:{qualifier}, a version or alias this template does not define ({}); Lambda would answer ResourceNotFoundException, so the route answers {}",
            place.api,
            place.method,
            place.path,
            function.name,
            match &function.alias {
                Some(alias) => format!(
                    "it has $LATEST, alias {alias} and version {}",
                    sluice_aws_env::PUBLISHED_VERSION
                ),
                None => "it has only $LATEST: set AutoPublishAlias for an alias".to_owned(),
            },
            place.answer
        ));
    }
}

/// The name in `${stageVariables.name}`.
fn stage_variable(qualifier: &str) -> Option<&str> {
    qualifier
        .strip_prefix(STAGE_VARIABLE.0)?
        .strip_suffix(STAGE_VARIABLE.1)
        .filter(|name| !name.is_empty())
}

/// Whether the template gives `function` this qualifier: its `AutoPublishAlias` alias, or the
/// version SAM publishes for it.
fn defines(function: &Function, qualifier: &str) -> bool {
    function
        .alias
        .as_deref()
        .is_some_and(|alias| qualifier == alias || qualifier == sluice_aws_env::PUBLISHED_VERSION)
}
