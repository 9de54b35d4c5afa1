//! Function URLs in `RESPONSE_STREAM` mode, and REST routes in `ResponseTransferMode: STREAM`,
//! with a fake streaming Lambda: the head comes from the HTTP prelude, body frames go out as the
//! function sends them, and failures are answered as AWS answers them before and after the head.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::BodyExt;
use sluice_apigw::{
    Apis, FunctionAnswer, Gateway, GatewayOptions, Invoke, InvokeFuture, ResponseStream,
    StreamFailed, StreamingInvokeFuture,
};
use sluice_template::{Cors, FunctionUrl, FunctionUrlAuth, InvokeMode, RestApi, Route};
use tokio::sync::mpsc;

use crate::{get, remote, request};

type Chunk = Result<Bytes, StreamFailed>;

/// Streams what the test sends through `next`; counts buffered invocations.
struct StreamingLambda {
    next: Mutex<Option<mpsc::Receiver<Chunk>>>,
    buffered: Mutex<usize>,
}

impl Invoke for StreamingLambda {
    fn invoke<'a>(&'a self, _: &'a str, _: Bytes, _: Option<&'a str>) -> InvokeFuture<'a> {
        *self.buffered.lock().unwrap() += 1;
        Box::pin(async { Ok(Bytes::from_static(br#"{"statusCode":202,"body":"whole"}"#)) })
    }

    fn invoke_streaming<'a>(
        &'a self,
        _: &'a str,
        _: Bytes,
        _: Option<&'a str>,
    ) -> StreamingInvokeFuture<'a> {
        let chunks = self
            .next
            .lock()
            .unwrap()
            .take()
            .expect("one stream per test");
        Box::pin(async move {
            Ok(FunctionAnswer::Streamed(ResponseStream {
                content_type: "application/vnd.awslambda.http-integration-response".into(),
                chunks: Box::new(chunks),
            }))
        })
    }
}

fn url(function: &str, name: &str, mode: InvokeMode) -> FunctionUrl {
    FunctionUrl {
        function: function.into(),
        function_name: name.into(),
        qualifier: None,
        auth: FunctionUrlAuth::None,
        cors: Some(Cors {
            allow_origins: vec!["*".into()],
            ..Cors::default()
        }),
        invoke_mode: mode,
    }
}

/// A gateway over one streaming and one buffered URL, and the sender of the stream's chunks.
fn streaming_gateway() -> (Gateway, Arc<StreamingLambda>, mpsc::Sender<Chunk>) {
    let (sender, receiver) = mpsc::channel(8);
    let lambda = Arc::new(StreamingLambda {
        next: Mutex::new(Some(receiver)),
        buffered: Mutex::new(0),
    });
    let urls = [
        url("Streamer", "streamer", InvokeMode::ResponseStream),
        url("Whole", "whole", InvokeMode::Buffered),
    ];
    let gateway = Gateway::serving(
        Apis {
            function_urls: &urls,
            ..Apis::default()
        },
        lambda.clone(),
        GatewayOptions::default(),
    )
    .expect("valid routes");
    (gateway, lambda, sender)
}

fn data(bytes: &'static [u8]) -> Chunk {
    Ok(Bytes::from_static(bytes))
}

#[tokio::test]
async fn each_chunk_goes_out_as_the_function_sends_it() {
    let (gateway, lambda, sender) = streaming_gateway();
    sender
        .send(data(
            br#"{"statusCode":201,"headers":{"x-a":"1"},"cookies":["c=1"]}"#,
        ))
        .await
        .unwrap();
    sender.send(data(b"\0\0\0\0\0\0\0\0first")).await.unwrap();
    let response = gateway
        .handle(
            request("GET", "/lambda-url/streamer/")
                .header("origin", "http://example.com")
                .body(http_body_util::Full::new(Bytes::new()))
                .unwrap(),
            remote(),
        )
        .await;
    assert_eq!(response.status(), 201);
    let headers = response.headers();
    assert_eq!(headers["x-a"], "1");
    assert_eq!(headers["set-cookie"], "c=1");
    assert_eq!(headers["access-control-allow-origin"], "*", "CORS applies");
    assert!(headers.contains_key("x-amzn-requestid"), "stamped");
    let mut body = response.into_body();
    let frame = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(&frame[..], b"first");
    // The next frame exists only once the function sends it.
    sender.send(data(b"second")).await.unwrap();
    let frame = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(&frame[..], b"second");
    drop(sender);
    assert!(body.frame().await.is_none(), "the stream ended complete");
    assert_eq!(*lambda.buffered.lock().unwrap(), 0);

    // A BUFFERED URL is invoked as before.
    let response = gateway.handle(get("/lambda-url/whole/"), remote()).await;
    assert_eq!(response.status(), 202);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"whole");
    assert_eq!(*lambda.buffered.lock().unwrap(), 1);
}

#[tokio::test]
async fn a_failure_before_the_head_is_a_502_and_after_it_cuts_the_body() {
    let failed = || {
        Err(StreamFailed {
            payload: Bytes::from_static(br#"{"errorType":"Error","errorMessage":"boom"}"#),
        })
    };
    let (gateway, _, sender) = streaming_gateway();
    sender.send(failed()).await.unwrap();
    let response = gateway.handle(get("/lambda-url/streamer/"), remote()).await;
    assert_eq!(response.status(), 502);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"Internal Server Error");

    let (gateway, _, sender) = streaming_gateway();
    sender
        .send(data(b"{\"statusCode\":200}\0\0\0\0\0\0\0\0partial"))
        .await
        .unwrap();
    sender.send(failed()).await.unwrap();
    let response = gateway.handle(get("/lambda-url/streamer/"), remote()).await;
    assert_eq!(response.status(), 200);
    let mut body = response.into_body();
    let frame = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(&frame[..], b"partial");
    assert!(body.frame().await.unwrap().is_err(), "the body is cut off");
}

/// A REST API with one streaming and one buffered Lambda proxy route.
fn rest_streaming_gateway() -> (Gateway, Arc<StreamingLambda>, mpsc::Sender<Chunk>) {
    let (sender, receiver) = mpsc::channel(8);
    let lambda = Arc::new(StreamingLambda {
        next: Mutex::new(Some(receiver)),
        buffered: Mutex::new(0),
    });
    let route = |path: &str, streams: bool| Route {
        method: "GET".into(),
        path: path.into(),
        function: "Chat".into(),
        event_name: "Chat".into(),
        streams,
        ..Route::default()
    };
    let rest = [RestApi {
        logical_id: "ServerlessRestApi".into(),
        stage_name: "Prod".into(),
        stage_variables: Default::default(),
        binary_media_types: Vec::new(),
        routes: vec![route("/stream", true), route("/whole", false)],
        cors: None,
        gateway_responses: Vec::new(),
        resource_policy: None,
    }];
    let gateway = Gateway::serving(
        Apis {
            rest: &rest,
            ..Apis::default()
        },
        lambda.clone(),
        GatewayOptions::default(),
    )
    .expect("valid routes");
    (gateway, lambda, sender)
}

/// AWS's streaming format for REST Lambda proxies ("Set up a Lambda proxy integration with
/// payload response streaming"): a JSON prelude with `statusCode`, `headers`,
/// `multiValueHeaders` and `cookies`, 8 NUL bytes, then the payload, sent on as it arrives; the
/// REST API's own header rules apply to the prelude's headers.
#[tokio::test]
async fn a_rest_route_in_stream_mode_relays_the_prelude_head_and_the_body_as_written() {
    let (gateway, lambda, sender) = rest_streaming_gateway();
    sender
        .send(data(
            br#"{"statusCode":201,"headers":{"content-type":"text/event-stream","Server":"fn"},"multiValueHeaders":{"x-m":["a","b"]},"cookies":["c=1","d=2"]}"#,
        ))
        .await
        .unwrap();
    sender
        .send(data(b"\0\0\0\0\0\0\0\0data: 1\n\n"))
        .await
        .unwrap();
    let response = gateway.handle(get("/stream"), remote()).await;
    assert_eq!(response.status(), 201);
    let headers = response.headers();
    assert_eq!(headers["content-type"], "text/event-stream");
    assert_eq!(
        headers["x-amzn-remapped-server"], "fn",
        "REST remapping applies"
    );
    let values = |name: &str| -> Vec<&str> {
        headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect()
    };
    assert_eq!(values("x-m"), ["a", "b"]);
    assert_eq!(values("set-cookie"), ["c=1", "d=2"]);
    assert!(headers.contains_key("x-amz-apigw-id"), "stamped as REST");
    let mut body = response.into_body();
    let frame = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(&frame[..], b"data: 1\n\n");
    sender.send(data(b"data: 2\n\n")).await.unwrap();
    let frame = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(&frame[..], b"data: 2\n\n");
    drop(sender);
    assert!(body.frame().await.is_none(), "the stream ended complete");
    assert_eq!(*lambda.buffered.lock().unwrap(), 0);

    // A BUFFERED route of the same API is invoked as before.
    let response = gateway.handle(get("/whole"), remote()).await;
    assert_eq!(response.status(), 202);
    assert_eq!(*lambda.buffered.lock().unwrap(), 1);
}
