//! Response inference, cookies and the answers AWS gives when the function fails.

use crate::*;

#[tokio::test]
async fn responses_are_inferred_and_cookies_set() {
    let h = harness(Behaviour::Respond(r#"{"hello":"world"}"#));
    let (response, body) = h.send(get("/items/1")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), Some("application/json"));
    assert_eq!(&body[..], br#"{"hello":"world"}"#);
    let request_id = header(&response, "apigw-requestid").expect("stamped");
    assert_eq!(request_id.len(), 16);
    assert!(header(&response, "x-amzn-requestid").is_none());

    let h = harness(Behaviour::Respond(
        r#"{"statusCode":302,"headers":{"location":"/x"},"cookies":["a=1","b=2; Secure"]}"#,
    ));
    let (response, _) = h.send(get("/items/1")).await;
    assert_eq!(response.status(), 302);
    let cookies: Vec<_> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert_eq!(cookies, vec!["a=1", "b=2; Secure"]);
    assert_eq!(header(&response, "location"), Some("/x"));
}

#[tokio::test]
async fn function_errors_and_bad_answers_are_500() {
    for behaviour in [
        Behaviour::FunctionError,
        Behaviour::Respond(r#"{"statusCode":"abc"}"#),
        Behaviour::Respond("not json"),
    ] {
        let h = harness(behaviour);
        let (response, body) = h.send(get("/items/1")).await;
        assert_eq!(response.status(), 500);
        assert_eq!(&body[..], br#"{"message":"Internal Server Error"}"#);
        assert!(header(&response, "apigw-requestid").is_some());
    }
}

#[tokio::test]
async fn a_route_timeout_is_503_service_unavailable() {
    let h = harness(Behaviour::Hang);
    let (response, body) = h.send(get("/slow")).await;
    assert_eq!(response.status(), 503);
    assert_eq!(&body[..], br#"{"message":"Service Unavailable"}"#);
}
