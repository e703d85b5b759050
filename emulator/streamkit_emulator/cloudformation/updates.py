"""Stack updates as CloudFormation performs them.

"Update behaviors of stack resources" (CloudFormation User Guide): a resource
is updated only when its properties change; a change to a property the
type's registry schema lists in `createOnlyProperties` replaces the resource
(a new one with a new physical ID is created, the resources that refer to it
are updated to the new ID, and the old one is deleted in the cleanup phase
after every update succeeded); any other change updates it in place, with no
or some interruption, keeping its physical ID. A resource with a custom name
whose update requires replacement fails the update ("CloudFormation cannot
update a stack when a custom-named resource requires replacing").

moto 5.2.1 compares the template text and raw parameter values instead of
the properties each resource resolves to, so resources whose properties did
not change were "updated" (for streamkit's own models: deleted and created
again under a new name, losing what a delivery stream had buffered), and
nothing told the resources that refer to a replaced one. Here the properties
are resolved before and after (`clean_json`), unchanged resources are left
alone, `create_only.json` (the schemas' lists, `emulator/scripts/create_only.py`
regenerates and checks it against cfn-lint's copy, as the deploy guard's rules
are) decides replacement, and dependants are updated until nothing changes.
"""
from __future__ import annotations

import json
import logging
import os
from typing import Any

from moto.cloudformation import parsing

log = logging.getLogger("streamkit.emulator")

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "create_only.json"), encoding="utf-8") as _f:
    CREATE_ONLY: dict[str, list[str]] = json.load(_f)

_MISSING = object()


class ReplacementOfNamedResource(Exception):
    """AWS's refusal to replace a resource whose name the template fixes."""

    def __init__(self, logical_id: str, physical_id: str, kind: str):
        super().__init__(
            f"CloudFormation cannot update a stack when a custom-named resource requires replacing. "
            f"Rename {physical_id} and update the stack again. (logical ID {logical_id}, {kind})")


def _at(value: Any, path: str) -> Any:
    for part in path.split("/"):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def replacing_paths(kind: str, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The create-only properties of `kind` whose value differs."""
    return [p for p in CREATE_ONLY.get(kind, []) if _at(before, p) != _at(after, p)]


def resolved(resources_map: Any, resource_json: dict[str, Any]) -> Any:
    """A resource's properties as CloudFormation would pass them (intrinsics
    resolved against the stack's current parameters and resources)."""
    return parsing.clean_json(resource_json.get("Properties") or {}, resources_map)


def _snapshot(resources_map: Any) -> dict[str, Any]:
    out = {}
    for name, spec in (resources_map._resource_json_map or {}).items():
        if resources_map._parsed_resources.get(name) is None:
            continue
        try:
            out[name] = resolved(resources_map, spec)
        except Exception:  # noqa: BLE001 - unresolvable now: treat it as changed later
            continue
    return out


def _update_one(logical_id: str, resource_json: dict[str, Any], resources_map: Any, account_id: str,
                region_name: str, inner: Any) -> Any:
    before = (getattr(resources_map, "streamkit_before", None) or {})
    applied = resources_map.__dict__.setdefault("streamkit_applied", {})
    old = resources_map._parsed_resources.get(logical_id)
    condition = resource_json.get("Condition")
    if condition and not resources_map.lazy_condition_map.get(condition, True):
        return None  # a resource whose Condition is false is not in the stack (moto created it)
    if old is None or logical_id not in before:
        return inner(logical_id, resource_json, resources_map, account_id, region_name)
    current = applied.get(logical_id, before[logical_id])
    after = resolved(resources_map, resource_json)
    applied[logical_id] = after
    if after == current:
        return old  # no property changed: CloudFormation leaves the resource alone
    kind = resource_json.get("Type", "")
    paths = replacing_paths(kind, current, after)
    if not paths:
        return inner(logical_id, resource_json, resources_map, account_id, region_name)
    return _replace(logical_id, resource_json, resources_map, account_id, region_name, old, paths)


def _replace(logical_id: str, resource_json: dict[str, Any], resources_map: Any, account_id: str,
             region_name: str, old: Any, paths: list[str]) -> Any:
    """A new resource (new physical ID) now; the old one goes in the cleanup phase."""
    resource_class, cleaned, new_name = parsing.parse_resource_and_generate_name(
        logical_id, resource_json, resources_map)
    name_property = parsing.resource_name_property_from_type(resource_json.get("Type", ""))
    if name_property and name_property in (resource_json.get("Properties") or {}) \
            and name_property not in paths:
        raise ReplacementOfNamedResource(logical_id, str(getattr(old, "physical_resource_id", "")),
                                         resource_json.get("Type", ""))
    log.info("stack update: replacing %s (%s changed)", logical_id, ", ".join(paths))
    new = resource_class.create_from_cloudformation_json(new_name, cleaned, account_id, region_name)
    new.cf_resource_type = resource_json["Type"]
    new.logical_resource_id = logical_id
    resources_map.__dict__.setdefault("streamkit_doomed", []).append((old, resource_json))
    return new


def install() -> None:
    """Applies this module's patches to moto (once, after
    `cloudformation.models.install`, whose update wrapper this one calls)."""
    inner = parsing.parse_and_update_resource

    def parse_and_update_resource(logical_id: str, resource_json: Any, resources_map: Any,
                                  account_id: str, region_name: str) -> Any:
        return _update_one(logical_id, resource_json, resources_map, account_id, region_name, inner)

    parsing.parse_and_update_resource = parse_and_update_resource
    original_update = parsing.ResourceMap.update

    def update(self: Any, template: dict[str, Any], parameters: dict[str, Any] | None = None) -> None:
        self.streamkit_before = _snapshot(self)
        self.streamkit_applied = {}
        self.streamkit_doomed = []
        try:
            original_update(self, template, parameters)
            _update_dependants(self)
            for old, spec in self.streamkit_doomed:
                try:
                    self._delete_resource(old, spec)
                except Exception:  # noqa: BLE001 - AWS reports a failed cleanup, the update stands
                    log.exception("stack update: deleting the replaced %s", getattr(old, "physical_resource_id", old))
        finally:
            self.streamkit_before = None

    parsing.ResourceMap.update = update


def _update_dependants(resources_map: Any) -> None:
    """Resources whose resolved properties changed because something they
    refer to was replaced (or changed an attribute), until nothing changes."""
    for _ in range(10):
        changed = False
        for name, spec in list((resources_map._resource_json_map or {}).items()):
            if name not in resources_map.streamkit_before or resources_map._parsed_resources.get(name) is None:
                continue
            reflected = resources_map.streamkit_applied.get(name, resources_map.streamkit_before[name])
            if resolved(resources_map, spec) == reflected:
                continue
            resources_map._parsed_resources[name] = parsing.parse_and_update_resource(
                name, spec, resources_map, resources_map._account_id, resources_map._region_name)
            changed = True
        if not changed:
            return
