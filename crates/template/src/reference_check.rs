//! CloudFormation's reference check: every `Ref`, `Fn::GetAtt` and `Fn::Sub` variable in
//! `Resources` and `Outputs` must name a parameter, a pseudo parameter or a resource (one the
//! template declares, or one SAM generates), whether or not Sluice ever evaluates it.
//!
//! AWS refuses such a template before creating anything: "Template format error: Unresolved
//! resource dependencies [X] in the Outputs block of the template" (`Ref`, `Fn::Sub`, `DependsOn`)
//! and "Template error: instance of Fn::GetAtt references undefined resource X".

use crate::error::TemplateError;
use crate::intrinsics::{join_path, Resolver};
use crate::yaml_tree::{Kind, Node};

/// CloudFormation's pseudo parameters.
const PSEUDO_PARAMETERS: &[&str] = &[
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
];

/// Refuses the first reference in `root`'s `Resources` or `Outputs` that names nothing.
pub(crate) fn check(root: &Node, resolver: &Resolver<'_>) -> Result<(), TemplateError> {
    let parameters: Vec<&str> = root
        .get("Parameters")
        .and_then(Node::entries)
        .map(|entries| entries.iter().map(|(k, _)| k.as_str()).collect())
        .unwrap_or_default();
    let check = Check {
        resolver,
        parameters,
    };
    for (section, keys) in [
        ("Resources", &["Properties", "DependsOn"][..]),
        ("Outputs", &["Value", "Export"][..]),
    ] {
        let Some(entries) = root.get(section).and_then(Node::entries) else {
            continue;
        };
        for (id, entry) in entries {
            for key in keys {
                let Some(node) = entry.get(key) else { continue };
                let path = format!("{section}.{id}.{key}");
                if *key == "DependsOn" {
                    check.depends_on(node, &path, section)?;
                } else {
                    check.walk(node, &path, section)?;
                }
            }
        }
    }
    Ok(())
}

struct Check<'a, 't> {
    resolver: &'a Resolver<'t>,
    parameters: Vec<&'a str>,
}

impl Check<'_, '_> {
    /// Whether `Ref name` (or `${name}`) names something.
    fn resolves(&self, name: &str) -> bool {
        PSEUDO_PARAMETERS.contains(&name)
            || self.parameters.contains(&name)
            || self.resolver.is_known_resource(name)
    }

    fn unresolved(&self, at: &Node, path: &str, name: &str, section: &str) -> TemplateError {
        self.resolver.error(
            at,
            path,
            format!("Ref to {name:?}: no parameter or resource has that name; CloudFormation refuses the template (\"Unresolved resource dependencies [{name}] in the {section} block of the template\")"),
        )
    }

    fn undefined_get_att(&self, at: &Node, path: &str, resource: &str) -> TemplateError {
        self.resolver.error(
            at,
            path,
            format!("Fn::GetAtt: no resource named {resource:?}; CloudFormation refuses the template (\"instance of Fn::GetAtt references undefined resource {resource}\")"),
        )
    }

    fn depends_on(&self, node: &Node, path: &str, section: &str) -> Result<(), TemplateError> {
        let names: Vec<&Node> = match &node.kind {
            Kind::Seq(items) => items.iter().collect(),
            _ => vec![node],
        };
        for name_node in names {
            if let Some(name) = name_node.as_str() {
                if !self.resolver.is_known_resource(name) {
                    return Err(self.unresolved(name_node, path, name, section));
                }
            }
        }
        Ok(())
    }

    fn walk(&self, node: &Node, path: &str, section: &str) -> Result<(), TemplateError> {
        match &node.kind {
            Kind::Scalar(..) => Ok(()),
            Kind::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.walk(item, &format!("{path}[{i}]"), section)?;
                }
                Ok(())
            }
            Kind::Map(entries) => {
                if let [(key, arg)] = entries.as_slice() {
                    // Errors name the property that holds the intrinsic, as evaluation's do.
                    match key.as_str() {
                        "Ref" => {
                            if let Some(name) = arg.as_str() {
                                if !self.resolves(name) {
                                    return Err(self.unresolved(arg, path, name, section));
                                }
                            }
                            return Ok(());
                        }
                        "Fn::GetAtt" => return self.get_att(arg, path, section),
                        "Fn::Sub" => return self.sub(arg, path, section),
                        _ => {}
                    }
                }
                for (key, value) in entries {
                    self.walk(value, &join_path(path, key), section)?;
                }
                Ok(())
            }
        }
    }

    fn get_att(&self, arg: &Node, path: &str, section: &str) -> Result<(), TemplateError> {
        let resource = match &arg.kind {
            Kind::Scalar(..) => arg.as_str().and_then(|s| s.split_once('.')).map(|(r, _)| r),
            Kind::Seq(items) => {
                // The attribute may itself be an intrinsic (`!Ref AttributeName`).
                if let Some(attribute) = items.get(1) {
                    self.walk(attribute, path, section)?;
                }
                items.first().and_then(Node::as_str)
            }
            Kind::Map(..) => None,
        };
        match resource {
            Some(resource) if !self.resolver.is_known_resource(resource) => {
                Err(self.undefined_get_att(arg, path, resource))
            }
            _ => Ok(()),
        }
    }

    fn sub(&self, arg: &Node, path: &str, section: &str) -> Result<(), TemplateError> {
        let (text, variables) = match &arg.kind {
            Kind::Scalar(..) => (arg, None),
            Kind::Seq(items) if !items.is_empty() => {
                let variables = items.get(1);
                if let Some(variables) = variables {
                    self.walk(variables, path, section)?;
                }
                (&items[0], variables)
            }
            _ => return self.walk(arg, path, section),
        };
        let Some(text) = text.as_str() else {
            return self.walk(text, path, section);
        };
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else { break };
            let name = after[..end].trim();
            rest = &after[end + 1..];
            // `${!Literal}` is written out as `${Literal}`.
            if name.starts_with('!') || variables.and_then(|v| v.get(name)).is_some() {
                continue;
            }
            match name.split_once('.') {
                // `${AWS::Region}` has no dot; `${Resource.Attribute}` is a GetAtt.
                Some((resource, _)) if !name.starts_with("AWS::") => {
                    if !self.resolver.is_known_resource(resource) {
                        return Err(self.undefined_get_att(arg, path, resource));
                    }
                }
                _ => {
                    if !self.resolves(name) {
                        return Err(self.unresolved(arg, path, name, section));
                    }
                }
            }
        }
        Ok(())
    }
}
