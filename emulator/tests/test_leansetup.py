"""core/leansetup.py: the fast path's handler setup leaves a handler exactly
as moto's `setup_class` does (every attribute, the parsed parameters
included), for a corpus of DynamoDB and Kinesis requests built the way the
fast path builds them; what it does not reproduce goes to moto's setup."""
from __future__ import annotations

import base64
import io
import json
import random

import pytest

from streamkit_emulator import install

install(strict=True)

from flask.wrappers import Request  # noqa: E402
from moto.dynamodb.responses import DynamoHandler  # noqa: E402
from moto.kinesis.responses import KinesisResponse  # noqa: E402

from streamkit_emulator.core import leansetup  # noqa: E402

URL = "http://127.0.0.1:4566/"


def _request(target: str, body: bytes, extra: dict[str, str] | None = None,
             content_type: str = "application/x-amz-json-1.0") -> Request:
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/", "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "4566", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": content_type, "HTTP_HOST": "127.0.0.1:4566",
        "HTTP_X_AMZ_TARGET": target, "RAW_URI": "/", "REQUEST_URI": "/", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=testing/20261207/eu-west-1/dynamodb/aws4_request, "
                              "SignedHeaders=host, Signature=00",
        "HTTP_USER_AGENT": "aws-sdk-rust/1.3.9 os/linux lang/rust/1.83", "REMOTE_ADDR": "127.0.0.1",
    }
    for name, value in (extra or {}).items():
        environ[name] = value
    request = Request(environ)
    request.__dict__["form"] = request.parameter_storage_class()
    request.__dict__["files"] = request.parameter_storage_class()
    return request


def _state(handler) -> dict:
    state = dict(vars(handler))
    state["headers"] = dict(state["headers"])
    state["form_data"] = dict(state["form_data"])
    if "date" in state.get("response_headers", {}):
        state["response_headers"] = dict(state["response_headers"], date="<now>")
    return state


def _both(cls, target: str, body: bytes, **kw) -> tuple[dict, dict, bool]:
    moto = cls()
    request = _request(target, body, **kw)
    moto.setup_class(request, URL, dict(request.headers))
    lean = cls()
    request = _request(target, body, **kw)
    took = leansetup.setup(lean, request, URL, dict(request.headers))
    # As the fast path calls it: the headers dict made only where needed.
    unmade = cls()
    request = _request(target, body, **kw)
    assert leansetup.setup(unmade, request, URL) is took
    assert _state(unmade) == _state(lean)
    return _state(moto), _state(lean), took


def _item(rng: random.Random) -> dict:
    text = "".join(rng.choice("ab&=+% é{}\"\\/;?") for _ in range(rng.randint(0, 12)))
    return {"pk": {"S": f"k{rng.randrange(10**6)}"}, "t": {"S": text}, "n": {"N": str(rng.randrange(-99, 99))},
            "b": {"B": base64.b64encode(rng.randbytes(rng.randint(0, 9))).decode()},
            "m": {"M": {"x": {"BOOL": rng.random() < 0.5}, "l": {"L": [{"NULL": True}, {"S": text}]}}}}


def test_dynamodb_requests_are_set_up_as_moto_sets_them_up():
    rng = random.Random(7)
    bodies = [b"", b"{}", b"a=b&c", b"%7B%7D", b"{\"TableName\": \"t+1\"}"]
    for _ in range(60):
        body = {"TableName": "out", "Item": _item(rng),
                "ConditionExpression": "attribute_not_exists(pk) OR v < :v",
                "ExpressionAttributeValues": {":v": {"N": str(rng.randrange(100))}}}
        if rng.random() < 0.3:
            body["ReturnValues"] = "ALL_OLD"
        bodies.append(json.dumps(body, ensure_ascii=rng.random() < 0.5).encode())
    for target in ("DynamoDB_20120810.PutItem", "DynamoDB_20120810.GetItem", "DynamoDB_20120810.NoSuchThing"):
        for body in bodies:
            moto, lean, took = _both(DynamoHandler, target, body)
            assert took
            assert lean == moto, (target, body)


def test_kinesis_requests_and_account_headers():
    rng = random.Random(11)
    for _ in range(40):
        data = base64.b64encode(rng.randbytes(rng.randint(0, 40))).decode()  # '+', '/', '='
        body = json.dumps({"StreamName": "s", "PartitionKey": f"p{rng.randrange(9)}", "Data": data}).encode()
        moto, lean, took = _both(KinesisResponse, "Kinesis_20131202.PutRecord", body,
                                 content_type="application/x-amz-json-1.1",
                                 extra={"HTTP_X_MOTO_ACCOUNT_ID": "111122223333"} if rng.random() < 0.5 else None)
        assert took and lean == moto


@pytest.mark.parametrize("body,extra", [
    (b"\xff\xfe", None),  # not UTF-8: moto's setup answers it
    (b"{}", {"HTTP_CONTENT_ENCODING": "gzip"}),
])
def test_what_moto_sets_up_itself(body, extra):
    request = _request("DynamoDB_20120810.PutItem", body, extra=extra)
    assert leansetup.setup(DynamoHandler(), request, URL, dict(request.headers)) is False
