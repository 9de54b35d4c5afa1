//! `sluice build`: real packages from PyPI and npm, and a makefile function, built and then served
//! by `start-api` from where Lambda would have them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sluice_testkit::{fresh_dir, Server};

use crate::{client, sluice};

const TEMPLATE: &str = r#"Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Timeout: 30
Resources:
  Camel:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: py/
      Handler: app.handler
      Events:
        Get:
          Type: Api
          Properties: {Path: /camel, Method: GET}
  CamelTwin:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: py-twin/
      Handler: app.handler
  Numbers:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      CodeUri: node/
      Handler: app.handler
      Events:
        Get:
          Type: Api
          Properties: {Path: /numbers, Method: GET}
  Made:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: makefile
    Properties:
      Runtime: python3.12
      CodeUri: made/
      Handler: app.handler
      Events:
        Get:
          Type: Api
          Properties: {Path: /made, Method: GET}
"#;

const PY_HANDLER: &str = r#"def handler(event, context):
    import inflection
    return {"statusCode": 200, "body": inflection.camelize("built_by_sluice")}
"#;

/// An app with a python function needing `inflection` (twice, same requirements), a node
/// function needing `is-number`, and a makefile function whose build writes a file.
fn app() -> PathBuf {
    let dir = fresh_dir("build-app");
    let write = |path: &str, text: &str| {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("template.yaml", TEMPLATE);
    for folder in ["py", "py-twin"] {
        write(&format!("{folder}/app.py"), PY_HANDLER);
        write(&format!("{folder}/requirements.txt"), "inflection==0.5.1\n");
    }
    write(
        "node/package.json",
        r#"{"name": "numbers", "version": "1.0.0", "dependencies": {"is-number": "7.0.0"}}"#,
    );
    write(
        "node/app.js",
        r#"const isNumber = require("is-number");
exports.handler = async () => ({ statusCode: 200, body: `${isNumber("42")} ${isNumber("x")}` });
"#,
    );
    write(
        "made/app.py",
        r#"import pathlib
def handler(event, context):
    return {"statusCode": 200, "body": (pathlib.Path(__file__).parent / "stamp.txt").read_text().strip()}
"#,
    );
    write(
        "made/Makefile",
        "build-Made:\n\tcp app.py $(ARTIFACTS_DIR)/\n\techo made-by-make > $(ARTIFACTS_DIR)/stamp.txt\n",
    );
    dir.join("template.yaml")
}

fn sluice_build(template: &Path, state: &Path, args: &[&str]) -> Output {
    Command::new(sluice())
        .arg("build")
        .arg("-t")
        .arg(template)
        .arg("--state-dir")
        .arg(state)
        .args(args)
        .output()
        .expect("running sluice build")
}

fn get(server: &Server, path: &str) -> (u16, String) {
    let response = client().get(server.url(path)).send().unwrap();
    (response.status().as_u16(), response.text().unwrap())
}

#[test]
fn built_dependencies_and_artifacts_are_where_the_functions_find_them() {
    let template = app();
    let state = fresh_dir("build-state");

    // Before building, the python handler cannot import its dependency.
    {
        let server = Server::start_in(sluice(), &template, &state, &[]);
        assert_eq!(get(&server, "/camel").0, 502);
    }

    let out = sluice_build(&template, &state, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "sluice build failed:\n{stderr}");
    // Same requirements, one install.
    let python_builds: Vec<_> = std::fs::read_dir(state.join("build/python"))
        .unwrap()
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert_eq!(python_builds.len(), 1, "{stderr}");
    assert!(
        stderr.contains("CamelTwin: dependencies unchanged, reusing"),
        "{stderr}"
    );
    // Which state folder holds the results: a run with another one does not see them.
    assert!(
        stderr.contains(&format!("into {}", state.join("build").display()))
            && stderr.contains("with this state folder use the results"),
        "{stderr}"
    );

    let server = Server::start_in(sluice(), &template, &state, &[]);
    assert_eq!(get(&server, "/camel"), (200, "BuiltBySluice".to_owned()));
    assert_eq!(get(&server, "/numbers"), (200, "true false".to_owned()));
    assert_eq!(get(&server, "/made"), (200, "made-by-make".to_owned()));
    drop(server);

    // A manifest edited since the build is installed again when serving starts.
    let requirements = template.parent().unwrap().join("py/requirements.txt");
    std::fs::write(&requirements, "# pinned\ninflection==0.5.1\n").unwrap();
    let server = Server::start_in(sluice(), &template, &state, &[]);
    assert!(
        server
            .logs()
            .iter()
            .any(|l| l.contains("Camel: dependencies changed since the last build")),
        "{:?}",
        server.logs()
    );
    assert_eq!(get(&server, "/camel"), (200, "BuiltBySluice".to_owned()));
    drop(server);

    // An unchanged manifest is not installed again.
    let again = sluice_build(&template, &state, &["Camel"]);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{stderr}");
    assert!(stderr.contains("Camel: dependencies unchanged"), "{stderr}");
}

#[test]
fn a_failing_tool_fails_the_build_with_its_own_output() {
    let template = app();
    std::fs::write(
        template.parent().unwrap().join("made/Makefile"),
        "build-Made:\n\t@echo the compiler is unhappy >&2; exit 3\n",
    )
    .unwrap();
    let state = fresh_dir("build-fail-state");
    let out = sluice_build(&template, &state, &["Made"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the compiler is unhappy"), "{stderr}");
    assert!(stderr.contains("make build-Made"), "{stderr}");
    assert!(
        !state.join("build/functions/Made").exists(),
        "no half-built folder"
    );
    let out = sluice_build(&template, &state, &["Nobody"]);
    assert!(!out.status.success());
}

/// AWS (`sam build`): a layer with a runtime `BuildMethod` is built into the folder of `/opt` its
/// runtime searches, `python/` or `nodejs/` (SAM CLI's `get_layer_subfolder`), holding its files
/// and its manifest's dependencies (sessions-with-aws-sam's lambda-layers demo app takes `numeral`
/// from such a layer). Sluice used the `ContentUri` folder as it was, so every function meant
/// `Cannot find module` / `No module named`.
#[test]
fn layers_with_a_runtime_build_method_are_built_where_the_runtime_looks() {
    let dir = fresh_dir("build-layers");
    let write = |path: &str, text: &str| {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "template.yaml",
        r#"Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Timeout: 30
    Handler: app.handler
Resources:
  PyDeps:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: py-layer/}
    Metadata: {BuildMethod: python3.12}
  NodeDeps:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: node-layer/}
    Metadata: {BuildMethod: nodejs20.x}
  Py:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: py/
      Layers: [!Ref PyDeps]
      Events:
        Get:
          Type: Api
          Properties: {Path: /py, Method: GET}
  Node:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      CodeUri: node/
      Layers: [!Ref NodeDeps]
      Events:
        Get:
          Type: Api
          Properties: {Path: /node, Method: GET}
"#,
    );
    write("py-layer/requirements.txt", "inflection==0.5.1\n");
    // The layer's own module: on Lambda at /opt/python/shout.py.
    write(
        "py-layer/shout.py",
        "def shout(text):\n    return text.upper()\n",
    );
    write(
        "py/app.py",
        r#"import inflection
import shout

def handler(event, context):
    return {"statusCode": 200, "body": shout.shout(inflection.camelize("from_a_layer"))}
"#,
    );
    write(
        "node-layer/package.json",
        r#"{"name": "deps", "version": "1.0.0", "dependencies": {"is-number": "7.0.0"}}"#,
    );
    write(
        "node/app.js",
        r#"const isNumber = require("is-number");
exports.handler = async () => ({ statusCode: 200, body: `${isNumber("42")} ${isNumber("x")}` });
"#,
    );
    let template = dir.join("template.yaml");
    let state = fresh_dir("build-layers-state");

    // Unbuilt, the layers are their folders: the dependencies are missing, and startup says why.
    {
        let server = Server::start_in(sluice(), &template, &state, &[]);
        assert_eq!(get(&server, "/py").0, 502);
        assert_eq!(get(&server, "/node").0, 502);
        assert!(
            server.logs().iter().any(|l| l.contains(
                "layer PyDeps (BuildMethod python3.12) is not built, or changed since it was: run `sluice build`"
            )),
            "{:?}",
            server.logs()
        );
    }

    let out = sluice_build(&template, &state, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "sluice build failed:\n{stderr}");
    assert!(stderr.contains("and 2 layer(s)"), "{stderr}");

    let server = Server::start_in(sluice(), &template, &state, &[]);
    assert_eq!(get(&server, "/py"), (200, "FROMALAYER".to_owned()));
    assert_eq!(get(&server, "/node"), (200, "true false".to_owned()));
    drop(server);

    // The layer's files are linked: an edit shows without building again.
    write(
        "py-layer/shout.py",
        "def shout(text):\n    return text.lower()\n",
    );
    let server = Server::start_in(sluice(), &template, &state, &[]);
    assert_eq!(get(&server, "/py"), (200, "fromalayer".to_owned()));
}

/// AWS: a makefile function runs what `make build-<id>` wrote into `ARTIFACTS_DIR` (sam build
/// deploys that folder). Sluice ran the artifacts but looked for the handler in the sources, so
/// a function whose module only make writes (compiled, bundled: sessions-with-aws-sam's
/// node-webpack-custom-build) was reported at start as unable to run, and one whose sources
/// also hold it was said to run the source file.
#[test]
fn a_built_makefile_function_is_located_in_its_artifacts() {
    let dir = fresh_dir("build-make-located");
    let write = |path: &str, text: &str| {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "template.yaml",
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Generated:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: makefile
    Properties:
      Runtime: python3.12
      CodeUri: gen/
      Handler: app.handler
      Events:
        Get:
          Type: Api
          Properties: {Path: /gen, Method: GET}
"#,
    );
    // The sources hold no app.py: make writes it.
    write(
        "gen/handler.template",
        "def handler(event, context):\n    return {\"statusCode\": 200, \"body\": \"generated\"}\n",
    );
    write(
        "gen/Makefile",
        "build-Generated:\n\tcp handler.template $(ARTIFACTS_DIR)/app.py\n",
    );
    let template = dir.join("template.yaml");
    let state = fresh_dir("build-make-located-state");
    let out = sluice_build(&template, &state, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = Server::start_in(sluice(), &template, &state, &[]);
    assert_eq!(get(&server, "/gen"), (200, "generated".to_owned()));
    let logs = server.logs();
    let artifacts = state.join("build/functions/Generated/app.py");
    assert!(
        logs.iter().any(|l| l.contains(&format!(
            "Function Generated (python3.12) runs {}",
            artifacts.display()
        ))),
        "{logs:?}"
    );
    assert!(
        !logs.iter().any(|l| l.contains("starts anyway")),
        "{logs:?}"
    );
}
