//! Table tests from API Gateway's documented mapping-template examples (developer guide: "Variables
//! for data transformations" and "Examples using variables for mapping template transformations").

use super::*;

fn params() -> Params {
    Params {
        path: vec![("petId".into(), "7".into())],
        querystring: vec![("type".into(), "dog".into()), ("name".into(), "Rex".into())],
        header: vec![
            ("User-Agent".into(), "curl/8".into()),
            ("name".into(), "from-header".into()),
        ],
    }
}

fn context() -> serde_json::Value {
    serde_json::json!({
        "stage": "prod", "requestId": "abcdefg-000-000-0000-abcdefg", "apiId": "abcd1234",
        "resourcePath": "/pets/{petId}", "httpMethod": "GET",
        "identity": {"sourceIp": "192.0.2.1", "userAgent": "curl/8", "apiKey": null},
        "authorizer": {"principalId": "me", "claims": {"sub": "42"}},
    })
}

fn render(template: &str, body: &str) -> String {
    let (params, context) = (params(), context());
    let stage_variables = [("env".to_owned(), "dev".to_owned())].into();
    MappingInput::new(body, &params, &context, &stage_variables)
        .render(template)
        .unwrap_or_else(|e| panic!("{template}: {e}"))
}

fn render_json(template: &str, body: &str) -> serde_json::Value {
    let out = render(template, body);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{out}: {e}"))
}

#[test]
fn input_variables() {
    let body = r#"{"name": "Rex", "toys": [{"kind": "ball"}, {"kind": "rope"}], "age": 3}"#;
    for (template, expected) in [
        ("$input.body", body.to_owned()),
        ("$input.json('$.name')", r#""Rex""#.to_owned()),
        ("$input.json('$.toys[1]')", r#"{"kind":"rope"}"#.to_owned()),
        ("$input.path('$.name')", "Rex".to_owned()),
        ("$input.path('$.toys').size()", "2".to_owned()),
        ("$input.path('$.toys')[0].kind", "ball".to_owned()),
        ("$input.path('$.age') + 1", "3 + 1".to_owned()),
        ("#set($a = $input.path('$.age') + 1)$a", "4".to_owned()),
        (
            "$input.params('petId') $input.params('type') $input.params('User-Agent')",
            "7 dog curl/8".to_owned(),
        ),
        // Path, then query string, then header.
        ("$input.params('name')", "Rex".to_owned()),
        ("[$input.params('nope')]", "[]".to_owned()),
        (
            "$input.params().path.petId $input.params().header.get('User-Agent')",
            "7 curl/8".to_owned(),
        ),
        (
            "$context.stage $context.identity.sourceIp $context.authorizer.claims.sub",
            "prod 192.0.2.1 42".to_owned(),
        ),
        ("$stageVariables.env", "dev".to_owned()),
    ] {
        assert_eq!(render(template, body), expected, "{template}");
    }
}

#[test]
fn util_functions() {
    for (template, expected) in [
        (
            r#"$util.escapeJavaScript("it's a \"test\"/ok")"#,
            r#"it\'s a \"test\"\/ok"#,
        ),
        // Control characters by name or as `\u00XX`, DEL as it is, beyond ASCII in UTF-16 units.
        (
            "$util.escapeJavaScript(\"a\tb\u{1}\u{7f}é😀\")",
            "a\\tb\\u0001\u{7f}\\u00E9\\uD83D\\uDE00",
        ),
        // A missing value escapes to no value, which renders as nothing (serverless-patterns
        // apigw-lambda-json-xml-vtl-transformation escapes a tag's absent `value`).
        (
            r#"#set($o = $util.parseJson('{"name": "doggie"}'))<t n="$o.name">$util.escapeJavaScript($o.value)</t>"#,
            r#"<t n="doggie"></t>"#,
        ),
        ("$util.urlEncode('a b&c=d/é')", "a+b%26c%3Dd%2F%C3%A9"),
        ("$util.urlDecode('a+b%26c')", "a b&c"),
        ("$util.base64Encode('hello')", "aGVsbG8="),
        ("$util.base64Decode('aGVsbG8=')", "hello"),
        (
            r#"#set($o = $util.parseJson('{"a": [1, {"b": "c"}]}'))$o.a[1].b"#,
            "c",
        ),
    ] {
        assert_eq!(render(template, "{}"), expected, "{template}");
    }
}

/// "Example 1: Pass multiple `$context` variables to the integration endpoint".
#[test]
fn documented_context_example() {
    let out = render_json(
        r#"{
    "stage" : "$context.stage",
    "request_id" : "$context.requestId",
    "api_id" : "$context.apiId",
    "resource_path" : "$context.resourcePath",
    "http_method" : "$context.httpMethod",
    "source_ip" : "$context.identity.sourceIp",
    "user-agent" : "$context.identity.userAgent"
}"#,
        "",
    );
    assert_eq!(
        out,
        serde_json::json!({
            "stage": "prod", "request_id": "abcdefg-000-000-0000-abcdefg", "api_id": "abcd1234",
            "resource_path": "/pets/{petId}", "http_method": "GET", "source_ip": "192.0.2.1",
            "user-agent": "curl/8",
        })
    );
}

/// "Example 2: Pass all request parameters to the integration endpoint through a JSON payload".
#[test]
fn documented_all_params_example() {
    let out = render_json(
        r#"#set($allParams = $input.params())
{
  "params" : {
    #foreach($type in $allParams.keySet())
    #set($params = $allParams.get($type))
    "$type" : {
      #foreach($paramName in $params.keySet())
      "$paramName" : "$util.escapeJavaScript($params.get($paramName))"
      #if($foreach.hasNext),#end
      #end
    }
    #if($foreach.hasNext),#end
    #end
  }
}"#,
        "",
    );
    assert_eq!(
        out,
        serde_json::json!({"params": {
            "path": {"petId": "7"},
            "querystring": {"type": "dog", "name": "Rex"},
            "header": {"User-Agent": "curl/8", "name": "from-header"},
        }})
    );
}

/// The photo-album transformation of the "Mapping template transformations" tutorial.
#[test]
fn documented_photos_example() {
    let body = r#"{"photos": {"page": 1, "photo": [
        {"id": "12345678901", "owner": "23456789@A12", "title": "Example", "ispublic": true, "isfriend": false, "isfamily": false},
        {"id": "12345678902", "owner": "23456789@A12", "title": "Example", "ispublic": true, "isfriend": false, "isfamily": false}
    ]}}"#;
    let out = render_json(
        r#"#set($inputRoot = $input.path('$'))
{
  "photos": [
#foreach($elem in $inputRoot.photos.photo)
    {
      "id": "$elem.id",
      "photographedBy": "$elem.owner",
      "title": "$elem.title",
      "ispublic": $elem.ispublic,
      "isfriend": $elem.isfriend,
      "isfamily": $elem.isfamily
    }#if($foreach.hasNext),#end
#end
  ]
}"#,
        body,
    );
    let photo = |id: &str| {
        serde_json::json!({"id": id, "photographedBy": "23456789@A12", "title": "Example",
            "ispublic": true, "isfriend": false, "isfamily": false})
    };
    assert_eq!(
        out,
        serde_json::json!({"photos": [photo("12345678901"), photo("12345678902")]})
    );
}

/// `$input.json('$')` passes the body through; an empty body is `{}`; `$util.parseJson` of it
/// gives an object (the documented "Example 3" shape).
#[test]
fn body_passthrough_and_parse() {
    let template = r#"{"body": $input.json('$'), "name": "$input.params('name')"}"#;
    assert_eq!(
        render_json(template, r#"{"a": [1, 2]}"#),
        serde_json::json!({"body": {"a": [1, 2]}, "name": "Rex"})
    );
    assert_eq!(
        render_json(template, ""),
        serde_json::json!({"body": {}, "name": "Rex"})
    );
    let template = r#"#set($b = $util.parseJson($input.json('$')))
{"count": $b.items.size(), "first": "$b.items[0]"}"#;
    assert_eq!(
        render_json(template, r#"{"items": ["x", "y"]}"#),
        serde_json::json!({"count": 2, "first": "x"})
    );
}

#[test]
fn unknown_methods_and_bad_paths_fail_the_render() {
    let (params, context) = (params(), context());
    let vars = BTreeMap::new();
    let input = MappingInput::new("{}", &params, &context, &vars);
    for template in [
        "$util.nope('x')",
        "$input.json('no-dollar')",
        "$util.parseJson('{')",
    ] {
        assert!(input.render(template).is_err(), "{template}");
    }
}

/// AWS's "Override an API's response status code" tutorial: a response template sets the status
/// and headers through `$context.responseOverride`.
#[test]
fn response_templates_override_the_status_and_headers() {
    let (params, context) = (params(), context());
    let stage_variables = BTreeMap::new();
    let template = r#"#set($inputRoot = $input.path('$'))
$input.json("$")
#if($inputRoot.toString().contains("error"))
#set($context.responseOverride.status = 400)
#set($context.responseOverride.header.X-Reason = "failed")
#end"#;
    let failed = MappingInput::new(
        r#"{"message":"an error"}"#,
        &params,
        &context,
        &stage_variables,
    );
    let body = failed.render(template).expect("renders");
    assert!(body.contains(r#"{"message":"an error"}"#), "{body}");
    assert_eq!(
        failed.response_override(),
        ResponseOverride {
            status: Some(400),
            headers: vec![("X-Reason".to_owned(), "failed".to_owned())],
        }
    );
    let fine = MappingInput::new(r#"{"message":"ok"}"#, &params, &context, &stage_variables);
    fine.render(template).expect("renders");
    assert_eq!(fine.response_override(), ResponseOverride::default());
    // A string status counts; one outside HTTP's range does not.
    let text = MappingInput::new("{}", &params, &context, &stage_variables);
    text.render(r#"#set($context.responseOverride.status = "202")"#)
        .expect("renders");
    assert_eq!(text.response_override().status, Some(202));
    let odd = MappingInput::new("{}", &params, &context, &stage_variables);
    odd.render("#set($context.responseOverride.status = 600)")
        .expect("renders");
    assert_eq!(odd.response_override().status, None);
}

/// AWS: "Overrides are final. An override may only be applied to each parameter once. If you try
/// to override the same parameter multiple times, API Gateway returns a 5XX response."
#[test]
fn an_override_is_set_once() {
    let (params, context) = (params(), context());
    let stage_variables = BTreeMap::new();
    let input = || MappingInput::new("{}", &params, &context, &stage_variables);
    for twice in [
        "#set($context.responseOverride.status = 400)#set($context.responseOverride.status = 401)",
        "#set($context.responseOverride.header.X-A = 'a')#set($context.responseOverride.header.x-a = 'b')",
        "#set($context.requestOverride.querystring.q = 'a')#set($context.requestOverride.querystring.q = 'b')",
    ] {
        assert!(input().render(twice).is_err(), "{twice}");
    }
    // Different parameters, and ordinary variables set again, are fine.
    let fine = input();
    fine.render(
        "#set($s = 400)#set($s = 401)#set($context.responseOverride.status = $s)\
         #set($context.responseOverride.header.X-A = 'a')#set($context.responseOverride.header.X-B = 'b')",
    )
    .expect("renders");
    assert_eq!(fine.response_override().status, Some(401));
    assert_eq!(fine.response_override().headers.len(), 2);
}

/// AWS renders an empty body as `{}` in `$input.body`.
#[test]
fn an_empty_body_is_an_empty_object() {
    assert_eq!(
        render(r#"{"b": "$util.escapeJavaScript($input.body)"}"#, ""),
        r#"{"b": "{}"}"#
    );
    assert_eq!(render("$input.body", "x"), "x");
}

/// AWS prints a list `$input.path` gives as JSON, also inside a map it gives (which prints
/// Java-style), and the list still iterates and counts as a list.
#[test]
fn lists_from_input_path_print_as_json() {
    let body = r#"{"a": 1, "b": [{"c": 5}], "l": ["x", "y"]}"#;
    assert_eq!(render("$input.path('$.l')", body), r#"["x","y"]"#);
    assert_eq!(render("$input.path('$.b')", body), r#"[{"c":5}]"#);
    assert_eq!(
        render("$input.path('$')", body),
        r#"{a=1, b=[{"c":5}], l=["x","y"]}"#
    );
    assert_eq!(
        render(
            "#foreach($x in $input.path('$.l'))$x;#end$input.path('$.l').size()",
            body
        ),
        "x;y;2"
    );
    // A list a template builds itself is Java's.
    assert_eq!(render("#set($mine = ['x', 'y'])$mine", body), "[x, y]");
}

#[test]
fn a_reference_without_a_value_renders_as_nothing_as_api_gateway_renders_it() {
    for (template, expected) in [
        ("[$foo][$!foo][${foo}]", "[][][]"),
        ("[$context.authorizer.claims.email]", "[]"),
        ("[$input.path('$.none')][$input.params('missing')]", "[][]"),
        ("[$stageVariables.none]", "[]"),
        // What has a value still renders it.
        ("[$context.authorizer.principalId]", "[me]"),
    ] {
        assert_eq!(render(template, r#"{"a": 1}"#), expected, "{template}");
    }
}

/// The Serverless Framework's `integration: lambda` request template builds its objects with
/// `#define( $loop )`, and runs on API Gateway: the same shape renders to the event it documents.
#[test]
fn define_blocks_build_the_serverless_framework_event() {
    let template = r#"#set( $body = $input.json("$") )

  #define( $loop )
    {
    #foreach($key in $map.keySet())
        #set( $k = $util.escapeJavaScript($key) )
        #set( $v = $util.escapeJavaScript($map.get($key)).replaceAll("\\'", "'") )
        "$k":
          "$v"
          #if( $foreach.hasNext ) , #end
    #end
    }
  #end

  {
    "body": $body,
    "method": "$context.httpMethod",
    "principalId": "$context.authorizer.principalId",
    #set( $map = $input.params().header )
    "headers": $loop,
    #set( $map = $input.params().querystring )
    "query": $loop,
    #set( $map = $input.params().path )
    "path": $loop,
    #set( $map = $stageVariables )
    "stageVariables": $loop
  }"#;
    assert_eq!(
        render_json(template, r#"{"said": "it's"}"#),
        serde_json::json!({
            "body": {"said": "it's"}, "method": "GET", "principalId": "me",
            "headers": {"User-Agent": "curl/8", "name": "from-header"},
            "query": {"type": "dog", "name": "Rex"},
            "path": {"petId": "7"},
            "stageVariables": {"env": "dev"},
        })
    );
}

/// Goessner's JSONPath, which AWS's docs link for these expressions: recursive descent, negative
/// indexes, unions and slices; filters are not supported and fail the render.
#[test]
fn jsonpath_descent_unions_and_slices() {
    let body = r#"{"order": {"id": 1, "items": [{"id": 10}, {"id": 11}, {"id": 12}]}}"#;
    for (template, expected) in [
        ("$input.json('$..id')", "[1,10,11,12]"),
        ("$input.path('$.order.items[-1].id')", "12"),
        ("$input.json('$.order.items[0,2].id')", "[10,12]"),
        ("$input.json('$.order.items[1:].id')", "[11,12]"),
        (
            "#foreach($i in $input.path('$..items[*].id'))$i;#end",
            "10;11;12;",
        ),
    ] {
        assert_eq!(render(template, body), expected, "{template}");
    }
    let (params, context) = (params(), context());
    let vars = BTreeMap::new();
    let input = MappingInput::new(body, &params, &context, &vars);
    assert!(input
        .render("$input.json('$..items[?(@.id > 10)]')")
        .is_err());
}
