//! `Conditions`: named conditions (evaluated once, cached) and the condition functions.

use super::{single_entry, Resolver};
use crate::error::TemplateError;
use crate::yaml_tree::{Kind, Node};

impl<'t> Resolver<'t> {
    /// The value of the named condition in `Conditions` (evaluated once, then cached).
    pub fn condition(&self, name: &str, at: &Node, path: &str) -> Result<bool, TemplateError> {
        if let Some(v) = self.condition_cache.borrow().get(name) {
            return Ok(*v);
        }
        let Some(definition) = self.conditions.and_then(|c| c.get(name)) else {
            return Err(self.error(
                at,
                path,
                format!("no condition named {name:?} in Conditions"),
            ));
        };
        let value = self.guarded(format!("condition {name}"), at, path, || {
            self.eval_condition(definition, &format!("Conditions.{name}"))
        })?;
        self.condition_cache
            .borrow_mut()
            .insert(name.to_string(), value);
        Ok(value)
    }

    /// Whether the resource `id` exists in this deployment: `true` without a `Condition`, else
    /// the named condition's value. Every pass over `Resources` asks here, so no two disagree.
    /// CloudFormation refuses a `Condition` that is not a condition's name ("Template format
    /// error: Every Condition member must be a string"), and so does Sluice.
    pub(crate) fn resource_enabled(
        &self,
        id: &str,
        resource: &Node,
    ) -> Result<bool, TemplateError> {
        let Some(condition) = resource.get("Condition") else {
            return Ok(true);
        };
        let path = format!("Resources.{id}.Condition");
        match condition.as_str() {
            Some(name) => self.condition(name, condition, &path),
            None => Err(self.error_hint(
                condition,
                &path,
                format!(
                    "Condition takes the name of a condition, found {}",
                    condition.shape()
                ),
                Some(
                    "name a key of Conditions (Condition: IsProd); write the expression there"
                        .into(),
                ),
            )),
        }
    }

    /// The branch `Fn::If`'s argument `arg` picks (`[condition, value if true, value if false]`),
    /// not yet evaluated; `path` is the `Fn::If`'s own.
    pub(crate) fn if_branch<'n>(
        &self,
        arg: &'n Node,
        path: &str,
    ) -> Result<&'n Node, TemplateError> {
        let [condition, yes, no] = self.args::<3>(
            arg,
            path,
            "Fn::If takes [condition, value if true, value if false]",
        )?;
        let Some(name) = condition.as_str() else {
            return Err(self.error(
                condition,
                path,
                "the first argument of Fn::If is a condition name",
            ));
        };
        Ok(if self.condition(name, condition, path)? {
            yes
        } else {
            no
        })
    }

    /// Evaluates a condition expression (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`).
    pub(super) fn eval_condition(&self, node: &Node, path: &str) -> Result<bool, TemplateError> {
        if let Some(("Condition", arg)) = single_entry(node) {
            let Some(name) = arg.as_str() else {
                return Err(self.error(arg, path, "Condition takes the name of a condition"));
            };
            return self.condition(name, arg, path);
        }
        let value = self.eval(node, path)?;
        match value.as_ref().and_then(Node::as_str) {
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            _ => Err(self.error(
                node,
                path,
                "expected a condition (Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition)",
            )),
        }
    }

    /// The boolean functions, which AWS allows in `Conditions` (and which we also allow in values).
    pub(super) fn boolean(
        &self,
        name: &str,
        arg: &Node,
        path: &str,
    ) -> Result<bool, TemplateError> {
        match name {
            "Fn::Equals" => {
                let [a, b] = self.args::<2>(arg, path, "Fn::Equals takes [value, value]")?;
                let (a, b) = (self.eval(a, path)?, self.eval(b, path)?);
                Ok(match (a, b) {
                    (Some(a), Some(b)) => same_value(&a, &b),
                    (a, b) => a.is_none() && b.is_none(),
                })
            }
            "Fn::Not" => {
                let [c] = self.args::<1>(arg, path, "Fn::Not takes [condition]")?;
                Ok(!self.eval_condition(c, path)?)
            }
            _ => {
                let Kind::Seq(items) = &arg.kind else {
                    return Err(self.error(
                        arg,
                        path,
                        format!("{name} takes a list of 2 to 10 conditions"),
                    ));
                };
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    values.push(self.eval_condition(item, path)?);
                }
                Ok(if name == "Fn::And" {
                    values.iter().all(|v| *v)
                } else {
                    values.iter().any(|v| *v)
                })
            }
        }
    }
}

/// Structural equality ignoring positions and scalar styles (`Fn::Equals` compares values).
fn same_value(a: &Node, b: &Node) -> bool {
    match (&a.kind, &b.kind) {
        (Kind::Scalar(x, _), Kind::Scalar(y, _)) => x == y,
        (Kind::Seq(x), Kind::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_value(p, q))
        }
        (Kind::Map(x), Kind::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((kp, p), (kq, q))| kp == kq && same_value(p, q))
        }
        _ => false,
    }
}
