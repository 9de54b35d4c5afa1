//! Table settings that change no data path but must round-trip as DynamoDB keeps them: deletion
//! protection, table class, server-side encryption and on-demand throughput limits. Read from
//! `CreateTable` and `UpdateTable`, rendered into `DescribeTable`'s `TableDescription`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sluice_aws_env::AwsEnv;

use crate::protocol::{DynamoError, DynamoResult, Req};

/// The table classes DynamoDB offers, as its enum constraint lists them.
const TABLE_CLASSES: [&str; 2] = ["STANDARD", "STANDARD_INFREQUENT_ACCESS"];

/// Encryption with a KMS key (`SSEDescription`); absent means DynamoDB's default AWS-owned key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KmsEncryption {
    /// `KMSMasterKeyArn`.
    pub key_arn: String,
}

/// The settings `CreateTable` and `UpdateTable` set and `DescribeTable` reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TableSettings {
    /// `DeletionProtectionEnabled`: DeleteTable is refused while set.
    pub deletion_protection: bool,
    /// `TableClass` once one was given (DynamoDB leaves `TableClassSummary` out until then).
    pub table_class: Option<String>,
    /// When `UpdateTable` last changed the table class (`TableClassSummary.LastUpdateDateTime`).
    pub table_class_updated: Option<f64>,
    /// `SSESpecification` with `Enabled: true`.
    pub sse: Option<KmsEncryption>,
    /// `OnDemandThroughput` as (MaxReadRequestUnits, MaxWriteRequestUnits); -1 is "no limit".
    pub on_demand: Option<(i64, i64)>,
    /// Point-in-time recovery, while enabled (UpdateContinuousBackups; DescribeTable omits it).
    pub point_in_time_recovery: Option<PointInTimeRecovery>,
    /// Contributor Insights while enabled, by index name (`""` for the table itself).
    pub contributor_insights: BTreeMap<String, ContributorInsights>,
}

/// Contributor Insights on a table or index, as DescribeContributorInsights reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContributorInsights {
    /// `ContributorInsightsMode`: ACCESSED_AND_THROTTLED_KEYS or THROTTLED_KEYS.
    pub mode: String,
    /// When it was last enabled, epoch seconds (`LastUpdateDateTime`, and the rules' timestamp).
    pub updated: f64,
}

/// Point-in-time recovery of a table, as DescribeContinuousBackups reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointInTimeRecovery {
    /// `RecoveryPeriodInDays` (1-35, 35 unless given).
    pub recovery_period_days: i64,
}

impl TableSettings {
    /// Reads the settings of a `CreateTable` request.
    pub fn from_create(r: &Req, aws: &AwsEnv) -> DynamoResult<TableSettings> {
        let mut s = TableSettings::default();
        s.apply(r, aws, None)?;
        Ok(s)
    }

    /// Applies the settings an `UpdateTable` request changes; `now` stamps a table class change.
    pub fn update(&mut self, r: &Req, aws: &AwsEnv, now: f64) -> DynamoResult<()> {
        self.apply(r, aws, Some(now))
    }

    fn apply(&mut self, r: &Req, aws: &AwsEnv, updated_at: Option<f64>) -> DynamoResult<()> {
        if let Some(p) = r.opt_bool("DeletionProtectionEnabled")? {
            self.deletion_protection = p;
        }
        if let Some(class) = r.opt_str("TableClass")? {
            if !TABLE_CLASSES.contains(&class) {
                return Err(DynamoError::validation(format!(
                    "1 validation error detected: Value '{class}' at 'tableClass' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                    TABLE_CLASSES.join(", ")
                )));
            }
            self.table_class = Some(class.to_string());
            self.table_class_updated = updated_at;
        }
        if let Some(spec) = r.opt_obj("SSESpecification")? {
            self.sse = parse_sse(spec, aws)?;
        }
        if let Some(t) = r.opt_obj("OnDemandThroughput")? {
            let t = Req(t);
            let (read, write) = self.on_demand.unwrap_or((-1, -1));
            // AWS: a member left out keeps its value (-1, no limit, on a new table).
            self.on_demand = Some((
                t.opt_i64("MaxReadRequestUnits")?.unwrap_or(read),
                t.opt_i64("MaxWriteRequestUnits")?.unwrap_or(write),
            ));
        }
        Ok(())
    }

    /// Adds `DeletionProtectionEnabled`, `TableClassSummary`, `SSEDescription` and
    /// `OnDemandThroughput` to a table description.
    pub fn describe_into(&self, d: &mut Map<String, Value>) {
        d.insert(
            "DeletionProtectionEnabled".into(),
            json!(self.deletion_protection),
        );
        if let Some(class) = &self.table_class {
            let mut summary = Map::new();
            summary.insert("TableClass".into(), json!(class));
            if let Some(at) = self.table_class_updated {
                summary.insert("LastUpdateDateTime".into(), json!(at));
            }
            d.insert("TableClassSummary".into(), Value::Object(summary));
        }
        if let Some(sse) = &self.sse {
            d.insert(
                "SSEDescription".into(),
                json!({"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": sse.key_arn}),
            );
        }
        if let Some((read, write)) = self.on_demand {
            d.insert(
                "OnDemandThroughput".into(),
                json!({"MaxReadRequestUnits": read, "MaxWriteRequestUnits": write}),
            );
        }
    }

    /// DeleteTable's refusal while deletion protection is on.
    pub fn check_deletable(&self) -> DynamoResult<()> {
        if self.deletion_protection {
            return Err(DynamoError::validation(
                "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.",
            ));
        }
        Ok(())
    }
}

/// `SSESpecification`: `Enabled: true` (or `SSEType: KMS`) encrypts with a KMS key, the account's
/// AWS-managed `aws/dynamodb` key unless `KMSMasterKeyId` names another; otherwise the AWS-owned key.
fn parse_sse(spec: &Map<String, Value>, aws: &AwsEnv) -> DynamoResult<Option<KmsEncryption>> {
    let spec = Req(spec);
    let sse_type = spec.opt_str("SSEType")?;
    if let Some(t) = sse_type.filter(|t| !["AES256", "KMS"].contains(t)) {
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{t}' at 'sSESpecification.sSEType' failed to satisfy constraint: Member must satisfy enum value set: [AES256, KMS]"
        )));
    }
    let kms = spec.opt_bool("Enabled")?.unwrap_or(sse_type == Some("KMS"));
    if !kms {
        return Ok(None);
    }
    let key_arn = match spec.opt_str("KMSMasterKeyId")? {
        Some(arn) if arn.starts_with("arn:") => arn.to_string(),
        // AWS resolves an alias to its key's ARN; Sluice has no KMS, so it keeps the alias ARN.
        Some(alias) if alias.starts_with("alias/") => aws.arn("kms", alias),
        Some(id) => aws.arn("kms", &format!("key/{id}")),
        // AWS: the account's AWS-managed key for DynamoDB; Sluice names it by a stable id derived
        // from nothing but the account, as one account has one such key per region.
        None => aws.arn("kms", &format!("key/{}", managed_key_id(&aws.account_id))),
    };
    Ok(Some(KmsEncryption { key_arn }))
}

/// A UUID-shaped id for the account's AWS-managed DynamoDB key, the same for every table.
fn managed_key_id(account: &str) -> String {
    // FNV-1a over the account id, spread over 128 bits: stable across runs and releases.
    let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for b in account.bytes() {
        h ^= u128::from(b);
        h = h.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013B);
    }
    uuid::Uuid::from_u128(h).hyphenated().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn the_managed_key_is_the_same_for_every_table_of_an_account() {
        let aws = AwsEnv::in_region("us-east-1");
        let body = req(json!({"SSESpecification": {"Enabled": true}}));
        let a = TableSettings::from_create(&Req(&body), &aws).unwrap();
        let b = TableSettings::from_create(&Req(&body), &aws).unwrap();
        let arn = a
            .sse
            .as_ref()
            .map(|s| s.key_arn.clone())
            .unwrap_or_default();
        assert!(
            arn.starts_with("arn:aws:kms:us-east-1:123456789012:key/"),
            "{arn}"
        );
        assert_eq!(a, b);
    }

    #[test]
    fn on_demand_members_left_out_keep_their_value() {
        let aws = AwsEnv::in_region("us-east-1");
        let create = req(json!({"OnDemandThroughput": {"MaxReadRequestUnits": 10}}));
        let mut s = TableSettings::from_create(&Req(&create), &aws).unwrap();
        assert_eq!(s.on_demand, Some((10, -1)));
        let update = req(json!({"OnDemandThroughput": {"MaxWriteRequestUnits": 7}}));
        s.update(&Req(&update), &aws, 1.0).unwrap();
        assert_eq!(s.on_demand, Some((10, 7)));
    }

    #[test]
    fn sse_disabled_means_the_aws_owned_key() {
        let aws = AwsEnv::in_region("us-east-1");
        let body = req(json!({"SSESpecification": {"Enabled": false}}));
        let s = TableSettings::from_create(&Req(&body), &aws).unwrap();
        let mut d = Map::new();
        s.describe_into(&mut d);
        assert!(!d.contains_key("SSEDescription"));
        assert_eq!(d["DeletionProtectionEnabled"], json!(false));
    }
}
