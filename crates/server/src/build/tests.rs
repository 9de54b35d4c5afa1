//! Plans and keys, without running any tool (the tools run in the end-to-end tests).

use std::collections::BTreeMap;
use std::path::PathBuf;

use sluice_template::{Code, Function};

use super::*;

/// The function `id` of a one-function template written into `dir` (loaded as Sluice loads
/// templates, so the test follows the model as it grows).
fn function(
    id: &str,
    runtime: &str,
    dir: &std::path::Path,
    build_method: Option<&str>,
) -> Function {
    let metadata = build_method
        .map(|m| format!("    Metadata:\n      BuildMethod: {m}\n"))
        .unwrap_or_default();
    let template = dir.join(format!("template-{id}.yaml"));
    std::fs::write(
        &template,
        format!(
            "Transform: AWS::Serverless-2016-10-31\nResources:\n  {id}:\n    Type: AWS::Serverless::Function\n{metadata}    Properties:\n      Runtime: {runtime}\n      Handler: app.handler\n      CodeUri: .\n"
        ),
    )
    .unwrap();
    let model = crate::load_model(&crate::Config::new(template)).expect("template loads");
    model.functions.into_iter().next().expect("one function")
}

fn scratch(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sluice-build-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn same_requirements_share_a_folder_and_a_change_gets_a_new_one() {
    let root = scratch("share");
    let (a, b) = (root.join("a"), root.join("b"));
    for dir in [&a, &b] {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("requirements.txt"), "six==1.17.0\n").unwrap();
    }
    let state = root.join("state");
    let plan_a = plan(&function("A", "python3.12", &a, None), &state).unwrap();
    let plan_b = plan(&function("B", "python3.13", &b, None), &state).unwrap();
    assert_eq!(
        plan_a,
        BuildPlan::Pip {
            requirements: a.join("requirements.txt"),
            target: match &plan_b {
                BuildPlan::Pip { target, .. } => target.clone(),
                other => panic!("{other:?}"),
            }
        }
    );
    std::fs::write(b.join("requirements.txt"), "six==1.16.0\n").unwrap();
    let plan_b = plan(&function("B", "python3.12", &b, None), &state).unwrap();
    assert_ne!(plan_a, plan_b);
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn what_gets_built_follows_the_manifest_and_build_method() {
    let root = scratch("kinds");
    let state = root.join("state");
    assert_eq!(
        plan(&function("Bare", "python3.12", &root, None), &state),
        None
    );
    std::fs::write(root.join("package.json"), "{}").unwrap();
    assert!(matches!(
        plan(&function("Node", "nodejs20.x", &root, None), &state),
        Some(BuildPlan::Npm { .. })
    ));
    assert_eq!(
        plan(
            &function("Made", "python3.12", &root, Some("makefile")),
            &state
        ),
        Some(BuildPlan::Make {
            dir: root.clone(),
            artifacts: state.join("build/functions/Made")
        })
    );
    let mut inline = function("I", "python3.12", &root, None);
    inline.code = Code::Inline("x".into());
    assert_eq!(plan(&inline, &state), None);
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn a_built_folder_goes_first_on_the_search_path() {
    let root = scratch("apply");
    std::fs::write(root.join("requirements.txt"), "six\n").unwrap();
    let state = root.join("state");
    let f = function("A", "python3.12", &root, None);
    let Some(BuildPlan::Pip { target, .. }) = plan(&f, &state) else {
        panic!("a pip plan")
    };
    let mut env = BTreeMap::new();
    let mut notes = Vec::new();
    let base = |name: &str| (name == "PYTHONPATH").then(|| "/sluice/boto3".to_owned());
    assert_eq!(apply(&f, &state, base, &mut env, &mut notes), None);
    assert!(env.is_empty(), "not built yet: nothing on the path");
    assert!(notes.is_empty(), "never built: no nagging");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(target.join(build_plan::DONE_MARKER), "").unwrap();
    apply(&f, &state, base, &mut env, &mut notes);
    assert_eq!(
        env["PYTHONPATH"],
        format!("{}:/sluice/boto3", target.display())
    );
    std::fs::write(root.join("requirements.txt"), "six\nattrs\n").unwrap();
    let mut env = BTreeMap::new();
    apply(&f, &state, base, &mut env, &mut notes);
    assert!(env.is_empty());
    assert!(notes[0].contains("requirements.txt changed"), "{notes:?}");
    let _ = std::fs::remove_dir_all(root);
}
