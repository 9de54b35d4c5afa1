//! `Reader`: one resource's properties (after `Globals`), evaluated only when asked for.

use std::ops::RangeInclusive;

use crate::error::TemplateError;
use crate::intrinsics::{join_path, Resolver};
use crate::yaml_tree::Node;

/// Reads properties of one resource (after `Globals`), evaluating only what is asked for.
pub(super) struct Reader<'a, 't> {
    pub(super) resolver: &'a Resolver<'t>,
    pub(super) properties: &'a Node,
    pub(super) path: &'a str,
}

impl Reader<'_, '_> {
    pub(super) fn path(&self, key: &str) -> String {
        join_path(self.path, key)
    }

    pub(super) fn string(&self, key: &str) -> Result<Option<String>, TemplateError> {
        match self.properties.get(key) {
            Some(node) => self.resolver.eval_string(node, &self.path(key)),
            None => Ok(None),
        }
    }

    /// A required, non-empty string property.
    pub(super) fn required(&self, key: &str, hint: &str) -> Result<String, TemplateError> {
        match self.string(key)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => {
                let at = self.properties.get(key).unwrap_or(self.properties);
                let message = format!("{key} is required");
                Err(self
                    .resolver
                    .error_hint(at, &self.path(key), message, Some(hint.to_string())))
            }
        }
    }

    pub(super) fn number(
        &self,
        key: &str,
        range: RangeInclusive<u32>,
    ) -> Result<Option<u32>, TemplateError> {
        let Some(text) = self.string(key)? else {
            return Ok(None);
        };
        let at = self.properties.get(key).unwrap_or(self.properties);
        match text.trim().parse::<u32>() {
            Ok(n) if range.contains(&n) => Ok(Some(n)),
            Ok(n) => Err(self.resolver.error(
                at,
                &self.path(key),
                format!("{n} is out of range ({}..={})", range.start(), range.end()),
            )),
            Err(_) => Err(self.resolver.error(
                at,
                &self.path(key),
                format!("{text:?} is not a whole number"),
            )),
        }
    }
}
