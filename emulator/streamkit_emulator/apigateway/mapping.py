"""Non-proxy integrations: the request mapping (template chosen by the
request's Content-Type, PassthroughBehavior, static integration request
parameters) and the response mapping (integration response chosen by
matching SelectionPattern against the backend's status code, its response
template rendered with `$input` = the backend's body, method response
parameters from static values or integration response headers)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from streamkit_emulator.apigateway import vtl as apigw_vtl


class MappingError(Exception):
    """The mapping cannot be done: (status, message) of the gateway's answer."""

    def __init__(self, status: int, message: str, error_type: str):
        super().__init__(message)
        self.status, self.message, self.error_type = status, message, error_type


@dataclass
class Mapped:
    status: int
    headers: dict[str, str]
    body: bytes


def request_body(integration: dict[str, Any], content_type: str, body: bytes, variables: dict[str, Any]) -> bytes:
    templates = integration.get("requestTemplates") or {}
    ct = (content_type or "application/json").split(";")[0].strip().lower()
    template = next((t for k, t in templates.items() if k.lower() == ct), None)
    passthrough = (integration.get("passthroughBehavior") or "WHEN_NO_MATCH").upper()
    if template is None:
        if ct not in {k.lower() for k in templates} and (
            passthrough == "NEVER" or (passthrough == "WHEN_NO_TEMPLATES" and templates)
        ):
            raise MappingError(415, "Unsupported Media Type", "UnsupportedMediaTypeException")
        return body
    try:
        return apigw_vtl.render(template, variables).encode("utf-8")
    except apigw_vtl.VtlError as e:
        raise MappingError(500, "Internal server error", f"Execution failed: mapping template: {e}") from e


def static_headers(integration: dict[str, Any]) -> dict[str, str]:
    """Integration request headers set to quoted literals (`'value'`)."""
    out = {}
    for target, source in (integration.get("requestParameters") or {}).items():
        if target.startswith("integration.request.header.") and _literal(source) is not None:
            out[target.rsplit(".", 1)[-1]] = _literal(source)
    return out


def _literal(source: Any) -> str | None:
    if isinstance(source, str) and len(source) >= 2 and source[0] == source[-1] == "'":
        return source[1:-1]
    return None


def select(integration: dict[str, Any], status: int) -> dict[str, Any]:
    """The integration response for a backend status code."""
    responses = list((integration.get("integrationResponses") or {}).values())
    for r in responses:
        pattern = r.get("selectionPattern")
        if pattern and re.fullmatch(pattern, str(status), re.S):
            return r
    for r in responses:
        if not r.get("selectionPattern"):
            return r
    raise MappingError(500, "Internal server error",
                       "Execution failed due to configuration error: No match for output mapping and no default output mapping")


def response(integration: dict[str, Any], status: int, headers: dict[str, str], body: bytes,
             accept: str, variables: dict[str, Any]) -> Mapped:
    chosen = select(integration, status)
    templates = chosen.get("responseTemplates") or {}
    wanted = [a.split(";")[0].strip().lower() for a in (accept or "").split(",") if a.strip()]
    ct = next((k for k in templates if k.lower() in wanted), None) or next(iter(templates), None)
    out_headers = {"Content-Type": ct or "application/json"}
    if ct and templates.get(ct):
        variables = dict(variables, input=apigw_vtl.Input(body.decode("utf-8", "replace")))
        try:
            body = apigw_vtl.render(templates[ct], variables).encode("utf-8")
        except apigw_vtl.VtlError as e:
            raise MappingError(500, "Internal server error", f"Execution failed: response template: {e}") from e
    lower = {k.lower(): v for k, v in headers.items()}
    for target, source in (chosen.get("responseParameters") or {}).items():
        if not target.startswith("method.response.header."):
            continue
        name = target.rsplit(".", 1)[-1]
        if _literal(source) is not None:
            out_headers[name] = _literal(source)
        elif str(source).startswith("integration.response.header."):
            value = lower.get(str(source).rsplit(".", 1)[-1].lower())
            if value is not None:
                out_headers[name] = value
    return Mapped(int(chosen.get("statusCode", 200)), out_headers, body)
