"""Lambda proxy integrations (pattern 4's fare API shape: GET with a required
query parameter, AWS_IAM and an API key), served in-process with a stand-in
for `lambda_runtime.invoke` (the native Lambda runtime is another module):
the proxy event the function gets, and how its answer (or failure) maps."""
from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import parse_qs

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto import mock_aws

import streamkit_emulator
from streamkit_emulator.apigateway import runtime as apigw_runtime

REGION, ACCOUNT, KEY = "us-east-1", "123456789012", "x" * 40
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fare"


@dataclass
class Invocation:
    status_code: int
    payload: bytes
    function_error: str | None = None
    log_tail: str | None = None


class StandIn:
    def __init__(self, answer: Invocation):
        self.answer, self.calls = answer, []

    def __call__(self, account_id, region, function, payload, invocation_type="RequestResponse"):
        self.calls.append((account_id, region, function, json.loads(payload), invocation_type))
        return self.answer


@pytest.fixture
def fare_api(monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(k, v)
    streamkit_emulator.install()
    with mock_aws():
        gw = boto3.client("apigateway", region_name=REGION)
        api = gw.create_rest_api(name="fare-api", apiKeySource="HEADER")["id"]
        root = gw.get_resources(restApiId=api)["items"][0]["id"]
        res = gw.create_resource(restApiId=api, parentId=root, pathPart="predictFare")["id"]
        validator = gw.create_request_validator(restApiId=api, name="q", validateRequestParameters=True)["id"]
        gw.put_method(restApiId=api, resourceId=res, httpMethod="GET", authorizationType="AWS_IAM", apiKeyRequired=True,
                      requestValidatorId=validator, requestParameters={"method.request.querystring.ride_request_id": True})
        gw.put_integration(restApiId=api, resourceId=res, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST",
                           uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{FUNCTION}/invocations")
        gw.create_deployment(restApiId=api, stageName="prod")
        key = gw.create_api_key(name="k", enabled=True, value=KEY)["id"]
        plan = gw.create_usage_plan(name="p", apiStages=[{"apiId": api, "stage": "prod"}],
                                    throttle={"rateLimit": 20, "burstLimit": 100})["id"]
        gw.create_usage_plan_key(usagePlanId=plan, keyId=key, keyType="API_KEY")
        yield api, key
    monkeypatch.setattr(apigw_runtime, "invoker_override", None)


def request(api: str, query: str, api_key: str | None = KEY) -> apigw_runtime.Request:
    url = f"http://127.0.0.1:4566/_aws/execute-api/{api}/prod/predictFare" + (f"?{query}" if query else "")
    headers = {"x-api-key": api_key} if api_key else {}
    signed = AWSRequest(method="GET", url=url, headers=headers)
    SigV4Auth(Credentials("testing", "testing"), "execute-api", REGION).add_auth(signed)
    sent = dict(signed.headers.items())
    sent["Host"] = "127.0.0.1:4566"
    raw_path = url.split("://", 1)[1].split("/", 1)[1].split("?")[0]
    return apigw_runtime.Request(
        method="GET", path="/predictFare", raw_path="/" + raw_path, raw_query=query, query=parse_qs(query),
        headers={k.lower(): v for k, v in sent.items()}, header_lists={k: [v] for k, v in sent.items()},
        body=b"", source_ip="127.0.0.1")


def serve(api: str, req: apigw_runtime.Request) -> apigw_runtime.Response:
    return apigw_runtime.handle(lambda env, start: [], api, "prod", req)


def test_the_function_gets_the_proxy_event_and_its_answer_is_the_response(fare_api, monkeypatch):
    api, key_id = fare_api
    fake = StandIn(Invocation(200, json.dumps({"statusCode": 200, "headers": {"Content-Type": "application/json"},
                                               "body": json.dumps({"expected_fare": 12.5})}).encode()))
    monkeypatch.setattr(apigw_runtime, "invoker_override", fake)
    resp = serve(api, request(api, "ride_request_id=20"))
    assert (resp.status, json.loads(resp.body)) == (200, {"expected_fare": 12.5})
    assert resp.headers["Content-Type"] == "application/json"
    (account, region, function, event, kind), = fake.calls
    assert (account, region, function, kind) == (ACCOUNT, REGION, "fare", "RequestResponse")
    assert event["httpMethod"] == "GET" and event["resource"] == "/predictFare" and event["path"] == "/predictFare"
    assert event["queryStringParameters"] == {"ride_request_id": "20"}
    assert event["multiValueQueryStringParameters"] == {"ride_request_id": ["20"]}
    assert event["body"] is None and event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["stage"] == "prod" and ctx["path"] == "/prod/predictFare" and ctx["apiId"] == api
    assert ctx["identity"]["apiKey"] == KEY and ctx["identity"]["apiKeyId"] == key_id
    assert ctx["identity"]["userArn"] == f"arn:aws:iam::{ACCOUNT}:root"


@pytest.mark.parametrize("answer", [
    Invocation(200, b'{"errorMessage": "boom", "errorType": "Panic"}', function_error="Unhandled"),
    Invocation(200, b'"just a string"'),
    Invocation(200, b'{"statusCode": "abc"}'),
    Invocation(200, b'{"statusCode": 200, "body": {"not": "a string"}}'),
])
def test_a_failing_or_malformed_function_answer_is_502(fare_api, monkeypatch, answer):
    api, _ = fare_api
    monkeypatch.setattr(apigw_runtime, "invoker_override", StandIn(answer))
    resp = serve(api, request(api, "ride_request_id=1"))
    assert (resp.status, json.loads(resp.body)) == (502, {"message": "Internal server error"})


def test_base64_bodies_and_multi_value_headers_map_back(fare_api, monkeypatch):
    api, _ = fare_api
    answer = {"statusCode": 404, "multiValueHeaders": {"X-A": ["1", "2"]}, "body": "AAEC", "isBase64Encoded": True}
    monkeypatch.setattr(apigw_runtime, "invoker_override", StandIn(Invocation(200, json.dumps(answer).encode())))
    resp = serve(api, request(api, "ride_request_id=1"))
    assert (resp.status, resp.body, resp.headers["X-A"]) == (404, b"\x00\x01\x02", "1,2")


def test_the_validator_and_the_api_key_run_before_the_function(fare_api, monkeypatch):
    api, _ = fare_api
    fake = StandIn(Invocation(200, b'{"statusCode": 200}'))
    monkeypatch.setattr(apigw_runtime, "invoker_override", fake)
    resp = serve(api, request(api, ""))
    assert (resp.status, json.loads(resp.body)) == (400, {"message": "Missing required request parameters: [ride_request_id]"})
    resp = serve(api, request(api, "ride_request_id=3", api_key=None))
    assert (resp.status, json.loads(resp.body)) == (403, {"message": "Forbidden"})
    assert fake.calls == []
