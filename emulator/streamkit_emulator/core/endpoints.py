"""Where the emulator itself answers, and the local form of AWS URLs.

The server sets its own base URL at start (`set_base`); live parts hand it to
what they run (Lambda functions get it as `AWS_ENDPOINT_URL`) and map AWS
hostnames that only exist on AWS to it. Deployed REST APIs answer at

    {base}/_aws/execute-api/{api_id}/{stage}/{path}

(no DNS needed); `rewrite_execute_api_urls` turns the AWS form
`https://{api_id}.execute-api.{region}.amazonaws.com/{stage}/...` found in a
function's configuration into that local form.
"""
from __future__ import annotations

import re

_base = "http://127.0.0.1:4566"

EXECUTE_API = re.compile(
    r"https://(?P<api>[a-z0-9]+)\.execute-api\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?P<rest>/[^\s\"']*)?"
)


def set_base(url: str) -> None:
    """Called once by the server with its own `http://host:port`."""
    global _base
    _base = url.rstrip("/")


def base() -> str:
    """The emulator's own base URL, e.g. `http://127.0.0.1:4566`."""
    return _base


def execute_api_url(api_id: str, stage: str, path: str = "") -> str:
    """Local URL of a deployed REST API stage (and optional resource path)."""
    return f"{_base}/_aws/execute-api/{api_id}/{stage}{path}"


def rewrite_execute_api_urls(value: str) -> str:
    """`https://abc123.execute-api.us-east-1.amazonaws.com/prod/x` -> the local form."""

    def local(m: "re.Match[str]") -> str:
        return f"{_base}/_aws/execute-api/{m['api']}{m['rest'] or ''}"

    return EXECUTE_API.sub(local, value)
