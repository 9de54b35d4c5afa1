//! `LoggingConfig` of a function: Lambda tells the runtime its log format and application log
//! level through `AWS_LAMBDA_LOG_FORMAT` and `AWS_LAMBDA_LOG_LEVEL`, so the model sets them the
//! same way (a variable the template sets itself wins). `SystemLogLevel` is no variable on
//! Lambda: the model keeps it for the log store. `LogGroup` is not honoured: logs stay in
//! `/aws/lambda/<name>`.

use std::collections::BTreeMap;

use crate::yaml_tree::Node;

/// `LoggingConfig.SystemLogLevel` of `config`, as written.
pub(crate) fn system_log_level(config: Option<&Node>) -> Option<String> {
    config?
        .get("SystemLogLevel")
        .and_then(Node::as_str)
        .map(str::to_owned)
}

/// `environment` with the variables `config` (the evaluated `LoggingConfig`) implies.
pub(crate) fn apply(
    config: Option<&Node>,
    mut environment: BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let Some(config) = config else {
        return environment;
    };
    let format = config.get("LogFormat").and_then(Node::as_str);
    let level = config.get("ApplicationLogLevel").and_then(Node::as_str);
    // AWS: ApplicationLogLevel applies to the JSON format only, and defaults to INFO there (as
    // GetFunctionConfiguration reports it); AWS's runtime clients read the variable.
    let json = format.is_some_and(|f| f.eq_ignore_ascii_case("JSON"));
    let level = json.then(|| level.unwrap_or("INFO"));
    for (var, value) in [
        ("AWS_LAMBDA_LOG_FORMAT", format),
        ("AWS_LAMBDA_LOG_LEVEL", level),
    ] {
        if let Some(value) = value {
            environment
                .entry(var.to_owned())
                .or_insert_with(|| value.to_owned());
        }
    }
    environment
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::{load_str, LoadOptions};

    fn environment(logging: &str) -> std::collections::BTreeMap<String, String> {
        let yaml = format!(
            "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: app.handler\n      InlineCode: x\n{logging}"
        );
        let model = load_str(
            &yaml,
            Path::new("/app/template.yaml"),
            &LoadOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        model.functions[0].environment.clone()
    }

    #[test]
    fn logging_config_sets_the_runtime_variables() {
        let env = environment(
            "      LoggingConfig:\n        LogFormat: JSON\n        ApplicationLogLevel: DEBUG\n",
        );
        assert_eq!(env["AWS_LAMBDA_LOG_FORMAT"], "JSON");
        assert_eq!(env["AWS_LAMBDA_LOG_LEVEL"], "DEBUG");
        // JSON without a level: INFO, Lambda's default (awslambdaric alone would keep WARNING).
        let env = environment("      LoggingConfig:\n        LogFormat: JSON\n");
        assert_eq!(env["AWS_LAMBDA_LOG_LEVEL"], "INFO");
        let env = environment("      LoggingConfig:\n        LogFormat: Text\n");
        assert_eq!(env["AWS_LAMBDA_LOG_FORMAT"], "Text");
        assert!(!env.contains_key("AWS_LAMBDA_LOG_LEVEL"));
        let env = environment(
            "      LoggingConfig:\n        LogFormat: JSON\n      Environment:\n        Variables:\n          AWS_LAMBDA_LOG_FORMAT: Text\n",
        );
        assert_eq!(
            env["AWS_LAMBDA_LOG_FORMAT"], "Text",
            "the template's own variable wins"
        );
        assert!(environment("").is_empty());
    }

    #[test]
    fn the_system_log_level_is_kept_and_no_variable() {
        let yaml = "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: app.handler\n      InlineCode: x\n      LoggingConfig:\n        LogFormat: JSON\n        SystemLogLevel: WARN\n";
        let model = load_str(
            yaml,
            Path::new("/app/template.yaml"),
            &LoadOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let function = &model.functions[0];
        assert_eq!(function.system_log_level.as_deref(), Some("WARN"));
        assert!(!function.environment.values().any(|v| v == "WARN"));
    }

    #[test]
    fn a_cloudformation_function_honours_its_logging_config() {
        let yaml = "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.12\n      Handler: app.handler\n      Code: {ZipFile: x}\n      Role: arn:aws:iam::123456789012:role/r\n      LoggingConfig:\n        LogFormat: JSON\n        ApplicationLogLevel: ERROR\n        SystemLogLevel: DEBUG\n";
        let model = load_str(
            yaml,
            Path::new("/app/template.yaml"),
            &LoadOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let function = &model.functions[0];
        assert_eq!(function.environment["AWS_LAMBDA_LOG_FORMAT"], "JSON");
        assert_eq!(function.environment["AWS_LAMBDA_LOG_LEVEL"], "ERROR");
        assert_eq!(function.system_log_level.as_deref(), Some("DEBUG"));
    }
}
