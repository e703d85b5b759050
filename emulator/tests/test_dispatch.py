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
