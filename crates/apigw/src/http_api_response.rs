//! Phase map response for payload 2.0 (HTTP APIs and Function URLs): the function's answer → the
//! HTTP response, with AWS's inference rules.
//!
//! AWS: when the function returns valid JSON that is not an object with a `statusCode`, the answer
//! is inferred: status 200, `content-type: application/json`, and the payload as the body: a
//! string's text without its quotes, any other value written compactly (AWS's table in "Lambda
//! function response for format 2.0"; recorded for Function URLs: `"hello"` → `hello`,
//! `{"hello": "world"}` → `{"hello":"world"}`).
//! With a `statusCode`, `headers` (one string per name; repeats joined with commas), `cookies`
//! (each one `Set-Cookie`), `body` and `isBase64Encoded` are used and other keys are ignored.

use std::borrow::Cow;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;

use crate::borrowed_json::{body_bytes, get, into_bytes, take, Json, Object};
use crate::header_rules::{self, ResponseRules};

/// Why a payload 2.0 answer cannot become a response (a 500 on an HTTP API, a 502 on a URL).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum MalformedResponse {
    /// The payload is not JSON at all, so there is nothing to infer from.
    #[error("response is not JSON")]
    NotJson,
    /// `statusCode` is not an integer (or numeric string) in 100..=599.
    #[error("statusCode is not a valid HTTP status: {0}")]
    BadStatusCode(String),
    /// `headers` is not an object of scalars.
    #[error("headers must map names to strings, numbers or booleans (`{0}`)")]
    BadHeaders(String),
    /// `cookies` is not a list of strings.
    #[error("cookies must be a list of strings")]
    BadCookies,
    /// `body` is neither a string nor absent.
    #[error("body must be a string")]
    BadBody,
    /// `isBase64Encoded` is true and the body is not base64.
    #[error("body is not valid base64")]
    BadBase64Body,
    /// A header name or value HTTP cannot carry.
    #[error("invalid header `{0}`")]
    InvalidHeader(String),
    /// No `statusCode`, and an `errorMessage` as a failed function's answer has.
    #[error("the answer is a function error document")]
    ErrorDocument,
}

/// AWS (as users report it; not verified against a live API here): an HTTP API answer with a
/// `statusCode` but no content type goes out as plain UTF-8 text.
const TEXT_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

/// A Function URL answer with a `statusCode` but no content type is JSON (recorded from Lambda:
/// `{"statusCode":200,"body":"body123"}` answers `Content-Type: application/json`).
const JSON_CONTENT_TYPE: &str = "application/json";

/// A streamed body whose prelude names no content type is bytes, as the runtime labels it.
const STREAM_CONTENT_TYPE: &str = "application/octet-stream";

/// The status, headers and cookies of a streamed response's HTTP prelude (node's
/// `HttpResponseStream.from(stream, {statusCode, headers, cookies})`), `statusCode` 200 when absent.
/// The response's body is empty: the stream supplies it.
pub(crate) fn map_prelude(prelude: &[u8]) -> Result<Response<Full<Bytes>>, MalformedResponse> {
    let Ok(Json::Object(mut object)) = Json::parse(prelude) else {
        return Err(MalformedResponse::NotJson);
    };
    if get(&object, "statusCode").is_none() {
        object.push((Cow::Borrowed("statusCode"), Json::Number(200.into())));
    }
    take(&mut object, "body");
    take(&mut object, "isBase64Encoded");
    // Only Function URLs stream.
    structured(object, STREAM_CONTENT_TYPE, &header_rules::FUNCTION_URL)
}

/// Who reads a payload 2.0 answer: the two differ in small ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reader {
    /// An HTTP API route.
    HttpApi,
    /// A Function URL (Lambda's own front end).
    FunctionUrl,
}

/// Map a function's payload to the HTTP response.
pub(crate) fn map(
    payload: &[u8],
    reader: Reader,
) -> Result<Response<Full<Bytes>>, MalformedResponse> {
    // Parsed once, borrowing: names, values and the body are read where they lie in the payload.
    let value = Json::parse(payload).map_err(|_| MalformedResponse::NotJson)?;
    match value {
        Json::Object(object) if get(&object, "statusCode").is_some() => match reader {
            Reader::HttpApi => structured(object, TEXT_CONTENT_TYPE, &header_rules::HTTP_API),
            Reader::FunctionUrl => {
                structured(object, JSON_CONTENT_TYPE, &header_rules::FUNCTION_URL)
            }
        },
        // An HTTP API takes an answer shaped like Lambda's error document for a failed function
        // (recorded: `{"errorMessage": "…"}` is a 500, validated in LocalStack's
        // `test_aws_proxy_response_payload_format_validation_v2`).
        Json::Object(object)
            if reader == Reader::HttpApi && get(&object, "errorMessage").is_some() =>
        {
            Err(MalformedResponse::ErrorDocument)
        }
        other => Ok(inferred(other)),
    }
}

/// No `statusCode` (or not an object): 200 with a JSON content type, the body a string's text
/// or any other value written compactly.
fn inferred(value: Json<'_>) -> Response<Full<Bytes>> {
    json_body(match value {
        Json::String(text) => into_bytes(text),
        other => Bytes::from(other.to_string()),
    })
}

/// A 200 with `body` and a JSON content type.
pub(crate) fn json_body(body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(JSON_CONTENT_TYPE),
    );
    response
}

fn structured(
    mut object: Object,
    default_content_type: &'static str,
    rules: &ResponseRules,
) -> Result<Response<Full<Bytes>>, MalformedResponse> {
    let status = status_code(get(&object, "statusCode"))?;
    let mut pairs: Vec<(Cow<str>, Cow<str>)> = Vec::new();
    match take(&mut object, "headers") {
        None | Some(Json::Null) => {}
        Some(Json::Object(map)) => {
            for (name, value) in map {
                match value.into_header_text() {
                    Ok(Some(text)) => pairs.push((name, text)),
                    Ok(None) => {}
                    Err(()) => return Err(MalformedResponse::BadHeaders(name.into_owned())),
                }
            }
        }
        Some(_) => return Err(MalformedResponse::BadHeaders("headers".into())),
    }
    match take(&mut object, "cookies") {
        None | Some(Json::Null) => {}
        Some(Json::Array(items)) => {
            for item in items {
                let Json::String(cookie) = item else {
                    return Err(MalformedResponse::BadCookies);
                };
                pairs.push((Cow::Borrowed("set-cookie"), cookie));
            }
        }
        Some(_) => return Err(MalformedResponse::BadCookies),
    }
    let body = match take(&mut object, "body") {
        None | Some(Json::Null) => Cow::Borrowed(""),
        Some(Json::String(text)) => text,
        Some(_) => return Err(MalformedResponse::BadBody),
    };
    let is_base64 = matches!(get(&object, "isBase64Encoded"), Some(Json::Bool(true)));
    let body = body_bytes(body, is_base64).ok_or(MalformedResponse::BadBase64Body)?;

    crate::response_parts::assemble(status, pairs, body, default_content_type, rules)
        .map_err(MalformedResponse::InvalidHeader)
}

/// `statusCode`: an integer or a numeric string in 100..=599.
fn status_code(value: Option<&Json>) -> Result<StatusCode, MalformedResponse> {
    let code = match value {
        Some(Json::Number(number)) => number.as_u64(),
        Some(Json::String(text)) => text.trim().parse::<u64>().ok(),
        _ => None,
    };
    code.and_then(|c| u16::try_from(c).ok())
        .filter(|c| (100..=599).contains(c))
        .and_then(|c| StatusCode::from_u16(c).ok())
        .ok_or_else(|| {
            MalformedResponse::BadStatusCode(value.map(Json::to_string).unwrap_or_default())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    /// Status, headers (name, value) and body text of a mapped response.
    type Mapped = (u16, Vec<(String, String)>, String);

    fn run(payload: &str) -> Result<Mapped, MalformedResponse> {
        run_as(payload, Reader::HttpApi)
    }

    fn run_as(payload: &str, reader: Reader) -> Result<Mapped, MalformedResponse> {
        let response = map(payload.as_bytes(), reader)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("?").to_owned()))
            .collect();
        let body = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("current-thread runtime")
            .block_on(response.into_body().collect())
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        Ok((status, headers, String::from_utf8_lossy(&body).into_owned()))
    }

    /// AWS's inference table: what the function returns → status, content type, body.
    #[test]
    fn inference_table() {
        let rows: &[(&str, u16, &str, &str)] = &[
            (r#""hello""#, 200, "application/json", "hello"),
            (r#""say \"hi\"""#, 200, "application/json", r#"say "hi""#),
            ("42", 200, "application/json", "42"),
            ("true", 200, "application/json", "true"),
            ("null", 200, "application/json", "null"),
            (
                r#"["hello", 3, true]"#,
                200,
                "application/json",
                r#"["hello",3,true]"#,
            ),
            (
                r#"{"hello": "world"}"#,
                200,
                "application/json",
                r#"{"hello":"world"}"#,
            ),
            (
                r#"{"b": 1, "a": {"c": [1, 2]}}"#,
                200,
                "application/json",
                r#"{"b":1,"a":{"c":[1,2]}}"#,
            ),
            ("{}", 200, "application/json", "{}"),
            (
                r#"{"body": "x", "headers": {"a": "b"}}"#,
                200,
                "application/json",
                r#"{"body":"x","headers":{"a":"b"}}"#,
            ),
            (
                r#"{"statusCode":201,"body":"made"}"#,
                201,
                "text/plain; charset=utf-8",
                "made",
            ),
            (
                r#"{"statusCode":"404"}"#,
                404,
                "text/plain; charset=utf-8",
                "",
            ),
            (
                r#"{"statusCode":200,"headers":{"content-type":"text/html"},"body":"<p>"}"#,
                200,
                "text/html",
                "<p>",
            ),
            (
                r#"{"statusCode":200,"body":"aGk=","isBase64Encoded":true}"#,
                200,
                "text/plain; charset=utf-8",
                "hi",
            ),
            (
                r#"{"statusCode":200,"extra":1,"body":"x"}"#,
                200,
                "text/plain; charset=utf-8",
                "x",
            ),
        ];
        for (payload, status, content_type, body) in rows {
            let (got_status, headers, got_body) =
                run(payload).unwrap_or_else(|e| panic!("{payload}: {e}"));
            assert_eq!(got_status, *status, "{payload}");
            let got_type = headers
                .iter()
                .find(|(k, _)| k == "content-type")
                .map(|(_, v)| v.as_str());
            assert_eq!(got_type, Some(*content_type), "{payload}");
            assert_eq!(got_body, *body, "{payload}");
        }
    }

    /// A Function URL's answer with a `statusCode` and no content type is JSON; one that names a
    /// content type keeps it.
    #[test]
    fn function_urls_default_structured_answers_to_json() {
        let (_, headers, body) = run_as(
            r#"{"statusCode":200,"body":"body123"}"#,
            Reader::FunctionUrl,
        )
        .expect("valid");
        assert_eq!(body, "body123");
        assert!(headers.contains(&("content-type".into(), "application/json".into())));
        let (_, headers, _) = run_as(
            r#"{"statusCode":200,"headers":{"Content-Type":"text/html"},"body":"<p>"}"#,
            Reader::FunctionUrl,
        )
        .expect("valid");
        assert!(headers.contains(&("content-type".into(), "text/html".into())));
    }

    #[test]
    fn malformed_structured_answers() {
        use MalformedResponse as M;
        let rows: &[(&str, MalformedResponse)] = &[
            (
                r#"{"errorMessage":"test fake error message"}"#,
                M::ErrorDocument,
            ),
            ("not json", M::NotJson),
            (
                r#"{"statusCode":"abc"}"#,
                M::BadStatusCode(r#""abc""#.into()),
            ),
            (r#"{"statusCode":700}"#, M::BadStatusCode("700".into())),
            (
                r#"{"statusCode":200,"headers":[]}"#,
                M::BadHeaders("headers".into()),
            ),
            (
                r#"{"statusCode":200,"headers":{"a":[1]}}"#,
                M::BadHeaders("a".into()),
            ),
            (r#"{"statusCode":200,"cookies":"a=1"}"#, M::BadCookies),
            (r#"{"statusCode":200,"body":{}}"#, M::BadBody),
            (
                r#"{"statusCode":200,"body":"!!","isBase64Encoded":true}"#,
                M::BadBase64Body,
            ),
            (
                r#"{"statusCode":200,"headers":{"a b":"c"}}"#,
                M::InvalidHeader("a b".into()),
            ),
        ];
        for (payload, expected) in rows {
            assert_eq!(run(payload).err().as_ref(), Some(expected), "{payload}");
        }
    }

    #[test]
    fn function_urls_remap_server_date_and_www_authenticate_and_http_apis_do_not() {
        let payload = r#"{"statusCode":401,"headers":{"WWW-Authenticate":"Basic","Server":"fn","Date":"d","Connection":"close","Transfer-Encoding":"chunked","X-Own":"1"},"body":"no"}"#;
        let url = map(payload.as_bytes(), Reader::FunctionUrl).expect("valid");
        let headers = url.headers();
        assert_eq!(headers["x-amzn-remapped-www-authenticate"], "Basic");
        assert_eq!(headers["x-amzn-remapped-server"], "fn");
        assert_eq!(headers["x-amzn-remapped-date"], "d");
        assert_eq!(headers["x-amzn-remapped-connection"], "close");
        assert_eq!(headers["x-own"], "1");
        for gone in [
            "www-authenticate",
            "server",
            "date",
            "connection",
            "transfer-encoding",
        ] {
            assert!(!headers.contains_key(gone), "{gone}");
        }

        let http = map(payload.as_bytes(), Reader::HttpApi).expect("valid");
        let headers = http.headers();
        assert_eq!(headers["www-authenticate"], "Basic");
        assert_eq!(headers["server"], "fn");
        assert_eq!(headers["date"], "d");
        assert!(!headers.contains_key("connection"));
        assert!(!headers.contains_key("transfer-encoding"));
    }

    #[test]
    fn cookies_become_set_cookie_headers_and_headers_keep_joined_values() {
        let (_, headers, _) = run(
            r#"{"statusCode":200,"cookies":["a=1; Path=/","b=2"],"headers":{"x-multi":"p,q","x-n":5,"x-b":true}}"#,
        )
        .expect("valid");
        let values = |name: &str| -> Vec<&str> {
            headers
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .collect()
        };
        assert_eq!(values("set-cookie"), vec!["a=1; Path=/", "b=2"]);
        assert_eq!(values("x-multi"), vec!["p,q"]);
        assert_eq!(values("x-n"), vec!["5"]);
        assert_eq!(values("x-b"), vec!["true"]);
    }
}
