//! Route priority, one AWS case per assertion.

use super::*;
use std::collections::BTreeMap;

fn api(routes: &[(&str, &str, &str)]) -> RestApi {
    RestApi {
        logical_id: "ServerlessRestApi".into(),
        stage_name: "Prod".into(),
        stage_variables: BTreeMap::new(),
        binary_media_types: Vec::new(),
        cors: None,
        gateway_responses: Vec::new(),
        resource_policy: None,
        routes: routes
            .iter()
            .map(|(method, path, function)| Route {
                method: (*method).into(),
                path: (*path).into(),
                function: (*function).into(),
                event_name: format!("{function}Event"),
                ..Default::default()
            })
            .collect(),
    }
}

fn table() -> RouteTable {
    RouteTable::new(&[api(&[
        ("GET", "/", "Root"),
        ("GET", "/items", "ListItems"),
        ("POST", "/items", "CreateItem"),
        ("GET", "/items/{id}", "GetItem"),
        ("ANY", "/items/{id}", "AnyItem"),
        ("GET", "/items/special", "Special"),
        ("GET", "/items/{id}/tags/{tag}", "GetTag"),
        ("ANY", "/files/{proxy+}", "Files"),
        ("GET", "/files/readme", "Readme"),
        ("DELETE", "/{proxy+}", "CatchAllDelete"),
        ("GET", "/{proxy+}", "CatchAllGet"),
        ("ANY", "/things", "AnyThings"),
        ("PUT", "/things", "PutThings"),
        ("GET", "/a/{x}", "AX"),
        ("GET", "/{y}/b", "YB"),
    ])])
    .expect("valid test routes")
}

/// (method, raw path) → (function, path parameters) or `None` for no route.
#[test]
fn route_priority_table() {
    /// (method, raw path) → expected (function, path parameters).
    type Row<'a> = (
        &'a str,
        &'a str,
        Option<(&'a str, &'a [(&'a str, &'a str)])>,
    );
    let rows: &[Row] = &[
        ("GET", "/", Some(("Root", &[]))),
        ("POST", "/", None),
        ("GET", "/items", Some(("ListItems", &[]))),
        ("POST", "/items", Some(("CreateItem", &[]))),
        // Trailing slash matches the route.
        ("GET", "/items/", Some(("ListItems", &[]))),
        // Literal beats {param}.
        ("GET", "/items/special", Some(("Special", &[]))),
        ("GET", "/items/42", Some(("GetItem", &[("id", "42")]))),
        // ANY covers the methods the resource does not define.
        ("PATCH", "/items/42", Some(("AnyItem", &[("id", "42")]))),
        // Literal resource lacking the method: the {param} sibling's ANY has it.
        (
            "POST",
            "/items/special",
            Some(("AnyItem", &[("id", "special")])),
        ),
        (
            "GET",
            "/items/42/tags/red",
            Some(("GetTag", &[("id", "42"), ("tag", "red")])),
        ),
        // Literal resource lacking the method falls back to a {proxy+} sibling that has it.
        (
            "DELETE",
            "/items",
            Some(("CatchAllDelete", &[("proxy", "items")])),
        ),
        ("PATCH", "/items", None),
        // Greedy: one or more segments, trailing slash not part of it.
        (
            "GET",
            "/files/a/b/c",
            Some(("Files", &[("proxy", "a/b/c")])),
        ),
        ("GET", "/files/a/b/", Some(("Files", &[("proxy", "a/b")]))),
        ("GET", "/files/readme", Some(("Readme", &[]))),
        (
            "POST",
            "/files/readme",
            Some(("Files", &[("proxy", "readme")])),
        ),
        (
            "GET",
            "/files",
            Some(("CatchAllGet", &[("proxy", "files")])),
        ),
        (
            "GET",
            "/files/",
            Some(("CatchAllGet", &[("proxy", "files")])),
        ),
        (
            "GET",
            "/nowhere/deep",
            Some(("CatchAllGet", &[("proxy", "nowhere/deep")])),
        ),
        ("POST", "/nowhere", None),
        // Explicit method beats ANY on the same resource.
        ("PUT", "/things", Some(("PutThings", &[]))),
        ("GET", "/things", Some(("AnyThings", &[]))),
        // Leftmost literal decides between equally long templates.
        ("GET", "/a/b", Some(("AX", &[("x", "b")]))),
        ("GET", "/z/b", Some(("YB", &[("y", "z")]))),
        // Raw matching: an encoded slash is inside one segment and stays encoded.
        ("GET", "/items/a%2Fb", Some(("GetItem", &[("id", "a%2Fb")]))),
        ("GET", "/items/a%20b", Some(("GetItem", &[("id", "a%20b")]))),
        (
            "GET",
            "/items%2Fspecial",
            Some(("CatchAllGet", &[("proxy", "items%2Fspecial")])),
        ),
        // Leading `//` collapses for matching.
        ("GET", "//items", Some(("ListItems", &[]))),
        // An empty segment never binds a {param}.
        (
            "GET",
            "/items//tags/red",
            Some(("CatchAllGet", &[("proxy", "items//tags/red")])),
        ),
        // Methods are case-sensitive tokens: `get` is not GET.
        ("get", "/items", None),
    ];
    let table = table();
    for (method, path, expected) in rows {
        let found = table.find(method, path).map(|m| {
            (
                m.entry.function.clone(),
                m.path_parameters
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<Vec<_>>(),
            )
        });
        let expected = expected.map(|(f, params)| {
            (
                f.to_owned(),
                params
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect::<Vec<_>>(),
            )
        });
        assert_eq!(found, expected, "{method} {path}");
    }
}

#[test]
fn root_greedy_needs_a_segment() {
    let table = RouteTable::new(&[api(&[("ANY", "/{proxy+}", "All")])]).expect("valid");
    assert!(table.find("GET", "/").is_none());
    assert!(table.find("GET", "//").is_none());
    assert_eq!(
        table
            .find("GET", "/x")
            .map(|m| m.entry.function.clone())
            .as_deref(),
        Some("All")
    );
}

#[test]
fn rest_greedy_resources_do_not_take_their_bare_prefix() {
    // AWS REST: `/x/` is the resource `/x`, which `/x/{proxy+}` does not match (403 Missing
    // Authentication Token); HTTP APIs differ (an empty `proxy`).
    let table = RouteTable::new(&[api(&[("ANY", "/x/{proxy+}", "X")])]).expect("valid");
    assert!(table.find("GET", "/x/").is_none());
    assert!(table.find("GET", "/x").is_none());
    assert!(table.find("GET", "/x/a").is_some());
}

#[test]
fn resource_keeps_template_spelling() {
    let table = RouteTable::new(&[api(&[("GET", "/items/{id}/", "F")])]).expect("valid");
    let found = table.find("GET", "/items/7").expect("routed");
    assert_eq!(found.entry.resource, "/items/{id}");
    assert_eq!(found.entry.method, "GET");
}

#[test]
fn duplicate_routes_name_both_events() {
    let mut second = api(&[("GET", "/items/{itemId}", "Second")]);
    second.logical_id = "OtherApi".into();
    let err =
        RouteTable::new(&[api(&[("GET", "/items/{id}", "First")]), second]).expect_err("duplicate");
    let text = err.to_string();
    assert!(
        text.contains("FirstEvent") && text.contains("SecondEvent"),
        "{text}"
    );
    assert!(text.contains("GET /items/{itemId}"), "{text}");
}

#[test]
fn same_path_different_methods_is_fine() {
    assert!(RouteTable::new(&[api(&[
        ("GET", "/items", "A"),
        ("ANY", "/items", "B"),
        ("get", "/other", "C"),
    ])])
    .is_ok());
    assert!(matches!(
        RouteTable::new(&[api(&[("ANY", "/x", "A"), ("any", "/x/", "B")])]),
        Err(RouteError::Duplicate { .. })
    ));
}

#[test]
fn invalid_paths_are_rejected() {
    for path in ["/{proxy+}/x", "items", "/a//b", "/{}", "/{+}"] {
        assert!(
            matches!(
                RouteTable::new(&[api(&[("GET", path, "F")])]),
                Err(RouteError::InvalidPath { .. })
            ),
            "{path}"
        );
    }
}

/// A route's invoker target is made with the route: the qualifier its integration names, or the
/// bare function (unqualified, `$LATEST`), so requests borrow it.
#[test]
fn routes_carry_the_qualifier_they_invoke() {
    let mut rest = api(&[("GET", "/alias", "Fn"), ("GET", "/latest", "Fn")]);
    rest.routes[0].qualifier = Some("live".into());
    let table = RouteTable::new(&[rest]).expect("valid test routes");
    let target = |path: &str| {
        let found = table.find("GET", path).expect("a route");
        (found.entry.target.clone(), found.entry.qualifier.clone())
    };
    assert_eq!(
        target("/alias"),
        ("Fn:live".to_owned(), Some("live".into()))
    );
    assert_eq!(target("/latest"), ("Fn".to_owned(), None));
}
