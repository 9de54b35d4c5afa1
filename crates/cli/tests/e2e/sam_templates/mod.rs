//! SAM templates SAM CLI accepts, run as SAM CLI runs them: shared function names, aliases,
//! single-file code, layers and `Fn::ForEach` here; nested stacks, node packages, and `validate`
//! refusing exactly what `start-api` would, in the modules below.

mod nested_stacks;
mod node_packages;
mod refusals;

use std::process::Command;

use sluice_testkit::{fresh_dir, Server};

use crate::{client, get_text, sluice};

/// Writes `files` (path, content) under a fresh folder and returns the folder.
fn project(label: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = fresh_dir(label);
    for (path, content) in files {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, content).unwrap();
    }
    dir
}

const SHARED_NAMES: &str = "Transform: AWS::Serverless-2016-10-31
Resources:
  First:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: shared
      Runtime: python3.12
      Handler: first.handler
      CodeUri: py/
      AutoPublishAlias: live
      Environment:
        Variables:
          MY_ALIAS: !Ref First.Alias
      Events:
        Get: {Type: Api, Properties: {Path: /first, Method: get}}
  Second:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: shared
      Runtime: python3.12
      Handler: second.handler
      CodeUri: py/
      Events:
        Get: {Type: Api, Properties: {Path: /second, Method: get}}
  Single:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      CodeUri: node/function.js
      Events:
        Get: {Type: Api, Properties: {Path: /single, Method: get}}
";

const FIRST_PY: &str = "import os\ndef handler(event, context):\n    return {'statusCode': 200, 'body': 'first ' + os.environ['MY_ALIAS']}\n";
const SECOND_PY: &str =
    "def handler(event, context):\n    return {'statusCode': 200, 'body': 'second'}\n";
const FUNCTION_JS: &str =
    "exports.handler = async () => ({ statusCode: 200, body: 'single file' });\n";

fn shared_names_project() -> std::path::PathBuf {
    project(
        "shared-names",
        &[
            ("template.yaml", SHARED_NAMES),
            ("py/first.py", FIRST_PY),
            ("py/second.py", SECOND_PY),
            ("node/function.js", FUNCTION_JS),
        ],
    )
}

#[test]
fn shared_function_names_warn_in_validate_and_both_functions_serve() {
    let dir = shared_names_project();
    let template = dir.join("template.yaml");
    let warning = "Resources.Second.Properties.FunctionName: shared is also the name of First (AWS would refuse to deploy both); Second runs under its logical id, and the Invoke API resolves shared to First";
    let out = Command::new(sluice())
        .args(["validate", "-t"])
        .arg(&template)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains(warning), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "Function Single (nodejs20.x) runs {}",
            dir.join("node/function.js").display()
        )),
        "{stdout}"
    );

    let server = Server::start(sluice(), &template, &[]);
    assert!(server.wait_for_log(warning).is_some());
    assert!(server
        .wait_for_log(&format!(
            "Function First (python3.12) runs {}",
            dir.join("py/first.py").display()
        ))
        .is_some());
    let alias_arn = "arn:aws:lambda:us-east-1:123456789012:function:shared:live";
    let get = |path: &str| get_text(&server, path);
    assert_eq!(get("/first"), format!("first {alias_arn}"));
    assert_eq!(get("/second"), "second");
    assert_eq!(get("/single"), "single file");

    let invoke = |name: &str| {
        client()
            .post(format!(
                "{}/2015-03-31/functions/{name}/invocations",
                server.services_url
            ))
            .body("{}")
            .send()
            .unwrap()
    };
    for name in ["shared", "shared:live", "shared:$LATEST", alias_arn] {
        let response = invoke(name);
        assert_eq!(response.status(), 200, "{name}");
        let body: serde_json::Value = response.json().unwrap();
        assert_eq!(body["body"], format!("first {alias_arn}"), "{name}");
    }
    let second: serde_json::Value = invoke("Second").json().unwrap();
    assert_eq!(second["body"], "second");
    assert_eq!(invoke("shared:prod").status(), 404, "no such alias");
}

const LAYERS: &str = "Transform: AWS::Serverless-2016-10-31
Resources:
  Base:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layers/base/}
  Override:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layers/override/}
  NodeLayer:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layers/node/}
  Py:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: py/
      Layers: [!Ref Base, !Ref Override]
      Events:
        Get: {Type: Api, Properties: {Path: /py, Method: get}}
  Node:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: app.handler
      CodeUri: node/
      Layers: [!Ref NodeLayer]
      Events:
        Get: {Type: Api, Properties: {Path: /node, Method: get}}
";

#[test]
fn handlers_import_modules_from_their_layers_and_later_layers_win() {
    let dir = project(
        "layers",
        &[
            ("template.yaml", LAYERS),
            ("layers/base/python/greeting.py", "WORD = 'hello from a layer'\n"),
            ("layers/base/python/shared.py", "WHO = 'base'\n"),
            (
                "layers/override/python/lib/python3.12/site-packages/shared.py",
                "WHO = 'override'\n",
            ),
            (
                "py/app.py",
                "import boto3, greeting, shared\ndef handler(event, context):\n    return {'statusCode': 200, 'body': greeting.WORD + ' / ' + shared.WHO}\n",
            ),
            (
                "layers/node/nodejs/node_modules/greet/index.js",
                "module.exports = () => 'hello from a node layer';\n",
            ),
            (
                "node/app.js",
                "const greet = require('greet');\nexports.handler = async () => ({ statusCode: 200, body: greet() });\n",
            ),
        ],
    );
    let server = Server::start(sluice(), &dir.join("template.yaml"), &[]);
    let get = |path: &str| get_text(&server, path);
    assert_eq!(get("/py"), "hello from a layer / override");
    assert_eq!(get("/node"), "hello from a node layer");
}

/// AWS: Lambda unpacks the layers into `/opt`, in order, a later layer's file replacing an
/// earlier one's, and node code names a layer's file by that path: serverless-patterns'
/// lambda-layer-ssm-parameters has `import { config } from "/opt/nodejs/config.mjs"`, CommonJS
/// code `require("/opt/nodejs/utils")`. Sluice's layers are folders, so both failed with
/// `Cannot find module '/opt/nodejs/…'`.
#[test]
fn node_code_reaches_its_layers_files_by_their_opt_paths() {
    let template = "Transform: AWS::Serverless-2016-10-31
Resources:
  Base:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layers/base/}
  Later:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layers/later/}
  Cjs:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: app.handler
      CodeUri: cjs/
      Layers: [!Ref Base, !Ref Later]
      Events:
        Get: {Type: Api, Properties: {Path: /cjs, Method: get}}
  Esm:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: app.handler
      CodeUri: esm/
      Layers: [!Ref Base, !Ref Later]
      Events:
        Get: {Type: Api, Properties: {Path: /esm, Method: get}}
";
    let dir = project(
        "layer-opt-paths",
        &[
            ("template.yaml", template),
            ("layers/base/nodejs/utils.js", "exports.who = 'base utils';\n"),
            ("layers/base/nodejs/shared.js", "exports.who = 'base shared';\n"),
            // The later layer's file is the one /opt holds.
            ("layers/later/nodejs/shared.js", "exports.who = 'later shared';\n"),
            ("layers/later/nodejs/config.mjs", "export const config = 'config from /opt';\n"),
            (
                "cjs/app.js",
                "const utils = require('/opt/nodejs/utils');\nconst shared = require('/opt/nodejs/shared.js');\nexports.handler = async () => ({ statusCode: 200, body: `${utils.who} / ${shared.who} / ${'_SLUICE_OPT_LAYERS' in process.env}` });\n",
            ),
            (
                "esm/app.mjs",
                "import { config } from '/opt/nodejs/config.mjs';\nexport const handler = async () => ({ statusCode: 200, body: config });\n",
            ),
        ],
    );
    let server = Server::start(sluice(), &dir.join("template.yaml"), &[]);
    assert_eq!(
        get_text(&server, "/cjs"),
        "base utils / later shared / false"
    );
    assert_eq!(get_text(&server, "/esm"), "config from /opt");
}

/// AWS: layers unpack into one `/opt`, and the python runtime searches
/// `/opt/python/lib/python3.X/site-packages` (its own version's only) before `/opt/python`; the
/// node runtime `/opt/nodejs/nodeNN/node_modules` before `/opt/nodejs/node_modules` (the
/// recorded `NODE_PATH=/opt/nodejs/node20/node_modules:/opt/nodejs/node_modules:…`). So an
/// earlier layer's site-packages module wins over a later layer's `python/` one.
#[test]
fn layer_folders_are_searched_folder_by_folder_as_in_one_opt() {
    let dir = project(
        "layer-order",
        &[
            ("template.yaml", LAYERS),
            (
                "layers/base/python/lib/python3.12/site-packages/shared.py",
                "WHO = 'site-packages of the first layer'\n",
            ),
            ("layers/override/python/shared.py", "WHO = 'python/ of the later layer'\n"),
            ("layers/override/python/lib/python3.9/site-packages/old.py", ""),
            (
                "py/app.py",
                "import shared\nfrom importlib.util import find_spec\ndef handler(event, context):\n    return {'statusCode': 200, 'body': shared.WHO + ' / ' + str(find_spec('old') is not None)}\n",
            ),
            (
                "layers/node/nodejs/node_modules/greet/index.js",
                "module.exports = () => 'nodejs/node_modules';\n",
            ),
            (
                "layers/node/nodejs/node20/node_modules/greet/index.js",
                "module.exports = () => 'nodejs/node20/node_modules';\n",
            ),
            (
                "node/app.js",
                "const greet = require('greet');\nexports.handler = async () => ({ statusCode: 200, body: greet() });\n",
            ),
        ],
    );
    let server = Server::start(sluice(), &dir.join("template.yaml"), &[]);
    let get = |path: &str| get_text(&server, path);
    assert_eq!(get("/py"), "site-packages of the first layer / False");
    assert_eq!(get("/node"), "nodejs/node20/node_modules");
}

/// AWS: the python bootstrap makes the layers' `/opt/python/lib/python3.X/site-packages` and
/// `/opt/python` site folders (`site.addsitedir`), so a `.pth` file a layer's `pip install`
/// wrote there (a namespace package's `-nspkg.pth`, say) extends `sys.path`.
#[test]
fn pth_files_in_a_layers_python_folders_are_processed() {
    let dir = project(
        "layer-pth",
        &[
            ("template.yaml", LAYERS),
            ("layers/base/python/lib/python3.12/site-packages/extra.pth", "extra\n"),
            (
                "layers/base/python/lib/python3.12/site-packages/extra/from_pth.py",
                "WHO = 'found through a .pth'\n",
            ),
            (
                "py/app.py",
                "import from_pth\ndef handler(event, context):\n    return {'statusCode': 200, 'body': from_pth.WHO}\n",
            ),
            ("layers/override/python/unused.py", ""),
            ("layers/node/nodejs/node_modules/unused.js", ""),
            ("node/app.js", "exports.handler = async () => ({ statusCode: 200 });\n"),
        ],
    );
    let server = Server::start(sluice(), &dir.join("template.yaml"), &[]);
    assert_eq!(get_text(&server, "/py"), "found through a .pth");
}

const FOR_EACH: &str = "Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]
Resources:
  Fn::ForEach::Greeters:
    - Who
    - [alpha, beta, gamma]
    - ${Who}Function:
        Type: AWS::Serverless::Function
        Properties:
          Runtime: python3.12
          Handler: app.handler
          CodeUri: py/
          Environment:
            Variables:
              WHO: !Ref Who
          Events:
            Get: {Type: Api, Properties: {Path: !Sub '/${Who}', Method: get}}
";

#[test]
fn for_each_generates_three_functions_and_their_routes() {
    let dir = project(
        "for-each",
        &[
            ("template.yaml", FOR_EACH),
            (
                "py/app.py",
                "import os\ndef handler(event, context):\n    return {'statusCode': 200, 'body': os.environ['WHO'] + ' via ' + context.function_name}\n",
            ),
        ],
    );
    let server = Server::start(sluice(), &dir.join("template.yaml"), &[]);
    for who in ["alpha", "beta", "gamma"] {
        let body = get_text(&server, &format!("/{who}"));
        assert_eq!(body, format!("{who} via {who}Function"));
    }
}

#[test]
fn a_layer_content_naming_a_zip_is_unpacked_like_a_layer_folder() {
    // `sam local` and `sam package` take a layer as a .zip; Lambda unpacks it into /opt.
    let dir = project(
        "zip-layer",
        &[
            (
                "template.yaml",
                "Transform: AWS::Serverless-2016-10-31
Resources:
  Zipped:
    Type: AWS::Lambda::LayerVersion
    Properties: {Content: layers/zipped.zip}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Layers: [!Ref Zipped]
",
            ),
            (
                "src/app.py",
                "import from_zip\ndef handler(e, c):\n    return from_zip.WORD\n",
            ),
        ],
    );
    std::fs::create_dir_all(dir.join("layers")).unwrap();
    let zipped = Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, zipfile\n\
             with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n\
             \x20   z.writestr('python/from_zip.py', 'WORD = \"from a zipped layer\"\\n')\n",
        )
        .arg(dir.join("layers/zipped.zip"))
        .status()
        .unwrap();
    assert!(zipped.success());
    let out = Command::new(sluice())
        .args(["invoke", "--no-event", "-t"])
        .arg(dir.join("template.yaml"))
        .arg("--state-dir")
        .arg(fresh_dir("zip-layer-state"))
        .env("XDG_CACHE_HOME", fresh_dir("zip-layer-cache"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap(),
        "from a zipped layer"
    );
}

#[test]
fn a_code_uri_naming_a_zip_artifact_runs_what_the_zip_holds() {
    // The artifact `sam local` and build tools hand over: a zip, its handler inside.
    let dir = project(
        "zip-code",
        &[(
            "template.yaml",
            "Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: pkg/index.handler
      CodeUri: build/function.zip
",
        )],
    );
    std::fs::create_dir_all(dir.join("build")).unwrap();
    let zipped = Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, zipfile\n\
             with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n\
             \x20   z.writestr('pkg/index.py', 'def handler(e, c):\\n    return {\"file\": __file__.endswith(\"pkg/index.py\")}\\n')\n",
        )
        .arg(dir.join("build/function.zip"))
        .status()
        .unwrap();
    assert!(zipped.success());
    let cache = fresh_dir("zip-code-cache");
    let out = Command::new(sluice())
        .args(["invoke", "--no-event", "-t"])
        .arg(dir.join("template.yaml"))
        .arg("--state-dir")
        .arg(fresh_dir("zip-code-state"))
        .env("XDG_CACHE_HOME", &cache)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["file"], true, "{stderr}");
    // Unpacked once into the cache, named for the archive.
    let unpacked: Vec<_> = std::fs::read_dir(cache.join("sluice/code"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(unpacked.len(), 1, "{unpacked:?}");
    assert!(unpacked[0].starts_with("function-"), "{unpacked:?}");
}
