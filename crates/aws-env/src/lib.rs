//! The AWS environment Sluice emulates, defined once for every crate: the identity it pretends to
//! run in (region, account, partition) and Lambda's runtime identifiers.
//!
//! [`AwsEnv`] is built once from the configuration and passed down; every ARN, event field and
//! stream record takes it from here, so `--region eu-west-1` changes them all together.

mod runtime;

pub use runtime::{closest_lambda_runtime, is_lambda_runtime, RuntimeFamily, LAMBDA_RUNTIMES};

/// The version SAM's `AutoPublishAlias` publishes (and points its alias at) on a first deploy:
/// what the alias runs and what `Ref Function.Version` names.
pub const PUBLISHED_VERSION: &str = "1";

/// Region, account and partition of the emulated AWS environment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AwsEnv {
    /// `AWS_REGION`, `awsRegion`, the region in every ARN (`us-east-1` by default).
    pub region: String,
    /// `AWS::AccountId`, `requestContext.accountId`, the account in every ARN.
    pub account_id: String,
    /// `AWS::Partition`, the `aws` in `arn:aws:…`.
    pub partition: String,
}

impl AwsEnv {
    /// The region used when the user names none (SAM CLI's default, too).
    pub const DEFAULT_REGION: &'static str = "us-east-1";
    /// The account id AWS's own examples and SAM CLI use locally.
    pub const DEFAULT_ACCOUNT_ID: &'static str = "123456789012";

    /// The default environment in `region`.
    pub fn in_region(region: impl Into<String>) -> Self {
        let region = region.into();
        AwsEnv {
            partition: partition_of(&region).to_owned(),
            region,
            account_id: Self::DEFAULT_ACCOUNT_ID.to_owned(),
        }
    }

    /// `arn:<partition>:<service>:<region>:<account>:<resource>`.
    pub fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{resource}",
            self.partition, self.region, self.account_id
        )
    }

    /// A Lambda function's unqualified ARN.
    pub fn function_arn(&self, function_name: &str) -> String {
        self.arn("lambda", &format!("function:{function_name}"))
    }

    /// A DynamoDB table's ARN.
    pub fn table_arn(&self, table_name: &str) -> String {
        self.arn("dynamodb", &format!("table/{table_name}"))
    }

    /// The `URL_SUFFIX` of the partition (`amazonaws.com`, `amazonaws.com.cn`).
    pub fn url_suffix(&self) -> &'static str {
        if self.partition == "aws-cn" {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        }
    }
}

impl Default for AwsEnv {
    fn default() -> Self {
        AwsEnv::in_region(Self::DEFAULT_REGION)
    }
}

/// The partition a region belongs to, as AWS names them.
fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else {
        "aws"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_use_the_region_account_and_partition() {
        let env = AwsEnv::in_region("eu-west-1");
        assert_eq!(
            env.function_arn("f"),
            "arn:aws:lambda:eu-west-1:123456789012:function:f"
        );
        assert_eq!(
            env.table_arn("T"),
            "arn:aws:dynamodb:eu-west-1:123456789012:table/T"
        );
        let cn = AwsEnv::in_region("cn-north-1");
        assert_eq!(cn.partition, "aws-cn");
        assert_eq!(cn.url_suffix(), "amazonaws.com.cn");
        assert_eq!(AwsEnv::default().region, "us-east-1");
        assert_eq!(AwsEnv::in_region("us-gov-west-1").partition, "aws-us-gov");
    }
}
