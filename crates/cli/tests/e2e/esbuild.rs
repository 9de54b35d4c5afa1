//! `BuildMethod: esbuild`: a TypeScript function bundled as `sam build` bundles it, at start and
//! again on save, by `sluice build` with its dev dependencies, and a clear failure without esbuild.
//!
//! esbuild comes from `PATH`, else the test installs the pinned one with npm into the cache folder
//! `.ci/run` fills (and, for `sluice build`, from the app's own dev dependencies).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use sluice_testkit::{assert_eventually, fresh_dir, Server};

use crate::{client, sluice};

/// The esbuild version `.ci/run` installs and the fixtures' `devDependencies` pin.
const ESBUILD_VERSION: &str = "0.28.2";

const TEMPLATE: &str = r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Greeter:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: esbuild
      BuildProperties:
        Sourcemap: true
        External: [greeting]
    Properties:
      Runtime: nodejs20.x
      CodeUri: ts/
      Handler: src/app.handler
      Layers: [!Ref GreetingLayer]
      Events:
        Get:
          Type: Api
          Properties: {Path: /greet, Method: GET}
  GreetingLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer/
  Plain:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: py/
      Handler: app.handler
      Events:
        Get:
          Type: Api
          Properties: {Path: /plain, Method: GET}
"#;

/// The handler: a type annotation, an import from a second `.ts` file (bundled in), and one
/// from `greeting`, left external by `BuildProperties` and found in the function's layer, as on
/// Lambda, where an external package is the runtime's or a layer's.
const APP_TS: &str = r#"import { shout } from "./shout";
import { hello } from "greeting";

interface Reply { statusCode: number; body: string }

export const handler = async (): Promise<Reply> => {
  const body: string = `${shout(hello("world"))}|${process.env.NODE_OPTIONS ?? ""}`;
  return { statusCode: 200, body };
};
"#;

fn shout_ts(suffix: &str) -> String {
    format!("export function shout(text: string): string {{\n  return text.toUpperCase() + \"{suffix}\";\n}}\n")
}

/// The app, never built.
fn app() -> PathBuf {
    let dir = fresh_dir("esbuild-app");
    let write = |path: &str, text: &str| {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("template.yaml", TEMPLATE);
    write("ts/src/app.ts", APP_TS);
    write("ts/src/shout.ts", &shout_ts("!"));
    write(
        "layer/nodejs/node_modules/greeting/index.js",
        "exports.hello = (name) => `hello ${name}`;\n",
    );
    write(
        "py/app.py",
        "def handler(event, context):\n    return {\"statusCode\": 200, \"body\": \"plain\"}\n",
    );
    dir.join("template.yaml")
}

/// A `PATH` with esbuild on it: the one already there, else the pinned version, installed once
/// with npm into the cache folder `.ci/run` uses (as other tests `pip install` what they need).
fn path_with_esbuild() -> OsString {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let works = |esbuild: &Path| {
        Command::new(esbuild)
            .arg("--version")
            .output()
            .is_ok_and(|out| out.status.success())
    };
    if works(Path::new("esbuild")) {
        return path;
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .expect("HOME or XDG_CACHE_HOME is set")
        .join("sluice-ci/esbuild");
    let bin = cache.join("node_modules/.bin");
    if !works(&bin.join("esbuild")) {
        let status = Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "--prefix",
            ])
            .arg(&cache)
            .arg(format!("esbuild@{ESBUILD_VERSION}"))
            .status()
            .expect("npm is installed");
        assert!(
            status.success() && works(&bin.join("esbuild")),
            "these tests need esbuild: `npm install -g esbuild@{ESBUILD_VERSION}` (installing it \
             into {} failed)",
            cache.display()
        );
    }
    let mut dirs = vec![bin];
    dirs.extend(std::env::split_paths(&path));
    std::env::join_paths(dirs).unwrap()
}

/// `PATH` without any folder holding an `esbuild`, with `node` still reachable.
fn path_without_esbuild() -> OsString {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path)
        .filter(|d| !d.join("esbuild").exists())
        .collect();
    for tool in ["node", "npm", "python3"] {
        if !dirs.iter().any(|d| d.join(tool).is_file()) {
            let found = std::env::split_paths(&path)
                .map(|d| d.join(tool))
                .find(|p| p.is_file())
                .unwrap_or_else(|| panic!("{tool} must be installed"));
            // Alone in a folder of its own, so esbuild beside it stays out of reach.
            let own = fresh_dir(&format!("esbuild-path-{tool}"));
            std::os::unix::fs::symlink(&found, own.join(tool)).unwrap();
            dirs.push(own);
        }
    }
    std::env::join_paths(dirs).unwrap()
}

fn get(server: &Server, path: &str) -> (u16, String) {
    let response = client().get(server.url(path)).send().unwrap();
    (response.status().as_u16(), response.text().unwrap())
}

/// Saves the way editors do: a temporary file renamed over the old one.
fn save(path: &Path, text: &str) {
    let partial = path.with_extension("saving");
    std::fs::write(&partial, text).unwrap();
    std::fs::rename(&partial, path).unwrap();
}

#[test]
fn a_typescript_function_is_bundled_at_start_and_again_on_save() {
    let path = path_with_esbuild();
    let template = app();
    let server = Server::start_with_env(sluice(), &template, &[], &[("PATH", path.as_os_str())]);
    // `Sourcemap: true` adds `--enable-source-maps` to NODE_OPTIONS, as SAM CLI does.
    assert_eq!(
        get(&server, "/greet"),
        (200, "HELLO WORLD!|--enable-source-maps".to_owned()),
        "{:?}",
        server.logs()
    );
    // SAM's handler rewrite: esbuild writes the one entry point as `app.js` at the top.
    let bundle = server.state_dir.join("build/functions/Greeter");
    assert!(bundle.join("app.js").is_file() && bundle.join("app.js.map").is_file());
    assert!(
        server
            .logs()
            .iter()
            .any(|l| l.contains("Function Greeter (nodejs20.x) runs")
                && l.contains(&bundle.join("app.js").display().to_string())),
        "{:?}",
        server.logs()
    );

    // A save of the imported file, not the entry point, bundles again.
    save(
        &template.parent().unwrap().join("ts/src/shout.ts"),
        &shout_ts("?"),
    );
    assert_eventually!(
        get(&server, "/greet").1.starts_with("HELLO WORLD?"),
        "the saved import never answered: {:?}",
        server.logs()
    );

    // Code esbuild rejects: said, and the last bundle keeps serving.
    save(
        &template.parent().unwrap().join("ts/src/shout.ts"),
        "export function shout(text: string: string {",
    );
    assert_eventually!(
        server.logs().iter().any(|l| l.contains("[ERROR]")),
        "esbuild's own error is shown: {:?}",
        server.logs()
    );
    assert!(get(&server, "/greet").1.starts_with("HELLO WORLD?"));
}

#[test]
fn without_esbuild_the_function_fails_to_start_naming_the_fix_and_the_others_serve() {
    let template = app();
    let path = path_without_esbuild();
    let server = Server::start_with_env(sluice(), &template, &[], &[("PATH", path.as_os_str())]);
    // Said where the bundling fails, and again where the function is set up.
    let missing = server
        .wait_for_log("Greeter: esbuild not found")
        .expect("the missing esbuild is said");
    assert!(missing.contains("npm install"), "{missing}");
    assert!(
        server
            .wait_for_log("Greeter has no esbuild bundle")
            .is_some(),
        "{:?}",
        server.logs()
    );
    let hint = server
        .wait_for_log("hint: install esbuild")
        .expect("the fix is named");
    assert!(hint.contains("sluice build"), "{hint}");
    // REST API: the function's init error is an unhandled function error, 502.
    assert_eq!(get(&server, "/greet").0, 502);
    assert_eq!(get(&server, "/plain"), (200, "plain".to_owned()));
}

#[test]
fn sluice_build_installs_the_dev_dependencies_esbuild_is_among_and_bundles_the_dependencies() {
    let template = app();
    let ts = template.parent().unwrap().join("ts");
    std::fs::write(
        ts.join("package.json"),
        format!(
            r#"{{"name": "greeter", "version": "1.0.0", "dependencies": {{"is-number": "7.0.0"}}, "devDependencies": {{"esbuild": "{ESBUILD_VERSION}"}}}}"#
        ),
    )
    .unwrap();
    std::fs::write(
        ts.join("src/app.ts"),
        APP_TS
            .replace(
                "${shout(hello(\"world\"))}",
                "${shout(hello(\"world\"))} ${isNumber(\"42\")}",
            )
            .replacen("import", "import isNumber from \"is-number\";\nimport", 1),
    )
    .unwrap();
    // No esbuild on PATH: `sluice build` must find the one npm installed from devDependencies.
    let path = path_without_esbuild();
    let state = fresh_dir("esbuild-state");
    let out = Command::new(sluice())
        .arg("build")
        .arg("-t")
        .arg(&template)
        .arg("--state-dir")
        .arg(&state)
        .env("PATH", &path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("Greeter: esbuild bundled into"), "{stderr}");
    // is-number is bundled (Lambda gets no node_modules from an esbuild build), greeting is not.
    let bundle = std::fs::read_to_string(state.join("build/functions/Greeter/app.js")).unwrap();
    assert!(
        bundle.contains("isFinite"),
        "is-number is inside the bundle"
    );
    assert!(bundle.contains("require(\"greeting\")"), "{bundle}");

    let server = Server::start_in(sluice(), &template, &state, &[]);
    assert_eq!(
        get(&server, "/greet"),
        (200, "HELLO WORLD! true|--enable-source-maps".to_owned()),
        "{:?}",
        server.logs()
    );
}

/// `External: ['@aws-sdk/*']`, as most TypeScript SAM apps bundle: the bundle runs from the state
/// folder, so the SDK comes from the runtime (Lambda's ships it; Sluice installs it into its
/// cache), not from the copy CodeUri's `node_modules` holds for the types. Sluice took that copy
/// as the handler's and provided nothing: every invocation failed with `Cannot find module`.
#[test]
fn an_external_sdk_package_comes_from_the_runtime_though_code_uri_has_a_copy() {
    let path = path_with_esbuild();
    let dir = fresh_dir("esbuild-external-sdk");
    let write = |path: &str, text: &str| {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "template.yaml",
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Encoder:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: esbuild
      BuildProperties:
        External: ['@aws-sdk/*']
        EntryPoints: [index.ts]
    Properties:
      Runtime: nodejs20.x
      CodeUri: fn/
      Handler: index.handler
      Events:
        Get:
          Type: Api
          Properties: {Path: /bytes, Method: GET}
"#,
    );
    write(
        "fn/index.ts",
        r#"import { fromUtf8 } from "@aws-sdk/util-utf8-browser";

export const handler = async () => ({ statusCode: 200, body: String(fromUtf8("héllo").length) });
"#,
    );
    // What `npm install` leaves for the types (a stub here: it must not be what runs).
    write(
        "fn/node_modules/@aws-sdk/util-utf8-browser/package.json",
        r#"{"name": "@aws-sdk/util-utf8-browser", "version": "0.0.0", "main": "missing.js"}"#,
    );
    let template = dir.join("template.yaml");
    let server = Server::start_with_env(sluice(), &template, &[], &[("PATH", path.as_os_str())]);
    assert_eq!(
        get(&server, "/bytes"),
        (200, "6".to_owned()),
        "{:?}",
        server.logs()
    );
}

/// AWS: the bundle runs from /var/task, under no package.json, so a CommonJS bundle (SAM's
/// default format) loads as CommonJS. Sluice's default state folder is inside the project, whose
/// `"type": "module"` (common in TypeScript projects) made node load the bundle as an ES module:
/// `exports is not defined in ES module scope` at every invocation.
#[test]
fn a_commonjs_bundle_stays_commonjs_under_a_module_type_project() {
    let path = path_with_esbuild();
    let esbuild = std::env::split_paths(&path)
        .map(|d| d.join("esbuild"))
        .find(|p| p.is_file())
        .expect("esbuild is on the PATH built above");
    let project = fresh_dir("esbuild-module-project");
    let write = |path: &str, text: &str| {
        let path = project.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("package.json", r#"{"type": "module"}"#);
    write(
        "template.yaml",
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: esbuild
    Properties:
      Runtime: nodejs20.x
      CodeUri: fn/
      Handler: src/hello.handler
      Events:
        Get:
          Type: Api
          Properties: {Path: /hello, Method: GET}
"#,
    );
    write(
        "fn/src/hello.ts",
        "export const handler = async () => ({ statusCode: 200, body: \"hello\" });\n",
    );
    // esbuild as the project's own dev dependency would give it (the server's PATH is the test's).
    std::fs::create_dir_all(project.join("fn/node_modules/.bin")).unwrap();
    std::os::unix::fs::symlink(&esbuild, project.join("fn/node_modules/.bin/esbuild")).unwrap();
    // The default state folder: `.sluice` beside the template.
    let server = Server::start_in(
        sluice(),
        &project.join("template.yaml"),
        &project.join(".sluice"),
        &[],
    );
    assert_eq!(
        get(&server, "/hello"),
        (200, "hello".to_owned()),
        "{:?}",
        server.logs()
    );
}

/// AWS: a nodejs16.x function whose bundle holds the AWS SDK for JavaScript v2 (esbuild inlines
/// `aws-sdk` unless it is External, as in Powertools' SAM TypeScript example) reaches DynamoDB
/// like any other. Sluice points v2 at its endpoint when v2's module file loads, which a bundle
/// never does: its calls went to dynamodb.us-east-1.amazonaws.com ("Inaccessible host").
#[test]
fn a_bundled_aws_sdk_v2_reaches_sluices_dynamodb() {
    let path = path_with_esbuild();
    let dir = fresh_dir("esbuild-bundled-sdk-v2");
    let write = |path: &str, text: &str| {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "template.yaml",
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Things:
    Type: AWS::Serverless::SimpleTable
    Properties: {TableName: bundled-v2-things}
  Store:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: esbuild
      BuildProperties:
        EntryPoints: [index.ts]
    Properties:
      Runtime: nodejs16.x
      CodeUri: fn/
      Handler: index.handler
      MemorySize: 1024
      Timeout: 30
      Events:
        Get:
          Type: Api
          Properties: {Path: /things, Method: GET}
"#,
    );
    write(
        "fn/index.ts",
        r#"import * as AWS from "aws-sdk";

// No retries: a call that misses Sluice fails at once instead of backing off for seconds.
const db = new AWS.DynamoDB.DocumentClient({ maxRetries: 0 });

export const handler = async () => {
  await db.put({ TableName: "bundled-v2-things", Item: { id: "a", n: 1 } }).promise();
  const { Item } = await db.get({ TableName: "bundled-v2-things", Key: { id: "a" } }).promise();
  return { statusCode: 200, body: JSON.stringify(Item) };
};
"#,
    );
    std::fs::create_dir_all(dir.join("fn/node_modules")).unwrap();
    std::os::unix::fs::symlink(sdk_v2(), dir.join("fn/node_modules/aws-sdk")).unwrap();
    let template = dir.join("template.yaml");
    let server = Server::start_with_env(sluice(), &template, &[], &[("PATH", path.as_os_str())]);
    assert_eq!(
        get(&server, "/things"),
        (200, r#"{"id":"a","n":1}"#.to_owned()),
        "{:?}",
        server.logs()
    );
    let bundle =
        std::fs::read_to_string(server.state_dir.join("build/functions/Store/index.js")).unwrap();
    assert!(
        !bundle.contains("require(\"aws-sdk\")"),
        "the SDK must be inside the bundle, not required from the runtime"
    );
}

/// The AWS SDK for JavaScript v2's package folder (its last release), installed once with npm
/// into the cache folder `.ci/run` uses, as esbuild is above.
fn sdk_v2() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .expect("HOME or XDG_CACHE_HOME is set")
        .join("sluice-ci/aws-sdk-v2");
    let package = cache.join("node_modules/aws-sdk");
    if !package.join("package.json").is_file() {
        let status = Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "--prefix",
            ])
            .arg(&cache)
            .arg("aws-sdk@2.1692.0")
            .status()
            .expect("npm is installed");
        assert!(
            status.success() && package.join("package.json").is_file(),
            "this test needs aws-sdk v2 (installing it into {} failed)",
            cache.display()
        );
    }
    package
}
