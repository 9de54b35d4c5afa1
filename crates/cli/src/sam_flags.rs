//! SAM CLI flags Sluice accepts but does not act on: one line each saying why, so a `sam local`
//! command line (or samconfig file) runs unchanged and nobody wonders whether a flag took effect.

use sluice_lambda::DebugOptions;

use crate::args::{SamRunArgs, TemplateArgs};

/// Why the Docker flags do nothing here.
const NO_DOCKER: &str =
    "does not apply: Sluice runs functions as local processes, not in Docker containers (ignored)";
/// Why the Terraform hook flags do nothing.
const NO_HOOK: &str = "not supported yet: Sluice reads SAM templates only, not Terraform (ignored)";

/// One line per flag given that does not apply, in the order SAM's help lists them.
pub fn not_applied(template: &TemplateArgs, run: Option<&SamRunArgs>) -> Vec<String> {
    let mut lines = Vec::new();
    let mut say = |given: bool, flag: &str, why: &str| {
        if given {
            lines.push(format!("--{flag}: {why}"));
        }
    };
    say(
        template.profile.is_some(),
        "profile",
        "does not apply: functions get Sluice's local credentials, no AWS profile is read (ignored)",
    );
    say(
        template.save_params,
        "save-params",
        "not supported yet: samconfig is read, never written (ignored)",
    );
    let Some(run) = run else {
        return lines;
    };
    let no_port = "only used with --debug-port (ignored)";
    say(
        run.debug_port.is_empty() && run.debugger_path.is_some(),
        "debugger-path",
        no_port,
    );
    say(
        run.debug_port.is_empty() && run.debug_args.is_some(),
        "debug-args",
        no_port,
    );
    say(
        run.debug_port.len() > 1,
        "debug-port",
        "one debugger port is used, the first (the others are ignored)",
    );
    say(
        run.container_env_vars.is_some(),
        "container-env-vars",
        NO_DOCKER,
    );
    say(
        run.docker_volume_basedir.is_some(),
        "docker-volume-basedir",
        NO_DOCKER,
    );
    say(run.docker_network.is_some(), "docker-network", NO_DOCKER);
    say(run.skip_pull_image, "skip-pull-image", NO_DOCKER);
    say(run.force_image_build, "force-image-build", NO_DOCKER);
    say(!run.invoke_image.is_empty(), "invoke-image", NO_DOCKER);
    say(run.container_host.is_some(), "container-host", NO_DOCKER);
    say(
        run.container_host_interface.is_some(),
        "container-host-interface",
        NO_DOCKER,
    );
    say(!run.add_host.is_empty(), "add-host", NO_DOCKER);
    say(run.mount_symlinks, "mount-symlinks", NO_DOCKER);
    say(
        run.layer_cache_basedir.is_some(),
        "layer-cache-basedir",
        "does not apply: only layers in the template (local ContentUri) are used, nothing is downloaded (ignored)",
    );
    say(run.hook_name.is_some(), "hook-name", NO_HOOK);
    say(run.skip_prepare_infra, "skip-prepare-infra", NO_HOOK);
    say(
        run.terraform_plan_file.is_some(),
        "terraform-plan-file",
        NO_HOOK,
    );
    lines
}

/// The debugger `--debug-port` asks for (SAM's `--debug-args` split as a shell would, roughly:
/// on whitespace), for `function` only when given.
pub fn debug_options(run: &SamRunArgs, function: Option<&str>) -> Option<DebugOptions> {
    let port = *run.debug_port.first()?;
    Some(DebugOptions {
        port,
        args: run
            .debug_args
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        debugger: run.debugger_path.clone(),
        function: function.map(str::to_owned),
    })
}

/// What starting functions under the debugger means here, in one line.
pub fn debug_line(debug: &DebugOptions) -> String {
    let which = debug
        .function
        .as_deref()
        .map_or_else(|| "every function".to_owned(), |f| format!("function {f}"));
    format!(
        "Debugger: {which} starts with a debugger on 127.0.0.1:{} (python: debugpy or your --debug-args, node: --inspect, provided: --debugger-path), one sandbox per function, timeout lifted",
        debug.port
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn each_docker_flag_gets_one_line_naming_it() {
        let args = crate::args::Args::parse_from([
            "sluice",
            "invoke",
            "--skip-pull-image",
            "--docker-network",
            "n",
            "-v",
            "/x",
            "--add-host",
            "a:1.2.3.4",
            "--profile",
            "p",
        ]);
        let crate::args::Command::Invoke(invoke) = args.command else {
            panic!("parsed as invoke");
        };
        let lines = not_applied(&invoke.template, Some(&invoke.sam));
        let flags: Vec<&str> = lines
            .iter()
            .map(|l| l.split(':').next().unwrap_or_default())
            .collect();
        assert_eq!(
            flags,
            [
                "--profile",
                "--docker-volume-basedir",
                "--docker-network",
                "--skip-pull-image",
                "--add-host"
            ]
        );
        assert!(lines[1].contains("not in Docker containers"), "{lines:?}");
    }
}
