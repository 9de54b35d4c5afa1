//! Error rendering: `file:line:col: property: message`, exact positions.

use super::{load, load_err};

#[test]
fn bad_method_names_file_line_and_property_path() {
    let yaml = "Transform: AWS::Serverless-2016-10-31
Resources:
  ItemsFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Events:
        GetItems:
          Type: Api
          Properties:
            Path: /items
            Method: FETCH
";
    let err = load_err(yaml);
    assert_eq!(
        err,
        "/app/template.yaml:13:21: Resources.ItemsFunction.Properties.Events.GetItems.Properties.Method: \
         \"FETCH\" is not an HTTP method (expected one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY)"
    );
}

#[test]
fn yaml_syntax_error_has_line() {
    let err = load_err("Resources:\n  F:\n    Type: [unclosed\n  G: x\n");
    assert!(err.starts_with("/app/template.yaml:"), "{err}");
    assert!(err.contains("YAML syntax error"), "{err}");
    let line: usize = err
        .split(':')
        .nth(1)
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    assert!(
        (3..=5).contains(&line),
        "line should be near the unclosed list: {err}"
    );
}

#[test]
fn yaml_syntax_error_exact_line() {
    let err = load_err("Resources:\n  F:\n    Type: x\n   bad: indentation\n");
    assert!(err.starts_with("/app/template.yaml:4:"), "{err}");
}

#[test]
fn a_duplicate_key_takes_its_last_value_with_a_warning_naming_both_lines() {
    // CloudFormation and SAM CLI (PyYAML) load a repeated key last-wins; so does Sluice, saying so.
    let model = super::load(
        "Resources:\n  F:\n    Type: AWS::SNS::Topic\n  F:\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: python3.12, Handler: app.handler}\n",
    );
    assert_eq!(model.functions.len(), 1);
    assert!(
        model.warnings[0].starts_with(
            "/app/template.yaml:4:3: Resources.F: duplicate key \"F\" (also on line 2); the last value wins"
        ),
        "{:?}",
        model.warnings
    );
}

#[test]
fn out_of_range_numbers_name_the_property() {
    let yaml = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: a.b\n      Runtime: python3.12\n      Timeout: 901\n";
    let err = load_err(yaml);
    assert_eq!(
        err,
        "/app/template.yaml:7:16: Resources.F.Properties.Timeout: 901 is out of range (1..=900)"
    );
}

#[test]
fn raw_lambda_functions_check_the_same_limits() {
    // CloudFormation rejects Timeout 0 (Lambda's minimum is 1 s); running the function with no
    // time at all would make every invocation time out instead.
    let yaml = "Resources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties:\n      Handler: a.b\n      Runtime: python3.12\n      Code: .\n      Timeout: 0\n";
    assert_eq!(
        load_err(yaml),
        "/app/template.yaml:8:16: Resources.F.Properties.Timeout: 0 is out of range (1..=900)"
    );
    let yaml = "Resources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties:\n      Handler: a.b\n      Runtime: python3.12\n      Code: .\n      MemorySize: 64\n";
    assert!(
        load_err(yaml)
            .ends_with("Resources.F.Properties.MemorySize: 64 is out of range (128..=10240)"),
        "{}",
        load_err(yaml)
    );
}

#[test]
fn unknown_tag_fails_only_where_read() {
    let yaml = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: a.b\n      Runtime: !Bogus python3.12\n";
    let err = load_err(yaml);
    assert!(
        err.starts_with(
            "/app/template.yaml:6:16: Resources.F.Properties.Runtime: unknown tag !Bogus"
        ),
        "{err}"
    );
}

#[test]
fn empty_and_non_mapping_templates() {
    assert!(load_err("").contains("the template is empty"));
    assert!(load_err("- a\n").contains("must be a mapping"));
    assert!(load_err("Description: x\n").contains("no Resources"));
}

#[test]
fn missing_resource_type_has_a_hint() {
    let err = load_err("Resources:\n  F:\n    Properties: {}\n");
    assert!(
        err.starts_with(
            "/app/template.yaml:3:5: Resources.F.Type: the resource has no Type\n  hint: "
        ),
        "{err}"
    );
}

#[test]
fn duplicate_nested_keys_report_the_key_line() {
    let model = super::load("Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: app.first\n      Handler: app.handler\n");
    assert_eq!(model.functions[0].handler, "app.handler");
    assert!(model.warnings[0].starts_with("/app/template.yaml:7:7: Resources.F.Properties.Handler: duplicate key \"Handler\" (also on line 6)"), "{:?}", model.warnings);
}

#[test]
fn alias_bombs_are_refused() {
    let mut yaml = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        yaml.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let err = load_err(&yaml);
    assert!(err.contains("aliases expand to too many nodes"), "{err}");
}

#[test]
fn self_referencing_function_name_is_a_cycle_not_a_crash() {
    let yaml = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      FunctionName: !Sub '${F}-x'\n      Handler: a.b\n      Runtime: python3.12\n";
    let err = load_err(yaml);
    assert!(err.contains("circular reference"), "{err}");
}

#[test]
fn quoted_scalars_continued_at_their_keys_indentation_are_read_as_pyyaml_reads_them() {
    // As in OpenAPI files written for AWS::Include: long request templates in "…" and '…'.
    let model = super::load(
        "Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Environment:
        Variables:
          DOUBLE: \"{\\\"TableName\\\": \\
          \\\"t\\\", \\
      \\\"Limit\\\": 5}\"
          SINGLE: 'it''s
          split'
",
    );
    let env = &model.functions[0].environment;
    assert_eq!(env["DOUBLE"], r#"{"TableName": "t", "Limit": 5}"#);
    assert_eq!(env["SINGLE"], "it's split");
    let moved: Vec<_> = model
        .warnings
        .iter()
        .filter(|w| w.contains("a quoted scalar's continuation lines at its key's indentation"))
        .collect();
    assert_eq!(moved.len(), 2, "{:?}", model.warnings);
    assert!(moved[0].starts_with("/app/template.yaml:9:"), "{moved:?}");
    assert!(moved[1].starts_with("/app/template.yaml:12:"), "{moved:?}");
    // An unterminated quote is still an error.
    let err = load_err("Resources:\n  F:\n    Type: \"x\n    y\n");
    assert!(err.contains("YAML syntax error"), "{err}");
}

#[test]
fn a_closing_bracket_at_its_keys_indentation_is_read_as_pyyaml_reads_it() {
    let model = super::load(
        "Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Policies:
        - Statement:
          - Effect: Allow
            Action: [
              \"dynamodb:GetItem\",
              \"dynamodb:PutItem\"
            ]
            Resource: {
              a: b
            }
",
    );
    assert_eq!(model.functions.len(), 1);
    let moved: Vec<_> = model
        .warnings
        .iter()
        .filter(|w| w.contains("closing bracket at its key's indentation"))
        .collect();
    assert_eq!(moved.len(), 1, "{:?}", model.warnings);
    assert!(moved[0].starts_with("/app/template.yaml:13:"), "{moved:?}");
    // A real indentation error is still one.
    let err = load_err("Resources:\n  F:\n    Type: x\n   bad: indentation\n");
    assert!(err.contains("YAML syntax error"), "{err}");
}

#[test]
fn flow_entries_at_their_keys_indentation_are_read_as_pyyaml_reads_them() {
    // SAM's own test templates write `Cors: {` and the entry on the next line at Cors's column.
    let model = super::load(
        "Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Environment:
        Variables: {
        ONE: \"1\", # a comment
      TWO: !Join [\"\", [\"2\",
      \"3\"]]
        }
",
    );
    let env = &model.functions[0].environment;
    assert_eq!(env["ONE"], "1");
    assert_eq!(env["TWO"], "23");
    let moved: Vec<_> = model
        .warnings
        .iter()
        .filter(|w| w.contains("a flow collection's entries at its key's indentation"))
        .collect();
    assert_eq!(moved.len(), 3, "{:?}", model.warnings);
    assert!(moved[0].starts_with("/app/template.yaml:9:"), "{moved:?}");
    // A block line after a plain scalar ending in a comma is no flow entry: still an error.
    let err = load_err("Resources:\n  F:\n    Type: x,\n   bad: indentation\n");
    assert!(err.contains("YAML syntax error"), "{err}");
}

#[test]
fn globals_sections_and_properties_sam_does_not_know_are_refused_as_sam_refuses_them() {
    // Each would do nothing if accepted: a global Events adds no route, a StageName no stage.
    for (globals, at) in [
        ("  Function:\n    Events: {}\n", "4:13: Globals.Function.Events: Events is not a property of Globals.Function; SAM refuses the template"),
        ("  Api:\n    StageName: dev\n", "4:16: Globals.Api.StageName: StageName is not a property of Globals.Api; SAM refuses the template"),
        ("  Table:\n    BillingMode: PROVISIONED\n", "4:5: Globals.Table: Table is not a section of Globals; SAM refuses the template"),
        ("  Function:\n", "3:11: Globals.Function: expected a mapping, found null; SAM refuses the template"),
    ] {
        let err = load_err(&format!(
            "Transform: AWS::Serverless-2016-10-31\nGlobals:\n{globals}Resources:\n  T:\n    Type: AWS::Serverless::SimpleTable\n"
        ));
        assert!(err.starts_with(&format!("/app/template.yaml:{at}")), "{err}");
    }
    // What SAM lets Globals give loads, for the sections Sluice does not emulate too.
    super::load(
        "Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Timeout: 5, DurableConfig: {ExecutionTimeout: 60}}
  Api: {Name: shared, OpenApiVersion: '3.0'}
  HttpApi: {FailOnWarnings: true}
  SimpleTable: {SSESpecification: {SSEEnabled: true}}
  StateMachine: {PropagateTags: true}
  LayerVersion: {PublishLambdaVersion: true}
  WebSocketApi: {RouteSelectionExpression: $request.body.action}
Resources:
  T:
    Type: AWS::Serverless::SimpleTable
",
    );
}

#[test]
fn an_api_key_requirement_beside_auth_is_refused_as_sam_refuses_it() {
    // Served, this API would answer without a key while the author believes it needs one.
    let err = load_err(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      ApiKeyRequired: true
",
    );
    assert_eq!(
        err,
        "/app/template.yaml:7:23: Resources.Api.Properties.ApiKeyRequired: \
         ApiKeyRequired is not a property of AWS::Serverless::Api; SAM refuses the template\n  \
         hint: ApiKeyRequired goes under Auth"
    );
}

#[test]
fn unknown_auth_keys_are_refused_for_rest_and_http_apis() {
    let rest = load_err(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        Authorizer:
          Pool: {UserPoolArn: arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_x}
",
    );
    assert!(
        rest.starts_with(
            "/app/template.yaml:9:11: Resources.Api.Properties.Auth.Authorizer: \
             Authorizer is not a property of Auth; SAM refuses the template"
        ),
        "{rest}"
    );
    let http = load_err(
        "Transform: AWS::Serverless-2016-10-31
Globals:
  HttpApi:
    Auth:
      ApiKeyRequired: true
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
",
    );
    assert!(
        http.contains(
            "Resources.Api.Properties.Auth.ApiKeyRequired: ApiKeyRequired is not a property of Auth"
        ),
        "{http}"
    );
}

#[test]
fn auth_and_authorizers_that_are_not_mappings_are_refused() {
    let api = |auth: &str| {
        load_err(&format!(
            "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
{auth}"
        ))
    };
    let scalar_auth = load_err(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth: MyAuthorizer
",
    );
    assert!(
        scalar_auth.contains("Resources.Api.Properties.Auth: expected a mapping, found a scalar"),
        "{scalar_auth}"
    );
    let scalar_authorizers = api("        Authorizers: MyAuthorizer\n");
    assert!(
        scalar_authorizers.contains(
            "Resources.Api.Properties.Auth.Authorizers: expected a mapping, found a scalar"
        ),
        "{scalar_authorizers}"
    );
    let empty_authorizer = api("        Authorizers:\n          Pool:\n");
    assert!(
        empty_authorizer.contains(
            "Resources.Api.Properties.Auth.Authorizers.Pool: expected a mapping, found null"
        ),
        "{empty_authorizer}"
    );
}

#[test]
fn auth_beside_a_definition_uri_or_an_invalid_definition_body_is_refused_as_sam_refuses_it() {
    // SAM writes Auth into the inline document; with none it cannot, and the API would deploy
    // without the authorizers the template names.
    let api = |definition: &str| {
        load_err(&format!(
            "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      {definition}
      Auth:
        DefaultAuthorizer: AWS_IAM
"
        ))
    };
    assert_eq!(
        api("DefinitionUri: s3://bucket/api.yaml"),
        "/app/template.yaml:9:9: Resources.Api.Properties.Auth: SAM adds Auth only to an inline \
         DefinitionBody, not to a DefinitionUri document; SAM refuses the template\n  \
         hint: declare the authorizers in the document itself (securityDefinitions / \
         securitySchemes with x-amazon-apigateway-authorizer), or inline it as DefinitionBody"
    );
    for body in [
        "DefinitionBody: {openapi: 3.0.1}",
        "DefinitionBody: {openapi: '2.0', paths: {}}",
        "DefinitionBody: {swagger: '', paths: {}}",
        "DefinitionBody: {swagger: '2.0', paths: []}",
    ] {
        let err = api(body);
        assert!(
            err.contains(
                "Resources.Api.Properties.DefinitionBody: SAM cannot add Auth to it: it is not a \
                 valid OpenAPI document; SAM refuses the template"
            ),
            "{body}: {err}"
        );
    }
    let http = load_err(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody: {swagger: '2.0', paths: {}}
      Auth:
        EnableIamAuthorizer: true
",
    );
    assert!(
        http.contains("needs openapi: 3.x and a paths mapping"),
        "{http}"
    );
}

#[test]
fn auth_with_a_document_sam_accepts_still_loads() {
    for definition in [
        "DefinitionBody: {swagger: '2.0', paths: {}}",
        "DefinitionBody: {openapi: 3.0.1, paths: {}}",
        "DefinitionBody: {openapi: 3.0, paths: {}}",
        "DefinitionBody: {openapi: '3.1', paths: {}}",
        // Without a document SAM generates one; an empty Auth is skipped.
        "Description: generated",
    ] {
        load(&format!(
            "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      {definition}
      Auth:
        DefaultAuthorizer: AWS_IAM
"
        ));
    }
    load(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionUri: s3://bucket/api.yaml
      Auth: {}
",
    );
}

#[test]
fn an_event_authorizer_none_without_a_default_authorizer_is_refused_as_sam_refuses_it() {
    let template = |api_type: &str, event_type: &str, api_props: &str| {
        format!(
            "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: {api_type}
    Properties:
      StageName: prod
{api_props}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: .
      Events:
        Open:
          Type: {event_type}
          Properties:
            Path: /open
            Method: get
            {api_ref}: !Ref Api
            Auth:
              Authorizer: NONE
",
            api_ref = if event_type == "Api" {
                "RestApiId"
            } else {
                "ApiId"
            },
        )
    };
    let rest = load_err(&template("AWS::Serverless::Api", "Api", ""));
    assert_eq!(
        rest,
        "/app/template.yaml:22:27: Resources.Fn.Properties.Events.Open.Properties.Auth.Authorizer: \
         NONE is only valid when the API has a DefaultAuthorizer; SAM refuses the template\n  \
         hint: remove Authorizer: NONE (the route is open without a DefaultAuthorizer)"
    );
    let http = load_err(&template("AWS::Serverless::HttpApi", "HttpApi", ""));
    assert!(
        http.contains("NONE is only valid when the HTTP API has a DefaultAuthorizer"),
        "{http}"
    );
    // With a DefaultAuthorizer to undo, SAM takes it.
    load(&template(
        "AWS::Serverless::Api",
        "Api",
        "      Auth:\n        DefaultAuthorizer: AWS_IAM",
    ));
    load(&template(
        "AWS::Serverless::HttpApi",
        "HttpApi",
        "      Auth:\n        EnableIamAuthorizer: true\n        DefaultAuthorizer: AWS_IAM",
    ));
}

#[test]
fn a_definition_uri_beside_a_definition_body_or_merge_definitions_is_refused_as_sam_refuses_it() {
    // SAM: "Specify either 'DefinitionUri' or 'DefinitionBody' property and not both." and
    // "Cannot set 'MergeDefinitions' to True when using `DefinitionUri`."
    let api = |extra: &str| {
        load_err(&format!(
            "Transform: AWS::Serverless-2016-10-31
Globals:
  Api:
    DefinitionUri: api.yaml
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      {extra}
"
        ))
    };
    let both = "DefinitionBody: {openapi: 3.0.1, paths: {}}";
    assert_eq!(
        api(both),
        "/app/template.yaml:10:23: Resources.Api.Properties.DefinitionBody: SAM takes either \
         DefinitionUri or DefinitionBody, not both; SAM refuses the template\n  \
         hint: remove one of them (Globals may set DefinitionUri)"
    );
    let http = load_err(&format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionUri: api.yaml
      {both}
"
    ));
    assert!(
        http.contains("Resources.Api.Properties.DefinitionBody: SAM takes either DefinitionUri or DefinitionBody, not both"),
        "{http}"
    );
    assert_eq!(
        api("MergeDefinitions: true"),
        "/app/template.yaml:10:25: Resources.Api.Properties.MergeDefinitions: SAM cannot merge \
         events into a DefinitionUri document; SAM refuses the template\n  \
         hint: inline the document as DefinitionBody, or remove MergeDefinitions"
    );
}

#[test]
fn an_empty_definition_body_or_a_false_merge_beside_a_definition_uri_is_what_sam_takes() {
    // SAM tests Python truthiness: `{}` and `false` do not count.
    for extra in ["DefinitionBody: {}", "MergeDefinitions: false"] {
        load(&format!(
            "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionUri: s3://bucket/api.yaml
      {extra}
"
        ));
    }
}

#[test]
fn an_http_api_event_auth_naming_no_authorizer_needs_a_default_authorizer_as_sam_says() {
    // samtranslator push.py: "'Auth' section requires either an explicit 'Authorizer' set or a
    // 'DefaultAuthorizer' configured on the HttpApi."
    let template = |api_auth: &str, event_auth: &str| {
        format!(
            "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        EnableIamAuthorizer: true
{api_auth}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: .
      Events:
        Scoped:
          Type: HttpApi
          Properties:
            Path: /scoped
            Method: get
            ApiId: !Ref Api
            Auth:
{event_auth}
"
        )
    };
    let scopes_only = "              AuthorizationScopes: [read]";
    assert_eq!(
        load_err(&template("", scopes_only)),
        "/app/template.yaml:23:15: Resources.Fn.Properties.Events.Scoped.Properties.Auth: names no \
         Authorizer and the HTTP API has no DefaultAuthorizer; SAM refuses the template\n  \
         hint: add Authorizer: <name> here, or a DefaultAuthorizer to the HTTP API's Auth"
    );
    let empty_name = "              Authorizer: ''";
    assert!(
        load_err(&template("", empty_name)).contains("names no Authorizer"),
        "an empty name is no name to SAM"
    );
    // A DefaultAuthorizer, or an authorizer named on the event, is what SAM asks for.
    load(&template("        DefaultAuthorizer: AWS_IAM", scopes_only));
    load(&template("", "              Authorizer: AWS_IAM"));
}

#[test]
fn a_function_setting_a_variable_lambda_reserves_is_refused_with_lambdas_message() {
    // AWS: CreateFunction fails with InvalidParameterValueException and this text, which
    // CloudFormation reports as the resource's failure; the keys are the developer guide's list.
    let yaml = "Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables:
          TABLE: items
          AWS_REGION: eu-west-1
          AWS_ACCESS_KEY_ID: AKID
";
    assert_eq!(
        load_err(yaml),
        "/app/template.yaml:12:30: Resources.Fn.Properties.Environment.Variables.AWS_ACCESS_KEY_ID: \
         Lambda was unable to configure your environment variables because the environment \
         variables you have provided contains reserved keys that are currently not supported for \
         modification. Reserved keys used in this request: AWS_ACCESS_KEY_ID, AWS_REGION\n  \
         hint: Lambda sets AWS_ACCESS_KEY_ID, AWS_REGION itself; give the variable another name"
    );
    // From Globals too, and on a raw AWS::Lambda::Function.
    let globals = "Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Environment:
      Variables: {AWS_DEFAULT_REGION: eu-west-1}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.handler, Runtime: python3.12}
";
    assert!(
        load_err(globals).contains("Reserved keys used in this request: AWS_DEFAULT_REGION"),
        "{}",
        load_err(globals)
    );
    let raw = "Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Code: ./src
      Environment:
        Variables: {LAMBDA_TASK_ROOT: /tmp}
";
    assert!(
        load_err(raw).starts_with(
            "/app/template.yaml:9:39: Resources.Fn.Properties.Environment.Variables.LAMBDA_TASK_ROOT: \
             Lambda was unable"
        ),
        "{}",
        load_err(raw)
    );
}

#[test]
fn variables_lambda_sets_but_does_not_reserve_may_be_set() {
    // AWS: TZ, LANG, PATH, the search paths and the X-Ray variables are set by Lambda yet open
    // to the function (the developer guide's "Unreserved environment variables").
    let model = super::load(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables:
          TZ: Europe/Paris
          LANG: C.UTF-8
          PATH: /bin
          LD_LIBRARY_PATH: /lib
          NODE_PATH: /n
          PYTHONPATH: /p
          AWS_XRAY_CONTEXT_MISSING: IGNORE_ERROR
          AWS_LAMBDA_EXEC_WRAPPER: /opt/wrap
",
    );
    assert_eq!(model.functions[0].environment["TZ"], "Europe/Paris");
    assert_eq!(model.functions[0].environment.len(), 8);
}

/// A SAM function whose `Environment.Variables` is `variables` (a YAML flow mapping).
fn with_variables(variables: &str) -> String {
    format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables: {variables}
"
    )
}

#[test]
fn variable_names_lambda_refuses_are_refused_with_its_validation_message() {
    // AWS: CreateFunction validates the keys against `[a-zA-Z]([a-zA-Z0-9_])+` (the API's
    // Environment shape; the developer guide: a letter first, two characters at least, letters,
    // digits and _ only).
    for bad in ["A", "1ST", "MY-VAR", "_PRIVATE", "my.var"] {
        let err = load_err(&with_variables(&format!("{{OK: x, '{bad}': y}}")));
        let expected = format!(
            "Resources.Fn.Properties.Environment.Variables.{bad}: 1 validation error detected: \
             Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy \
             constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]"
        );
        assert!(
            err.starts_with("/app/template.yaml:9:") && err.contains(&expected),
            "{bad}: {err}"
        );
    }
    super::load(&with_variables("{ab: x, A1: y, A_: z, Zz_9: w}"));
}

#[test]
fn variables_over_four_kilobytes_are_refused_as_lambda_measures_them() {
    // AWS: the variables are measured as compact JSON, `{"K":"V"}`: 4096 bytes pass, 4097 do
    // not ("exceeded the 4KB limit. String measured: …").
    let fits = format!("{{AB: '{}'}}", "x".repeat(4096 - r#"{"AB":""}"#.len()));
    super::load(&with_variables(&fits));
    let over = format!("{{AB: '{}'}}", "x".repeat(4097 - r#"{"AB":""}"#.len()));
    let err = load_err(&with_variables(&over));
    assert!(
        err.starts_with(
            "/app/template.yaml:9:20: Resources.Fn.Properties.Environment.Variables: Lambda was \
             unable to configure your environment variables because the environment variables you \
             have provided exceeded the 4KB limit. String measured: {\"AB\":\"xxx"
        ),
        "{err}"
    );
}

#[test]
fn a_condition_that_is_not_a_condition_name_is_refused_wherever_the_resource_is_read() {
    // CloudFormation: "Template format error: Every Condition member must be a string". The
    // nested stack is read before the other resources: it used to be loaded as if enabled.
    for (ty, properties) in [
        ("AWS::CloudFormation::Stack", "{TemplateURL: ./child.yaml}"),
        ("AWS::Serverless::HttpApi", "{StageName: prod}"),
        ("AWS::ApiGateway::ApiKey", "{Enabled: true}"),
    ] {
        let yaml = format!(
            "Conditions:
  On: !Equals [a, a]
Resources:
  R:
    Type: {ty}
    Condition: [On]
    Properties: {properties}
"
        );
        assert_eq!(
            load_err(&yaml),
            "/app/template.yaml:6:16: Resources.R.Condition: Condition takes the name of a condition, found a list\n  \
             hint: name a key of Conditions (Condition: IsProd); write the expression there",
            "{ty}"
        );
    }
}
