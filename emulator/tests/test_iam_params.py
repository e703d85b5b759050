"""iam/resources.py reads a JSON request's parameters as moto's `_get_param`
does (query string first, then the JSON body, then the URI), parsing the body
once per request: the resources IAM checks are the ones moto acts on
("Actions, resources, and condition keys for Amazon Kinesis Data Streams")."""
from __future__ import annotations

import json

from moto.kinesis.responses import KinesisResponse

from streamkit_emulator.iam import resources


def _request(body, querystring=None):
    r = KinesisResponse()
    r.body = body
    r.querystring = querystring if querystring is not None else {}
    r.uri_match = None
    return r


def test_parameters_are_moto_s():
    bodies = [json.dumps({"StreamName": "s", "ShardIterator": "x", "Limit": 3}), json.dumps({"StreamARN": ""}),
              "[1, 2]", "not json", "", json.dumps({"StreamName": None}), '{"StreamName": "a", "StreamName": "b"}']
    for body in bodies:
        for qs in ({}, {body: [""]}, {"StreamName": ["from-query"]}):
            for name in ("StreamName", "StreamARN", "ShardIterator", "Limit", "Missing"):
                fast = resources._param(_request(body, qs), name)
                try:
                    want = _request(body, qs)._get_param(name)
                except Exception:  # noqa: BLE001 - _param answers "" where moto raises
                    want = None
                if isinstance(want, list):
                    want = want[0] if want else None
                assert fast == (str(want) if want not in (None, "") else ""), (body, qs, name)


def test_the_body_is_parsed_once(monkeypatch):
    r = _request(json.dumps({"StreamName": "s"}))
    calls = []
    real = json.loads
    monkeypatch.setattr(resources.json, "loads", lambda text: calls.append(1) or real(text))
    assert [resources._param(r, n) for n in ("ConsumerARN", "StreamARN", "ResourceARN", "StreamName")] == \
        ["", "", "", "s"]
    assert len(calls) == 1
