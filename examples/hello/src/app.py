import json
import os


def lambda_handler(event, context):
    name = (event.get("pathParameters") or {}).get("name") or "world"
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"message": f"{os.environ['GREETING']}, {name}!"}),
    }
