"""Python runtime processes for the floors: `fork_runtimes.py N` imports Sluice's python bootstrap
once and forks N runtimes from it, as Sluice's template process forks its sandboxes (fresh
interpreters spend about 40 % more CPU an invocation on the 2-vCPU VM: shared pages, warmer
caches). Each child imports the handler itself; the parent waits for them. The Runtime API address
and the handler come from the environment (benchlib.hello_runtime_env)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "crates", "lambda", "src", "bootstraps"))
import python_bootstrap  # noqa: E402

for _ in range(int(sys.argv[1])):
    if os.fork() == 0:
        python_bootstrap.main()
        os._exit(0)
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
