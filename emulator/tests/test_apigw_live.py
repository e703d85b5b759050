"""Deployed REST APIs answer on the running emulator at
/_aws/execute-api/{api}/{stage}/{path}: SigV4 (signed here with botocore,
independently of the emulator's verifier), the Kinesis integration through
the deployed Velocity templates and the credentials role, validation, API
keys and usage plans, throttling, integration response selection, access logs
and metrics."""
from __future__ import annotations

import base64
import json
import time

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import api_stack

REGION = "us-east-1"


def client(endpoint: str, service: str):
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION)


@pytest.fixture(scope="module")
def api(endpoint: str) -> dict[str, str]:
    out = api_stack.deploy(client(endpoint, "cloudformation"), "api-live", api_stack.template())
    out["base"] = f"{endpoint}/_aws/execute-api/{out['ApiId']}/prod"
    return out


def signed(method: str, url: str, body: bytes = b"", secret: str = "testing", headers: dict | None = None):
    req = AWSRequest(method=method, url=url, data=body, headers={"Content-Type": "application/json", **(headers or {})})
    SigV4Auth(Credentials("testing", secret), "execute-api", REGION).add_auth(req)
    return requests.request(method, url, data=body, headers=dict(req.headers), timeout=30)


def read_stream(endpoint: str, stream: str) -> list[dict]:
    kinesis = client(endpoint, "kinesis")
    out = []
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        it = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        out += kinesis.get_records(ShardIterator=it, Limit=10_000)["Records"]
    return out


def test_signed_posts_put_the_bytes_the_mapping_templates_produce(endpoint, api):
    before = len(read_stream(endpoint, api["StreamName"]))
    one = {"data": 'tick "AMZN" 50.1 ✓', "partitionKey": "it's"}
    r = signed("POST", api["base"] + "/record", json.dumps(one).encode())
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"SequenceNumber", "ShardId"}
    many = {"records": [{"data": f"r{i}", "partitionKey": f"k{i}"} for i in range(3)]}
    r = signed("POST", api["base"] + "/records", json.dumps(many).encode())
    assert r.status_code == 200, r.text
    assert r.json()["FailedRecordCount"] == 0
    got = read_stream(endpoint, api["StreamName"])[before:]
    # `data` is put as its own UTF-8 text on both routes; the key is unescaped back.
    assert [(g["Data"], g["PartitionKey"]) for g in got] == [
        (one["data"].encode("utf-8"), "it's")] + [(f"r{i}".encode(), f"k{i}") for i in range(3)]


def test_unsigned_or_badly_signed_requests_get_403(api):
    body = json.dumps({"data": "x", "partitionKey": "k"}).encode()
    r = requests.post(api["base"] + "/record", data=body, headers={"Content-Type": "application/json"}, timeout=30)
    assert (r.status_code, r.json(), r.headers["x-amzn-ErrorType"]) == (
        403, {"message": "Missing Authentication Token"}, "MissingAuthenticationTokenException")
    r = signed("POST", api["base"] + "/record", body, secret="wrong")
    assert r.status_code == 403 and r.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    assert r.json()["message"].startswith("The request signature we calculated does not match")
    req = AWSRequest(method="POST", url=api["base"] + "/record", data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials("AKIAUNKNOWN", "x"), "execute-api", REGION).add_auth(req)
    r = requests.post(api["base"] + "/record", data=body, headers=dict(req.headers), timeout=30)
    assert r.status_code == 403 and r.json() == {"message": "The security token included in the request is invalid."}


def test_a_body_violating_the_model_gets_400(api):
    for bad in ({"data": "x"}, {"data": 1, "partitionKey": "k"}, {"records": []}, "not json"):
        path = "/records" if isinstance(bad, dict) and "records" in bad else "/record"
        body = bad.encode() if isinstance(bad, str) else json.dumps(bad).encode()
        r = signed("POST", api["base"] + path, body)
        assert (r.status_code, r.json()) == (400, {"message": "Invalid request body"}), (bad, r.text)


def test_an_undefined_route_is_missing_authentication_token(api):
    r = requests.get(api["base"] + "/nowhere", timeout=30)
    assert (r.status_code, r.json()) == (403, {"message": "Missing Authentication Token"})


def test_api_keys_must_be_enabled_and_in_a_plan_of_the_stage(api):
    url = api["base"] + "/keyed"
    assert requests.get(url, timeout=30).status_code == 403
    for key in ("d" * 30, "l" * 30, "unknown"):
        r = requests.get(url, headers={"x-api-key": key}, timeout=30)
        assert (r.status_code, r.json()) == (403, {"message": "Forbidden"}), key
    r = requests.get(url, headers={"x-api-key": api_stack.KEY_VALUE}, timeout=30)
    assert (r.status_code, r.json()) == (200, {"ok": True, "stage": "prod"})


def test_throttling_answers_429(api):
    # /slow allows 1 request/s with a burst of 1; the usage plan 1/s with a burst of 2 per key.
    codes = [requests.get(api["base"] + "/slow", timeout=30).status_code for _ in range(4)]
    assert codes[0] == 200 and 429 in codes, codes
    r = next(r for r in (requests.get(api["base"] + "/slow", timeout=30) for _ in range(4)) if r.status_code == 429)
    assert r.json() == {"message": "Too Many Requests"}
    keyed = [requests.get(api["base"] + "/keyed", headers={"x-api-key": api_stack.KEY_VALUE}, timeout=30).status_code
             for _ in range(5)]
    assert 429 in keyed, keyed


def test_a_kinesis_error_selects_the_500_integration_response(endpoint):
    # The role may only put to a stream that does not exist: Kinesis answers 400, "[45]\d{2}" selects 500.
    out = api_stack.deploy(client(endpoint, "cloudformation"), "api-denied",
                           api_stack.template("arn:aws:kinesis:us-east-1:123456789012:stream/elsewhere", tag="denied"))
    base = f"{endpoint}/_aws/execute-api/{out['ApiId']}/prod"
    r = signed("POST", base + "/record", json.dumps({"data": "x", "partitionKey": "k"}).encode())
    assert r.status_code == 500, r.text
    assert r.json()["__type"] == "AccessDeniedException"
    assert "is not authorized to perform: kinesis:PutRecord" in r.json()["message"]
    assert read_stream(endpoint, out["StreamName"]) == []


def test_each_request_writes_an_access_log_line_and_metrics(endpoint, api):
    r = signed("POST", api["base"] + "/record", json.dumps({"data": "logged", "partitionKey": "k"}).encode())
    request_id = r.headers["x-amzn-RequestId"]
    logs = client(endpoint, "logs")
    deadline = time.monotonic() + 10
    line = None
    while line is None and time.monotonic() < deadline:
        events = logs.filter_log_events(logGroupName=api["AccessLogGroup"])["events"]
        line = next((json.loads(e["message"]) for e in events if request_id in e["message"]), None)
    assert line is not None
    assert line["httpMethod"] == "POST" and line["resourcePath"] == "/record" and line["status"] == "200"
    assert line["caller"] == "123456789012" and line["protocol"] == "HTTP/1.1" and line["ip"] == "127.0.0.1"
    assert int(line["responseLength"]) == len(r.content)
    group = f"API-Gateway-Execution-Logs_{api['ApiId']}/prod"
    execution = [e["message"] for e in logs.filter_log_events(logGroupName=group, logStreamNames=[request_id])["events"]]
    assert f"({request_id}) Method completed with status: 200" in execution, execution
    cw = client(endpoint, "cloudwatch")
    dims = [{"Name": "ApiName", "Value": "ingest"}, {"Name": "Stage", "Value": "prod"}]
    stats = cw.get_metric_statistics(Namespace="AWS/ApiGateway", MetricName="Count", Dimensions=dims,
                                     Statistics=["Sum"], Period=60, StartTime=time.time() - 600, EndTime=time.time() + 60)
    assert sum(p["Sum"] for p in stats["Datapoints"]) >= 1
    names = {m["MetricName"] for m in cw.list_metrics(Namespace="AWS/ApiGateway")["Metrics"]}
    assert {"Count", "4XXError", "5XXError", "Latency", "IntegrationLatency"} <= names


def test_base64_of_the_records_matches_the_template_rule(endpoint, api):
    # The template's rule, computed here: Data = base64(UTF-8 of the JSON string value).
    payload = {"data": "ü/\\\"", "partitionKey": "p"}
    r = signed("POST", api["base"] + "/record", json.dumps(payload).encode())
    assert r.status_code == 200
    last = read_stream(endpoint, api["StreamName"])[-1]
    assert base64.b64encode(last["Data"]) == base64.b64encode(payload["data"].encode("utf-8"))
