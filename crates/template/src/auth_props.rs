//! Reading helpers for `auth.rs`: a property mapping with its dotted path (errors name file, line
//! and property), and the `!Ref` / `!GetAtt` targets auth settings point at.

use crate::error::TemplateError;
use crate::globals;
use crate::intrinsics::{intrinsic, join_path, Resolver};
use crate::yaml_tree::Node;

/// The logical id of `!Ref X` (or `{Ref: X}`).
pub(crate) fn ref_target(node: &Node) -> Option<&str> {
    match intrinsic(node) {
        Some(("Ref", target)) => target.as_str(),
        _ => None,
    }
}

/// The function a SAM authorizer's `FunctionArn` names and the version or alias it invokes.
/// SAM builds the authorizer's URI around `FunctionArn` as written (`…/functions/
/// ${__FunctionArn__}/invocations`), so a qualified ARN (`!Ref Fn.Alias`) invokes that
/// qualifier, and `!GetAtt Fn.Arn` the unqualified function. `name_of` turns a written ARN into
/// the function's name. `None`: the authorizer names no `FunctionArn`.
pub(crate) fn authorizer_function(
    props: &Props<'_, '_>,
    name_of: impl FnOnce(&str) -> String,
) -> Result<Option<(String, Option<String>)>, TemplateError> {
    let Some(node) = props.node.get("FunctionArn") else {
        return Ok(None);
    };
    if let Some(("Fn::GetAtt", target)) = intrinsic(node) {
        if let Some(id) = get_att_resource(target) {
            return Ok(Some((id, None)));
        }
    }
    let arn = props.string("FunctionArn")?.unwrap_or_default();
    Ok(Some((name_of(&arn), crate::openapi::qualifier_of(&arn))))
}

/// The resource of `!GetAtt X.Arn` / `[X, Arn]`.
pub(crate) fn get_att_resource(target: &Node) -> Option<String> {
    match target.as_str() {
        Some(text) => text.split('.').next().map(str::to_owned),
        None => seq(target)
            .and_then(|items| items.first())
            .and_then(Node::as_str)
            .map(str::to_owned),
    }
}

/// The items of a sequence node.
pub(crate) fn seq(node: &Node) -> Option<&[Node]> {
    match &node.kind {
        crate::yaml_tree::Kind::Seq(items) => Some(items),
        _ => None,
    }
}

/// A mapping of properties with its dotted path, read on demand (absent → defaults).
pub(crate) struct Props<'a, 't> {
    pub resolver: &'a Resolver<'t>,
    pub node: Node,
    pub path: String,
}

impl<'a, 't> Props<'a, 't> {
    /// A resource's `Properties` (possibly absent).
    pub fn of(resolver: &'a Resolver<'t>, resource: &Node, id: &str) -> Props<'a, 't> {
        Props {
            resolver,
            node: globals::apply(None, resource.get("Properties"), resource),
            path: format!("Resources.{id}.Properties"),
        }
    }

    pub fn path(&self, key: &str) -> String {
        join_path(&self.path, key)
    }

    /// A nested mapping (empty when absent).
    pub fn child(&self, key: &str) -> Props<'a, 't> {
        Props {
            resolver: self.resolver,
            node: globals::apply(None, self.node.get(key), &self.node),
            path: self.path(key),
        }
    }

    pub fn error(&self, key: &str, message: impl Into<String>) -> TemplateError {
        let at = self.node.get(key).unwrap_or(&self.node);
        self.resolver.error(at, &self.path(key), message)
    }

    pub fn error_hint(&self, key: &str, message: impl Into<String>, hint: String) -> TemplateError {
        let at = self.node.get(key).unwrap_or(&self.node);
        self.resolver
            .error_hint(at, &self.path(key), message, Some(hint))
    }

    pub fn string(&self, key: &str) -> Result<Option<String>, TemplateError> {
        match self.node.get(key) {
            Some(node) => self.resolver.eval_string(node, &self.path(key)),
            None => Ok(None),
        }
    }

    pub fn string_list(&self, key: &str) -> Result<Vec<String>, TemplateError> {
        match self.node.get(key) {
            Some(node) => self.resolver.eval_string_list(node, &self.path(key)),
            None => Ok(Vec::new()),
        }
    }

    pub fn boolean(&self, key: &str) -> Result<Option<bool>, TemplateError> {
        match self.string(key)?.as_deref() {
            None => Ok(None),
            Some("true" | "True" | "TRUE") => Ok(Some(true)),
            Some("false" | "False" | "FALSE") => Ok(Some(false)),
            Some(other) => Err(self.error(key, format!("{other:?} is not true or false"))),
        }
    }

    pub fn number(&self, key: &str) -> Result<Option<u32>, TemplateError> {
        match self.string(key)? {
            None => Ok(None),
            Some(text) => text
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| self.error(key, format!("{text:?} is not a whole number"))),
        }
    }

    pub fn float(&self, key: &str) -> Result<Option<f64>, TemplateError> {
        match self.string(key)? {
            None => Ok(None),
            Some(text) => match text.trim().parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
                _ => Err(self.error(key, format!("{text:?} is not a non-negative number"))),
            },
        }
    }
}
