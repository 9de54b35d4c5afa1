"""Contributor Insights status as DynamoDB answers it: DISABLED until enabled, ENABLING/DISABLING in
UpdateContributorInsights' answer, the rule names and modes, and the errors, from ack-api-quirks'
recordings against DynamoDB (DDB-TABLE-090, 092, 098, 116) and the AWS CLI's documented example.
One documented rule per check.

Run by tests/tests.rs with ENDPOINT=http://127.0.0.1:<port>; prints one line per check and exits non-zero
on the first failure.
"""

from check_runner import check, dynamodb_client, rejects

client = dynamodb_client()

client.create_table(
    TableName="Hot",
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                          {"AttributeName": "g", "AttributeType": "S"},
                          {"AttributeName": "gs", "AttributeType": "S"}],
    GlobalSecondaryIndexes=[{"IndexName": "byG",
                             "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                           {"AttributeName": "gs", "KeyType": "RANGE"}],
                             "Projection": {"ProjectionType": "KEYS_ONLY"}}],
    BillingMode="PAY_PER_REQUEST",
)


@check("a table without insights: its name and DISABLED, nothing else; the list is empty")
def _():
    d = client.describe_contributor_insights(TableName="Hot")
    d.pop("ResponseMetadata")
    assert d == {"TableName": "Hot", "ContributorInsightsStatus": "DISABLED"}, d
    assert client.list_contributor_insights()["ContributorInsightsSummaries"] == []


@check("ENABLE answers ENABLING with the default mode; Describe then says ENABLED with PKC/PKT rules")
def _():
    u = client.update_contributor_insights(TableName="Hot", ContributorInsightsAction="ENABLE")
    assert u["ContributorInsightsStatus"] == "ENABLING", u
    assert u["ContributorInsightsMode"] == "ACCESSED_AND_THROTTLED_KEYS", u
    d = client.describe_contributor_insights(TableName="Hot")
    assert d["ContributorInsightsStatus"] == "ENABLED", d
    kinds = [r.split("-")[1] for r in d["ContributorInsightsRuleList"]]
    assert kinds == ["PKC", "PKT"], d
    assert all(r.startswith("DynamoDBContributorInsights-") and "-Hot-" in r
               for r in d["ContributorInsightsRuleList"]), d
    assert "LastUpdateDateTime" in d, d


@check("THROTTLED_KEYS keeps only the throttled rules; a sort key adds SKT; an index is its own entry")
def _():
    client.update_contributor_insights(TableName="Hot", IndexName="byG", ContributorInsightsAction="ENABLE",
                                       ContributorInsightsMode="THROTTLED_KEYS")
    d = client.describe_contributor_insights(TableName="Hot", IndexName="byG")
    assert d["IndexName"] == "byG" and d["ContributorInsightsMode"] == "THROTTLED_KEYS", d
    assert [r.split("-")[1] for r in d["ContributorInsightsRuleList"]] == ["PKT", "SKT"], d
    assert "-Hot-byG-" in d["ContributorInsightsRuleList"][0], d
    listed = client.list_contributor_insights(TableName="Hot")["ContributorInsightsSummaries"]
    assert {s.get("IndexName", "") for s in listed} == {"", "byG"}, listed
    assert all(s["ContributorInsightsStatus"] == "ENABLED" for s in listed), listed


@check("DISABLE answers DISABLING; Describe then says DISABLED")
def _():
    u = client.update_contributor_insights(TableName="Hot", ContributorInsightsAction="DISABLE")
    assert u["ContributorInsightsStatus"] == "DISABLING", u
    d = client.describe_contributor_insights(TableName="Hot")
    assert d["ContributorInsightsStatus"] == "DISABLED" and "ContributorInsightsRuleList" not in d, d
    assert len(client.list_contributor_insights()["ContributorInsightsSummaries"]) == 1


@check("a missing table or index is ResourceNotFoundException")
def _():
    for call, extra in ((client.describe_contributor_insights, {}),
                        (client.update_contributor_insights, {"ContributorInsightsAction": "ENABLE"})):
        rejects("Requested resource not found: Table: Cold not found", call,
                code="ResourceNotFoundException", TableName="Cold", **extra)
        rejects("Requested resource not found: Index: nope not found for table: Hot", call,
                code="ResourceNotFoundException", TableName="Hot", IndexName="nope", **extra)


print("all checks passed")
