//! A Lambda authorizer's answer: parsed apart from applied. Parsing checks the shape API Gateway
//! requires (`principalId`, `policyDocument.Statement`, primitive `context` values); evaluation
//! matches the policy's `execute-api:Invoke` statements against a method ARN (Deny wins, then any
//! Allow, else implicit deny).

use serde_json::{Map, Value};

/// Why an authorizer's answer is unusable: AWS's AUTHORIZER_CONFIGURATION_ERROR (500).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid authorizer response: {0}")]
pub struct BadPolicy(pub String);

/// What the policy says about one method ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// An Allow statement matches and no Deny does.
    Allow,
    /// A Deny statement matches.
    ExplicitDeny,
    /// No statement matches.
    ImplicitDeny,
}

/// One statement that applies to `execute-api:Invoke`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Statement {
    allow: bool,
    resources: Vec<String>,
}

/// A parsed authorizer answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizerAnswer {
    /// `principalId`.
    pub principal_id: String,
    statements: Vec<Statement>,
    /// `context`, every value stringified (API Gateway passes strings, numbers and booleans).
    pub context: Vec<(String, Value)>,
    /// `usageIdentifierKey` (the API key, for `ApiKeySourceType: AUTHORIZER`).
    pub usage_identifier_key: Option<String>,
}

impl AuthorizerAnswer {
    /// Parses the function's payload.
    pub fn parse(payload: &[u8]) -> Result<AuthorizerAnswer, BadPolicy> {
        let bad = |m: &str| BadPolicy(m.to_owned());
        let value: Value =
            serde_json::from_slice(payload).map_err(|_| bad("the payload is not JSON"))?;
        let object = value.as_object().ok_or_else(|| bad("not a JSON object"))?;
        let principal_id = match object.get("principalId") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(bad("principalId is missing")),
        };
        let document = object
            .get("policyDocument")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("policyDocument is missing"))?;
        let statements = match document.get("Statement") {
            Some(Value::Array(list)) => list.clone(),
            Some(one @ Value::Object(_)) => vec![one.clone()],
            _ => return Err(bad("policyDocument.Statement is missing")),
        };
        let mut parsed = Vec::new();
        for statement in &statements {
            let statement = statement
                .as_object()
                .ok_or_else(|| bad("a statement is not an object"))?;
            let allow = match statement.get("Effect").and_then(Value::as_str) {
                Some(e) if e.eq_ignore_ascii_case("allow") => true,
                Some(e) if e.eq_ignore_ascii_case("deny") => false,
                _ => return Err(bad("a statement's Effect is not Allow or Deny")),
            };
            let actions = strings(statement.get("Action"))
                .ok_or_else(|| bad("a statement's Action is missing"))?;
            let resources = strings(statement.get("Resource"))
                .ok_or_else(|| bad("a statement's Resource is missing"))?;
            let invokes = actions
                .iter()
                .any(|a| wildcard_match(&a.to_ascii_lowercase(), "execute-api:invoke"));
            if invokes {
                parsed.push(Statement { allow, resources });
            }
        }
        let mut context = Vec::new();
        match object.get("context") {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                for (key, value) in map {
                    let text = match value {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        Value::Null => continue,
                        _ => {
                            return Err(bad("context values must be strings, numbers or booleans"))
                        }
                    };
                    context.push((key.clone(), Value::String(text)));
                }
            }
            Some(_) => return Err(bad("context is not an object")),
        }
        Ok(AuthorizerAnswer {
            principal_id,
            statements: parsed,
            context,
            usage_identifier_key: object
                .get("usageIdentifierKey")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }

    /// An HTTP API simple response (`{"isAuthorized": …, "context": …}`) as an answer: allowed or
    /// explicitly denied everywhere, its context kept as the function wrote it.
    pub fn simple(payload: &[u8]) -> Result<AuthorizerAnswer, BadPolicy> {
        let bad = |m: &str| BadPolicy(m.to_owned());
        let value: Value =
            serde_json::from_slice(payload).map_err(|_| bad("the payload is not JSON"))?;
        let object = value.as_object().ok_or_else(|| bad("not a JSON object"))?;
        let allow = object
            .get("isAuthorized")
            .and_then(Value::as_bool)
            .ok_or_else(|| bad("isAuthorized is missing or not a boolean"))?;
        let context = match object.get("context") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            Some(_) => return Err(bad("context is not an object")),
        };
        Ok(AuthorizerAnswer {
            principal_id: String::new(),
            statements: vec![Statement {
                allow,
                resources: vec!["*".into()],
            }],
            context,
            usage_identifier_key: None,
        })
    }

    /// `context` as an object (`requestContext.authorizer.lambda` of an HTTP API).
    pub fn context_object(&self) -> Value {
        Value::Object(self.context.iter().cloned().collect())
    }

    /// The decision for `method_arn`.
    pub fn decide(&self, method_arn: &str) -> Decision {
        let matches = |s: &&Statement| s.resources.iter().any(|r| wildcard_match(r, method_arn));
        if self
            .statements
            .iter()
            .filter(|s| !s.allow)
            .any(|s| matches(&s))
        {
            Decision::ExplicitDeny
        } else if self
            .statements
            .iter()
            .filter(|s| s.allow)
            .any(|s| matches(&s))
        {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        }
    }

    /// `requestContext.authorizer` for a REST API: `principalId`, the context, `integrationLatency`.
    pub fn request_context(&self, latency_ms: u64) -> Value {
        let mut map = Map::new();
        map.insert(
            "principalId".into(),
            Value::String(self.principal_id.clone()),
        );
        for (key, value) in &self.context {
            map.insert(key.clone(), value.clone());
        }
        map.insert("integrationLatency".into(), Value::from(latency_ms));
        Value::Object(map)
    }
}

/// A string or a list of strings.
fn strings(value: Option<&Value>) -> Option<Vec<String>> {
    match value? {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(list) => list.iter().map(|v| v.as_str().map(str::to_owned)).collect(),
        _ => None,
    }
}

/// IAM's glob: `*` any run of characters, `?` any one character; everything else literal.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abc/Prod/GET/items/1";

    fn answer(statements: &str) -> AuthorizerAnswer {
        AuthorizerAnswer::parse(
            format!(r#"{{"principalId":"u","policyDocument":{{"Version":"2012-10-17","Statement":{statements}}}}}"#)
                .as_bytes(),
        )
        .expect("valid answer")
    }

    #[test]
    fn wildcards_deny_wins_and_implicit_deny() {
        let allow_all = answer(
            r#"[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"arn:aws:execute-api:us-east-1:123456789012:abc/*"}]"#,
        );
        assert_eq!(allow_all.decide(ARN), Decision::Allow);
        let both = answer(
            r#"[{"Action":"*","Effect":"Allow","Resource":"*"},{"Action":"execute-api:Invoke","Effect":"Deny","Resource":["arn:aws:execute-api:*:*:abc/Prod/GET/items/?"]}]"#,
        );
        assert_eq!(both.decide(ARN), Decision::ExplicitDeny);
        let other = answer(
            r#"{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"arn:aws:execute-api:us-east-1:123456789012:abc/Prod/POST/*"}"#,
        );
        assert_eq!(other.decide(ARN), Decision::ImplicitDeny);
        let s3 = answer(r#"[{"Action":"s3:GetObject","Effect":"Allow","Resource":"*"}]"#);
        assert_eq!(s3.decide(ARN), Decision::ImplicitDeny);
    }

    #[test]
    fn malformed_answers_are_configuration_errors() {
        for bad in [
            "not json",
            "[]",
            r#"{"policyDocument":{"Statement":[]}}"#,
            r#"{"principalId":"u"}"#,
            r#"{"principalId":"u","policyDocument":{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}}"#,
            r#"{"principalId":"u","policyDocument":{"Statement":[]},"context":{"a":{"nested":1}}}"#,
            r#"{"principalId":"u","policyDocument":{"Statement":[]},"context":{"a":[1]}}"#,
        ] {
            assert!(AuthorizerAnswer::parse(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn simple_responses_allow_or_deny_everywhere() {
        let yes = AuthorizerAnswer::simple(br#"{"isAuthorized":true,"context":{"n":{"a":1}}}"#)
            .expect("valid");
        assert_eq!(yes.decide(ARN), Decision::Allow);
        assert_eq!(yes.context_object()["n"]["a"], 1);
        let no = AuthorizerAnswer::simple(br#"{"isAuthorized":false}"#).expect("valid");
        assert_eq!(no.decide(ARN), Decision::ExplicitDeny);
        for bad in [
            r#"{"isAuthorized":"true"}"#,
            "{}",
            "[]",
            r#"{"isAuthorized":true,"context":1}"#,
        ] {
            assert!(AuthorizerAnswer::simple(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn context_values_are_stringified() {
        let a = AuthorizerAnswer::parse(br#"{"principalId":"u","policyDocument":{"Statement":[]},"context":{"n":1,"b":true,"s":"x"}}"#).expect("valid");
        let ctx = a.request_context(3);
        assert_eq!(ctx["n"], "1");
        assert_eq!(ctx["b"], "true");
        assert_eq!(ctx["principalId"], "u");
    }
}
