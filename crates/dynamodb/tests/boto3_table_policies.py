"""Resource-based policies of tables and streams as DynamoDB answers them: RevisionIds, the
ExpectedRevisionId rules, the ResourceArn forms, the document checks and CreateTable's ResourcePolicy.
Words from moto's aws_verified tests (run against DynamoDB) and ack-api-quirks' recordings
(DDB-TABLE-205, 211, 212, 213). One documented rule per check.

Run by tests/tests.rs with ENDPOINT=http://127.0.0.1:<port>; prints one line per check and exits non-zero
on the first failure.
"""

import json

from check_runner import check, dynamodb_client, error_of, rejects

client = dynamodb_client()

HASH_ONLY = dict(
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    BillingMode="PAY_PER_REQUEST",
)


def create(name, **extra):
    client.create_table(TableName=name, **HASH_ONLY, **extra)
    return client.describe_table(TableName=name)["Table"]


def doc(action, resource="*"):
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": [action],
            "Resource": resource,
        }],
    })


ARN = create("Policied")["TableArn"]


def not_found_prefix():
    return "Resource-based policy not found for the provided ResourceArn: "


@check("a table without a policy: Get is PolicyNotFoundException naming the ARN, Delete an empty 200")
def _():
    code, msg, _ = error_of(client.get_resource_policy, ResourceArn=ARN)
    assert code == "PolicyNotFoundException", code
    assert msg == not_found_prefix() + ARN, msg
    resp = client.delete_resource_policy(ResourceArn=ARN)
    assert "RevisionId" not in resp, resp


@check("Put answers a RevisionId (epoch milliseconds) that Get returns with the document, whitespace dropped")
def _():
    rev = client.put_resource_policy(ResourceArn=ARN, Policy=doc("dynamodb:*"))["RevisionId"]
    assert rev.isdigit() and len(rev) == 13, rev
    got = client.get_resource_policy(ResourceArn=ARN)
    assert got["RevisionId"] == rev, got
    assert json.loads(got["Policy"]) == json.loads(doc("dynamodb:*")), got
    assert " " not in got["Policy"], got


@check("the same document again keeps its RevisionId; a different one gets a greater one")
def _():
    first = client.put_resource_policy(ResourceArn=ARN, Policy=doc("dynamodb:*"))["RevisionId"]
    pretty = json.dumps(json.loads(doc("dynamodb:*")), indent=4)
    assert client.put_resource_policy(ResourceArn=ARN, Policy=pretty)["RevisionId"] == first
    second = client.put_resource_policy(ResourceArn=ARN, Policy=doc("dynamodb:PutItem"))["RevisionId"]
    assert second != first and second > first, (first, second)


@check("ExpectedRevisionId: the current one is accepted, a former one or NO_POLICY is PolicyNotFoundException")
def _():
    current = client.get_resource_policy(ResourceArn=ARN)["RevisionId"]
    new = client.put_resource_policy(ResourceArn=ARN, Policy=doc("dynamodb:GetItem"),
                                     ExpectedRevisionId=current)["RevisionId"]
    code, msg, _ = error_of(client.put_resource_policy, ResourceArn=ARN, Policy=doc("dynamodb:Query"),
                            ExpectedRevisionId=current)
    assert code == "PolicyNotFoundException", code
    assert msg == (not_found_prefix() + f"Requested update for policy with revision id {current}, but the "
                   f"policy associated to target table Policied has revision id {new}."), msg
    code, msg, _ = error_of(client.put_resource_policy, ResourceArn=ARN, Policy=doc("dynamodb:Query"),
                            ExpectedRevisionId="NO_POLICY")
    assert code == "PolicyNotFoundException", code
    assert msg == (not_found_prefix() + "Requested policy update expecting none to be present for table "
                   f"Policied, but a policy exists with revision id {new}."), msg
    code, msg, _ = error_of(client.delete_resource_policy, ResourceArn=ARN, ExpectedRevisionId="unknown")
    assert code == "PolicyNotFoundException", code
    assert "Requested update for policy with revision id unknown" in msg, msg
    assert client.get_resource_policy(ResourceArn=ARN)["RevisionId"] == new


@check("Delete answers the removed RevisionId; Get is PolicyNotFoundException after it")
def _():
    current = client.get_resource_policy(ResourceArn=ARN)["RevisionId"]
    resp = client.delete_resource_policy(ResourceArn=ARN, ExpectedRevisionId=current)
    assert resp["RevisionId"] == current, resp
    assert error_of(client.get_resource_policy, ResourceArn=ARN)[0] == "PolicyNotFoundException"


@check("NO_POLICY attaches when none is attached")
def _():
    rev = client.put_resource_policy(ResourceArn=ARN, Policy=doc("dynamodb:*"),
                                     ExpectedRevisionId="NO_POLICY")["RevisionId"]
    assert client.get_resource_policy(ResourceArn=ARN)["RevisionId"] == rev


@check("ResourceArn forms: a missing table is ResourceNotFoundException; a name, another account or region, an index ARN are ValidationException")
def _():
    for call in (client.get_resource_policy, client.delete_resource_policy):
        rejects("Requested resource not found: Table: Policied_ not found", call,
                code="ResourceNotFoundException", ResourceArn=ARN + "_")
    rejects("Requested resource not found: Table: Policiedx not found", client.put_resource_policy,
            code="ResourceNotFoundException", ResourceArn=ARN + "x", Policy=doc("dynamodb:*"))
    rejects("One or more parameter values were invalid: ARNs must start with 'arn:': Policied",
            client.get_resource_policy, ResourceArn="Policied")
    rejects("This action is only supported by accounts that match the resource owner",
            client.get_resource_policy, ResourceArn=ARN.replace("123456789012", "210987654321"))
    other_region = ARN.replace("us-east-1", "eu-west-1")
    rejects(f"One or more parameter values were invalid: Invalid resource Arn: {other_region}",
            client.get_resource_policy, ResourceArn=other_region)
    rejects("Invalid resource arn provided, only table or stream is accepted",
            client.get_resource_policy, ResourceArn=ARN + "/index/byX")
    rejects("Provided Arn is not a DynamoDB resource arn", client.get_resource_policy,
            ResourceArn=ARN + "/backup/01700000000000-abcdefgh")


@check("documents DynamoDB refuses are ValidationException, and leave the policy as it was")
def _():
    before = client.get_resource_policy(ResourceArn=ARN)["RevisionId"]
    rejects("Invalid policy document: This policy contains invalid Json",
            client.put_resource_policy, ResourceArn=ARN, Policy="{not json")
    rejects("Invalid policy document: Could not parse the policy: Statement is empty!",
            client.put_resource_policy, ResourceArn=ARN, Policy='{"Version":"2012-10-17","Statement":[]}')
    no_resource = json.loads(doc("dynamodb:*"))
    del no_resource["Statement"][0]["Resource"]
    rejects("Invalid policy document: Missing required field Resource",
            client.put_resource_policy, ResourceArn=ARN, Policy=json.dumps(no_resource))
    rejects("Maximum policy size of 20480 bytes exceeded",
            client.put_resource_policy, ResourceArn=ARN, Policy=doc("dynamodb:*") + " " * 20480)
    assert client.get_resource_policy(ResourceArn=ARN)["RevisionId"] == before


@check("a stream ARN is a policy slot of its own; a stream label the table never had is ResourceNotFoundException")
def _():
    t = create("Streamed", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    stream = t["LatestStreamArn"]
    rejects(not_found_prefix() + stream, client.get_resource_policy, code="PolicyNotFoundException",
            ResourceArn=stream)
    rev = client.put_resource_policy(ResourceArn=stream, Policy=doc("dynamodb:GetRecords", stream))["RevisionId"]
    assert client.get_resource_policy(ResourceArn=stream)["RevisionId"] == rev
    rejects(not_found_prefix() + t["TableArn"], client.get_resource_policy, code="PolicyNotFoundException",
            ResourceArn=t["TableArn"])
    bogus = t["TableArn"] + "/stream/2000-01-01T00:00:00.000"
    rejects("Requested resource not found: Stream: 2000-01-01T00:00:00.000 not found for Table: Streamed",
            client.get_resource_policy, code="ResourceNotFoundException", ResourceArn=bogus)
    assert client.delete_resource_policy(ResourceArn=stream)["RevisionId"] == rev


@check("CreateTable's ResourcePolicy is attached at once; a table re-created under the name has none")
def _():
    t = create("CreatedWith", ResourcePolicy=doc("dynamodb:GetItem"))
    got = client.get_resource_policy(ResourceArn=t["TableArn"])
    assert json.loads(got["Policy"]) == json.loads(doc("dynamodb:GetItem")), got
    assert got["RevisionId"].isdigit(), got
    rejects("Invalid policy document: This policy contains invalid Json", client.create_table,
            TableName="CreatedBad", ResourcePolicy="nope", **HASH_ONLY)
    client.delete_table(TableName="CreatedWith")
    create("CreatedWith")
    assert error_of(client.get_resource_policy, ResourceArn=t["TableArn"])[0] == "PolicyNotFoundException"


print("all checks passed")
