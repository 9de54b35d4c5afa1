//! What a load is told from outside the template: parameter overrides and the pseudo parameters.

use std::collections::BTreeMap;

use sluice_aws_env::AwsEnv;

/// Parameter overrides from the command line (`--parameter-overrides`) and the pseudo parameters'
/// values (`AWS::Region`, `AWS::AccountId`, `AWS::StackName`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// Values for template `Parameters`, winning over their `Default`.
    pub parameter_overrides: BTreeMap<String, String>,
    /// `AWS::Region`, `AWS::AccountId`, `AWS::Partition` and the ARNs built from them.
    pub aws: AwsEnv,
    /// `AWS::StackName` (default `sluice`).
    pub stack_name: String,
    /// Local layers the rest of the application defines (a parent's, an earlier nested stack's),
    /// by ARN: a nested stack's `Layers` entry that evaluates to one of them uses its folder.
    pub known_layers: BTreeMap<String, crate::model::LocalLayer>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            parameter_overrides: BTreeMap::new(),
            aws: AwsEnv::default(),
            stack_name: "sluice".into(),
            known_layers: BTreeMap::new(),
        }
    }
}
