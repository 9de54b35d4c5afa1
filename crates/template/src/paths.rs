//! Paths as templates write them, made absolute without touching the file system.

use std::path::{Component, Path, PathBuf};

/// Removes `.` and folds `..` lexically, so `CodeUri: ./src/` gives `<dir>/src`.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}
