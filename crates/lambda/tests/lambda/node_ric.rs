//! Sluice's node bootstrap against AWS's own runtime client (aws-lambda-ric 3.3.0, the code of
//! Lambda's node runtimes, run as `provided.al2023`'s bootstrap beside the same handlers): the
//! answers and log records below are the ones aws-lambda-ric wrote.

use serde_json::{json, Value};

use crate::harness::{invoke, json, node, service, Lines};

/// The handlers these tests run, as one inline module.
const CODE: &str = r#"class MyError extends Error {}
MyError.prototype.name = "MyError";
exports.custom = async () => { const e = new MyError("m"); e.extra = 5; throw e; };
exports.text = async () => { throw "just a string"; };
exports.lines = async () => { console.log("a\nb"); return 1; };
exports.records = async () => {
  console.log({ a: 1 });
  console.log("%s=%d", "x", 5);
  console.error(new TypeError("t"));
  console.warn("w", new RangeError("r"));
  console.fatal("f");
  return 1;
};
exports.circular = async () => { const o = {}; o.o = o; return o; };
exports.context = async (event, context) => ({ tenant: "tenantId" in context, value: context.tenantId ?? null });
"#;

fn inline(name: &str, handler: &str) -> sluice_lambda::FunctionSpec {
    let mut spec = node(name, handler);
    spec.code = sluice_lambda::CodeSource::Inline(CODE.into());
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

/// A text-format error record, `<time>\t<request id>\tERROR\t<prefix> \t<json>`: its JSON.
fn text_error_record(line: &str, request_id: &str, prefix: &str) -> Value {
    let head = format!("\t{request_id}\tERROR\t{prefix} \t");
    let at = line
        .find(&head)
        .unwrap_or_else(|| panic!("no {head:?} in {line:?}"));
    assert_eq!(at, 24, "{line:?}");
    serde_json::from_str(&line[at + head.len()..]).unwrap()
}

/// aws-lambda-ric logs an invocation's error with the error's own enumerable fields and its
/// stack as `stack` (the answer's document keeps `trace`); a thrown non-Error is logged as
/// `new Error(value)` and answered as its type.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoke_errors_are_logged_with_their_own_fields_and_stack() {
    let (lambda, lines) = service(vec![
        inline("Custom", "index.custom"),
        inline("Text", "index.text"),
    ]);
    let inv = invoke(&lambda, "Custom", json!({})).await;
    let answer = json(&inv);
    assert_eq!(answer["errorType"], "MyError");
    assert_eq!(answer["trace"][0], "MyError: m");
    assert_eq!(
        answer.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["errorType", "errorMessage", "trace"]
    );
    let logged = app_lines(&lines, "Custom");
    assert_eq!(logged.len(), 1, "{logged:#?}");
    let record = text_error_record(&logged[0], &inv.request_id, "Invoke Error");
    assert_eq!(
        record.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["errorType", "errorMessage", "extra", "stack"],
        "{record}"
    );
    assert_eq!(record["errorType"], "MyError");
    assert_eq!(record["errorMessage"], "m");
    assert_eq!(record["extra"], 5);
    assert_eq!(record["stack"], answer["trace"]);

    let inv = invoke(&lambda, "Text", json!({})).await;
    assert_eq!(
        json(&inv),
        json!({"errorType": "string", "errorMessage": "just a string", "trace": []})
    );
    let logged = app_lines(&lines, "Text");
    let record = text_error_record(&logged[0], &inv.request_id, "Invoke Error");
    assert_eq!(record["errorType"], "Error", "{record}");
    assert_eq!(record["errorMessage"], "just a string", "{record}");
    assert_eq!(record["stack"][0], "Error: just a string", "{record}");
    lambda.shutdown().await;
}

/// A console record's newlines become carriage returns, so a multi-line message stays one
/// log event, as aws-lambda-ric writes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multi_line_console_message_is_one_record() {
    let (lambda, lines) = service(vec![inline("Lines", "index.lines")]);
    let inv = invoke(&lambda, "Lines", json!({})).await;
    let logged = app_lines(&lines, "Lines");
    assert_eq!(logged.len(), 1, "{logged:#?}");
    assert!(
        logged[0].ends_with(&format!("\t{}\tINFO\ta\rb", inv.request_id)),
        "{:?}",
        logged[0]
    );
    lambda.shutdown().await;
}

/// The JSON format as aws-lambda-ric writes it: a lone argument is the message as it is (an
/// object stays an object, an Error becomes its constructor's name, message, stack lines), several
/// are formatted with their first Error's fields added; `console.fatal` exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_records_keep_a_lone_value_and_describe_errors() {
    let mut spec = inline("Records", "index.records");
    spec.environment
        .insert("AWS_LAMBDA_LOG_FORMAT".into(), "JSON".into());
    let (lambda, lines) = service(vec![spec]);
    let inv = invoke(&lambda, "Records", json!({})).await;
    let records: Vec<Value> = app_lines(&lines, "Records")
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    assert_eq!(records.len(), 5, "{records:#?}");
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        keys(&records[0]),
        ["timestamp", "level", "requestId", "message"]
    );
    assert_eq!(records[0]["requestId"], json!(inv.request_id));
    assert_eq!(records[0]["message"], json!({"a": 1}));
    assert_eq!(records[1]["message"], "x=5");
    let error = &records[2]["message"];
    assert_eq!(records[2]["level"], "ERROR");
    assert_eq!(keys(error), ["errorType", "errorMessage", "stackTrace"]);
    assert_eq!(error["errorType"], "TypeError");
    assert_eq!(error["errorMessage"], "t");
    assert_eq!(error["stackTrace"][0], "TypeError: t");
    assert_eq!(records[3]["level"], "WARN");
    assert_eq!(
        keys(&records[3]),
        [
            "timestamp",
            "level",
            "requestId",
            "message",
            "errorType",
            "errorMessage",
            "stackTrace"
        ]
    );
    assert!(
        records[3]["message"]
            .as_str()
            .unwrap()
            .starts_with("w RangeError: r\n    at "),
        "{}",
        records[3]
    );
    assert_eq!(records[3]["errorType"], "RangeError");
    assert_eq!(records[4]["level"], "FATAL");
    assert_eq!(records[4]["message"], "f");
    lambda.shutdown().await;
}

/// An answer JSON cannot hold is aws-lambda-ric's plain Error, with its stack.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unserializable_answer_is_a_plain_error() {
    let (lambda, _) = service(vec![inline("Circular", "index.circular")]);
    let inv = invoke(&lambda, "Circular", json!({})).await;
    assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
    let err = json(&inv);
    assert_eq!(err["errorType"], "Error");
    assert_eq!(err["errorMessage"], "Unable to stringify response body");
    assert_eq!(err["trace"][0], "Error: Unable to stringify response body");
    assert!(err["trace"].as_array().unwrap().len() > 1, "{err}");
    lambda.shutdown().await;
}

/// aws-lambda-ric names only a missing module or a syntax error itself: any other exception
/// while the module loads is reported as it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exception_at_import_is_reported_as_itself() {
    let mut spec = node("Throws", "index.handler");
    spec.code = sluice_lambda::CodeSource::Inline(
        "throw new RangeError(\"boom at import\");\nexports.handler = async () => 1;\n".into(),
    );
    let (lambda, lines) = service(vec![spec]);
    let inv = invoke(&lambda, "Throws", json!({})).await;
    let err = json(&inv);
    assert_eq!(err["errorType"], "RangeError", "{err}");
    assert_eq!(err["errorMessage"], "boom at import", "{err}");
    assert_eq!(err["trace"][0], "RangeError: boom at import", "{err}");
    assert!(
        err["trace"][1].as_str().unwrap().contains("index.js:1:"),
        "{err}"
    );
    let logged = app_lines(&lines, "Throws");
    let record = text_error_record(&logged[0], "undefined", "Uncaught Exception");
    assert_eq!(record["errorType"], "RangeError", "{record}");
    assert_eq!(record["stack"], err["trace"], "{record}");
    lambda.shutdown().await;
}

/// aws-lambda-ric's context has `tenantId` (undefined outside a tenant-isolated function).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_context_has_tenant_id() {
    let (lambda, _) = service(vec![inline("Ctx", "index.context")]);
    let inv = invoke(&lambda, "Ctx", json!({})).await;
    assert_eq!(json(&inv), json!({"tenant": true, "value": null}));
    lambda.shutdown().await;
}
