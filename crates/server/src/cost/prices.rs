//! The one price table: what AWS charges for the parts of a request Sluice emulates. Public list
//! prices, first tier, no free tier; check <https://aws.amazon.com/lambda/pricing/>,
//! <https://aws.amazon.com/api-gateway/pricing/> and <https://aws.amazon.com/dynamodb/pricing/>
//! when they change, and move [`PRICES_AS_OF`] with them.

/// When the figures below were read from AWS's pricing pages.
pub const PRICES_AS_OF: &str = "2025-01";

/// Prices in US dollars for one region.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prices {
    /// The region these are for.
    pub region: &'static str,
    /// Lambda, per request.
    pub lambda_request: f64,
    /// Lambda, per GB-second of billed duration on x86_64.
    pub lambda_gb_second_x86: f64,
    /// Lambda, per GB-second of billed duration on arm64.
    pub lambda_gb_second_arm: f64,
    /// API Gateway REST API, per request (first 333 million a month).
    ///
    /// Refused requests are free: "Calling methods with the authorization type of AWS_IAM,
    /// CUSTOM, and COGNITO_USER_POOLS are not charged for authorization and authentication
    /// failures. Calling methods requiring API keys are not charged when API keys are missing or
    /// invalid. API Gateway-throttled requests are not charged when the request rate or burst
    /// rate exceeds the preconfigured limits. Usage plan-throttled requests are not charged when
    /// rate limits or quota exceed the preconfigured limits." (API Gateway developer guide, "API
    /// Gateway pricing": docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-pricing.html).
    /// Sluice applies the same to HTTP APIs (JWT and Lambda authorizers, throttles): the pricing
    /// page bills "the API calls you receive" for both and names no difference.
    pub rest_api_request: f64,
    /// API Gateway HTTP API, per request (first 300 million a month, up to 512 KB each).
    pub http_api_request: f64,
    /// Lambda function URL, per request: no charge beyond the function's own.
    pub function_url_request: f64,
    /// DynamoDB on-demand, per write request unit (1 KB written; transactional writes cost two;
    /// the store counts them, see `DynamoDb::consumed_units`).
    pub dynamodb_write_unit: f64,
    /// DynamoDB on-demand, per read request unit (4 KB strongly consistent, or 8 KB eventually
    /// consistent; transactional reads cost two).
    pub dynamodb_read_unit: f64,
}

/// The regions the table knows, the first being the fallback.
const TABLE: &[Prices] = &[Prices {
    region: "us-east-1",
    lambda_request: 0.20 / 1e6,
    lambda_gb_second_x86: 0.000_016_666_7,
    lambda_gb_second_arm: 0.000_013_333_4,
    rest_api_request: 3.50 / 1e6,
    http_api_request: 1.00 / 1e6,
    function_url_request: 0.0,
    // After the November 2024 on-demand price cut.
    dynamodb_write_unit: 0.625 / 1e6,
    dynamodb_read_unit: 0.125 / 1e6,
}];

/// The prices for `region`, and whether they are another region's stand-in (the table is small;
/// most regions cost within a few percent of us-east-1).
pub fn for_region(region: &str) -> (Prices, bool) {
    match TABLE.iter().find(|p| p.region == region) {
        Some(prices) => (*prices, false),
        None => (TABLE[0], true),
    }
}
