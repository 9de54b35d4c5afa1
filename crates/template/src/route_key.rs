//! An HTTP API route key (`GET /items/{id}`, `ANY /{proxy+}`, `$default`) as
//! `AWS::ApiGatewayV2::Route` and quick create's `RouteKey` write it, and what API Gateway refuses.
//!
//! AWS ("Create routes for HTTP APIs in API Gateway",
//! <https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html>):
//! a route is an HTTP method and a resource path (`GET /pets`), `ANY` for every method, or the
//! catch-all `$default`. Anything else is refused by CreateRoute with a `BadRequestException` (the
//! exact wording is not recorded in any source we found), so the template is refused here rather
//! than the key being served as something else.

use crate::model::DEFAULT_ROUTE;
use crate::route_path::{PathError, ResourcePath};

/// Methods an HTTP API route may name (`ANY`: every method).
pub(crate) const HTTP_METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];

/// The route keys of WebSocket APIs, which an HTTP API does not have.
const WEBSOCKET_KEYS: &[&str] = &["$connect", "$disconnect"];

/// Why a route key is not one an HTTP API accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RouteKeyError {
    /// `$connect` / `$disconnect`: a WebSocket API's route.
    #[error("{0:?} is a WebSocket route key; an HTTP API has no such route")]
    WebSocket(String),
    /// One word that is not `$default` (`foo`, `GET`, `/items`).
    #[error("{0:?} is not a route key (expected \"METHOD /path\" or $default)")]
    NotMethodAndPath(String),
    /// `FETCH /items`.
    #[error("{method:?} is not an HTTP method (expected one of {})", HTTP_METHODS.join(", "))]
    NotAMethod {
        /// The method as written.
        method: String,
    },
    /// `GET items`, `GET /a//b`.
    #[error("invalid path {path:?} in the route key: {error}")]
    Path {
        /// The path as written.
        path: String,
        /// What API Gateway refuses in it.
        error: PathError,
    },
}

impl RouteKeyError {
    /// The obvious fix.
    pub(crate) fn hint(&self) -> &'static str {
        match self {
            RouteKeyError::WebSocket(_) => {
                "$connect and $disconnect belong to ProtocolType: WEBSOCKET; an HTTP API routes e.g. GET /items or $default"
            }
            RouteKeyError::NotMethodAndPath(_) => {
                "write a method, one space and the path, e.g. GET /items (ANY for every method), or $default"
            }
            RouteKeyError::NotAMethod { .. } => "use ANY to route every method",
            RouteKeyError::Path { .. } => {
                "write the path as API Gateway does, e.g. /items/{id} or /{proxy+}"
            }
        }
    }
}

/// Splits a route key into its method (upper-cased) and path; `$default` is `ANY $default`.
pub(crate) fn parse(route_key: &str) -> Result<(String, String), RouteKeyError> {
    if route_key == DEFAULT_ROUTE {
        return Ok(("ANY".to_owned(), DEFAULT_ROUTE.to_owned()));
    }
    let Some((method_text, path)) = route_key.split_once(' ') else {
        if WEBSOCKET_KEYS.contains(&route_key) {
            return Err(RouteKeyError::WebSocket(route_key.to_owned()));
        }
        return Err(RouteKeyError::NotMethodAndPath(route_key.to_owned()));
    };
    let method = method_text.to_ascii_uppercase();
    if !HTTP_METHODS.contains(&method.as_str()) {
        return Err(RouteKeyError::NotAMethod {
            method: method_text.to_owned(),
        });
    }
    if let Err(error) = ResourcePath::parse(path) {
        return Err(RouteKeyError::Path {
            path: path.to_owned(),
            error,
        });
    }
    Ok((method, path.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_and_path_and_default_are_route_keys() {
        assert_eq!(
            parse("GET /items/{id}"),
            Ok(("GET".to_owned(), "/items/{id}".to_owned()))
        );
        assert_eq!(
            parse("ANY /{proxy+}"),
            Ok(("ANY".to_owned(), "/{proxy+}".to_owned()))
        );
        assert_eq!(
            parse("$default"),
            Ok(("ANY".to_owned(), "$default".to_owned()))
        );
    }

    #[test]
    fn anything_else_is_refused_saying_why() {
        assert_eq!(
            parse("foo"),
            Err(RouteKeyError::NotMethodAndPath("foo".to_owned()))
        );
        assert_eq!(
            parse("$connect"),
            Err(RouteKeyError::WebSocket("$connect".to_owned()))
        );
        assert_eq!(
            parse("$disconnect"),
            Err(RouteKeyError::WebSocket("$disconnect".to_owned()))
        );
        assert_eq!(
            parse("FETCH /items"),
            Err(RouteKeyError::NotAMethod {
                method: "FETCH".to_owned()
            })
        );
        assert_eq!(
            parse("GET items"),
            Err(RouteKeyError::Path {
                path: "items".to_owned(),
                error: PathError::NoLeadingSlash
            })
        );
    }
}
