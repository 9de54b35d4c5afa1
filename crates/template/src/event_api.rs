//! The API a function's event names (`RestApiId` on an `Api` event, `ApiId` on an `HttpApi` one):
//! one rule for both kinds of API.

use crate::error::TemplateError;
use crate::intrinsics::Resolver;
use crate::yaml_tree::Node;

/// How an event names its API: the property, the resource type that API must have, and the
/// implicit API an event without the property goes to.
pub(crate) struct EventApi {
    /// `RestApiId` or `ApiId`.
    pub key: &'static str,
    /// `AWS::Serverless::Api` or `AWS::Serverless::HttpApi`.
    pub api_type: &'static str,
    /// `ServerlessRestApi` or `ServerlessHttpApi`.
    pub implicit: &'static str,
}

impl EventApi {
    /// The logical id of the API an event's routes go to: the implicit API when the event names
    /// none; `None` (with a warning) when it names a resource of another type, whose routes are
    /// ignored.
    ///
    /// `named` is the id with the node it came from; `read` says whether an API of that id was read
    /// (a false `Condition` drops it); `property` is the event's property path.
    pub(crate) fn resolve(
        &self,
        named: Option<&(String, Node)>,
        read: impl Fn(&str) -> bool,
        property: &str,
        resolver: &Resolver<'_>,
        warnings: &mut Vec<String>,
    ) -> Result<Option<String>, TemplateError> {
        let Some((id, at)) = named else {
            return Ok(Some(self.implicit.to_owned()));
        };
        if read(id) {
            return Ok(Some(id.clone()));
        }
        let (key, api_type) = (self.key, self.api_type);
        let path = format!("{property}.Properties.{key}");
        match resolver.resource_type(id) {
            Some(ty) if ty == api_type => Err(resolver.error(
                at,
                &path,
                format!("{key} names {id}, whose Condition is false"),
            )),
            Some(other) => {
                warnings.push(format!(
                    "{property}: {key} names {id}, an {other}; only {api_type} is emulated (route ignored)"
                ));
                Ok(None)
            }
            None => Err(resolver.error_hint(
                at,
                &path,
                format!("{key} names {id}, but there is no resource {id} in this template"),
                Some(format!(
                    "define an {api_type} with that logical id, or drop {key} to use the implicit API"
                )),
            )),
        }
    }
}
