//! API Gateway events: the REST proxy (payload 1.0), the HTTP API proxy (payload 2.0) and the two
//! Lambda authorizer inputs, shaped as `sam local generate-event` prints them.

use serde_json::{json, Map, Value};

use super::values::{value, Values};

/// The sample request's headers (a browser behind CloudFront), in SAM's order. `{host}` is
/// replaced: SAM's sample names two different API ids for `Host`, and Sluice keeps both.
const BROWSER_HEADERS: [(&str, &str); 18] = [
    (
        "Accept",
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,*/*;q=0.8",
    ),
    ("Accept-Encoding", "gzip, deflate, sdch"),
    ("Accept-Language", "en-US,en;q=0.8"),
    ("Cache-Control", "max-age=0"),
    ("CloudFront-Forwarded-Proto", "https"),
    ("CloudFront-Is-Desktop-Viewer", "true"),
    ("CloudFront-Is-Mobile-Viewer", "false"),
    ("CloudFront-Is-SmartTV-Viewer", "false"),
    ("CloudFront-Is-Tablet-Viewer", "false"),
    ("CloudFront-Viewer-Country", "US"),
    ("Host", "{host}"),
    ("Upgrade-Insecure-Requests", "1"),
    ("User-Agent", "Custom User Agent String"),
    (
        "Via",
        "1.1 08f323deadbeefa7af34d5feb414ce27.cloudfront.net (CloudFront)",
    ),
    (
        "X-Amz-Cf-Id",
        "cDehVQoZnx43VYQb9j2-nvCh-9z396Uhbp027Y2JvkCPNLmGJHqlaA==",
    ),
    ("X-Forwarded-For", "127.0.0.1, 127.0.0.2"),
    ("X-Forwarded-Port", "443"),
    ("X-Forwarded-Proto", "https"),
];

/// `--path` without one leading `/`: SAM prefixes `/` itself, so `--path /hello` would give
/// `//hello` there; Sluice takes either spelling.
fn request_path(v: &Values) -> &str {
    let path = value(v, "path");
    path.strip_prefix('/').unwrap_or(path)
}

/// `arn:…:execute-api:region:account:api/stage/METHOD/resource`, the ARN authorizers receive.
pub fn method_arn(v: &Values, resource: &str) -> String {
    format!(
        "arn:{}:execute-api:{}:{}:{}/{}/{}/{}",
        value(v, "partition"),
        value(v, "region"),
        value(v, "account-id"),
        value(v, "restApiId"),
        value(v, "stage"),
        value(v, "method"),
        resource
    )
}

/// `--querystringparameters` as SAM reads it: JSON (`{"a": "b"}`) is placed as parsed, any other
/// text as a string.
fn query_string_parameters(given: &str) -> Value {
    serde_json::from_str(given).unwrap_or_else(|_| Value::String(given.to_owned()))
}

/// `apigateway aws-proxy`: a REST API Lambda proxy event, payload 1.0.
pub fn rest_proxy(v: &Values) -> Value {
    let path = request_path(v);
    let (stage, method, resource) = (value(v, "stage"), value(v, "method"), value(v, "resource"));
    let dns_suffix = value(v, "dns-suffix");
    let mut headers = Map::new();
    let mut multi_value_headers = Map::new();
    for (name, text) in BROWSER_HEADERS {
        let single = text.replace("{host}", &format!("1234567890.execute-api.{dns_suffix}"));
        let multi = text.replace("{host}", &format!("0123456789.execute-api.{dns_suffix}"));
        headers.insert((*name).to_owned(), json!(single));
        multi_value_headers.insert((*name).to_owned(), json!([multi]));
    }
    json!({
        "body": value(v, "body"),
        "resource": resource,
        "path": format!("/{path}"),
        "httpMethod": method,
        "isBase64Encoded": true,
        "queryStringParameters": query_string_parameters(value(v, "querystringparameters")),
        "multiValueQueryStringParameters": {"foo": ["bar"]},
        "pathParameters": {"proxy": format!("/{path}")},
        "stageVariables": {"baz": "qux"},
        "headers": headers,
        "multiValueHeaders": multi_value_headers,
        "requestContext": {
            "accountId": value(v, "account-id"),
            "resourceId": "123456",
            "stage": stage,
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "requestTime": "09/Apr/2015:12:34:56 +0000",
            "requestTimeEpoch": 1428582896000_u64,
            "identity": {
                "cognitoIdentityPoolId": null,
                "accountId": null,
                "cognitoIdentityId": null,
                "caller": null,
                "accessKey": null,
                "sourceIp": "127.0.0.1",
                "cognitoAuthenticationType": null,
                "cognitoAuthenticationProvider": null,
                "userArn": null,
                "userAgent": "Custom User Agent String",
                "user": null
            },
            "path": format!("/{stage}/{path}"),
            "resourcePath": resource,
            "httpMethod": method,
            "apiId": "1234567890",
            "protocol": "HTTP/1.1"
        }
    })
}

/// The mutual-TLS client certificate both newer samples carry.
fn client_cert() -> Value {
    json!({
        "clientCertPem": "CERT_CONTENT",
        "subjectDN": "www.example.com",
        "issuerDN": "Example issuer",
        "serialNumber": "a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1",
        "validity": {
            "notBefore": "May 28 12:30:02 2019 GMT",
            "notAfter": "Aug  5 09:36:04 2021 GMT"
        }
    })
}

/// `apigateway http-api-proxy`: an HTTP API Lambda proxy event, payload 2.0.
pub fn http_api_proxy(v: &Values) -> Value {
    let path = format!("/{}", request_path(v));
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "parameter1=value1&parameter1=value2&parameter2=value",
        "cookies": ["cookie1", "cookie2"],
        "headers": {"Header1": "value1", "Header2": "value1,value2"},
        "queryStringParameters": {"parameter1": "value1,value2", "parameter2": "value"},
        "requestContext": {
            "accountId": value(v, "account-id"),
            "apiId": "api-id",
            "authentication": {"clientCert": client_cert()},
            "authorizer": {
                "jwt": {
                    "claims": {"claim1": "value1", "claim2": "value2"},
                    "scopes": ["scope1", "scope2"]
                }
            },
            "domainName": format!("id.execute-api.{}", value(v, "dns-suffix")),
            "domainPrefix": "id",
            "http": {
                "method": value(v, "method"),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "192.168.0.1/32",
                "userAgent": "agent"
            },
            "requestId": "id",
            "routeKey": "$default",
            "stage": value(v, "stage"),
            "time": "12/Mar/2020:19:03:58 +0000",
            "timeEpoch": 1583348638390_u64
        },
        "body": value(v, "body"),
        "pathParameters": {"parameter1": "value1"},
        "isBase64Encoded": true,
        "stageVariables": {"stageVariable1": "value1", "stageVariable2": "value2"}
    })
}

/// `apigateway request-authorizer`: a REQUEST Lambda authorizer's input (REST API).
pub fn request_authorizer(v: &Values) -> Value {
    let resource = value(v, "resource");
    let resource = resource.strip_prefix('/').unwrap_or(resource);
    let path = format!("/{resource}");
    let method = value(v, "method");
    json!({
        "type": "REQUEST",
        "methodArn": method_arn(v, resource),
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {
            "X-AMZ-Date": "20170718T062915Z",
            "Accept": "*/*",
            "HeaderAuth1": "headerValue1",
            "CloudFront-Viewer-Country": "US",
            "CloudFront-Forwarded-Proto": "https",
            "CloudFront-Is-Tablet-Viewer": "false",
            "CloudFront-Is-Mobile-Viewer": "false",
            "User-Agent": "..."
        },
        "queryStringParameters": {"QueryString1": "queryValue1"},
        "pathParameters": {},
        "stageVariables": {"StageVar1": "stageValue1"},
        "requestContext": {
            "path": path,
            "accountId": value(v, "account-id"),
            "resourceId": "05c7jb",
            "stage": value(v, "stage"),
            "requestId": "...",
            "identity": {
                "apiKey": "...",
                "sourceIp": "...",
                "clientCert": client_cert()
            },
            "resourcePath": path,
            "httpMethod": method,
            "apiId": value(v, "restApiId")
        }
    })
}
