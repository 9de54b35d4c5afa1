//! Binary media types: which request bodies travel base64-encoded to the function, and which base64
//! response bodies the gateway decodes before sending them.

/// An API's `BinaryMediaTypes`, matched the way API Gateway matches them.
#[derive(Debug, Clone, Default)]
pub(crate) struct BinaryMediaTypes {
    /// Lower-cased `type/subtype` patterns; either part may be `*`.
    patterns: Vec<(String, String)>,
}

impl BinaryMediaTypes {
    /// Compile the template's list (`image/png`, `image/*`, `*/*`); entries without a `/` never match.
    pub fn new(types: &[String]) -> BinaryMediaTypes {
        let patterns = types
            .iter()
            .filter_map(|t| split_media_type(t))
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect();
        BinaryMediaTypes { patterns }
    }

    /// Whether a request with this `Content-Type` carries a binary body.
    ///
    /// AWS: a request without `Content-Type` is treated as `application/json`; Sluice does the same,
    /// so only `*/*` (or `application/*`, `application/json`) makes such a body binary.
    pub fn matches_content_type(&self, content_type: Option<&str>) -> bool {
        self.matches(content_type.unwrap_or("application/json"))
    }

    /// Whether a base64 response body is decoded for a request with this `Accept` header.
    ///
    /// AWS honours only the first media type of `Accept`, and compares it with the binary media
    /// types literally: the patterns' wildcards apply, the `Accept` value's do not, so
    /// `Accept: */*` or `image/*` receives the base64 text unless `*/*` / `image/*` is itself listed.
    pub fn matches_accept(&self, accept: Option<&str>) -> bool {
        match accept {
            Some(accept) => self.matches(accept.split(',').next().unwrap_or_default()),
            None => false,
        }
    }

    /// Whether one concrete media type (parameters ignored) matches a pattern.
    fn matches(&self, media_type: &str) -> bool {
        let Some((kind, subtype)) = split_media_type(media_type) else {
            return false;
        };
        self.patterns.iter().any(|(pk, ps)| {
            (pk == "*" || pk.eq_ignore_ascii_case(kind))
                && (ps == "*" || ps.eq_ignore_ascii_case(subtype))
        })
    }
}

/// `"Image/PNG; q=1"` → `("Image", "PNG")`: parameters dropped, parts trimmed; callers compare
/// case-insensitively, which avoids allocating per request.
fn split_media_type(text: &str) -> Option<(&str, &str)> {
    let essence = text.split(';').next().unwrap_or_default().trim();
    let (kind, subtype) = essence.split_once('/')?;
    let (kind, subtype) = (kind.trim(), subtype.trim());
    (!kind.is_empty() && !subtype.is_empty()).then_some((kind, subtype))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(list: &[&str]) -> BinaryMediaTypes {
        BinaryMediaTypes::new(&list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn content_type_matching() {
        let rows: &[(&[&str], Option<&str>, bool)] = &[
            (&["image/png"], Some("image/png"), true),
            (&["image/png"], Some("IMAGE/PNG; charset=x"), true),
            (&["image/png"], Some("image/jpeg"), false),
            (&["image/*"], Some("image/jpeg"), true),
            (&["image/*"], Some("text/plain"), false),
            (&["*/*"], Some("text/plain"), true),
            (&["*/*"], None, true),
            (&["image/png"], None, false),
            (
                &["application/octet-stream"],
                Some("application/octet-stream"),
                true,
            ),
            (&[], Some("image/png"), false),
            (&["image/png"], Some("garbage"), false),
        ];
        for (list, content_type, expected) in rows {
            assert_eq!(
                types(list).matches_content_type(*content_type),
                *expected,
                "{list:?} vs {content_type:?}"
            );
        }
    }

    #[test]
    fn accept_matching_uses_first_type_literally() {
        let rows: &[(&[&str], Option<&str>, bool)] = &[
            (&["image/png"], Some("image/png"), true),
            (&["image/png"], Some("*/*"), false),
            (&["image/png"], Some("image/*"), false),
            (&["image/png"], Some("text/html, image/png"), false),
            (&["image/png"], Some("image/png;q=0.9, text/html"), true),
            (&["image/png"], None, false),
            (&["*/*"], Some("*/*"), true),
            (&["*/*"], Some("image/png"), true),
            (&["image/*"], Some("image/gif"), true),
        ];
        for (list, accept, expected) in rows {
            assert_eq!(
                types(list).matches_accept(*accept),
                *expected,
                "{list:?} vs {accept:?}"
            );
        }
    }
}
