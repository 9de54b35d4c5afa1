//! Hot reload: watch the template and every function's code, and on a save swap in a new
//! generation. Only functions whose code changed get fresh sandboxes; a template that does not
//! load leaves the current generation serving.

use std::collections::BTreeSet;
use std::future::Future;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::event::{EventKind, ModifyKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher as _};
use sluice_template::{Code, Model};
use tokio::sync::mpsc;

use crate::cargo_build::{cargo_build, CargoBuildError};
use crate::{Application, ServerError};

/// How long the watcher waits for the next event of a burst (an editor's save, a `git checkout`).
const DEBOUNCE: Duration = Duration::from_millis(40);
/// The longest a burst is waited for before reloading anyway.
const MAX_DEBOUNCE: Duration = Duration::from_millis(500);

/// Folder names whose changes never reload: build output, dependencies' caches, VCS data.
const IGNORED_DIRS: &[&str] = &[
    "target",
    ".sluice",
    "__pycache__",
    ".git",
    ".aws-sam",
    "node_modules",
];

/// What one reload did, for the person watching the terminal.
#[derive(Debug)]
pub enum ReloadEvent {
    /// A function's code changed and its build is running: `cargo build` for a Rust function,
    /// esbuild for a bundled node one.
    Building {
        /// The function's logical id.
        function: String,
        /// What runs, as a person would type it.
        command: &'static str,
    },
    /// A new generation serves.
    Reloaded {
        /// One line: what changed.
        summary: String,
        /// What building it did or found (tables created, notes).
        notes: Vec<String>,
    },
    /// The change could not be applied; the previous generation keeps serving.
    Failed {
        /// What was being reloaded.
        what: String,
        /// Why it failed.
        error: ReloadError,
    },
}

/// Why a reload failed.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The template does not load, or the application cannot be built from it.
    #[error(transparent)]
    Build(#[from] ServerError),
    /// A Rust function's `cargo build` failed or could not start.
    #[error(transparent)]
    Cargo(#[from] CargoBuildError),
    /// An esbuild function's bundling failed (esbuild's output says why) or found no esbuild.
    #[error(transparent)]
    Bundle(#[from] crate::build::BuildError),
}

/// Why watching could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot watch files for reload: {0}")]
pub struct WatchError(#[from] notify::Error);

/// Watches set up by [`Application::start_watching`], waiting to be run.
pub struct Reloader {
    app: Arc<Application>,
    watcher: RecommendedWatcher,
    watched: BTreeSet<(PathBuf, bool)>,
    changed: mpsc::UnboundedReceiver<Vec<PathBuf>>,
    own_outputs: OwnOutputs,
}

/// The files Sluice itself writes to: its stdout and stderr when they are files, and
/// `--log-file`. Their writes are never edits: with `CodeUri: .` and `2> sluice.log` beside the
/// template, each reload's own report line (or a request's log lines) would reload again, forever.
/// Told apart by file identity, so a relative, symlinked or renamed path still matches.
#[derive(Debug, Default)]
struct OwnOutputs(Vec<(u64, u64)>);

impl OwnOutputs {
    /// This process's stdout and stderr, and `log_file` if it names a file.
    fn of_this_process(log_file: Option<&Path>) -> OwnOutputs {
        use std::os::fd::AsFd;
        let mut files: Vec<std::fs::Metadata> = [
            std::io::stdout().as_fd().try_clone_to_owned(),
            std::io::stderr().as_fd().try_clone_to_owned(),
        ]
        .into_iter()
        .flatten()
        .filter_map(|fd| std::fs::File::from(fd).metadata().ok())
        .collect();
        files.extend(log_file.and_then(|path| std::fs::metadata(path).ok()));
        OwnOutputs::of(files)
    }

    /// The regular files among `files` (a terminal or a pipe is never edited in a code folder).
    fn of(files: impl IntoIterator<Item = std::fs::Metadata>) -> OwnOutputs {
        use std::os::unix::fs::MetadataExt;
        OwnOutputs(
            files
                .into_iter()
                .filter(|m| m.is_file())
                .map(|m| (m.dev(), m.ino()))
                .collect(),
        )
    }

    /// Whether `path` is one of them.
    fn contains(&self, path: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        !self.0.is_empty()
            && std::fs::metadata(path).is_ok_and(|m| self.0.contains(&(m.dev(), m.ino())))
    }
}

impl Application {
    /// Starts watching the template and the functions' code now (edits from here on are seen),
    /// to be acted on by [`Reloader::run`].
    pub fn start_watching(self: &Arc<Self>) -> Result<Reloader, WatchError> {
        let (changes, changed) = mpsc::unbounded_channel::<Vec<PathBuf>>();
        let mut watcher =
            notify::recommended_watcher(move |result: notify::Result<notify::Event>| {
                // Reads (our own template loads, interpreters importing code) and attribute changes
                // are not edits; reacting to them would reload forever.
                if let Ok(event) = result {
                    if is_edit(&event.kind) {
                        let _ = changes.send(event.paths);
                    }
                }
            })?;
        let mut watched = BTreeSet::new();
        self.rewatch(&mut watcher, &mut watched)?;
        Ok(Reloader {
            app: self.clone(),
            watcher,
            watched,
            changed,
            own_outputs: OwnOutputs::of_this_process(self.shared.config.log_file.as_deref()),
        })
    }
}

impl Reloader {
    /// Reloads on each edit until `shutdown` resolves; each reload is reported through `report`.
    pub async fn run(
        self,
        report: impl Fn(ReloadEvent) + Send + Sync + 'static,
        shutdown: impl Future<Output = ()>,
    ) {
        let Reloader {
            app,
            mut watcher,
            mut watched,
            mut changed,
            own_outputs,
        } = self;
        tokio::pin!(shutdown);
        // Edits made while cargo built, to reload next.
        let mut carried = Vec::new();
        loop {
            let first = if carried.is_empty() {
                tokio::select! {
                    () = &mut shutdown => return,
                    batch = changed.recv() => match batch {
                        Some(batch) => batch,
                        None => return,
                    },
                }
            } else {
                std::mem::take(&mut carried)
            };
            // Only edits of what Sluice serves count, so a log file written beside the template
            // cannot keep a debounce window open, and Sluice's own output never reloads.
            let model = app.model();
            let relevant =
                |path: &PathBuf| app.serves_from(&model, path) && !own_outputs.contains(path);
            let mut paths: Vec<PathBuf> = first.into_iter().filter(relevant).collect();
            if paths.is_empty() {
                continue;
            }
            gather_burst(&mut changed, &mut paths, relevant).await;
            paths.sort();
            paths.dedup();
            let lockfiles = cargo_lockfiles(&model, &paths);
            if let Some(event) = app.apply(&paths, &report).await {
                report(event);
            }
            if !lockfiles.is_empty() {
                carried = drain_own_writes(&mut changed, &lockfiles);
            }
            // The template may name new code folders.
            if let Err(error) = app.rewatch(&mut watcher, &mut watched) {
                tracing::warn!(%error, "updating the watched folders failed");
            }
        }
    }
}

/// Debounce: one save is several events (write, rename); adds to `paths` the relevant ones that
/// follow closely, for at most [`MAX_DEBOUNCE`]. Only relevant edits move the quiet deadline:
/// `start-api 2> sluice.log` beside the template writes a line per request, which would
/// otherwise hold every reload to the cap.
async fn gather_burst(
    changed: &mut mpsc::UnboundedReceiver<Vec<PathBuf>>,
    paths: &mut Vec<PathBuf>,
    relevant: impl Fn(&PathBuf) -> bool,
) {
    let window_end = tokio::time::Instant::now() + MAX_DEBOUNCE;
    let mut quiet_at = tokio::time::Instant::now() + DEBOUNCE;
    while let Ok(Some(more)) =
        tokio::time::timeout_at(quiet_at.min(window_end), changed.recv()).await
    {
        let before = paths.len();
        paths.extend(more.into_iter().filter(&relevant));
        if paths.len() > before {
            quiet_at = tokio::time::Instant::now() + DEBOUNCE;
        }
    }
}

/// The `Cargo.lock` of each Rust function that a reload for `paths` builds with cargo.
fn cargo_lockfiles(model: &Model, paths: &[PathBuf]) -> Vec<PathBuf> {
    model
        .functions
        .iter()
        .filter(|f| f.build_method.as_deref() == Some("rust-cargolambda"))
        .filter_map(|f| match &f.code {
            Code::Dir(dir) if paths.iter().any(|p| p.starts_with(dir)) => {
                Some(dir.join("Cargo.lock"))
            }
            _ => None,
        })
        .collect()
}

/// Takes the edits queued while cargo built, minus cargo's own: it rewrites a package's
/// `Cargo.lock` when `Cargo.toml`'s dependencies changed, which is already in the binary it built
/// and must not start a second build and reload. The others (a save during the build) are
/// returned, to reload next.
fn drain_own_writes(
    changed: &mut mpsc::UnboundedReceiver<Vec<PathBuf>>,
    lockfiles: &[PathBuf],
) -> Vec<PathBuf> {
    let mut rest = Vec::new();
    while let Ok(batch) = changed.try_recv() {
        rest.extend(batch.into_iter().filter(|p| !lockfiles.contains(p)));
    }
    rest
}

impl Application {
    /// Whether an edit of `path` changes what `model` serves: the template itself, or a file in a
    /// function's code folder that is not build output, a cache or Sluice's state.
    fn serves_from(&self, model: &Model, path: &PathBuf) -> bool {
        if is_ignored(path, &self.shared.config.state_dir()) {
            return false;
        }
        path == &self.shared.config.template
            || model.functions.iter().any(|f| match &f.code {
                Code::Dir(dir) => path.starts_with(dir),
                Code::Inline(_) => false,
            })
    }

    /// Reloads for a batch of changed paths.
    async fn apply(&self, paths: &[PathBuf], report: &impl Fn(ReloadEvent)) -> Option<ReloadEvent> {
        let before = self.model();
        let template = &self.shared.config.template;
        let template_changed = paths.iter().any(|p| p == template);
        let touched: Vec<&sluice_template::Function> = before
            .functions
            .iter()
            .filter(|f| match &f.code {
                Code::Dir(dir) => paths.iter().any(|p| p.starts_with(dir)),
                Code::Inline(_) => false,
            })
            .collect();
        if !template_changed && touched.is_empty() {
            // Another file beside the template (a README, a log): nothing Sluice serves changed.
            return None;
        }
        let what = describe(template_changed, &touched, paths, template);
        for function in &touched {
            if function.build_method.as_deref() == Some("rust-cargolambda") {
                if let Code::Dir(dir) = &function.code {
                    report(ReloadEvent::Building {
                        function: function.logical_id.clone(),
                        command: "cargo build --release",
                    });
                    if let Err(error) = cargo_build(dir).await {
                        return Some(ReloadEvent::Failed {
                            what,
                            error: error.into(),
                        });
                    }
                }
            }
        }
        // A save anywhere under an esbuild function's CodeUri (its module, an imported file,
        // tsconfig.json) bundles it again; a failure keeps the previous bundle serving.
        for function in touched
            .iter()
            .filter(|f| crate::build::esbuild::is_esbuild(f))
        {
            report(ReloadEvent::Building {
                function: function.logical_id.clone(),
                command: "esbuild",
            });
            let (function, state_dir) = ((*function).clone(), self.shared.config.state_dir());
            let bundled =
                tokio::task::spawn_blocking(move || crate::build::rebundle(&function, &state_dir))
                    .await;
            if let Ok(Some(Err(error))) = bundled {
                return Some(ReloadEvent::Failed {
                    what,
                    error: error.into(),
                });
            }
        }
        let code_changed = touched.iter().map(|f| f.name.clone()).collect();
        let reloaded = crate::load_model(&self.shared.config)
            .and_then(|model| {
                let summary = summary(&what, &before, &model);
                self.reload(model, &code_changed)
                    .map(|notes| (summary, notes))
            })
            .map_err(ReloadError::from);
        Some(match reloaded {
            Ok((summary, notes)) => ReloadEvent::Reloaded { summary, notes },
            Err(error) => ReloadEvent::Failed { what, error },
        })
    }

    /// Watches what the current model names and stops watching what it no longer does.
    fn rewatch(
        &self,
        watcher: &mut RecommendedWatcher,
        watched: &mut BTreeSet<(PathBuf, bool)>,
    ) -> Result<(), WatchError> {
        let wanted = watch_set(&self.model(), &self.shared.config.template);
        for (path, _) in watched.difference(&wanted) {
            let _ = watcher.unwatch(path);
        }
        for (path, recursive) in wanted.difference(watched) {
            let mode = if *recursive {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            watcher.watch(path, mode)?;
        }
        *watched = wanted;
        Ok(())
    }
}

/// The folders to watch, `(path, recursive)`: the template's folder (editors save by renaming,
/// so the file itself cannot be watched) and each code folder, with its subfolders watched
/// recursively except build output and caches (a Rust package's `target/` holds thousands).
fn watch_set(model: &Model, template: &Path) -> BTreeSet<(PathBuf, bool)> {
    let mut set = BTreeSet::new();
    if let Some(dir) = template.parent() {
        set.insert((dir.to_owned(), false));
    }
    for function in &model.functions {
        let Code::Dir(dir) = &function.code else {
            continue;
        };
        if !dir.exists() {
            // A code folder not created yet (its function fails until it is): watching the
            // nearest folder that exists sees it appear, and the reload then watches it.
            if let Some(parent) = dir.ancestors().skip(1).find(|a| a.is_dir()) {
                set.insert((parent.to_owned(), false));
            }
            continue;
        }
        set.insert((dir.clone(), false));
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let skip = IGNORED_DIRS.iter().any(|d| name == *d);
            if !skip && path.is_dir() {
                set.insert((path, true));
            }
        }
    }
    set
}

/// Whether an event changed what a file holds or where it is (not a read, not an attribute).
fn is_edit(kind: &EventKind) -> bool {
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(_) | EventKind::Any | EventKind::Other => false,
    }
}

/// Changes that never reload: Sluice's own state, build output, editors' temporary files.
fn is_ignored(path: &Path, state_dir: &Path) -> bool {
    if path.starts_with(state_dir) {
        return true;
    }
    let in_ignored_dir = path.components().any(|c| match c {
        Component::Normal(name) => IGNORED_DIRS.iter().any(|d| name == *d),
        _ => false,
    });
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    in_ignored_dir
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.starts_with(".#")
        || name.ends_with(".pyc")
}

/// "template.yaml", "HelloFunction (app.py)", or both.
fn describe(
    template_changed: bool,
    touched: &[&sluice_template::Function],
    paths: &[PathBuf],
    template: &Path,
) -> String {
    let mut parts = Vec::new();
    if template_changed {
        parts.push(
            template
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "template".into()),
        );
    }
    for function in touched {
        let files: Vec<String> = match &function.code {
            Code::Dir(dir) => paths
                .iter()
                .filter_map(|p| p.strip_prefix(dir).ok())
                .filter(|p| !p.as_os_str().is_empty())
                .map(|p| p.display().to_string())
                .take(3)
                .collect(),
            Code::Inline(_) => Vec::new(),
        };
        parts.push(format!("{} ({})", function.logical_id, files.join(", ")));
    }
    parts.join(", ")
}

/// One line: what changed and what the new generation serves.
fn summary(what: &str, before: &Model, after: &Model) -> String {
    let routes = |m: &Model| -> BTreeSet<String> {
        m.rest_apis
            .iter()
            .flat_map(|api| {
                api.routes
                    .iter()
                    .map(move |r| format!("{} {} ({})", r.method, r.path, api.logical_id))
            })
            .collect()
    };
    let functions = |m: &Model| -> BTreeSet<String> {
        m.functions.iter().map(|f| f.logical_id.clone()).collect()
    };
    let (old_routes, new_routes) = (routes(before), routes(after));
    let (old_functions, new_functions) = (functions(before), functions(after));
    let mut changes = Vec::new();
    for added in new_functions.difference(&old_functions) {
        changes.push(format!("+function {added}"));
    }
    for removed in old_functions.difference(&new_functions) {
        changes.push(format!("-function {removed}"));
    }
    for added in new_routes.difference(&old_routes) {
        changes.push(format!("+{added}"));
    }
    for removed in old_routes.difference(&new_routes) {
        changes.push(format!("-{removed}"));
    }
    if changes.is_empty() {
        format!("Reloaded after a change to {what}")
    } else {
        format!("Reloaded after a change to {what}: {}", changes.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_outputs_match_the_same_file_by_any_path_and_nothing_else() {
        let dir = std::env::temp_dir().join(format!("sluice-own-outputs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("sluice.log");
        let code = dir.join("app.py");
        std::fs::write(&log, "").unwrap();
        std::fs::write(&code, "").unwrap();
        let linked = dir.join("linked.log");
        let _ = std::fs::remove_file(&linked);
        std::os::unix::fs::symlink(&log, &linked).unwrap();
        let opened = std::fs::File::open(&log).unwrap().metadata().unwrap();
        // A directory (e.g. a terminal's /dev/pts) is not a file Sluice writes.
        let own = OwnOutputs::of([opened, std::fs::metadata(&dir).unwrap()]);
        assert!(own.contains(&log));
        assert!(own.contains(&linked));
        assert!(!own.contains(&code));
        assert!(!own.contains(&dir));
        assert!(!own.contains(&dir.join("gone.log")));
        assert!(!OwnOutputs::default().contains(&log));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn build_output_state_and_editor_files_are_ignored() {
        let state = Path::new("/app/.sluice");
        assert!(is_ignored(
            Path::new("/app/.sluice/dynamodb/t.sqlite3"),
            state
        ));
        assert!(is_ignored(Path::new("/app/fn/target/release/fn"), state));
        assert!(is_ignored(
            Path::new("/app/src/__pycache__/app.cpython-312.pyc"),
            state
        ));
        assert!(is_ignored(Path::new("/app/src/.app.py.swp"), state));
        assert!(is_ignored(Path::new("/app/src/app.py~"), state));
        assert!(!is_ignored(Path::new("/app/src/app.py"), state));
        assert!(!is_ignored(Path::new("/app/template.yaml"), state));
    }

    #[test]
    fn cargos_lockfile_write_during_the_build_is_dropped_and_a_save_is_kept() {
        let (send, mut changed) = mpsc::unbounded_channel::<Vec<PathBuf>>();
        let lock = PathBuf::from("/app/fn/Cargo.lock");
        let save = PathBuf::from("/app/fn/src/main.rs");
        send.send(vec![lock.clone()]).unwrap();
        send.send(vec![lock.clone(), save.clone()]).unwrap();
        assert_eq!(drain_own_writes(&mut changed, &[lock]), [save]);
        assert!(changed.try_recv().is_err(), "the queue was emptied");
    }

    /// Virtual time (paused clock): what is asserted is when the burst ends on tokio's clock,
    /// which is exact, not a wall-clock timing.
    #[tokio::test(start_paused = true)]
    async fn unrelated_writes_do_not_hold_a_burst_open() {
        let (send, mut changed) = mpsc::unbounded_channel::<Vec<PathBuf>>();
        // A log file beside the template written every 5 ms, for longer than the cap.
        let noise = tokio::spawn(async move {
            for _ in 0..400 {
                if send.send(vec![PathBuf::from("/app/sluice.log")]).is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        let started = tokio::time::Instant::now();
        let mut paths = vec![PathBuf::from("/app/src/app.py")];
        gather_burst(&mut changed, &mut paths, |p| p.starts_with("/app/src")).await;
        assert_eq!(
            started.elapsed(),
            DEBOUNCE,
            "only the save's own quiet window"
        );
        assert_eq!(paths, [PathBuf::from("/app/src/app.py")]);
        noise.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn relevant_edits_extend_a_burst_up_to_the_cap() {
        let (send, mut changed) = mpsc::unbounded_channel::<Vec<PathBuf>>();
        let edits = tokio::spawn(async move {
            for i in 0..200 {
                let path = PathBuf::from(format!("/app/src/f{i}.py"));
                if send.send(vec![path]).is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        let started = tokio::time::Instant::now();
        let mut paths = Vec::new();
        gather_burst(&mut changed, &mut paths, |p| p.starts_with("/app/src")).await;
        assert_eq!(
            started.elapsed(),
            MAX_DEBOUNCE,
            "a steady stream of edits stops at the cap"
        );
        assert!(
            paths.len() >= 45,
            "the edits of the burst were gathered: {}",
            paths.len()
        );
        edits.abort();
    }
}
