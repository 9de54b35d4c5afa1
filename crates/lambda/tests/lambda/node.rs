//! Node.js handlers through the embedded bootstrap.

use serde_json::json;

use crate::harness::{invoke, json, node, service, service_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_handler_sees_the_event_and_context() {
    let (lambda, lines) = service(vec![node("Async", "index.asyncHandler")]);
    let inv = invoke(&lambda, "Async", json!({"name": "sluice"})).await;
    assert_eq!(inv.function_error, None, "{:?}", inv);
    let out = json(&inv);
    assert_eq!(out["hello"], "sluice");
    assert_eq!(out["requestId"], json!(inv.request_id));
    assert_eq!(out["fn"], "Async");
    assert_eq!(
        out["arn"],
        "arn:aws:lambda:us-east-1:123456789012:function:Async"
    );
    assert_eq!(out["memory"], "128");
    assert_eq!(out["group"], "/aws/lambda/Async");
    assert!(out["remaining"].as_i64().unwrap() > 0);
    // console.log is prefixed like Lambda's: time, request id, level.
    let logged = lines
        .of("Async")
        .into_iter()
        .find(|l| l.ends_with("async got sluice"))
        .unwrap();
    let fields: Vec<&str> = logged.split('\t').collect();
    assert_eq!(fields.len(), 4, "{logged}");
    assert!(fields[0].ends_with('Z'));
    assert_eq!(fields[1], inv.request_id);
    assert_eq!(fields[2], "INFO");
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callback_handlers_answer_through_the_callback() {
    let (lambda, _) = service(vec![
        node("Cb", "index.callbackHandler"),
        node("CbErr", "index.callbackError"),
    ]);
    let inv = invoke(&lambda, "Cb", json!({"name": "cb"})).await;
    assert_eq!(json(&inv), json!({"viaCallback": true, "name": "cb"}));
    let err = invoke(&lambda, "CbErr", json!({})).await;
    assert_eq!(err.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(json(&err)["errorMessage"], "callback failed");
    lambda.shutdown().await;
}

/// aws-lambda-ric 3.3.0 (`CallbackContext.js`, `Runtime.js`): with
/// `callbackWaitsForEmptyEventLoop` (true by default) a callback's answer waits until the event
/// loop is empty, so what the handler left pending runs, and logs, inside the invocation; a
/// handler that never calls back (or a synchronous one) is answered null then. Sluice answered
/// at once, and a handler that never called back exited the runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_waits_for_the_empty_event_loop() {
    let (lambda, _) = service(vec![
        node("Then", "index.callbackThenTimer"),
        node("Never", "index.neverCallsBack"),
        node("Sync", "index.syncWithTimer"),
    ]);
    for (function, answer, logged) in [
        ("Then", &b"\"called back\""[..], "timer after the callback"),
        ("Never", b"null", "pending work done"),
        ("Sync", b"null", "timer of a synchronous handler"),
    ] {
        let inv = invoke(&lambda, function, json!({})).await;
        assert_eq!(inv.function_error, None, "{function}: {}", inv.log_tail);
        assert_eq!(&inv.payload[..], answer, "{function}");
        let tail: Vec<&str> = inv.log_tail.lines().collect();
        let at = |needle: &str| tail.iter().position(|l| l.contains(needle));
        let (logged_at, end) = (at(logged), at("END RequestId: "));
        assert!(
            logged_at.is_some() && logged_at < end,
            "{function}: the pending work belongs to the invocation: {tail:#?}"
        );
    }
    lambda.shutdown().await;
}

/// aws-lambda-ric: with `context.callbackWaitsForEmptyEventLoop = false` the callback answers
/// at once; left true, a timer longer than the function's timeout times the invocation out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_that_does_not_wait_answers_at_once() {
    let (lambda, _) = service(vec![node("Long", "index.longTimer")]);
    let inv = invoke(&lambda, "Long", json!({"wait": false})).await;
    assert_eq!(inv.function_error, None, "{}", inv.log_tail);
    assert_eq!(&inv.payload[..], b"\"answered\"");
    let waited = invoke(&lambda, "Long", json!({"wait": true})).await;
    assert_eq!(waited.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(
        json(&waited)["errorType"],
        "Sandbox.Timedout",
        "{}",
        waited.log_tail
    );
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thrown_errors_carry_type_message_and_stack() {
    let (lambda, _) = service(vec![node("Throws", "index.throws")]);
    let inv = invoke(&lambda, "Throws", json!({})).await;
    assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
    let err = json(&inv);
    assert_eq!(err["errorType"], "TypeError");
    assert_eq!(err["errorMessage"], "bad thing");
    // AWS's node runtime calls the stack `trace`, a line per entry, the first `Name: message`.
    assert_eq!(err["trace"][0], "TypeError: bad thing", "{err}");
    assert!(
        err["trace"][1]
            .as_str()
            .is_some_and(|l| l.starts_with("    at ")),
        "{err}"
    );
    assert!(err.get("stackTrace").is_none(), "{err}");
    lambda.shutdown().await;
}

/// What aws-lambda-ric 3.3.0 answers when a handler fails with something other than an Error
/// (recorded with the differential harness, and read in its `CallbackContext.build`):
/// a promise rejected with null or undefined, and `context.fail()`, fail with the string
/// "handled"; other values fail as themselves (`typeof`, `String()`); a synchronous handler
/// that throws null, or returns without calling back, answers null. Sluice failed with an
/// Error "null rejection" / "null thrown" / "handled", failed `fail(0)` as "handled", and
/// answered a synchronous handler's return value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_that_are_not_errors_are_answered_as_aws_lambda_ric_answers_them() {
    let (lambda, _) = service(vec![node("Odd", "index.oddFailure")]);
    let failed = |error_type: &str, message: &str| json!({"errorType": error_type, "errorMessage": message, "trace": []});
    for (how, answer) in [
        ("reject null", failed("string", "handled")),
        ("reject undefined", failed("string", "handled")),
        ("fail", failed("string", "handled")),
        ("reject 42", failed("number", "42")),
        ("fail 0", failed("number", "0")),
    ] {
        let inv = invoke(&lambda, "Odd", json!({ "how": how })).await;
        assert_eq!(inv.function_error.as_deref(), Some("Unhandled"), "{how}");
        assert_eq!(json(&inv), answer, "{how}");
        // Logged as aws-lambda-ric logs a non-Error: as `new Error(value)`.
        let message = answer["errorMessage"].as_str().unwrap();
        assert!(
            inv.log_tail.contains(&format!(
                "\tERROR\tInvoke Error \t{{\"errorType\":\"Error\",\"errorMessage\":\"{message}\""
            )),
            "{how}: {}",
            inv.log_tail
        );
    }
    for how in ["throw null", "return"] {
        let inv = invoke(&lambda, "Odd", json!({ "how": how })).await;
        assert_eq!(inv.function_error, None, "{how}: {}", inv.log_tail);
        assert_eq!(&inv.payload[..], b"null", "{how}");
    }
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn esm_subdirectory_and_nested_exports_resolve() {
    let (lambda, _) = service(vec![
        node("Esm", "esm.handler"),
        node("Lib", "lib/util.handler"),
        node("Nested", "index.nested.deeper"),
    ]);
    assert_eq!(
        json(&invoke(&lambda, "Esm", json!([1])).await),
        json!({"esm": true, "echo": [1]})
    );
    assert_eq!(
        json(&invoke(&lambda, "Lib", json!({})).await),
        json!("from lib")
    );
    assert_eq!(
        json(&invoke(&lambda, "Nested", json!({})).await),
        json!("nested ok")
    );
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_module_and_export_are_init_errors() {
    let (lambda, lines) = service(vec![
        node("NoMod", "nothere.handler"),
        node("NoFn", "index.nothere"),
        node("Malformed", "code/handler"),
        node("Climbing", "../up.handler"),
    ]);
    let inv = invoke(&lambda, "NoMod", json!({})).await;
    let err = json(&inv);
    assert_eq!(err["errorType"], "Runtime.ImportModuleError");
    // AWS: "Error: Cannot find module 'app'\nRequire stack:\n- /var/runtime/index.mjs".
    let message = err["errorMessage"].as_str().unwrap();
    assert!(
        message.starts_with("Error: Cannot find module 'nothere'\nRequire stack:\n- "),
        "{err}"
    );
    assert_eq!(message.matches("\n- ").count(), 1, "{err}");
    assert!(
        lines.of("NoMod").iter().any(|l| l.contains(
            "\tERROR\tUncaught Exception \t{\"errorType\":\"Runtime.ImportModuleError\""
        )),
        "{:?}",
        lines.of("NoMod")
    );
    // AWS's UserFunction.js: a handler without a dot in its last segment is just "Bad handler".
    let err = json(&invoke(&lambda, "Malformed", json!({})).await);
    assert_eq!(err["errorType"], "Runtime.MalformedHandlerName");
    assert_eq!(err["errorMessage"], "Bad handler");
    let err = json(&invoke(&lambda, "Climbing", json!({})).await);
    assert_eq!(err["errorType"], "Runtime.MalformedHandlerName");
    assert_eq!(
        err["errorMessage"],
        "'../up.handler' is not a valid handler name. Use absolute paths when specifying root directories in handler names."
    );
    let inv = invoke(&lambda, "NoFn", json!({})).await;
    let err = json(&inv);
    assert_eq!(err["errorType"], "Runtime.HandlerNotFound");
    assert_eq!(
        err["trace"][0], "Runtime.HandlerNotFound: index.nothere is undefined or not exported",
        "{err}"
    );
    assert!(err.get("stackTrace").is_none(), "{err}");
    lambda.shutdown().await;
}

/// AWS's node runtime (aws-lambda-nodejs-runtime-interface-client `UserFunction.js`
/// `_loadUserApp`, `src/function/module-loader.ts`) makes only a `SyntaxError` and a CommonJS
/// `MODULE_NOT_FOUND` its own `Runtime.*` errors; anything else thrown while the module loads,
/// an ES module's missing package (`ERR_MODULE_NOT_FOUND`) included, is posted as itself. Lambda
/// keeps no `Error` type, so Init is reported as `Runtime.Unknown`. Recorded on nodejs:
/// `ERROR Uncaught Exception {"errorType":"Error",…,"code":"ERR_REQUIRE_ESM",…}` then
/// `INIT_REPORT … Phase: init Status: error Error Type: Runtime.Unknown`, and the same for
/// `"code":"ERR_MODULE_NOT_FOUND"` ("Cannot find package … imported from /var/task/index.js").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_thrown_while_loading_is_posted_as_itself_and_reported_as_runtime_unknown() {
    let (lambda, lines) = service(vec![
        node("Throws", "init_throws.handler"),
        node("EsmMissing", "esm_missing.handler"),
        node("NotFn", "not_a_function.handler"),
    ]);
    let inv = invoke(&lambda, "Throws", json!({})).await;
    assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
    let err = json(&inv);
    assert_eq!(err["errorType"], "Error", "{err}");
    assert_eq!(err["errorMessage"], "boom at init");
    assert_eq!(err["trace"][0], "Error: boom at init", "{err}");
    let reports = |function: &str| {
        lines
            .init_lines_of(function)
            .into_iter()
            .map(|(line, _)| line)
            .filter(|line| line.starts_with("INIT_REPORT"))
            .collect::<Vec<_>>()
    };
    let thrown = reports("Throws");
    assert_eq!(thrown.len(), 2, "{thrown:?}");
    for line in &thrown {
        assert!(
            line.ends_with("\tStatus: error\tError Type: Runtime.Unknown"),
            "{line}"
        );
    }
    assert!(
        inv.log_tail
            .contains("\tStatus: error\tError Type: Runtime.Unknown"),
        "{}",
        inv.log_tail
    );
    assert!(
        lines.of("Throws").iter().any(|l| l.contains(
            "\tERROR\tUncaught Exception \t{\"errorType\":\"Error\",\"errorMessage\":\"boom at init\""
        )),
        "{:?}",
        lines.of("Throws")
    );

    let err = json(&invoke(&lambda, "EsmMissing", json!({})).await);
    assert_eq!(err["errorType"], "Error", "{err}");
    let message = err["errorMessage"].as_str().unwrap_or_default();
    assert!(
        message
            .starts_with("Cannot find package '@sluice-test/no-such-esm-package' imported from "),
        "{err}"
    );
    assert!(
        reports("EsmMissing")
            .iter()
            .all(|l| l.ends_with("Error Type: Runtime.Unknown")),
        "{:?}",
        reports("EsmMissing")
    );

    // `_resolveHandler` found something, but no function: "is not a function".
    let err = json(&invoke(&lambda, "NotFn", json!({})).await);
    assert_eq!(err["errorType"], "Runtime.HandlerNotFound");
    assert_eq!(
        err["errorMessage"],
        "not_a_function.handler is not a function"
    );
    lambda.shutdown().await;
}

/// aws-lambda-nodejs-runtime-interface-client (`RAPIDClient.js`): `next`, the response and the
/// invocation error go through its native client, so a handler that patches `http` at load (X-Ray's
/// `captureHTTPsGlobal`, Powertools Tracer by default) never sees the runtime's own calls. Through
/// the patch, X-Ray logged `Missing AWS Lambda trace data` before every cold start's first event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runtime_calls_do_not_go_through_a_handlers_http_patch() {
    let (lambda, _) = service(vec![node("Patches", "patches_http.handler")]);
    for _ in 0..2 {
        let inv = invoke(&lambda, "Patches", json!({})).await;
        assert_eq!(inv.function_error, None, "{}", inv.log_tail);
        assert_eq!(json(&inv), json!({"patchedCalls": 0}));
    }
    lambda.shutdown().await;
}

/// Sluice's default state folder is `.sluice` in the project, so a project `package.json` with
/// `"type": "module"` (common in TypeScript apps) sat above the runtime client, which node then
/// loaded as an ES module: `require is not defined in ES module scope`, and every function of
/// the project failed to start. AWS's runtime lives in `/var/runtime`, out of any project's reach.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_module_type_package_above_the_state_folder_leaves_the_runtime_client_commonjs() {
    let project = std::env::temp_dir().join(format!(
        "sluice-esm-project-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(project.join("package.json"), r#"{"type": "module"}"#).unwrap();
    let (lambda, _) = service_with(vec![node("Async", "index.asyncHandler")], |config| {
        config.cache_dir = project.join(".sluice");
    });
    let inv = invoke(&lambda, "Async", json!({"name": "esm"})).await;
    lambda.shutdown().await;
    let _ = std::fs::remove_dir_all(&project);
    assert_eq!(inv.function_error, None, "{}", inv.log_tail);
    assert_eq!(json(&inv)["hello"], "esm");
}

/// AWS: the nodejs runtimes' `/var/runtime/bootstrap` starts node with `--expose-gc`,
/// `--max-http-header-size 81920` and the heap sized from `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`
/// (`--max-semi-space-size` a twentieth, `--max-old-space-size` nine tenths): 6 and 116 at 128 MB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_starts_with_lambdas_command_line_flags() {
    let mut spec = node("Flags", "index.handler");
    spec.code = sluice_lambda::CodeSource::Inline(
        "exports.handler = async () => ({ gc: typeof global.gc, flags: process.execArgv });\n"
            .into(),
    );
    let (lambda, _) = service(vec![spec]);
    let inv = invoke(&lambda, "Flags", json!({})).await;
    assert_eq!(
        json(&inv),
        json!({"gc": "function", "flags": [
            "--expose-gc",
            "--max-http-header-size",
            "81920",
            "--max-semi-space-size=6",
            "--max-old-space-size=116"
        ]})
    );
    lambda.shutdown().await;
}
