#!/usr/bin/env python3
"""CPU time per request, split by process: the server, each of its descendants, and wrk itself.

Usage: cpu_split.py SERVER_PID URL DURATION THREADS CONNS

Runs one `wrk` against URL and reads the CPU time of SERVER_PID and its descendants from
/proc/PID/task/*/schedstat before and after (threads that exit meanwhile are missed; sandboxes must
already be warm: run a warm-up first). The sum over all processes, wrk included, bounds throughput
on this machine: cores / (CPU µs per request).
"""
import os
import re
import subprocess
import sys



def children(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def tree(root):
    pids, stack = [], [root]
    while stack:
        pid = stack.pop()
        pids.append(pid)
        stack += children(pid)
    return pids


def cpu_us(pid):
    """Run time of every thread of `pid` in µs, from schedstat (ns, exact; stat's ticks are sampled)."""
    total = 0
    try:
        with open(f"/proc/{pid}/comm") as f:
            name = f.read().strip()
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
    except OSError:
        return "(gone)", 0
    return name, total / 1000


def main():
    server, url, duration, threads, conns = int(sys.argv[1]), *sys.argv[2:6]
    before = {pid: cpu_us(pid) for pid in tree(server)}
    proc = subprocess.Popen(
        ["wrk", "-d", duration, "-t", threads, "-c", conns, url],
        stdout=subprocess.PIPE, text=True,
    )
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    after = {pid: cpu_us(pid) for pid in tree(server)}
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    print(f"{url} c={conns}: {requests} requests, {rps:.0f} req/s")
    total = 0.0
    for pid, (name, t1) in sorted(after.items()):
        name0, t0 = before.get(pid, (name, 0))
        per = (t1 - t0) / requests
        total += per
        print(f"  {name:<16} pid {pid:<7} {per:8.1f} µs CPU / request")
    wrk = (usage.ru_utime + usage.ru_stime) * 1e6 / requests
    total += wrk
    print(f"  {'wrk':<16} {'':<11} {wrk:8.1f} µs CPU / request")
    print(f"  {'total':<16} {'':<11} {total:8.1f} µs CPU / request"
          f"  -> at most {2e6 / total:.0f} req/s on 2 fully used cores")


if __name__ == "__main__":
    main()
