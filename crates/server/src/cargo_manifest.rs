//! Which binary a `rust-cargolambda` function runs, read from its Cargo manifest as sam build
//! reads it: the package's name and binaries (`[[bin]]`, `src/main.rs`, `src/bin/*.rs`), a
//! workspace root's members, and where cargo and cargo-lambda put what they built.

use std::path::{Path, PathBuf};

/// `name` from the `[package]` table of a Cargo manifest (a line scan: that one key is all we need).
pub(crate) fn cargo_package_name(manifest: &Path) -> Option<String> {
    let text = std::fs::read_to_string(manifest).ok()?;
    let mut in_package = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package {
            if let Some(value) = line.strip_prefix("name").map(str::trim_start) {
                if let Some(value) = value.strip_prefix('=') {
                    return Some(value.trim().trim_matches('"').to_owned());
                }
            }
        }
    }
    None
}

/// The binary a `rust-cargolambda` function runs, as aws-lambda-builders picks it
/// (workflows/rust_cargo/actions.py): `BuildProperties.Binary` (`cargo lambda build --bin
/// <Binary>`), else the package's only binary, whatever its name (serverless-patterns'
/// apigw-http-api-lambda-rust declares one `[[bin]] name = "handler"`). With several and no
/// `Binary`, sam build fails ("unable to find function binary"): `Err` lists them, unless one
/// is the package's own (Sluice's choice before it read `[[bin]]`).
pub(crate) fn cargo_binary_name(
    binary_property: Option<&str>,
    dir: &Path,
    manifest: &Path,
    package: &str,
) -> Result<String, Vec<String>> {
    if let Some(binary) = binary_property.filter(|b| !b.is_empty()) {
        return Ok(binary.to_owned());
    }
    let text = std::fs::read_to_string(manifest).unwrap_or_default();
    let mut names = cargo_bin_names(&text);
    // Cargo's automatic targets: src/main.rs is the package's binary, src/bin/*.rs one each.
    if !text
        .lines()
        .any(|l| l.trim().replace(' ', "") == "autobins=false")
    {
        if dir.join("src/main.rs").is_file() && !names.iter().any(|n| n == package) {
            names.push(package.to_owned());
        }
        let mut found: Vec<String> = std::fs::read_dir(dir.join("src/bin"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let path = e.path();
                (path.extension()? == "rs")
                    .then(|| path.file_stem()?.to_str().map(str::to_owned))?
            })
            .collect();
        found.sort();
        for name in found {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    match names.as_slice() {
        [] => Ok(package.to_owned()),
        [only] => Ok(only.clone()),
        _ if names.iter().any(|n| n == package) => Ok(package.to_owned()),
        _ => Err(names),
    }
}

/// The member folders of the `[workspace]` a Cargo manifest declares (`members = [...]`, a
/// trailing `/*` naming every folder below), or none when it declares none.
pub(crate) fn cargo_workspace_members(dir: &Path, manifest: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string(manifest).unwrap_or_default();
    let mut in_workspace = false;
    let mut list = String::new();
    let mut collecting = false;
    for line in text.lines().map(str::trim) {
        if collecting {
            list.push_str(line);
            if line.contains(']') {
                break;
            }
            continue;
        }
        if line.starts_with('[') {
            in_workspace = line == "[workspace]";
        } else if in_workspace {
            if let Some(value) = line.strip_prefix("members").map(str::trim_start) {
                if let Some(value) = value.strip_prefix('=') {
                    list.push_str(value);
                    collecting = !value.contains(']');
                    if !collecting {
                        break;
                    }
                }
            }
        }
    }
    let mut members = Vec::new();
    for entry in list.split(',') {
        let entry = entry.trim().trim_matches(|c| c == '[' || c == ']').trim();
        let entry = entry.trim_matches('"');
        if entry.is_empty() {
            continue;
        }
        match entry.strip_suffix("/*") {
            Some(parent) => {
                let mut below: Vec<PathBuf> = std::fs::read_dir(dir.join(parent))
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.join("Cargo.toml").is_file())
                    .collect();
                below.sort();
                members.extend(below);
            }
            None => members.push(dir.join(entry)),
        }
    }
    members
}

/// `name` of each `[[bin]]` table of a Cargo manifest, in order (a line scan, as for the package).
fn cargo_bin_names(manifest: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_bin = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin {
            if let Some(value) = line.strip_prefix("name").map(str::trim_start) {
                if let Some(value) = value.strip_prefix('=') {
                    names.push(value.trim().trim_matches('"').to_owned());
                    in_bin = false;
                }
            }
        }
    }
    names
}

/// Where cargo and cargo-lambda put the binary `package` names (the package's own, or one of its
/// `[[bin]]`s), from the package folder up to the workspace root's `target/`.
pub(crate) fn cargo_binary_candidates(dir: &Path, package: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let target_dirs = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .into_iter()
        .chain(dir.ancestors().map(|d| d.join("target")));
    for target in target_dirs {
        out.push(target.join("lambda").join(package).join("bootstrap"));
        out.push(target.join("release").join(package));
        out.push(target.join("debug").join(package));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_package_name_only_from_package_table() {
        let dir = std::env::temp_dir().join(format!("sluice-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let manifest = dir.join("Cargo.toml");
        std::fs::write(
            &manifest,
            "[workspace]\nname = \"no\"\n[package]\nname = \"hello-rust\"\n",
        )
        .unwrap();
        assert_eq!(cargo_package_name(&manifest).as_deref(), Some("hello-rust"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// aws-lambda-builders runs `BuildProperties.Binary`, else the package's only binary.
    #[test]
    fn a_cargo_function_runs_its_binary_property_else_the_packages_only_binary() {
        let dir = std::env::temp_dir().join(format!("sluice-cargo-bins-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src/bin")).unwrap();
        let manifest = dir.join("Cargo.toml");
        // serverless-patterns' apigw-http-api-lambda-rust: one `[[bin]]`, named apart.
        std::fs::write(
            &manifest,
            "[package]\nname = \"apigw-http-api-lambda-rust\"\n[[bin]]\nname = \"handler\"\npath = \"src/bin/handler.rs\"\n",
        )
        .unwrap();
        std::fs::write(dir.join("src/bin/handler.rs"), "fn main() {}").unwrap();
        let name = |binary: Option<&str>| {
            cargo_binary_name(binary, &dir, &manifest, "apigw-http-api-lambda-rust")
        };
        assert_eq!(name(None), Ok("handler".to_owned()));
        // Two binaries: `Binary` says which; without it, sam build fails and so does Sluice.
        std::fs::write(dir.join("src/bin/stream.rs"), "fn main() {}").unwrap();
        assert_eq!(name(Some("stream")), Ok("stream".to_owned()));
        assert_eq!(
            name(None),
            Err(vec!["handler".to_owned(), "stream".to_owned()])
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
