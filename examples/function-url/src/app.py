import base64
import json


def handler(event, context):
    """Echo what the Function URL received (payload 2.0)."""
    body = event.get("body")
    if body is not None and event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode("utf-8", "replace")
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(
            {
                "method": event["requestContext"]["http"]["method"],
                "path": event["rawPath"],
                "query": event.get("queryStringParameters") or {},
                "body": body,
                "accountId": event["requestContext"]["accountId"],
                "requestId": context.aws_request_id,
            }
        ),
    }
