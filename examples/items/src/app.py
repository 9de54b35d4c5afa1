"""The Items API: list, create, read and delete items in a DynamoDB table.

The handler routes on the proxy event's method and path itself, as the article's design does, and
reaches DynamoDB through boto3 with no endpoint or region in the code: on AWS that is the real
service; under Sluice it is Sluice's own endpoint, configured through the environment.
"""

import json
import uuid
from decimal import Decimal

import boto3

dynamodb = boto3.resource("dynamodb")
table = dynamodb.Table("Items")


class DecimalEncoder(json.JSONEncoder):
    """DynamoDB numbers come back as Decimal; JSON wants ints and floats."""

    def default(self, obj):
        if isinstance(obj, Decimal):
            return int(obj) if obj == obj.to_integral_value() else float(obj)
        return super().default(obj)


def response(status_code, body):
    return {
        "statusCode": status_code,
        "headers": {
            "Content-Type": "application/json",
            "Access-Control-Allow-Origin": "*",
        },
        "body": json.dumps(body, cls=DecimalEncoder) if body is not None else "",
    }


def get_all_items():
    result = table.scan()
    items = result["Items"]
    while "LastEvaluatedKey" in result:
        result = table.scan(ExclusiveStartKey=result["LastEvaluatedKey"])
        items.extend(result["Items"])
    return items


def get_item(item_id):
    return table.get_item(Key={"id": item_id}).get("Item")


def create_item(data):
    item = {"id": str(uuid.uuid4()), **data}
    table.put_item(Item=item)
    return item


def delete_item(item_id):
    table.delete_item(Key={"id": item_id})


def lambda_handler(event, context):
    http_method = event["httpMethod"]
    path = event["path"]
    try:
        # boto3 stores numbers as Decimal; floats would be rejected.
        body = json.loads(event.get("body") or "{}", parse_float=Decimal)
    except json.JSONDecodeError:
        return response(400, {"error": "Body is not valid JSON"})

    if http_method == "GET" and path == "/items":
        return response(200, get_all_items())

    if http_method == "GET" and path.startswith("/items/"):
        item = get_item(path.split("/")[-1])
        if not item:
            return response(404, {"error": "Not found"})
        return response(200, item)

    if http_method == "POST" and path == "/items":
        if not isinstance(body, dict):
            return response(400, {"error": "Body must be a JSON object"})
        return response(201, create_item(body))

    if http_method == "DELETE" and path.startswith("/items/"):
        delete_item(path.split("/")[-1])
        return response(204, None)

    return response(404, {"error": "Route not found"})
