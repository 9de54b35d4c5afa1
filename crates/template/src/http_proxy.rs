//! `HTTP_PROXY` integrations, as a REST API (OpenAPI `type: http_proxy`, `AWS::ApiGateway::Method`
//! `Integration.Type: HTTP_PROXY`) or an HTTP API (OpenAPI `type: http_proxy`,
//! `AWS::ApiGatewayV2::Integration` `IntegrationType: HTTP_PROXY`) writes them.
//!
//! AWS refuses to deploy one whose URI is no HTTP URL ("Invalid HTTP endpoint specified for URI",
//! aws/aws-cdk#14984), so such a URI fails the load, naming the property. One through a VPC link
//! (`connectionType: VPC_LINK`) reaches a load balancer inside a VPC, which no local process can:
//! the caller reports it once and its routes answer 500, as for other integrations Sluice does not
//! run.

use crate::error::TemplateError;
use crate::intrinsics::{join_path, Resolver};
use crate::model::HttpProxy;
use crate::yaml_tree::Node;

/// The property names of one way of writing an `HTTP_PROXY` integration.
pub(crate) struct Names {
    uri: &'static str,
    method: &'static str,
    connection_type: &'static str,
    /// REST only: HTTP APIs map parameters with their own `RequestParameters` syntax.
    request_parameters: Option<&'static str>,
    /// REST: AWS refuses an integration without a method ("Enumeration value for HttpMethod must
    /// be non-empty"). HTTP APIs: CDK and SAM always write one; Sluice takes none as `ANY`.
    method_required: bool,
}

/// A REST API's `x-amazon-apigateway-integration`.
pub(crate) const REST_OPENAPI: Names = Names {
    uri: "uri",
    method: "httpMethod",
    connection_type: "connectionType",
    request_parameters: Some("requestParameters"),
    method_required: true,
};

/// An `AWS::ApiGateway::Method`'s `Integration`.
pub(crate) const REST_CLOUDFORMATION: Names = Names {
    uri: "Uri",
    method: "IntegrationHttpMethod",
    connection_type: "ConnectionType",
    request_parameters: Some("RequestParameters"),
    method_required: true,
};

/// An HTTP API's `x-amazon-apigateway-integration`.
pub(crate) const HTTP_OPENAPI: Names = Names {
    uri: "uri",
    method: "httpMethod",
    connection_type: "connectionType",
    request_parameters: None,
    method_required: false,
};

/// An `AWS::ApiGatewayV2::Integration`.
pub(crate) const HTTP_CLOUDFORMATION: Names = Names {
    uri: "IntegrationUri",
    method: "IntegrationMethod",
    connection_type: "ConnectionType",
    request_parameters: None,
    method_required: false,
};

/// What an `HTTP_PROXY` integration loads to.
#[derive(Debug)]
pub(crate) enum Read {
    /// A public endpoint, which Sluice calls.
    Proxy(HttpProxy),
    /// An endpoint behind a VPC link, which Sluice cannot reach.
    VpcLink,
}

impl Read {
    /// What a route through a VPC link is reported as.
    pub(crate) const VPC_LINK_KIND: &'static str = "HTTP_PROXY over VPC_LINK";
}

/// Reads the `HTTP_PROXY` integration `node` (at `path`), written with `names`.
pub(crate) fn read(
    node: &Node,
    path: &str,
    names: &Names,
    resolver: &Resolver<'_>,
) -> Result<Read, TemplateError> {
    let text = |key: &str| match node.get(key) {
        Some(value) => resolver.eval_string(value, &join_path(path, key)),
        None => Ok(None),
    };
    match text(names.connection_type)?.as_deref() {
        None | Some("INTERNET") => {}
        Some("VPC_LINK") => return Ok(Read::VpcLink),
        Some(other) => {
            return Err(resolver.error_hint(
                node.get(names.connection_type).unwrap_or(node),
                &join_path(path, names.connection_type),
                format!("{other:?} is not a connection type"),
                Some("use INTERNET (the default) or VPC_LINK".into()),
            ))
        }
    }
    let method = text(names.method)?.unwrap_or_default().to_ascii_uppercase();
    let method = match (method.is_empty(), names.method_required) {
        (false, _) => method,
        (true, false) => "ANY".to_owned(),
        (true, true) => {
            return Err(resolver.error_hint(
                node,
                &join_path(path, names.method),
                "an HTTP_PROXY integration needs the HTTP method to call its endpoint with",
                Some(format!(
                    "add {}: ANY (the client's method) or GET, POST…",
                    names.method
                )),
            ))
        }
    };
    let uri = text(names.uri)?.unwrap_or_default();
    check_endpoint(
        &uri,
        node.get(names.uri).unwrap_or(node),
        &join_path(path, names.uri),
        resolver,
    )?;
    let request_parameters = match names
        .request_parameters
        .and_then(|key| Some((key, node.get(key)?)))
    {
        Some((key, params)) => resolver.eval_string_map(params, &join_path(path, key))?,
        None => Default::default(),
    };
    Ok(Read::Proxy(HttpProxy {
        method,
        uri,
        request_parameters,
    }))
}

/// Refuses a URI that is no HTTP endpoint, as AWS's PutIntegration does for `HTTP` and
/// `HTTP_PROXY` integrations ("Invalid HTTP endpoint specified for URI"); a stage variable may
/// hold the whole URL. `at` and `path` name the URI's property.
pub(crate) fn check_endpoint(
    uri: &str,
    at: &Node,
    path: &str,
    resolver: &Resolver<'_>,
) -> Result<(), TemplateError> {
    let lower = uri.to_ascii_lowercase();
    if ["http://", "https://", "${stagevariables."]
        .iter()
        .any(|prefix| lower.starts_with(prefix))
    {
        return Ok(());
    }
    Err(resolver.error_hint(
        at,
        path,
        format!("{uri:?} is not an HTTP endpoint (AWS: Invalid HTTP endpoint specified for URI)"),
        Some("use the endpoint's URL, e.g. https://example.com/items/{id}".into()),
    ))
}
