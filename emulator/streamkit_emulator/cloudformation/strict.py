"""Stack failure handling and the strictness switch.

Always on: a resource that fails to create fails the stack the way AWS does
(resource CREATE_FAILED, stack CREATE_FAILED, rollback, ROLLBACK_COMPLETE)
instead of leaving it CREATE_IN_PROGRESS behind an HTTP 500.

With `install(strict=True)` (`--strict`):
* CreateStack / CreateChangeSet / UpdateStack refuse a template that uses a
  resource type the emulator does not implement (moto would log a warning,
  skip the resource and report CREATE_COMPLETE), with a ValidationError naming
  the types, like AWS's "Unrecognized resource types";
* an `Fn::GetAtt` attribute a model does not implement, or a `Ref` to a
  resource that has no physical ID, fails the stack instead of leaving the
  unresolved intrinsic in the property.
"""
from __future__ import annotations

import logging
import sys
import traceback
from typing import Any

from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import ValidationError

STRICT = False
log = logging.getLogger("streamkit.emulator")


def unsupported_types(template: dict[str, Any]) -> list[str]:
    """Resource types in the template that no model implements."""
    known = parsing.get_model_map()
    missing = set()
    for logical_id, resource in (template.get("Resources") or {}).items():
        rtype = resource.get("Type", "") if isinstance(resource, dict) else ""
        if rtype not in known or rtype in parsing.NULL_MODELS:
            missing.add(rtype)
    return sorted(missing)


def check_template(template: dict[str, Any]) -> None:
    if not STRICT:
        return
    missing = unsupported_types(template)
    if missing:
        raise ValidationError(
            message="Template format error: Unrecognized resource types: ["
            + ", ".join(missing)
            + "] (the streamkit emulator does not implement these types; strict mode refuses to skip them)"
        )


# ResourceMap.load runs for CreateStack and CreateChangeSet, before the stack is stored.
_load: Any = None


def load(self: parsing.ResourceMap) -> None:
    check_template(self._template)
    _load(self)



_update: Any = None


def update(self: parsing.ResourceMap, template: dict[str, Any], parameters: Any = None) -> None:
    check_template(template)
    _update(self, template, parameters)




class StrictResolutionError(Exception):
    pass


_clean_json: Any = None


def clean_json(resource_json: Any, resources_map: Any) -> Any:
    if STRICT and isinstance(resource_json, dict):
        if "Ref" in resource_json:
            target = resource_json["Ref"]
            try:
                resource = resources_map[target]
            except KeyError:
                raise StrictResolutionError(f"Ref to undefined resource or parameter {target}")
            if resource is not None and not isinstance(
                resource, (str, int, float, bool, list, dict)
            ) and not hasattr(resource, "physical_resource_id"):
                raise StrictResolutionError(
                    f"Ref {target}: the emulator's {type(resource).__name__} has no physical ID"
                )
        if "Fn::GetAtt" in resource_json:
            name, attr = resource_json["Fn::GetAtt"][0], resource_json["Fn::GetAtt"][1]
            resource = resources_map.get(name) if hasattr(resources_map, "get") else None
            if resource is not None and hasattr(resource, "get_cfn_attribute"):
                try:
                    resource.get_cfn_attribute(attr)
                except NotImplementedError as e:
                    raise StrictResolutionError(f"Fn::GetAtt {name}.{attr}: {e}")
    return _clean_json(resource_json, resources_map)




# ------------------------------------------------------------------ failure handling


def _resource_event(stack: Any, logical_id: str, rtype: str, status: str, reason: str) -> None:
    event = cfn_models.Event(
        stack_id=stack.stack_id,
        stack_name=stack.name,
        logical_resource_id=logical_id,
        physical_resource_id="",
        resource_type=rtype,
        resource_status=status,
        resource_status_reason=reason,
        resource_properties=None,
    )
    stack.events.append(event)


_create_resources: Any = None


def create_resources(self: Any) -> None:
    try:
        _create_resources(self)
    except Exception as error:  # the stack fails; the API call does not
        reason = f"{type(error).__name__}: {getattr(error, 'message', None) or error}"
        failed = _failing_resource(self)
        print(f"streamkit emulator: stack {self.name} failed: {reason}", file=sys.stderr)
        traceback.print_exc()
        if failed:
            _resource_event(self, failed[0], failed[1], "CREATE_FAILED", reason)
        self.status = "CREATE_FAILED"
        self.status_reason = reason
        self._add_stack_event("CREATE_FAILED", resource_status_reason=reason)
        self.status = "ROLLBACK_IN_PROGRESS"
        self._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=reason)
        try:
            self.resource_map.delete()
            self.status = "ROLLBACK_COMPLETE"
        except Exception as rollback_error:  # noqa: BLE001
            self.status = "ROLLBACK_FAILED"
            reason = f"{reason}; rollback: {rollback_error}"
        self._add_stack_event(self.status, resource_status_reason=reason)


def _failing_resource(stack: Any) -> tuple[str, str] | None:
    """The first resource (in template order) that is not created."""
    resources = stack.template_dict.get("Resources", {})
    parsed = stack.resource_map._parsed_resources
    for logical_id, resource in resources.items():
        if logical_id not in parsed:
            condition = resource.get("Condition")
            if condition and not stack.resource_map.lazy_condition_map.get(condition, True):
                continue
            return logical_id, resource.get("Type", "")
    return None


def install(strict: bool) -> None:
    """Always: failing resources fail the stack. With `strict`: unknown types and
    unresolvable intrinsics are refused."""
    global STRICT, _load, _update, _clean_json, _create_resources
    STRICT = strict
    # Wrap whatever is installed now (e.g. the dynamic-reference resolver).
    _load, _update = parsing.ResourceMap.load, parsing.ResourceMap.update
    _clean_json, _create_resources = parsing.clean_json, cfn_models.Stack.create_resources
    parsing.ResourceMap.load = load
    parsing.ResourceMap.update = update
    parsing.clean_json = clean_json
    cfn_models.Stack.create_resources = create_resources
