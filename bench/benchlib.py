"""Helpers the python benchmark scripts share (import with `bench/` on `sys.path`)."""
import socket
import sys
import time
import urllib.request


def free_port():
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
