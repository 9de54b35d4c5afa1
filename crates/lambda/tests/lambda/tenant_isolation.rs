//! Tenant isolation (`TenancyConfig: PER_TENANT`): Invoke names the tenant (`X-Amz-Tenant-Id`),
//! the runtime learns it (`Lambda-Runtime-Aws-Tenant-Id`, awslambdaric's `context.tenant_id`),
//! and no sandbox ever runs two tenants' invocations.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::harness::{python, service};

/// Counts in module state, as the serverless-patterns `apigw-lambda-tenant-isolation` demo does.
const CODE: &str = r#"
import os
counter = 0

def handler(event, context):
    global counter
    counter += 1
    return {"tenant": context.tenant_id, "counter": counter, "pid": os.getpid()}
"#;

fn counting(name: &str, isolated: bool) -> sluice_lambda::FunctionSpec {
    let mut spec = python(name, "index.handler");
    spec.code = sluice_lambda::CodeSource::Inline(CODE.into());
    spec.tenant_isolation = isolated;
    spec
}

/// An Invoke API call, with `X-Amz-Tenant-Id` when `tenant` is given: status, `x-amzn-ErrorType`
/// and JSON body.
async fn call(
    lambda: &std::sync::Arc<sluice_lambda::Lambda>,
    function: &str,
    tenant: Option<&str>,
) -> (u16, String, Value) {
    let mut request = http::Request::post(format!("/2015-03-31/functions/{function}/invocations"));
    if let Some(tenant) = tenant {
        request = request.header("x-amz-tenant-id", tenant);
    }
    let (parts, ()) = request.body(()).unwrap().into_parts();
    let response =
        sluice_lambda::invoke_api::handle(lambda, &parts, bytes::Bytes::from_static(b"{}")).await;
    let status = response.status().as_u16();
    let error_type = response
        .headers()
        .get("x-amzn-errortype")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, error_type, serde_json::from_slice(&body).unwrap())
}

/// AWS (Lambda docs, "Tenant isolation"): each tenant's invocations run in execution
/// environments of that tenant only, and the function sees the tenant in its context.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_tenant_runs_in_sandboxes_of_its_own_and_sees_its_id() {
    let (lambda, _) = service(vec![counting("Isolated", true)]);
    let mut pids: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    for tenant in ["blue", "blue", "green", "blue", "green"] {
        let (status, _, answer) = call(&lambda, "Isolated", Some(tenant)).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["tenant"], tenant, "{answer}");
        pids.entry(tenant.to_owned())
            .or_default()
            .insert(answer["pid"].as_u64().unwrap());
    }
    assert!(
        pids["blue"].is_disjoint(&pids["green"]),
        "a sandbox ran two tenants' invocations: {pids:?}"
    );
    // The tenant's own warm sandbox serves it again: its state carries on.
    let (_, _, again) = call(&lambda, "Isolated", Some("green")).await;
    assert!(
        pids["green"].contains(&again["pid"].as_u64().unwrap()),
        "{again}"
    );
    assert!(again["counter"].as_u64().unwrap() >= 2, "{again}");
    lambda.shutdown().await;
}

/// AWS (Lambda docs, "Troubleshooting tenant isolation"): InvalidParameterValueException when
/// a tenant-isolated function is invoked without a tenant id, or another function with one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_unwanted_tenant_id_is_an_invalid_parameter() {
    let (lambda, _) = service(vec![counting("Isolated", true), counting("Shared", false)]);
    for (function, tenant) in [("Isolated", None), ("Shared", Some("blue"))] {
        let (status, error_type, answer) = call(&lambda, function, tenant).await;
        assert_eq!(
            (status, error_type.as_str()),
            (400, "InvalidParameterValueException"),
            "{function}: {answer}"
        );
        assert_eq!(answer["Type"], json!("User"), "{answer}");
        assert!(
            answer["message"]
                .as_str()
                .is_some_and(|m| m.contains(function)),
            "{answer}"
        );
    }
    let (status, _, answer) = call(&lambda, "Shared", None).await;
    assert_eq!((status, &answer["tenant"]), (200, &Value::Null), "{answer}");
    lambda.shutdown().await;
}
