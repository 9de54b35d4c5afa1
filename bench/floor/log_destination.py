#!/usr/bin/env python3
"""What the destination of Sluice's terminal output costs (issue 13 point 2: "logging to a file or
terminal may not cost more than 5 % of throughput — measure both").

Usage: bench/floor/log_destination.py TEMPLATE...   (R=3 rounds; release build in target/release)

For each template, in alternated rounds: `sluice start-api` with stdout and stderr to /dev/null,
to a file, and to a pseudo-terminal (`script -qfc`, which copies it to a file, as a terminal
would show it); `wrk -t2 -c4` for 3 s after a 1 s warm-up. Prints req/s, Sluice's own CPU per
request and the whole tree's (sandboxes, and `script` for the terminal), and each destination's
median throughput over /dev/null's. The access line and START/END/REPORT lines (about 400 bytes a
request) are what is written.
"""
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SLUICE = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "sluice")
sys.path.insert(0, os.path.join(ROOT, "bench"))
from benchlib import free_port, wait_ready  # noqa: E402
from cpu_split import cpu_us, tree  # noqa: E402

MODES = ("null", "file", "pty")


def start(template, mode, port, state):
    """Sluice with its output going to `mode`; returns the process whose group to stop."""
    cmd = [SLUICE, "start-api", "-t", template, "-p", str(port), "--services-port", "0",
           "--state-dir", state, "--no-reload",
           # A raised quota, so no answer is a fast 429.
           "--account-throttle", "1000000,500000"]
    log = os.path.join(state, "out.log")
    if mode == "null":
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
    if mode == "file":
        with open(log, "w") as f:
            return subprocess.Popen(cmd, stdout=f, stderr=f, start_new_session=True)
    # A pseudo-terminal, as a developer's terminal is; `script` copies it to a file.
    return subprocess.Popen(["script", "-qfc", " ".join(cmd), log], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def measure(template, mode):
    port, state = free_port(), tempfile.mkdtemp()
    proc = start(template, mode, port, state)
    url = f"http://127.0.0.1:{port}/hello"
    try:
        wait_ready(url)
        subprocess.run(["wrk", "-d1s", "-t2", "-c4", url], stdout=subprocess.DEVNULL, check=True)
        found = subprocess.run(["pgrep", "-f", f"start-api -t {template} -p {port} "],
                               capture_output=True, text=True).stdout.split()
        sluice = int(found[-1])
        everything = tree(proc.pid)
        own0, all0 = cpu_us(sluice)[1], sum(cpu_us(p)[1] for p in everything)
        out = subprocess.run(["wrk", "-d3s", "-t2", "-c4", url], capture_output=True, text=True,
                             check=True).stdout
        own1, all1 = cpu_us(sluice)[1], sum(cpu_us(p)[1] for p in everything)
    finally:
        os.killpg(proc.pid, 15)
        proc.wait()
        shutil.rmtree(state, ignore_errors=True)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return rps, (own1 - own0) / requests, (all1 - all0) / requests


def main():
    results = {}
    for rnd in range(int(os.environ.get("R", "3"))):
        for template in sys.argv[1:]:
            for mode in MODES:
                rps, own, whole = measure(template, mode)
                results.setdefault((template, mode), []).append(rps)
                print(f"round {rnd + 1} {template} {mode:<4} {rps:8.0f} req/s  Sluice {own:6.1f} µs/req  "
                      f"whole tree {whole:6.1f} µs/req", flush=True)
    for template in sys.argv[1:]:
        base = statistics.median(results[(template, "null")])
        for mode in MODES:
            runs = results[(template, mode)]
            print(f"{template} {mode:<4} median {statistics.median(runs):8.0f} req/s, "
                  f"{statistics.median(runs) / base:5.3f} of /dev/null's; rounds {[round(r) for r in runs]}")


if __name__ == "__main__":
    main()
