//! The environment a function's sandboxes start with: Lambda's reserved variables, Sluice's
//! own, then the function's.

use std::collections::BTreeMap;

use crate::bootstrap::Launcher;
use crate::config::LambdaConfig;
use crate::spec::FunctionSpec;

/// Dummy credentials: SDKs refuse to sign without some, and Sluice's services do not check them.
const DUMMY_ACCESS_KEY: &str = "ASIASLUICELOCAL00000";
const DUMMY_SECRET_KEY: &str = "sluice-local-secret-access-key";
const DUMMY_SESSION_TOKEN: &str = "sluice-local-session-token";

/// The X-Ray variables Lambda gives every function (its daemon's link-local address).
const XRAY_ENV: &[(&str, &str)] = &[
    ("AWS_XRAY_CONTEXT_MISSING", "LOG_ERROR"),
    ("AWS_XRAY_DAEMON_ADDRESS", "169.254.79.129:2000"),
    ("_AWS_XRAY_DAEMON_ADDRESS", "169.254.79.129"),
    ("_AWS_XRAY_DAEMON_PORT", "2000"),
];

/// The environment every sandbox of `version` of `spec` gets, lowest precedence first: the host's `PATH`
/// and `HOME`, Lambda's reserved variables, `extra_env`, then the function's own variables.
/// (The log stream name, `AWS_LAMBDA_RUNTIME_API` and `AWS_LAMBDA_INITIALIZATION_TYPE` are per
/// sandbox, added at start.)
pub(crate) fn sandbox_env(
    spec: &FunctionSpec,
    version: &str,
    launcher: &Launcher,
    config: &LambdaConfig,
) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for keep in ["PATH", "HOME"] {
        if let Ok(value) = std::env::var(keep) {
            env.insert(keep.to_owned(), value);
        }
    }
    env.entry("PATH".to_owned())
        .or_insert_with(|| "/usr/local/bin:/usr/bin:/bin".to_owned());
    let task_root = launcher.task_root.to_string_lossy().into_owned();
    let set = |env: &mut BTreeMap<String, String>, k: &str, v: String| {
        env.insert(k.to_owned(), v);
    };
    set(&mut env, "LANG", "en_US.UTF-8".to_owned());
    set(&mut env, "TZ", ":UTC".to_owned());
    set(&mut env, "_HANDLER", spec.handler.clone());
    set(&mut env, "LAMBDA_TASK_ROOT", task_root);
    set(
        &mut env,
        "LAMBDA_RUNTIME_DIR",
        launcher.runtime_dir.to_string_lossy().into_owned(),
    );
    set(&mut env, "AWS_LAMBDA_FUNCTION_NAME", spec.name.clone());
    set(
        &mut env,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        spec.memory_mb.to_string(),
    );
    set(&mut env, "AWS_LAMBDA_FUNCTION_VERSION", version.to_owned());
    set(
        &mut env,
        "AWS_LAMBDA_LOG_GROUP_NAME",
        format!("/aws/lambda/{}", spec.name),
    );
    set(&mut env, "AWS_REGION", config.aws.region.clone());
    set(&mut env, "AWS_DEFAULT_REGION", config.aws.region.clone());
    set(&mut env, "AWS_ACCESS_KEY_ID", DUMMY_ACCESS_KEY.to_owned());
    set(
        &mut env,
        "AWS_SECRET_ACCESS_KEY",
        DUMMY_SECRET_KEY.to_owned(),
    );
    set(
        &mut env,
        "AWS_SESSION_TOKEN",
        DUMMY_SESSION_TOKEN.to_owned(),
    );
    // AWS sets the X-Ray SDK's daemon address and missing-context policy for every function,
    // traced or not, so an instrumented handler logs rather than raises without a segment.
    for (name, value) in XRAY_ENV {
        set(&mut env, name, (*value).to_owned());
    }
    if let Some(exec_env) = &launcher.execution_env {
        set(&mut env, "AWS_EXECUTION_ENV", exec_env.clone());
    }
    if sluice_aws_env::RuntimeFamily::of(&spec.runtime)
        == Some(sluice_aws_env::RuntimeFamily::Python)
    {
        // AWS: the code folder is read-only, so python never writes bytecode there. Writing it
        // locally would also let a save within the same second and of the same size be served
        // from stale bytecode (its cache is keyed by mtime in seconds and size) after a reload.
        set(&mut env, "PYTHONDONTWRITEBYTECODE", "1".to_owned());
    }
    env.extend(config.extra_env.iter().map(|(k, v)| (k.clone(), v.clone())));
    env.extend(spec.environment.iter().map(|(k, v)| (k.clone(), v.clone())));
    env
}
