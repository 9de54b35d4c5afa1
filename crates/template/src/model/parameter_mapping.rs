//! An HTTP API integration's parameter mapping (`RequestParameters` / `ResponseParameters`):
//! how API Gateway rewrites the request before the integration and its answer before the client.

/// One integration's request and response parameter mappings (empty: nothing is rewritten).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParameterMapping {
    /// `RequestParameters`, in template order.
    pub request: Vec<ParameterMap>,
    /// `ResponseParameters`: the maps for each status code the integration may answer.
    pub response: Vec<ResponseMapping>,
}

impl ParameterMapping {
    /// Whether nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.request.is_empty() && self.response.is_empty()
    }
}

/// The response maps for one status code of the integration's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseMapping {
    /// The integration's status code (200..=599) these maps apply to.
    pub status: u16,
    /// The maps, in template order.
    pub maps: Vec<ParameterMap>,
}

/// One `action:target` → value entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterMap {
    /// `append`, `overwrite` or `remove`.
    pub action: MapAction,
    /// What is rewritten.
    pub target: MapTarget,
    /// The new data (ignored by `remove`).
    pub value: MappingValue,
}

/// How a map changes its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapAction {
    /// Adds a value beside those present.
    Append,
    /// Replaces every present value.
    Overwrite,
    /// Removes the target.
    Remove,
}

/// What a map rewrites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapTarget {
    /// A header (name in lower case: header names are case-insensitive).
    Header(String),
    /// A query string parameter (names are case-sensitive).
    QueryString(String),
    /// The path the integration request carries (`overwrite:path`, request maps only).
    Path,
    /// The response's status code (`overwrite:statuscode`, response maps only).
    StatusCode,
}

/// A value expression: static text and `$request…`, `$response…`, `$context…`,
/// `$stageVariables…` references (`$name` or `${name}`), concatenated.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MappingValue(pub Vec<ValuePart>);

/// One piece of a [`MappingValue`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValuePart {
    /// Static text.
    Text(String),
    /// `$request.header.name` (case-insensitive; repeated values joined with commas).
    RequestHeader(String),
    /// `$request.querystring.name` (repeated values joined with commas).
    RequestQueryString(String),
    /// `$request.body.path`: a JSONPath (`$.path`, or `$` for the whole body).
    RequestBody(String),
    /// `$request.path`: the request path, without the stage.
    RequestPath,
    /// `$request.path.name`: a path parameter.
    RequestPathParameter(String),
    /// `$response.header.name`.
    ResponseHeader(String),
    /// `$response.body.path`: a JSONPath into the integration's answer.
    ResponseBody(String),
    /// `$context.name`.
    Context(String),
    /// `$stageVariables.name`.
    StageVariable(String),
}
