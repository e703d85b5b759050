"""Deployment snapshots of REST APIs: what a stage serves.

On AWS a deployment freezes the API's resources, methods, integrations,
models and validators; later edits reach a stage only through a new
deployment. moto keeps no such copy, so `take` is run when a deployment is
created and its result (plain data, `Method.to_json()` shapes) is kept on the
deployment as `streamkit_snapshot`; the runtime serves only from it.
"""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any

ATTRIBUTE = "streamkit_snapshot"


def take(api: Any) -> dict[str, Any]:
    resources = []
    for res in list(api.resources.values()):
        methods = {m: json.loads(json.dumps(meth.to_json(), default=str)) for m, meth in res.resource_methods.items()}
        resources.append({"id": res.id, "path": res.get_path(), "methods": methods})
    return {
        "api_id": api.id,
        "name": api.name,
        "api_key_source": getattr(api, "api_key_source", "HEADER") or "HEADER",
        "resources": resources,
        "models": {m.name: m.schema for m in list(api.models.values())},
        "validators": {
            v.id: {"body": bool(v.validate_request_body), "params": bool(v.validate_request_parameters)}
            for v in list(api.request_validators.values())
        },
    }


def of_stage(api: Any, stage: Any) -> dict[str, Any] | None:
    deployment = api.deployments.get(getattr(stage, "deployment_id", None))
    return getattr(deployment, ATTRIBUTE, None) if deployment else None


@dataclass
class Route:
    resource: dict[str, Any]
    method: dict[str, Any]
    path_params: dict[str, str]


def match(snapshot: dict[str, Any], http_method: str, path: str) -> Route | None:
    """The resource and method serving `path` (`/a/b`), AWS's precedence:
    literal segments over `{param}` over `{proxy+}`; then the method or ANY."""
    segments = [s for s in path.split("/") if s]
    best: tuple[tuple[int, ...], Route] | None = None
    for res in snapshot["resources"]:
        params = _match_path(res["path"], segments)
        if params is None:
            continue
        method = res["methods"].get(http_method) or res["methods"].get("ANY")
        if method is None:
            continue
        rank = _rank(res["path"])
        if best is None or rank > best[0]:
            best = (rank, Route(res, method, params))
    return best[1] if best else None


def _match_path(template: str, segments: list[str]) -> dict[str, str] | None:
    parts = [p for p in template.split("/") if p]
    params: dict[str, str] = {}
    for i, part in enumerate(parts):
        greedy = re.fullmatch(r"\{(.+)\+\}", part)
        if greedy:
            if i >= len(segments):
                return None
            params[greedy.group(1)] = "/".join(segments[i:])
            return params
        if i >= len(segments):
            return None
        named = re.fullmatch(r"\{(.+)\}", part)
        if named:
            params[named.group(1)] = segments[i]
        elif part != segments[i]:
            return None
    return params if len(parts) == len(segments) else None


def _rank(template: str) -> tuple[int, ...]:
    return tuple(0 if p.endswith("+}") else 1 if p.startswith("{") else 2 for p in template.split("/") if p)


def install_hook(rest_api_class: Any) -> None:
    """Makes every new deployment keep a snapshot of its API."""
    original = rest_api_class.create_deployment

    def create_deployment(self: Any, *args: Any, **kwargs: Any) -> Any:
        deployment = original(self, *args, **kwargs)
        setattr(deployment, ATTRIBUTE, copy.deepcopy(take(self)))
        return deployment

    rest_api_class.create_deployment = create_deployment
