//! Evaluates long-form intrinsics (`Ref`, `Fn::Sub`, `Fn::If`, …) against parameters, pseudo
//! parameters, mappings, conditions and resources. Evaluation is on demand: only the properties
//! Sluice reads are evaluated, so an intrinsic it cannot resolve elsewhere never fails a load.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;

use crate::error::TemplateError;
use crate::parameters::ParamValue;
use crate::yaml_tree::{display_path, Kind, Node};
use crate::LoadOptions;

/// Resource types whose `Ref` is their `FunctionName`.
pub(crate) const FUNCTION_TYPES: &[&str] = &["AWS::Serverless::Function", "AWS::Lambda::Function"];
/// Resource types whose `Ref` is their `TableName`.
const TABLE_TYPES: &[&str] = &["AWS::Serverless::SimpleTable", "AWS::DynamoDB::Table"];

/// Logical ids SAM generates without a matching resource in the template.
const SAM_IMPLICIT_IDS: &[&str] = &["ServerlessRestApi", "ServerlessHttpApi"];

/// Everything an intrinsic can refer to, plus the caches that make evaluation lazy and cycle-safe.
pub(crate) struct Resolver<'t> {
    file: PathBuf,
    options: &'t LoadOptions,
    parameters: BTreeMap<String, ParamValue>,
    mappings: Option<&'t Node>,
    conditions: Option<&'t Node>,
    resources: &'t [(String, Node)],
    condition_cache: RefCell<BTreeMap<String, bool>>,
    /// Conditions and physical names being evaluated right now, to report cycles instead of overflowing.
    in_progress: RefCell<Vec<String>>,
}

impl<'t> Resolver<'t> {
    /// A resolver over one template's sections.
    pub fn new(
        file: &Path,
        options: &'t LoadOptions,
        parameters: BTreeMap<String, ParamValue>,
        root: &'t Node,
        resources: &'t [(String, Node)],
    ) -> Self {
        Resolver {
            file: file.to_path_buf(),
            options,
            parameters,
            mappings: root.get("Mappings"),
            conditions: root.get("Conditions"),
            resources,
            condition_cache: RefCell::new(BTreeMap::new()),
            in_progress: RefCell::new(Vec::new()),
        }
    }

    /// An error located at `at`, for the property `path`.
    pub fn error(&self, at: &Node, path: &str, message: impl Into<String>) -> TemplateError {
        self.error_hint(at, path, message, None)
    }

    /// An error with a suggested fix.
    pub fn error_hint(
        &self,
        at: &Node,
        path: &str,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> TemplateError {
        TemplateError::Invalid {
            file: self.file.clone(),
            line: at.line,
            col: at.col,
            property: display_path(path),
            message: message.into(),
            hint,
        }
    }

    /// Evaluates every intrinsic in `node`. `None` means `AWS::NoValue`: the key disappears.
    pub fn eval(&self, node: &Node, path: &str) -> Result<Option<Node>, TemplateError> {
        match &node.kind {
            Kind::Scalar(..) => Ok(Some(node.clone())),
            Kind::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    if let Some(v) = self.eval(item, &format!("{path}[{i}]"))? {
                        out.push(v);
                    }
                }
                Ok(Some(Node {
                    kind: Kind::Seq(out),
                    ..node.clone()
                }))
            }
            Kind::Map(entries) => {
                if let Some((name, arg)) = intrinsic(node) {
                    return self.function(name, arg, node, path);
                }
                let mut out = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    if let Some(v) = self.eval(v, &join_path(path, k))? {
                        out.push((k.clone(), v));
                    }
                }
                Ok(Some(Node {
                    kind: Kind::Map(out),
                    ..node.clone()
                }))
            }
        }
    }

    /// Evaluates `node` to a string (numbers and booleans as written); `None` for `AWS::NoValue`.
    pub fn eval_string(&self, node: &Node, path: &str) -> Result<Option<String>, TemplateError> {
        match self.eval(node, path)? {
            None => Ok(None),
            Some(v) if v.is_null() => Ok(Some(String::new())),
            Some(v) => match v.as_str() {
                Some(s) => Ok(Some(s.to_string())),
                None => Err(self.error(
                    node,
                    path,
                    format!("expected a string, found {}", v.shape()),
                )),
            },
        }
    }

    /// Evaluates `node` to a list of strings.
    pub fn eval_string_list(&self, node: &Node, path: &str) -> Result<Vec<String>, TemplateError> {
        let Some(value) = self.eval(node, path)? else {
            return Ok(Vec::new());
        };
        match &value.kind {
            Kind::Seq(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    item.as_str().map(str::to_string).ok_or_else(|| {
                        self.error(
                            item,
                            &format!("{path}[{i}]"),
                            format!("expected a string, found {}", item.shape()),
                        )
                    })
                })
                .collect(),
            _ => Err(self.error(
                node,
                path,
                format!("expected a list of strings, found {}", value.shape()),
            )),
        }
    }

    /// Evaluates `node` to a mapping of strings (environment and stage variables).
    pub fn eval_string_map(
        &self,
        node: &Node,
        path: &str,
    ) -> Result<BTreeMap<String, String>, TemplateError> {
        let Some(value) = self.eval(node, path)? else {
            return Ok(BTreeMap::new());
        };
        if value.is_null() {
            return Ok(BTreeMap::new());
        }
        let Some(entries) = value.entries() else {
            return Err(self.error(
                node,
                path,
                format!("expected a mapping, found {}", value.shape()),
            ));
        };
        let mut out = BTreeMap::new();
        for (k, v) in entries {
            let text = if v.is_null() {
                String::new()
            } else {
                v.as_str().map(str::to_string).ok_or_else(|| {
                    self.error(
                        v,
                        &join_path(path, k),
                        format!("expected a string, found {}", v.shape()),
                    )
                })?
            };
            out.insert(k.clone(), text);
        }
        Ok(out)
    }

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

    /// Evaluates a condition expression (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`).
    fn eval_condition(&self, node: &Node, path: &str) -> Result<bool, TemplateError> {
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

    /// Runs `f` with `key` marked in progress; a re-entry is a circular reference.
    fn guarded<T>(
        &self,
        key: String,
        at: &Node,
        path: &str,
        f: impl FnOnce() -> Result<T, TemplateError>,
    ) -> Result<T, TemplateError> {
        if self.in_progress.borrow().contains(&key) {
            let mut chain = self.in_progress.borrow().clone();
            chain.push(key);
            return Err(self.error(
                at,
                path,
                format!("circular reference: {}", chain.join(" → ")),
            ));
        }
        self.in_progress.borrow_mut().push(key);
        let result = f();
        self.in_progress.borrow_mut().pop();
        result
    }

    /// The resource's type, if it is in the template.
    pub fn resource_type(&self, logical_id: &str) -> Option<&'t str> {
        self.resource(logical_id)
            .and_then(|r| r.get("Type"))
            .and_then(Node::as_str)
    }

    fn resource(&self, logical_id: &str) -> Option<&'t Node> {
        self.resources
            .iter()
            .find(|(id, _)| id == logical_id)
            .map(|(_, r)| r)
    }

    /// Whether `name` is a resource SAM or this template defines.
    fn is_known_resource(&self, name: &str) -> bool {
        self.resource(name).is_some()
            || SAM_IMPLICIT_IDS.contains(&name)
            // SAM names what it generates after the source resource (`HelloFunctionRole`,
            // `MyApiProdStage`), so a prefix match means "generated by SAM".
            || self.resources.iter().any(|(id, _)| name.starts_with(id.as_str()))
    }

    /// What `Ref` returns for a resource: the name AWS would give it.
    pub fn physical_name(
        &self,
        logical_id: &str,
        at: &Node,
        path: &str,
    ) -> Result<String, TemplateError> {
        let ty = self.resource_type(logical_id).unwrap_or_default();
        // Cognito ids have AWS's shapes, stable per logical id, so tokens survive restarts.
        match ty {
            "AWS::Cognito::UserPool" => {
                return Ok(crate::auth_model::user_pool_id(
                    &self.options.aws.region,
                    logical_id,
                ))
            }
            "AWS::Cognito::UserPoolClient" => {
                return Ok(crate::auth_model::user_pool_client_id(logical_id))
            }
            _ => {}
        }
        let name_property = if FUNCTION_TYPES.contains(&ty) {
            "FunctionName"
        } else if TABLE_TYPES.contains(&ty) {
            "TableName"
        } else {
            return Ok(logical_id.to_string());
        };
        let property = self
            .resource(logical_id)
            .and_then(|r| r.get("Properties"))
            .and_then(|p| p.get(name_property));
        let Some(property) = property else {
            return Ok(logical_id.to_string());
        };
        let property_path = format!("Resources.{logical_id}.Properties.{name_property}");
        let name = self.guarded(format!("Resources.{logical_id}"), at, path, || {
            self.eval_string(property, &property_path)
        })?;
        Ok(name
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| logical_id.to_string()))
    }

    /// `Ref name`: a pseudo parameter, a parameter or a resource.
    fn reference(&self, name: &str, at: &Node, path: &str) -> Result<Option<Node>, TemplateError> {
        let o = self.options;
        let scalar = |s: String| Ok(Some(Node::scalar(s, at.line, at.col)));
        match name {
            "AWS::NoValue" => return Ok(None),
            "AWS::Region" => return scalar(o.aws.region.clone()),
            "AWS::AccountId" => return scalar(o.aws.account_id.clone()),
            "AWS::StackName" => return scalar(o.stack_name.clone()),
            "AWS::StackId" => {
                return scalar(o.aws.arn(
                    "cloudformation",
                    &format!(
                        "stack/{}/00000000-0000-0000-0000-000000000000",
                        o.stack_name
                    ),
                ))
            }
            "AWS::Partition" => return scalar(o.aws.partition.clone()),
            "AWS::URLSuffix" => return scalar(o.aws.url_suffix().into()),
            "AWS::NotificationARNs" => return Ok(Some(list_node(Vec::new(), at))),
            _ => {}
        }
        if let Some(value) = self.parameters.get(name) {
            return Ok(Some(match value {
                ParamValue::Scalar(s) => Node::scalar(s.clone(), at.line, at.col),
                ParamValue::List(items) => list_node(items.clone(), at),
            }));
        }
        if self.is_known_resource(name) {
            return scalar(self.physical_name(name, at, path)?);
        }
        let hint = name
            .starts_with("AWS::")
            .then(|| "pseudo parameters are AWS::Region, AWS::AccountId, AWS::StackName, AWS::StackId, AWS::Partition, AWS::URLSuffix, AWS::NoValue".to_string());
        Err(self.error_hint(
            at,
            path,
            format!("Ref to {name:?}: no parameter or resource has that name"),
            hint,
        ))
    }

    /// `Fn::GetAtt [resource, attribute]`: ARNs as AWS formats them, a plausible string otherwise.
    fn get_att(
        &self,
        id: &str,
        attribute: &str,
        at: &Node,
        path: &str,
    ) -> Result<String, TemplateError> {
        if !self.is_known_resource(id) {
            return Err(self.error(
                at,
                path,
                format!("Fn::GetAtt {id}.{attribute}: no resource named {id:?}"),
            ));
        }
        let o = self.options;
        let aws = &o.aws;
        let (region, account, partition) = (&aws.region, &aws.account_id, &aws.partition);
        let ty = self.resource_type(id).unwrap_or_default();
        let value = match attribute {
            "Arn" if FUNCTION_TYPES.contains(&ty) => {
                aws.function_arn(&self.physical_name(id, at, path)?)
            }
            "Arn" if TABLE_TYPES.contains(&ty) => aws.table_arn(&self.physical_name(id, at, path)?),
            "StreamArn" if TABLE_TYPES.contains(&ty) => format!(
                "{}/stream/1970-01-01T00:00:00.000",
                aws.table_arn(&self.physical_name(id, at, path)?)
            ),
            "Arn" if ty == "AWS::IAM::Role" || (ty.is_empty() && id.ends_with("Role")) => {
                format!("arn:{partition}:iam::{account}:role/{id}")
            }
            "Arn" if ty == "AWS::S3::Bucket" => format!("arn:{partition}:s3:::{id}"),
            "Arn" if ty == "AWS::Cognito::UserPool" => aws.arn(
                "cognito-idp",
                &format!("userpool/{}", crate::auth_model::user_pool_id(region, id)),
            ),
            "Arn" => {
                // `AWS::SQS::Queue` → `sqs`; unknown or SAM-generated types fall back to CloudFormation.
                let service = ty
                    .split("::")
                    .nth(1)
                    .filter(|s| *s != "Serverless")
                    .map_or_else(|| "cloudformation".to_string(), str::to_ascii_lowercase);
                aws.arn(&service, id)
            }
            "QueueUrl" => format!("https://sqs.{region}.{}/{account}/{id}", aws.url_suffix()),
            _ => format!("{id}-{attribute}"),
        };
        Ok(value)
    }

    /// Dispatches one intrinsic function.
    fn function(
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
                let [condition, yes, no] = self.args::<3>(arg, &fn_path, "Fn::If takes [condition, value if true, value if false]")?;
                let Some(condition_name) = condition.as_str() else {
                    return Err(self.error(condition, &fn_path, "the first argument of Fn::If is a condition name"));
                };
                let chosen = if self.condition(condition_name, condition, &fn_path)? { yes } else { no };
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

    /// The boolean functions, which AWS allows in `Conditions` (and which we also allow in values).
    fn boolean(&self, name: &str, arg: &Node, path: &str) -> Result<bool, TemplateError> {
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

    /// Substitutes `${Name}`, `${Resource.Attribute}` and `${!Literal}` in a `Fn::Sub` template.
    fn sub(
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

    fn sub_variable(
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
    fn required_string(&self, node: &Node, path: &str) -> Result<String, TemplateError> {
        self.eval_string(node, path)?
            .ok_or_else(|| self.error(node, path, "AWS::NoValue where a value is required"))
    }

    /// The fixed-size argument list of a function.
    fn args<'n, const N: usize>(
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

/// `(name, argument)` when `node` is an intrinsic call: a one-entry mapping keyed `Ref`, `Fn::…`, or an
/// unknown `!Tag` kept by [`crate::long_form`].
pub(crate) fn intrinsic(node: &Node) -> Option<(&str, &Node)> {
    single_entry(node).filter(|(k, _)| *k == "Ref" || k.starts_with("Fn::") || k.starts_with('!'))
}

fn single_entry(node: &Node) -> Option<(&str, &Node)> {
    match &node.kind {
        Kind::Map(entries) if entries.len() == 1 => Some((entries[0].0.as_str(), &entries[0].1)),
        _ => None,
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

fn list_node(items: Vec<String>, at: &Node) -> Node {
    Node {
        kind: Kind::Seq(
            items
                .into_iter()
                .map(|s| Node::scalar(s, at.line, at.col))
                .collect(),
        ),
        tag: None,
        line: at.line,
        col: at.col,
    }
}

/// `a.b` for property paths, `b` at the root.
pub(crate) fn join_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}
