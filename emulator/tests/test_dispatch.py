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
