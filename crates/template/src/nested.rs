//! Nested applications and stacks with a local template (`AWS::Serverless::Application` with a
//! path `Location`, `AWS::CloudFormation::Stack` with a path `TemplateURL`): each child is loaded
//! with the parameters its parent passes, its `Outputs` become the parent's `!GetAtt
//! Child.Outputs.X`, and its functions, APIs and tables join the parent's model under SAM CLI's
//! names (`Child/Function`), the parent's routes winning a collision as in SAM CLI.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::TemplateError;
use crate::intrinsics::{intrinsic, Resolver};
use crate::model::{LocalLayer, Model};
use crate::options::LoadOptions;
use crate::paths::normalize;
use crate::route_path::ResourcePath;
use crate::yaml_tree::{Kind, Node};

/// How deep stacks may nest; guards against a template that includes itself.
const MAX_DEPTH: usize = 8;

/// One loaded child stack.
pub(crate) struct Child {
    /// The parent's logical id for it.
    pub id: String,
    /// The child's model (its own children merged in already).
    pub model: Model,
}

/// Loads every local child stack `resources` declares with `load_nested`; remote ones are named
/// in `warnings`. A child whose `Parameters` read another's outputs (`!GetAtt Layer.Outputs.Arn`)
/// loads after it, as CloudFormation creates it after, and sees those outputs; each child also
/// knows the local layers of `layers` (the parent's) and of the children before it, so a layer
/// passed as its ARN keeps its folder.
#[allow(clippy::too_many_arguments)] // one call site, each argument a distinct input of the load
pub(crate) fn load_children(
    resources: &[(String, Node)],
    resolver: &mut Resolver<'_>,
    template_dir: &Path,
    options: &LoadOptions,
    depth: usize,
    // The loader itself, passed in: a child stack is loaded as any template is.
    load_nested: &dyn Fn(&Path, &LoadOptions, usize) -> Result<Model, TemplateError>,
    layers: &BTreeMap<String, LocalLayer>,
    warnings: &mut Vec<String>,
) -> Result<Vec<Child>, TemplateError> {
    let stacks: Vec<&(String, Node)> = resources
        .iter()
        .filter(|(_, resource)| {
            matches!(
                resource.get("Type").and_then(Node::as_str),
                Some("AWS::Serverless::Application" | "AWS::CloudFormation::Stack")
            )
        })
        .collect();
    let mut known_layers = options.known_layers.clone();
    known_layers.extend(layers.clone());
    let mut outputs = BTreeMap::new();
    let mut children = Vec::new();
    for (id, resource) in in_dependency_order(&stacks) {
        let Some(child) = load_child(
            id,
            resource,
            resolver,
            template_dir,
            &LoadOptions {
                known_layers: known_layers.clone(),
                ..options.clone()
            },
            depth,
            load_nested,
            warnings,
        )?
        else {
            continue;
        };
        outputs.insert(child.id.clone(), child.model.outputs.clone());
        resolver.set_stack_outputs(outputs.clone());
        known_layers.extend(child.model.layers.clone());
        children.push(child);
    }
    Ok(children)
}

/// `stacks` ordered so that one whose `Parameters` name another stack (`!GetAtt Other.Outputs.X`,
/// `${Other.Outputs.X}`) comes after it; template order otherwise, and for a cycle (which
/// CloudFormation refuses; the placeholder values then say where).
fn in_dependency_order<'a>(stacks: &[&'a (String, Node)]) -> Vec<&'a (String, Node)> {
    let ids: Vec<&str> = stacks.iter().map(|(id, _)| id.as_str()).collect();
    let needs: Vec<Vec<&str>> = stacks
        .iter()
        .map(|(id, resource)| {
            let mut named = Vec::new();
            if let Some(parameters) = resource.get("Properties").and_then(|p| p.get("Parameters")) {
                names_stacks(parameters, &ids, &mut named);
            }
            named.retain(|n| n != id);
            named
        })
        .collect();
    let mut order = Vec::new();
    let mut done = vec![false; stacks.len()];
    while order.len() < stacks.len() {
        let ready = (0..stacks.len()).find(|&i| {
            !done[i]
                && needs[i]
                    .iter()
                    .all(|n| ids.iter().zip(&done).any(|(id, d)| id == n && *d))
        });
        // A cycle: the first left, in template order.
        let next = ready.unwrap_or_else(|| (0..stacks.len()).find(|&i| !done[i]).unwrap_or(0));
        done[next] = true;
        order.push(stacks[next]);
    }
    order
}

/// The stacks of `ids` that `node` names as `Fn::GetAtt` targets or `${Id.Outputs.…}`.
fn names_stacks<'a>(node: &Node, ids: &[&'a str], named: &mut Vec<&'a str>) {
    match &node.kind {
        Kind::Scalar(text, _) => {
            for id in ids {
                let target = text == id || text.contains(&format!("{id}.Outputs."));
                if target && !named.contains(id) {
                    named.push(id);
                }
            }
        }
        Kind::Seq(items) => items.iter().for_each(|i| names_stacks(i, ids, named)),
        Kind::Map(entries) => entries
            .iter()
            .for_each(|(_, v)| names_stacks(v, ids, named)),
    }
}

/// Loads child stack `id`, or `None` when it is not loaded (a condition turns it off, or its
/// template is not local: said in `warnings`).
#[allow(clippy::too_many_arguments)] // the arguments of `load_children`, one child at a time
fn load_child(
    id: &str,
    resource: &Node,
    resolver: &Resolver<'_>,
    template_dir: &Path,
    options: &LoadOptions,
    depth: usize,
    load_nested: &dyn Fn(&Path, &LoadOptions, usize) -> Result<Model, TemplateError>,
    warnings: &mut Vec<String>,
) -> Result<Option<Child>, TemplateError> {
    let ty = resource
        .get("Type")
        .and_then(Node::as_str)
        .unwrap_or_default();
    let location_key = match ty {
        "AWS::Serverless::Application" => "Location",
        _ => "TemplateURL",
    };
    let path = format!("Resources.{id}");
    if !resolver.resource_enabled(id, resource)? {
        return Ok(None);
    }
    let properties = resource.get("Properties");
    let location_path = format!("{path}.Properties.{location_key}");
    let Some(location) = properties.and_then(|p| p.get(location_key)) else {
        return Err(resolver.error(
            resource,
            &location_path,
            format!("{location_key} is required"),
        ));
    };
    let local = match &location.kind {
        // `{ApplicationId, SemanticVersion}`: an application from the Serverless Application
        // Repository, which cannot be fetched offline.
        Kind::Map(_) if intrinsic(location).is_none() => None,
        _ => resolver
            .eval_string(location, &location_path)?
            .filter(|l| !l.contains("://")),
    };
    let Some(local) = local else {
        warnings.push(format!(
            "{location_path}: the nested application is not a local template, so it cannot be loaded offline (ignored)"
        ));
        return Ok(None);
    };
    let file = normalize(&template_dir.join(&local));
    if !file.is_file() {
        return Err(resolver.error_hint(
            location,
            &location_path,
            format!("{} does not exist", file.display()),
            Some(format!(
                "{location_key} is relative to the template's folder"
            )),
        ));
    }
    if depth >= MAX_DEPTH {
        return Err(resolver.error(
            location,
            &location_path,
            format!("stacks nest more than {MAX_DEPTH} deep (does a template include itself?)"),
        ));
    }
    let parameters = match properties.and_then(|p| p.get("Parameters")) {
        Some(node) => resolver.eval_string_map(node, &format!("{path}.Properties.Parameters"))?,
        None => BTreeMap::new(),
    };
    let child_options = LoadOptions {
        parameter_overrides: parameters,
        stack_name: format!("{}-{id}", options.stack_name),
        ..options.clone()
    };
    let model = load_nested(&file, &child_options, depth + 1)?;
    Ok(Some(Child {
        id: id.to_owned(),
        model,
    }))
}

/// The outputs of each child, by the child's logical id, for `!GetAtt Child.Outputs.X`.
pub(crate) fn outputs(children: &[Child]) -> BTreeMap<String, BTreeMap<String, String>> {
    children
        .iter()
        .map(|c| (c.id.clone(), c.model.outputs.clone()))
        .collect()
}

/// A route's method and path shape ([`ResourcePath::shape`], owned): routes with equal keys
/// conflict.
type RouteKey = (String, Vec<(u8, String)>);

/// Routes already served (method and path, parameter names aside) and the function serving each:
/// the parent's first, then earlier children's.
#[derive(Default)]
struct Routed(BTreeMap<RouteKey, String>);

impl Routed {
    /// The conflict rule of one template ([`ResourcePath::shape`]) applied across templates; a path
    /// that is not a resource path (HTTP API's `$default`) conflicts only with itself.
    fn key(method: &str, path: &str) -> RouteKey {
        let shape = match ResourcePath::parse(path) {
            Ok(resource) => resource
                .shape()
                .into_iter()
                .map(|(rank, literal)| (rank, literal.to_owned()))
                .collect(),
            Err(_) => vec![(u8::MAX, path.to_owned())],
        };
        (method.to_owned(), shape)
    }

    /// Records a route of the parent (the first claim of a route wins).
    fn claim(&mut self, method: &str, path: &str, function: &str) {
        self.0
            .entry(Self::key(method, path))
            .or_insert_with(|| function.to_owned());
    }

    /// Whether a child's route is served: not if an earlier template routes it (said in
    /// `warnings`, as SAM CLI lets the parent's routes win).
    fn admit(
        &mut self,
        method: &str,
        path: &str,
        function: &str,
        warnings: &mut Vec<String>,
    ) -> bool {
        let key = Self::key(method, path);
        if let Some(winner) = self.0.get(&key) {
            warnings.push(format!(
                "{function}: {method} {path} is also routed to {winner}, which wins (as in SAM CLI, the parent template's routes come first)"
            ));
            return false;
        }
        self.0.insert(key, function.to_owned());
        true
    }
}

/// Several APIs of one template, served on one port: a route that an earlier API (REST APIs
/// first, in template order) already has is left to that API, with a warning. On AWS each API has
/// its own hostname; duplicates within one API stay errors, as AWS rejects them.
pub(crate) fn share_one_port(model: &mut Model) {
    let mut routed: BTreeMap<RouteKey, (String, String)> = BTreeMap::new();
    let mut admit = |api: &str,
                     method: &str,
                     path: &str,
                     function: &str,
                     warnings: &mut Vec<String>| {
        match routed.get(&Routed::key(method, path)) {
            Some((owner, winner)) if owner != api => {
                warnings.push(format!(
                    "{api}: {method} {path} (function {function}) is also a route of {owner}, whose function {winner} answers it: Sluice serves every API on one port, where on AWS each has its own hostname"
                ));
                false
            }
            Some(_) => true,
            None => {
                routed.insert(
                    Routed::key(method, path),
                    (api.to_owned(), function.to_owned()),
                );
                true
            }
        }
    };
    let Model {
        rest_apis,
        http_apis,
        warnings,
        ..
    } = model;
    for api in rest_apis.iter_mut() {
        let id = api.logical_id.clone();
        api.routes
            .retain(|r| admit(&id, &r.method, &r.path, &r.function, warnings));
    }
    for api in http_apis.iter_mut() {
        let id = api.logical_id.clone();
        api.routes
            .retain(|r| admit(&id, &r.method, &r.path, &r.function, warnings));
    }
}

/// Adds the children's functions, APIs and tables to `model`, named as SAM CLI names them.
pub(crate) fn merge(model: &mut Model, children: Vec<Child>) {
    let mut routed = Routed::default();
    for api in &model.rest_apis {
        for route in &api.routes {
            routed.claim(&route.method, &route.path, &route.function);
        }
    }
    for route in model.http_apis.iter().flat_map(|api| &api.routes) {
        routed.claim(&route.method, &route.path, &route.function);
    }
    for child in children {
        let prefix = |id: &str| format!("{}/{id}", child.id);
        for warning in child.model.warnings {
            model.warnings.push(format!("{}: {warning}", child.id));
        }
        for mut function in child.model.functions {
            if function.name == function.logical_id {
                function.name = prefix(&function.logical_id);
            }
            function.logical_id = prefix(&function.logical_id);
            model.functions.push(function);
        }
        for mut api in child.model.rest_apis {
            api.logical_id = prefix(&api.logical_id);
            for route in &mut api.routes {
                route.function = prefix(&route.function);
            }
            api.routes
                .retain(|r| routed.admit(&r.method, &r.path, &r.function, &mut model.warnings));
            model.rest_apis.push(api);
        }
        // HTTP APIs and Function URLs come along the same way (one port serves them all).
        for mut api in child.model.http_apis {
            api.logical_id = prefix(&api.logical_id);
            for route in &mut api.routes {
                route.function = prefix(&route.function);
            }
            api.routes
                .retain(|r| routed.admit(&r.method, &r.path, &r.function, &mut model.warnings));
            model.http_apis.push(api);
        }
        for mut url in child.model.function_urls {
            if url.function_name == url.function {
                url.function_name = prefix(&url.function_name);
            }
            url.function = prefix(&url.function);
            model.function_urls.push(url);
        }
        model.tables.extend(child.model.tables);
        for mut mapping in child.model.stream_mappings {
            mapping.id = prefix(&mapping.id);
            mapping.function = prefix(&mapping.function);
            model.stream_mappings.push(mapping);
        }
        merge_auth(&mut model.auth, child.model.auth, &prefix);
    }
}

/// A child's authorizers, user pools, API keys and usage plans, under the names its APIs and
/// functions got in the parent: its routes are guarded as they are in the child, never opened.
fn merge_auth(
    parent: &mut crate::auth_model::AuthModel,
    child: crate::auth_model::AuthModel,
    prefix: &dyn Fn(&str) -> String,
) {
    use crate::auth_model::{Authorizer, PoolRef};
    for (api_id, mut api) in child.apis {
        for authorizer in api.authorizers.values_mut() {
            match authorizer {
                Authorizer::Lambda(lambda) => lambda.function = prefix(&lambda.function),
                Authorizer::Cognito(cognito) => {
                    for pool in &mut cognito.pools {
                        if let PoolRef::Local(id) = pool {
                            *id = prefix(id);
                        }
                    }
                }
                Authorizer::Jwt(_) | Authorizer::Unenforceable(_) => {}
            }
        }
        parent.apis.insert(prefix(&api_id), api);
    }
    // A pool keeps the id it has in the child: tokens name it, and the child's issuer signs them.
    for mut pool in child.user_pools {
        pool.logical_id = prefix(&pool.logical_id);
        parent.user_pools.push(pool);
    }
    for mut key in child.api_keys {
        key.logical_id = prefix(&key.logical_id);
        parent.api_keys.push(key);
    }
    for mut plan in child.usage_plans {
        plan.logical_id = prefix(&plan.logical_id);
        plan.apis = plan.apis.iter().map(|a| prefix(a)).collect();
        plan.keys = plan.keys.iter().map(|k| prefix(k)).collect();
        parent.usage_plans.push(plan);
    }
}

/// Evaluates a child template's `Outputs` (`Value` of each), for its parent; an output whose value
/// cannot be computed locally is left out with a warning.
pub(crate) fn evaluate_outputs(
    root: &Node,
    resolver: &Resolver<'_>,
    warnings: &mut Vec<String>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let entries = root
        .get("Outputs")
        .and_then(Node::entries)
        .unwrap_or_default();
    for (name, output) in entries {
        let Some(value) = output.get("Value") else {
            continue;
        };
        let path = format!("Outputs.{name}.Value");
        match resolver.eval_string(value, &path) {
            Ok(Some(text)) => {
                out.insert(name.clone(), text);
            }
            Ok(None) => {}
            Err(error) => warnings.push(format!("{path}: not available to the parent ({error})")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Routed;

    #[test]
    fn a_child_route_conflicts_as_a_route_of_the_same_template_would() {
        let mut routed = Routed::default();
        routed.claim("GET", "/items/{id}", "Parent");
        routed.claim("ANY", "$default", "Parent");
        let mut warnings = Vec::new();
        // Same shape: variable names and a trailing slash aside.
        assert!(!routed.admit("GET", "/items/{itemId}/", "Child", &mut warnings));
        assert!(!routed.admit("ANY", "$default", "Child", &mut warnings));
        assert_eq!(warnings.len(), 2);
        assert!(
            warnings[0].contains("is also routed to Parent"),
            "{warnings:?}"
        );
        // Another method, or a greedy segment where the parent has `{id}`: another route.
        assert!(routed.admit("POST", "/items/{id}", "Child", &mut warnings));
        assert!(routed.admit("GET", "/items/{proxy+}", "Child", &mut warnings));
        assert_eq!(warnings.len(), 2);
    }
}
