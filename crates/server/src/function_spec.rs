//! Template functions → the Lambda service's function specs: environment overrides applied, the
//! code located, and a `provided` function's executable found.
//!
//! [`runnable`] (the runtime, then [`locate`]) is the one place that decides what a function
//! runs. `start-api` (through [`function_spec`]) and `validate` (through [`check_application`])
//! both call it, so they can never disagree about a missing folder, module or binary: `validate`
//! refuses the template, `start-api` warns and serves the other functions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sluice_aws_env::RuntimeFamily;

use crate::cargo_manifest::{
    cargo_binary_candidates, cargo_binary_name, cargo_package_name, cargo_workspace_members,
};
use sluice_lambda::{CodeSource, DebugOptions, Destination, EventInvokeConfig, FunctionSpec};
use sluice_template::{Code, Function};

use crate::env_vars::EnvVarOverrides;
use crate::error::ServerError;

/// What one function runs, found without changing anything on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The task root (`CodeUri`'s folder), or `None` for inline code.
    pub dir: Option<PathBuf>,
    /// The handler string to run (a single-file `CodeUri` makes its file the module).
    pub handler: String,
    /// The file or executable that runs, for the startup line.
    pub runs: String,
    /// A Rust binary cargo built, to be linked as `bootstrap` in Sluice's state folder.
    pub built_binary: Option<PathBuf>,
}

/// How long a function under a debugger may run: a day, so a paused breakpoint never times out.
const DEBUG_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// Builds the spec for one function; `state_dir` holds links Sluice makes to built executables,
/// `shared_env` is what Sluice gives the function's sandboxes (search paths that layers extend:
/// `PYTHONPATH`, and `NODE_PATH` with the AWS SDK the function's runtime ships).
pub fn function_spec(
    function: &Function,
    overrides: &EnvVarOverrides,
    state_dir: &Path,
    debug: Option<&DebugOptions>,
    shared_env: &BTreeMap<String, String>,
    warnings: &mut Vec<String>,
) -> Result<FunctionSpec, ServerError> {
    // `sluice build`'s layers: each built one in place of its `ContentUri` folder.
    let with_built_layers;
    let function = match crate::build::with_built_layers(function, state_dir, warnings) {
        Some(built) => {
            with_built_layers = built;
            &with_built_layers
        }
        None => function,
    };
    let with_unpacked_layers;
    let function = if function
        .layers
        .iter()
        .any(|l| crate::code_archive::is_archive(l))
    {
        with_unpacked_layers = unpack_layers(function)?;
        &with_unpacked_layers
    } else {
        function
    };
    let debugged = debug.is_some_and(|d| d.applies_to(&function.name));
    let mut environment = function.environment.clone();
    let ignored = overrides.apply(&function.logical_id, &function.name, &mut environment);
    if !ignored.is_empty() {
        warnings.push(format!(
            "--env-vars: {} not declared by function {} in the template, so not set (as in SAM CLI)",
            ignored.join(", "),
            function.logical_id
        ));
    }
    // Search paths the function sets itself are left as it says, as on AWS.
    let own_paths: Vec<&str> = ["LD_LIBRARY_PATH", "NODE_PATH"]
        .into_iter()
        .filter(|name| environment.contains_key(*name))
        .collect();
    layer_paths(function, shared_env, &mut environment);
    opt_wrapper(function, &mut environment);
    opt_imports(function, &mut environment);
    // `sluice build`'s output: dependencies on the search path, or a makefile's artifacts to run.
    let host = |name: &str| {
        shared_env
            .get(name)
            .cloned()
            .or_else(|| std::env::var(name).ok())
    };
    let artifacts = crate::build::apply(function, state_dir, host, &mut environment, warnings);
    // A function that cannot run does not stop the others, as on AWS (where it deploys and only
    // its invocations fail): said here, then left to fail each invocation, through the runtime's
    // own error where one starts (a missing module), else Lambda's init failure.
    // An esbuild function runs its bundle, with the handler SAM CLI writes into the built template.
    // A makefile's artifacts are the task root (SAM deploys ARTIFACTS_DIR): the handler is
    // looked for there, not in the sources make built them from.
    let built;
    let runs_from = match (&artifacts, crate::build::esbuild::is_esbuild(function)) {
        (Some(bundle), true) => {
            built = Function {
                code: Code::Dir(bundle.clone()),
                handler: crate::build::esbuild::bundled_handler(&function.handler, bundle),
                build_method: None,
                ..function.clone()
            };
            Ok(&built)
        }
        (None, true) => Err(not_bundled(function, state_dir)),
        (Some(artifacts), false) => {
            built = Function {
                code: Code::Dir(artifacts.clone()),
                ..function.clone()
            };
            Ok(&built)
        }
        (None, false) => Ok(function),
    };
    let located = match runs_from.and_then(runnable) {
        Ok(located) => {
            warnings.push(runs_line(function, &located));
            located
        }
        Err(error) => {
            warnings.push(format!(
                "Warning: {error}\n  Function {} starts anyway: its invocations fail, as they would on AWS",
                function.logical_id
            ));
            as_given(function)
        }
    };
    let code = match (
        &function.code,
        artifacts,
        &located.built_binary,
        &located.dir,
    ) {
        (Code::Inline(source), ..) => CodeSource::Inline(source.clone()),
        (_, Some(artifacts), ..) => CodeSource::Dir(artifacts),
        (_, None, Some(binary), _) => CodeSource::Dir(link_bootstrap(function, binary, state_dir)?),
        (_, None, None, Some(dir)) => CodeSource::Dir(dir.clone()),
        (Code::Dir(dir), None, None, None) => CodeSource::Dir(dir.clone()),
    };
    if let CodeSource::Dir(dir) = &code {
        let task_root = std::path::absolute(dir).unwrap_or_else(|_| dir.clone());
        task_root_paths(
            function,
            &task_root,
            &own_paths,
            shared_env,
            &mut environment,
        );
    } else if RuntimeFamily::of(&function.runtime) == Some(RuntimeFamily::Node)
        && !own_paths.contains(&"NODE_PATH")
        && !environment.contains_key("NODE_PATH")
    {
        // Inline code: the SDK its runtime ships, as layers and a folder's code get it above
        // (`shared_env` is this runtime's; every sandbox's common variables hold no `NODE_PATH`).
        if let Some(sdk) = shared_env.get("NODE_PATH") {
            environment.insert("NODE_PATH".to_owned(), sdk.clone());
        }
    }
    Ok(FunctionSpec {
        name: function.name.clone(),
        runtime: function.runtime.clone(),
        handler: located.handler,
        code,
        memory_mb: function.memory_mb,
        timeout: if debugged {
            DEBUG_TIMEOUT
        } else {
            Duration::from_secs(u64::from(function.timeout_secs))
        },
        environment,
        // Under a debugger, one sandbox (the default concurrency the binary sets to 1) holds the port.
        reserved_concurrency: if debugged {
            None
        } else {
            function.reserved_concurrency
        },
        // Sandboxes started ahead would each wait on the debugger's port.
        provisioned_concurrency: if debugged {
            0
        } else {
            function.provisioned_concurrency.unwrap_or(0)
        },
        aliases: function.alias.iter().cloned().collect(),
        // The model knows the other functions the names must not clash with: set by the caller.
        local_names: Vec::new(),
        extensions: layer_extensions(&function.layers),
        // Its destinations name other functions: set by the caller, which knows them.
        event_invoke: Default::default(),
        tenant_isolation: function.tenant_isolation,
    })
}

/// The function's asynchronous invocation settings, its Lambda destinations resolved to the
/// functions of `functions` they name (by name, logical id or ARN).
pub fn event_invoke(
    function: &Function,
    functions: &[Function],
    warnings: &mut Vec<String>,
) -> EventInvokeConfig {
    let settings = &function.event_invoke;
    let defaults = EventInvokeConfig::default();
    let mut destination = |d: &Option<sluice_template::Destination>| {
        let d = d.as_ref()?;
        let target = d.target.clone().unwrap_or_default();
        if !d.kind.eq_ignore_ascii_case("Lambda") {
            // The template load already said that this kind is not emulated.
            return Some(Destination::NotEmulated(format!("{} {target}", d.kind)));
        }
        let name = target
            .split_once(":function:")
            .map_or(target.as_str(), |(_, rest)| rest);
        let name = name.split(':').next().unwrap_or_default();
        match functions
            .iter()
            .find(|f| f.name == name || f.logical_id == name)
        {
            Some(f) => Some(Destination::Function(f.name.clone())),
            None => {
                let s = &d.source;
                warnings.push(format!(
                    "Warning: {}:{}:{}: {}: function {target:?} is not in this template; Sluice logs the invocation record it would send",
                    s.file.display(),
                    s.line,
                    s.col,
                    s.property
                ));
                Some(Destination::NotEmulated(target))
            }
        }
    };
    EventInvokeConfig {
        maximum_retry_attempts: settings
            .maximum_retry_attempts
            .unwrap_or(defaults.maximum_retry_attempts),
        maximum_event_age: settings
            .maximum_event_age_secs
            .map_or(defaults.maximum_event_age, |s| {
                Duration::from_secs(u64::from(s))
            }),
        on_success: destination(&settings.on_success),
        on_failure: destination(&settings.on_failure),
    }
}

/// `function` with its `.zip` layers unpacked into Sluice's cache, as Lambda unpacks them into
/// `/opt`: from here on every layer is a folder.
fn unpack_layers(function: &Function) -> Result<Function, ServerError> {
    let mut unpacked = function.clone();
    for layer in &mut unpacked.layers {
        if crate::code_archive::is_archive(layer) {
            *layer = crate::code_archive::unpacked(layer, &crate::python_host::cache_root())
                .map_err(|message| ServerError::Layer {
                    function: function.logical_id.clone(),
                    layer: layer.clone(),
                    message,
                })?;
        }
    }
    Ok(unpacked)
}

/// The external extensions of `layers`: the files of each layer's `extensions/` folder (Lambda's
/// `/opt/extensions`), a later layer's file replacing an earlier one of the same name as when
/// Lambda unpacks them into one `/opt`, in file-name order (the order Lambda lists the folder in).
fn layer_extensions(layers: &[PathBuf]) -> Vec<PathBuf> {
    let mut by_name = BTreeMap::new();
    for layer in layers {
        let Ok(entries) = std::fs::read_dir(layer.join("extensions")) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_file() {
                by_name.insert(entry.file_name(), path);
            }
        }
    }
    by_name.into_values().collect()
}

/// Tells Sluice's node runtime client the function's layer folders, newest first, in
/// `_SLUICE_OPT_LAYERS` (which it takes out of the environment before the handler loads): node
/// code names a layer's file by its `/opt` path (`import { config } from "/opt/nodejs/config.mjs"`,
/// serverless-patterns' lambda-layer-ssm-parameters; `require("/opt/nodejs/utils")`), and Lambda
/// unpacks the layers there in order, a later one's file replacing an earlier one's.
fn opt_imports(function: &Function, environment: &mut BTreeMap<String, String>) {
    if function.layers.is_empty()
        || RuntimeFamily::of(&function.runtime) != Some(RuntimeFamily::Node)
    {
        return;
    }
    let newest_first: Vec<String> = function
        .layers
        .iter()
        .rev()
        .map(|layer| layer.display().to_string())
        .collect();
    environment.insert("_SLUICE_OPT_LAYERS".to_owned(), newest_first.join(":"));
}

/// `AWS_LAMBDA_EXEC_WRAPPER: /opt/...` names a file of a layer: point it at that layer's file
/// (the newest layer holding it), since Sluice's layers are folders, not one `/opt`.
fn opt_wrapper(function: &Function, environment: &mut BTreeMap<String, String>) {
    let Some(wrapper) = environment.get("AWS_LAMBDA_EXEC_WRAPPER") else {
        return;
    };
    let Some(inside) = wrapper.strip_prefix("/opt/") else {
        return;
    };
    let found = function
        .layers
        .iter()
        .rev()
        .map(|layer| layer.join(inside))
        .find(|path| path.is_file());
    if let Some(path) = found {
        environment.insert(
            "AWS_LAMBDA_EXEC_WRAPPER".to_owned(),
            path.display().to_string(),
        );
    }
}

/// Puts the function's layers where Lambda's runtimes look in `/opt`: `python/lib/python3.X/site-packages`
/// (the runtime's version only) and `python/` on `PYTHONPATH`, `nodejs/nodeNN/node_modules` and
/// `nodejs/node_modules` on `NODE_PATH`, `bin/` on `PATH` (`lib/`: [`task_root_paths`]).
///
/// Lambda unpacks layers into one `/opt` in order, a later layer's file replacing an earlier one's,
/// and searches each of those `/opt` folders in turn; with one folder per layer, each `/opt`
/// folder becomes its layers' folders, the later layer first to win the same way. A variable the
/// template sets itself is left as the template says.
fn layer_paths(
    function: &Function,
    shared_env: &BTreeMap<String, String>,
    environment: &mut BTreeMap<String, String>,
) {
    if function.layers.is_empty() {
        return;
    }
    let newest_first = || function.layers.iter().rev();
    // Every layer's `inside` folder that exists, for each of `insides` in turn.
    let folders = |insides: &[String]| -> Vec<String> {
        insides
            .iter()
            .flat_map(|inside| newest_first().map(move |layer| layer.join(inside)))
            .filter(|d| d.is_dir())
            .map(|d| d.display().to_string())
            .collect()
    };
    let python: Vec<String> = match function.runtime.strip_prefix("python") {
        // AWS (the python bootstrap): `/opt/python/lib/pythonX.Y/site-packages` of the runtime's
        // own version, then `/opt/python`.
        Some(version) => folders(&[
            format!("python/lib/python{version}/site-packages"),
            "python".to_owned(),
        ]),
        None => Vec::new(),
    };
    let node: Vec<String> = match function.runtime.strip_prefix("nodejs") {
        // AWS: `NODE_PATH=/opt/nodejs/node20/node_modules:/opt/nodejs/node_modules:…`.
        Some(version) => folders(&[
            format!("nodejs/node{}/node_modules", version.trim_end_matches(".x")),
            "nodejs/node_modules".to_owned(),
        ]),
        None => Vec::new(),
    };
    let bin = folders(&["bin".to_owned()]);
    // Sluice's own entries (its boto3 for python) and the host's come after the layers, as
    // Lambda's runtime folders do; `PATH` keeps the host's first, as Lambda keeps `/opt/bin` last.
    let host = |name: &str| {
        shared_env
            .get(name)
            .cloned()
            .or_else(|| std::env::var(name).ok())
    };
    let mut set = |name: &str, layers: Vec<String>, layers_first: bool| {
        if layers.is_empty() || environment.contains_key(name) {
            return;
        }
        let mut parts = layers;
        if let Some(base) = host(name).filter(|b| !b.is_empty()) {
            if layers_first {
                parts.push(base);
            } else {
                parts.insert(0, base);
            }
        }
        environment.insert(name.to_owned(), parts.join(":"));
    };
    set("PYTHONPATH", python, true);
    set("NODE_PATH", node, true);
    set("PATH", bin, false);
}

/// The task root's places on Lambda's search paths, which AWS sets for every function (recorded:
/// `LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib`,
/// `NODE_PATH=/opt/nodejs/node20/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task`):
/// the task root and its `lib/` after the host's libraries and before the layers' `lib/`; the
/// task root last on a node function's `NODE_PATH`. `own` names the variables the function sets
/// itself, left as they are.
///
/// AWS: the task root folders are always on `LD_LIBRARY_PATH`; Sluice: only those holding a
/// shared library, since the variable picks a python sandbox's fork template (the loader reads it
/// once, at start) and a folder without one changes nothing a library load finds.
fn task_root_paths(
    function: &Function,
    task_root: &Path,
    own: &[&str],
    shared_env: &BTreeMap<String, String>,
    environment: &mut BTreeMap<String, String>,
) {
    let host = |name: &str| {
        shared_env
            .get(name)
            .cloned()
            .or_else(|| std::env::var(name).ok())
            .filter(|value| !value.is_empty())
    };
    if !own.contains(&"LD_LIBRARY_PATH") {
        let task_libraries = [task_root.to_path_buf(), task_root.join("lib")]
            .into_iter()
            .filter(|dir| holds_shared_library(dir));
        let layer_libraries = function
            .layers
            .iter()
            .rev()
            .map(|layer| layer.join("lib"))
            .filter(|dir| dir.is_dir());
        let ours: Vec<String> = task_libraries
            .chain(layer_libraries)
            .map(|dir| dir.display().to_string())
            .collect();
        if !ours.is_empty() {
            let parts: Vec<String> = host("LD_LIBRARY_PATH").into_iter().chain(ours).collect();
            environment.insert("LD_LIBRARY_PATH".to_owned(), parts.join(":"));
        }
    }
    if RuntimeFamily::of(&function.runtime) == Some(RuntimeFamily::Node)
        && !own.contains(&"NODE_PATH")
    {
        let before = environment
            .get("NODE_PATH")
            .cloned()
            .or_else(|| host("NODE_PATH"));
        let parts: Vec<String> = before
            .into_iter()
            .chain([task_root.display().to_string()])
            .collect();
        environment.insert("NODE_PATH".to_owned(), parts.join(":"));
    }
}

/// Whether `dir` directly holds a shared library (`libx.so`, `libx.so.1`).
fn holds_shared_library(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .any(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            (name.ends_with(".so") || name.contains(".so.")) && entry.path().is_file()
        })
}

/// What each function runs, one line each, or why the application cannot start as written: every
/// check `start-api` makes before serving, with nothing started or written. Routes that cannot be
/// served stop here (as they stop start-up); otherwise every function that cannot run is reported,
/// one error each ([`ServerError::BrokenFunctions`] when there are several). `start-api` serves
/// despite them (only their invocations fail); `validate` reports them as the errors they are.
pub fn check_application(model: &sluice_template::Model) -> Result<Vec<String>, ServerError> {
    sluice_apigw::check_routes(sluice_apigw::Apis {
        rest: &model.rest_apis,
        http: &model.http_apis,
        function_urls: &model.function_urls,
    })?;
    let mut lines = Vec::new();
    let mut broken = Vec::new();
    for function in &model.functions {
        match runnable(function) {
            Ok(located) => lines.push(runs_line(function, &located)),
            Err(error) => broken.push(error),
        }
    }
    // Every broken function, not just the first: start-up warns about each one.
    match broken.len() {
        0 => Ok(lines),
        1 => Err(broken.remove(0)),
        _ => Err(ServerError::BrokenFunctions(broken)),
    }
}

/// Why an esbuild function has nothing to run: the start's bundling failed (said above it) or had
/// no esbuild.
fn not_bundled(function: &Function, state_dir: &Path) -> ServerError {
    let artifacts = crate::build::build_root(state_dir)
        .join("functions")
        .join(&function.logical_id);
    ServerError::Template(function.code_uri_source.error(
        format!(
            "{} has no esbuild bundle (BuildMethod: esbuild) in {}",
            function.logical_id,
            artifacts.display()
        ),
        Some(
            "install esbuild (`npm install` in CodeUri's folder with esbuild in its package.json, or `npm install -g esbuild`) or run `sluice build`, then start again"
                .to_owned(),
        ),
    ))
}

/// What a function runs, or why it cannot run (at the template's `Runtime`, `CodeUri` or
/// `Handler`): a runtime Sluice does not run, else [`locate`]'s reason.
fn runnable(function: &Function) -> Result<Located, ServerError> {
    if !sluice_aws_env::is_lambda_runtime(&function.runtime) {
        // AWS: Lambda refuses the value ("Value '…' at 'runtime' failed to satisfy constraint",
        // aws/aws-cli#3229), so the deployment fails: a typo, not a runtime Sluice lacks.
        let hint = match sluice_aws_env::closest_lambda_runtime(&function.runtime) {
            Some(known) => format!("did you mean {known}?"),
            None => "Lambda's runtimes are named like python3.13, nodejs22.x, provided.al2023"
                .to_owned(),
        };
        return Err(ServerError::Template(function.runtime_source.error(
            format!(
                "{} is not a Lambda runtime (Lambda refuses it)",
                function.runtime
            ),
            Some(hint),
        )));
    }
    if RuntimeFamily::of(&function.runtime).is_none() {
        return Err(ServerError::Template(function.runtime_source.error(
            format!("{} is not a runtime Sluice can run", function.runtime),
            Some(
                "Sluice runs python3.x, nodejsN.x and provided (custom runtime) functions as local processes"
                    .to_owned(),
            ),
        )));
    }
    if crate::build::esbuild::is_esbuild(function) {
        return bundle_source(function);
    }
    locate(function)
}

/// An esbuild function before bundling (what `validate` sees): its code folder must exist; the
/// handler's module is the bundle's, checked once bundled.
fn bundle_source(function: &Function) -> Result<Located, ServerError> {
    let Code::Dir(dir) = &function.code else {
        return locate(function);
    };
    if !dir.exists() {
        return Err(ServerError::Template(function.code_uri_source.error(
            format!("folder {} does not exist", dir.display()),
            Some("CodeUri is relative to the template's folder".to_owned()),
        )));
    }
    Ok(Located {
        dir: Some(dir.clone()),
        handler: function.handler.clone(),
        runs: format!("an esbuild bundle of {}", dir.display()),
        built_binary: None,
    })
}

/// The code of a function that cannot run, as the template gives it: the runtime (python's or
/// node's, which report a missing module or a malformed handler themselves) or the Lambda service
/// (a missing folder or `bootstrap`, an unsupported runtime) says why at each invocation.
fn as_given(function: &Function) -> Located {
    let dir = match &function.code {
        Code::Dir(path) => Some(path.clone()),
        Code::Inline(_) => None,
    };
    Located {
        dir,
        handler: function.handler.clone(),
        runs: String::new(),
        built_binary: None,
    }
}

/// `Function HelloFunction (python3.12) runs /app/hello/app.py`: what startup says per function.
pub fn runs_line(function: &Function, located: &Located) -> String {
    let mut line = format!(
        "Function {} ({}) runs {}",
        function.logical_id, function.runtime, located.runs
    );
    let extensions: Vec<String> = layer_extensions(&function.layers)
        .iter()
        .filter_map(|path| path.file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    if !extensions.is_empty() {
        line.push_str(&format!(
            ", with the extensions {} from its layers",
            extensions.join(", ")
        ));
    }
    line
}

/// Finds what a function runs, or says (at the template's `CodeUri` or `Handler`) why it cannot.
fn locate(function: &Function) -> Result<Located, ServerError> {
    let path = match &function.code {
        Code::Inline(_) => {
            return Ok(Located {
                dir: None,
                handler: function.handler.clone(),
                runs: "its InlineCode".to_owned(),
                built_binary: None,
            })
        }
        Code::Dir(path) => path,
    };
    let code_error = |message: String, hint: Option<String>| {
        ServerError::Template(function.code_uri_source.error(message, hint))
    };
    let mut handler = function.handler.clone();
    let family = RuntimeFamily::of(&function.runtime);
    let unpacked;
    let path = if crate::code_archive::is_archive(path) {
        unpacked = crate::code_archive::unpacked(path, &crate::python_host::cache_root())
            .map_err(|e| code_error(format!("cannot unpack {}: {e}", path.display()), None))?;
        &unpacked
    } else {
        path
    };
    let dir = if path.is_file() && family != Some(RuntimeFamily::Provided) {
        // A CodeUri naming one file is an artifact holding that file: its folder is the task root
        // and the file is the handler's module, whatever module name the Handler spells.
        single_file_handler(path, &mut handler);
        path.parent().unwrap_or(Path::new("/")).to_owned()
    } else if path.is_dir() {
        path.clone()
    } else {
        return Err(code_error(
            format!("folder {} does not exist", path.display()),
            Some("CodeUri is relative to the template's folder".to_owned()),
        ));
    };
    let (runs, built_binary) = match family {
        Some(RuntimeFamily::Python) => (managed_module(function, &dir, &handler, &["py"])?, None),
        Some(RuntimeFamily::Node) => (
            managed_module(function, &dir, &handler, &["js", "mjs", "cjs"])?,
            None,
        ),
        Some(RuntimeFamily::Provided) => provided_executable(function, &dir)?,
        // Not one Sluice runs: `runnable` says so.
        None => (dir.display().to_string(), None),
    };
    Ok(Located {
        dir: Some(dir),
        handler,
        runs,
        built_binary,
    })
}

/// Rewrites `handler`'s module to the file's name (`index.handler` + `src/app.js` → `app.handler`).
fn single_file_handler(file: &Path, handler: &mut String) {
    let Some(stem) = file.file_stem().and_then(|s| s.to_str()) else {
        return;
    };
    let function_name = handler.rsplit_once('.').map_or("handler", |(_, f)| f);
    *handler = format!("{stem}.{function_name}");
}

/// What a python or node function runs: its `Handler`'s module, or, with a wrapper script, what
/// the wrapper makes of the `Handler`. AWS: the runtime starts through `AWS_LAMBDA_EXEC_WRAPPER`,
/// which may ignore the runtime's own command line (the Lambda Web Adapter's documented layer runs
/// `exec "$LAMBDA_TASK_ROOT/$_HANDLER"` with `Handler: run.sh`), so a Handler naming no module
/// is no error there.
fn managed_module(
    function: &Function,
    dir: &Path,
    handler: &str,
    extensions: &[&str],
) -> Result<String, ServerError> {
    let wrapper = function
        .environment
        .get("AWS_LAMBDA_EXEC_WRAPPER")
        .filter(|w| !w.is_empty());
    match (module_file(function, dir, handler, extensions), wrapper) {
        (Err(_), Some(wrapper)) => Ok(format!(
            "{} through the wrapper {wrapper}",
            dir.join(handler).display()
        )),
        (found, _) => found,
    }
}

/// The module file a python or node `Handler` (`path/module.function`) names, under `dir`.
fn module_file(
    function: &Function,
    dir: &Path,
    handler: &str,
    extensions: &[&str],
) -> Result<String, ServerError> {
    let handler_error = |message: String, hint: Option<String>| {
        ServerError::Template(function.handler_source.error(message, hint))
    };
    let Some((module, _)) = handler.rsplit_once('.') else {
        return Err(handler_error(
            format!("{handler:?} is not module.function"),
            Some("e.g. Handler: app.lambda_handler".to_owned()),
        ));
    };
    // Python spells packages with dots (`pkg.mod`); both runtimes accept `folder/module`.
    let relative = if extensions.contains(&"py") {
        module.replace('.', "/")
    } else {
        module.to_owned()
    };
    let base = dir.join(&relative);
    let mut candidates: Vec<PathBuf> = extensions.iter().map(|e| base.with_extension(e)).collect();
    if extensions.contains(&"py") {
        candidates.push(base.join("__init__.py"));
    }
    if let Some(found) = candidates.iter().find(|c| c.is_file()) {
        return Ok(found.display().to_string());
    }
    let names: Vec<String> = extensions
        .iter()
        .map(|e| format!("{relative}.{e}"))
        .collect();
    Err(handler_error(
        format!(
            "module {module} not found: no {} in {}",
            names.join(" or "),
            dir.display()
        ),
        Some("Handler is module.function, the module a file in CodeUri's folder".to_owned()),
    ))
}

/// The executable a `provided` function runs, and the cargo-built binary to link, if any.
///
/// AWS runs the `bootstrap` that `sam build` put in the artifact. Locally, a folder with its own
/// `bootstrap` is used as is; a Rust function built with cargo-lambda (`BuildMethod:
/// rust-cargolambda`) is a Cargo package, so we look for the binary cargo built (later linked as
/// `bootstrap` in Sluice's state folder) — the user runs `cargo build`, nothing else.
fn provided_executable(
    function: &Function,
    dir: &Path,
) -> Result<(String, Option<PathBuf>), ServerError> {
    let bootstrap = dir.join("bootstrap");
    if bootstrap.is_file() {
        return Ok((bootstrap.display().to_string(), None));
    }
    let fail = |message: String, hint: String| {
        ServerError::Template(function.code_uri_source.error(message, Some(hint)))
    };
    let manifest = dir.join("Cargo.toml");
    if !manifest.is_file() {
        return Err(fail(
            format!(
                "runtime {} runs {}, which does not exist",
                function.runtime,
                bootstrap.display()
            ),
            "build the function first (`sam build`), or put an executable named bootstrap in CodeUri's folder".to_owned(),
        ));
    }
    let binary_property = function
        .build_properties
        .get("Binary")
        .and_then(|b| b.as_str());
    let several = |label: &str, names: Vec<String>| {
        fail(
            format!(
                "{label} has the binaries {}, and the function does not say which it runs",
                names.join(", ")
            ),
            "name it in Metadata: BuildProperties: Binary: <name>, as sam build requires"
                .to_owned(),
        )
    };
    let (package, binary_name) = match cargo_package_name(&manifest) {
        Some(package) => {
            let name = cargo_binary_name(binary_property, dir, &manifest, &package)
                .map_err(|names| several(&format!("Rust package {package:?}"), names))?;
            (package, name)
        }
        // A workspace root (serverless-patterns' apigw-ddb-rust: `CodeUri: .` over `[workspace]
        // members = ["get-by-id"]`): cargo lambda builds every member, and sam build takes
        // `Binary`, else the only binary built.
        None => {
            let members = cargo_workspace_members(dir, &manifest);
            if members.is_empty() {
                return Err(fail(
                    format!("{} has no [package] name", manifest.display()),
                    "CodeUri must be the folder of the function's Cargo package".to_owned(),
                ));
            }
            let mut names = Vec::new();
            for member in &members {
                let member_manifest = member.join("Cargo.toml");
                if let Some(package) = cargo_package_name(&member_manifest) {
                    match cargo_binary_name(None, member, &member_manifest, &package) {
                        Ok(name) => names.push(name),
                        Err(several) => names.extend(several),
                    }
                }
            }
            let label = format!("the Cargo workspace {}", dir.display());
            let name = match (binary_property.filter(|b| !b.is_empty()), names.as_slice()) {
                (Some(binary), _) => binary.to_owned(),
                (None, [only]) => only.clone(),
                (None, _) => return Err(several(&label, names)),
            };
            (label, name)
        }
    };
    let candidates = cargo_binary_candidates(dir, &binary_name);
    let binary = candidates
        .iter()
        .filter(|p| p.is_file())
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
        .ok_or_else(|| {
            fail(
                if binary_name == package {
                    format!("no built binary for Rust package {package:?}")
                } else if package.starts_with("the Cargo workspace") {
                    format!("no built binary {binary_name:?} in {package}")
                } else {
                    format!("no built binary {binary_name:?} for Rust package {package:?}")
                },
                format!(
                    "build it with: cargo build --release --manifest-path {}",
                    manifest.display()
                ),
            )
        })?;
    Ok((binary.display().to_string(), Some(binary.clone())))
}

/// Links `binary` as `bootstrap` in the function's folder under `state_dir`, and returns it.
fn link_bootstrap(
    function: &Function,
    binary: &Path,
    state_dir: &Path,
) -> Result<PathBuf, ServerError> {
    let link_dir = state_dir.join("functions").join(&function.logical_id);
    let io = |context: String| move |source| ServerError::Io { context, source };
    std::fs::create_dir_all(&link_dir).map_err(io(format!("creating {}", link_dir.display())))?;
    let link = link_dir.join("bootstrap");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(binary, &link).map_err(io(format!(
        "linking {} to {}",
        link.display(),
        binary.display()
    )))?;
    Ok(link_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// serverless-patterns' apigw-ddb-rust points CodeUri at a workspace root whose one member
    /// holds the function: its binary is the one built.
    #[test]
    fn a_workspace_roots_members_give_the_binary() {
        let dir = std::env::temp_dir().join(format!("sluice-cargo-ws-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("get-by-id/src")).unwrap();
        std::fs::write(
            dir.join("Cargo.toml"),
            "[workspace]\nmembers = [\"get-by-id\"]\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("get-by-id/Cargo.toml"),
            "[package]\nname = \"ddb-api-sample\"\n",
        )
        .unwrap();
        std::fs::write(dir.join("get-by-id/src/main.rs"), "fn main() {}").unwrap();
        let members = cargo_workspace_members(&dir, &dir.join("Cargo.toml"));
        assert_eq!(members, [dir.join("get-by-id")]);
        let manifest = members[0].join("Cargo.toml");
        assert_eq!(
            cargo_binary_name(None, &members[0], &manifest, "ddb-api-sample"),
            Ok("ddb-api-sample".to_owned())
        );
        // Built: target/release/ddb-api-sample at the workspace root is what runs.
        std::fs::create_dir_all(dir.join("target/release")).unwrap();
        std::fs::write(dir.join("target/release/ddb-api-sample"), "").unwrap();
        let yaml = format!(
            "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Metadata: {{BuildMethod: rust-cargolambda}}\n    Properties:\n      Runtime: provided.al2\n      Handler: bootstrap\n      CodeUri: {}\n",
            dir.display()
        );
        let template = dir.join("template.yaml");
        std::fs::write(&template, yaml).unwrap();
        let model = crate::load_model(&crate::Config::new(template)).expect("template loads");
        let runs = check_application(&model).expect("the workspace's binary runs");
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            runs[0].ends_with("target/release/ddb-api-sample"),
            "{runs:?}"
        );
    }

    /// serverless-patterns' apigw-lambda-rust writes `Runtime: provided.al2023023` in its
    /// Globals: Lambda refuses that value, so the error says so and names the runtime meant,
    /// where a runtime Lambda has and Sluice does not run (java21) keeps its own message.
    #[test]
    fn a_runtime_lambda_refuses_is_named_a_typo_with_the_runtime_meant() {
        let dir = std::env::temp_dir().join(format!("sluice-runtime-typo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let message = |runtime: &str| {
            let template = dir.join(format!("{runtime}.yaml"));
            std::fs::write(
                &template,
                format!("Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: {runtime}\n      Handler: bootstrap\n      CodeUri: .\n"),
            )
            .unwrap();
            let model = crate::load_model(&crate::Config::new(template)).expect("template loads");
            format!(
                "{:#}",
                check_application(&model).expect_err("the function cannot run")
            )
        };
        let typo = message("provided.al2023023");
        assert!(
            typo.contains("Resources.Fn.Properties.Runtime: provided.al2023023 is not a Lambda runtime (Lambda refuses it)")
                && typo.contains("did you mean provided.al2023?"),
            "{typo}"
        );
        let java = message("java21");
        assert!(
            java.contains("java21 is not a runtime Sluice can run"),
            "{java}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
