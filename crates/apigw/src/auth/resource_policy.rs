//! A REST API's resource policy, evaluated for a request as API Gateway does: an explicit deny
//! wins, then an allow; with neither, the route's authentication decides ("How API Gateway
//! resource policies affect authorization workflow": no authentication needs an explicit allow;
//! an authorizer or IAM in the API's own account allows when the policy is silent).
//!
//! The request context holds what a local request has: the caller (anonymous, or the IAM user of
//! a verified SigV4 signature), the TCP peer as `aws:SourceIp`, the time the request arrived
//! (`aws:CurrentTime`, `aws:EpochTime`: IAM always includes them), and no VPC (`aws:SourceVpc` and
//! `aws:SourceVpce` are absent, so conditions on them behave as IAM says for absent keys).

use std::net::IpAddr;

use time::OffsetDateTime;

use sluice_template::{
    CidrBlock, Condition, ConditionOperator, Effect, PolicyStatement, ResourcePolicy, SetQualifier,
};

use sluice_aws_env::AwsEnv;

use super::policy::wildcard_match;
use super::policy_values;
use crate::api::Api;
use crate::exchange::Exchange;
use crate::gateway_error::GatewayError;

/// Who is calling, as the policy sees them.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Caller<'a> {
    /// No verified identity (every route but a signed `AWS_IAM` one).
    Anonymous,
    /// The IAM user of a verified SigV4 signature.
    Iam {
        /// Its account id.
        account: &'a str,
        /// Its ARN (`arn:aws:iam::<account>:user/<name>`).
        arn: &'a str,
    },
}

/// The request as the policy sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PolicyRequest<'a> {
    /// The caller.
    pub caller: Caller<'a>,
    /// `arn:aws:execute-api:<region>:<account>:<api-id>/<stage>/<METHOD>/<path>`.
    pub arn: &'a str,
    /// `arn:aws:execute-api:<region>:<account>:<api-id>/`: what `execute-api:/` stands for.
    pub api_prefix: &'a str,
    /// `aws:SourceIp`: the TCP peer.
    pub source_ip: IpAddr,
    /// `aws:UserAgent`.
    pub user_agent: Option<&'a str>,
    /// `aws:Referer`.
    pub referer: Option<&'a str>,
    /// When the request arrived: `aws:CurrentTime` and `aws:EpochTime`.
    pub now: OffsetDateTime,
}

/// What the policy says about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A statement allows it and none denies it.
    Allow,
    /// A statement denies it.
    ExplicitDeny,
    /// No statement applies.
    Neither,
}

/// The policy cannot be decided locally: the request is refused (fail closed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the resource policy cannot be evaluated locally: {0}")]
pub(crate) struct Undecidable(String);

/// Phase resource policy (REST APIs with a policy): refuses the request when the policy denies
/// it, or when it allows nothing here and `authenticated` is false (no authorizer or IAM on the
/// route to decide instead, AWS's "resource policy only" workflow).
pub(crate) fn guard(
    api: &Api,
    ex: &Exchange,
    aws: &AwsEnv,
    caller: Caller<'_>,
    authenticated: bool,
) -> Result<(), GatewayError> {
    let Some(policy) = &api.resource_policy else {
        return Ok(());
    };
    let arn = super::phases::method_arn(aws, api, &ex.method, &ex.raw_path);
    let api_prefix = aws.arn("execute-api", &format!("{}/", api.stage.api_id));
    let (user_agent, referer) = (ex.header("user-agent"), ex.header("referer"));
    let request = PolicyRequest {
        caller,
        arn: &arn,
        api_prefix: &api_prefix,
        source_ip: ex.remote.ip(),
        user_agent: user_agent.as_deref(),
        referer: referer.as_deref(),
        now: ex.received_at,
    };
    let outcome =
        evaluate(policy, &request).map_err(|e| GatewayError::Unenforceable(e.to_string()))?;
    let refuse = |explicit| GatewayError::ResourcePolicyDenied {
        user: match caller {
            Caller::Anonymous => "anonymous".to_owned(),
            Caller::Iam { arn, .. } => arn.to_owned(),
        },
        resource: masked_arn(&arn),
        explicit,
    };
    match outcome {
        Outcome::Allow => Ok(()),
        Outcome::Neither if authenticated => Ok(()),
        Outcome::Neither => Err(refuse(false)),
        Outcome::ExplicitDeny => Err(refuse(true)),
    }
}

/// The action every API Gateway request is.
const INVOKE: &str = "execute-api:Invoke";

/// Evaluates `policy` for `request`.
pub(crate) fn evaluate(
    policy: &ResourcePolicy,
    request: &PolicyRequest<'_>,
) -> Result<Outcome, Undecidable> {
    let mut allowed = false;
    let (mut deny_undecided, mut allow_undecided) = (None, None);
    for statement in &policy.statements {
        match (applies(statement, request), statement.effect) {
            (Ok(true), Effect::Deny) => return Ok(Outcome::ExplicitDeny),
            (Ok(true), Effect::Allow) => allowed = true,
            (Ok(false), _) => {}
            (Err(e), Effect::Deny) => deny_undecided = deny_undecided.or(Some(e)),
            (Err(e), Effect::Allow) => allow_undecided = allow_undecided.or(Some(e)),
        }
    }
    // A deny that might apply decides nothing; an allow that might apply matters only when no
    // other allow does.
    if let Some(e) = deny_undecided {
        return Err(e);
    }
    match allow_undecided {
        _ if allowed => Ok(Outcome::Allow),
        Some(e) => Err(e),
        None => Ok(Outcome::Neither),
    }
}

/// Whether `statement` applies to the request.
fn applies(statement: &PolicyStatement, request: &PolicyRequest<'_>) -> Result<bool, Undecidable> {
    let principal = statement.principals.anyone
        || match request.caller {
            Caller::Anonymous => false,
            Caller::Iam { account, arn } => statement.principals.aws.iter().any(|p| {
                p == account
                    || p == arn
                    || (p.starts_with("arn:") && p.ends_with(&format!(":iam::{account}:root")))
            }),
        };
    let action = statement
        .actions
        .iter()
        .any(|a| wildcard_match(&a.to_ascii_lowercase(), &INVOKE.to_ascii_lowercase()));
    let resource = statement
        .resources
        .iter()
        .any(|r| match r.strip_prefix("execute-api:/") {
            Some(rest) => wildcard_match(&format!("{}{rest}", request.api_prefix), request.arn),
            None => wildcard_match(r, request.arn),
        });
    if principal == statement.not_principal
        || action == statement.not_action
        || resource == statement.not_resource
    {
        return Ok(false);
    }
    for condition in &statement.conditions {
        if !holds(condition, request)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The value of a context key for a local request; `Ok(None)` when the key is absent.
fn context_value(key: &str, request: &PolicyRequest<'_>) -> Result<Option<String>, Undecidable> {
    Ok(match key.to_ascii_lowercase().as_str() {
        "aws:sourceip" => Some(request.source_ip.to_canonical().to_string()),
        // A local request never comes through a VPC or a VPC endpoint.
        "aws:sourcevpc" | "aws:sourcevpce" | "aws:sourcevpcarn" | "aws:vpcsourceip" => None,
        "aws:useragent" => request.user_agent.map(str::to_owned),
        "aws:referer" => request.referer.map(str::to_owned),
        // Sluice serves plain HTTP.
        "aws:securetransport" => Some("false".to_owned()),
        "aws:principaltype" => Some(match request.caller {
            Caller::Anonymous => "Anonymous".to_owned(),
            Caller::Iam { .. } => "User".to_owned(),
        }),
        "aws:principalaccount" => match request.caller {
            Caller::Anonymous => None,
            Caller::Iam { account, .. } => Some(account.to_owned()),
        },
        "aws:principalarn" => match request.caller {
            Caller::Anonymous => None,
            Caller::Iam { arn, .. } => Some(arn.to_owned()),
        },
        // IAM's format: ISO 8601 in UTC to the second (`2026-11-30T05:00:00Z`).
        "aws:currenttime" => {
            let now = request.now.to_offset(time::UtcOffset::UTC);
            Some(format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                now.year(),
                u8::from(now.month()),
                now.day(),
                now.hour(),
                now.minute(),
                now.second()
            ))
        }
        "aws:epochtime" => Some(request.now.unix_timestamp().to_string()),
        _ => {
            return Err(Undecidable(format!(
                "the condition key {key} is not known locally"
            )))
        }
    })
}

/// Whether one condition holds (IAM: an absent key fails a condition, except a negated one,
/// `…IfExists` and `Null`).
fn holds(condition: &Condition, request: &PolicyRequest<'_>) -> Result<bool, Undecidable> {
    use ConditionOperator as Op;
    if let Op::Unsupported(name) = &condition.operator {
        return Err(Undecidable(format!(
            "the condition operator {name} is not evaluated locally"
        )));
    }
    let value = context_value(&condition.key, request)?;
    if condition.operator == Op::Null {
        let absent = value.is_none();
        return Ok(condition
            .values
            .iter()
            .any(|v| v.eq_ignore_ascii_case("true") == absent));
    }
    let Some(value) = value else {
        return Ok(match condition.set {
            // IAM: ForAllValues "also returns true if there are no context keys in the request";
            // ForAnyValue is false then, unless …IfExists says an absent key holds.
            Some(SetQualifier::ForAllValues) => true,
            Some(SetQualifier::ForAnyValue) => condition.if_exists,
            None => condition.if_exists || condition.operator.is_negated(),
        });
    };
    // Every key a local request has is single-valued, so with the key present "every value" and
    // "any value" are its one value, and a qualified operator decides as the plain one.
    let matches = |expected: &String| -> Result<bool, Undecidable> {
        Ok(match &condition.operator {
            Op::StringEquals | Op::StringNotEquals => *expected == value,
            Op::StringEqualsIgnoreCase | Op::StringNotEqualsIgnoreCase => {
                expected.eq_ignore_ascii_case(&value)
            }
            Op::StringLike | Op::StringNotLike | Op::ArnLike | Op::ArnNotLike => {
                wildcard_match(expected, &value)
            }
            Op::Bool => expected.eq_ignore_ascii_case(&value),
            Op::IpAddress | Op::NotIpAddress => match (CidrBlock::parse(expected), value.parse()) {
                (Some(block), Ok(ip)) => block.contains(ip),
                _ => false,
            },
            Op::Numeric(comparison) => comparison.holds(
                typed(
                    policy_values::number,
                    &value,
                    condition,
                    "the request's value",
                )?,
                typed(
                    policy_values::number,
                    expected,
                    condition,
                    "the policy's value",
                )?,
            ),
            Op::Date(comparison) => comparison.holds(
                typed(
                    policy_values::instant,
                    &value,
                    condition,
                    "the request's value",
                )?,
                typed(
                    policy_values::instant,
                    expected,
                    condition,
                    "the policy's value",
                )?,
            ),
            Op::Null | Op::Unsupported(_) => false,
        })
    };
    let mut any = false;
    for expected in &condition.values {
        any |= matches(expected)?;
    }
    Ok(if condition.operator.is_negated() {
        !any
    } else {
        any
    })
}

/// `text` read by `parse` for a numeric or date `condition`; a policy value or a key of the
/// wrong type is not guessed at, so the request fails closed.
fn typed<T>(
    parse: fn(&str) -> Option<T>,
    text: &str,
    condition: &Condition,
    whose: &str,
) -> Result<T, Undecidable> {
    parse(text).ok_or_else(|| {
        Undecidable(format!(
            "{whose} {text:?} for {} is not a {}",
            condition.key,
            match condition.operator {
                ConditionOperator::Date(_) => "date",
                _ => "number",
            }
        ))
    })
}

/// The ARN as API Gateway prints it in a refusal: the account masked to its last four digits
/// (recorded: `arn:aws:execute-api:us-east-1:********4690:dfkf3ef8vf/prod/GET/`).
pub(crate) fn masked_arn(arn: &str) -> String {
    let mut parts: Vec<String> = arn.splitn(6, ':').map(str::to_owned).collect();
    if let Some(account) = parts.get_mut(4) {
        let keep = account.len().saturating_sub(4);
        *account = format!("{}{}", "*".repeat(keep), &account[keep..]);
    }
    parts.join(":")
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use sluice_template::Comparison;

    use super::*;

    const PREFIX: &str = "arn:aws:execute-api:us-east-1:123456789012:abc/";

    fn request<'a>(arn: &'a str, ip: &str, caller: Caller<'a>) -> PolicyRequest<'a> {
        PolicyRequest {
            caller,
            arn,
            api_prefix: PREFIX,
            source_ip: ip.parse().unwrap(),
            user_agent: Some("curl/8"),
            referer: None,
            now: NOW,
        }
    }

    /// The request's arrival in unit tests: 2026-01-01T12:00:00Z, epoch 1767268800.
    const NOW: OffsetDateTime = time::macros::datetime!(2026-01-01 12:00:00 UTC);

    fn statement(value: serde_json::Value) -> PolicyStatement {
        let v = |k: &str| value.get(k).cloned();
        let list = |x: Option<serde_json::Value>| -> Vec<String> {
            match x {
                Some(serde_json::Value::String(s)) => vec![s],
                Some(serde_json::Value::Array(a)) => a
                    .into_iter()
                    .map(|i| i.as_str().unwrap().to_owned())
                    .collect(),
                _ => Vec::new(),
            }
        };
        let principal = v("Principal").or(v("NotPrincipal")).unwrap();
        PolicyStatement {
            effect: if v("Effect") == Some(json!("Deny")) {
                Effect::Deny
            } else {
                Effect::Allow
            },
            principals: sluice_template::Principals {
                anyone: principal == json!("*"),
                aws: list(principal.get("AWS").cloned()),
            },
            not_principal: v("NotPrincipal").is_some(),
            actions: list(v("Action").or(v("NotAction"))),
            not_action: v("NotAction").is_some(),
            resources: list(v("Resource").or(v("NotResource"))),
            not_resource: v("NotResource").is_some(),
            conditions: v("Condition")
                .map(|c| {
                    let mut out = Vec::new();
                    for (op, keys) in c.as_object().unwrap() {
                        let (set, op) = match op.split_once(':') {
                            Some(("ForAnyValue", rest)) => (Some(SetQualifier::ForAnyValue), rest),
                            Some(("ForAllValues", rest)) => {
                                (Some(SetQualifier::ForAllValues), rest)
                            }
                            _ => (None, op.as_str()),
                        };
                        let (base, if_exists) = match op.strip_suffix("IfExists") {
                            Some(b) => (b, true),
                            None => (op, false),
                        };
                        let operator = match base {
                            "IpAddress" => ConditionOperator::IpAddress,
                            "NotIpAddress" => ConditionOperator::NotIpAddress,
                            "StringEquals" => ConditionOperator::StringEquals,
                            "StringNotEquals" => ConditionOperator::StringNotEquals,
                            "StringLike" => ConditionOperator::StringLike,
                            "Null" => ConditionOperator::Null,
                            other => match (
                                other
                                    .strip_prefix("Numeric")
                                    .and_then(Comparison::from_suffix),
                                other.strip_prefix("Date").and_then(Comparison::from_suffix),
                            ) {
                                (Some(c), _) => ConditionOperator::Numeric(c),
                                (_, Some(c)) => ConditionOperator::Date(c),
                                _ => ConditionOperator::Unsupported(other.into()),
                            },
                        };
                        for (key, values) in keys.as_object().unwrap() {
                            out.push(Condition {
                                operator: operator.clone(),
                                if_exists,
                                set,
                                key: key.clone(),
                                values: list(Some(values.clone())),
                            });
                        }
                    }
                    out
                })
                .unwrap_or_default(),
        }
    }

    fn policy(statements: &[serde_json::Value]) -> ResourcePolicy {
        ResourcePolicy {
            statements: statements.iter().cloned().map(statement).collect(),
        }
    }

    const GET_A: &str = "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/a";

    #[test]
    fn deny_wins_allow_needs_a_match_and_silence_is_neither() {
        let p = policy(&[
            json!({"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}),
            json!({"Effect": "Deny", "Principal": "*", "Action": "execute-api:*", "Resource": "execute-api:/*/GET/a",
                   "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}),
        ]);
        let anon = Caller::Anonymous;
        assert_eq!(
            evaluate(&p, &request(GET_A, "10.1.2.3", anon)),
            Ok(Outcome::ExplicitDeny)
        );
        assert_eq!(
            evaluate(&p, &request(GET_A, "192.0.2.1", anon)),
            Ok(Outcome::Allow)
        );
        let other = policy(&[
            json!({"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:*:*:other/*"}),
        ]);
        assert_eq!(
            evaluate(&other, &request(GET_A, "10.1.2.3", anon)),
            Ok(Outcome::Neither)
        );
    }

    #[test]
    fn absent_vpc_keys_fail_positive_conditions_and_pass_negated_ones() {
        let whitelist = policy(&[
            json!({"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}),
            json!({"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
                   "Condition": {"StringNotEquals": {"aws:SourceVpc": "vpc-1"}}}),
        ]);
        let r = request(GET_A, "127.0.0.1", Caller::Anonymous);
        assert_eq!(evaluate(&whitelist, &r), Ok(Outcome::ExplicitDeny));
        let blacklist = policy(&[
            json!({"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}),
            json!({"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
                   "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}}),
        ]);
        assert_eq!(evaluate(&blacklist, &r), Ok(Outcome::Allow));
        let if_exists = policy(&[
            json!({"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
                   "Condition": {"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}, "Null": {"aws:SourceVpce": "true"}}}),
        ]);
        assert_eq!(evaluate(&if_exists, &r), Ok(Outcome::Allow));
    }

    #[test]
    fn account_principals_match_only_signed_callers_of_that_account() {
        let p = policy(&[
            json!({"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::123456789012:root"]}, "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}),
        ]);
        let user = "arn:aws:iam::123456789012:user/default";
        let iam = Caller::Iam {
            account: "123456789012",
            arn: user,
        };
        assert_eq!(
            evaluate(&p, &request(GET_A, "127.0.0.1", iam)),
            Ok(Outcome::Allow)
        );
        assert_eq!(
            evaluate(&p, &request(GET_A, "127.0.0.1", Caller::Anonymous)),
            Ok(Outcome::Neither)
        );
        let other = Caller::Iam {
            account: "999999999999",
            arn: "arn:aws:iam::999999999999:user/x",
        };
        assert_eq!(
            evaluate(&p, &request(GET_A, "127.0.0.1", other)),
            Ok(Outcome::Neither)
        );
        let not = policy(&[
            json!({"Effect": "Deny", "NotPrincipal": {"AWS": "123456789012"}, "Action": "execute-api:Invoke", "NotResource": "execute-api:/*/GET/open"}),
        ]);
        assert_eq!(
            evaluate(&not, &request(GET_A, "127.0.0.1", Caller::Anonymous)),
            Ok(Outcome::ExplicitDeny)
        );
        assert_eq!(
            evaluate(&not, &request(GET_A, "127.0.0.1", iam)),
            Ok(Outcome::Neither)
        );
    }

    #[test]
    fn what_cannot_be_decided_locally_refuses_unless_a_deny_already_decides() {
        let p = policy(&[
            json!({"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
                   "Condition": {"BinaryEquals": {"aws:UserAgent": "Y3VybC84"}}}),
        ]);
        let r = request(GET_A, "127.0.0.1", Caller::Anonymous);
        assert!(evaluate(&p, &r).is_err());
        let mut with_deny = p.clone();
        with_deny.statements.push(statement(
            json!({"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*"}),
        ));
        assert_eq!(evaluate(&with_deny, &r), Ok(Outcome::ExplicitDeny));
    }

    /// The outcome of one allow statement on `GET /a` under `condition`, for an anonymous caller
    /// from 127.0.0.1 at [`NOW`].
    fn allow_when(condition: serde_json::Value) -> Result<Outcome, Undecidable> {
        let p = policy(&[
            json!({"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
                   "Condition": condition}),
        ]);
        evaluate(&p, &request(GET_A, "127.0.0.1", Caller::Anonymous))
    }

    #[test]
    fn the_request_time_is_current_time_and_epoch_time() {
        let r = request(GET_A, "127.0.0.1", Caller::Anonymous);
        assert_eq!(
            context_value("aws:CurrentTime", &r),
            Ok(Some("2026-01-01T12:00:00Z".to_owned()))
        );
        assert_eq!(
            context_value("aws:epochtime", &r),
            Ok(Some("1767268800".to_owned()))
        );
    }

    #[test]
    fn numeric_operators_compare_the_key_with_each_value() {
        let cases = [
            ("NumericEquals", "1767268800", true),
            ("NumericEquals", "1767268801", false),
            ("NumericNotEquals", "1767268800", false),
            ("NumericNotEquals", "1", true),
            ("NumericLessThan", "1767268801", true),
            ("NumericLessThan", "1767268800", false),
            ("NumericLessThanEquals", "1767268800", true),
            ("NumericLessThanEquals", "1767268799.5", false),
            ("NumericGreaterThan", "1767268799.5", true),
            ("NumericGreaterThan", "1767268800", false),
            ("NumericGreaterThanEquals", "1767268800", true),
            ("NumericGreaterThanEquals", "1767268800.01", false),
        ];
        for (operator, value, allowed) in cases {
            let outcome = allow_when(json!({operator: {"aws:EpochTime": value}}));
            let expected = if allowed {
                Outcome::Allow
            } else {
                Outcome::Neither
            };
            assert_eq!(outcome, Ok(expected), "{operator} {value}");
        }
        // Any one value is enough; for NotEquals, none may be equal.
        assert_eq!(
            allow_when(json!({"NumericEquals": {"aws:EpochTime": ["1", "1767268800"]}})),
            Ok(Outcome::Allow)
        );
        assert_eq!(
            allow_when(json!({"NumericNotEquals": {"aws:EpochTime": ["1", "1767268800"]}})),
            Ok(Outcome::Neither)
        );
    }

    #[test]
    fn date_operators_read_iso_8601_and_epoch_values_of_either_time_key() {
        let cases = [
            ("DateEquals", "2026-01-01T12:00:00Z", true),
            ("DateEquals", "2026-01-01T13:00:00+01:00", true),
            ("DateEquals", "2026-01-01", false),
            ("DateNotEquals", "2026-01-01", true),
            ("DateNotEquals", "1767268800", false),
            ("DateLessThan", "2026-01-02", true),
            ("DateLessThan", "2026-01-01T12:00Z", false),
            ("DateLessThanEquals", "1767268800", true),
            ("DateLessThanEquals", "2026-01-01T11:59:59.9Z", false),
            ("DateGreaterThan", "2026-01-01", true),
            ("DateGreaterThan", "2027-01", false),
            ("DateGreaterThanEquals", "2026-01-01T12:00:00Z", true),
            ("DateGreaterThanEquals", "2026-01-01T12:00:00.001Z", false),
        ];
        for key in ["aws:CurrentTime", "aws:EpochTime"] {
            for (operator, value, allowed) in cases {
                let outcome = allow_when(json!({operator: {key: value}}));
                let expected = if allowed {
                    Outcome::Allow
                } else {
                    Outcome::Neither
                };
                assert_eq!(outcome, Ok(expected), "{operator} {key} {value}");
            }
        }
    }

    #[test]
    fn numeric_and_date_operators_on_an_absent_key_hold_only_when_negated_or_if_exists() {
        for (operator, allowed) in [
            ("NumericEquals", false),
            ("NumericNotEquals", true),
            ("NumericLessThanIfExists", true),
            ("DateGreaterThan", false),
            ("DateNotEquals", true),
            ("DateLessThanIfExists", true),
        ] {
            let outcome = allow_when(json!({operator: {"aws:SourceVpc": "1"}}));
            let expected = if allowed {
                Outcome::Allow
            } else {
                Outcome::Neither
            };
            assert_eq!(outcome, Ok(expected), "{operator}");
        }
    }

    #[test]
    fn a_value_of_the_wrong_type_fails_closed() {
        for condition in [
            json!({"NumericLessThan": {"aws:EpochTime": "soon"}}),
            json!({"NumericLessThan": {"aws:EpochTime": "1e10"}}),
            json!({"NumericLessThan": {"aws:CurrentTime": "1"}}),
            json!({"NumericNotEquals": {"aws:SourceIp": "1"}}),
            json!({"DateLessThan": {"aws:CurrentTime": "next year"}}),
            json!({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00"}}),
            json!({"DateLessThan": {"aws:UserAgent": "2030-01-01"}}),
        ] {
            assert!(allow_when(condition.clone()).is_err(), "{condition}");
        }
    }

    #[test]
    fn set_qualifiers_on_an_absent_key_follow_iam_and_on_a_present_key_test_its_value() {
        let cases = [
            // aws:SourceVpc is absent locally.
            (
                json!({"ForAllValues:StringEquals": {"aws:SourceVpc": "vpc-1"}}),
                true,
            ),
            (
                json!({"ForAllValues:StringNotEquals": {"aws:SourceVpc": "vpc-1"}}),
                true,
            ),
            (
                json!({"ForAnyValue:StringEquals": {"aws:SourceVpc": "vpc-1"}}),
                false,
            ),
            (
                json!({"ForAnyValue:StringNotEquals": {"aws:SourceVpc": "vpc-1"}}),
                false,
            ),
            (
                json!({"ForAnyValue:StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}}),
                true,
            ),
            (
                json!({"ForAnyValue:NumericLessThan": {"aws:SourceVpc": "1"}}),
                false,
            ),
            (
                json!({"ForAllValues:DateGreaterThan": {"aws:SourceVpc": "2020-01-01"}}),
                true,
            ),
            // Present keys: the one value decides.
            (
                json!({"ForAnyValue:StringLike": {"aws:UserAgent": ["wget/*", "curl/*"]}}),
                true,
            ),
            (
                json!({"ForAllValues:StringLike": {"aws:UserAgent": "wget/*"}}),
                false,
            ),
            (
                json!({"ForAllValues:StringNotEquals": {"aws:UserAgent": "curl/8"}}),
                false,
            ),
            (
                json!({"ForAnyValue:StringNotEquals": {"aws:UserAgent": "wget/1"}}),
                true,
            ),
            (
                json!({"ForAnyValue:IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}),
                true,
            ),
            (
                json!({"ForAllValues:NumericGreaterThan": {"aws:EpochTime": "1767268800"}}),
                false,
            ),
            (
                json!({"ForAnyValue:DateLessThan": {"aws:CurrentTime": "2026-01-02"}}),
                true,
            ),
        ];
        for (condition, allowed) in cases {
            let expected = if allowed {
                Outcome::Allow
            } else {
                Outcome::Neither
            };
            assert_eq!(allow_when(condition.clone()), Ok(expected), "{condition}");
        }
        // An operator Sluice does not know stays undecidable behind a qualifier.
        assert!(
            allow_when(json!({"ForAnyValue:BinaryEquals": {"aws:UserAgent": "Y3VybC84"}})).is_err()
        );
    }

    #[test]
    fn the_account_in_a_refusal_is_masked_to_its_last_four_digits() {
        assert_eq!(
            masked_arn(GET_A),
            "arn:aws:execute-api:us-east-1:********9012:abc/prod/GET/a"
        );
    }
}
