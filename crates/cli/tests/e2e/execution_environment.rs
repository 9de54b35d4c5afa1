//! The sandbox's environment as Lambda's execution environment lays it out: the task root on the
//! library and node search paths.

use std::path::{Path, PathBuf};

use sluice_testkit::{fresh_dir, Server};

use crate::{get_text, sluice};

const TEMPLATE: &str = "Transform: AWS::Serverless-2016-10-31
Resources:
  Native:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: py/
      Events:
        Get: {Type: Api, Properties: {Path: /native, Method: get}}
  Nested:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: handlers/app.handler
      CodeUri: node/
      Events:
        Get: {Type: Api, Properties: {Path: /nested, Method: get}}
";

/// Loads `libsluiceprobe.so` by name, as a package wrapping a native library does.
const NATIVE: &str = "import ctypes
def handler(event, context):
    try:
        ctypes.CDLL('libsluiceprobe.so')
        return {'statusCode': 200, 'body': 'loaded'}
    except OSError as e:
        return {'statusCode': 200, 'body': str(e)}
";

/// A handler in a subfolder requiring a module of the task root by a bare specifier.
const NESTED: &str = "const greeting = require('lib/greeting');
exports.handler = async () => ({ statusCode: 200, body: greeting.WORD });
";

/// A shared library of the host (any will do: it is only loaded by its file name).
fn some_shared_library() -> PathBuf {
    let dirs = [
        "/lib/x86_64-linux-gnu",
        "/usr/lib/x86_64-linux-gnu",
        "/lib/aarch64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/lib64",
        "/usr/lib64",
        "/usr/lib",
    ];
    dirs.iter()
        .map(|dir| Path::new(dir).join("libz.so.1"))
        .find(|lib| lib.is_file())
        .expect("the host has libz.so.1")
}

fn project() -> PathBuf {
    let dir = fresh_dir("execution-environment");
    let write = |path: &str, content: &[u8]| {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, content).unwrap();
    };
    write("template.yaml", TEMPLATE.as_bytes());
    write("py/app.py", NATIVE.as_bytes());
    write(
        "py/lib/libsluiceprobe.so",
        &std::fs::read(some_shared_library()).unwrap(),
    );
    write("node/handlers/app.js", NESTED.as_bytes());
    write(
        "node/lib/greeting.js",
        b"exports.WORD = 'found from the task root';\n",
    );
    dir.join("template.yaml")
}

/// AWS: `LD_LIBRARY_PATH` holds `$LAMBDA_TASK_ROOT:$LAMBDA_TASK_ROOT/lib` (the developer guide's
/// "Defined runtime environment variables", and recorded environments), so a library shipped in
/// the package's `lib/` loads by name; `NODE_PATH` ends with the task root, so a module anywhere
/// in the package can `require('lib/greeting')`.
#[test]
fn the_task_root_is_on_the_library_and_node_search_paths() {
    let server = Server::start(sluice(), &project(), &[]);
    assert_eq!(get_text(&server, "/native"), "loaded");
    assert_eq!(get_text(&server, "/nested"), "found from the task root");
}
