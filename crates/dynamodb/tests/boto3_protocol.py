"""The services endpoint's HTTP front end, as DynamoDB's answers it: oversized request lines and
header blocks get 400 Bad Request; a body that is not JSON is a SerializationException that says
where the parser stopped.

Run by crates/cli/tests/e2e/services.rs with ENDPOINT=http://127.0.0.1:<port> (the real binary).
Each check raises on failure; the script prints one line per check.
"""

import http.client
import json
import os
import sys
from urllib.parse import urlparse

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from check_runner import check

ENDPOINT = os.environ["ENDPOINT"]
URL = urlparse(ENDPOINT)
KW = dict(
    endpoint_url=ENDPOINT,
    region_name="us-east-1",
    aws_access_key_id="test",
    aws_secret_access_key="test",
    config=Config(retries={"max_attempts": 1}),
)


def raw(method, path, body=b"", headers=None):
    """One request on a fresh connection; returns (status, body bytes)."""
    conn = http.client.HTTPConnection(URL.hostname, URL.port, timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        if body:
            conn.send(body)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


DDB_HEADERS = {
    "Content-Type": "application/x-amz-json-1.0",
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
}


@check("a well-formed raw request is answered (the baseline for the checks below)")
def baseline():
    status, body = raw("POST", "/", b"{}", DDB_HEADERS)
    assert status == 200, (status, body)
    assert "TableNames" in json.loads(body), body


@check("an oversized header sent by boto3 gets 400, as DynamoDB's front end answers")
def oversized_header_from_boto3():
    client = boto3.client("dynamodb", **KW)

    def add_big_header(request, **_):
        request.headers["X-Padding"] = "x" * (1024 * 1024)

    client.meta.events.register("before-send.dynamodb.ListTables", add_big_header)
    try:
        client.list_tables()
    except ClientError as e:
        status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        assert status == 400, e.response
    else:
        raise AssertionError("a 1 MB header was accepted")


@check("too many headers get 400")
def too_many_headers():
    headers = dict(DDB_HEADERS)
    for i in range(300):
        headers[f"X-Extra-{i}"] = "v"
    status, _ = raw("POST", "/", b"{}", headers)
    assert status == 400, status


@check("an oversized request line gets 400")
def oversized_request_line():
    status, _ = raw("POST", "/" + "a" * 70000, b"{}", DDB_HEADERS)
    assert status == 400, status


@check("a body that is not JSON is a SerializationException saying where")
def malformed_json_says_where():
    for body, column in [(b'{"TableName": "T",}', 19), (b'{"TableName" "T"}', 14), (b"{not json", 2)]:
        status, text = raw("POST", "/", body, DDB_HEADERS)
        assert status == 400, (status, text)
        error = json.loads(text)
        assert error["__type"] == "com.amazon.coral.service#SerializationException", error
        assert f"line 1, column {column}" in error["message"], (body, error)


@check("boto3 still works on the endpoint afterwards")
def still_serving():
    boto3.client("dynamodb", **KW).list_tables()


print("all checks passed")
sys.exit(0)
