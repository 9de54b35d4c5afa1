//! `AWS_LAMBDA_EXEC_WRAPPER`: Lambda's managed runtimes (python, node, ...) start through the
//! script it names, passing their own command line as its arguments, after checking it as their
//! bootstrap does; `provided` runtimes ignore it.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;

use crate::bootstrap::Launcher;

/// The variable naming the wrapper script.
pub(crate) const EXEC_WRAPPER: &str = "AWS_LAMBDA_EXEC_WRAPPER";

/// `launcher` started through the wrapper `env` names, if its runtime honours one.
pub(crate) fn wrapped(launcher: &Launcher, env: &BTreeMap<String, String>) -> Launcher {
    let mut launcher = launcher.clone();
    // `AWS_EXECUTION_ENV` is set exactly for the managed runtimes (never for `provided`).
    let Some(wrapper) = env.get(EXEC_WRAPPER).filter(|w| !w.is_empty()) else {
        return launcher;
    };
    if launcher.execution_env.is_none() {
        return launcher;
    }
    let mut args: Vec<OsString> = vec![
        "-c".into(),
        CHECK_AND_EXEC.into(),
        "bootstrap".into(),
        wrapper.into(),
        launcher.program.clone().into_os_string(),
    ];
    args.append(&mut launcher.args);
    launcher.program = PathBuf::from("/bin/sh");
    launcher.args = args;
    launcher
}

/// What the managed runtimes' `/var/runtime/bootstrap` does with the wrapper (`$1`; the
/// runtime's command line follows): a missing one is said and exits 127, one that cannot be run
/// 126 (Lambda's `Runtime.ExitError` at init), else it is exec'd with the command line.
const CHECK_AND_EXEC: &str = r#"wrapper="$1"
shift
if [ ! -f "$wrapper" ]; then
  echo "$wrapper: does not exist"
  exit 127
fi
if [ ! -x "$wrapper" ]; then
  echo "$wrapper: is not an executable"
  exit 126
fi
exec "$wrapper" "$@"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn launcher(execution_env: Option<&str>) -> Launcher {
        Launcher {
            program: PathBuf::from("/usr/bin/python3"),
            interpreter_of: None,
            args: vec!["-u".into(), "/rt/boot.py".into()],
            task_root: PathBuf::from("/code"),
            runtime_dir: PathBuf::from("/rt"),
            execution_env: execution_env.map(str::to_owned),
            needs_executable_check: false,
            cannot_start: None,
        }
    }

    #[test]
    fn managed_runtimes_start_through_the_wrapper_with_their_command_line() {
        let env = BTreeMap::from([(EXEC_WRAPPER.to_owned(), "/layer/wrap.sh".to_owned())]);
        let out = wrapped(&launcher(Some("AWS_Lambda_python3.12")), &env);
        assert_eq!(out.program, PathBuf::from("/bin/sh"));
        assert_eq!(
            out.args[2..],
            [
                "bootstrap",
                "/layer/wrap.sh",
                "/usr/bin/python3",
                "-u",
                "/rt/boot.py"
            ]
        );
        let provided = wrapped(&launcher(None), &env);
        assert_eq!(provided.program, PathBuf::from("/usr/bin/python3"));
        let unset = wrapped(&launcher(Some("x")), &BTreeMap::new());
        assert_eq!(unset.args.len(), 2);
        assert_eq!(unset.program, PathBuf::from("/usr/bin/python3"));
    }
}
