"""Deployed REST APIs answer on the emulator at
`{emulator}/_aws/execute-api/{api_id}/{stage}/{path}` (`endpoints.execute_api_url`).

`handle` serves one request from the stage's deployment snapshot, in API
Gateway's order: resource and method (403 "Missing Authentication Token" when
none), stage throttling, AWS_IAM SigV4, API key and usage plan, request
validation, then the integration (AWS service through the mapping templates
and the credentials role, AWS_PROXY to Lambda, MOCK), the integration
response, the access log line and the AWS/ApiGateway metrics.
"""
from __future__ import annotations

import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from moto.apigateway.models import apigateway_backends

from streamkit_emulator.iam import hooks as iam_hooks
from streamkit_emulator.apigateway import aws as apigw_aws
from streamkit_emulator.apigateway import guard as apigw_guard
from streamkit_emulator.apigateway import lambda_proxy as apigw_lambda
from streamkit_emulator.apigateway import mapping as apigw_mapping
from streamkit_emulator.apigateway import observe as apigw_observe
from streamkit_emulator.apigateway import snapshot as apigw_snapshot
from streamkit_emulator.apigateway import vtl as apigw_vtl

# Tests replace the Lambda invoker (lambda_runtime.invoke's signature) in-process.
invoker_override: Callable[..., Any] | None = None


@dataclass
class Request:
    method: str
    path: str  # after the stage, decoded, starting with "/"
    raw_path: str  # as received, with the /_aws/execute-api/... part
    raw_query: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names, last value
    header_lists: dict[str, list[str]]  # names as sent
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def find_api(api_id: str) -> tuple[str, str, Any] | None:
    """(account, region, RestAPI) of an API id, wherever it lives."""
    for account in list(apigateway_backends.keys()):
        for region, backend in list(apigateway_backends[account].items()):
            api = backend.apis.get(api_id)
            if api is not None:
                return account, region, api
    return None


def handle(app: Callable, api_id: str, stage_name: str, req: Request) -> Response:
    started = time.monotonic()
    now = datetime.now(timezone.utc)
    request_id = str(uuid.uuid4())
    found = find_api(api_id)
    api = found[2] if found else None
    stage = api.stages.get(stage_name) if api else None
    snapshot = apigw_snapshot.of_stage(api, stage) if stage else None
    if not found or stage is None or snapshot is None:
        return error_response(403, "Forbidden", "ForbiddenException", request_id)
    account, region, _ = found
    backend = apigateway_backends[account][region]
    route = apigw_snapshot.match(snapshot, req.method, req.path)
    context = _context(account, api_id, stage_name, req, request_id, now, route)
    integration_ms: float | None = None
    try:
        if route is None:
            raise apigw_guard.Refused(403, "Missing Authentication Token", "MissingAuthenticationTokenException")
        resource_path = route.resource["path"]
        apigw_guard.throttle_stage(api_id, stage, resource_path, req.method)
        caller = apigw_guard.authorize(route.method, req, region)
        if caller:
            denied = iam_hooks.execute_api_denied(caller.access_key, req.headers.get("x-amz-security-token"),
                                                  f"arn:aws:execute-api:{region}:{account}:{api_id}/{stage_name}/"
                                                  f"{req.method}{resource_path}")
            if denied:
                raise apigw_guard.Refused(403, denied, "AccessDeniedException")
            context["identity"].update(caller=caller.caller, user=caller.user, userArn=caller.user_arn,
                                       accessKey=caller.access_key, accountId=caller.account_id)
        key = apigw_guard.api_key(backend, snapshot, route.method, req, stage_name, resource_path)
        if key:
            context["identity"].update(apiKey=key.value, apiKeyId=key.id)
        apigw_guard.validate(snapshot, route.method, req, route.path_params)
        t0 = time.monotonic()
        try:
            resp = _integrate(app, account, route, req, context, getattr(stage, "variables", {}) or {})
        finally:
            integration_ms = (time.monotonic() - t0) * 1000
    except apigw_guard.Refused as e:
        resp = error_response(e.status, e.message, e.error_type, request_id)
        context["error"] = {"message": e.message, "messageString": json.dumps(e.message), "responseType": e.error_type}
    except apigw_mapping.MappingError as e:
        print(f"streamkit emulator: API {api_id}/{stage_name} {req.method} {req.path}: {e.error_type}", file=sys.stderr)
        resp = error_response(e.status, e.message, "InternalServerErrorException" if e.status >= 500 else e.error_type, request_id)
    resp.headers.setdefault("x-amzn-RequestId", request_id)
    resp.headers.setdefault("x-amz-apigw-id", context["extendedRequestId"])
    latency = (time.monotonic() - started) * 1000
    context.update(status=resp.status, responseLength=len(resp.body), responseLatency=int(latency),
                   integrationLatency=int(integration_ms) if integration_ms is not None else None)
    apigw_observe.access_log(account, region, api_id, stage, context)
    apigw_observe.execution_log(account, region, api_id, stage, context)
    apigw_observe.publish(account, region, snapshot["name"], stage_name, resp.status, latency, integration_ms)
    return resp


def _integrate(app: Callable, account: str, route: Any, req: Request, context: dict[str, Any],
               stage_variables: dict[str, str]) -> Response:
    integration = route.method.get("methodIntegration") or {}
    kind = (integration.get("type") or "").upper()
    if kind == "AWS_PROXY":
        fn_account, fn_region, fn_name = apigw_lambda.function_of(integration.get("uri", ""))
        source = (f"arn:aws:execute-api:{fn_region}:{account}:{context['apiId']}/{context['stage']}/"
                  f"{req.method}{context['resourcePath']}")
        if iam_hooks.function_invocation_denied(fn_account, fn_region, fn_name, "apigateway.amazonaws.com", source,
                                                account):
            print("streamkit emulator: Execution failed due to configuration error: Invalid permissions on Lambda "
                  f"function {fn_name}", file=sys.stderr)
            return error_response(500, "Internal server error", "InternalServerErrorException", context["requestId"])
        try:
            status, headers, body = apigw_lambda.invoke(
                integration.get("uri", ""), apigw_lambda.event(req, route, _public(context), stage_variables),
                invoker_override)
        except apigw_lambda.ProxyError as e:
            print(f"streamkit emulator: {e}", file=sys.stderr)
            return error_response(502, "Internal server error", "InternalServerErrorException", context["requestId"])
        context["integration"] = {"status": status}
        return Response(status, headers, body)
    variables = {
        "input": apigw_vtl.Input(req.body.decode("utf-8", "replace"), _params(req, route)),
        "util": apigw_vtl.Util(),
        "context": _public(context),
        "stageVariables": stage_variables,
    }
    body = apigw_mapping.request_body(integration, req.headers.get("content-type", ""), req.body, variables)
    if kind == "AWS":
        try:
            backend = apigw_aws.call(app, account, integration.get("uri", ""), integration.get("credentials"),
                                     body, apigw_mapping.static_headers(integration))
        except apigw_aws.ConfigError as e:
            raise apigw_mapping.MappingError(500, "Internal server error", str(e)) from None
        status, headers, payload = backend.status, backend.headers, backend.body
    elif kind == "MOCK":
        try:
            status = int(json.loads(body or b"{}").get("statusCode", 200))
        except (ValueError, AttributeError):
            status = 500
        headers, payload = {}, b""
    else:
        raise apigw_mapping.MappingError(500, "Internal server error",
                                         f"integration type {kind or '(none)'} is not implemented by the emulator")
    context["integration"] = {"status": status}
    context["integrationStatus"] = status
    mapped = apigw_mapping.response(integration, status, headers, payload, req.headers.get("accept", ""), variables)
    return Response(mapped.status, mapped.headers, mapped.body)


def _params(req: Request, route: Any) -> dict[str, dict[str, str]]:
    return {
        "path": dict(route.path_params),
        "querystring": {k: v[-1] for k, v in req.query.items()},
        "header": {k: v[-1] for k, v in req.header_lists.items()},
    }


def _context(account: str, api_id: str, stage: str, req: Request, request_id: str, now: datetime,
             route: Any) -> dict[str, Any]:
    return {
        "accountId": account, "apiId": api_id, "stage": stage, "requestId": request_id,
        "extendedRequestId": uuid.uuid4().hex[:16], "httpMethod": req.method,
        "resourcePath": route.resource["path"] if route else req.path,
        "resourceId": route.resource["id"] if route else None,
        "path": f"/{stage}{req.path}", "protocol": req.protocol, "domainName": req.headers.get("host", ""),
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"), "requestTimeEpoch": int(now.timestamp() * 1000),
        "identity": {"sourceIp": req.source_ip, "userAgent": req.headers.get("user-agent"), "caller": None,
                     "user": None, "userArn": None, "accessKey": None, "accountId": None,
                     "apiKey": None, "apiKeyId": None},
    }


def _public(context: dict[str, Any]) -> dict[str, Any]:
    """The request context a template or a proxy event sees."""
    return {k: v for k, v in context.items() if k not in ("status", "responseLength", "responseLatency")}


def error_response(status: int, message: str, error_type: str, request_id: str) -> Response:
    body = json.dumps({"message": message}).encode("utf-8")
    return Response(status, {"Content-Type": "application/json", "x-amzn-ErrorType": error_type,
                             "x-amzn-RequestId": request_id}, body)
