//! DynamoDB's request-model checks (enum members, numeric bounds), which run before any semantic
//! check and report every violated member at once: "2 validation errors detected: Value 'X' at
//! 'returnValues' failed to satisfy constraint: ...; Value 'Y' at ...".

use crate::protocol::{DynamoError, DynamoResult, Req, VALIDATION_ENVELOPE};

/// `ReturnConsumedCapacity`'s values, in DynamoDB's order.
pub const RETURN_CONSUMED_CAPACITY: (&str, &[&str]) =
    ("ReturnConsumedCapacity", &["INDEXES", "TOTAL", "NONE"]);
/// `ReturnItemCollectionMetrics`'s values.
pub const RETURN_ITEM_COLLECTION_METRICS: (&str, &[&str]) =
    ("ReturnItemCollectionMetrics", &["SIZE", "NONE"]);
/// `ReturnValues`'s values (every operation shares the enum; some refuse part of it later).
pub const RETURN_VALUES: (&str, &[&str]) = (
    "ReturnValues",
    &["ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"],
);
/// `ReturnValuesOnConditionCheckFailure`'s values.
pub const RETURN_VALUES_ON_CONDITION_CHECK_FAILURE: (&str, &[&str]) =
    ("ReturnValuesOnConditionCheckFailure", &["ALL_OLD", "NONE"]);
/// `Select`'s values.
pub const SELECT: (&str, &[&str]) = (
    "Select",
    &[
        "SPECIFIC_ATTRIBUTES",
        "COUNT",
        "ALL_ATTRIBUTES",
        "ALL_PROJECTED_ATTRIBUTES",
    ],
);

/// The enum members every single-item write shares, checked together.
pub const ITEM_WRITE_ENUMS: [(&str, &[&str]); 4] = [
    RETURN_CONSUMED_CAPACITY,
    RETURN_ITEM_COLLECTION_METRICS,
    RETURN_VALUES,
    RETURN_VALUES_ON_CONDITION_CHECK_FAILURE,
];

/// Checks enum members together: every value outside its enum is named in one error.
pub fn check_enums(r: &Req, members: &[(&str, &[&str])]) -> DynamoResult<()> {
    let mut v = Violations::new();
    for m in members {
        v.check_enum(r, *m)?;
    }
    v.finish()
}

/// The violations found so far in one request.
#[derive(Debug, Default)]
pub struct Violations(Vec<String>);

impl Violations {
    /// No violations yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `member` (e.g. `("ReturnValues", [...])`) if it holds a value outside its enum.
    pub fn check_enum(&mut self, r: &Req, (member, allowed): (&str, &[&str])) -> DynamoResult<()> {
        if let Some(v) = r.opt_str(member)? {
            self.check_enum_value(v, &wire_name(member), allowed);
        }
        Ok(())
    }

    /// Records a value outside `allowed`; `at` is the member's path as DynamoDB spells it.
    pub fn check_enum_value(&mut self, value: &str, at: &str, allowed: &[&str]) {
        if !allowed.contains(&value) {
            self.0.push(format!(
                "Value '{value}' at '{at}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                allowed.join(", ")
            ));
        }
    }

    /// Records a numeric member outside `min..=max`; `at` is its path as DynamoDB spells it.
    pub fn check_range(&mut self, value: Option<i64>, at: &str, min: i64, max: Option<i64>) {
        let Some(v) = value else { return };
        let what = if v < min {
            format!("greater than or equal to {min}")
        } else if let Some(max) = max.filter(|m| v > *m) {
            format!("less than or equal to {max}")
        } else {
            return;
        };
        self.0.push(format!(
            "Value '{v}' at '{at}' failed to satisfy constraint: Member must have value {what}"
        ));
    }

    /// Records a member below `min` in DynamoDB's newer wording, which spells the member as the
    /// request does and does not echo the value (recorded for Query's `Limit`, while Scan's keeps
    /// the older `Value '0' at 'limit'`).
    pub fn check_min_unechoed(&mut self, value: Option<i64>, member: &str, min: i64) {
        if value.is_some_and(|v| v < min) {
            self.0.push(format!(
                "Value at '{member}' failed to satisfy constraint: Member must have value greater than or equal to {min}"
            ));
        }
    }

    /// Records a required member that is missing; `at` is its path as DynamoDB spells it.
    pub fn require<T>(&mut self, value: Option<T>, at: &str) {
        if value.is_none() {
            self.0.push(format!(
                "Value null at '{at}' failed to satisfy constraint: Member must not be null"
            ));
        }
    }

    /// The `ValidationException` naming every violation, if there is one.
    pub fn finish(self) -> DynamoResult<()> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(DynamoError::validation(format!(
                "{VALIDATION_ENVELOPE}{}",
                self.0[0]
            ))),
            n => Err(DynamoError::validation(format!(
                "{n} validation errors detected: {}",
                self.0.join("; ")
            ))),
        }
    }
}

/// A member's name as DynamoDB's validation messages spell it: the first letter lowercased.
fn wire_name(member: &str) -> String {
    let mut chars = member.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn several_bad_members_are_reported_together_and_counted() {
        let body = json!({"ReturnValues": "X", "ReturnConsumedCapacity": "Y", "Select": "COUNT"});
        let body = body.as_object().cloned().unwrap_or_default();
        let r = Req(&body);
        let mut v = Violations::new();
        for member in [RETURN_CONSUMED_CAPACITY, RETURN_VALUES, SELECT] {
            v.check_enum(&r, member).unwrap();
        }
        let msg = v.finish().unwrap_err().to_string();
        assert!(
            msg.contains("2 validation errors detected: Value 'Y' at 'returnConsumedCapacity'"),
            "{msg}"
        );
        assert!(msg.contains("; Value 'X' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]"), "{msg}");
    }

    #[test]
    fn one_bad_member_is_one_validation_error() {
        let mut v = Violations::new();
        v.check_range(Some(-1), "segment", 0, Some(999_999));
        let msg = v.finish().unwrap_err().to_string();
        assert!(msg.contains("1 validation error detected: Value '-1' at 'segment' failed to satisfy constraint: Member must have value greater than or equal to 0"), "{msg}");
    }
}
