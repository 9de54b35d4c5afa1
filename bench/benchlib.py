"""Helpers the python benchmark scripts share (import with `bench/` on `sys.path`)."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request


def say(*args):
    """Progress for the reader, on stderr, so stdout keeps only the results."""
    print(*args, file=sys.stderr, flush=True)


def free_port():
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def runtime_env(runtime_port, function):
    """The Lambda environment a runtime client served by bench/relay-floor reads (what Sluice
    gives its sandboxes, as far as the bootstraps need it); `python3 benchlib.py runtime-env PORT
    FUNCTION` prints it as NAME=VALUE words for the shell benchmarks."""
    return {"AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{runtime_port}", "AWS_LAMBDA_FUNCTION_NAME": function,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function}", "AWS_LAMBDA_LOG_STREAM_NAME": "floor",
            "AWS_REGION": "us-east-1"}


_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Sluice's own python runtime client, which the floors run examples/hello's handler with.
PYTHON_BOOTSTRAP = os.path.join(_ROOT, "crates", "lambda", "src", "bootstraps", "python_bootstrap.py")


def hello_runtime_env(runtime_port):
    """`runtime_env` for examples/hello's python handler, with the variables its template sets."""
    return runtime_env(runtime_port, "hello") | {
        "_HANDLER": "app.lambda_handler", "GREETING": "Hello",
        "LAMBDA_TASK_ROOT": os.path.join(_ROOT, "examples", "hello", "src")}


def hello_event(sluice):
    """The REST proxy event `sluice local generate-event` records for GET /hello, as bytes."""
    return subprocess.run([sluice, "local", "generate-event", "apigateway", "aws-proxy", "--method",
                           "GET", "--path", "hello", "--body", ""], check=True,
                          capture_output=True).stdout


FORK_RUNTIMES = os.path.join(_ROOT, "bench", "fork_runtimes.py")
"""`python3 -u FORK_RUNTIMES N`: N python runtimes forked from one interpreter (see the file)."""


def hello_floor_event(sluice):
    """A recorded REST proxy event for GET /hello, which every floor invocation carries, as bytes.
    Its headers are cut to the one wrk sends (Host), so the functions parse an event the size of
    the one Sluice builds for the same request (the recorded browser headers would add 1.7 KB)."""
    event = json.loads(hello_event(sluice))
    event["headers"] = {"Host": "127.0.0.1"}
    event["multiValueHeaders"] = {"Host": ["127.0.0.1"]}
    return json.dumps(event).encode()


def min_runtime(work):
    """bench/min-runtime made ready to serve in `work/min-runtime`: its template copied and its
    bootstrap compiled with plain rustc. Returns the template's path."""
    folder = os.path.join(work, "min-runtime")
    os.makedirs(folder)
    shutil.copy(os.path.join(_ROOT, "bench", "min-runtime", "template.yaml"), folder)
    subprocess.run(["rustc", "--edition", "2021", "-O", "-C", "debuginfo=0",
                    os.path.join(_ROOT, "bench", "min-runtime", "main.rs"),
                    "-o", os.path.join(folder, "bootstrap")], check=True)
    return os.path.join(folder, "template.yaml")


def wait_ready(url, proc=None, log=None, seconds=30):
    """Wait until GET `url` answers 200; exit (showing `log`) if `proc` dies or time runs out."""
    def tail():
        return open(log).read() if log else ""

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            sys.exit(f"server exited before serving:\n{tail()}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit(f"{url} did not answer within {seconds} s:\n{tail()}")


def to_us(text):
    """A wrk duration (`81.00us`, `1.20ms`, `2.00s`, `1.50m`) in microseconds."""
    n = float(re.match(r"[\d.]+", text).group(0))
    for unit, scale in (("us", 1), ("ms", 1e3), ("s", 1e6), ("m", 6e7)):
        if text.endswith(unit):
            return n * scale
    return n


def wrk_figures(out):
    """What one `wrk --latency` run printed: requests, req/s, p50 and p99 (µs), non-2xx answers
    and socket errors."""
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": to_us(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "p99": to_us(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
    }


def run_wrk(cmd):
    """Run one wrk command line (`cmd`, perhaps behind `taskset`, which execs it in the same
    process); exit if it fails. Gives what it printed and the CPU time it used, in µs."""
    wrk = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = wrk.stdout.read()
    _, status, usage = os.wait4(wrk.pid, 0)
    if status != 0:
        sys.exit(f"wrk failed:\n{out}")
    return out, (usage.ru_utime + usage.ru_stime) * 1e6


if __name__ == "__main__" and sys.argv[1:2] == ["runtime-env"]:
    print(" ".join(f"{name}={value}" for name, value in runtime_env(sys.argv[2], sys.argv[3]).items()))
