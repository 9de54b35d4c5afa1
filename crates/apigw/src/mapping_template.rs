//! API Gateway's mapping-template variables over the VTL engine: `$input` (`body`, `json()`,
//! `path()`, `params()`), `$util` (`escapeJavaScript`, `parseJson`, `urlEncode`, `urlDecode`,
//! `base64Encode`, `base64Decode`), `$context` and `$stageVariables`.

use std::cell::{OnceCell, RefCell};
use std::collections::{BTreeMap, HashSet};

use base64::Engine as _;
use sluice_vtl::{Host, RenderError, Template, Value};

use crate::json_path;

/// The method request's parameters, as `$input.params()` shows them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    /// Path parameters (decoded), in template order.
    pub path: Vec<(String, String)>,
    /// Query string parameters (the last value of a repeated name).
    pub querystring: Vec<(String, String)>,
    /// Headers (the last value of a repeated name), names as the client sent them.
    pub header: Vec<(String, String)>,
}

/// Everything a mapping template can read.
#[derive(Debug)]
pub(crate) struct MappingInput<'a> {
    /// `$input.body`: the request body (request templates) or the integration's output (response
    /// templates).
    pub body: &'a str,
    /// The method request's parameters.
    pub params: &'a Params,
    /// `$context`.
    pub context: &'a serde_json::Value,
    /// `$stageVariables`.
    pub stage_variables: &'a BTreeMap<String, String>,
    /// `body` parsed as JSON, once.
    json: OnceCell<serde_json::Value>,
    /// `$context` as the template sees it, made once so `#set($context.responseOverride…)`
    /// lands in the value the caller reads back.
    template_context: OnceCell<Value>,
    /// The overrides this render has set (`responseOverride.status`,
    /// `requestOverride.header.x`…), header names lowercased: AWS refuses a second one.
    overridden: RefCell<HashSet<String>>,
}

/// What a response template asked to change with `$context.responseOverride` (AWS: "Override
/// your API's request and response parameters and status codes").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ResponseOverride {
    /// `$context.responseOverride.status`, when it is a status code.
    pub status: Option<u16>,
    /// `$context.responseOverride.header.<name>` values, in the order they were set.
    pub headers: Vec<(String, String)>,
}

impl<'a> MappingInput<'a> {
    /// Template input over `body`.
    pub fn new(
        body: &'a str,
        params: &'a Params,
        context: &'a serde_json::Value,
        stage_variables: &'a BTreeMap<String, String>,
    ) -> MappingInput<'a> {
        MappingInput {
            body,
            params,
            context,
            stage_variables,
            json: OnceCell::new(),
            template_context: OnceCell::new(),
            overridden: RefCell::new(HashSet::new()),
        }
    }

    /// What the rendered template set under `$context.responseOverride` (nothing before a
    /// render).
    pub fn response_override(&self) -> ResponseOverride {
        let Some(Value::Map(context)) = self.template_context.get() else {
            return ResponseOverride::default();
        };
        let context = context.borrow();
        let Some(Value::Map(overrides)) = context.get("responseOverride") else {
            return ResponseOverride::default();
        };
        let overrides = overrides.borrow();
        let status = overrides.get("status").and_then(|status| match status {
            Value::Int(code) => u16::try_from(*code).ok(),
            Value::Str(text) => text.trim().parse().ok(),
            _ => None,
        });
        let headers = match overrides.get("header") {
            Some(Value::Map(headers)) => headers
                .borrow()
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect(),
            _ => Vec::new(),
        };
        ResponseOverride {
            status: status.filter(|code| (100..=599).contains(code)),
            headers,
        }
    }

    /// What the rendered template set under `$context.requestOverride`, as JSON (`None` before a
    /// render). AWS shows a request template's request overrides to the response template:
    /// LocalStack's AWS-validated `test_integration_mock_with_request_overrides_in_response_template`.
    pub fn request_override(&self) -> Option<serde_json::Value> {
        let Some(Value::Map(context)) = self.template_context.get() else {
            return None;
        };
        let context = context.borrow();
        context.get("requestOverride").map(Value::to_json)
    }

    /// Renders `template` (checked when the template was loaded, so a parse error here is a bug).
    pub fn render(&self, template: &str) -> Result<String, RenderError> {
        let template = Template::parse(template).map_err(|e| RenderError(e.to_string()))?;
        template.render(self)
    }

    /// The body as JSON: an empty body is `{}`; a body that is not JSON is a JSON string.
    fn json(&self) -> &serde_json::Value {
        self.json.get_or_init(|| {
            if self.body.trim().is_empty() {
                return serde_json::json!({});
            }
            serde_json::from_str(self.body)
                .unwrap_or_else(|_| serde_json::Value::String(self.body.to_owned()))
        })
    }

    fn select(&self, args: &[Value]) -> Result<Option<serde_json::Value>, RenderError> {
        let path = args.first().map(ToString::to_string).unwrap_or_default();
        json_path::select(self.json(), &path).map_err(|e| RenderError(e.to_string()))
    }
}

impl Host for MappingInput<'_> {
    fn variable(&self, name: &str) -> Option<Value> {
        match name {
            "input" | "util" => Some(Value::Host(name.to_owned())),
            "context" => Some(
                self.template_context
                    .get_or_init(|| {
                        let context = Value::from_json(self.context);
                        // Present and empty, so `#set` can fill them.
                        if let Value::Map(entries) = &context {
                            let holders = [
                                ("responseOverride", serde_json::json!({"header": {}})),
                                (
                                    "requestOverride",
                                    serde_json::json!({"header": {}, "querystring": {}, "path": {}}),
                                ),
                            ];
                            let mut entries = entries.borrow_mut();
                            for (name, holder) in holders {
                                entries
                                    .entry(name.to_owned())
                                    .or_insert_with(|| Value::from_json(&holder));
                            }
                        }
                        context
                    })
                    .clone(),
            ),
            "stageVariables" => Some(Value::map(
                self.stage_variables
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::str(v))),
            )),
            _ => None,
        }
    }

    fn property(&self, object: &str, name: &str) -> Value {
        match (object, name) {
            // AWS renders an empty body as `{}` whatever its content type (LocalStack's
            // AWS-validated fix "rendering of $input.body when empty").
            ("input", "body") if self.body.is_empty() => Value::str("{}"),
            ("input", "body") => Value::str(self.body),
            _ => Value::Null,
        }
    }

    fn call(&self, object: &str, method: &str, args: &[Value]) -> Result<Value, RenderError> {
        let text = || args.first().map(ToString::to_string).unwrap_or_default();
        match (object, method, args.len()) {
            ("input", "json", 1) => Ok(Value::Str(
                self.select(args)?
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
            )),
            // AWS prints a list `$input.path` gives as JSON, even inside a map it gives (which
            // prints Java-style): LocalStack's AWS-validated "apigw input path formatting" fix.
            ("input", "path", 1) => Ok(self
                .select(args)?
                .map_or(Value::Null, |v| Value::from_json_printing_lists_as_json(&v))),
            ("input", "params", 0) => Ok(Value::map([
                ("path", pairs(&self.params.path)),
                ("querystring", pairs(&self.params.querystring)),
                ("header", pairs(&self.params.header)),
            ])),
            ("input", "params", 1) => {
                let name = text();
                let found = [&self.params.path, &self.params.querystring]
                    .into_iter()
                    .find_map(|list| list.iter().find(|(k, _)| *k == name))
                    .or_else(|| {
                        self.params
                            .header
                            .iter()
                            .find(|(k, _)| k.eq_ignore_ascii_case(&name))
                    });
                Ok(Value::str(found.map(|(_, v)| v.as_str()).unwrap_or("")))
            }
            // Commons Lang's `escapeJavaScript(null)` is null ("null if null string input"), and a
            // reference with no value renders as nothing: AWS writes `<tag></tag>` for a missing
            // key (serverless-patterns apigw-lambda-json-xml-vtl-transformation), never `null`.
            ("util", "escapeJavaScript", 1) if matches!(args[0], Value::Null) => Ok(Value::Null),
            ("util", "escapeJavaScript", 1) => Ok(Value::Str(escape_javascript(&text()))),
            ("util", "parseJson", 1) => serde_json::from_str::<serde_json::Value>(&text())
                .map(|v| Value::from_json(&v))
                .map_err(|e| RenderError(format!("$util.parseJson: {e}"))),
            ("util", "urlEncode", 1) => Ok(Value::Str(url_encode(&text()))),
            ("util", "urlDecode", 1) => Ok(Value::Str(url_decode(&text()))),
            ("util", "base64Encode", 1) => Ok(Value::Str(
                base64::engine::general_purpose::STANDARD.encode(text()),
            )),
            ("util", "base64Decode", 1) => base64::engine::general_purpose::STANDARD
                .decode(text())
                .map(|bytes| Value::Str(String::from_utf8_lossy(&bytes).into_owned()))
                .map_err(|e| RenderError(format!("$util.base64Decode: {e}"))),
            _ => Err(RenderError(format!(
                "${object}.{method} with {} argument(s) is not a method API Gateway offers",
                args.len()
            ))),
        }
    }

    // AWS: "Overrides are final. An override may only be applied to each parameter once. If you
    // try to override the same parameter multiple times, API Gateway returns a 5XX response."
    fn before_set(&self, name: &str, path: &[String]) -> Result<(), RenderError> {
        let is_override = matches!(
            path.first().map(String::as_str),
            Some("responseOverride" | "requestOverride")
        );
        if name != "context" || !is_override || path.len() < 2 {
            return Ok(());
        }
        let key = match path {
            // Header names are case-insensitive.
            [_, kind, header] if kind == "header" => {
                format!("{}.header.{}", path[0], header.to_ascii_lowercase())
            }
            _ => path.join("."),
        };
        if self.overridden.borrow_mut().insert(key.clone()) {
            Ok(())
        } else {
            Err(RenderError(format!("$context.{key} is overridden twice")))
        }
    }

    // AWS renders a reference with no value as nothing, not as Velocity's source text: the
    // Serverless Framework's documented `integration: lambda` event, produced by its template's
    // `"principalId": "$context.authorizer.principalId"` on a route without an authorizer,
    // carries `"principalId": ""` and `"cognitoPoolClaims": {"sub": ""}`.
    fn null_renders_as_source(&self) -> bool {
        false
    }
}

fn pairs(list: &[(String, String)]) -> Value {
    Value::map(list.iter().map(|(k, v)| (k.clone(), Value::str(v))))
}

/// Apache Commons' `StringEscapeUtils.escapeJavaScript`, which API Gateway uses (AWS documents it
/// with that method's own words, "Escapes the characters in a string using JavaScript string
/// rules"): quotes, `\`, `/` and control characters escaped, non-ASCII as `\uXXXX` in UTF-16 units
/// (so `'` becomes `\'`, which is not valid JSON — AWS's documented caveat).
fn escape_javascript(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for unit in text.encode_utf16() {
        match unit {
            0x22 => out.push_str("\\\""),
            0x27 => out.push_str("\\'"),
            0x5c => out.push_str("\\\\"),
            0x2f => out.push_str("\\/"),
            0x08 => out.push_str("\\b"),
            0x0a => out.push_str("\\n"),
            0x09 => out.push_str("\\t"),
            0x0c => out.push_str("\\f"),
            0x0d => out.push_str("\\r"),
            // DEL stays as it is: Commons Lang escapes only below 32 and above 0x7F.
            0x20..=0x7f => out.push(char::from(unit as u8)),
            other => out.push_str(&format!("\\u{other:04X}")),
        }
    }
    out
}

/// `java.net.URLEncoder.encode(s, "UTF-8")`: letters, digits and `.-*_` kept, space as `+`.
fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => {
                out.push(char::from(byte))
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// `java.net.URLDecoder.decode(s, "UTF-8")`: `+` is a space, `%XX` a byte.
fn url_decode(text: &str) -> String {
    let spaced = text.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests;
