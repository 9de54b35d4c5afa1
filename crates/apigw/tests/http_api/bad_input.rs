//! Bad input never panics and still gives readable events.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use bytes::Bytes;
use http_body_util::Full;

use proptest::prelude::*;

use crate::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Odd bytes in paths, queries, cookies and headers (invalid percent-encoding, non-UTF-8
    /// header values, huge query strings) never panic, and every event still reads as
    /// `aws_lambda_events` expects.
    #[test]
    fn odd_requests_still_build_readable_events(
        path in "/[a-z%0-9/{}+.~ -]{0,40}",
        query in "[a-z%=&+;0-9]{0,2000}",
        cookie in proptest::collection::vec(any::<u8>().prop_filter("header bytes", |b| *b >= 0x20 && *b != 0x7f), 0..40),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let h = harness(Behaviour::Respond("{}"));
        let uri = format!("{}?{query}", path.replace(' ', "%20"));
        let Ok(request) = request("GET", &uri)
            .header("cookie", http::HeaderValue::from_bytes(&cookie).expect("filtered bytes"))
            .body(Full::new(Bytes::new()))
        else {
            // Not a URI hyper would ever hand the gateway.
            return Ok(());
        };
        let (response, _) = runtime.block_on(h.send(request));
        prop_assert!(response.status() == 200 || response.status() == 404);
        if h.invocations() > 0 {
            let (_, event) = h.last_event();
            let parsed: Result<ApiGatewayV2httpRequest, _> = serde_json::from_value(event);
            prop_assert!(parsed.is_ok(), "{parsed:?}");
        }
    }
}
