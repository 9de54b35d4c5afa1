//! Entry points for the fuzz targets in `fuzz/` (hidden from the docs and not part of the API).
//!
//! The expression grammars are crate-private; this wrapper feeds them text with a fixed set of
//! `ExpressionAttributeNames`/`Values` and runs what parses against a fixed item, as a request
//! would. It must return, never panic, whatever it is given.

use serde_json::{json, Map, Value};

use crate::attribute_value::item_from_value;
use crate::expression::{
    evaluate, parse_condition, parse_projection, parse_update, project, ExprAttrs,
};
use crate::protocol::Req;
use crate::update_expression::apply_update;

/// Which grammar the text is for.
#[derive(Debug, Clone, Copy)]
pub enum ExpressionKind {
    /// `ConditionExpression` (also filters and key conditions): parsed, then evaluated.
    Condition,
    /// `ProjectionExpression`: parsed, then applied.
    Projection,
    /// `UpdateExpression`: parsed, then applied.
    Update,
}

/// Parses `source` as `kind` and, when it parses, runs it against a sample item. Returns `Ok` when
/// it parsed and ran, else the error text.
pub fn expression(kind: ExpressionKind, source: &str) -> Result<(), String> {
    let member = match kind {
        ExpressionKind::Condition => "ConditionExpression",
        ExpressionKind::Projection => "ProjectionExpression",
        ExpressionKind::Update => "UpdateExpression",
    };
    let mut request = Map::new();
    request.insert(member.into(), Value::String(source.to_owned()));
    request.insert(
        "ExpressionAttributeNames".into(),
        json!({"#a": "a", "#l": "list", "#m": "map", "#n": "n"}),
    );
    if !matches!(kind, ExpressionKind::Projection) {
        request.insert(
            "ExpressionAttributeValues".into(),
            json!({
                ":s": {"S": "text"}, ":n": {"N": "1.5"}, ":b": {"B": "AAE="},
                ":ss": {"SS": ["x", "y"]}, ":ns": {"NS": ["1", "2"]},
                ":l": {"L": [{"N": "1"}, {"S": "two"}]}, ":m": {"M": {"k": {"BOOL": true}}},
                ":z": {"NULL": true}
            }),
        );
    }
    let item = item_from_value(&json!({
        "id": {"S": "1"}, "a": {"S": "text"}, "n": {"N": "7"},
        "list": {"L": [{"N": "1"}, {"M": {"x": {"S": "y"}}}]},
        "map": {"M": {"k": {"SS": ["p", "q"]}, "deep": {"L": []}}},
        "set": {"NS": ["3", "4"]}, "bin": {"B": "AAE="}
    }))
    .map_err(|error| format!("{error:?}"))?;
    let mut attrs =
        ExprAttrs::from_request(&Req(&request), &[member]).map_err(|e| format!("{e:?}"))?;
    match kind {
        ExpressionKind::Condition => {
            let condition = parse_condition(source, "ConditionExpression", &mut attrs)
                .map_err(|e| format!("{e:?}"))?;
            let _ = evaluate(&condition, &item);
        }
        ExpressionKind::Projection => {
            let paths = parse_projection(source, &mut attrs).map_err(|e| format!("{e:?}"))?;
            let _ = project(&item, &paths);
        }
        ExpressionKind::Update => {
            let update = parse_update(source, &mut attrs).map_err(|e| format!("{e:?}"))?;
            apply_update(&update, &item).map_err(|e| format!("{e:?}"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_expressions_parse_and_run() {
        assert_eq!(
            expression(ExpressionKind::Condition, "#a = :s AND n > :n"),
            Ok(())
        );
        assert_eq!(
            expression(ExpressionKind::Projection, "#a, #l[1].x"),
            Ok(())
        );
        assert_eq!(
            expression(
                ExpressionKind::Update,
                "SET #a = :s, n = n + :n REMOVE #l[0]"
            ),
            Ok(())
        );
        assert!(expression(ExpressionKind::Condition, "#a = ").is_err());
    }
}
