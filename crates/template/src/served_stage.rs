//! The one stage Sluice serves of a raw CloudFormation API. On AWS each `AWS::ApiGateway::Stage`
//! (or `AWS::ApiGateway::Deployment` with a `StageName`) of a REST API, and each
//! `AWS::ApiGatewayV2::Stage` of an HTTP API, is a URL of its own; locally they would share one
//! port, so one is served. Its name, its settings (variables, cache, `MethodSettings`,
//! throttling) and its access log are all read from the stage chosen here, so they never come
//! from different resources.

use crate::error::TemplateError;
use crate::globals;
use crate::intrinsics::{join_path, Resolver};
use crate::model::DEFAULT_STAGE;
use crate::yaml_tree::Node;

/// The kind of resource that declares a served stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Declared {
    /// An `AWS::ApiGateway::Stage` or `AWS::ApiGatewayV2::Stage`: its `Properties` are the settings.
    Stage,
    /// An `AWS::ApiGateway::Deployment` with a `StageName`: its `StageDescription` is the settings.
    Deployment,
}

/// The stage a raw API serves, and the mapping its settings are read from.
#[derive(Debug, Clone)]
pub(crate) struct ServedStage {
    /// The stage name: the path prefix of a REST API; `$default` serves an HTTP API at the root.
    pub name: String,
    /// Which resource declares it (a Deployment's stage-wide settings read differently).
    pub declared: Declared,
    /// A Stage's `Properties`, or a Deployment's `StageDescription` (an empty mapping when absent).
    pub settings: Node,
    /// The dotted path of `settings`, so errors name the property.
    pub path: String,
}

/// The served stage of the raw REST API `api_id`: the first enabled `AWS::ApiGateway::Stage` with
/// a `StageName`, else the first enabled `AWS::ApiGateway::Deployment` with one (CloudFormation
/// creates that stage from the Deployment's `StageDescription`). `None`: the API is not staged.
pub(crate) fn rest(
    resources: &[(String, Node)],
    resolver: &Resolver<'_>,
    api_id: &str,
) -> Result<Option<ServedStage>, TemplateError> {
    for (declared, ty) in [
        (Declared::Stage, "AWS::ApiGateway::Stage"),
        (Declared::Deployment, "AWS::ApiGateway::Deployment"),
    ] {
        for (id, resource) in of_type(resources, ty) {
            let Some((props, path)) = of_api(id, resource, "RestApiId", api_id, resolver)? else {
                continue;
            };
            let Some(name) = text(&props, &path, "StageName", resolver)?.filter(|n| !n.is_empty())
            else {
                continue;
            };
            let (settings, path) = match declared {
                Declared::Stage => (props, path),
                // AWS (CloudFormation, `AWS::ApiGateway::Deployment`): `StageDescription`
                // "configures a deployment stage" with the Stage's own settings
                // (`AccessLogSetting`, `MethodSettings`, `Variables`…).
                Declared::Deployment => (
                    globals::apply(None, props.get("StageDescription"), &props),
                    join_path(&path, "StageDescription"),
                ),
            };
            return Ok(Some(ServedStage {
                name,
                declared,
                settings,
                path,
            }));
        }
    }
    Ok(None)
}

/// The served stage of the raw HTTP API `api_id`: its first enabled `AWS::ApiGatewayV2::Stage`,
/// named `$default` when it gives no `StageName`. `None`: the API has no Stage resource.
pub(crate) fn http(
    resources: &[(String, Node)],
    resolver: &Resolver<'_>,
    api_id: &str,
) -> Result<Option<ServedStage>, TemplateError> {
    for (id, resource) in of_type(resources, "AWS::ApiGatewayV2::Stage") {
        let Some((settings, path)) = of_api(id, resource, "ApiId", api_id, resolver)? else {
            continue;
        };
        let name = text(&settings, &path, "StageName", resolver)?
            .unwrap_or_else(|| DEFAULT_STAGE.to_owned());
        return Ok(Some(ServedStage {
            name,
            declared: Declared::Stage,
            settings,
            path,
        }));
    }
    Ok(None)
}

fn of_type<'r>(
    resources: &'r [(String, Node)],
    ty: &'r str,
) -> impl Iterator<Item = (&'r String, &'r Node)> {
    resources
        .iter()
        .filter(move |(_, r)| r.get("Type").and_then(Node::as_str) == Some(ty))
        .map(|(id, r)| (id, r))
}

/// The `Properties` (and their path) of `resource` when it is enabled and its `api_key` names
/// `api_id`.
fn of_api(
    id: &str,
    resource: &Node,
    api_key: &str,
    api_id: &str,
    resolver: &Resolver<'_>,
) -> Result<Option<(Node, String)>, TemplateError> {
    if !resolver.resource_enabled(id, resource)? {
        return Ok(None);
    }
    let props = globals::apply(None, resource.get("Properties"), resource);
    let path = format!("Resources.{id}.Properties");
    let names = text(&props, &path, api_key, resolver)?;
    Ok((names.as_deref() == Some(api_id)).then_some((props, path)))
}

fn text(
    props: &Node,
    path: &str,
    key: &str,
    resolver: &Resolver<'_>,
) -> Result<Option<String>, TemplateError> {
    match props.get(key) {
        Some(node) => resolver.eval_string(node, &join_path(path, key)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;
    use crate::LoadOptions;

    const API: &str = "  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: raw}
";

    /// The served stage of REST API `Api` in a template of `API` and `resources`.
    fn served(resources: &str) -> Option<ServedStage> {
        served_by(resources, false)
    }

    /// The served stage of the API `Api` (an HTTP API's when `http`) in a template of `API` and
    /// `resources`.
    fn served_by(resources: &str, http: bool) -> Option<ServedStage> {
        let yaml = format!(
            "Conditions:
  Off: !Equals [a, b]
Resources:
{API}{resources}"
        );
        let file = Path::new("/app/template.yaml");
        let root = crate::yaml_tree::parse(&yaml, file, &mut Vec::new())
            .expect("the test template parses")
            .map(crate::long_form::convert)
            .expect("the test template is not empty");
        let resources = root.get("Resources").and_then(Node::entries).unwrap_or(&[]);
        let options = LoadOptions::default();
        let resolver = Resolver::new(file, &options, BTreeMap::new(), &root, resources);
        let pick = if http { super::http } else { rest };
        pick(resources, &resolver, "Api").expect("the stage reads")
    }

    const STAGE: &str = "  Stage:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      StageName: v1
      MethodSettings: [{ResourcePath: /*, HttpMethod: '*', ThrottlingRateLimit: 1}]
";

    const DEPLOYMENT: &str = "  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties:
      RestApiId: !Ref Api
      StageName: prod
      StageDescription:
        AccessLogSetting: {DestinationArn: arn:aws:logs:us-east-1:123456789012:log-group:d, Format: $context.requestId}
";

    #[test]
    fn a_stage_is_served_with_its_properties() {
        let stage = served(STAGE).expect("a served stage");
        assert_eq!(stage.name, "v1");
        assert_eq!(stage.declared, Declared::Stage);
        assert_eq!(stage.path, "Resources.Stage.Properties");
        assert!(stage.settings.get("MethodSettings").is_some());
    }

    #[test]
    fn a_deployment_with_a_stage_name_is_served_with_its_stage_description() {
        let stage = served(DEPLOYMENT).expect("a served stage");
        assert_eq!(stage.name, "prod");
        assert_eq!(stage.declared, Declared::Deployment);
        assert_eq!(
            stage.path,
            "Resources.Deployment.Properties.StageDescription"
        );
        assert!(stage.settings.get("AccessLogSetting").is_some());
    }

    #[test]
    fn a_stage_wins_over_a_deployment_whatever_the_order() {
        for resources in [
            format!("{DEPLOYMENT}{STAGE}"),
            format!("{STAGE}{DEPLOYMENT}"),
        ] {
            let stage = served(&resources).expect("a served stage");
            assert_eq!(
                (stage.name.as_str(), stage.declared),
                ("v1", Declared::Stage)
            );
            // Its settings are the Stage's, not the Deployment's StageDescription.
            assert!(stage.settings.get("AccessLogSetting").is_none());
        }
    }

    #[test]
    fn a_disabled_stage_is_skipped() {
        let off = STAGE.replace(
            "    Type: AWS::ApiGateway::Stage\n",
            "    Type: AWS::ApiGateway::Stage\n    Condition: Off\n",
        );
        let stage = served(&format!("{off}{DEPLOYMENT}")).expect("a served stage");
        assert_eq!(
            (stage.name.as_str(), stage.declared),
            ("prod", Declared::Deployment)
        );
        assert_eq!(served(&off).map(|s| s.name), None);
    }

    #[test]
    fn the_first_named_stage_of_the_api_is_served() {
        let stages = "  Other:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: other}
  OtherStage:
    Type: AWS::ApiGateway::Stage
    Properties: {RestApiId: !Ref Other, StageName: other}
  Unnamed:
    Type: AWS::ApiGateway::Stage
    Properties: {RestApiId: !Ref Api}
  Beta:
    Type: AWS::ApiGateway::Stage
    Properties: {RestApiId: !Ref Api, StageName: beta}
  Gamma:
    Type: AWS::ApiGateway::Stage
    Properties: {RestApiId: !Ref Api, StageName: gamma}
";
        let stage = served(stages).expect("a served stage");
        assert_eq!(
            (stage.name.as_str(), stage.path.as_str()),
            ("beta", "Resources.Beta.Properties")
        );
    }

    #[test]
    fn a_deployment_without_a_stage_name_serves_nothing() {
        let deployment = "  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties: {RestApiId: !Ref Api, StageDescription: {CacheClusterEnabled: true}}
";
        assert_eq!(served(deployment).map(|s| s.name), None);
    }

    #[test]
    fn an_http_apis_first_enabled_stage_is_served_and_named_default_without_a_name() {
        let stages = "  Off:
    Type: AWS::ApiGatewayV2::Stage
    Condition: Off
    Properties: {ApiId: !Ref Api, StageName: off}
  Unnamed:
    Type: AWS::ApiGatewayV2::Stage
    Properties: {ApiId: !Ref Api, StageVariables: {v: '1'}}
  Prod:
    Type: AWS::ApiGatewayV2::Stage
    Properties: {ApiId: !Ref Api, StageName: prod}
";
        let stage = served_by(stages, true).expect("a served stage");
        assert_eq!(
            (stage.name.as_str(), stage.path.as_str()),
            ("$default", "Resources.Unnamed.Properties")
        );
        assert!(stage.settings.get("StageVariables").is_some());
    }
}
