//! A REST API's resource policy, evaluated for every request: an explicit deny refuses, and on a
//! route without authentication only an explicit allow serves (AWS's "resource policy only"
//! workflow). Test requests come from 192.0.2.7.

use sluice_template::{
    Condition, ConditionOperator, Effect, PolicyStatement, Principals, ResourcePolicy,
};

use crate::*;

fn statement(
    effect: Effect,
    resource: &str,
    condition: Option<(ConditionOperator, &str)>,
) -> PolicyStatement {
    PolicyStatement {
        effect,
        principals: Principals {
            anyone: true,
            aws: Vec::new(),
        },
        not_principal: false,
        actions: vec!["execute-api:Invoke".into()],
        not_action: false,
        resources: vec![resource.into()],
        not_resource: false,
        conditions: condition
            .map(|(operator, range)| Condition {
                operator,
                if_exists: false,
                set: None,
                key: "aws:SourceIp".into(),
                values: vec![range.into()],
            })
            .into_iter()
            .collect(),
    }
}

fn harness_with_policy(statements: Vec<PolicyStatement>) -> Harness {
    let mut apis = apis();
    apis[0].resource_policy = Some(ResourcePolicy { statements });
    Harness::new(
        Behaviour::Respond(r#"{"statusCode":200,"body":"ok"}"#),
        |lambda| Gateway::new(&apis, lambda, GatewayOptions::default()).expect("valid routes"),
    )
}

fn message(body: &[u8]) -> String {
    let body: Value = serde_json::from_slice(body).expect("JSON body");
    body["Message"].as_str().expect("a Message").to_owned()
}

#[tokio::test]
async fn an_ip_blacklist_refuses_the_listed_caller_with_an_explicit_deny() {
    // What SAM writes for `IpRangeBlacklist`: an allow for everyone and a deny for the ranges.
    let h = harness_with_policy(vec![
        statement(Effect::Allow, "execute-api:/Prod/*", None),
        statement(
            Effect::Deny,
            "execute-api:/Prod/*",
            Some((ConditionOperator::IpAddress, "192.0.2.0/24")),
        ),
    ]);
    let (response, body) = h.send(get("/hello")).await;
    assert_eq!(response.status(), 403);
    assert_eq!(
        header(&response, "x-amzn-ErrorType"),
        "AccessDeniedException"
    );
    assert_error_stamped(&response);
    let message = message(&body);
    assert!(
        message.starts_with("User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********9012:")
            && message.ends_with("/Prod/GET/hello with an explicit deny in a resource-based policy"),
        "{message}"
    );
    assert_eq!(h.invocations(), 0);
    // The other API has no policy: still open.
    let (response, _) = h.send(get("/files/a").with_method("POST")).await;
    assert_ne!(response.status(), 403);
}

#[tokio::test]
async fn an_ip_whitelist_serves_the_listed_caller_and_refuses_others() {
    let whitelist = |range: &str| {
        harness_with_policy(vec![
            statement(Effect::Allow, "execute-api:/Prod/*", None),
            statement(
                Effect::Deny,
                "execute-api:/Prod/*",
                Some((ConditionOperator::NotIpAddress, range)),
            ),
        ])
    };
    let (response, body) = whitelist("192.0.2.0/24").send(get("/hello")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(&body[..], b"ok");
    let (response, _) = whitelist("10.0.0.0/8").send(get("/hello")).await;
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn without_authentication_a_method_no_statement_allows_is_refused() {
    let h = harness_with_policy(vec![statement(
        Effect::Allow,
        "execute-api:/Prod/GET/hello",
        None,
    )]);
    let (response, _) = h.send(get("/hello")).await;
    assert_eq!(response.status(), 200);
    let (response, body) = h.send(get("/items/7")).await;
    assert_eq!(response.status(), 403);
    let message = message(&body);
    assert!(
        message.ends_with("/Prod/GET/items/7 because no resource-based policy allows the execute-api:Invoke action"),
        "{message}"
    );
    assert_eq!(h.invocations(), 1);
}

#[tokio::test]
async fn a_condition_sluice_cannot_evaluate_fails_closed() {
    let h = harness_with_policy(vec![PolicyStatement {
        conditions: vec![Condition {
            operator: ConditionOperator::Unsupported("BinaryEquals".into()),
            if_exists: false,
            set: None,
            key: "aws:UserAgent".into(),
            values: vec!["Y3VybC84".into()],
        }],
        ..statement(Effect::Allow, "execute-api:/*", None)
    }]);
    let (response, _) = h.send(get("/hello")).await;
    assert_eq!(response.status(), 500);
    assert_eq!(h.invocations(), 0);
}
