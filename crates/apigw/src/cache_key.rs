//! The stage cache's key for one request: API, stage, method and path, then the values of the
//! method's declared cache key parameters (`cacheKeyParameters`), so that `GET /users?type=admin`
//! and `GET /users?type=regular` are cached apart when `method.request.querystring.type` is one.

use serde_json::Value;

use crate::exchange::Exchange;
use crate::request_values::{MethodRequest, Parameter};

/// The cache key of `ex` on `api`'s `stage`, keyed also by `parameters` (`method.request.…`).
pub(crate) fn of(ex: &Exchange, api: &str, stage: &str, parameters: &[String]) -> String {
    let mut key = format!("{api}/{stage}/{} {}", ex.method, ex.raw_path);
    if parameters.is_empty() {
        return key;
    }
    let request = MethodRequest::of(ex);
    // A missing parameter is `null`, a key of its own (and not the empty string's).
    let values = parameters
        .iter()
        .map(|parameter| {
            match Parameter::parse(parameter).and_then(|parameter| request.values(parameter)) {
                Some(values) => Value::from(values),
                None => Value::Null,
            }
        })
        .collect();
    key.push(' ');
    key.push_str(&Value::Array(values).to_string());
    key
}
