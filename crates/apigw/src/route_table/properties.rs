//! Property tests: any request path is routed or refused, never a panic.

use super::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

proptest! {
    /// Any path a client can send is routed or refused, never a panic; a greedy match binds a
    /// non-empty value without a trailing slash.
    #[test]
    fn find_never_panics(path in "/[a-z%0-9/{}+.]{0,40}", method in "(GET|POST|ANY|get)") {
        let api = RestApi {
            logical_id: "Api".into(),
            stage_name: "Prod".into(),
            stage_variables: BTreeMap::new(),
            binary_media_types: Vec::new(),
            cors: None,
            gateway_responses: Vec::new(),
            resource_policy: None,
            routes: [("GET", "/a/{b}"), ("ANY", "/{proxy+}"), ("POST", "/a")]
                .iter()
                .map(|(m, p)| Route {
                    method: (*m).into(),
                    path: (*p).into(),
                    function: "F".into(),
                    event_name: "E".into(),
                    ..Default::default()
                })
                .collect(),
        };
        let table = RouteTable::new(&[api]).expect("valid routes");
        if let Some(found) = table.find(&method, &path) {
            for (_, value) in &found.path_parameters {
                prop_assert!(!value.is_empty());
                prop_assert!(!value.ends_with('/'));
            }
        }
    }
}
