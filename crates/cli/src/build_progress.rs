//! How `sluice build` shows its steps: a spinner per step (pip, npm, make, cargo) under a bar
//! counting functions when stderr is a terminal, and the same steps as plain lines when it is not
//! (CI logs and tests read those).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use sluice_server::build::BuildPlan;

/// The steps of one `sluice build`.
pub struct BuildProgress {
    /// `None` when stderr is not a terminal: plain lines instead.
    bars: Option<(MultiProgress, ProgressBar)>,
}

/// One step in progress; [`Step::done`] or [`Step::failed`] ends it.
pub struct Step {
    spinner: Option<ProgressBar>,
    overall: Option<ProgressBar>,
}

/// What the step runs, as a person would type it.
pub fn describe(function: &str, plan: &BuildPlan) -> String {
    match plan {
        BuildPlan::Pip { .. } => format!("{function}: pip install -r requirements.txt"),
        BuildPlan::Npm { dir, .. } => {
            let locked = dir.join("package-lock.json").is_file()
                || dir.join("npm-shrinkwrap.json").is_file();
            let verb = if locked { "ci" } else { "install" };
            format!("{function}: npm {verb} --omit=dev")
        }
        BuildPlan::Make { .. } => format!("{function}: make build-{function}"),
        BuildPlan::Esbuild { .. } => format!("{function}: npm install, esbuild --bundle"),
        BuildPlan::Cargo { .. } => format!("{function}: cargo build --release"),
        BuildPlan::Layer { folder, .. } => {
            format!("{function}: layer's files and dependencies into {folder}/")
        }
    }
}

impl BuildProgress {
    /// Progress over `functions` steps, drawn only when stderr is a terminal.
    pub fn new(functions: u64) -> BuildProgress {
        if !std::io::stderr().is_terminal() {
            return BuildProgress { bars: None };
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let overall = multi.add(ProgressBar::new(functions));
        overall.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} functions [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        BuildProgress {
            bars: Some((multi, overall)),
        }
    }

    /// Starts a step for `function` (its logical id).
    pub fn step(&self, function: &str, plan: &BuildPlan) -> Step {
        self.step_saying(function, plan, &format!("Building {function} ..."))
    }

    /// Starts a step; `plain` is the line printed instead of a spinner off a terminal.
    pub fn step_saying(&self, function: &str, plan: &BuildPlan, plain: &str) -> Step {
        let Some((multi, overall)) = &self.bars else {
            eprintln!("{plain}");
            return Step {
                spinner: None,
                overall: None,
            };
        };
        let spinner = multi.insert_before(overall, ProgressBar::new_spinner());
        spinner.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        spinner.set_message(describe(function, plan));
        spinner.enable_steady_tick(Duration::from_millis(100));
        Step {
            spinner: Some(spinner),
            overall: Some(overall.clone()),
        }
    }

    /// Removes the bars (before the summary line).
    pub fn finish(self) {
        if let Some((_, overall)) = self.bars {
            overall.finish_and_clear();
        }
    }
}

impl Step {
    /// The step succeeded: `line` says what it did.
    pub fn done(self, line: &str) {
        match self.spinner {
            Some(spinner) => spinner.finish_with_message(format!("✓ {line}")),
            None => eprintln!("{line}"),
        }
        if let Some(overall) = self.overall {
            overall.inc(1);
        }
    }

    /// The step failed (the caller prints the tool's output).
    pub fn failed(self) {
        if let Some(spinner) = self.spinner {
            spinner.abandon_with_message("✗ failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn steps_are_described_by_the_tool_they_run() {
        let dir = PathBuf::from("/nonexistent");
        let npm = BuildPlan::Npm {
            dir: dir.clone(),
            target: dir.clone(),
        };
        assert_eq!(describe("Fn", &npm), "Fn: npm install --omit=dev");
        let make = BuildPlan::Make {
            dir: dir.clone(),
            artifacts: dir.clone(),
        };
        assert_eq!(describe("Fn", &make), "Fn: make build-Fn");
        assert_eq!(
            describe("Fn", &BuildPlan::Cargo { dir }),
            "Fn: cargo build --release"
        );
    }
}
