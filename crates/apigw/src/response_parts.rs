//! What both proxy response mappers (payload 1.0 and 2.0) do alike: turn the function's status,
//! header pairs and body into the HTTP response, leaving connection headers to hyper.

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Response, StatusCode};
use http_body_util::Full;

/// Headers that describe the connection, not the response; hyper sets its own framing.
const CONNECTION_HEADERS: &[&str] = &[
    "connection",
    "content-length",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// The response for `status`, `pairs` (in order; repeated names are all sent) and `body`, with
/// `default_content_type` when the function set none; `Err` names a header HTTP cannot carry.
pub(crate) fn assemble<N, V>(
    status: StatusCode,
    pairs: Vec<(N, V)>,
    body: Bytes,
    default_content_type: &'static str,
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
        if CONNECTION_HEADERS.contains(&header_name.as_str()) {
            continue;
        }
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
