//! `Auth`, usage plans, method settings and Cognito resources, as the gateway will see them.

use super::{load, load_err};
use crate::auth_model::*;

const FIXTURE: &str = include_str!("../../../cli/tests/fixtures/auth/template.yaml");

#[test]
fn the_auth_fixture_resolves_every_route() {
    let model = load(FIXTURE);
    let api = &model.auth.apis["Api"];
    let route = |path: &str| {
        api.route("GET", path)
            .unwrap_or_else(|| panic!("route {path}"))
    };
    assert_eq!(route("/public").authorizer, RouteAuthorizer::None);
    assert_eq!(
        route("/me").authorizer,
        RouteAuthorizer::Named("Cognito".into())
    );
    assert_eq!(route("/scoped").scopes, vec!["items/read".to_owned()]);
    assert_eq!(
        api.route("ANY", "/iam").expect("route /iam").authorizer,
        RouteAuthorizer::Iam
    );
    assert!(route("/keyed").api_key_required);
    assert!(!route("/me").api_key_required);

    let Authorizer::Cognito(cognito) = &api.authorizers["Cognito"] else {
        panic!("Cognito authorizer");
    };
    assert_eq!(cognito.pools, vec![PoolRef::Local("UserPool".into())]);
    assert_eq!(cognito.header, "Authorization");
    let Authorizer::Lambda(token) = &api.authorizers["TokenAuth"] else {
        panic!("TokenAuth");
    };
    assert_eq!(token.function, "AuthorizerFunction");
    assert_eq!(token.ttl_secs, 300);
    assert_eq!(
        token.payload,
        LambdaPayload::Token {
            header: "X-Token".into(),
            validation_expression: Some("[a-z]+".into())
        }
    );
    let Authorizer::Lambda(request) = &api.authorizers["RequestAuth"] else {
        panic!("RequestAuth");
    };
    assert_eq!(
        request.payload,
        LambdaPayload::Request {
            identity: vec![
                IdentitySource::Header("X-User".into()),
                IdentitySource::Query("tenant".into())
            ]
        }
    );
    let Authorizer::Lambda(no_cache) = &api.authorizers["NoCacheAuth"] else {
        panic!("NoCacheAuth");
    };
    assert_eq!(no_cache.ttl_secs, 0);

    assert_eq!(api.method_settings.len(), 2);
    assert!(api.cache_cluster_enabled);
    assert_eq!(api.method_settings[0].caching_enabled, Some(true));
    assert_eq!(api.method_settings[0].cache_ttl_secs, Some(60));
    let setting = &api.method_settings[1];
    assert_eq!(setting.resource_path, "/limited");
    assert_eq!(setting.http_method, "GET");
    assert_eq!(setting.rate_limit, Some(10.0));
    assert_eq!(setting.burst_limit, Some(50));

    // SAM's PER_API plan: one plan and one generated, enabled key; the raw plan beside it.
    let plan = |id: &str| {
        model
            .auth
            .usage_plans
            .iter()
            .find(|p| p.logical_id == id)
            .expect(id)
    };
    let key = |id: &str| {
        model
            .auth
            .api_keys
            .iter()
            .find(|k| k.logical_id == id)
            .expect(id)
    };
    let sam = plan("ApiUsagePlan");
    assert_eq!(sam.apis, vec!["Api".to_owned()]);
    assert_eq!(sam.keys, vec!["ApiApiKey".to_owned()]);
    assert_eq!(
        sam.quota,
        Some(Quota {
            limit: 3,
            period: QuotaPeriod::Day,
            offset: 0
        })
    );
    assert_eq!(key("ApiApiKey").value, None);
    assert!(key("ApiApiKey").enabled);
    let raw = plan("BurstPlan");
    assert_eq!(
        raw.keys,
        vec!["FixedKey".to_owned(), "DisabledKey".to_owned()]
    );
    assert_eq!(
        raw.throttle,
        Some(Throttle {
            rate_limit: 0.01,
            burst_limit: 2
        })
    );
    assert!(key("FixedKey").enabled && !key("DisabledKey").enabled);

    let pool = model.auth.user_pool("UserPool").expect("pool");
    assert!(pool.pool_id.starts_with("us-east-1_") && pool.pool_id.len() == 19);
    assert_eq!(pool.clients.len(), 1);
    assert_eq!(pool.clients[0].client_id.len(), 26);
    assert!(
        model
            .warnings
            .iter()
            .all(|w| !w.contains("Cognito") && !w.contains("Auth")),
        "{:?}",
        model.warnings
    );
}

#[test]
fn refs_to_cognito_resources_give_aws_shaped_ids() {
    let model = load(
        r#"
Resources:
  Pool: { Type: AWS::Cognito::UserPool }
  Client: { Type: AWS::Cognito::UserPoolClient, Properties: { UserPoolId: !Ref Pool } }
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.b
      InlineCode: x
      Environment:
        Variables:
          POOL: !Ref Pool
          CLIENT: !Ref Client
          ARN: !GetAtt Pool.Arn
"#,
    );
    let pool = model.auth.user_pool("Pool").expect("pool");
    let env = &model.functions[0].environment;
    assert_eq!(env["POOL"], pool.pool_id);
    assert_eq!(env["CLIENT"], pool.clients[0].client_id);
    assert_eq!(
        env["ARN"],
        format!(
            "arn:aws:cognito-idp:us-east-1:123456789012:userpool/{}",
            pool.pool_id
        )
    );
}

#[test]
fn raw_usage_plan_resources_and_globals() {
    let model = load(
        r#"
Transform: AWS::Serverless-2016-10-31
Globals:
  Api:
    Auth:
      ApiKeyRequired: true
Resources:
  Key: { Type: AWS::ApiGateway::ApiKey, Properties: { Value: abcdefghijklmnopqrst, Enabled: true } }
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      ApiStages: [{ ApiId: !Ref ServerlessRestApi, Stage: Prod }]
      Throttle: { RateLimit: 5, BurstLimit: 2 }
      Quota: { Limit: 100, Period: WEEK, Offset: 2 }
  PlanKey:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties: { KeyId: !Ref Key, KeyType: API_KEY, UsagePlanId: !Ref Plan }
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.b
      InlineCode: x
      Events:
        Get: { Type: Api, Properties: { Path: /x, Method: get } }
"#,
    );
    assert!(
        model.auth.apis["ServerlessRestApi"]
            .route("GET", "/x")
            .expect("route")
            .api_key_required
    );
    let plan = &model.auth.usage_plans[0];
    assert_eq!(plan.apis, vec!["ServerlessRestApi".to_owned()]);
    assert_eq!(plan.keys, vec!["Key".to_owned()]);
    assert_eq!(
        plan.throttle,
        Some(Throttle {
            rate_limit: 5.0,
            burst_limit: 2
        })
    );
    assert_eq!(
        plan.quota.map(|q| (q.period, q.offset)),
        Some((QuotaPeriod::Week, 2))
    );
    assert_eq!(
        model.auth.api_keys[0].value.as_deref(),
        Some("abcdefghijklmnopqrst")
    );
    assert!(model.warnings.is_empty(), "{:?}", model.warnings);
}

/// `ApiStages[].Throttle` keys are a method's path and HTTP method (`/x/GET`, `/GET` for the
/// root), as the CDK writes them; a key that names no method limits nothing and says so.
#[test]
fn a_usage_plans_per_method_throttles_are_read_per_stage() {
    let model = load(
        r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      ApiStages:
        - ApiId: !Ref ServerlessRestApi
          Stage: Prod
          Throttle:
            /x/GET: { RateLimit: 2, BurstLimit: 1 }
            /GET: { RateLimit: 4 }
            /y/POST: { RateLimit: 1, BurstLimit: 1 }
            GET /x: { RateLimit: 1, BurstLimit: 1 }
      Throttle: { RateLimit: 5, BurstLimit: 2 }
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.b
      InlineCode: x
      Events:
        Get: { Type: Api, Properties: { Path: /x, Method: get } }
        Root: { Type: Api, Properties: { Path: /, Method: get } }
"#,
    );
    let plan = &model.auth.usage_plans[0];
    let throttle = |rate_limit, burst_limit| Throttle {
        rate_limit,
        burst_limit,
    };
    let entry = |path: &str, method: &str, limit| PlanMethodThrottle {
        api: "ServerlessRestApi".into(),
        resource_path: path.into(),
        http_method: method.into(),
        throttle: limit,
    };
    assert_eq!(plan.throttle, Some(throttle(5.0, 2)));
    assert_eq!(
        plan.method_throttles,
        vec![
            entry("/x", "GET", throttle(2.0, 1)),
            // A plan's limit with a rate only bursts to the rate, as the plan's own does.
            entry("/", "GET", throttle(4.0, 4)),
            entry("/y", "POST", throttle(1.0, 1)),
        ]
    );
    assert_eq!(
        model.warnings,
        [
            "Resources.Plan.Properties.ApiStages[0].Throttle.GET /x: \"GET /x\" is not a method path such as /pets/GET or /GET (ignored)",
            "Resources.Plan.Properties.ApiStages: Throttle /y/POST names no method of ServerlessRestApi (it limits nothing)",
        ]
    );
}

#[test]
fn errors_name_the_property() {
    let unknown = load_err(
        r#"
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Auth:
        DefaultAuthorizer: Missing
        Authorizers:
          Other: {FunctionArn: arn:aws:lambda:us-east-1:123456789012:function:auth}
"#,
    );
    assert!(
        unknown.contains("Resources.Api.Properties.Auth.DefaultAuthorizer"),
        "{unknown}"
    );
    assert!(
        unknown.contains("no authorizer named \"Missing\""),
        "{unknown}"
    );
    let period = load_err(
        r#"
Resources:
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      Quota: { Limit: 1, Period: YEAR }
"#,
    );
    assert!(
        period.contains("Resources.Plan.Properties.Quota.Period") && period.contains("YEAR"),
        "{period}"
    );
}

/// An API whose only authorizer is `L`, written as `authorizer` (indented under `L:`).
fn api_with_authorizer(authorizer: &str) -> String {
    format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Auth:
        DefaultAuthorizer: L
        Authorizers:
          L:
            FunctionArn: arn:aws:lambda:us-east-1:123456789012:function:auth
{authorizer}"
    )
}

#[test]
fn a_request_authorizer_without_identity_sources_is_refused_as_sam_refuses_it() {
    let message = "L Authorizer must specify Identity with at least one of Headers, \
                   QueryStrings, StageVariables, or Context; SAM refuses the template";
    for identity in [
        "",
        "            Identity: {}\n",
        "            Identity: {Headers: []}\n",
        "            Identity: {ReauthorizeEvery: 60}\n",
    ] {
        let err = load_err(&api_with_authorizer(&format!(
            "            FunctionPayloadType: REQUEST\n{identity}"
        )));
        assert!(
            err.contains("Resources.Api.Properties.Auth.Authorizers.L.Identity: ")
                && err.contains(message),
            "{identity:?}: {err}"
        );
    }
    // Without caching SAM needs no source, and one source is enough.
    for identity in ["{ReauthorizeEvery: 0}", "{Context: [sourceIp]}"] {
        let model = load(&api_with_authorizer(&format!(
            "            FunctionPayloadType: REQUEST\n            Identity: {identity}\n"
        )));
        assert!(model.auth.apis["Api"].authorizers.contains_key("L"));
    }
}

#[test]
fn authorization_scopes_that_are_not_a_list_are_refused_as_sam_refuses_them() {
    let err = load_err(&api_with_authorizer(
        "            AuthorizationScopes: email\n",
    ));
    assert!(
        err.contains("Resources.Api.Properties.Auth.Authorizers.L.AuthorizationScopes: expected a list, found a scalar; SAM refuses the template"),
        "{err}"
    );
}

#[test]
fn a_default_authorizer_without_any_authorizers_is_dropped_as_sam_drops_it() {
    let model = load(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Auth:
        DefaultAuthorizer: Foo
  F:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Events:
        Get:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /open, Method: get}
",
    );
    let route = model.auth.apis["Api"].route("GET", "/open").expect("route");
    assert_eq!(route.authorizer, RouteAuthorizer::None);
    assert_eq!(
        model.warnings,
        ["Resources.Api.Properties.Auth.DefaultAuthorizer: \"Foo\" names no authorizer and the API defines no Authorizers, so SAM drops it: its routes are open, as on AWS"]
    );
    // With Authorizers, a name that is not among them is still an error, as in SAM.
    let err = load_err(
        &api_with_authorizer("").replace("DefaultAuthorizer: L", "DefaultAuthorizer: Foo"),
    );
    assert!(err.contains("no authorizer named \"Foo\""), "{err}");
}

#[test]
fn raw_methods_and_openapi_security_are_recorded() {
    let model = load(include_str!(
        "../../../cli/tests/fixtures/auth-raw/template.yaml"
    ));
    let raw = &model.auth.apis["Raw"];
    assert!(raw.methods["Resources.IamMethod"].iam);
    assert!(raw.methods["Resources.KeyMethod"].api_key_required);
    assert!(raw.methods["Resources.CognitoMethod"]
        .unenforceable
        .is_some());
    // AuthorizerId names an AWS::ApiGateway::Authorizer, read like an OpenAPI authorizer.
    let token_method = &raw.methods["Resources.TokenMethod"];
    assert_eq!(token_method.unenforceable, None);
    assert_eq!(
        token_method.authorizer.as_deref(),
        Some("RawTokenAuthorizer")
    );
    let Authorizer::Lambda(token) = &raw.authorizers["RawTokenAuthorizer"] else {
        panic!("RawTokenAuthorizer");
    };
    assert_eq!(token.function, "AuthorizerFunction");
    assert_eq!(token.ttl_secs, 0);
    assert_eq!(
        token.payload,
        LambdaPayload::Token {
            header: "X-Token".into(),
            validation_expression: None
        }
    );
    assert_eq!(
        raw.methods["Resources.PoolMethod"].authorizer.as_deref(),
        Some("RawPoolAuthorizer")
    );
    let Authorizer::Cognito(pool) = &raw.authorizers["RawPoolAuthorizer"] else {
        panic!("RawPoolAuthorizer");
    };
    assert_eq!(pool.pools, vec![PoolRef::Local("UserPool".into())]);
    assert_eq!(pool.header, "Authorization");
    let secured = &model.auth.apis["SecuredDoc"];
    assert_eq!(secured.routes.len(), 1);
    assert_eq!(
        secured.routes[0].authorizer,
        RouteAuthorizer::Named("token".into())
    );
    assert!(matches!(
        secured.authorizers["token"],
        Authorizer::Unenforceable(_)
    ));
    assert!(model.auth.apis["DefaultedDoc"].routes.is_empty());
    assert_eq!(
        model.auth.apis["DefaultedDoc"].default_authorizer,
        Some(RouteAuthorizer::Named("Cognito".into()))
    );
}

#[test]
fn a_documents_operations_get_the_default_authorizer_as_sam_applies_it() {
    let model = load(
        r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Pool:
    Type: AWS::Cognito::UserPool
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Auth:
        DefaultAuthorizer: Cognito
        Authorizers:
          Cognito:
            UserPoolArn: !GetAtt Pool.Arn
            AuthorizationScopes: [read]
      DefinitionBody:
        swagger: '2.0'
        securityDefinitions:
          api_key: { type: apiKey, name: x-api-key, in: header }
        paths:
          /keyed:
            get:
              security: [ { api_key: [] } ]
              x-amazon-apigateway-integration: &fn { type: aws_proxy, uri: !GetAtt Fn.Arn }
          /none:
            get:
              security: [ { NONE: [] } ]
              x-amazon-apigateway-integration: *fn
          /plain:
            get:
              x-amazon-apigateway-integration: *fn
  Fn:
    Type: AWS::Serverless::Function
    Properties: { Handler: app.handler, Runtime: python3.12 }
"#,
    );
    let api = &model.auth.apis["Api"];
    // An API key alone names no authorizer: SAM adds the default beside it.
    let keyed = api.route("GET", "/keyed").expect("keyed");
    assert_eq!(keyed.authorizer, RouteAuthorizer::Named("Cognito".into()));
    assert_eq!(keyed.scopes, vec!["read".to_owned()]);
    assert!(keyed.api_key_required);
    // SAM's NONE marker keeps the default off.
    let none = api.route("GET", "/none").expect("none");
    assert_eq!(none.authorizer, RouteAuthorizer::None);
    assert!(!none.api_key_required);
    // Nothing said: the gateway applies the API's default (no entry of the document's own).
    assert!(api.route("GET", "/plain").is_none());
    // Auth.ApiKeyRequired joins an operation's own security, unless it says api_key_false.
    let keyed_model = load(
        r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Auth:
        ApiKeyRequired: true
      DefinitionBody:
        swagger: '2.0'
        securityDefinitions:
          Token:
            type: apiKey
            name: Authorization
            in: header
            x-amazon-apigateway-authorizer: { type: token, authorizerUri: !GetAtt Fn.Arn }
        paths:
          /token:
            get:
              security: [ { Token: [] } ]
              x-amazon-apigateway-integration: &fn { type: aws_proxy, uri: !GetAtt Fn.Arn }
          /free:
            get:
              security: [ { api_key_false: [] } ]
              x-amazon-apigateway-integration: *fn
  Fn:
    Type: AWS::Serverless::Function
    Properties: { Handler: app.handler, Runtime: python3.12 }
"#,
    );
    let keyed = &keyed_model.auth.apis["Api"];
    let token = keyed.route("GET", "/token").expect("token");
    assert_eq!(token.authorizer, RouteAuthorizer::Named("Token".into()));
    assert!(token.api_key_required);
    assert!(!keyed.route("GET", "/free").expect("free").api_key_required);
    assert_eq!(
        api.default_authorizer,
        Some(RouteAuthorizer::Named("Cognito".into()))
    );
}

#[test]
fn a_security_that_is_not_a_list_fails_closed_unless_a_merged_event_replaces_it() {
    let template = |merge: &str| {
        format!(
            r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Pool:
    Type: AWS::Cognito::UserPool
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
{merge}      Auth:
        Authorizers:
          Cognito: {{ UserPoolArn: !GetAtt Pool.Arn }}
      DefinitionBody:
        swagger: '2.0'
        paths:
          /test:
            get:
              security: {{ Cognito: [] }}
              x-amazon-apigateway-integration: {{ type: aws_proxy, uri: !GetAtt Fn.Arn }}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Events:
        Get:
          Type: Api
          Properties: {{ RestApiId: !Ref Api, Path: /test, Method: get, Auth: {{ Authorizer: Cognito }} }}
"#
        )
    };
    let model = load(&template(""));
    let api = &model.auth.apis["Api"];
    let RouteAuthorizer::Named(name) = &api.route("GET", "/test").expect("route").authorizer else {
        panic!("{:?}", api.routes)
    };
    assert!(matches!(
        api.authorizers[name],
        Authorizer::Unenforceable(_)
    ));
    let model = load(&template("      MergeDefinitions: true\n"));
    assert_eq!(
        model.auth.apis["Api"]
            .route("GET", "/test")
            .expect("route")
            .authorizer,
        RouteAuthorizer::Named("Cognito".into())
    );
}

#[test]
fn an_empty_validation_expression_validates_nothing() {
    let model = load(
        r#"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Pattern: { Type: String, Default: "" }
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Auth:
        Authorizers:
          Token:
            FunctionArn: !GetAtt Fn.Arn
            Identity: { Header: X-Token, ValidationExpression: !Ref Pattern }
  Doc:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Body:
        swagger: '2.0'
        securityDefinitions:
          Token:
            type: apiKey
            name: X-Token
            in: header
            x-amazon-apigateway-authtype: custom
            x-amazon-apigateway-authorizer:
              type: token
              identityValidationExpression: !Ref Pattern
              authorizerUri: !GetAtt Fn.Arn
        paths:
          /token:
            get:
              security: [ { Token: [] } ]
              x-amazon-apigateway-integration: { type: aws_proxy, uri: !GetAtt Fn.Arn }
  Fn:
    Type: AWS::Serverless::Function
    Properties: { Handler: app.handler, Runtime: python3.12 }
"#,
    );
    for api in ["Api", "Doc"] {
        let Authorizer::Lambda(token) = &model.auth.apis[api].authorizers["Token"] else {
            panic!("{api}: Token authorizer");
        };
        assert_eq!(
            token.payload,
            LambdaPayload::Token {
                header: "X-Token".into(),
                validation_expression: None
            },
            "{api}"
        );
    }
}

#[test]
fn a_lambda_authorizer_invokes_the_qualifier_its_arn_or_uri_names() {
    // SAM builds the authorizer URI around `FunctionArn` as written
    // (`…/functions/${__FunctionArn__}/invocations`), so its qualifier is what API Gateway invokes.
    let model = load(
        r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Auth:
        Authorizers:
          AliasAuth: { FunctionArn: !Ref AuthFn.Alias }
          VersionAuth: { FunctionArn: !Ref AuthFn.Version }
          LatestAuth: { FunctionArn: !GetAtt AuthFn.Arn }
          SubAuth: { FunctionArn: !Sub '${AuthFn.Arn}:live' }
          ExplicitLatestAuth: { FunctionArn: !Sub '${AuthFn.Arn}:$LATEST' }
  Documented:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionBody:
        openapi: 3.0.1
        components:
          securitySchemes:
            Live:
              type: apiKey
              name: Authorization
              in: header
              x-amazon-apigateway-authorizer:
                type: token
                authorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AuthFn.Arn}:live/invocations
            Plain:
              type: apiKey
              name: Authorization
              in: header
              x-amazon-apigateway-authorizer:
                type: token
                authorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AuthFn.Arn}/invocations
        paths: {}
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        Authorizers:
          HttpAlias:
            FunctionArn: !Ref AuthFn.Alias
            AuthorizerPayloadFormatVersion: '2.0'
            Identity: { Headers: [Authorization] }
  AuthFn:
    Type: AWS::Serverless::Function
    Properties: { Handler: app.handler, Runtime: python3.12, AutoPublishAlias: live }
"#,
    );
    let lambda = |api: &str, name: &str| match &model.auth.apis[api].authorizers[name] {
        Authorizer::Lambda(lambda) => lambda.clone(),
        other => panic!("{api}.{name}: {other:?}"),
    };
    let name = model.function("AuthFn").expect("AuthFn").name.clone();
    for (api, authorizer, qualifier) in [
        ("Api", "AliasAuth", Some("live")),
        (
            "Api",
            "VersionAuth",
            Some(sluice_aws_env::PUBLISHED_VERSION),
        ),
        ("Api", "LatestAuth", None),
        ("Api", "SubAuth", Some("live")),
        ("Api", "ExplicitLatestAuth", None),
        ("Documented", "Live", Some("live")),
        ("Documented", "Plain", None),
        ("Http", "HttpAlias", Some("live")),
    ] {
        let found = lambda(api, authorizer);
        assert_eq!(found.qualifier.as_deref(), qualifier, "{api}.{authorizer}");
        // The function itself, by logical id or by the name Lambda knows it by.
        assert!(
            found.function == "AuthFn" || found.function == name,
            "{api}.{authorizer}: {}",
            found.function
        );
    }
}
