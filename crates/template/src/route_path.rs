//! A route's resource path (`/items/{id}`, `/{proxy+}`) and API Gateway's rules for it: what a
//! valid path is, and which two routes of one API conflict. The one home of these rules: the
//! template checks them with positions, the gateway's route table reuses the parsed segments.

use std::fmt;

/// One segment of a resource path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    /// Matches exactly this raw text.
    Literal(String),
    /// `{name}`: matches one non-empty segment.
    Param(String),
    /// `{name+}`: matches one or more segments up to the end of the path.
    Greedy(String),
}

impl PathSegment {
    /// Specificity rank: lower is more specific (literal, then `{param}`, then `{proxy+}`).
    pub fn rank(&self) -> u8 {
        match self {
            PathSegment::Literal(_) => 0,
            PathSegment::Param(_) => 1,
            PathSegment::Greedy(_) => 2,
        }
    }

    /// The variable's name, for `{name}` and `{name+}`.
    fn variable(&self) -> Option<&str> {
        match self {
            PathSegment::Literal(_) => None,
            PathSegment::Param(name) | PathSegment::Greedy(name) => Some(name),
        }
    }
}

impl fmt::Display for PathSegment {
    /// The segment as a path writes it (`items`, `{id}`, `{proxy+}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathSegment::Literal(text) => f.write_str(text),
            PathSegment::Param(name) => write!(f, "{{{name}}}"),
            PathSegment::Greedy(name) => write!(f, "{{{name}+}}"),
        }
    }
}

/// Why API Gateway refuses a resource path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The path is relative.
    #[error("a path must start with `/`")]
    NoLeadingSlash,
    /// `//` inside the path.
    #[error("empty path segment (`//`)")]
    EmptySegment,
    /// `{name+}` followed by more segments.
    #[error("a greedy `{{name+}}` segment must be the last one")]
    GreedyNotLast,
    /// `{+}`.
    #[error("`{{+}}` needs a parameter name")]
    EmptyGreedyName,
    /// `{}`.
    #[error("`{{}}` needs a parameter name")]
    EmptyParamName,
}

/// A parsed resource path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePath {
    /// The path as API Gateway names the resource: as written, without a trailing slash (except
    /// the root).
    pub resource: String,
    /// Its segments, in order.
    pub segments: Vec<PathSegment>,
}

impl ResourcePath {
    /// Parses a route's `Path`, refusing what API Gateway refuses.
    pub fn parse(path: &str) -> Result<ResourcePath, PathError> {
        let trimmed = path.trim_end_matches('/');
        let resource = if trimmed.is_empty() { "/" } else { trimmed };
        let rest = resource
            .strip_prefix('/')
            .ok_or(PathError::NoLeadingSlash)?;
        let mut segments = Vec::new();
        if !rest.is_empty() {
            let parts: Vec<&str> = rest.split('/').collect();
            for (i, part) in parts.iter().enumerate() {
                if part.is_empty() {
                    return Err(PathError::EmptySegment);
                }
                let segment = match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    Some(inner) => match inner.strip_suffix('+') {
                        Some("") => return Err(PathError::EmptyGreedyName),
                        Some(_) if i + 1 != parts.len() => return Err(PathError::GreedyNotLast),
                        Some(name) => PathSegment::Greedy(name.to_owned()),
                        None if inner.is_empty() => return Err(PathError::EmptyParamName),
                        None => PathSegment::Param(inner.to_owned()),
                    },
                    None => PathSegment::Literal((*part).to_owned()),
                };
                segments.push(segment);
            }
        }
        Ok(ResourcePath {
            resource: resource.to_owned(),
            segments,
        })
    }

    /// The segments' kinds and literals, ignoring variable names: two routes of one API with the
    /// same shape and method can never both be chosen, so they conflict.
    pub fn shape(&self) -> Vec<(u8, &str)> {
        self.segments
            .iter()
            .map(|s| match s {
                PathSegment::Literal(text) => (0, text.as_str()),
                other => (other.rank(), ""),
            })
            .collect()
    }

    /// Where two paths of one API name the same variable segment differently (`/a/{id}` and
    /// `/a/{name}`): API Gateway keeps one resource per path and allows one variable name per
    /// position, so it refuses such a pair whatever the methods.
    pub fn variable_name_clash<'a>(
        &'a self,
        other: &'a ResourcePath,
    ) -> Option<(&'a str, &'a str)> {
        for (mine, theirs) in self.segments.iter().zip(&other.segments) {
            match (mine, theirs) {
                (PathSegment::Literal(a), PathSegment::Literal(b)) if a == b => continue,
                (PathSegment::Param(a), PathSegment::Param(b))
                | (PathSegment::Greedy(a), PathSegment::Greedy(b)) => {
                    if a != b {
                        return Some((a, b));
                    }
                }
                _ => return None,
            }
        }
        None
    }

    /// Where two paths of one REST API put different variable parts under one parent (`/a/{id}`
    /// beside `/a/{name}` or `/a/{proxy+}`): a REST API's resource has at most one variable child
    /// (API Gateway: "A sibling ({id}) of this resource already has a variable path part -- only
    /// one is allowed", LocalStack's AWS-validated `test_create_proxy_resource_validation`), so it
    /// refuses such a pair whatever the methods. This path's part and the other's.
    pub fn variable_sibling_clash<'a>(
        &'a self,
        other: &'a ResourcePath,
    ) -> Option<(&'a PathSegment, &'a PathSegment)> {
        for (mine, theirs) in self.segments.iter().zip(&other.segments) {
            match (mine, theirs) {
                (PathSegment::Literal(a), PathSegment::Literal(b)) if a == b => continue,
                (PathSegment::Literal(_), _) | (_, PathSegment::Literal(_)) => return None,
                (a, b) if a == b => continue,
                (a, b) => return Some((a, b)),
            }
        }
        None
    }

    /// The variable names, in order.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(PathSegment::variable)
    }
}

impl fmt::Display for ResourcePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.resource)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses_as_api_gateway_does() {
        let path = ResourcePath::parse("/items/{id}/").expect("valid");
        assert_eq!(path.resource, "/items/{id}");
        assert_eq!(
            path.segments,
            [
                PathSegment::Literal("items".into()),
                PathSegment::Param("id".into())
            ]
        );
        assert_eq!(ResourcePath::parse("/").expect("root").segments, []);
        for (bad, error) in [
            ("items", PathError::NoLeadingSlash),
            ("/a//b", PathError::EmptySegment),
            ("/{proxy+}/x", PathError::GreedyNotLast),
            ("/{+}", PathError::EmptyGreedyName),
            ("/{}", PathError::EmptyParamName),
        ] {
            assert_eq!(ResourcePath::parse(bad), Err(error), "{bad}");
        }
    }

    #[test]
    fn conflicts_ignore_variable_names_but_clashing_names_are_found() {
        let a = ResourcePath::parse("/a/{id}").expect("valid");
        let b = ResourcePath::parse("/a/{name}").expect("valid");
        let c = ResourcePath::parse("/a/{id}/x").expect("valid");
        let d = ResourcePath::parse("/b/{name}").expect("valid");
        assert_eq!(a.shape(), b.shape());
        assert_ne!(a.shape(), c.shape());
        assert_eq!(a.variable_name_clash(&b), Some(("id", "name")));
        assert_eq!(a.variable_name_clash(&c), None);
        assert_eq!(c.variable_name_clash(&b), Some(("id", "name")));
        assert_eq!(a.variable_name_clash(&d), None);
        assert_eq!(a.variables().collect::<Vec<_>>(), ["id"]);
    }

    #[test]
    fn a_rest_resource_has_one_variable_child_greedy_or_not() {
        let path = |p: &str| ResourcePath::parse(p).expect("valid");
        let clash = |a: &str, b: &str| {
            let (a, b) = (path(a), path(b));
            a.variable_sibling_clash(&b)
                .map(|(mine, theirs)| (mine.to_string(), theirs.to_string()))
        };
        let pair = |a: &str, b: &str| Some((a.to_owned(), b.to_owned()));
        assert_eq!(
            clash("/{proxy+}", "/{dynamic}"),
            pair("{proxy+}", "{dynamic}")
        );
        assert_eq!(clash("/a/{id}/x", "/a/{proxy+}"), pair("{id}", "{proxy+}"));
        assert_eq!(clash("/a/{id}", "/a/{name}/x"), pair("{id}", "{name}"));
        assert_eq!(clash("/a/{id}", "/a/{id+}"), pair("{id}", "{id+}"));
        for (a, b) in [
            ("/a/{id}", "/a/{id}/x"),
            ("/a/{proxy+}", "/a/x"),
            ("/a/{proxy+}", "/b/{id}"),
            ("/{proxy+}", "/"),
        ] {
            assert_eq!(clash(a, b), None, "{a} {b}");
        }
    }
}
