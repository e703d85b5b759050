"""API Gateway `AWS_PROXY` integrations with Lambda (REST API payload 1.0):
the request becomes the proxy event, the function runs through
`lambda_runtime.invoke(account_id, region, function, payload, invocation_type)`
(the emulator's native Lambda runtime, imported when first needed), and its
`{statusCode, headers, multiValueHeaders, body, isBase64Encoded}` answer
becomes the response. A function error or a malformed answer is a 502
`{"message": "Internal server error"}`, as on AWS."""
from __future__ import annotations

import base64
import json
import re
from typing import Any, Callable

URI = re.compile(r":lambda:path/2015-03-31/functions/(?P<arn>arn:[^/]+)/invocations$")
Invoke = Callable[..., Any]


class ProxyError(Exception):
    """The function failed or answered something API Gateway cannot map (502)."""


def function_of(uri: str) -> tuple[str, str, str]:
    """(account, region, function name) of an integration URI."""
    m = URI.search(uri or "")
    if not m:
        raise ValueError(f"integration URI {uri!r} does not name a Lambda function")
    parts = m["arn"].split(":")  # arn:aws:lambda:region:account:function:name[:qualifier]
    if len(parts) < 7 or parts[5] != "function":
        raise ValueError(f"integration URI {uri!r} does not name a Lambda function")
    return parts[4], parts[3], parts[6]


def event(req: Any, route: Any, context: dict[str, Any], stage_variables: dict[str, str]) -> dict[str, Any]:
    """The proxy event of a request (`req` as apigw_runtime.Request)."""
    single_h = {k: v[-1] for k, v in req.header_lists.items()}
    single_q = {k: v[-1] for k, v in req.query.items()}
    body = req.body.decode("utf-8") if req.body else None
    binary = False
    if req.body:
        try:
            req.body.decode("utf-8")
        except UnicodeDecodeError:
            body, binary = base64.b64encode(req.body).decode("ascii"), True
    return {
        "resource": route.resource["path"],
        "path": req.path,
        "httpMethod": req.method,
        "headers": single_h or None,
        "multiValueHeaders": dict(req.header_lists) or None,
        "queryStringParameters": single_q or None,
        "multiValueQueryStringParameters": dict(req.query) or None,
        "pathParameters": route.path_params or None,
        "stageVariables": stage_variables or None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": binary,
    }


def invoke(uri: str, payload: dict[str, Any], invoker: Invoke | None = None) -> tuple[int, dict[str, str], bytes]:
    """Runs the function and maps its answer to (status, headers, body)."""
    account, region, name = function_of(uri)
    if invoker is None:
        from streamkit_emulator.awslambda import runtime as lambda_runtime  # the live Lambda runtime (another module), loaded on first use

        invoker = lambda_runtime.invoke
    result = invoker(account, region, name, json.dumps(payload).encode("utf-8"), invocation_type="RequestResponse")
    if getattr(result, "function_error", None):
        raise ProxyError(f"Lambda function {name} failed ({result.function_error})")
    return response(result.payload)


def response(raw: bytes | str | None) -> tuple[int, dict[str, str], bytes]:
    try:
        doc = json.loads(raw or b"null")
    except ValueError:
        raise ProxyError("Malformed Lambda proxy response: not JSON") from None
    if not isinstance(doc, dict):
        raise ProxyError("Malformed Lambda proxy response: not an object")
    status = doc.get("statusCode", 200)
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise ProxyError(f"Malformed Lambda proxy response: statusCode {status!r}")
    headers: dict[str, str] = {}
    for k, values in (doc.get("multiValueHeaders") or {}).items():
        headers[k] = ",".join(str(v) for v in values)
    for k, v in (doc.get("headers") or {}).items():
        headers[k] = str(v)
    body = doc.get("body")
    if body is None:
        data = b""
    elif not isinstance(body, str):
        raise ProxyError("Malformed Lambda proxy response: body is not a string")
    elif doc.get("isBase64Encoded"):
        data = base64.b64decode(body)
    else:
        data = body.encode("utf-8")
    return status, headers, data
