//! Which resource types a template may name: SAM's, and the CloudFormation types templates commonly
//! use, so a typo (`AWS::Serverless::Functon`) is an error with a "did you mean" instead of a
//! resource silently dropped. CloudFormation has over a thousand types; one we do not list is still
//! accepted (with the usual "not emulated" warning) unless it is a near miss of one we do.

/// Every type the SAM transform defines.
const SAM_TYPES: &[&str] = &[
    "AWS::Serverless::Function",
    "AWS::Serverless::Api",
    "AWS::Serverless::HttpApi",
    "AWS::Serverless::SimpleTable",
    "AWS::Serverless::LayerVersion",
    "AWS::Serverless::Application",
    "AWS::Serverless::StateMachine",
    "AWS::Serverless::Connector",
    "AWS::Serverless::GraphQLApi",
    "AWS::Serverless::CapacityProvider",
    "AWS::Serverless::WebSocketApi",
    "AWS::Serverless::WebFunction",
    "AWS::Serverless::MicrovmImage",
    "AWS::Serverless::NetworkConnector",
];

/// CloudFormation types that serverless templates commonly use.
const CLOUDFORMATION_TYPES: &[&str] = &[
    "AWS::Lambda::Function",
    "AWS::Lambda::Permission",
    "AWS::Lambda::LayerVersion",
    "AWS::Lambda::LayerVersionPermission",
    "AWS::Lambda::Version",
    "AWS::Lambda::Alias",
    "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::EventInvokeConfig",
    "AWS::Lambda::Url",
    "AWS::DynamoDB::Table",
    "AWS::DynamoDB::GlobalTable",
    "AWS::ApiGateway::RestApi",
    "AWS::ApiGateway::Resource",
    "AWS::ApiGateway::Method",
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::Stage",
    "AWS::ApiGateway::Authorizer",
    "AWS::ApiGateway::ApiKey",
    "AWS::ApiGateway::UsagePlan",
    "AWS::ApiGateway::UsagePlanKey",
    "AWS::ApiGateway::DomainName",
    "AWS::ApiGateway::BasePathMapping",
    "AWS::ApiGateway::Model",
    "AWS::ApiGateway::GatewayResponse",
    "AWS::ApiGateway::RequestValidator",
    "AWS::ApiGateway::Account",
    "AWS::ApiGateway::VpcLink",
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::Integration",
    "AWS::ApiGatewayV2::Stage",
    "AWS::ApiGatewayV2::Authorizer",
    "AWS::ApiGatewayV2::DomainName",
    "AWS::ApiGatewayV2::ApiMapping",
    // Real types one or two edits from a REST (v1) type above, so the typo check needs them listed.
    "AWS::ApiGatewayV2::Deployment",
    "AWS::ApiGatewayV2::Model",
    "AWS::ApiGatewayV2::VpcLink",
    "AWS::ApiGatewayV2::RouteResponse",
    "AWS::ApiGatewayV2::IntegrationResponse",
    "AWS::ApiGatewayV2::ApiGatewayManagedOverrides",
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::User",
    "AWS::IAM::Group",
    "AWS::IAM::InstanceProfile",
    "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy",
    "AWS::SQS::Queue",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::Topic",
    "AWS::SNS::Subscription",
    "AWS::SNS::TopicPolicy",
    "AWS::Events::Rule",
    "AWS::Events::EventBus",
    "AWS::Scheduler::Schedule",
    "AWS::Pipes::Pipe",
    "AWS::Logs::LogGroup",
    "AWS::Logs::SubscriptionFilter",
    "AWS::Logs::MetricFilter",
    "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::Dashboard",
    "AWS::KMS::Key",
    "AWS::KMS::Alias",
    "AWS::SecretsManager::Secret",
    "AWS::SSM::Parameter",
    "AWS::StepFunctions::StateMachine",
    "AWS::Kinesis::Stream",
    "AWS::KinesisFirehose::DeliveryStream",
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::Cognito::UserPoolDomain",
    "AWS::Cognito::IdentityPool",
    "AWS::CloudFormation::Stack",
    "AWS::CloudFormation::CustomResource",
    "AWS::CloudFormation::WaitCondition",
    "AWS::CloudFormation::WaitConditionHandle",
    "AWS::EC2::VPC",
    "AWS::EC2::Subnet",
    "AWS::EC2::SecurityGroup",
    "AWS::ECR::Repository",
    "AWS::EFS::FileSystem",
    "AWS::CloudFront::Distribution",
    "AWS::Route53::RecordSet",
    "AWS::CertificateManager::Certificate",
    "AWS::AppSync::GraphQLApi",
    "AWS::WAFv2::WebACL",
    "AWS::ResourceGroups::Group",
    "AWS::ApplicationInsights::Application",
];

/// Types that change nothing when running locally (permissions, compute capacity), accepted
/// without the "not emulated" warning.
pub(crate) const QUIET_TYPES: &[&str] = &[
    "AWS::Serverless::CapacityProvider",
    "AWS::Serverless::Connector",
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::Lambda::Permission",
    // Sluice's log store makes a group when it is first written to (a stage's access log names
    // one); the group's retention and encryption change nothing locally.
    "AWS::Logs::LogGroup",
];

/// Why a resource type cannot be right, with the closest known type when there is one.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct UnknownType {
    /// What is wrong.
    pub message: String,
    /// The known type it most resembles.
    pub suggestion: Option<&'static str>,
}

/// The keys a resource may have besides `Type` (CloudFormation's resource attributes, and SAM's
/// `Connectors` and `IgnoreGlobals`).
const RESOURCE_KEYS: &[&str] = &[
    "Type",
    "Properties",
    "Condition",
    "DependsOn",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "UpdatePolicy",
    "CreationPolicy",
    "Metadata",
    "Connectors",
    "IgnoreGlobals",
];

/// For a key a resource of type `ty` may not have (`roperties:`), what AWS does with it, and the
/// attribute it most likely meant. The SAM transform drops such keys of its own resources (a
/// `Description` beside `Properties` deploys); CloudFormation rejects them on any other.
pub(crate) fn unknown_resource_key(ty: &str, key: &str) -> Option<String> {
    if RESOURCE_KEYS.contains(&key) {
        return None;
    }
    let meant = nearest(key, RESOURCE_KEYS)
        .filter(|(_, distance)| *distance <= 3)
        .map(|(k, _)| format!(" (did you mean {k}?)"))
        .unwrap_or_default();
    let fate = if ty.starts_with("AWS::Serverless::") {
        "the SAM transform drops it"
    } else {
        "CloudFormation rejects the template (ignored here)"
    };
    Some(format!("not a resource attribute{meant}: {fate}"))
}

/// `Err` for a type that is certainly wrong: an `AWS::Serverless::*` type SAM does not define, a
/// name without CloudFormation's `Vendor::Service::Resource` shape, or a near miss of a known type.
pub(crate) fn check(ty: &str) -> Result<(), UnknownType> {
    if SAM_TYPES.contains(&ty) || CLOUDFORMATION_TYPES.contains(&ty) {
        return Ok(());
    }
    let suggestion = closest(ty);
    let parts: Vec<&str> = ty.split("::").collect();
    let well_formed = parts.iter().all(|p| !p.is_empty())
        && match parts.as_slice() {
            // `Custom::Anything` is a custom resource; `Org::Service::Name::MODULE` a module.
            ["Custom", _] => true,
            [_, _, _] => true,
            [_, _, _, "MODULE"] => true,
            _ => false,
        };
    if ty.starts_with("AWS::Serverless::") {
        return Err(UnknownType {
            message: format!("{ty} is not a SAM resource type"),
            suggestion: suggestion.or_else(|| {
                nearest(ty, SAM_TYPES)
                    .filter(|(_, d)| *d <= 4)
                    .map(|(t, _)| t)
            }),
        });
    }
    if !well_formed {
        return Err(UnknownType {
            message: format!("{ty:?} is not a resource type (expected Vendor::Service::Resource)"),
            suggestion,
        });
    }
    match suggestion {
        Some(known) => Err(UnknownType {
            message: format!("{ty} is not a resource type"),
            suggestion: Some(known),
        }),
        None => Ok(()),
    }
}

/// The known type within a typo's reach of `ty` (at most two edits, ignoring case).
fn closest(ty: &str) -> Option<&'static str> {
    let known = SAM_TYPES.iter().chain(CLOUDFORMATION_TYPES);
    let (best, distance) = known
        .map(|k| {
            (
                *k,
                edit_distance(&ty.to_ascii_lowercase(), &k.to_ascii_lowercase()),
            )
        })
        .min_by_key(|(_, d)| *d)?;
    // A case-only difference is distance 0 here, and still a typo.
    (distance <= 2).then_some(best)
}

/// The one of `candidates` that `word` most likely misspells, if any is close.
pub(crate) fn did_you_mean(word: &str, candidates: &[&'static str]) -> Option<&'static str> {
    nearest(word, candidates)
        .filter(|(_, distance)| *distance <= 3)
        .map(|(c, _)| c)
}

/// The closest of `candidates` to `ty`, whatever the distance.
fn nearest(ty: &str, candidates: &[&'static str]) -> Option<(&'static str, usize)> {
    candidates
        .iter()
        .map(|c| (*c, edit_distance(ty, c)))
        .min_by_key(|(_, d)| *d)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_get_the_type_they_miss() {
        let err = check("AWS::Serverless::Functon").unwrap_err();
        assert_eq!(err.suggestion, Some("AWS::Serverless::Function"));
        assert_eq!(
            check("AWS::DynamoDB::Tabel").unwrap_err().suggestion,
            Some("AWS::DynamoDB::Table")
        );
        assert_eq!(
            check("AWS::Serverless::function").unwrap_err().suggestion,
            Some("AWS::Serverless::Function")
        );
    }

    #[test]
    fn unlisted_but_plausible_types_pass_and_malformed_ones_do_not() {
        assert_eq!(check("AWS::Batch::JobQueue"), Ok(()));
        assert_eq!(check("Custom::Seeder"), Ok(()));
        assert_eq!(check("MyOrg::Thing::Widget::MODULE"), Ok(()));
        assert!(check("Function").is_err());
        assert!(check("AWS::Lambda").is_err());
        assert!(check("AWS::Serverless::Queue").is_err());
    }

    #[test]
    fn real_http_api_types_are_not_taken_for_typos_of_rest_api_ones() {
        for ty in [
            "AWS::ApiGatewayV2::Deployment",
            "AWS::ApiGatewayV2::Model",
            "AWS::ApiGatewayV2::VpcLink",
            "AWS::ApiGateway::VpcLink",
        ] {
            assert_eq!(check(ty), Ok(()), "{ty}");
        }
        assert!(check("AWS::ApiGatewayV3::Deployment").is_err());
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "ab"), 2);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
