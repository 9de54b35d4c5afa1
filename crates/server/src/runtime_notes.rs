//! The startup notes about runtimes whose version the host's default interpreter does not match.

/// Notes for `differing` runtimes (sorted, deduplicated): first those that run a matching
/// interpreter found on `PATH`, then those that run `host` instead.
pub(crate) fn differing(
    differing: Vec<&str>,
    has_match: impl Fn(&str) -> bool,
    host: &str,
) -> Vec<String> {
    let (matched, unmatched): (Vec<&str>, Vec<&str>) =
        differing.into_iter().partition(|r| has_match(r));
    let mut notes = Vec::new();
    if !matched.is_empty() {
        notes.push(format!(
            "Note: {} functions run the matching interpreter found on PATH",
            matched.join(", ")
        ));
    }
    if !unmatched.is_empty() {
        notes.push(format!(
            "Note: the template asks for {}; Sluice runs {host} for them",
            unmatched.join(", ")
        ));
    }
    notes
}
