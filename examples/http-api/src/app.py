import json


def notes(event, context):
    """GET /notes/{id} and POST /notes on an HTTP API (payload 2.0)."""
    method = event["requestContext"]["http"]["method"]
    greeting = (event.get("stageVariables") or {}).get("greeting", "Hi")
    if method == "POST":
        note = json.loads(event.get("body") or "{}")
        # With a statusCode, the response is used as given; cookies become Set-Cookie headers.
        return {
            "statusCode": 201,
            "headers": {"content-type": "application/json"},
            "cookies": ["last-note=" + str(note.get("id", "new")) + "; Path=/"],
            "body": json.dumps({"created": note}),
        }
    note_id = event["pathParameters"]["id"]
    # No statusCode: API Gateway infers 200 with this object as the JSON body.
    return {"id": note_id, "text": f"{greeting}, note {note_id}", "cookies": event.get("cookies", [])}


def fallback(event, context):
    """The $default route: whatever no other route matched."""
    return {"statusCode": 404, "body": f"nothing at {event['rawPath']}"}
