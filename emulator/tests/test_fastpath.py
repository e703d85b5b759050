"""core/fastpath.py: DynamoDB's and Kinesis's JSON calls served without
Flask answer exactly as through Flask. Two live emulators, seeded alike:
the one under test and a reference with `STREAMKIT_EMULATOR_FAST_PATH=0`;
the same signed requests go to both, one after the other, and every answer
(status, headers, body) must be the same, apart from the HTTP date and
values AWS defines as times (moto writes the clock into them).

What the answers follow: "DynamoDB low-level API" (the JSON protocol's
`X-Amz-Target`, `x-amzn-RequestId`, `x-amz-crc32`, error `__type`) and the
Kinesis API Reference's common errors, as moto writes them."""
from __future__ import annotations

import base64
import http.client
import json
import urllib.parse
import urllib.request

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import assumed_role_session, server_pair

from streamkit_emulator.core import fastpath

TIMES = {"CreationDateTime", "ApproximateArrivalTimestamp", "StreamCreationTimestamp",
         "LastIncreaseDateTime", "LastDecreaseDateTime", "LastUpdateToPayPerRequestDateTime"}
ADMIN = Credentials("testing", "testing")


@pytest.fixture(scope="module")
def servers():
    yield from server_pair("STREAMKIT_EMULATOR_FAST_PATH", 42)


def _send(url: str, service: str, target: str, body: dict, creds: Credentials = ADMIN,
          extra: dict | None = None, content_type: str | None = None):
    version = "1.0" if service == "dynamodb" else "1.1"
    data = json.dumps(body).encode()
    headers = {"Content-Type": content_type or f"application/x-amz-json-{version}", "X-Amz-Target": target}
    headers.update(extra or {})
    request = AWSRequest("POST", url + "/", data=data, headers=headers)
    SigV4Auth(creds, service, "us-east-1").add_auth(request)
    netloc = urllib.parse.urlsplit(url).netloc
    connection = http.client.HTTPConnection(netloc, timeout=30)
    connection.request("POST", "/", body=data, headers=dict(request.headers.items()))
    answer = connection.getresponse()
    out = answer.status, [(k.lower(), v) for k, v in answer.getheaders()], answer.read()
    connection.close()
    return out


def _mask(value):
    if isinstance(value, dict):
        return {k: ("<time>" if k in TIMES else _mask(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


def _same(answers):
    """Both emulators' answers to one request, compared; returns the parsed body."""
    (s1, h1, b1), (s2, h2, b2) = answers
    assert s1 == s2, (s1, s2, b1, b2)
    if "json" not in dict(h1).get("content-type", "") and not b1.startswith(b"{"):
        assert b1 == b2
        d1 = b1
    else:
        d1, d2 = json.loads(b1 or b"{}"), json.loads(b2 or b"{}")
        assert _mask(d1) == _mask(d2)
    drop = {"date"} | ({"x-amz-crc32", "content-length"} if b1 != b2 else set())
    assert [h for h in h1 if h[0] not in drop] == [h for h in h2 if h[0] not in drop]
    return s1, dict(h1), d1


def both(servers, *args, **kwargs):
    return _same([_send(url, *args, **kwargs) for url in servers])


D = "DynamoDB_20120810."
K = "Kinesis_20131202."


def test_dynamodb_answers_are_flask_s(servers):
    key = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}]
    status, headers, created = both(servers, "dynamodb", D + "CreateTable", {
        "TableName": "fp", "KeySchema": key, "AttributeDefinitions": attrs, "BillingMode": "PAY_PER_REQUEST"})
    assert status == 200 and created["TableDescription"]["TableName"] == "fp"
    assert headers["content-type"] == "application/x-amz-json-1.0" and len(headers["x-amzn-requestid"]) == 52
    item = {"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"N": "3"}, "tags": {"SS": ["x", "y"]}}
    assert both(servers, "dynamodb", D + "PutItem", {"TableName": "fp", "Item": item})[2] == {}
    cond = {"TableName": "fp", "Item": dict(item, v={"N": "4"}),
            "ConditionExpression": "attribute_not_exists(pk) OR v < :v", "ExpressionAttributeValues": {":v": {"N": "4"}}}
    assert both(servers, "dynamodb", D + "PutItem", cond)[0] == 200
    status, _, refused = both(servers, "dynamodb", D + "PutItem", dict(cond, ReturnValuesOnConditionCheckFailure="ALL_OLD"))
    assert status == 400 and refused["__type"].endswith("ConditionalCheckFailedException")
    got = both(servers, "dynamodb", D + "GetItem", {"TableName": "fp", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
                                                     "ReturnConsumedCapacity": "TOTAL"})[2]
    assert got["Item"]["v"] == {"N": "4"} and "ConsumedCapacity" in got
    both(servers, "dynamodb", D + "BatchWriteItem", {"RequestItems": {"fp": [
        {"PutRequest": {"Item": {"pk": {"S": "a"}, "sk": {"N": str(i)}}}} for i in range(2, 12)]}})
    queried = both(servers, "dynamodb", D + "Query", {
        "TableName": "fp", "KeyConditionExpression": "pk = :p AND sk > :s",
        "ExpressionAttributeValues": {":p": {"S": "a"}, ":s": {"N": "3"}}, "Limit": 4})[2]
    assert queried["Count"] == 4 and "LastEvaluatedKey" in queried
    both(servers, "dynamodb", D + "UpdateItem", {
        "TableName": "fp", "Key": {"pk": {"S": "a"}, "sk": {"N": "2"}}, "UpdateExpression": "ADD n :one",
        "ExpressionAttributeValues": {":one": {"N": "1"}}, "ReturnValues": "ALL_NEW"})
    status, _, cancelled = both(servers, "dynamodb", D + "TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": "fp", "Item": {"pk": {"S": "b"}, "sk": {"N": "1"}}}},
        {"ConditionCheck": {"TableName": "fp", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
                            "ConditionExpression": "v = :w", "ExpressionAttributeValues": {":w": {"N": "9"}}}}]})
    assert status == 400 and "TransactionCanceled" in cancelled["__type"]
    assert both(servers, "dynamodb", D + "DeleteItem", {"TableName": "fp", "Key": {"pk": {"S": "a"}, "sk": {"N": "5"}},
                                                        "ReturnValues": "ALL_OLD"})[2]["Attributes"]
    assert both(servers, "dynamodb", D + "DescribeTable", {"TableName": "fp"})[2]["Table"]["ItemCount"] >= 1
    for bad in ({"TableName": "missing", "Key": {"pk": {"S": "a"}}},
                {"TableName": "fp", "Key": {"pk": {"S": "a"}}}):  # half a key
        assert both(servers, "dynamodb", D + "GetItem", bad)[0] == 400
    big = {"TableName": "fp", "Item": {"pk": {"S": "c"}, "sk": {"N": "1"}, "blob": {"S": "x" * 410_000}}}
    assert "ValidationException" in both(servers, "dynamodb", D + "PutItem", big)[2]["__type"]
    both(servers, "dynamodb", D + "NoSuchOperation", {})


def test_kinesis_answers_are_flask_s(servers):
    assert both(servers, "kinesis", K + "CreateStream", {"StreamName": "fp", "ShardCount": 2})[0] == 200
    summary = both(servers, "kinesis", K + "DescribeStreamSummary", {"StreamName": "fp"})[2]
    assert summary["StreamDescriptionSummary"]["OpenShardCount"] == 2
    put = both(servers, "kinesis", K + "PutRecord", {"StreamName": "fp", "Data": "aGk=", "PartitionKey": "k"})[2]
    assert put["ShardId"].startswith("shardId-")
    records = [{"Data": "eA==", "PartitionKey": f"k{i}"} for i in range(30)]
    assert both(servers, "kinesis", K + "PutRecords", {"StreamName": "fp", "Records": records})[2]["FailedRecordCount"] == 0
    shards = both(servers, "kinesis", K + "ListShards", {"StreamName": "fp"})[2]["Shards"]
    iterators = [both(servers, "kinesis", K + "GetShardIterator", {
        "StreamName": "fp", "ShardId": s["ShardId"], "ShardIteratorType": "TRIM_HORIZON"})[2] for s in shards]
    # Iterators name the time they were made: each emulator reads its own.
    got = [[_send(url, "kinesis", K + "GetRecords", {"ShardIterator": _iterator(url, s["ShardId"])})
            for s in shards] for url in servers]
    for (s1, _, b1), (s2, _, b2) in zip(*got):
        assert s1 == s2 == 200
        r1, r2 = json.loads(b1)["Records"], json.loads(b2)["Records"]
        assert _mask(r1) == _mask(r2) and r1
    assert iterators
    assert both(servers, "kinesis", K + "PutRecord", {"StreamName": "missing", "Data": "aGk=", "PartitionKey": "k"})[0] == 400
    assert both(servers, "kinesis", K + "PutRecord", {"StreamName": "fp", "Data": base64.b64encode(b"x" * 1_100_000).decode(), "PartitionKey": "k"})[0] == 400


def _iterator(url, shard):
    return json.loads(_send(url, "kinesis", K + "GetShardIterator", {
        "StreamName": "fp", "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"})[2])["ShardIterator"]


def test_denials_are_flask_s(servers):
    """A session whose role may only GetItem is denied PutItem alike ("Policy
    evaluation logic", IAM User Guide), through both paths."""
    sessions = [assumed_role_session(url, "fp-reader", ["dynamodb:GetItem"]) for url in servers]
    body = {"TableName": "fp", "Item": {"pk": {"S": "z"}, "sk": {"N": "1"}}}
    answers = [_send(url, "dynamodb", D + "PutItem", body, creds=creds) for url, creds in zip(servers, sessions)]
    status, headers, denied = _same([(s, h, b.replace(c.access_key.encode(), b"<key>"))
                                     for (s, h, b), c in zip(answers, sessions)])
    assert status == 400 and "AccessDenied" in denied["__type"]
    assert headers["content-type"] == "application/json" and headers["x-amzn-errortype"] == "AccessDeniedException"


def test_what_the_fast_path_leaves_to_flask():
    base = {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "HTTP_HOST": "h", "CONTENT_TYPE": "application/x-amz-json-1.0",
            "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.PutItem"}
    assert fastpath.eligible(base)
    assert fastpath.eligible(dict(base, CONTENT_TYPE="application/x-amz-json-1.1", HTTP_X_AMZ_TARGET=K + "PutRecords"))
    for change in ({"HTTP_ORIGIN": "http://x"}, {"HTTP_CONTENT_ENCODING": "gzip"}, {"QUERY_STRING": "a=1"},
                   {"REQUEST_METHOD": "GET"}, {"PATH_INFO": "/x"}, {"CONTENT_TYPE": "application/cbor"},
                   {"HTTP_X_AMZ_TARGET": "DynamoDBStreams_20120810.GetRecords"}, {"HTTP_X_AMZ_TARGET": "AmazonSQS.SendMessage"},
                   {"wsgi.input_terminated": True}):
        assert not fastpath.eligible(dict(base, **change)), change


def test_cors_requests_answer_alike(servers):
    """A request with an Origin header goes through Flask (flask-cors answers
    it) on both."""
    body = {"TableName": "fp", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}}
    status, headers, got = both(servers, "dynamodb", D + "GetItem", body, extra={"Origin": "http://localhost:3000"})
    assert status == 200 and got["Item"]["pk"] == {"S": "a"}
    assert headers["access-control-allow-origin"] == "http://localhost:3000"


def test_the_url_is_werkzeug_s():
    from flask.wrappers import Request

    base = {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "SCRIPT_NAME": "", "QUERY_STRING": "",
            "wsgi.url_scheme": "http", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "4566"}
    for host in ("127.0.0.1:4566", "localhost", "localhost:80", "dynamodb.us-east-1.amazonaws.com",
                 "LocalHost:8000", "xn--bcher-kva.example:4566", "[::1]:4566", "h_x:1"):
        environ = dict(base, HTTP_HOST=host)
        fast = fastpath.url(environ)
        assert fast is None or fast == Request(environ).url, host
    assert fastpath.url(dict(base, HTTP_HOST="127.0.0.1:4566")) == "http://127.0.0.1:4566/"
    assert fastpath.url(dict(base, HTTP_HOST="localhost:80")) == "http://localhost/"
    for change in ({"wsgi.url_scheme": "https"}, {"SCRIPT_NAME": "/x"}, {"HTTP_HOST": "xn--bcher-kva.example"}):
        assert fastpath.url(dict(base, HTTP_HOST="h", **change) if "HTTP_HOST" not in change
                            else dict(base, **change)) is None
