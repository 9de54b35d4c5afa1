//! Python handlers through the embedded bootstrap.

use serde_json::json;

use crate::harness::{invoke, json, python, service, spec};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hello_returns_the_handler_result() {
    let (lambda, _) = service(vec![python("Hello", "app.hello")]);
    let inv = invoke(&lambda, "Hello", json!({"name": "sluice"})).await;
    assert_eq!(inv.function_error, None);
    assert_eq!(json(&inv), json!({"hello": "sluice"}));
    // Warm reuse gives the same answer.
    let again = invoke(&lambda, "Hello", json!({})).await;
    assert_eq!(json(&again), json!({"hello": "world"}));
    assert_ne!(inv.request_id, again.request_id);
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn context_fields_are_visible_to_the_handler() {
    let (lambda, _) = service(vec![python("Ctx", "app.context_fields")]);
    let inv = invoke(&lambda, "Ctx", json!({})).await;
    let ctx = json(&inv);
    assert_eq!(ctx["aws_request_id"], json!(inv.request_id));
    assert_eq!(ctx["function_name"], "Ctx");
    assert_eq!(ctx["function_version"], "$LATEST");
    assert_eq!(
        ctx["invoked_function_arn"],
        "arn:aws:lambda:us-east-1:123456789012:function:Ctx"
    );
    assert_eq!(ctx["memory_limit_in_mb"], "128");
    assert_eq!(ctx["log_group_name"], "/aws/lambda/Ctx");
    let stream = ctx["log_stream_name"].as_str().unwrap();
    assert!(stream.contains("/[$LATEST]"), "{stream}");
    let remaining = ctx["remaining_ms"].as_i64().unwrap();
    assert!(remaining > 0 && remaining <= 3000, "{remaining}");
    assert_eq!(ctx["has_identity"], true);
    assert_eq!(ctx["client_context"], serde_json::Value::Null);
    lambda.shutdown().await;
}

/// AWS (LocalStack's recorded TestLambdaAliases): invoked through an alias, the function sees
/// the qualified ARN and the Invoke API reports the version the alias points at, which the
/// function's context names too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alias_invocation_names_the_alias_and_runs_version_one() {
    let mut spec = python("Aliased", "app.context_fields");
    spec.aliases = vec!["live".to_owned()];
    let (lambda, lines) = service(vec![spec]);
    let arn = "arn:aws:lambda:us-east-1:123456789012:function:Aliased";
    for (qualifier, invoked, executed) in [
        (Some("live"), format!("{arn}:live"), "1"),
        (Some("1"), format!("{arn}:1"), "1"),
        (Some("$LATEST"), format!("{arn}:$LATEST"), "$LATEST"),
        (None, arn.to_owned(), "$LATEST"),
    ] {
        let path = match qualifier {
            Some(q) => format!("/2015-03-31/functions/Aliased/invocations?Qualifier={q}"),
            None => "/2015-03-31/functions/Aliased/invocations".to_owned(),
        };
        let (parts, ()) = http::Request::post(path).body(()).unwrap().into_parts();
        let response =
            sluice_lambda::invoke_api::handle(&lambda, &parts, bytes::Bytes::from_static(b"{}"))
                .await;
        assert_eq!(response.status(), 200, "{qualifier:?}");
        assert_eq!(response.headers()["x-amz-executed-version"], executed);
        let body = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes();
        let ctx: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            ctx["invoked_function_arn"],
            invoked.as_str(),
            "{qualifier:?}"
        );
        // AWS: each version runs in environments of its own, which name it (the context, the
        // log stream); Sluice ran every qualifier in `$LATEST` sandboxes.
        assert_eq!(ctx["function_version"], executed, "{qualifier:?}");
        let stream = ctx["log_stream_name"].as_str().unwrap();
        assert!(stream.contains(&format!("/[{executed}]")), "{stream}");
        let id = ctx["aws_request_id"].as_str().unwrap();
        assert!(
            lines
                .of("Aliased")
                .contains(&format!("START RequestId: {id} Version: {executed}")),
            "{qualifier:?}"
        );
    }
    // Only the version the alias points at exists besides $LATEST.
    let (parts, ()) = http::Request::post("/2015-03-31/functions/Aliased/invocations?Qualifier=2")
        .body(())
        .unwrap()
        .into_parts();
    let response =
        sluice_lambda::invoke_api::handle(&lambda, &parts, bytes::Bytes::from_static(b"{}")).await;
    assert_eq!(response.status(), 404);
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_is_lambdas_and_the_function_wins() {
    let mut spec = python("Env", "app.environment");
    spec.environment.insert("TABLE".into(), "items".into());
    spec.environment
        .insert("AWS_REGION".into(), "eu-west-1".into());
    spec.environment
        .insert("AWS_XRAY_CONTEXT_MISSING".into(), "IGNORE_ERROR".into());
    std::env::set_var("SLUICE_TEST_HOST_SECRET", "leak");
    let (lambda, _) = service(vec![spec]);
    let env = json(&invoke(&lambda, "Env", json!({})).await);
    assert_eq!(env["TABLE"], "items");
    assert_eq!(env["AWS_REGION"], "eu-west-1");
    assert_eq!(env["AWS_DEFAULT_REGION"], "us-east-1");
    assert_eq!(env["_HANDLER"], "app.environment");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "Env");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "128");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
    assert_eq!(env["AWS_LAMBDA_LOG_GROUP_NAME"], "/aws/lambda/Env");
    assert_eq!(env["AWS_EXECUTION_ENV"], "AWS_Lambda_python3.12");
    assert_eq!(env["TZ"], ":UTC");
    // AWS's X-Ray variables, for every function; the function's own value wins.
    assert_eq!(env["AWS_XRAY_CONTEXT_MISSING"], "IGNORE_ERROR");
    assert_eq!(env["AWS_XRAY_DAEMON_ADDRESS"], "169.254.79.129:2000");
    assert_eq!(env["_AWS_XRAY_DAEMON_ADDRESS"], "169.254.79.129");
    assert_eq!(env["_AWS_XRAY_DAEMON_PORT"], "2000");
    assert!(env["AWS_LAMBDA_RUNTIME_API"]
        .as_str()
        .unwrap()
        .starts_with("127.0.0.1:"));
    assert!(env["LAMBDA_TASK_ROOT"]
        .as_str()
        .unwrap()
        .ends_with("fixtures/python"));
    assert!(env["AWS_ACCESS_KEY_ID"].is_string());
    assert!(
        env.get("SLUICE_TEST_HOST_SECRET").is_none(),
        "host environment leaked"
    );
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raising_handler_is_an_unhandled_function_error() {
    let (lambda, lines) = service(vec![python("Boom", "app.boom")]);
    let inv = invoke(&lambda, "Boom", json!({"why": "because"})).await;
    assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
    let err = json(&inv);
    assert_eq!(err["errorType"], "ValueError");
    assert_eq!(err["errorMessage"], "boom: because");
    assert_eq!(err["requestId"], json!(inv.request_id));
    // The trace starts at the handler: none of the bootstrap's frames, as on AWS.
    let trace = err["stackTrace"].as_array().unwrap();
    assert!(trace[0].as_str().unwrap().contains("app.py"), "{err}");
    assert!(
        !trace
            .iter()
            .any(|f| f.as_str().unwrap().contains("bootstrap")),
        "{err}"
    );
    // One log event, as on AWS: awslambdaric joins the record's lines with `\r`, and the trace
    // is indented with no-break spaces.
    let logged = lines.of("Boom");
    let records: Vec<&String> = logged.iter().filter(|l| l.contains("Traceback")).collect();
    assert_eq!(records.len(), 1, "{logged:#?}");
    let record = records[0];
    assert!(
        record.starts_with(
            "[ERROR] ValueError: boom: because\rTraceback (most recent call last):\r\u{a0}\u{a0}File \""
        ) && record.contains("app.py")
            && record.contains("\r\u{a0}\u{a0}\u{a0}\u{a0}raise ValueError("),
        "{record:?}"
    );
    assert!(
        !logged.iter().any(|l| l.trim_start().starts_with("File ")),
        "{logged:#?}"
    );
    // The sandbox survives a handled exception.
    let again = invoke(&lambda, "Boom", json!({})).await;
    assert!(
        !again.log_tail.contains("Init Duration"),
        "{}",
        again.log_tail
    );
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_serializable_result_is_a_marshal_error() {
    let (lambda, _) = service(vec![python("Set", "app.not_json")]);
    let inv = invoke(&lambda, "Set", json!({})).await;
    assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(json(&inv)["errorType"], "Runtime.MarshalError");
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_error_is_reported_as_init_error() {
    let spec = crate::harness::spec("Broken", "python3.12", "app.handler", "python_import_error");
    let (lambda, _) = service(vec![spec]);
    let inv = invoke(&lambda, "Broken", json!({})).await;
    assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
    // awslambdaric reports an ImportError without a trace.
    assert_eq!(
        json(&inv),
        json!({
            "errorMessage": "Unable to import module 'app': No module named 'module_that_does_not_exist'",
            "errorType": "Runtime.ImportModuleError",
            "requestId": "",
            "stackTrace": [],
        })
    );
    assert!(
        inv.log_tail
            .contains("Status: error\tError Type: Runtime.ImportModuleError"),
        "{}",
        inv.log_tail
    );
    // AWS's familiar record: the heading even with no trace under it, in the same event.
    assert!(
        inv.log_tail.lines().any(|l| l
            == "[ERROR] Runtime.ImportModuleError: Unable to import module 'app': No module named 'module_that_does_not_exist'\rTraceback (most recent call last):"),
        "{:?}",
        inv.log_tail
    );
    // Still broken next time, from a fresh sandbox.
    let again = invoke(&lambda, "Broken", json!({})).await;
    assert_eq!(json(&again)["errorType"], "Runtime.ImportModuleError");
    assert!(lambda.prewarm().await.is_err());
    lambda.shutdown().await;
}

/// As AWS's bootstrap (awslambdaric): only an ImportError or a SyntaxError at import is the
/// runtime's to name; any other exception is reported as itself, its trace starting at
/// importlib's `import_module`, not in the bootstrap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_exceptions_at_import_are_reported_as_themselves() {
    let inline = |name: &str, code: &str| {
        let mut spec = python(name, "index.handler");
        spec.code = sluice_lambda::CodeSource::Inline(code.into());
        spec
    };
    let (lambda, _) = service(vec![
        inline(
            "Raises",
            "def start():\n    raise Exception(\"Runtime startup fails\")\n\nstart()\n",
        ),
        inline("Syntax", "def handler(event, context)\n    return 1\n"),
    ]);
    let inv = invoke(&lambda, "Raises", json!({})).await;
    assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
    let err = json(&inv);
    assert_eq!(err["errorType"], "Exception", "{err}");
    assert_eq!(err["errorMessage"], "Runtime startup fails", "{err}");
    assert_eq!(err["requestId"], "", "{err}");
    let trace: Vec<&str> = err["stackTrace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        trace[0].contains("importlib") && trace[0].contains(", in import_module\n"),
        "{trace:?}"
    );
    assert!(
        trace
            .last()
            .unwrap()
            .contains("index.py\", line 2, in start\n"),
        "{trace:?}"
    );
    assert!(
        !trace.iter().any(|f| f.contains("bootstrap.py")),
        "{trace:?}"
    );
    // REPORT's error type is the header's, validated as Lambda validates it (RIE
    // fatalerror.GetValidRuntimeOrFunctionErrorType): `Exception` names no `Runtime.` or
    // `Function.` error, so it is `Runtime.Unknown`; the payload keeps the body's own type.
    assert!(
        inv.log_tail.contains("Error Type: Runtime.Unknown\t"),
        "{}",
        inv.log_tail
    );

    let err = json(&invoke(&lambda, "Syntax", json!({})).await);
    assert_eq!(err["errorType"], "Runtime.UserCodeSyntaxError", "{err}");
    assert!(
        err["errorMessage"]
            .as_str()
            .unwrap()
            .starts_with("Syntax error in module 'index': "),
        "{err}"
    );
    // awslambdaric's one-frame trace: the file, the line and its text.
    let trace = err["stackTrace"].as_array().unwrap();
    assert_eq!(trace.len(), 1, "{err}");
    let frame = trace[0].as_str().unwrap();
    assert!(
        frame.starts_with("  File \"")
            && frame.ends_with("index.py\" Line 1\n    def handler(event, context)\n"),
        "{frame:?}"
    );
    lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inline_code_runs_from_the_cache_dir() {
    let mut spec = python("Inline", "index.handler");
    spec.code =
        sluice_lambda::CodeSource::Inline("def handler(e, c):\n    return {'inline': e}\n".into());
    let (lambda, _) = service(vec![spec]);
    let inv = invoke(&lambda, "Inline", json!(7)).await;
    assert_eq!(json(&inv), json!({"inline": 7}));
    lambda.shutdown().await;
}

/// Sandboxes run under `SCHED_BATCH`, forked from the template process or started afresh, so a
/// runtime woken by the Runtime API's answer does not preempt the Sluice thread that wrote it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandboxes_do_not_preempt_sluice_on_wake_up() {
    const SCHED_BATCH: i64 = 3;
    for fork in [true, false] {
        let (lambda, _) =
            crate::harness::service_with(vec![python("Sched", "app.scheduling")], |c| {
                c.fork_sandboxes = fork;
            });
        let answer = json(&invoke(&lambda, "Sched", json!({})).await);
        assert_eq!(
            answer["policy"], SCHED_BATCH,
            "fork server {fork}: {answer}"
        );
        // The path under test is the one taken: a fresh sandbox is Sluice's child, a forked
        // one the template's.
        let sluices_child = answer["parent"] == std::process::id();
        assert_eq!(sluices_child, !fork, "fork server {fork}: {answer}");
        lambda.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unicode_is_escaped_in_answers_before_python_3_12_and_kept_from_it_on() {
    // awslambdaric's marshaller (recorded on Lambda): python3.12 and later answer with the
    // characters themselves, python3.11 and earlier with \u escapes; errors alike.
    let (lambda, _) = service(vec![
        spec("Old", "python3.11", "app.unicode_echo", "python"),
        spec("New", "python3.12", "app.unicode_echo", "python"),
    ]);
    let text = |inv: &sluice_lambda::Invocation| String::from_utf8_lossy(&inv.payload).into_owned();
    let old = invoke(&lambda, "Old", json!({"k": "안녕 😍"})).await;
    assert_eq!(text(&old), r#"{"k": "\uc548\ub155 \ud83d\ude0d"}"#);
    let new = invoke(&lambda, "New", json!({"k": "안녕 😍"})).await;
    assert_eq!(text(&new), r#"{"k": "안녕 😍"}"#);
    let failed = invoke(&lambda, "New", json!({"fail": true})).await;
    assert!(
        text(&failed).contains(r#""errorMessage": "nicht möglich 😐""#),
        "{}",
        text(&failed)
    );
    let failed = invoke(&lambda, "Old", json!({"fail": true})).await;
    assert!(
        text(&failed).contains(r#"nicht m\u00f6glich"#),
        "{}",
        text(&failed)
    );
    lambda.shutdown().await;
}

/// awslambdaric's marshaller is simplejson, whose `namedtuple_as_object` (on by default) writes
/// a namedtuple as the object of its fields, nested ones too; a plain tuple stays an array.
/// Sluice's bootstrap wrote every namedtuple as an array.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namedtuple_answer_is_an_object_as_awslambdaric_writes_it() {
    let (lambda, _) = service(vec![python("Named", "app.named_tuples")]);
    let inv = invoke(&lambda, "Named", json!({})).await;
    assert_eq!(
        String::from_utf8_lossy(&inv.payload),
        r#"{"point": {"x": 1, "y": [{"x": 2, "y": 3}]}, "tuple": [1, 2], "points": [{"x": 4, "y": 5}], "same": [1, {"a": null}]}"#
    );
    lambda.shutdown().await;
}

/// awslambdaric, its answer refused as too large (413), logs the refusal and exits (the
/// differential harness, /tmp/samcli-l: `[ERROR] [<ms>] LAMBDA_RUNTIME Failed to post handler
/// success response. Http response code: 413. <body>`), so the next invocation runs on a fresh
/// sandbox. Sluice's bootstrap logged nothing and served on, warm.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_oversized_answer_is_logged_and_ends_the_runtime_as_awslambdaric_does() {
    let (lambda, lines) = service(vec![python("Big", "app.maybe_huge")]);
    let refused = invoke(&lambda, "Big", json!({"huge": true})).await;
    assert_eq!(json(&refused)["errorType"], "Function.ResponseSizeTooLarge");
    let next = invoke(&lambda, "Big", json!({})).await;
    assert_eq!(json(&next), json!("small"));
    assert!(next.log_tail.contains("Init Duration"), "{}", next.log_tail);
    let logged = "LAMBDA_RUNTIME Failed to post handler success response. Http response code: 413. {\"errorMessage\":\"Exceeded maximum allowed payload size (6291556 bytes).\",\"errorType\":\"RequestEntityTooLarge\"}";
    sluice_testkit::assert_eventually_async!(
        lines
            .of("Big")
            .iter()
            .any(|l| l.starts_with("[ERROR] [") && l.ends_with(logged)),
        "{:#?}",
        lines.of("Big")
    );
    lambda.shutdown().await;
}

/// A handler whose module is missing, or that is not `module.function`, fails as awslambdaric
/// fails it: the runtime starts and reports it at init, with AWS's exact words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_module_and_malformed_handler_are_awslambdarics_errors() {
    let (lambda, lines) = service(vec![
        python("NoModule", "nomodule.handler"),
        python("Malformed", "code/handler"),
    ]);
    let inv = invoke(&lambda, "NoModule", json!({})).await;
    assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(
        json(&inv),
        json!({
            "errorMessage": "Unable to import module 'nomodule': No module named 'nomodule'",
            "errorType": "Runtime.ImportModuleError",
            "requestId": "",
            "stackTrace": [],
        })
    );
    let inv = invoke(&lambda, "Malformed", json!({})).await;
    assert_eq!(
        json(&inv),
        json!({
            "errorMessage": "Bad handler 'code/handler': not enough values to unpack (expected 2, got 1)",
            "errorType": "Runtime.MalformedHandlerName",
            "requestId": "",
            "stackTrace": [],
        })
    );
    assert!(
        lines
            .of("Malformed")
            .iter()
            .any(|l| l
                .starts_with("[ERROR] Runtime.MalformedHandlerName: Bad handler 'code/handler'")),
        "{:?}",
        lines.of("Malformed")
    );
    lambda.shutdown().await;
}

/// AWS: the python runtime's bootstrap makes the task root a site folder
/// (`site.addsitedir(os.environ["LAMBDA_TASK_ROOT"])`, in awslambdaric's and the base images'
/// `bootstrap.py`), so a `.pth` file there (`pip install -t` writes them for namespace packages)
/// adds its folders to the end of `sys.path`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pth_files_in_the_task_root_extend_sys_path() {
    let (lambda, _) = service(vec![spec("Pth", "python3.12", "app.handler", "python_pth")]);
    let inv = invoke(&lambda, "Pth", json!({})).await;
    assert_eq!(
        inv.function_error,
        None,
        "{}",
        String::from_utf8_lossy(&inv.payload)
    );
    assert_eq!(json(&inv), json!({"found": "vendored", "last": true}));
    lambda.shutdown().await;
}

/// AWS ("Lambda quotas"): an execution environment has 1,024 file descriptors, a limit that
/// cannot be raised; a handler opening more fails with EMFILE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_has_lambdas_descriptor_limit() {
    let mut spec = python("Fds", "index.handler");
    spec.code = sluice_lambda::CodeSource::Inline(
        "import resource\ndef handler(e, c):\n    return list(resource.getrlimit(resource.RLIMIT_NOFILE))\n"
            .into(),
    );
    let (lambda, _) = service(vec![spec]);
    let inv = invoke(&lambda, "Fds", json!({})).await;
    assert_eq!(json(&inv), json!([1024, 1024]));
    lambda.shutdown().await;
}
