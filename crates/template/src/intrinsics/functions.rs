//! The `Fn::*` functions (`Sub`, `Join`, `If`, `Select`, `Split`, `FindInMap`, `Base64`, …) and
//! their argument checks.

use base64::Engine as _;

use super::{join_path, list_node, Resolver};
use crate::error::TemplateError;
use crate::yaml_tree::{Kind, Node};

impl<'t> Resolver<'t> {
    /// Dispatches one intrinsic function.
    pub(super) fn function(
        &self,
        name: &str,
        arg: &Node,
        at: &Node,
        path: &str,
    ) -> Result<Option<Node>, TemplateError> {
        let fn_path = join_path(path, name);
        let scalar = |s: String| Ok(Some(Node::scalar(s, at.line, at.col)));
        match name {
            "Ref" => {
                let Some(target) = arg.as_str() else {
                    return Err(self.error(arg, &fn_path, "Ref takes the name of a parameter or resource"));
                };
                self.reference(target, arg, path)
            }
            "Fn::Sub" => {
                let (template, vars) = match &arg.kind {
                    Kind::Scalar(s, _) => (s.as_str(), None),
                    Kind::Seq(items) if items.len() == 2 && items[0].as_str().is_some() => {
                        if items[1].entries().is_none() {
                            return Err(self.error(&items[1], &fn_path, "the second argument of Fn::Sub must be a mapping of variables"));
                        }
                        (items[0].as_str().unwrap_or_default(), Some(&items[1]))
                    }
                    _ => return Err(self.error(arg, &fn_path, "Fn::Sub takes a string or [string, {variables}]")),
                };
                scalar(self.sub(template, vars, arg, &fn_path)?)
            }
            "Fn::GetAtt" => {
                let (id, attribute) = match &arg.kind {
                    Kind::Scalar(s, _) => match s.split_once('.') {
                        Some((id, attr)) => (id.to_string(), attr.to_string()),
                        None => return Err(self.error(arg, &fn_path, "Fn::GetAtt takes Resource.Attribute or [Resource, Attribute]")),
                    },
                    Kind::Seq(items) if items.len() == 2 => {
                        let id = self.required_string(&items[0], &fn_path)?;
                        let attribute = self.required_string(&items[1], &fn_path)?;
                        (id, attribute)
                    }
                    _ => return Err(self.error(arg, &fn_path, "Fn::GetAtt takes Resource.Attribute or [Resource, Attribute]")),
                };
                scalar(self.get_att(&id, &attribute, arg, &fn_path)?)
            }
            "Fn::Join" => {
                let [delimiter, list] = self.args::<2>(arg, &fn_path, "Fn::Join takes [delimiter, [values]]")?;
                let delimiter = self.required_string(delimiter, &fn_path)?;
                let parts = self.eval_string_list(list, &fn_path)?;
                scalar(parts.join(&delimiter))
            }
            "Fn::Select" => {
                let [index, list] = self.args::<2>(arg, &fn_path, "Fn::Select takes [index, [values]]")?;
                let index_text = self.required_string(index, &fn_path)?;
                let Ok(i) = index_text.trim().parse::<usize>() else {
                    return Err(self.error(index, &fn_path, format!("Fn::Select index {index_text:?} is not a whole number")));
                };
                let Some(list_value) = self.eval(list, &fn_path)? else {
                    return Err(self.error(list, &fn_path, "Fn::Select needs a list"));
                };
                match list_value.kind {
                    Kind::Seq(mut items) if i < items.len() => Ok(Some(items.swap_remove(i))),
                    Kind::Seq(items) => Err(self.error(index, &fn_path, format!("Fn::Select index {i} is out of range for a list of {}", items.len()))),
                    _ => Err(self.error(list, &fn_path, format!("Fn::Select needs a list, found {}", list_value.shape()))),
                }
            }
            "Fn::Split" => {
                let [delimiter, source] = self.args::<2>(arg, &fn_path, "Fn::Split takes [delimiter, string]")?;
                let delimiter = self.required_string(delimiter, &fn_path)?;
                if delimiter.is_empty() {
                    return Err(self.error(arg, &fn_path, "Fn::Split needs a non-empty delimiter"));
                }
                let source = self.required_string(source, &fn_path)?;
                Ok(Some(list_node(source.split(delimiter.as_str()).map(str::to_string).collect(), at)))
            }
            "Fn::If" => {
                let chosen = self.if_branch(arg, &fn_path)?;
                self.eval(chosen, path)
            }
            "Fn::FindInMap" => {
                let items = match &arg.kind {
                    Kind::Seq(items) if items.len() == 3 || items.len() == 4 => items,
                    _ => return Err(self.error(arg, &fn_path, "Fn::FindInMap takes [MapName, TopLevelKey, SecondLevelKey]")),
                };
                let map_name = self.required_string(&items[0], &fn_path)?;
                let top = self.required_string(&items[1], &fn_path)?;
                let second = self.required_string(&items[2], &fn_path)?;
                let found = self.mappings.and_then(|m| m.get(&map_name)).and_then(|m| m.get(&top)).and_then(|m| m.get(&second));
                match (found, items.get(3).and_then(|d| d.get("DefaultValue"))) {
                    (Some(value), _) => self.eval(value, &format!("Mappings.{map_name}.{top}.{second}")),
                    (None, Some(default)) => self.eval(default, &fn_path),
                    (None, None) => Err(self.error(arg, &fn_path, format!("Mappings has no entry {map_name}.{top}.{second}"))),
                }
            }
            "Fn::Base64" => {
                let text = self.required_string(arg, &fn_path)?;
                scalar(base64::engine::general_purpose::STANDARD.encode(text))
            }
            "Fn::GetAZs" => {
                let region = self.eval_string(arg, &fn_path)?.filter(|r| !r.is_empty()).unwrap_or_else(|| self.options.aws.region.clone());
                Ok(Some(list_node(["a", "b", "c"].iter().map(|z| format!("{region}{z}")).collect(), at)))
            }
            "Fn::Equals" | "Fn::Not" | "Fn::And" | "Fn::Or" => scalar(self.boolean(name, arg, &fn_path)?.to_string()),
            // The AWS::LanguageExtensions transform's functions (Fn::ForEach is expanded at load).
            "Fn::Length" => match self.eval(arg, &fn_path)?.map(|v| v.kind) {
                Some(Kind::Seq(items)) => scalar(items.len().to_string()),
                _ => Err(self.error(arg, &fn_path, "Fn::Length takes a list")),
            },
            "Fn::ToJsonString" => {
                let value = self.eval(arg, &fn_path)?;
                scalar(value.map_or(serde_json::Value::Null, |v| crate::plain_yaml::to_json(&v)).to_string())
            }
            "Fn::ImportValue" => Err(self.error_hint(
                at,
                path,
                "Fn::ImportValue is not supported: Sluice runs a single stack, so there is no other stack to import from",
                Some("pass the value as a template parameter (--parameter-overrides) instead".into()),
            )),
            other => {
                let message = if other.starts_with('!') {
                    format!("unknown tag {other}")
                } else {
                    format!("{other} is not supported by Sluice")
                };
                Err(self.error(at, path, message))
            }
        }
    }

    /// Substitutes `${Name}`, `${Resource.Attribute}` and `${!Literal}` in a `Fn::Sub` template.
    pub(super) fn sub(
        &self,
        template: &str,
        vars: Option<&Node>,
        at: &Node,
        path: &str,
    ) -> Result<String, TemplateError> {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            if let Some(literal) = after.strip_prefix('!') {
                // `${!Literal}` is written out as `${Literal}`.
                out.push_str("${");
                rest = literal;
                continue;
            }
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let name = after[..end].trim();
            out.push_str(&self.sub_variable(name, vars, at, path)?);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    pub(super) fn sub_variable(
        &self,
        name: &str,
        vars: Option<&Node>,
        at: &Node,
        path: &str,
    ) -> Result<String, TemplateError> {
        if name.is_empty() {
            return Err(self.error(at, path, "empty ${} in Fn::Sub"));
        }
        if let Some(value) = vars.and_then(|v| v.get(name)) {
            return self.required_string(value, &join_path(path, name));
        }
        if !name.starts_with("AWS::") {
            // SAM rewrites `${Fn.Alias}` / `${Fn.Version}` to a `Ref` of the alias or version it
            // generates (samtranslator `intrinsics/actions.py`, `SubAction`), not a GetAtt.
            if let Some(arn) = self.alias_arn(name, at, path)? {
                return Ok(arn);
            }
            if let Some((id, attribute)) = name.split_once('.') {
                return self.get_att(id, attribute, at, path);
            }
        }
        match self.reference(name, at, path)? {
            Some(value) => match value.as_str() {
                Some(s) => Ok(s.to_string()),
                None => Err(self.error(
                    at,
                    path,
                    format!("${{{name}}} is a list; Fn::Sub needs a string (use Fn::Join)"),
                )),
            },
            None => Err(self.error(
                at,
                path,
                format!("${{{name}}} is AWS::NoValue, which Fn::Sub cannot use"),
            )),
        }
    }

    /// Evaluates to a string, treating `AWS::NoValue` as an error (the function needs a value).
    pub(super) fn required_string(&self, node: &Node, path: &str) -> Result<String, TemplateError> {
        self.eval_string(node, path)?
            .ok_or_else(|| self.error(node, path, "AWS::NoValue where a value is required"))
    }

    /// The fixed-size argument list of a function.
    pub(super) fn args<'n, const N: usize>(
        &self,
        arg: &'n Node,
        path: &str,
        usage: &str,
    ) -> Result<[&'n Node; N], TemplateError> {
        match &arg.kind {
            Kind::Seq(items) if items.len() == N => {
                let refs: Vec<&Node> = items.iter().collect();
                refs.try_into()
                    .map_err(|_| self.error(arg, path, usage.to_string()))
            }
            _ => Err(self.error(arg, path, usage.to_string())),
        }
    }
}
