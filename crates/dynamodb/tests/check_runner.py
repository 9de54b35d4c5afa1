"""What the boto3 check scripts beside this file share (they import it from their own folder)."""


def check(name):
    """Runs the decorated function at once and prints `ok NAME`; a failure raises and ends the script."""

    def wrap(fn):
        fn()
        print("ok", name, flush=True)
        return fn

    return wrap
