//! Hello world as a `provided.al2023` function built with `lambda_http`.

use lambda_http::{run, service_fn, Body, Error, Request, RequestExt, Response};

async fn hello(event: Request) -> Result<Response<Body>, Error> {
    let name = event
        .query_string_parameters_ref()
        .and_then(|q| q.first("name"))
        .unwrap_or("world")
        .to_owned();
    let body = serde_json::json!({ "message": format!("Hello, {name}!") }).to_string();
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Body::from(body))?)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(hello)).await
}
