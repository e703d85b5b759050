"""The checks API Gateway runs before an integration, in its order: stage
throttling, authorization (AWS_IAM: SigV4), API key and usage plan (key
enabled and in a plan attached to the stage; the plan's throttle and quota),
then the request validator (required parameters, body against the JSON-schema
model). Each refusal is a `Refused(status, message, error type)`."""
from __future__ import annotations

import json
from typing import Any

import jsonschema

from streamkit_emulator.apigateway import sigv4 as apigw_sigv4
from streamkit_emulator.apigateway import throttle as apigw_throttle


class Refused(Exception):
    def __init__(self, status: int, message: str, error_type: str):
        super().__init__(message)
        self.status, self.message, self.error_type = status, message, error_type


def throttle_stage(api_id: str, stage: Any, resource_path: str, method: str) -> None:
    rate, burst, key = apigw_throttle.stage_limits(stage, resource_path, method)
    if not apigw_throttle.allow(("stage", api_id, stage.name, key if key != "*/*" else "*"), rate, burst):
        raise Refused(429, "Too Many Requests", "TooManyRequestsException")


def authorize(method: dict[str, Any], req: Any, region: str) -> apigw_sigv4.Caller | None:
    kind = (method.get("authorizationType") or "NONE").upper()
    if kind == "NONE":
        return None
    if kind != "AWS_IAM":
        raise Refused(500, f"authorization type {kind} is not implemented by the emulator", "InternalServerErrorException")
    try:
        return apigw_sigv4.verify(req.method, req.raw_path, req.raw_query, req.headers, req.body, region)
    except apigw_sigv4.AuthError as e:
        raise Refused(403, e.message, e.error_type) from None


def api_key(backend: Any, snapshot: dict[str, Any], method: dict[str, Any], req: Any, stage: str,
            resource_path: str) -> Any:
    """The API key of a method that requires one (None otherwise)."""
    if not method.get("apiKeyRequired"):
        return None
    if str(snapshot.get("api_key_source", "HEADER")).upper() != "HEADER":
        raise Refused(500, "API keys from an authorizer are not implemented by the emulator", "InternalServerErrorException")
    value = req.headers.get("x-api-key")
    key = next((k for k in list(backend.keys.values()) if value and k.value == value), None)
    if key is None or not key.enabled:
        raise Refused(403, "Forbidden", "ForbiddenException")
    api_id = snapshot["api_id"]
    for plan_id, keys in list(backend.usage_plan_keys.items()):
        plan = backend.usage_plans.get(plan_id)
        if key.id not in keys or plan is None:
            continue
        if not any(s.get("apiId") == api_id and s.get("stage") == stage for s in plan.api_stages or []):
            continue
        rate, burst = apigw_throttle.plan_limits(plan, api_id, stage, resource_path, req.method)
        if not apigw_throttle.allow(("plan", plan.id, key.id, api_id, stage), rate, burst):
            raise Refused(429, "Too Many Requests", "TooManyRequestsException")
        if not apigw_throttle.within_quota(plan, key.id):
            raise Refused(429, "Limit Exceeded", "LimitExceededException")
        return key
    raise Refused(403, "Forbidden", "ForbiddenException")


def validate(snapshot: dict[str, Any], method: dict[str, Any], req: Any, path_params: dict[str, str]) -> None:
    validator = snapshot["validators"].get(method.get("requestValidatorId") or "")
    if not validator:
        return
    if validator["params"]:
        missing = []
        for name, required in (method.get("requestParameters") or {}).items():
            if required not in (True, "true", "True"):
                continue
            where, _, param = name.removeprefix("method.request.").partition(".")
            present = {
                "querystring": param in req.query,
                "header": param.lower() in req.headers,
                "path": param in path_params,
            }.get(where, True)
            if not present:
                missing.append(param)
        if missing:
            raise Refused(400, f"Missing required request parameters: [{', '.join(missing)}]", "BadRequestException")
    if validator["body"]:
        _validate_body(snapshot, method, req)


def _validate_body(snapshot: dict[str, Any], method: dict[str, Any], req: Any) -> None:
    models = method.get("requestModels") or {}
    ct = (req.headers.get("content-type") or "application/json").split(";")[0].strip().lower()
    name = next((m for k, m in models.items() if k.lower() == ct), None) or models.get("$default")
    if not name or name == "Empty":
        return
    schema_text = snapshot["models"].get(name)
    if schema_text is None:
        raise Refused(500, f"model {name} is not defined", "InternalServerErrorException")
    try:
        body = json.loads(req.body or b"")
    except ValueError:
        raise Refused(400, "Invalid request body", "BadRequestException") from None
    schema = json.loads(schema_text) if isinstance(schema_text, str) else schema_text
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft4Validator)
    if next(cls(schema).iter_errors(body), None) is not None:
        raise Refused(400, "Invalid request body", "BadRequestException")
