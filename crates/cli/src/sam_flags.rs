//! SAM CLI flags Sluice accepts but does not act on: one line each saying why, so a `sam local`
//! command line (or samconfig file) runs unchanged and nobody wonders whether a flag took effect.

use crate::args::{SamRunArgs, TemplateArgs};

/// Why the Docker flags do nothing here.
const NO_DOCKER: &str =
    "does not apply: Sluice runs functions as local processes, not in Docker containers (ignored)";
/// Why the debugger flags do nothing yet.
const NO_DEBUGGER: &str = "not supported yet: functions run without a debugger attached (ignored)";
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
    say(!run.debug_port.is_empty(), "debug-port", NO_DEBUGGER);
    say(run.debugger_path.is_some(), "debugger-path", NO_DEBUGGER);
    say(run.debug_args.is_some(), "debug-args", NO_DEBUGGER);
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
        run.no_memory_limit,
        "no-memory-limit",
        "does not apply: Sluice does not cap a function's memory at its MemorySize (ignored)",
    );
    say(
        run.layer_cache_basedir.is_some(),
        "layer-cache-basedir",
        "not supported yet: layers are not emulated, so nothing is downloaded (ignored)",
    );
    say(
        run.shutdown,
        "shutdown",
        "does not apply: Sluice runs no Lambda extensions, so there is no SHUTDOWN event to send (ignored)",
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

/// The line for `--debug-function`, a server-only debugger flag.
pub fn debug_function(given: bool) -> Option<String> {
    given.then(|| format!("--debug-function: {NO_DEBUGGER}"))
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
