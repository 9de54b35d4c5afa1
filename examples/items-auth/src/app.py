"""The Items API with users: the gateway authenticates, the handler authorizes by group.

API Gateway's Cognito authorizer has already checked the token when this runs; its claims arrive in
`requestContext.authorizer.claims`, every value a string (`cognito:groups` is `admin` or
`admin,users`).
"""

import json
import uuid

import boto3

table = boto3.resource("dynamodb").Table("AuthItems")


def response(status_code, body):
    return {
        "statusCode": status_code,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body) if body is not None else "",
    }


def groups(event):
    claims = (event["requestContext"].get("authorizer") or {}).get("claims") or {}
    return [g for g in claims.get("cognito:groups", "").split(",") if g]


def lambda_handler(event, context):
    method, path = event["httpMethod"], event["path"]
    if method == "GET" and path in ("/items", "/partner/items"):
        return response(200, table.scan()["Items"])
    if method == "POST" and path == "/items":
        claims = event["requestContext"]["authorizer"]["claims"]
        item = {"id": str(uuid.uuid4()), "owner": claims["cognito:username"], **json.loads(event.get("body") or "{}")}
        table.put_item(Item=item)
        return response(201, item)
    if method == "DELETE" and path.startswith("/items/"):
        if "admin" not in groups(event):
            return response(403, {"error": "admins only"})
        table.delete_item(Key={"id": path.split("/")[-1]})
        return response(204, None)
    return response(404, {"error": "Not found"})
