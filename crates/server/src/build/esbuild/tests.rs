//! esbuild's command line as aws-lambda-builders builds it, and SAM CLI's adjustments after the
//! build (evidence: `nodejs_npm_esbuild/esbuild.py` `EsbuildCommandBuilder`, SAM CLI
//! `samcli/lib/build/bundler.py`).

use std::path::{Path, PathBuf};

use sluice_template::Function;

use super::*;

/// The one function of a template with `metadata` (indented under `Metadata:`) and `extra`
/// properties, its code in `dir`.
fn function(dir: &Path, metadata: &str, extra: &str) -> Function {
    let template = dir.join("template.yaml");
    std::fs::write(
        &template,
        format!(
            "Transform: AWS::Serverless-2016-10-31\nResources:\n  Ts:\n    Type: AWS::Serverless::Function\n    Metadata:\n      BuildMethod: esbuild\n{metadata}    Properties:\n      Runtime: nodejs20.x\n      Handler: src/app.handler\n      CodeUri: .\n{extra}"
        ),
    )
    .unwrap();
    let model = crate::load_model(&crate::Config::new(template)).expect("template loads");
    model.functions.into_iter().next().expect("one function")
}

fn scratch(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sluice-esbuild-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    dir
}

#[test]
fn without_properties_sam_bundles_the_handler_module_minified_as_es2020_commonjs() {
    let dir = scratch("defaults");
    std::fs::write(dir.join("src/app.ts"), "").unwrap();
    let f = function(&dir, "", "");
    assert_eq!(
        arguments(&f, &dir, Path::new("/out")).unwrap(),
        [
            "src/app.ts",
            "--bundle",
            "--platform=node",
            "--outdir=/out",
            "--target=es2020",
            "--format=cjs",
            "--minify"
        ]
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn properties_become_flags_in_sams_order() {
    let dir = scratch("props");
    std::fs::write(dir.join("app.ts"), "").unwrap();
    std::fs::write(dir.join("worker.js"), "").unwrap();
    let f = function(
        &dir,
        "      BuildProperties:
        Minify: false
        Target: es2022
        Format: esm
        Sourcemap: true
        MainFields: module,main
        EntryPoints: [app.ts, worker]
        External: ['@aws-sdk/*', greeting]
        OutExtension: ['.js=.mjs']
        Banner: ['js=// built']
        Loader: ['.png=file']
",
        "",
    );
    assert_eq!(
        arguments(&f, &dir, Path::new("/out")).unwrap(),
        [
            "app.ts",
            "worker.js",
            "--bundle",
            "--platform=node",
            "--outdir=/out",
            "--sourcemap",
            "--target=es2022",
            "--format=esm",
            "--main-fields=module,main",
            "--external:@aws-sdk/*",
            "--external:greeting",
            "--loader:.png=file",
            "--out-extension:.js=.mjs",
            "--banner:js=// built",
        ]
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn node_modules_external_marks_every_dependency_and_a_missing_entry_is_refused() {
    let dir = scratch("deps");
    std::fs::write(dir.join("app.js"), "").unwrap();
    std::fs::write(
        dir.join("package.json"),
        r#"{"dependencies": {"is-number": "7.0.0", "left-pad": "1"}, "devDependencies": {"esbuild": "*"}}"#,
    )
    .unwrap();
    let f = function(
        &dir,
        "      BuildProperties:\n        EntryPoints: [app]\n        External: ['./node_modules/*']\n",
        "",
    );
    let args = arguments(&f, &dir, Path::new("/out")).unwrap();
    assert_eq!(
        args[..2],
        ["--external:is-number", "--external:left-pad"],
        "{args:?}"
    );
    assert_eq!(args[2], "app.js");
    assert!(
        !args.iter().any(|a| a.contains("./node_modules")),
        "{args:?}"
    );
    let f = function(
        &dir,
        "      BuildProperties:\n        EntryPoints: [nope.ts]\n",
        "",
    );
    let error = arguments(&f, &dir, Path::new("/out")).unwrap_err();
    assert!(
        error.contains("entry point") && error.contains("nope.ts"),
        "{error}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn source_maps_follow_node_options_both_ways() {
    let dir = scratch("maps");
    std::fs::write(dir.join("src/app.ts"), "").unwrap();
    let env =
        "      Environment:\n        Variables:\n          NODE_OPTIONS: --enable-source-maps\n";
    let from_env = function(&dir, "", env);
    assert!(arguments(&from_env, &dir, Path::new("/o"))
        .unwrap()
        .contains(&"--sourcemap".to_owned()));
    assert_eq!(node_options(&from_env, Some("--enable-source-maps")), None);
    let from_property = function(&dir, "      BuildProperties: {Sourcemap: true}\n", "");
    assert_eq!(
        node_options(&from_property, Some("--max-old-space-size=100")).as_deref(),
        Some("--max-old-space-size=100 --enable-source-maps")
    );
    assert_eq!(
        node_options(&from_property, None).as_deref(),
        Some("--enable-source-maps")
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_handler_loses_its_folders_unless_the_bundle_keeps_them() {
    let out = scratch("handler");
    assert_eq!(bundled_handler("src/app.handler", &out), "app.handler");
    std::fs::write(out.join("src/app.js"), "").unwrap();
    assert_eq!(bundled_handler("src/app.handler", &out), "src/app.handler");
    assert_eq!(bundled_handler("app.handler", &out), "app.handler");
    let _ = std::fs::remove_dir_all(out);
}
