//! Sluice's python bootstrap against AWS's own runtime client (awslambdaric 4.2.2, the runtime
//! interface client of Lambda's python runtimes, run as `provided.al2023`'s bootstrap beside
//! the same handlers): the answers and log records below are the ones awslambdaric wrote.

use serde_json::{json, Value};

use crate::harness::{invoke, json, python, service, Lines};

/// The handlers these tests run, as one inline module.
const CODE: &str = r#"import decimal
import logging

def keyerror(event, context):
    return {}["missing"]

def raw(event, context):
    return b"raw \x00 bytes"

def decimals(event, context):
    return {"d": decimal.Decimal("1.10"), "e": decimal.Decimal("1E+2"), "n": decimal.Decimal("NaN"), "s": "\x00"}

def a_set(event, context):
    return {"s": {1}}

def records(event, context):
    logging.debug("debug")
    logging.log(25, "level 25 \u00fcn\u00ef")
    logging.getLogger("mine").warning({"a": 1})
    logging.warning("extra", extra={"custom": "field", "n": 3})
    try:
        raise KeyError("k")
    except KeyError:
        logging.exception("caught")
    print("after")
    return "ok"

def fails(event, context):
    raise ValueError("nicht m\u00f6glich")

def context_of(event, context):
    return {"tenant_id": context.tenant_id, "w3c": context.w3c(), "custom": context.client_context.custom,
            "repr": repr(context).endswith(",tenant_id=None])")}
"#;

fn inline(name: &str, runtime: &str, handler: &str) -> sluice_lambda::FunctionSpec {
    let mut spec = python(name, handler);
    spec.runtime = runtime.to_owned();
    spec.code = sluice_lambda::CodeSource::Inline(CODE.into());
    spec
}

fn json_logs(mut spec: sluice_lambda::FunctionSpec, level: &str) -> sluice_lambda::FunctionSpec {
    spec.environment
        .insert("AWS_LAMBDA_LOG_FORMAT".into(), "JSON".into());
    spec.environment
        .insert("AWS_LAMBDA_LOG_LEVEL".into(), level.into());
    spec
}

/// The function's own lines: Lambda's START/END/REPORT (and INIT_*) left out.
fn app_lines(lines: &Lines, function: &str) -> Vec<String> {
    lines
        .of(function)
        .into_iter()
        .filter(|l| {
            !["START ", "END ", "REPORT ", "INIT_"]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .collect()
}

/// awslambdaric formats a trace from (file, line, function, text) tuples, so Python 3.11's
/// column markers (`~~^^^`) are in neither the error document nor its log record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_traceback_has_no_column_markers() {
    let (lambda, lines) = service(vec![inline("Key", "python3.11", "index.keyerror")]);
    let inv = invoke(&lambda, "Key", json!({})).await;
    let err = json(&inv);
    assert_eq!(err["errorType"], "KeyError");
    assert_eq!(err["errorMessage"], "'missing'");
    let trace = err["stackTrace"].as_array().unwrap();
    assert_eq!(trace.len(), 1, "{err}");
    let frame = trace[0].as_str().unwrap();
    assert!(
        frame.starts_with("  File \"")
            && frame.ends_with("index.py\", line 5, in keyerror\n    return {}[\"missing\"]\n"),
        "{frame:?}"
    );
    let logged = app_lines(&lines, "Key");
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert!(
        logged[0].starts_with("[ERROR] KeyError: 'missing'\rTraceback (most recent call last):\r")
            && logged[0].ends_with(
                "index.py\", line 5, in keyerror\r\u{a0}\u{a0}\u{a0}\u{a0}return {}[\"missing\"]"
            ),
        "{:?}",
        logged[0]
    );
    lambda.shutdown().await;
}

/// awslambdaric answers a handler's bytes as they are (content type `application/unknown`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_are_answered_as_they_are() {
    let (lambda, _) = service(vec![inline("Raw", "python3.11", "index.raw")]);
    let inv = invoke(&lambda, "Raw", json!({})).await;
    assert_eq!(inv.function_error, None);
    assert_eq!(&inv.payload[..], b"raw \x00 bytes");
    lambda.shutdown().await;
}

/// awslambdaric's marshaller (simplejson) writes a Decimal, as boto3's DynamoDB resource returns
/// numbers, as the number it spells, and a NaN one as `NaN`; anything else it cannot write is
/// still a `Runtime.MarshalError` in the standard library's words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decimals_are_answered_as_the_numbers_they_spell() {
    let (lambda, lines) = service(vec![
        inline("Dec", "python3.11", "index.decimals"),
        inline("Set", "python3.11", "index.a_set"),
    ]);
    let inv = invoke(&lambda, "Dec", json!({})).await;
    assert_eq!(inv.function_error, None);
    assert_eq!(
        String::from_utf8_lossy(&inv.payload),
        r#"{"d": 1.10, "e": 1E+2, "n": NaN, "s": "\u0000"}"#
    );
    let inv = invoke(&lambda, "Set", json!({})).await;
    assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(
        String::from_utf8_lossy(&inv.payload),
        format!(
            r#"{{"errorMessage": "Unable to marshal response: Object of type set is not JSON serializable", "errorType": "Runtime.MarshalError", "requestId": "{}", "stackTrace": []}}"#,
            inv.request_id
        )
    );
    assert_eq!(
        app_lines(&lines, "Set"),
        ["[ERROR] Runtime.MarshalError: Unable to marshal response: Object of type set is not JSON serializable\rTraceback (most recent call last):"]
    );
    lambda.shutdown().await;
}

/// A handler in a module built into the interpreter is awslambdaric's
/// `Runtime.BuiltInModuleConflict`, and an Init error's record follows awslambdaric's
/// LAMBDA_WARNING record (a logging record: the text format's WARNING line, no request id).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_builtin_module_handler_fails_init_after_lambdas_warning() {
    let (lambda, lines) = service(vec![inline("Sys", "python3.11", "sys.handler")]);
    let inv = invoke(&lambda, "Sys", json!({})).await;
    assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(
        json(&inv),
        json!({
            "errorMessage": "Cannot use built-in module sys as a handler module",
            "errorType": "Runtime.BuiltInModuleConflict",
            "requestId": "",
            "stackTrace": [],
        })
    );
    let logged = app_lines(&lines, "Sys");
    // Init runs twice (at init and again in the invocation), each logging the pair.
    assert_eq!(logged.len(), 4, "{logged:#?}");
    let warning = logged[0].trim_end_matches('\r');
    let (level, rest) = warning.split_once('\t').unwrap();
    let (time, rest) = rest.split_once('\t').unwrap();
    assert_eq!(level, "[WARNING]");
    assert!(time.len() == 24 && time.ends_with('Z'), "{time:?}");
    assert_eq!(
        rest,
        "\tLAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function code. However, in rare cases, a Lambda runtime update can cause unexpected function behavior. For functions using managed runtimes, runtime updates can be triggered by a function change, or can be applied automatically. To determine if the runtime has been updated, check the runtime version in the INIT_START log entry. If this error correlates with a change in the runtime version, you may be able to mitigate this error by temporarily rolling back to the previous runtime version. For more information, see https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html"
    );
    assert_eq!(
        logged[1],
        "[ERROR] Runtime.BuiltInModuleConflict: Cannot use built-in module sys as a handler module\rTraceback (most recent call last):"
    );
    lambda.shutdown().await;
}

/// Replaces a JSON record's whole-second timestamp (`2026-01-31T10:00:00Z`, awslambdaric's
/// format) by `<ts>`, checking its shape.
fn untimed(line: &str) -> String {
    let record: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    let time = record["timestamp"].as_str().unwrap();
    assert!(
        time.len() == 20 && time.as_bytes()[10] == b'T' && time.ends_with('Z'),
        "{time:?}"
    );
    line.replace(time, "<ts>")
}

/// The JSON log format as awslambdaric writes it: whole-second timestamps, levels rounded down
/// to a named one, non-ASCII characters kept, a dict message as an object, `extra` fields, an
/// exception's fields then `location`; a record with a traceback in the text format ends
/// without a newline, so the next output continues its line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_records_are_awslambdarics() {
    let (lambda, lines) = service(vec![
        json_logs(inline("Json", "python3.11", "index.records"), "INFO"),
        inline("Text", "python3.11", "index.records"),
    ]);
    let inv = invoke(&lambda, "Json", json!({})).await;
    let id = &inv.request_id;
    let logged: Vec<String> = app_lines(&lines, "Json");
    assert_eq!(logged.len(), 5, "{logged:#?}");
    let records: Vec<String> = logged[..4].iter().map(|l| untimed(l)).collect();
    let exception: Value = serde_json::from_str(&logged[3]).unwrap();
    let location = exception["location"].as_str().unwrap();
    assert!(location.ends_with("index.py:records:24"), "{location}");
    let frame = exception["stackTrace"][0].as_str().unwrap();
    assert!(
        frame.ends_with("index.py\", line 22, in records\n    raise KeyError(\"k\")\n"),
        "{frame:?}"
    );
    let frame = serde_json::to_string(frame).unwrap();
    assert_eq!(
        records,
        [
            format!(
                r#"{{"timestamp": "<ts>", "level": "INFO", "message": "level 25 ünï", "logger": "root", "requestId": "{id}"}}"#
            ),
            format!(
                r#"{{"timestamp": "<ts>", "level": "WARNING", "message": {{"a": 1}}, "logger": "mine", "requestId": "{id}"}}"#
            ),
            format!(
                r#"{{"timestamp": "<ts>", "level": "WARNING", "message": "extra", "logger": "root", "requestId": "{id}", "custom": "field", "n": 3}}"#
            ),
            format!(
                r#"{{"timestamp": "<ts>", "level": "ERROR", "message": "caught", "logger": "root", "stackTrace": [{frame}], "errorType": "KeyError", "errorMessage": "'k'", "requestId": "{id}", "location": "{location}"}}"#
            ),
        ]
    );
    assert_eq!(logged[4], "after");

    invoke(&lambda, "Text", json!({})).await;
    let logged = app_lines(&lines, "Text");
    // WARNING and above by default; the exception record's last line runs into the print.
    assert_eq!(logged.len(), 7, "{logged:#?}");
    assert!(logged[0].starts_with("[WARNING]\t") && logged[0].ends_with("\t{'a': 1}"));
    assert!(logged[1].starts_with("[WARNING]\t") && logged[1].ends_with("\textra"));
    assert!(logged[2].starts_with("[ERROR]\t") && logged[2].ends_with("\tcaught"));
    assert_eq!(logged[3], "Traceback (most recent call last):");
    assert_eq!(logged.last().unwrap(), "KeyError: 'k'after");
    lambda.shutdown().await;
}

/// An unhandled error in the JSON log format is one JSON record of the error document, written
/// by the answers' encoder (so escaped before python3.12), with a whole-second timestamp.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unhandled_error_is_a_json_record_in_the_json_format() {
    let (lambda, lines) = service(vec![json_logs(
        inline("Fails", "python3.11", "index.fails"),
        "ERROR",
    )]);
    let inv = invoke(&lambda, "Fails", json!({})).await;
    let logged = app_lines(&lines, "Fails");
    assert_eq!(logged.len(), 1, "{logged:#?}");
    let frames = serde_json::to_string(&json(&inv)["stackTrace"]).unwrap();
    assert_eq!(
        untimed(&logged[0]),
        format!(
            r#"{{"timestamp": "<ts>", "level": "ERROR", "errorMessage": "nicht m\u00f6glich", "errorType": "ValueError", "requestId": "{}", "stackTrace": {}}}"#,
            inv.request_id,
            frames.replace("\",\"", "\", \"")
        )
    );
    lambda.shutdown().await;
}

/// awslambdaric's context: `tenant_id` (None outside a tenant-isolated function), and the W3C
/// trace context taken out of the client context into `w3c()`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_context_has_tenant_id_and_w3c() {
    use base64::Engine as _;
    let (lambda, _) = service(vec![inline("Ctx", "python3.12", "index.context_of")]);
    let client_context = base64::engine::general_purpose::STANDARD.encode(
        json!({"custom": {"a": "b"}, "w3c": {"traceparent": "00-abc-01", "baggage": 7}})
            .to_string(),
    );
    let (parts, ()) = http::Request::post("/2015-03-31/functions/Ctx/invocations")
        .header("x-amz-client-context", client_context)
        .body(())
        .unwrap()
        .into_parts();
    let response =
        sluice_lambda::invoke_api::handle(&lambda, &parts, bytes::Bytes::from_static(b"{}")).await;
    assert_eq!(response.status(), 200);
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        answer,
        json!({"tenant_id": null, "w3c": {"traceparent": "00-abc-01"}, "custom": {"a": "b"}, "repr": true})
    );
    lambda.shutdown().await;
}
