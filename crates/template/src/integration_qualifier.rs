//! Which version or alias of its function each API route and Lambda authorizer invokes, settled
//! once the whole model is read: a `${stageVariables.name}` qualifier takes the stage's value, and
//! a qualifier the template does not define is reported.

use std::collections::BTreeMap;

use crate::auth_model::Authorizer;
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
        auth,
        warnings,
        ..
    } = model;
    // Each API's routes as (method, path, function, qualifier), with what the API answers when
    // the invocation fails (REST and HTTP APIs spell it differently).
    let rest = rest_apis.iter_mut().map(|api| {
        let routes: Vec<_> = (api.routes.iter_mut())
            .map(|r| (&r.method, &r.path, &r.function, &mut r.qualifier))
            .collect();
        let answer = "the route answers 500 Internal server error";
        (&api.logical_id, &api.stage_variables, routes, answer)
    });
    let http = http_apis.iter_mut().map(|api| {
        let routes: Vec<_> = (api.routes.iter_mut())
            .map(|r| (&r.method, &r.path, &r.function, &mut r.qualifier))
            .collect();
        let answer = "the route answers 500 Internal Server Error";
        (&api.logical_id, &api.stage_variables, routes, answer)
    });
    for (api, stage_variables, routes, answer) in rest.chain(http) {
        for (method, path, function, qualifier) in routes {
            let place = Place {
                subject: format!("{api} {method} {path}"),
                what: "integration",
                function,
                answer,
            };
            settle_one(qualifier, stage_variables, functions, &place, warnings);
        }
    }
    // A Lambda authorizer's URI may name a qualifier the same ways (AWS substitutes stage
    // variables in `authorizerUri` too); its failure to invoke is the authorizer's 500.
    let stages = rest_apis
        .iter()
        .map(|api| (&api.logical_id, &api.stage_variables))
        .chain(
            http_apis
                .iter()
                .map(|api| (&api.logical_id, &api.stage_variables)),
        );
    for (api, stage_variables) in stages {
        let Some(api_auth) = auth.apis.get_mut(api) else {
            continue;
        };
        for (name, authorizer) in &mut api_auth.authorizers {
            let Authorizer::Lambda(lambda) = authorizer else {
                continue;
            };
            let place = Place {
                subject: format!("{api} authorizer {name}"),
                what: "authorizer",
                function: &lambda.function,
                answer: "its routes answer 500",
            };
            settle_one(
                &mut lambda.qualifier,
                stage_variables,
                functions,
                &place,
                warnings,
            );
        }
    }
}

/// A route or an authorizer, for messages.
struct Place<'a> {
    /// `Api GET /path`, `Api authorizer Name`.
    subject: String,
    /// What invokes the function: `integration`, `authorizer`.
    what: &'a str,
    /// The function's logical id (or, for an authorizer, possibly its name).
    function: &'a str,
    /// What the API answers when the invocation fails.
    answer: &'a str,
}

fn settle_one(
    qualifier: &mut Option<String>,
    stage_variables: &BTreeMap<String, String>,
    functions: &[Function],
    place: &Place<'_>,
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
                    "{}: the {}'s qualifier {written} names a stage variable the stage does not define; {}",
                    place.subject, place.what, place.answer
                ));
                return;
            }
        }
    }
    let (Some(qualifier), Some(function)) = (
        qualifier.as_deref(),
        functions
            .iter()
            .find(|f| f.logical_id == place.function || f.name == place.function),
    ) else {
        return;
    };
    if !defines(function, qualifier) {
        warnings.push(format!(
            "{}: the {} invokes {}:{qualifier}, a version or alias this template does not define ({}); Lambda would answer ResourceNotFoundException, so {}",
            place.subject,
            place.what,
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
