//! Flag values as the event builders read them.

use std::collections::BTreeMap;

/// Flag values after encoding, by flag name.
pub type Values = BTreeMap<&'static str, String>;

/// A flag's value; every flag of the event is filled in (defaults included) before `build` runs.
pub(super) fn value<'a>(values: &'a Values, name: &str) -> &'a str {
    values.get(name).map_or("", String::as_str)
}
