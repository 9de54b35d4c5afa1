//! Phase map response: a Lambda proxy response (payload 1.0) → the HTTP response, with API
//! Gateway's validation. Anything it rejects becomes the 502 the gateway answers on AWS.

use std::borrow::Cow;

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::Full;

use crate::borrowed_json::{body_bytes, get, take, Json, Object};
use crate::header_rules;

/// Why API Gateway would call a function's response malformed (each is a 502 on AWS).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum MalformedResponse {
    /// The payload is not JSON.
    #[error("response is not JSON")]
    NotJson,
    /// The payload is JSON but not an object (bare string, list, number…).
    #[error("response is not a JSON object")]
    NotObject,
    /// A top-level key outside statusCode, headers, multiValueHeaders, body, isBase64Encoded.
    #[error("unknown top-level key `{0}`")]
    UnknownKey(String),
    /// `statusCode` is neither an integer nor a numeric string in 100..=599.
    #[error("statusCode is not a valid HTTP status: {0}")]
    BadStatusCode(String),
    /// `headers` is not an object, or a value is not a string, number or boolean.
    #[error("headers must map names to strings, numbers or booleans (`{0}`)")]
    BadHeaders(String),
    /// `multiValueHeaders` is not an object of lists of scalars.
    #[error("multiValueHeaders must map names to lists (`{0}`)")]
    BadMultiValueHeaders(String),
    /// A header name or value HTTP cannot carry.
    #[error("invalid header `{0}`")]
    InvalidHeader(String),
    /// `body` is neither a string nor a number.
    #[error("body must be a string")]
    BadBody,
    /// `isBase64Encoded` is not a boolean.
    #[error("isBase64Encoded must be a boolean")]
    BadBase64Flag,
    /// `isBase64Encoded` is true, the body was to be decoded, and it is not base64.
    #[error("body is not valid base64")]
    BadBase64Body,
    /// An HTTP API's payload 1.0 answer has no `statusCode`.
    #[error("statusCode is missing")]
    NoStatusCode,
}

/// Which API reads a payload 1.0 answer: they validate it differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    /// A REST API: no key outside the five, a missing `statusCode` is 200.
    Rest,
    /// An HTTP API (recorded, LocalStack's validated
    /// `test_aws_proxy_response_payload_format_validation_v1`): other keys are ignored, and
    /// only a missing `statusCode` fails (`{}` and a headers-only answer are 500s).
    HttpApi,
}

/// [`map_response`] for an HTTP API route with payload format 1.0 (an `isBase64Encoded` body is
/// always decoded: HTTP APIs have no binary media types).
pub(crate) fn map_http_api_v1_response(
    payload: &[u8],
) -> Result<Response<Full<Bytes>>, MalformedResponse> {
    map_with(payload, true, Reader::HttpApi)
}

/// Map a function's payload to the HTTP response. `decode_base64` says whether the request's
/// `Accept` matched a binary media type: only then is an `isBase64Encoded` body decoded.
pub(crate) fn map_response(
    payload: &[u8],
    decode_base64: bool,
) -> Result<Response<Full<Bytes>>, MalformedResponse> {
    map_with(payload, decode_base64, Reader::Rest)
}

fn map_with(
    payload: &[u8],
    decode_base64: bool,
    reader: Reader,
) -> Result<Response<Full<Bytes>>, MalformedResponse> {
    // Parsed once, borrowing: names, values and the body are read where they lie in the payload.
    let value = Json::parse(payload).map_err(|_| MalformedResponse::NotJson)?;
    let Json::Object(mut object) = value else {
        return Err(MalformedResponse::NotObject);
    };
    match reader {
        Reader::Rest => {
            for (key, _) in &object {
                if !matches!(
                    &**key,
                    "statusCode" | "headers" | "multiValueHeaders" | "body" | "isBase64Encoded"
                ) {
                    return Err(MalformedResponse::UnknownKey(key.to_string()));
                }
            }
        }
        Reader::HttpApi => {
            if matches!(get(&object, "statusCode"), None | Some(Json::Null)) {
                return Err(MalformedResponse::NoStatusCode);
            }
        }
    }

    let status = status_code(get(&object, "statusCode"))?;
    let pairs = header_pairs(&mut object)?;

    let body = match take(&mut object, "body") {
        None | Some(Json::Null) => Cow::Borrowed(""),
        Some(Json::String(text)) => text,
        // AWS: API Gateway sends a numeric body as its text (SAM CLI matches it since its #1124).
        Some(Json::Number(number)) => Cow::Owned(number.to_string()),
        Some(_) => return Err(MalformedResponse::BadBody),
    };
    let is_base64 = match get(&object, "isBase64Encoded") {
        None | Some(Json::Null) => false,
        Some(Json::Bool(flag)) => *flag,
        Some(_) => return Err(MalformedResponse::BadBase64Flag),
    };
    let body =
        body_bytes(body, is_base64 && decode_base64).ok_or(MalformedResponse::BadBase64Body)?;

    let rules = match reader {
        Reader::Rest => &header_rules::REST_LAMBDA_PROXY,
        Reader::HttpApi => &header_rules::HTTP_API,
    };
    crate::response_parts::assemble(status, pairs, body, "application/json", rules)
        .map_err(MalformedResponse::InvalidHeader)
}

/// A REST Lambda proxy's streamed head (`ResponseTransferMode: STREAM`): the JSON prelude the
/// function writes before 8 NUL bytes, with `statusCode`, `headers`, `multiValueHeaders` and
/// `cookies` (AWS's "Lambda proxy integration format for response streaming"). The body follows
/// the prelude, so any `body` here is not one; keys AWS does not list are ignored.
pub(crate) fn map_rest_prelude(prelude: &[u8]) -> Result<Response<Full<Bytes>>, MalformedResponse> {
    let value = Json::parse(prelude).map_err(|_| MalformedResponse::NotJson)?;
    let Json::Object(mut object) = value else {
        return Err(MalformedResponse::NotObject);
    };
    let status = status_code(get(&object, "statusCode"))?;
    let mut pairs = header_pairs(&mut object)?;
    match take(&mut object, "cookies") {
        None | Some(Json::Null) => {}
        Some(Json::Array(cookies)) => {
            for cookie in cookies {
                match cookie {
                    Json::String(text) => pairs.push((Cow::Borrowed("set-cookie"), text)),
                    _ => return Err(MalformedResponse::BadHeaders("cookies".into())),
                }
            }
        }
        Some(_) => return Err(MalformedResponse::BadHeaders("cookies".into())),
    }
    crate::response_parts::assemble(
        status,
        pairs,
        Bytes::new(),
        "application/json",
        &header_rules::REST_LAMBDA_PROXY,
    )
    .map_err(MalformedResponse::InvalidHeader)
}

/// A response's headers as name–value pairs, borrowed from the payload where they can be.
type HeaderPairs<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// `multiValueHeaders` then `headers`, as name–value pairs: AWS sends the multi-value entries
/// first, then the single-value one of the same name.
fn header_pairs<'a>(object: &mut Object<'a>) -> Result<HeaderPairs<'a>, MalformedResponse> {
    let mut pairs = HeaderPairs::new();
    match take(object, "multiValueHeaders") {
        None | Some(Json::Null) => {}
        Some(Json::Object(map)) => {
            for (name, values) in map {
                match values {
                    Json::Array(items) => {
                        for item in items {
                            match item.into_header_text() {
                                Ok(Some(text)) => pairs.push((name.clone(), text)),
                                Ok(None) => {}
                                Err(()) => {
                                    return Err(MalformedResponse::BadMultiValueHeaders(
                                        name.into_owned(),
                                    ))
                                }
                            }
                        }
                    }
                    Json::Null => {}
                    _ => return Err(MalformedResponse::BadMultiValueHeaders(name.into_owned())),
                }
            }
        }
        Some(_) => {
            return Err(MalformedResponse::BadMultiValueHeaders(
                "multiValueHeaders".into(),
            ))
        }
    }
    match take(object, "headers") {
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
    Ok(pairs)
}

/// `statusCode`: absent or `null` → 200; an integer or a numeric string in 100..=599.
fn status_code(value: Option<&Json>) -> Result<StatusCode, MalformedResponse> {
    let code = match value {
        None | Some(Json::Null) => return Ok(StatusCode::OK),
        Some(Json::Number(number)) => number.as_u64().or_else(|| {
            number
                .as_f64()
                .filter(|f| f.fract() == 0.0)
                .map(|f| f as u64)
        }),
        Some(Json::String(text)) => text.trim().parse::<u64>().ok(),
        Some(_) => None,
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

    fn body_of(response: Response<Full<Bytes>>) -> Vec<u8> {
        let collected = futures_collect(response.into_body());
        collected.to_vec()
    }

    /// `Full` resolves on first poll; a tiny runtime keeps the table test synchronous to read.
    fn futures_collect(body: Full<Bytes>) -> Bytes {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("current-thread runtime")
            .block_on(body.collect())
            .map(|c| c.to_bytes())
            .unwrap_or_default()
    }

    fn header_values(response: &Response<Full<Bytes>>, name: &str) -> Vec<String> {
        response
            .headers()
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap_or("<binary>").to_owned())
            .collect()
    }

    /// One row per rule: payload → status (or the malformed reason).
    #[test]
    fn validation_table() {
        use MalformedResponse as M;
        let rows: &[(&str, Result<u16, MalformedResponse>)] = &[
            (r#"{"statusCode":201,"body":"x"}"#, Ok(201)),
            (r#"{"statusCode":"404"}"#, Ok(404)),
            (r#"{"statusCode":200.0}"#, Ok(200)),
            ("{}", Ok(200)),
            (r#"{"body":"x"}"#, Ok(200)),
            (r#"{"statusCode":null}"#, Ok(200)),
            (
                r#"{"statusCode":"abc"}"#,
                Err(M::BadStatusCode(r#""abc""#.into())),
            ),
            (r#"{"statusCode":99}"#, Err(M::BadStatusCode("99".into()))),
            (r#"{"statusCode":600}"#, Err(M::BadStatusCode("600".into()))),
            (
                r#"{"statusCode":true}"#,
                Err(M::BadStatusCode("true".into())),
            ),
            (
                r#"{"statusCode":200,"extra":1}"#,
                Err(M::UnknownKey("extra".into())),
            ),
            (r#""hello""#, Err(M::NotObject)),
            ("[1,2]", Err(M::NotObject)),
            ("42", Err(M::NotObject)),
            ("null", Err(M::NotObject)),
            ("not json", Err(M::NotJson)),
            ("", Err(M::NotJson)),
            (r#"{"body":{"a":1}}"#, Err(M::BadBody)),
            (r#"{"body":5}"#, Ok(200)),
            (r#"{"body":true}"#, Err(M::BadBody)),
            (r#"{"body":null}"#, Ok(200)),
            (
                r#"{"headers":{"a":{"b":1}}}"#,
                Err(M::BadHeaders("a".into())),
            ),
            (r#"{"headers":["a"]}"#, Err(M::BadHeaders("headers".into()))),
            (r#"{"headers":null}"#, Ok(200)),
            (
                r#"{"multiValueHeaders":{"a":"b"}}"#,
                Err(M::BadMultiValueHeaders("a".into())),
            ),
            (
                r#"{"multiValueHeaders":{"a":[{"x":1}]}}"#,
                Err(M::BadMultiValueHeaders("a".into())),
            ),
            (
                r#"{"multiValueHeaders":"x"}"#,
                Err(M::BadMultiValueHeaders("multiValueHeaders".into())),
            ),
            (r#"{"isBase64Encoded":"yes"}"#, Err(M::BadBase64Flag)),
            (
                r#"{"headers":{"bad name":"x"}}"#,
                Err(M::InvalidHeader("bad name".into())),
            ),
            (
                r#"{"headers":{"a":"line\nbreak"}}"#,
                Err(M::InvalidHeader("a".into())),
            ),
        ];
        for (payload, expected) in rows {
            let got = map_response(payload.as_bytes(), false).map(|r| r.status().as_u16());
            assert_eq!(&got, expected, "{payload}");
        }
    }

    /// HTTP APIs read payload 1.0 their own way (LocalStack's validated recording).
    #[test]
    fn http_apis_ignore_extra_keys_and_require_a_status_code() {
        use MalformedResponse as M;
        let rows: &[(&str, Result<u16, MalformedResponse>)] = &[
            (r#"{"statusCode":200,"wrongValue":"value"}"#, Ok(200)),
            (r#"{"statusCode":"201"}"#, Ok(201)),
            ("{}", Err(M::NoStatusCode)),
            (
                r#"{"headers":{"test-header":"value"}}"#,
                Err(M::NoStatusCode),
            ),
            (r#"{"statusCode":null}"#, Err(M::NoStatusCode)),
            (
                r#"{"statusCode":"test"}"#,
                Err(M::BadStatusCode(r#""test""#.into())),
            ),
            (
                r#"{"statusCode":200,"multiValueHeaders":{"test-multi-invalid":"value1"}}"#,
                Err(M::BadMultiValueHeaders("test-multi-invalid".into())),
            ),
            (r#""justAString""#, Err(M::NotObject)),
        ];
        for (payload, expected) in rows {
            let got = map_http_api_v1_response(payload.as_bytes()).map(|r| r.status().as_u16());
            assert_eq!(&got, expected, "{payload}");
        }
    }

    #[test]
    fn numeric_body_is_sent_as_its_text() {
        let whole = map_response(br#"{"statusCode":200,"body":42}"#, false).expect("valid");
        assert_eq!(body_of(whole), b"42");
        let fraction = map_response(br#"{"body":-1.5}"#, false).expect("valid");
        assert_eq!(fraction.status(), 200);
        assert_eq!(body_of(fraction), b"-1.5");
    }

    #[test]
    fn empty_object_is_200_with_empty_body_and_json_content_type() {
        let response = map_response(b"{}", false).expect("valid");
        assert_eq!(response.status(), 200);
        assert_eq!(
            header_values(&response, "content-type"),
            ["application/json"]
        );
        assert!(body_of(response).is_empty());
    }

    #[test]
    fn header_scalars_are_printed() {
        let response = map_response(
            br#"{"headers":{"X-Bool":true,"X-False":false,"X-Num":42,"X-Float":1.5,"X-Null":null}}"#,
            false,
        )
        .expect("valid");
        assert_eq!(header_values(&response, "x-bool"), ["true"]);
        assert_eq!(header_values(&response, "x-false"), ["false"]);
        assert_eq!(header_values(&response, "x-num"), ["42"]);
        assert_eq!(header_values(&response, "x-float"), ["1.5"]);
        assert!(header_values(&response, "x-null").is_empty());
    }

    #[test]
    fn multi_value_headers_come_first_then_headers() {
        let response = map_response(
            br#"{"headers":{"X-A":"c"},"multiValueHeaders":{"x-a":["a","b"],"Set-Cookie":["s=1","t=2"]}}"#,
            false,
        )
        .expect("valid");
        assert_eq!(header_values(&response, "x-a"), ["a", "b", "c"]);
        assert_eq!(header_values(&response, "set-cookie"), ["s=1", "t=2"]);
    }

    /// A repeated key counts once, with its last value (as serde_json's map kept it); escaped
    /// text is decoded.
    #[test]
    fn repeated_keys_take_their_last_value() {
        let response = map_response(
            br#"{"statusCode":500,"headers":{"X-A":"1","X-B":"q\"t","X-A":"2"},"statusCode":201,"body":"a\nb"}"#,
            false,
        )
        .expect("valid");
        assert_eq!(response.status(), 201);
        assert_eq!(header_values(&response, "x-a"), ["2"]);
        assert_eq!(header_values(&response, "x-b"), ["q\"t"]);
        assert_eq!(body_of(response), b"a\nb");
    }

    #[test]
    fn function_content_type_wins_and_connection_headers_are_dropped() {
        let response = map_response(
            br#"{"headers":{"Content-Type":"text/plain","Transfer-Encoding":"chunked","Content-Length":"99"}}"#,
            false,
        )
        .expect("valid");
        assert_eq!(header_values(&response, "content-type"), ["text/plain"]);
        assert!(header_values(&response, "transfer-encoding").is_empty());
        assert!(header_values(&response, "content-length").is_empty());
    }

    #[test]
    fn rest_apis_remap_and_drop_headers_as_aws_table_says_and_http_apis_relay_them() {
        let payload = br#"{"statusCode":401,"multiValueHeaders":{"WWW-Authenticate":["Basic realm=\"a\"","Bearer"]},"headers":{"Server":"fn","Date":"Mon, 01 Jan 2024 00:00:00 GMT","Content-MD5":"x","Content-Length":"2","Via":"1.1 fn","X-Own":"1"},"body":"no"}"#;
        let rest = map_response(payload, false).expect("valid");
        assert_eq!(
            header_values(&rest, "x-amzn-remapped-www-authenticate"),
            ["Basic realm=\"a\"", "Bearer"]
        );
        assert_eq!(header_values(&rest, "x-amzn-remapped-server"), ["fn"]);
        assert_eq!(
            header_values(&rest, "x-amzn-remapped-date"),
            ["Mon, 01 Jan 2024 00:00:00 GMT"]
        );
        assert_eq!(header_values(&rest, "x-amzn-remapped-content-md5"), ["x"]);
        assert_eq!(
            header_values(&rest, "x-amzn-remapped-content-length"),
            ["2"]
        );
        for gone in ["www-authenticate", "server", "date", "content-md5", "via"] {
            assert!(header_values(&rest, gone).is_empty(), "{gone}");
        }
        assert_eq!(header_values(&rest, "x-own"), ["1"]);

        let http = map_http_api_v1_response(payload).expect("valid");
        assert_eq!(
            header_values(&http, "www-authenticate"),
            ["Basic realm=\"a\"", "Bearer"]
        );
        assert_eq!(header_values(&http, "server"), ["fn"]);
        assert_eq!(header_values(&http, "via"), ["1.1 fn"]);
        assert!(header_values(&http, "content-length").is_empty());
        assert!(header_values(&http, "x-amzn-remapped-server").is_empty());
    }

    #[test]
    fn base64_body_decoded_only_when_allowed() {
        let payload = br#"{"statusCode":200,"body":"aGk=","isBase64Encoded":true}"#;
        let decoded = map_response(payload, true).expect("valid");
        assert_eq!(body_of(decoded), b"hi");
        let kept = map_response(payload, false).expect("valid");
        assert_eq!(body_of(kept), b"aGk=");
        assert_eq!(
            map_response(br#"{"body":"!!","isBase64Encoded":true}"#, true).map(|r| r.status()),
            Err(MalformedResponse::BadBase64Body)
        );
        // Not flagged: never decoded, even when allowed.
        let plain = map_response(br#"{"body":"aGk="}"#, true).expect("valid");
        assert_eq!(body_of(plain), b"aGk=");
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever a function returns maps to a response or a 502 reason, never a panic.
        #[test]
        fn arbitrary_payloads_never_panic(payload in proptest::collection::vec(any::<u8>(), 0..200), decode in any::<bool>()) {
            let _ = map_response(&payload, decode);
        }

        /// Arbitrary JSON objects with the allowed keys never panic either.
        #[test]
        fn arbitrary_shaped_objects_never_panic(status in any::<i64>(), header in ".{0,10}", body in ".{0,20}", flag in any::<bool>()) {
            let payload = serde_json::json!({
                "statusCode": status,
                "headers": {header.clone(): body.clone()},
                "multiValueHeaders": {header: [status, flag]},
                "body": body,
                "isBase64Encoded": flag,
            });
            let _ = map_response(payload.to_string().as_bytes(), true);
        }
    }
}
