//! Parameters: defaults, overrides, constraints; `--parameter-overrides` parsing.

use std::collections::BTreeMap;

use super::{env_template, env_value, env_value_with, load_err, load_err_with};
use crate::{parse_parameter_overrides, LoadOptions};

const STAGE: &str = "Parameters:
  Stage:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]";

fn overrides(pairs: &[(&str, &str)]) -> LoadOptions {
    LoadOptions {
        parameter_overrides: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..LoadOptions::default()
    }
}

#[test]
fn default_is_used_without_override() {
    assert_eq!(env_value(STAGE, "!Ref Stage"), "dev");
}

#[test]
fn override_wins_over_default() {
    assert_eq!(
        env_value_with(STAGE, "!Ref Stage", "", &overrides(&[("Stage", "prod")])),
        "prod"
    );
}

#[test]
fn allowed_values_violation_names_the_parameter() {
    let err = load_err_with(
        &env_template(STAGE, "!Ref Stage", ""),
        &overrides(&[("Stage", "qa")]),
    );
    assert!(
        err.starts_with("/app/template.yaml:4:5: Parameters.Stage: "),
        "{err}"
    );
    assert!(
        err.contains("\"qa\" is not an allowed value of parameter Stage"),
        "{err}"
    );
    assert!(err.contains("hint: use one of: dev, prod"), "{err}");
}

#[test]
fn bad_default_points_at_the_default() {
    let prelude = "Parameters:\n  Stage:\n    Type: String\n    Default: test\n    AllowedValues: [dev, prod]";
    let err = load_err(&env_template(prelude, "x", ""));
    assert!(
        err.starts_with(
            "/app/template.yaml:5:14: Parameters.Stage.Default: \"test\" is not an allowed value"
        ),
        "{err}"
    );
}

#[test]
fn missing_value_is_the_parameter_name_with_a_warning_naming_the_override() {
    // SAM CLI's behaviour (issue 7): not an error, the value is the parameter's own name.
    let prelude = "Parameters:\n  TableName:\n    Type: String";
    assert_eq!(env_value(prelude, "!Ref TableName"), "TableName");
    let model = super::load(&env_template(prelude, "!Ref TableName", ""));
    assert_eq!(
        model.warnings,
        ["Parameters.TableName: no Default and no override; its value is its name \"TableName\", as in SAM CLI (pass --parameter-overrides TableName=<value>)"]
    );
    let list = "Parameters:\n  Subnets:\n    Type: CommaDelimitedList";
    assert_eq!(env_value(list, "!Join [\"+\", !Ref Subnets]"), "Subnets");
}

#[test]
fn number_type_is_checked() {
    let prelude = "Parameters:\n  Size:\n    Type: Number\n    Default: 256\n    MaxValue: 1024";
    assert_eq!(env_value(prelude, "!Ref Size"), "256");
    let err = load_err_with(
        &env_template(prelude, "x", ""),
        &overrides(&[("Size", "big")]),
    );
    assert!(err.contains("\"big\" is not a number"), "{err}");
    let err = load_err_with(
        &env_template(prelude, "x", ""),
        &overrides(&[("Size", "2048")]),
    );
    assert!(err.contains("above MaxValue"), "{err}");
}

#[test]
fn list_types_are_lists() {
    let prelude = "Parameters:\n  Ports:\n    Type: List<Number>\n    Default: '80, 443'\n  Names:\n    Type: CommaDelimitedList\n    Default: a,b";
    assert_eq!(env_value(prelude, "!Join ['|', !Ref Ports]"), "80|443");
    assert_eq!(env_value(prelude, "!Select [1, !Ref Names]"), "b");
    let err = load_err_with(
        &env_template(prelude, "x", ""),
        &overrides(&[("Ports", "80,http")]),
    );
    assert!(err.contains("\"http\" is not a number"), "{err}");
}

#[test]
fn unknown_override_is_a_warning() {
    let model = super::load_with(&env_template(STAGE, "x", ""), &overrides(&[("Nope", "1")]));
    assert!(
        model.warnings.iter().any(|w| w.contains("Nope")),
        "{:?}",
        model.warnings
    );
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn overrides_in_sam_form() {
    let parsed = parse_parameter_overrides(
        "ParameterKey=Stage,ParameterValue=prod ParameterKey=Table,ParameterValue=\"my table\"",
    );
    assert_eq!(
        parsed.ok(),
        Some(map(&[("Stage", "prod"), ("Table", "my table")]))
    );
}

#[test]
fn overrides_in_short_form_with_quotes() {
    let parsed = parse_parameter_overrides("Stage=prod  Greeting='hello world' Empty= List=a,b");
    assert_eq!(
        parsed.ok(),
        Some(map(&[
            ("Stage", "prod"),
            ("Greeting", "hello world"),
            ("Empty", ""),
            ("List", "a,b")
        ]))
    );
}

#[test]
fn overrides_errors() {
    for bad in [
        "Stage",
        "ParameterKey=Stage",
        "Stage='open",
        "=x",
        "Bad-Key=1",
    ] {
        let err = parse_parameter_overrides(bad).err().map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.starts_with("--parameter-overrides: ")),
            "{bad}: {err:?}"
        );
    }
}
