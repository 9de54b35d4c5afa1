//! The host's `node` stands in for Lambda's Node.js runtimes; when the template asks for another
//! major version, startup says so once (as it does for python).
//!
//! Lambda's Node.js runtimes ship the AWS SDK for JavaScript v3, so handlers `require` its
//! packages without bundling them. Sluice finds the `@aws-sdk/*` packages the handlers' code
//! (on disk or inline, and their local layers') names and cannot resolve from where it runs,
//! installs them once with npm into its cache, and puts the cache on `NODE_PATH` (as it does
//! with boto3 for python). `NODE_PATH` serves `require`, and an ES module's `import` through the
//! runtime client's resolve hook. `nodejs16.x` and older ship v2 instead (`aws-sdk`), and only
//! v2: Sluice installs it the same way into a folder of its own, and each folder goes on the
//! `NODE_PATH` of the runtimes that ship its SDK only. So `require('aws-sdk')` fails on
//! `nodejs18.x` and later, and `require('@aws-sdk/client-s3')` on `nodejs16.x` and older, as on
//! Lambda, unless the function's own `node_modules` holds the package (which wins on Lambda too).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Folders never scanned for SDK imports: dependencies, VCS and build output.
const SKIPPED_DIRS: &[&str] = &["node_modules", ".git", ".aws-sam", ".sluice", "target"];
/// Source files scanned per function folder at most, so a huge folder cannot stall startup.
const MAX_FILES: usize = 2000;
/// The npm scope of the AWS SDK for JavaScript v3.
const SDK_SCOPE: &str = "@aws-sdk/";
/// The package of the AWS SDK for JavaScript v2, as code names it.
pub const SDK_V2: &str = "aws-sdk";
/// What npm installs for it: the last v2 release, as Lambda's runtimes shipped a 2.x.
const SDK_V2_SPEC: &str = "aws-sdk@2";

/// Whether Lambda's `runtime` ships the AWS SDK for JavaScript v2 rather than v3.
///
/// AWS (Lambda developer guide, "Runtime-included SDK versions"): Node.js 16 and older include
/// v2, Node.js 18 and later v3; `nodejs` and `nodejs4.3`…`nodejs14.x` are older still.
pub fn ships_sdk_v2(runtime: &str) -> bool {
    let Some(version) = runtime.strip_prefix("nodejs") else {
        return false;
    };
    let major = version.split('.').next().unwrap_or_default();
    major.is_empty() || major.parse::<u32>().is_ok_and(|m| m <= 16)
}

/// The SDK packages that code names and cannot resolve by itself (those of the SDK its runtime
/// ships: [`sdk_imports`]), given per function as `(runtime, source,
/// task_root)`: the folder whose sources are scanned, and the one the handler runs from,
/// whose ancestors' `node_modules` `require` searches. They differ for a built function (an
/// esbuild bundle in the state folder), where a package left external (`@aws-sdk/*`) resolves
/// only from the runtime, however many copies CodeUri's `node_modules` holds for its types.
pub fn missing_sdk_packages<'a>(
    code: impl Iterator<Item = (&'a str, &'a Path, &'a Path)>,
) -> BTreeSet<String> {
    let mut missing = BTreeSet::new();
    for (runtime, dir, task_root) in code {
        let mut files = Vec::new();
        if dir.is_file() {
            // A single-file CodeUri.
            files.push(dir.to_owned());
        } else {
            source_files(dir, &mut files);
        }
        for file in files {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            for package in sdk_imports(&text, runtime) {
                let resolvable = task_root
                    .ancestors()
                    .any(|d| d.join("node_modules").join(&package).is_dir());
                if !resolvable {
                    missing.insert(package);
                }
            }
        }
    }
    missing
}

/// The SDK packages that inline code names (`InlineCode`, CloudFormation's `Code.ZipFile`), given
/// per function as `(runtime, source)`. Lambda writes such code alone into the task root, so
/// nothing it names resolves but from the runtime: every SDK package it names is missing.
pub fn missing_inline_sdk_packages<'a>(
    code: impl Iterator<Item = (&'a str, &'a str)>,
) -> BTreeSet<String> {
    code.flat_map(|(runtime, source)| sdk_imports(source, runtime))
        .collect()
}

/// The SDK packages that the code of the local layers in `layers` names and cannot resolve from
/// where it sits, given as `(runtime, layer)` for the runtime of a function using the layer. A
/// layer's code is its `nodejs/node_modules` packages, so those are scanned (the SDK's own
/// folders are not), and Lambda's runtime serves their imports as it serves the function's.
pub fn missing_layer_sdk_packages<'a>(
    layers: impl Iterator<Item = (&'a str, &'a Path)>,
) -> BTreeSet<String> {
    let mut missing = BTreeSet::new();
    for (runtime, layer) in layers {
        let mut files = Vec::new();
        walk_sources(layer, LAYER_SKIPPED_DIRS, &mut files);
        for file in files {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            for package in sdk_imports(&text, runtime) {
                let resolvable = file
                    .ancestors()
                    .skip(1)
                    .any(|d| d.join("node_modules").join(&package).is_dir());
                if !resolvable {
                    missing.insert(package);
                }
            }
        }
    }
    missing
}

/// Folders never scanned in a layer: the SDK's own packages name each other throughout.
const LAYER_SKIPPED_DIRS: &[&str] = &[".git", "@aws-sdk", "@smithy", "@aws-crypto", SDK_V2];

/// Source files under `dir` (js, mjs, cjs, ts), skipping dependency and build folders.
fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    walk_sources(dir, SKIPPED_DIRS, out);
}

/// Source files under `dir` (js, mjs, cjs, ts), skipping the folders named in `skipped`.
fn walk_sources(dir: &Path, skipped: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if out.len() >= MAX_FILES {
            return;
        }
        let path = entry.path();
        let name = entry.file_name();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !skipped.iter().any(|s| name == *s) {
                walk_sources(&path, skipped, out);
            }
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("js" | "mjs" | "cjs" | "ts")
        ) {
            out.push(path);
        }
    }
}

/// The names of the SDK packages `runtime` ships quoted in `text`: v3's like
/// `@aws-sdk/client-dynamodb` (a subpath is cut off) where the runtime ships v3, and [`SDK_V2`]
/// (`'aws-sdk'`, `'aws-sdk/clients/dynamodb'`) where it ships v2. A runtime ships one or the
/// other, never both (Lambda developer guide, "Runtime-included SDK versions").
fn sdk_imports(text: &str, runtime: &str) -> BTreeSet<String> {
    let is_quote = |c: Option<char>| matches!(c, Some('\'' | '"' | '`'));
    let quoted_at = |at: usize| is_quote(text[..at].chars().next_back());
    let mut found = BTreeSet::new();
    if ships_sdk_v2(runtime) {
        let names_v2 = text.match_indices(SDK_V2).any(|(at, _)| {
            let next = text[at + SDK_V2.len()..].chars().next();
            quoted_at(at) && (is_quote(next) || next == Some('/'))
        });
        if names_v2 {
            found.insert(SDK_V2.to_owned());
        }
        return found;
    }
    for (at, _) in text.match_indices(SDK_SCOPE) {
        let name: String = text[at + SDK_SCOPE.len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
            .collect();
        if quoted_at(at) && !name.is_empty() {
            found.insert(format!("{SDK_SCOPE}{name}"));
        }
    }
    found
}

/// How long npm may wait on the network per request, and in all, when installing SDK packages.
const NPM_FETCH_TIMEOUT_MS: &str = "5000";
const NPM_DEADLINE: Duration = Duration::from_secs(120);

/// The `node_modules` folder to put on `NODE_PATH` holding `packages`, installed into
/// `cache_root` with npm when missing; `Err` says what to run when npm fails.
///
/// The install is waited for (a handler's first request needs it), but bounded: no retries and a
/// short timeout per request, so offline it fails at once instead of after npm's minute of retries.
pub fn sdk_path(packages: &BTreeSet<String>, cache_root: &Path) -> Result<Option<PathBuf>, String> {
    if packages.is_empty() {
        return Ok(None);
    }
    let packages: Vec<(&str, &str)> = packages.iter().map(|p| (p.as_str(), p.as_str())).collect();
    install_missing(
        &cache_root.join("node-packages"),
        &packages,
        "Lambda's runtime ships the AWS SDK for JavaScript v3",
    )
    .map(Some)
}

/// The `node_modules` folder holding [`SDK_V2`], installed into `cache_root` as [`sdk_path`]
/// installs v3's packages. A folder apart from theirs: it goes on the `NODE_PATH` of the runtimes
/// that [ship v2](ships_sdk_v2) only, and v3's on the others'.
pub fn sdk_v2_path(cache_root: &Path) -> Result<PathBuf, String> {
    install_missing(
        &cache_root.join("node-sdk-v2"),
        &[(SDK_V2, SDK_V2_SPEC)],
        "Lambda's nodejs16.x and older runtimes ship the AWS SDK for JavaScript v2",
    )
}

/// `<prefix>/node_modules`, with those of `packages` (`(folder, npm spec)`) it lacks installed
/// by npm; `shipped` says why Sluice installs them, `Err` what to run when npm fails.
fn install_missing(
    prefix: &Path,
    packages: &[(&str, &str)],
    shipped: &str,
) -> Result<PathBuf, String> {
    let modules = prefix.join("node_modules");
    let (names, specs): (Vec<&str>, Vec<&str>) = packages
        .iter()
        .filter(|(folder, _)| !modules.join(folder).join("package.json").is_file())
        .copied()
        .unzip();
    if specs.is_empty() {
        return Ok(modules);
    }
    let names = names.join(", ");
    eprintln!(
        "Node handlers require {names} ({shipped}), not installed here: installing into {} with npm ...",
        prefix.display()
    );
    match npm_install(prefix, &specs) {
        Ok(()) => {
            eprintln!("Installed {names} for node handlers.");
            Ok(modules)
        }
        Err(why) => Err(format!(
            "node handlers require {names} and installing failed ({why}); run `npm install --prefix {} {}`",
            prefix.display(),
            specs.join(" ")
        )),
    }
}

/// `npm install --prefix <prefix> <packages>`, bounded in time; the reason when it fails.
fn npm_install(prefix: &Path, packages: &[&str]) -> Result<(), String> {
    let child = Command::new("npm")
        .args([
            // Saved into the cache's own package.json: npm prunes what an install with
            // --no-save leaves unlisted, so the packages an earlier template needed would go.
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            // Offline, npm's defaults (two retries, waits of up to a minute) say late what one
            // refused connection already says.
            "--fetch-retries=0",
        ])
        .arg(format!("--fetch-timeout={NPM_FETCH_TIMEOUT_MS}"))
        .arg("--prefix")
        .arg(prefix)
        .args(packages)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run npm: {e}"))?;
    crate::bounded_install::wait_for_install(child, "npm", "registry", NPM_DEADLINE, || true)
}

/// Probes the host's node in a thread of its own and prints the notes for the template's
/// `runtimes` that differ from it; startup does not wait for a node process.
pub fn probe_in_background(runtimes: Vec<String>) {
    let spawned = std::thread::Builder::new()
        .name("sluice-node-probe".to_owned())
        .spawn(move || {
            let version = probe();
            let notes = version_notes(
                runtimes.iter().map(String::as_str),
                version.as_deref(),
                |r| sluice_lambda::matching_interpreter(r).is_some(),
            );
            for note in notes {
                eprintln!("{note}");
            }
        });
    if let Err(e) = spawned {
        eprintln!("Warning: cannot look at the host's node: {e}");
    }
}

/// `node --version` (`v20.11.1`), or `None` when node does not run.
fn probe() -> Option<String> {
    let out = Command::new("node")
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success() && !version.is_empty()).then_some(version)
}

/// Notes naming the `nodejsN.x` runtimes whose major version differs from the host's node: those
/// that run a matching `nodeN` found on `PATH` (`has_match`), and those that cannot.
pub fn version_notes<'a>(
    runtimes: impl Iterator<Item = &'a str>,
    host: Option<&str>,
    has_match: impl Fn(&str) -> bool,
) -> Vec<String> {
    let Some(host) = host else {
        return vec!["node handlers need node on the PATH, and none runs here".to_owned()];
    };
    let host_major = host
        .trim_start_matches('v')
        .split('.')
        .next()
        .unwrap_or_default();
    let mut others: Vec<&str> = runtimes
        .filter(|r| {
            let major = r.trim_start_matches("nodejs").trim_end_matches(".x");
            major != host_major
        })
        .collect();
    others.sort_unstable();
    others.dedup();
    crate::runtime_notes::differing(others, has_match, &format!("this machine's node ({host})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_quoted_sdk_package_names_only() {
        let code = r#"
const { DynamoDBClient } = require("@aws-sdk/client-dynamodb");
import { DynamoDBDocument } from '@aws-sdk/lib-dynamodb';
const s3 = await import(`@aws-sdk/client-s3/dist-cjs/index.js`);
// see https://github.com/aws/aws-sdk-js-v3 and @aws-sdk/not-an-import
"#;
        let found: Vec<String> = sdk_imports(code, "nodejs20.x").into_iter().collect();
        assert_eq!(
            found,
            [
                "@aws-sdk/client-dynamodb",
                "@aws-sdk/client-s3",
                "@aws-sdk/lib-dynamodb"
            ]
        );
    }

    /// v2 where Lambda's runtime ships v2 (nodejs16.x and older), v3 where it ships v3: each
    /// runtime ships one SDK only.
    #[test]
    fn each_runtime_wants_only_the_sdk_lambdas_runtime_ships() {
        let root = std::env::temp_dir().join(format!("sluice-sdk-v2-scan-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let write = |path: &str, text: &str| {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "whole/app.js",
            "const AWS = require('aws-sdk'); // v2, as in https://github.com/aws/aws-sdk-js",
        );
        write(
            "client/app.js",
            "const DynamoDB = require(\"aws-sdk/clients/dynamodb\");",
        );
        write("mock/app.js", "require('aws-sdk-client-mock');");
        write("v3/app.js", "require('@aws-sdk/client-s3');");
        write(
            "both/app.js",
            "require('aws-sdk'); require('@aws-sdk/client-s3');",
        );
        write("packaged/app.js", "require('aws-sdk');");
        write("packaged/node_modules/aws-sdk/package.json", "{}");
        write(
            "layer/nodejs/node_modules/db/index.js",
            "module.exports = require('aws-sdk');",
        );
        let scan = |runtime: &str, dir: &str| {
            let dir = root.join(dir);
            missing_sdk_packages([(runtime, dir.as_path(), dir.as_path())].into_iter())
                .into_iter()
                .collect::<Vec<_>>()
        };
        let layer = |runtime: &str| {
            missing_layer_sdk_packages([(runtime, root.join("layer").as_path())].into_iter())
                .into_iter()
                .collect::<Vec<_>>()
        };
        let found = [
            scan("nodejs16.x", "whole"),
            scan("nodejs12.x", "client"),
            scan("nodejs20.x", "whole"),
            scan("nodejs18.x", "client"),
            scan("nodejs16.x", "mock"),
            scan("nodejs16.x", "v3"),
            scan("nodejs20.x", "v3"),
            scan("nodejs16.x", "both"),
            scan("nodejs22.x", "both"),
            scan("nodejs16.x", "packaged"),
            layer("nodejs14.x"),
            layer("nodejs22.x"),
        ];
        let _ = std::fs::remove_dir_all(&root);
        let wanted = || vec![SDK_V2.to_owned()];
        let s3 = || vec!["@aws-sdk/client-s3".to_owned()];
        assert_eq!(
            found,
            [
                wanted(),
                wanted(),
                vec![],
                vec![],
                vec![],
                vec![],
                s3(),
                wanted(),
                s3(),
                vec![],
                wanted(),
                vec![],
            ]
        );
        assert!(["nodejs", "nodejs4.3", "nodejs10.x", "nodejs16.x"]
            .iter()
            .all(|r| ships_sdk_v2(r)));
        assert!(!["nodejs18.x", "nodejs24.x", "python3.9", "provided.al2"]
            .iter()
            .any(|r| ships_sdk_v2(r)));
    }

    /// Inline code has no `node_modules` of its own: what it names comes from the runtime.
    #[test]
    fn inline_code_wants_the_sdk_packages_it_names_from_its_runtime() {
        let v3 =
            "const { S3Client } = require('@aws-sdk/client-s3');\nexports.handler = async () => 1;";
        let v2 = "const AWS = require(\"aws-sdk\");\nexports.handler = async () => 1;";
        let found = missing_inline_sdk_packages(
            [
                ("nodejs20.x", v3),
                ("nodejs16.x", v2),
                ("nodejs16.x", v3),
                ("nodejs20.x", v2),
            ]
            .into_iter(),
        );
        assert_eq!(
            found.into_iter().collect::<Vec<_>>(),
            ["@aws-sdk/client-s3", SDK_V2]
        );
    }

    #[test]
    fn a_package_counts_as_resolvable_only_from_where_the_handler_runs() {
        let root = std::env::temp_dir().join(format!("sluice-sdk-scan-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let source = root.join("app");
        let bundle = root.join("state/build/functions/Fn");
        std::fs::create_dir_all(source.join("node_modules/@aws-sdk/client-dynamodb")).unwrap();
        std::fs::create_dir_all(source.join("src")).unwrap();
        std::fs::create_dir_all(&bundle).unwrap();
        std::fs::write(
            source.join("src/index.ts"),
            "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
        )
        .unwrap();
        let scan = |task_root: &Path| {
            missing_sdk_packages([("nodejs20.x", source.as_path(), task_root)].into_iter())
        };
        let in_place = scan(&source);
        let bundled = scan(&bundle);
        let _ = std::fs::remove_dir_all(&root);
        assert!(in_place.is_empty(), "{in_place:?}");
        assert_eq!(
            bundled.into_iter().collect::<Vec<_>>(),
            ["@aws-sdk/client-dynamodb"]
        );
    }

    #[test]
    fn a_layers_packages_are_scanned_and_resolve_from_where_they_sit() {
        let root = std::env::temp_dir().join(format!("sluice-layer-scan-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let write = |path: &str, text: &str| {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "nodejs/node_modules/dblib/index.js",
            "require('@aws-sdk/client-dynamodb'); require('@aws-sdk/client-s3');",
        );
        // Shipped by the layer itself, so resolvable; the SDK's own files are not read.
        write("nodejs/node_modules/@aws-sdk/client-s3/package.json", "{}");
        write(
            "nodejs/node_modules/@aws-sdk/client-s3/index.js",
            "require('@aws-sdk/client-sts');",
        );
        let found = missing_layer_sdk_packages([("nodejs20.x", root.as_path())].into_iter());
        let _ = std::fs::remove_dir_all(&root);
        assert_eq!(
            found.into_iter().collect::<Vec<_>>(),
            ["@aws-sdk/client-dynamodb"]
        );
    }

    #[test]
    fn a_later_install_keeps_the_packages_an_earlier_one_put_in_the_cache() {
        // Real npm against the registry, as Sluice runs it (two small packages stand in for the
        // SDK's): the second template's install must not prune the first's.
        let root = std::env::temp_dir().join(format!("sluice-npm-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let set = |name: &str| BTreeSet::from([name.to_owned()]);
        let modules = sdk_path(&set("ms"), &root).expect("first install").unwrap();
        sdk_path(&set("uuid"), &root).expect("second install");
        let kept = ["ms", "uuid"].map(|p| modules.join(p).join("package.json").is_file());
        let _ = std::fs::remove_dir_all(&root);
        assert_eq!(kept, [true, true]);
    }

    #[test]
    fn names_each_runtime_whose_major_version_differs() {
        let runtimes = ["nodejs24.x", "nodejs20.x", "nodejs24.x", "nodejs22.x"];
        assert_eq!(
            version_notes(runtimes.into_iter(), Some("v20.11.1"), |_| false),
            ["Note: the template asks for nodejs22.x, nodejs24.x; Sluice runs this machine's node (v20.11.1) for them"]
        );
        assert_eq!(
            version_notes(runtimes.into_iter(), Some("v20.11.1"), |r| r == "nodejs22.x"),
            [
                "Note: nodejs22.x functions run the matching interpreter found on PATH",
                "Note: the template asks for nodejs24.x; Sluice runs this machine's node (v20.11.1) for them",
            ]
        );
        assert!(version_notes(["nodejs20.x"].into_iter(), Some("v20.1.0"), |_| false).is_empty());
        assert_eq!(
            version_notes(["nodejs20.x"].into_iter(), None, |_| false).len(),
            1
        );
    }
}
