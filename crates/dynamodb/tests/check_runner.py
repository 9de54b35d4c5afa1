"""What the boto3 check scripts beside this file share (they import it from their own folder)."""

import os


def check(name):
    """Runs the decorated function at once and prints `ok NAME`; a failure raises and ends the script."""

    def wrap(fn):
        fn()
        print("ok", name, flush=True)
        return fn

    return wrap


def dynamodb_client(validate=True):
    """A boto3 DynamoDB client for the endpoint in ENDPOINT, one attempt per call. With `validate=False`
    boto3 skips its own parameter checks, so the server's checks are the ones that answer."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "dynamodb",
        endpoint_url=os.environ["ENDPOINT"],
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, parameter_validation=validate),
    )


def error_of(call, *args, **kw):
    """Calls `call(*args, **kw)`, which must fail with a ClientError; returns (code, message, response)."""
    from botocore.exceptions import ClientError

    try:
        call(*args, **kw)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"], e.response
    raise AssertionError("expected a ClientError")


def rejects(words, call, code="ValidationException", **kw):
    """Calls `call(**kw)` and asserts it fails with `code` and a message containing every one of `words`."""
    got, msg, _ = error_of(call, **kw)
    assert got == code, (got, msg)
    for w in words if isinstance(words, list) else [words]:
        assert w in msg, (w, msg)
    return msg


def S(v):
    """A string attribute value."""
    return {"S": v}


def N(v):
    """A number attribute value."""
    return {"N": str(v)}
