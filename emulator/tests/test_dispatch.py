"""The dispatcher's backend list is read once, not per request."""
from __future__ import annotations

import os

from moto import backends

from streamkit_emulator.core import dispatch


def test_the_module_list_is_read_once_and_unchanged(monkeypatch) -> None:
    want = list(dispatch._original())
    dispatch.install()

    def no_listing(_path):
        raise AssertionError("listed moto's package directory during a request")

    monkeypatch.setattr(os, "listdir", no_listing)
    assert list(backends.list_of_moto_modules()) == want
    assert "dynamodb" in want and "kinesis" in want


def test_bodies_read_without_a_class_per_request() -> None:
    """moto's apps run in Flask debug mode; reading a body no longer makes a new
    `files` class per request, and form uploads (S3 "POST Object", the one
    place moto reads `request.files`) still see their file."""
    import io

    import flask
    from werkzeug.datastructures import ImmutableMultiDict

    dispatch.install()
    app = flask.Flask("t")
    app.debug = True
    with app.test_request_context("/", method="POST", data=b'{"TableName":"t"}',
                                  content_type="application/x-amz-json-1.0"):
        assert flask.request.data == b'{"TableName":"t"}'
        assert type(flask.request.files) is ImmutableMultiDict
    with app.test_request_context("/", method="POST", content_type="multipart/form-data",
                                  data={"key": "k", "file": (io.BytesIO(b"x"), "f.txt")}):
        assert flask.request.form["key"] == "k"
        assert flask.request.files["file"].read() == b"x"


def test_request_ids_keep_their_form_and_seed() -> None:
    """A request id is 52 letters and digits (DynamoDB's x-amzn-RequestId), from
    moto's random source: the same seed gives the same ids."""
    import re

    from moto.moto_api._internal import mock_random

    dispatch.install()
    headers: dict = {}
    first = dispatch.request_id(headers)
    assert re.fullmatch(r"[A-Za-z0-9]{52}", first) and headers == {"x-amzn-requestid": first}
    mock_random.seed(7)
    a = [dispatch.request_id() for _ in range(3)]
    mock_random.seed(7)
    assert a == [dispatch.request_id() for _ in range(3)] and len(set(a)) == 3
    seen = set("".join(dispatch.request_id() for _ in range(500)))
    assert seen == set(dispatch._ID_CHARACTERS)  # every letter and digit of the pool comes up


def test_an_empty_json_answer_is_moto_s_byte_for_byte() -> None:
    """Every operation of the JSON services the pipelines use, answering no
    members: the direct `{}` is what moto's serializer writes (status,
    Content-Type, body)."""
    from moto.core import responses
    from moto.core.serialize import JSONSerializer, get_serializer_class

    dispatch.install()
    checked = 0
    for service in ("dynamodb", "kinesis", "logs", "firehose", "sqs", "kms", "secretsmanager", "ssm", "events"):
        model = responses.get_service_model(service)
        cls = get_serializer_class(service, model.metadata["protocol"])
        for name in model.operation_names:
            context = responses.ActionContext(model, model.operation_model(name), cls, None)
            fast = responses.ActionResult({}).execute_result(context)
            moto = dispatch._moto_execute_result(responses.ActionResult({}), context)
            assert fast == moto, (service, name)
            checked += cls is JSONSerializer
    assert checked > 200
    from moto.dynamodb.responses import DynamoResult

    model = responses.get_service_model("dynamodb")
    context = responses.ActionContext(model, model.operation_model("PutItem"), JSONSerializer, None)
    assert DynamoResult({}).execute_result(context) == (200, {"Content-Type": "application/x-amz-json-1.0"}, "{}")
    assert DynamoResult({}).execute_result(context) == dispatch._moto_execute_result(DynamoResult({}), context)


def test_one_service_model_per_service() -> None:
    from moto.core import responses, utils

    dispatch.install()
    assert responses.get_service_model("dynamodb") is utils.get_service_model("dynamodb")
    model = responses.get_service_model("kinesis")
    assert model.service_name == "kinesis" and model.metadata["protocol"] == "json"
    assert model.operation_model("PutRecords").input_shape is model.operation_model("PutRecords").input_shape


def test_account_backends_are_read_without_the_global_lock_and_made_once() -> None:
    import threading

    from moto.core import base_backend
    from moto.dynamodb.models import dynamodb_backends

    dispatch.install()
    first = dynamodb_backends["210987654321"]  # made (under moto's lock) on first use
    assert dynamodb_backends["210987654321"] is first
    lock = base_backend.backend_lock
    assert lock.acquire(blocking=False)  # held by "another thread": an existing account is still read
    try:
        got = []
        reader = threading.Thread(target=lambda: got.append(dynamodb_backends["210987654321"]))
        reader.start()
        reader.join(5)
        assert got == [first]
    finally:
        lock.release()
    made = []
    threads = [threading.Thread(target=lambda: made.append(dynamodb_backends["310987654321"])) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(b) for b in made}) == 1  # a new account made once


def test_access_keys_are_found_as_moto_finds_them() -> None:
    """The access key of a request (SigV4 "Authorization header", AWS General
    Reference; moto's `get_access_key`) is the one moto's expression finds,
    for signed and odd headers alike, also when a header without its
    signature was seen before with another signature."""
    import random
    import types

    from moto.core.responses import BaseResponse

    regex = BaseResponse.access_key_regex
    rng = random.Random(5)
    keys = ["AKIAIOSFODNN7EXAMPLE", "ASIA" + "Z" * 16, "testing", "AKIA1234567890ABCDEF0", "X" * 20]
    headers = []
    for _ in range(3000):
        key = rng.choice(keys)
        scope = f"Credential={key}/20261207/us-east-1/{rng.choice(['dynamodb', 'kinesis'])}/aws4_request"
        signature = rng.choice([
            "".join(rng.choice("0123456789abcdef") for _ in range(64)),
            "".join(rng.choice("0123456789ABCDEF") for _ in range(20)) + rng.choice([":", "/", ""]),
            "AKIAIOSFODNN7EXAMPLE:", ""])
        headers.append(rng.choice([
            f"AWS4-HMAC-SHA256 {scope}, SignedHeaders=host;x-amz-date, Signature={signature}",
            f"AWS {key}:{signature}",
            f"Bearer {signature}",
            f"AWS4-HMAC-SHA256 {scope}, Signature={signature}, Signature={signature[::-1]}"]))
    for header in headers:
        handler = types.SimpleNamespace(headers={"Authorization": header}, querystring={},
                                        access_key_regex=regex)
        match = regex.search(header)
        expected = match.group(1) if match else "AKIAEXAMPLE"
        assert dispatch.get_access_key(handler) == expected, header
    assert 0 < len(dispatch._keys) <= dispatch._MAX_KEYS
    no_header = types.SimpleNamespace(headers={}, querystring={"AWSAccessKeyId": ["AKIDQUERY"]}, access_key_regex=regex)
    assert dispatch.get_access_key(no_header) == "AKIDQUERY"


def test_dates_are_formatted_as_before() -> None:
    """The `Date` of an answer (RFC 9110 section 6.6.1, one-second resolution)
    is the text moto's and http.server's formatting give."""
    import datetime
    import email.utils

    from moto.core.utils import utcnow

    for delta in (0, 0.2, 0.9, 1.0, 61.5, 3600.0):
        now = utcnow() + datetime.timedelta(seconds=delta)
        assert dispatch.http_date(now) == dispatch._moto_http_date(now)
        assert dispatch.http_date(now) == dispatch._moto_http_date(now)  # the second from the cache

    class Handler:
        pass

    from http.server import BaseHTTPRequestHandler

    dispatch._moto_date_time_string = dispatch._moto_date_time_string or BaseHTTPRequestHandler.date_time_string
    for _ in range(3):  # formatted, then from the cache
        before = email.utils.formatdate(usegmt=True)
        text = dispatch.date_time_string(Handler())
        after = email.utils.formatdate(usegmt=True)
        assert text in (before, after)
    assert dispatch.date_time_string(Handler(), 0) == email.utils.formatdate(0, usegmt=True)
