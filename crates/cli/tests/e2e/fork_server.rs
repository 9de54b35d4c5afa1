//! Python sandboxes forked from a warm template process: each is what a fresh interpreter with
//! its environment would be (same environment, `sys.path`, user, folder, flags, descriptors),
//! imports the handler itself (fresh globals, `Init Duration`), and a template that dies is
//! replaced. `--no-fork-server` starts fresh interpreters.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sluice_testkit::{fresh_dir, Server};

use crate::{client, get_json, running_as_root, sluice, uid_of};

/// Reports the sandbox's process facts, and under `same` everything that must not depend on
/// whether the sandbox was forked or started fresh.
const PROBE: &str = r#"import ctypes, json, locale, os, sys, time
import helper
LOADED_BY = os.getpid()
COUNT = 0
PER_SANDBOX = ("AWS_LAMBDA_RUNTIME_API", "AWS_LAMBDA_LOG_STREAM_NAME", "_X_AMZN_TRACE_ID")
def handler(event, context):
    global COUNT
    COUNT += 1
    query = event.get("queryStringParameters") or {}
    if query.get("sleep"):
        time.sleep(float(query["sleep"]))
    same = {
        "env": {k: v for k, v in os.environ.items() if k not in PER_SANDBOX},
        "path": sys.path,
        "cwd": os.getcwd(),
        "ids": [os.getuid(), os.geteuid(), os.getgid(), os.getegid(), sorted(os.getgroups())],
        "flags": list(sys.flags),
        "tz": list(time.tzname),
        "encodings": [sys.getfilesystemencoding(), sys.stdout.encoding, locale.getpreferredencoding(False)],
        "descriptors": sorted(os.listdir("/proc/self/fd")),
        # PR_GET_DUMPABLE: a process that changed its user without exec is not (its /proc files
        # are root's); one that exec'd is.
        "dumpable": ctypes.CDLL(None).prctl(3, 0, 0, 0, 0),
        "own_process_group": os.getpgid(0) == os.getpid(),
        "executable": sys.executable,
        "argv": sys.argv,
        "helper": helper.WHERE,
        "bytecode": sys.dont_write_bytecode,
        # Modules already imported when the handler runs: a handler's own `socket.py` would
        # shadow the standard one only if the runtime had not imported that already.
        "modules": sorted(sys.modules),
    }
    return {"statusCode": 200, "body": json.dumps({
        "pid": os.getpid(), "ppid": os.getppid(), "loaded_by": LOADED_BY, "count": COUNT,
        "stream": os.environ["AWS_LAMBDA_LOG_STREAM_NAME"], "same": same,
    })}
"#;

/// A project with the probe as `Fn`; `helper` comes from the relative `PYTHONPATH` `lib`, and
/// `PYTHONUSERBASE` has a `.pth` file that records in `pth.log` the pid and uid of each
/// interpreter that runs it.
fn project() -> PathBuf {
    let dir = fresh_dir("fork-server");
    std::fs::create_dir_all(dir.join("src/lib")).unwrap();
    let pth_log = dir.join("pth.log");
    std::fs::write(&pth_log, "").unwrap();
    std::fs::set_permissions(
        &pth_log,
        std::os::unix::fs::PermissionsExt::from_mode(0o666),
    )
    .unwrap();
    for minor in 8..=14 {
        let site = dir.join(format!("userbase/lib/python3.{minor}/site-packages"));
        std::fs::create_dir_all(&site).unwrap();
        std::fs::write(
            site.join("probe.pth"),
            format!(
                "import os; open({:?}, 'a').write('%d %d\\n' % (os.getpid(), os.getuid()))\n",
                pth_log.display().to_string()
            ),
        )
        .unwrap();
    }
    std::fs::write(dir.join("src/app.py"), PROBE).unwrap();
    std::fs::write(
        dir.join("src/lib/helper.py"),
        "import os\nWHERE = os.path.dirname(__file__)\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("template.yaml"),
        format!(
            "Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Timeout: 30
      Environment:
        Variables:
          PYTHONPATH: lib
          PYTHONUSERBASE: {userbase}
      Events:
        Get: {{Type: Api, Properties: {{Path: /probe, Method: get}}}}
",
            userbase = dir.join("userbase").display(),
        ),
    )
    .unwrap();
    // Sandboxes may run as `nobody` when the tests run as root.
    for path in [
        "",
        "src",
        "src/lib",
        "src/app.py",
        "src/lib/helper.py",
        "userbase",
    ] {
        let mode = if path.ends_with(".py") { 0o644 } else { 0o755 };
        std::fs::set_permissions(
            dir.join(path),
            std::os::unix::fs::PermissionsExt::from_mode(mode),
        )
        .unwrap();
    }
    dir.join("template.yaml")
}

/// The parent process id of `pid`.
fn parent_of(pid: u64) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let (_, rest) = stat.rsplit_once(") ").unwrap();
    rest.split(' ').nth(1).unwrap().parse().unwrap()
}

fn command_line(pid: u64) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .unwrap_or_default()
}

fn start(template: &Path, args: &[&str], env: &[(&str, &OsStr)]) -> Server {
    Server::start_with_env(sluice(), template, args, env)
}

/// What a sandbox saw, with the two servers' own addresses and state folders put aside.
fn this_server_aside(answer: &Value) -> String {
    let env = &answer["same"]["env"];
    let mut text = answer["same"].to_string();
    for (name, stand_in) in [
        ("LAMBDA_RUNTIME_DIR", "<runtime dir>"),
        ("AWS_ENDPOINT_URL", "<services>"),
    ] {
        let value = env[name].as_str().unwrap();
        text = text.replace(value, stand_in);
    }
    text
}

/// Starts the probe forked and fresh under `env` and compares what each sandbox sees.
fn forked_equals_fresh(env: &[(&str, &OsStr)]) -> Value {
    let template = project();
    let forked_server = start(&template, &[], env);
    let fresh_server = start(&template, &["--no-fork-server"], env);
    let forked = get_json(&forked_server, "/probe");
    let fresh = get_json(&fresh_server, "/probe");
    assert_eq!(this_server_aside(&forked), this_server_aside(&fresh));
    assert!(
        forked["same"]["helper"]
            .as_str()
            .unwrap()
            .ends_with("src/lib"),
        "{forked}"
    );
    // The fresh interpreter is Sluice's child; the forked one is its template's, which is
    // Sluice's child and runs the bootstrap.
    assert_eq!(fresh["ppid"], u64::from(fresh_server.pid()));
    let template_pid = forked["ppid"].as_u64().unwrap();
    assert_ne!(template_pid, u64::from(forked_server.pid()));
    assert_eq!(parent_of(template_pid), u64::from(forked_server.pid()));
    assert!(
        command_line(template_pid).contains("python_bootstrap.py"),
        "{}",
        command_line(template_pid)
    );
    // The user site's `.pth` ran in each sandbox, as its user, and never in the template (which
    // runs as Sluice's user: a sandbox could otherwise plant code for it to run).
    let pth_log = template.parent().unwrap().join("pth.log");
    let ran: Vec<(u64, u64)> = std::fs::read_to_string(&pth_log)
        .unwrap()
        .lines()
        .map(|l| {
            let (pid, uid) = l.split_once(' ').unwrap();
            (pid.parse().unwrap(), uid.parse().unwrap())
        })
        .collect();
    let uid = forked["same"]["ids"][0].as_u64().unwrap();
    let mut pids: Vec<u64> = ran.iter().map(|r| r.0).collect();
    pids.sort_unstable();
    let mut sandboxes = vec![
        forked["pid"].as_u64().unwrap(),
        fresh["pid"].as_u64().unwrap(),
    ];
    sandboxes.sort_unstable();
    assert_eq!(pids, sandboxes, "{ran:?}");
    assert!(ran.iter().all(|r| r.1 == uid), "{ran:?}");
    let mut forked = forked;
    forked["template_uid"] = uid_of(u32::try_from(template_pid).unwrap()).into();
    forked
}

#[test]
fn a_forked_sandbox_is_what_a_fresh_interpreter_would_be() {
    forked_equals_fresh(&[]);
}

#[test]
fn a_forked_sandbox_runs_as_the_sandbox_user_like_a_fresh_one() {
    // Debian's python is reachable by `nobody` (a pyenv python under /root is not), so with it
    // first on PATH a root Sluice drops sandboxes to `nobody`: the fork must do the same.
    if !Path::new("/usr/bin/python3").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI installs Debian's python3"
        );
        eprintln!("skipped: no /usr/bin/python3");
        return;
    }
    let path = format!(
        "/usr/bin:/bin:{}",
        std::env::var("PATH").unwrap_or_default()
    );
    let forked = forked_equals_fresh(&[("PATH", OsStr::new(&path))]);
    let root = running_as_root();
    let uid = forked["same"]["ids"][0].as_u64().unwrap();
    assert_eq!(uid != 0, root, "{forked}");
    // The template holds no more rights than its sandboxes: it runs as their user.
    assert_eq!(forked["template_uid"], uid);
}

#[test]
fn sandboxes_forked_side_by_side_have_their_own_globals_and_log_streams() {
    let server = start(&project(), &[], &[]);
    let url = server.url("/probe?sleep=1");
    let calls: Vec<_> = (0..2)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || client().get(url).send().unwrap().json::<Value>().unwrap())
        })
        .collect();
    let answers: Vec<Value> = calls.into_iter().map(|c| c.join().unwrap()).collect();
    assert_ne!(answers[0]["pid"], answers[1]["pid"]);
    assert_ne!(answers[0]["stream"], answers[1]["stream"]);
    for answer in &answers {
        // The handler was imported by the sandbox itself, never by the template.
        assert_eq!(answer["loaded_by"], answer["pid"], "{answer}");
        assert_eq!(answer["count"], 1, "{answer}");
    }
    assert_eq!(answers[0]["ppid"], answers[1]["ppid"]);
    sluice_testkit::assert_eventually!(
        server
            .logs()
            .iter()
            .filter(|l| l.starts_with("[Fn] REPORT") && l.contains("Init Duration"))
            .count()
            == 2,
        "two cold starts, each with Init Duration: {:?}",
        server.logs()
    );
}

#[test]
fn a_template_that_dies_takes_its_sandboxes_and_is_replaced() {
    let server = start(&project(), &[], &[]);
    let first = get_json(&server, "/probe");
    let old_template = first["ppid"].as_u64().unwrap();
    let sandbox = first["pid"].as_u64().unwrap();
    let killed = std::process::Command::new("kill")
        .args(["-9", &old_template.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    // The sandbox dies with its template, as a spawned one dies with Sluice.
    sluice_testkit::assert_eventually!(
        !Path::new(&format!("/proc/{sandbox}/cmdline")).exists()
            || command_line(sandbox).is_empty(),
        "sandbox {sandbox} outlived its template"
    );
    // A new sandbox starts, from a new template.
    let mut answer = Value::Null;
    sluice_testkit::assert_eventually!(
        {
            let response = client().get(server.url("/probe")).send().unwrap();
            response.status() == 200 && {
                answer = response.json().unwrap();
                true
            }
        },
        "no sandbox answered after the template died: {:?}",
        server.logs()
    );
    assert_ne!(answer["pid"].as_u64(), Some(sandbox));
    let new_template = answer["ppid"].as_u64().unwrap();
    assert_ne!(new_template, old_template);
    assert_eq!(parent_of(new_template), u64::from(server.pid()));
}
