//! What every response mapper does alike: turn the integration's status, header pairs and body
//! into the HTTP response, dropping or renaming headers as the API kind's rules say.

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Response, StatusCode};
use http_body_util::Full;

use crate::header_rules::ResponseRules;

/// The response for `status`, `pairs` (in order; repeated names are all sent, each as `rules`
/// say) and `body`, with `default_content_type` when the integration set none; `Err` names a
/// header HTTP cannot carry.
pub(crate) fn assemble<N, V>(
    status: StatusCode,
    pairs: Vec<(N, V)>,
    body: Bytes,
    default_content_type: &'static str,
    rules: &ResponseRules,
) -> Result<Response<Full<Bytes>>, String>
where
    N: AsRef<str> + Into<String>,
    V: AsRef<str>,
{
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    for (name, value) in pairs {
        let Ok(header_name) = HeaderName::from_bytes(name.as_ref().as_bytes()) else {
            return Err(name.into());
        };
        let Some(header_name) = rules.sent_name(header_name) else {
            continue;
        };
        let Ok(header_value) = HeaderValue::from_str(value.as_ref()) else {
            return Err(name.into());
        };
        headers.append(header_name, header_value);
    }
    if !headers.contains_key(http::header::CONTENT_TYPE) {
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(default_content_type),
        );
    }
    Ok(response)
}
