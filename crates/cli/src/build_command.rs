//! `sluice build` (like `sam build`): runs each function's build plan (see
//! `sluice_server::build`), and builds what changed before `start-api` serves.

use std::process::ExitCode;

use anyhow::{bail, Result};

use crate::build_progress::BuildProgress;
use crate::setup::{base_config, load, say_not_applied};

/// `sluice build`: each function's plan, run in template order; the first failure stops, with
/// the tool's own output.
pub fn command(args: &crate::args::BuildArgs) -> Result<ExitCode> {
    say_not_applied(&args.store.template, None);
    if args.use_container {
        eprintln!("--use-container does not apply: Sluice builds with this machine's pip, npm, make and cargo, the tools its functions run with");
    }
    let mut config = base_config(&args.store.template)?;
    config.state_dir = args.store.state_dir.clone();
    let model = load(&config)?;
    let state_dir = config.state_dir();
    let chosen: Vec<&sluice_template::Function> = model
        .functions
        .iter()
        .filter(|f| {
            args.function
                .as_deref()
                .is_none_or(|n| f.logical_id == n || f.name == n)
        })
        .filter(|f| {
            !args
                .exclude
                .iter()
                .any(|x| *x == f.logical_id || *x == f.name)
        })
        .collect();
    if let (Some(name), true) = (&args.function, chosen.is_empty()) {
        bail!("the template has no function {name}");
    }
    // As `sam build` builds a layer as a dependency of the functions that list it: each once.
    let layers = layer_plans(chosen.iter().copied(), &state_dir);
    let plans: Vec<_> = chosen
        .into_iter()
        .filter_map(|f| Some((f, sluice_server::build::plan(f, &state_dir)?)))
        .collect();
    let progress = BuildProgress::new((plans.len() + layers.len()) as u64);
    let mut built = 0;
    for (function, plan) in &plans {
        let step = progress.step(&function.logical_id, plan);
        match sluice_server::build::run(function, plan) {
            Ok(line) => step.done(&line),
            Err(error) => {
                step.failed();
                return Err(error.into());
            }
        }
        built += 1;
    }
    for (layer, plan) in &layers {
        let step = progress.step(&layer.logical_id, plan);
        match sluice_server::build::build_layer(layer, plan) {
            Ok(line) => step.done(&line),
            Err(error) => {
                step.failed();
                return Err(error.into());
            }
        }
    }
    progress.finish();
    let layers_built = match layers.len() {
        0 => String::new(),
        n => format!(" and {n} layer(s)"),
    };
    eprintln!(
        "Build succeeded: {built} function(s) with something to build{layers_built}, into {}; `sluice start-api` and `sluice invoke` with this state folder use the results",
        sluice_server::build::build_root(&state_dir).display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The build of each layer (with a `BuildMethod` Sluice builds) that `functions` list, once each,
/// in the order first listed.
fn layer_plans<'a>(
    functions: impl IntoIterator<Item = &'a sluice_template::Function>,
    state_dir: &std::path::Path,
) -> Vec<(
    &'a sluice_template::LayerBuild,
    sluice_server::build::BuildPlan,
)> {
    let mut plans: Vec<(&sluice_template::LayerBuild, _)> = Vec::new();
    for layer in functions.into_iter().flat_map(|f| &f.layer_builds) {
        if plans.iter().any(|(l, _)| l.logical_id == layer.logical_id) {
            continue;
        }
        if let Some(plan) = sluice_server::build::layer_plan(layer, state_dir) {
            plans.push((layer, plan));
        }
    }
    plans
}

/// Before serving: each `BuildMethod: esbuild` function bundled again (esbuild takes a moment),
/// so a TypeScript app runs without `sluice build` and with the code as saved. A function that
/// cannot be bundled (no esbuild, a type the bundler rejects) is said here and fails to start;
/// the others serve.
pub fn bundle_esbuild_functions<'a>(
    functions: impl IntoIterator<Item = &'a sluice_template::Function>,
    state_dir: &std::path::Path,
) {
    for function in functions {
        match sluice_server::build::rebundle(function, state_dir) {
            None => {}
            Some(Ok(line)) => eprintln!("{line}"),
            Some(Err(error)) => eprintln!("Warning: {error}"),
        }
    }
}

/// Before serving: what `sluice build` installed before and whose manifest changed since (a
/// `requirements.txt` edited, a `git pull`) is installed again, so the functions start with the
/// dependencies they name. A project that was never built is left alone; a failed install is
/// printed and the function starts without it (its import error then says what is missing).
pub fn rebuild_changed(model: &sluice_template::Model, state_dir: &std::path::Path) {
    if !sluice_server::build::build_root(state_dir).is_dir() {
        return;
    }
    let stale: Vec<_> = model
        .functions
        .iter()
        .filter_map(|f| Some((f, sluice_server::build::plan(f, state_dir)?)))
        .filter(|(_, plan)| {
            let installs = matches!(
                plan,
                sluice_server::build::BuildPlan::Pip { .. }
                    | sluice_server::build::BuildPlan::Npm { .. }
            );
            installs && !sluice_server::build::is_built(plan)
        })
        .collect();
    // A layer whose files or manifest changed since the build (a makefile layer is built once).
    let stale_layers: Vec<_> = layer_plans(&model.functions, state_dir)
        .into_iter()
        .filter(|(_, plan)| {
            matches!(plan, sluice_server::build::BuildPlan::Layer { .. })
                && !sluice_server::build::is_built(plan)
        })
        .collect();
    if stale.is_empty() && stale_layers.is_empty() {
        return;
    }
    let progress = BuildProgress::new((stale.len() + stale_layers.len()) as u64);
    for (layer, plan) in &stale_layers {
        let step = progress.step_saying(
            &layer.logical_id,
            plan,
            &format!(
                "{}: layer changed since the last build, building ...",
                layer.logical_id
            ),
        );
        match sluice_server::build::build_layer(layer, plan) {
            Ok(line) => step.done(&line),
            Err(error) => {
                step.failed();
                eprintln!("Warning: {error}");
            }
        }
    }
    for (function, plan) in &stale {
        let step = progress.step_saying(
            &function.logical_id,
            plan,
            &format!(
                "{}: dependencies changed since the last build, installing ...",
                function.logical_id
            ),
        );
        match sluice_server::build::run(function, plan) {
            Ok(line) => step.done(&line),
            Err(error) => {
                step.failed();
                eprintln!("Warning: {error}");
            }
        }
    }
    progress.finish();
}
