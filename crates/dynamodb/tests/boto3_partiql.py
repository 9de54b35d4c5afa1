"""PartiQL for DynamoDB (ExecuteStatement, BatchExecuteStatement, ExecuteTransaction) through boto3,
one documented or recorded rule per check: what each statement does to the table, and the errors
DynamoDB answers with (type, and the words clients match on).

Run by tests/tests.rs with ENDPOINT=http://127.0.0.1:<port>; prints one line per check and exits non-zero
on the first failure.
"""

from check_runner import N, S, check, dynamodb_client, error_of

client = dynamodb_client()


def run(statement, *params, **kw):
    if params:
        kw["Parameters"] = list(params)
    return client.execute_statement(Statement=statement, **kw)


client.create_table(
    TableName="Pql",
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    AttributeDefinitions=[
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
        {"AttributeName": "g", "AttributeType": "S"},
    ],
    GlobalSecondaryIndexes=[
        {"IndexName": "byg", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["shown"]}},
    ],
    BillingMode="PAY_PER_REQUEST",
)


def get(pk, sk):
    return client.get_item(TableName="Pql", Key={"pk": S(pk), "sk": S(sk)}, ConsistentRead=True).get("Item")


@check("INSERT writes the tuple as an item; a second INSERT of the key is DuplicateItemException (INSERT is not an upsert)")
def _():
    run("INSERT INTO \"Pql\" VALUE {'pk': 'a', 'sk': '1', 'n': 5, 'l': ['x', 'y'], 'm': {'k': 'v'}, 'ss': <<'p', 'q'>>}")
    item = get("a", "1")
    assert item["n"] == N(5) and item["l"] == {"L": [S("x"), S("y")]} and item["m"] == {"M": {"k": S("v")}}, item
    assert sorted(item["ss"]["SS"]) == ["p", "q"], item
    code, message, _ = error_of(client.execute_statement, Statement="INSERT INTO \"Pql\" VALUE {'pk': 'a', 'sk': '1', 'n': 6}")
    assert code == "DuplicateItemException", (code, message)
    assert get("a", "1")["n"] == N(5)


@check("SELECT keyed on the partition key reads that partition in sort order, with ? parameters and a filter")
def _():
    for sk in ["3", "2"]:
        run("INSERT INTO Pql VALUE {'pk': ?, 'sk': ?, 'n': ?}", S("a"), S(sk), N(int(sk) * 10))
    items = run("SELECT * FROM Pql WHERE pk = ?", S("a"))["Items"]
    assert [i["sk"]["S"] for i in items] == ["1", "2", "3"], items
    items = run("SELECT sk FROM Pql WHERE pk = 'a' AND n >= 20 ORDER BY sk DESC")["Items"]
    assert items == [{"sk": S("3")}, {"sk": S("2")}], items
    assert run("SELECT * FROM Pql WHERE pk = 'a' AND begins_with(sk, '2')")["Items"][0]["sk"] == S("2")


@check("SELECT without the partition key scans with the WHERE as filter; a nested path answers under its last name")
def _():
    items = run("SELECT m.k FROM Pql WHERE n = 5 AND l[1] = 'y'")["Items"]
    assert items == [{"k": S("v")}], items
    assert run("SELECT * FROM Pql WHERE n IS MISSING")["Items"] == []
    assert len(run("SELECT * FROM Pql WHERE NOT (n = 5 OR n = 20)")["Items"]) == 1


@check("Limit pages with NextToken; a token is refused on another index")
def _():
    first = run("SELECT * FROM Pql WHERE pk = 'a'", Limit=2)
    assert len(first["Items"]) == 2 and "NextToken" in first, first
    rest = run("SELECT * FROM Pql WHERE pk = 'a'", NextToken=first["NextToken"])
    assert [i["sk"]["S"] for i in rest["Items"]] == ["3"], rest
    code, _, _ = error_of(client.execute_statement, Statement="SELECT * FROM \"Pql\".\"byg\" WHERE g = 'x'", NextToken=first["NextToken"])
    assert code == "ValidationException", code


@check("UPDATE needs the whole key, must find the item (not an upsert), and RETURNING shapes Items")
def _():
    out = run("UPDATE Pql SET n = n + 1 SET tag = 'new' REMOVE l WHERE pk = 'a' AND sk = '1' RETURNING MODIFIED NEW *")
    assert out["Items"] == [{"n": N(6), "tag": S("new")}], out
    item = get("a", "1")
    assert "l" not in item and item["n"] == N(6), item
    code, message, _ = error_of(client.execute_statement, Statement="UPDATE Pql SET n = 1 WHERE pk = 'a'")
    assert code == "ValidationException" and "mandatory equality on all key attributes" in message, message
    code, _, _ = error_of(client.execute_statement, Statement="UPDATE Pql SET n = 1 WHERE pk = 'zz' AND sk = '1'")
    assert code == "ConditionalCheckFailedException", code
    assert get("zz", "1") is None
    code, _, _ = error_of(client.execute_statement, Statement="UPDATE Pql SET n = 1 WHERE pk = 'a' AND sk = '1' AND n = 999")
    assert code == "ConditionalCheckFailedException", code


@check("DELETE with a false non-key predicate fails and keeps the item; on a missing key it is a no-op")
def _():
    code, _, _ = error_of(client.execute_statement, Statement="DELETE FROM Pql WHERE pk = 'a' AND sk = '2' AND n = 1")
    assert code == "ConditionalCheckFailedException", code
    assert get("a", "2") is not None
    assert run("DELETE FROM Pql WHERE pk = 'none' AND sk = '0' AND n = 1")["Items"] == []
    out = run("DELETE FROM Pql WHERE pk = 'a' AND sk = '2' RETURNING ALL OLD *")
    assert out["Items"][0]["n"] == N(20), out
    assert get("a", "2") is None
    code, message, _ = error_of(client.execute_statement, Statement="DELETE FROM Pql WHERE pk = 'a' AND sk = '3' RETURNING ALL NEW *")
    assert code == "ValidationException", code
    assert message == "Invalid returning clause: RETURNING ALL NEW *. Only RETURNING ALL OLD * is allowed in DELETE statements.", message


@check("malformed statements, missing tables, FROM paths and unordered operands are refused as DynamoDB words them")
def _():
    code, message, _ = error_of(client.execute_statement, Statement="SELECTT * FROMM Pql")
    assert code == "ValidationException" and message.startswith("Statement wasn't well formed, can't be processed"), message
    assert error_of(client.execute_statement, Statement="SELECT * FROM nope WHERE pk = 'a'")[0] == "ResourceNotFoundException"
    message = error_of(client.execute_statement, Statement="SELECT * FROM a.b.c")[1]
    assert message == "A path may contain at most 2 components in the FROM clause", message
    message = error_of(client.execute_statement, Statement="SELECT * FROM \"\" WHERE pk = 'x'")[1]
    assert message == "Path component cannot be an empty string", message
    message = error_of(client.execute_statement, Statement="SELECT * FROM nope WHERE pk = 'a' AND n < ?", Parameters=[{"BOOL": True}])[1]
    assert message == "Incorrect operand type for operator or function; operator or function: <, operand type: BOOL", message
    message = error_of(client.execute_statement, Statement="SELECT * FROM Pql WHERE pk = ?")[1]
    assert "Number of parameters in request and statement don't match" in message, message


@check("an index read may not name what a GSI does not project, nor read it strongly consistently")
def _():
    run("INSERT INTO Pql VALUE {'pk': 'i', 'sk': '1', 'g': 'x', 'shown': 's', 'hidden': 'h'}")
    assert run("SELECT shown FROM \"Pql\".\"byg\" WHERE g = 'x'")["Items"] == [{"shown": S("s")}]
    message = error_of(client.execute_statement, Statement="SELECT hidden FROM \"Pql\".\"byg\" WHERE g = 'x'")[1]
    assert message == "One or more parameter values were invalid: Global secondary index byg does not project [hidden]", message
    message = error_of(client.execute_statement, Statement="SELECT pk FROM \"Pql\".\"byg\" WHERE g = 'x' AND hidden = 'h'")[1]
    assert "Secondary index byg does not project one or more filter attributes: [hidden]" in message, message
    message = error_of(client.execute_statement, Statement="SELECT * FROM \"Pql\".\"byg\" WHERE g = 'x'", ConsistentRead=True)[1]
    assert message == "Strongly consistent read is not supported on Global Secondary Indexes", message


@check("BatchExecuteStatement answers each member on its own, errors as entries with DynamoDB's codes")
def _():
    out = client.batch_execute_statement(Statements=[
        {"Statement": "SELECT * FROM Pql WHERE pk = 'a' AND sk = '1'"},
        {"Statement": "SELECT * FROM Pql WHERE pk = 'a'"},
        {"Statement": "SLECT * FROM Pql"},
        {"Statement": "INSERT INTO Pql VALUE {'pk': 'a', 'sk': '1'}"},
        {"Statement": "INSERT INTO Pql VALUE {'pk': 'b', 'sk': '1'}"},
    ], ReturnConsumedCapacity="TOTAL")["Responses"]
    assert out[0]["Item"]["tag"] == S("new") and out[0]["TableName"] == "Pql", out[0]
    assert out[1]["Error"]["Code"] == "ValidationError" and "must specify the primary key" in out[1]["Error"]["Message"], out[1]
    assert out[2]["Error"] == {"Code": "ValidationError", "Message": "Statement wasn't well formed, can't be processed: Expected data manipulation"}, out[2]
    assert out[3]["Error"]["Code"] == "DuplicateItem" and out[3]["TableName"] == "Pql", out[3]
    assert "Error" not in out[4] and get("b", "1") is not None, out[4]


@check("ExecuteTransaction applies all writes or none, reads as a transaction, and refuses RETURNING and index reads")
def _():
    code, _, _ = error_of(client.execute_transaction, TransactStatements=[
        {"Statement": "INSERT INTO Pql VALUE {'pk': 't', 'sk': '1'}"},
        {"Statement": "INSERT INTO Pql VALUE {'pk': 'a', 'sk': '1'}"},
    ])
    assert code == "TransactionCanceledException", code
    assert get("t", "1") is None, "the first write was rolled back"
    written = client.execute_transaction(TransactStatements=[
        {"Statement": "INSERT INTO Pql VALUE {'pk': 't', 'sk': '1'}"},
        {"Statement": "UPDATE Pql SET n = 100 WHERE pk = 'a' AND sk = '1'"},
    ])
    # AWS (recorded): a write transaction answers an empty Responses list.
    assert written["Responses"] == [], written
    assert get("t", "1") is not None and get("a", "1")["n"] == N(100)
    out = client.execute_transaction(TransactStatements=[
        {"Statement": "SELECT n FROM Pql WHERE pk = 'a' AND sk = '1'"},
        {"Statement": "SELECT * FROM Pql WHERE pk = 'gone' AND sk = '1'"},
    ])["Responses"]
    assert out[0]["Item"] == {"n": N(100)} and "Item" not in out[1], out
    message = error_of(client.execute_transaction, TransactStatements=[
        {"Statement": "UPDATE Pql SET n = 1 WHERE pk = 'a' AND sk = '1' RETURNING ALL NEW *"}])[1]
    assert message == "Validation failed in TransactStatements[0]: RETURNING clause is not supported in ExecuteTransaction.", message
    message = error_of(client.execute_transaction, TransactStatements=[
        {"Statement": "SELECT * FROM \"Pql\".\"byg\" WHERE g = 'x'"}])[1]
    assert message == "Validation failed in TransactStatements[0]: Reads on indices are not supported within transactions.", message


print("all checks passed")
