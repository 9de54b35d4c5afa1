//! The stage cache's key for one request: API, stage, method and path, then the values of the
//! method's declared cache key parameters (`cacheKeyParameters`), so that `GET /users?type=admin`
//! and `GET /users?type=regular` are cached apart when `method.request.querystring.type` is one.

use serde_json::Value;

use crate::exchange::Exchange;

/// The cache key of `ex` on `api`'s `stage`, keyed also by `parameters` (`method.request.…`).
pub(crate) fn of(ex: &Exchange, api: &str, stage: &str, parameters: &[String]) -> String {
    let mut key = format!("{api}/{stage}/{} {}", ex.method, ex.raw_path);
    if parameters.is_empty() {
        return key;
    }
    let query = ex
        .query
        .as_deref()
        .map(crate::request_event::parse_query)
        .unwrap_or_default();
    // A missing parameter is `null`, a key of its own (and not the empty string's).
    let values = parameters
        .iter()
        .map(|parameter| match values_of(ex, &query, parameter) {
            Some(values) => Value::from(values),
            None => Value::Null,
        })
        .collect();
    key.push(' ');
    key.push_str(&Value::Array(values).to_string());
    key
}

/// The request's values for one `method.request.<location>.<name>`; `None` when it has none.
fn values_of(
    ex: &Exchange,
    query: &[(String, Vec<String>)],
    parameter: &str,
) -> Option<Vec<String>> {
    let (location, name) = parameter.strip_prefix("method.request.")?.split_once('.')?;
    let last = |mut values: Vec<String>| values.pop().map(|v| vec![v]);
    match location {
        // As in the proxy event: `header`/`querystring` are the last value, `multivalue…` all.
        "header" | "multivalueheader" => {
            let values: Vec<String> = ex
                .headers
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect();
            if values.is_empty() {
                None
            } else if location == "header" {
                last(values)
            } else {
                Some(values)
            }
        }
        "querystring" | "multivaluequerystring" => {
            let (_, values) = query.iter().find(|(key, _)| key == name)?;
            if location == "querystring" {
                last(values.clone())
            } else {
                Some(values.clone())
            }
        }
        "path" => ex
            .route
            .as_ref()?
            .path_parameters
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| vec![value.clone()]),
        _ => None,
    }
}
