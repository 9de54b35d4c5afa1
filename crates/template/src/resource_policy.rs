//! REST API resource policies: `Policy` on `AWS::ApiGateway::RestApi`, the OpenAPI document's
//! `x-amazon-apigateway-policy`, and SAM's `Auth.ResourcePolicy` (on the API and on `Api` events),
//! which SAM's transform turns into statements merged into the document's policy. Read after every
//! route is known, because SAM writes one set of statements per path.

use std::path::Path;

use serde_json::{json, Map, Value};

use crate::error::TemplateError;
use crate::intrinsics::{join_path, Resolver};
use crate::model::{
    CidrBlock, Comparison, Condition, ConditionOperator, Effect, PolicyStatement, Principals,
    ResourcePolicy, RestApi, SetQualifier,
};
use crate::resources::IMPLICIT_API;
use crate::yaml_tree::{Kind, Node};

/// The properties SAM's `ResourcePolicyStatement` has.
const SAM_KEYS: &[&str] = &[
    "AwsAccountBlacklist",
    "AwsAccountWhitelist",
    "CustomStatements",
    "IntrinsicVpcBlacklist",
    "IntrinsicVpcWhitelist",
    "IntrinsicVpceBlacklist",
    "IntrinsicVpceWhitelist",
    "IpRangeBlacklist",
    "IpRangeWhitelist",
    "SourceVpcBlacklist",
    "SourceVpcWhitelist",
];

/// A policy that is not a valid document: where in it (relative path) and why.
#[derive(Debug)]
struct Invalid {
    at: String,
    message: String,
}

impl Invalid {
    fn new(at: &str, message: impl Into<String>) -> Invalid {
        Invalid {
            at: at.to_owned(),
            message: message.into(),
        }
    }

    fn under(mut self, parent: &str) -> Invalid {
        self.at = join_path(parent, &self.at);
        self
    }
}

/// Sets every REST API's `resource_policy` from its document, SAM `Auth` and events' `Auth`.
pub(crate) fn attach(
    root: &Node,
    resources: &[(String, Node)],
    resolver: &Resolver<'_>,
    template_dir: &Path,
    apis: &mut [RestApi],
) -> Result<(), TemplateError> {
    let global_api = root.get("Globals").and_then(|g| g.get("Api"));
    for api in apis.iter_mut() {
        let resource = resources
            .iter()
            .find(|(id, _)| *id == api.logical_id)
            .map(|(_, r)| r);
        let ty = resource.and_then(|r| r.get("Type")).and_then(Node::as_str);
        let path = format!("Resources.{}.Properties", api.logical_id);
        let mut statements: Vec<Value> = Vec::new();
        let mut found = false;
        match (ty, resource) {
            (Some("AWS::ApiGateway::RestApi"), Some(resource)) => {
                let props = resource.get("Properties");
                if let Some(node) = props.and_then(|p| p.get("Policy")) {
                    found = true;
                    statements = document_statements(node, &join_path(&path, "Policy"), resolver)?;
                } else if let Some(body) = props.and_then(|p| p.get("Body")) {
                    found |=
                        openapi_policy(body, &join_path(&path, "Body"), resolver, &mut statements)?;
                }
            }
            (Some("AWS::Serverless::Api"), Some(resource)) => {
                let props = crate::globals::apply(global_api, resource.get("Properties"), resource);
                // Warnings about the document were given when its routes were read.
                let mut ignored = Vec::new();
                if let Some((document, where_)) =
                    crate::openapi::document(&props, &path, resolver, template_dir, &mut ignored)?
                {
                    found |= openapi_policy(&document, &where_, resolver, &mut statements)?;
                }
                found |= sam_policy(&props, &path, resolver, api, &mut statements)?;
            }
            (None, None) if api.logical_id == IMPLICIT_API => {
                if let Some(global) = global_api {
                    found |= sam_policy(global, "Globals.Api", resolver, api, &mut statements)?;
                }
            }
            _ => {}
        }
        found |= event_policies(resources, resolver, api, &mut statements)?;
        if !found {
            continue;
        }
        // Every statement was checked where it was written; this cannot fail.
        let parsed = parse_statements(&statements).map_err(|e| {
            resolver.error(
                resource.unwrap_or(root),
                &join_path(&path, &e.at),
                e.message,
            )
        })?;
        api.resource_policy = Some(ResourcePolicy { statements: parsed });
    }
    Ok(())
}

/// A `Policy` (a JSON object, or its text) → its statements, checked.
fn document_statements(
    node: &Node,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<Vec<Value>, TemplateError> {
    let value = resolved_json(node, path, resolver)?;
    let value = match value {
        Value::String(text) => serde_json::from_str(&text).map_err(|e| {
            resolver.error(node, path, format!("the policy is not valid JSON: {e}"))
        })?,
        other => other,
    };
    document(&value).map_err(|e| {
        resolver.error_hint(
            node,
            &join_path(path, &e.at),
            e.message,
            Some("a resource policy is {\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\", \"Principal\", \"Action\", \"Resource\"}]}".into()),
        )
    })
}

/// The document's `x-amazon-apigateway-policy`, appended to `out`; whether there was one.
fn openapi_policy(
    document: &Node,
    where_: &str,
    resolver: &Resolver<'_>,
    out: &mut Vec<Value>,
) -> Result<bool, TemplateError> {
    let Some(node) = document.get("x-amazon-apigateway-policy") else {
        return Ok(false);
    };
    let statements = document_statements(
        node,
        &join_path(where_, "x-amazon-apigateway-policy"),
        resolver,
    )?;
    push_unique(out, statements);
    Ok(true)
}

/// SAM's `Auth.ResourcePolicy` of an API: its statements for every path of the API, then its
/// `CustomStatements` once. Whether there was one.
fn sam_policy(
    props: &Node,
    path: &str,
    resolver: &Resolver<'_>,
    api: &RestApi,
    out: &mut Vec<Value>,
) -> Result<bool, TemplateError> {
    let Some(node) = props.get("Auth").and_then(|a| a.get("ResourcePolicy")) else {
        return Ok(false);
    };
    let path = join_path(&join_path(path, "Auth"), "ResourcePolicy");
    let policy = resolved_json(node, &path, resolver)?;
    let mut paths: Vec<(&str, Vec<&str>)> = Vec::new();
    for route in &api.routes {
        match paths.iter_mut().find(|(p, _)| *p == route.path) {
            Some((_, methods)) => methods.push(&route.method),
            None => paths.push((&route.path, vec![&route.method])),
        }
    }
    // SAM adds the CORS preflight's OPTIONS method to every path before it writes the policy
    // (api_generator: `_add_cors()` then `_add_auth()`), so the policy covers it too.
    if api.cors.is_some() {
        for (_, methods) in &mut paths {
            if !methods.iter().any(|m| m.eq_ignore_ascii_case("OPTIONS")) {
                methods.push("OPTIONS");
            }
        }
    }
    let invalid = |e: Invalid| resolver.error(node, &join_path(&path, &e.at), e.message);
    for (route_path, methods) in paths {
        let arns = method_resources(&api.stage_name, route_path, &methods);
        push_unique(out, sam_statements(&policy, &arns).map_err(invalid)?);
    }
    push_unique(out, custom_statements(&policy).map_err(invalid)?);
    Ok(true)
}

/// Each SAM `Api` event's `Auth.ResourcePolicy`, for its own method and path.
///
/// SAM: statements for every method the path has in the document when the event is added;
/// Sluice: for the event's method, so the result does not depend on the order of events.
fn event_policies(
    resources: &[(String, Node)],
    resolver: &Resolver<'_>,
    api: &RestApi,
    out: &mut Vec<Value>,
) -> Result<bool, TemplateError> {
    let mut found = false;
    for route in &api.routes {
        if route.function.is_empty() {
            continue;
        }
        let Some((_, function)) = resources.iter().find(|(id, _)| *id == route.function) else {
            continue;
        };
        let Some(node) = function
            .get("Properties")
            .and_then(|p| p.get("Events"))
            .and_then(|e| e.get(&route.event_name))
            .and_then(|e| e.get("Properties"))
            .and_then(|p| p.get("Auth"))
            .and_then(|a| a.get("ResourcePolicy"))
        else {
            continue;
        };
        let path = format!(
            "Resources.{}.Properties.Events.{}.Properties.Auth.ResourcePolicy",
            route.function, route.event_name
        );
        let policy = resolved_json(node, &path, resolver)?;
        let arns = method_resources(&api.stage_name, &route.path, &[&route.method]);
        let invalid = |e: Invalid| resolver.error(node, &join_path(&path, &e.at), e.message);
        push_unique(out, sam_statements(&policy, &arns).map_err(invalid)?);
        push_unique(out, custom_statements(&policy).map_err(invalid)?);
        found = true;
    }
    Ok(found)
}

/// SAM's `execute-api:/<stage>/<METHOD>/<path>` for each method of a path: `ANY` is `*`, and each
/// `{param}` or `{proxy+}` segment `*`.
fn method_resources(stage: &str, path: &str, methods: &[&str]) -> Vec<String> {
    let path: String = path
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') && segment.ends_with('}') {
                "*"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    let path = if path.starts_with('/') {
        path
    } else {
        format!("/{path}")
    };
    methods
        .iter()
        .map(|m| {
            let method = if m.eq_ignore_ascii_case("ANY") {
                "*".to_owned()
            } else {
                m.to_ascii_uppercase()
            };
            format!("execute-api:/{stage}/{method}{path}")
        })
        .collect()
}

/// The statements SAM's transform writes for one path (samtranslator `add_resource_policy`):
/// accounts as `Principal: {AWS: …}` allows or denies; IP ranges and VPCs as an allow for
/// everyone plus a deny on the condition (`NotIpAddress` / `StringNotEquals` for a whitelist).
fn sam_statements(policy: &Value, resources: &[String]) -> Result<Vec<Value>, Invalid> {
    let Value::Object(policy) = policy else {
        return Err(Invalid::new(
            "",
            "ResourcePolicy must be a map (ResourcePolicyStatement)",
        ));
    };
    for key in policy.keys() {
        if !SAM_KEYS.contains(&key.as_str()) {
            return Err(Invalid::new(
                key,
                format!(
                    "{key} is not a property of ResourcePolicy; SAM refuses the template (it has {})",
                    SAM_KEYS.join(", ")
                ),
            ));
        }
    }
    let list = |key: &str| -> Result<Vec<String>, Invalid> {
        match policy.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(value) => strings(value).map_err(|m| Invalid::new(key, m)),
        }
    };
    let mut out = Vec::new();
    let principal = |accounts: Vec<String>, effect: &str| {
        json!({
            "Effect": effect,
            "Action": "execute-api:Invoke",
            "Resource": resources,
            "Principal": {"AWS": accounts},
        })
    };
    let accounts = list("AwsAccountWhitelist")?;
    if !accounts.is_empty() {
        out.push(principal(accounts, "Allow"));
    }
    let accounts = list("AwsAccountBlacklist")?;
    if !accounts.is_empty() {
        out.push(principal(accounts, "Deny"));
    }
    let allow_all = json!({
        "Effect": "Allow",
        "Action": "execute-api:Invoke",
        "Resource": resources,
        "Principal": "*",
    });
    let deny_when = |operator: &str, condition: Value| {
        json!({
            "Effect": "Deny",
            "Action": "execute-api:Invoke",
            "Resource": resources,
            "Principal": "*",
            "Condition": {operator: condition},
        })
    };
    for (key, operator) in [
        ("IpRangeWhitelist", "NotIpAddress"),
        ("IpRangeBlacklist", "IpAddress"),
    ] {
        let ranges = list(key)?;
        if ranges.is_empty() {
            continue;
        }
        if let Some(bad) = ranges.iter().find(|r| CidrBlock::parse(r).is_none()) {
            return Err(Invalid::new(
                key,
                format!("{bad:?} is not an IP address or CIDR block"),
            ));
        }
        push_unique(
            &mut out,
            vec![
                allow_all.clone(),
                deny_when(operator, json!({"aws:SourceIp": ranges})),
            ],
        );
    }
    for (suffix, operator) in [
        ("Blacklist", "StringEquals"),
        ("Whitelist", "StringNotEquals"),
    ] {
        let mut vpcs = Vec::new();
        let mut endpoints = Vec::new();
        for endpoint in list(&format!("SourceVpc{suffix}"))? {
            if endpoint.starts_with("vpce-") {
                endpoints.push(endpoint);
            } else if endpoint.starts_with("vpc-") {
                vpcs.push(endpoint);
            }
        }
        vpcs.extend(list(&format!("IntrinsicVpc{suffix}"))?);
        endpoints.extend(list(&format!("IntrinsicVpce{suffix}"))?);
        let mut condition = Map::new();
        if !vpcs.is_empty() {
            condition.insert("aws:SourceVpc".into(), json!(vpcs));
        }
        if !endpoints.is_empty() {
            condition.insert("aws:SourceVpce".into(), json!(endpoints));
        }
        if condition.is_empty() {
            continue;
        }
        push_unique(
            &mut out,
            vec![
                allow_all.clone(),
                deny_when(operator, Value::Object(condition)),
            ],
        );
    }
    // Checked here so a mistake points at the SAM property that produced it.
    parse_statements(&out)?;
    Ok(out)
}

/// `CustomStatements`: one statement or a list, checked.
fn custom_statements(policy: &Value) -> Result<Vec<Value>, Invalid> {
    let statements = match policy.get("CustomStatements") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items.clone(),
        Some(one) => vec![one.clone()],
    };
    parse_statements(&statements).map_err(|e| e.under("CustomStatements"))?;
    Ok(statements)
}

/// Appends the statements `out` does not hold yet (SAM's merge skips equal statements).
fn push_unique(out: &mut Vec<Value>, statements: Vec<Value>) {
    for statement in statements {
        if !out.contains(&statement) {
            out.push(statement);
        }
    }
}

/// A node with its intrinsics resolved, as JSON.
fn resolved_json(node: &Node, path: &str, resolver: &Resolver<'_>) -> Result<Value, TemplateError> {
    let evaluated = resolver.eval(node, path)?.unwrap_or_else(|| node.clone());
    Ok(match &evaluated.kind {
        // A policy's scalars are text (`"123456789012"`, `"true"`), whatever YAML makes of them.
        Kind::Scalar(text, _) => Value::String(text.clone()),
        _ => crate::plain_yaml::to_json(&evaluated),
    })
}

/// The statements of a policy document (`{"Version", "Statement"}`), as JSON.
fn document(value: &Value) -> Result<Vec<Value>, Invalid> {
    let Value::Object(document) = value else {
        return Err(Invalid::new(
            "",
            "a policy document is a JSON object with a Statement",
        ));
    };
    for key in document.keys() {
        if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
            return Err(Invalid::new(
                key,
                format!("{key} is not a policy document element (Version, Id, Statement)"),
            ));
        }
    }
    match document.get("Version") {
        None => {}
        Some(Value::String(v)) if v == "2012-10-17" || v == "2008-10-17" => {}
        Some(other) => {
            return Err(Invalid::new(
                "Version",
                format!("{other} is not a policy language version (2012-10-17)"),
            ))
        }
    }
    let statements = match document.get("Statement") {
        Some(Value::Array(items)) if !items.is_empty() => items.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => {
            return Err(Invalid::new(
                "Statement",
                "a policy document needs a Statement (an object or a non-empty list)",
            ))
        }
    };
    parse_statements(&statements).map_err(|e| e.under(""))?;
    Ok(statements)
}

/// Statements as JSON → the typed model; the first malformed one says where and why.
fn parse_statements(statements: &[Value]) -> Result<Vec<PolicyStatement>, Invalid> {
    statements
        .iter()
        .enumerate()
        .map(|(i, s)| statement(s).map_err(|e| e.under(&format!("Statement[{i}]"))))
        .collect()
}

/// One statement.
fn statement(value: &Value) -> Result<PolicyStatement, Invalid> {
    let Value::Object(s) = value else {
        return Err(Invalid::new("", "a statement is a JSON object"));
    };
    for key in s.keys() {
        if !matches!(
            key.as_str(),
            "Sid"
                | "Effect"
                | "Principal"
                | "NotPrincipal"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Condition"
        ) {
            return Err(Invalid::new(
                key,
                format!("{key} is not a policy statement element"),
            ));
        }
    }
    let effect = match s.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        _ => return Err(Invalid::new("Effect", "Effect must be Allow or Deny")),
    };
    let (principal, not_principal) = one_of(s, "Principal", "NotPrincipal")?;
    let principals = principals(principal).map_err(|m| {
        Invalid::new(
            if not_principal {
                "NotPrincipal"
            } else {
                "Principal"
            },
            m,
        )
    })?;
    let (action, not_action) = one_of(s, "Action", "NotAction")?;
    let actions = strings(action)
        .map_err(|m| Invalid::new(if not_action { "NotAction" } else { "Action" }, m))?;
    let (resource, not_resource) = one_of(s, "Resource", "NotResource")?;
    let resources = strings(resource).map_err(|m| {
        Invalid::new(
            if not_resource {
                "NotResource"
            } else {
                "Resource"
            },
            m,
        )
    })?;
    let conditions = match s.get("Condition") {
        None => Vec::new(),
        Some(c) => conditions(c).map_err(|e| e.under("Condition"))?,
    };
    Ok(PolicyStatement {
        effect,
        principals,
        not_principal,
        actions,
        not_action,
        resources,
        not_resource,
        conditions,
    })
}

/// Exactly one of `key` and `not_key`: its value and whether it was the negated one.
fn one_of<'v>(
    s: &'v Map<String, Value>,
    key: &str,
    not_key: &str,
) -> Result<(&'v Value, bool), Invalid> {
    match (s.get(key), s.get(not_key)) {
        (Some(v), None) => Ok((v, false)),
        (None, Some(v)) => Ok((v, true)),
        (Some(_), Some(_)) => Err(Invalid::new(
            key,
            format!("a statement has {key} or {not_key}, not both"),
        )),
        (None, None) => Err(Invalid::new(
            key,
            format!("a resource policy statement needs {key} (or {not_key})"),
        )),
    }
}

/// `"*"` or `{"AWS": …, "Service": …}`.
fn principals(value: &Value) -> Result<Principals, String> {
    match value {
        Value::String(s) if s == "*" => Ok(Principals {
            anyone: true,
            aws: Vec::new(),
        }),
        Value::Object(kinds) if !kinds.is_empty() => {
            let mut out = Principals::default();
            for (kind, names) in kinds {
                let names = strings(names).map_err(|m| format!("{kind}: {m}"))?;
                match kind.as_str() {
                    "AWS" if names.iter().any(|n| n == "*") => out.anyone = true,
                    "AWS" => out.aws.extend(names),
                    // Services, web identities and canonical users never call a local API.
                    "Service" | "Federated" | "CanonicalUser" => {}
                    other => {
                        return Err(format!(
                        "{other} is not a principal type (AWS, Service, Federated, CanonicalUser)"
                    ))
                    }
                }
            }
            Ok(out)
        }
        _ => Err("a principal is \"*\" or {\"AWS\": [accounts or ARNs]}".into()),
    }
}

/// `Condition`: `{operator: {key: value or values}}`.
fn conditions(value: &Value) -> Result<Vec<Condition>, Invalid> {
    let Value::Object(operators) = value else {
        return Err(Invalid::new("", "a condition is {operator: {key: values}}"));
    };
    let mut out = Vec::new();
    for (name, keys) in operators {
        let Value::Object(keys) = keys else {
            return Err(Invalid::new(name, "an operator maps keys to values"));
        };
        let (set, unqualified) = match name.split_once(':') {
            Some(("ForAnyValue", rest)) => (Some(SetQualifier::ForAnyValue), rest),
            Some(("ForAllValues", rest)) => (Some(SetQualifier::ForAllValues), rest),
            _ => (None, name.as_str()),
        };
        let (base, if_exists) = match unqualified.strip_suffix("IfExists") {
            Some(base) if base != "Null" => (base, true),
            _ => (unqualified, false),
        };
        let operator = match base {
            "StringEquals" => ConditionOperator::StringEquals,
            "StringNotEquals" => ConditionOperator::StringNotEquals,
            "StringEqualsIgnoreCase" => ConditionOperator::StringEqualsIgnoreCase,
            "StringNotEqualsIgnoreCase" => ConditionOperator::StringNotEqualsIgnoreCase,
            "StringLike" => ConditionOperator::StringLike,
            "StringNotLike" => ConditionOperator::StringNotLike,
            "ArnEquals" | "ArnLike" => ConditionOperator::ArnLike,
            "ArnNotEquals" | "ArnNotLike" => ConditionOperator::ArnNotLike,
            "Bool" => ConditionOperator::Bool,
            // A set of values is never null or not: IAM has no `ForAnyValue:Null`.
            "Null" if set.is_none() => ConditionOperator::Null,
            "IpAddress" => ConditionOperator::IpAddress,
            "NotIpAddress" => ConditionOperator::NotIpAddress,
            _ => match (
                base.strip_prefix("Numeric")
                    .and_then(Comparison::from_suffix),
                base.strip_prefix("Date").and_then(Comparison::from_suffix),
            ) {
                (Some(comparison), _) => ConditionOperator::Numeric(comparison),
                (_, Some(comparison)) => ConditionOperator::Date(comparison),
                _ => ConditionOperator::Unsupported(name.clone()),
            },
        };
        for (key, values) in keys {
            let values = strings(values).map_err(|m| Invalid::new(&format!("{name}.{key}"), m))?;
            if matches!(
                operator,
                ConditionOperator::IpAddress | ConditionOperator::NotIpAddress
            ) {
                if let Some(bad) = values.iter().find(|v| CidrBlock::parse(v).is_none()) {
                    return Err(Invalid::new(
                        &format!("{name}.{key}"),
                        format!("{bad:?} is not an IP address or CIDR block"),
                    ));
                }
            }
            out.push(Condition {
                operator: operator.clone(),
                if_exists,
                set,
                key: key.clone(),
                values,
            });
        }
    }
    Ok(out)
}

/// A string or a non-empty list of them (numbers and booleans as their text).
fn strings(value: &Value) -> Result<Vec<String>, String> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match value {
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|i| one(i).ok_or_else(|| format!("{i} is not a string")))
            .collect(),
        Value::Array(_) => Err("the list is empty".into()),
        other => one(other)
            .map(|s| vec![s])
            .ok_or_else(|| format!("{other} is not a string or a list of strings")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sam_paths_become_method_resources() {
        assert_eq!(
            method_resources("Prod", "/users/{id}/{proxy+}", &["get", "ANY"]),
            [
                "execute-api:/Prod/GET/users/*/*",
                "execute-api:/Prod/*/users/*/*"
            ]
        );
        assert_eq!(
            method_resources("v1", "/", &["POST"]),
            ["execute-api:/v1/POST/"]
        );
    }

    #[test]
    fn a_whitelist_is_an_allow_and_a_deny_outside_the_ranges() {
        let generated = sam_statements(
            &json!({"IpRangeWhitelist": ["10.0.0.0/8"]}),
            &["execute-api:/Prod/GET/a".into()],
        )
        .unwrap();
        assert_eq!(
            generated,
            vec![
                json!({"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": ["execute-api:/Prod/GET/a"], "Principal": "*"}),
                json!({"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": ["execute-api:/Prod/GET/a"], "Principal": "*",
                       "Condition": {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8"]}}}),
            ]
        );
    }

    #[test]
    fn vpc_lists_split_into_vpc_and_endpoint_keys() {
        let generated = sam_statements(
            &json!({"SourceVpcWhitelist": ["vpc-1", "vpce-2"]}),
            &["execute-api:/Prod/GET/a".into()],
        )
        .unwrap();
        assert_eq!(
            generated[1]["Condition"],
            json!({"StringNotEquals": {"aws:SourceVpc": ["vpc-1"], "aws:SourceVpce": ["vpce-2"]}})
        );
    }

    #[test]
    fn malformed_statements_say_where() {
        let e = document(&json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke"}]}))
            .unwrap_err();
        assert_eq!(e.at, "Statement[0].Resource");
        let e = document(&json!({"Statement": {"Effect": "Permit", "Principal": "*", "Action": "a", "Resource": "*"}}))
            .unwrap_err();
        assert_eq!(e.at, "Statement[0].Effect");
        let e = document(&json!({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "a", "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.300"}}}]}))
        .unwrap_err();
        assert_eq!(e.at, "Statement[0].Condition.IpAddress.aws:SourceIp");
        assert!(document(&json!({"Version": "2012-10-17"})).is_err());
    }

    #[test]
    fn conditions_keep_their_operator_and_if_exists() {
        let parsed = parse_statements(&[json!({"Effect": "Deny", "Principal": {"AWS": ["111122223333"]}, "Action": "execute-api:*",
            "NotResource": "execute-api:/*/GET/open", "Condition": {"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}, "NumericLessThan": {"aws:EpochTime": 1}}})])
        .unwrap();
        let s = &parsed[0];
        assert!(s.not_resource && !s.not_action);
        assert_eq!(s.principals.aws, ["111122223333"]);
        assert_eq!(s.conditions[0].operator, ConditionOperator::StringEquals);
        assert!(s.conditions[0].if_exists);
        assert_eq!(s.conditions[0].set, None);
        assert_eq!(
            s.conditions[1].operator,
            ConditionOperator::Numeric(Comparison::LessThan)
        );
        let parsed = parse_statements(&[json!({"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*",
            "Condition": {"DateGreaterThanEqualsIfExists": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}, "BinaryEquals": {"k": "QmluYXJ5"}}})])
        .unwrap();
        let conditions = &parsed[0].conditions;
        assert_eq!(
            conditions[0].operator,
            ConditionOperator::Date(Comparison::GreaterThanEquals)
        );
        assert!(conditions[0].if_exists);
        assert_eq!(
            conditions[1].operator,
            ConditionOperator::Unsupported("BinaryEquals".into())
        );
        let parsed = parse_statements(&[json!({"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*",
            "Condition": {"ForAnyValue:StringLikeIfExists": {"aws:UserAgent": "curl/*"}, "ForAllValues:NumericLessThan": {"aws:EpochTime": "1"},
                "ForAnyValue:Null": {"aws:SourceVpc": "true"}}})])
        .unwrap();
        let conditions = &parsed[0].conditions;
        assert_eq!(conditions[0].operator, ConditionOperator::StringLike);
        assert_eq!(conditions[0].set, Some(SetQualifier::ForAnyValue));
        assert!(conditions[0].if_exists);
        assert_eq!(
            conditions[1].operator,
            ConditionOperator::Numeric(Comparison::LessThan)
        );
        assert_eq!(conditions[1].set, Some(SetQualifier::ForAllValues));
        assert_eq!(
            conditions[2].operator,
            ConditionOperator::Unsupported("ForAnyValue:Null".into())
        );
    }
}
