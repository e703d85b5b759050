"""CloudFormation: Number parameters, outputs of failed stacks, resources with
false conditions, change-set execution (outputs and per-resource events),
updates of resources without an update handler and dynamic references."""
from __future__ import annotations

import re
from typing import Any

from moto.cloudformation import parsing

from streamkit_emulator.core import endpoints
from streamkit_emulator.core.common import as_float, as_int


_load_parameters = parsing.ResourceMap.load_parameters


def load_parameters(self: parsing.ResourceMap) -> None:
    """CloudFormation passes Number parameters as numbers to the property, also
    when the value is the template's default written as a string."""
    _load_parameters(self)
    slots = self._template.get("Parameters", {})
    for name, slot in slots.items():
        if slot.get("Type") == "Number" and isinstance(self.resolved_parameters.get(name), str):
            value = self.resolved_parameters[name]
            number = as_int(value)
            if isinstance(number, str):
                number = as_float(value)
            self.resolved_parameters[name] = number
            self._parsed_resources[name] = number


def _outputs_guard() -> None:
    """moto resolves Outputs lazily, which re-creates resources of a stack that
    was rolled back or deleted; AWS shows no outputs for those."""
    from moto.cloudformation.models import Stack

    original = Stack.outputs.fget

    def outputs(self: Any) -> Any:
        if self.status in ("CREATE_FAILED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_COMPLETE",
                           "ROLLBACK_FAILED", "DELETE_IN_PROGRESS", "DELETE_COMPLETE"):
            return None
        return original(self)

    Stack.outputs = property(outputs)


def _stack_resources_without_skipped() -> None:
    """ListStackResources: resources whose Condition is false are not in the stack
    (moto lists them as empty entries). A stack whose create failed lists only
    what was created before the failure, and after its rollback (ROLLBACK_COMPLETE)
    nothing live: moto's lazy resource map created the resources anew when listed,
    so the failing one failed again and the call answered HTTP 400, where AWS
    answers (ListStackResources, AWS CloudFormation API Reference:
    https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ListStackResources.html;
    a stack in ROLLBACK_COMPLETE can only be deleted: "Troubleshooting
    CloudFormation", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/troubleshooting.html)."""
    from moto.cloudformation.models import Stack

    def stack_resources(self: Any) -> Any:
        if self.status == "ROLLBACK_COMPLETE":
            return []
        if self.status in ("CREATE_FAILED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_FAILED"):
            parsed = getattr(self.resource_map, "_parsed_resources", {})
            return [r for r in parsed.values() if r is not None and hasattr(r, "logical_resource_id")]
        return [r for r in self.resource_map.values() if r is not None]

    Stack.stack_resources = property(stack_resources)


def _change_set_execution() -> None:
    """ExecuteChangeSet: moto applies the resources but keeps the stack's old
    template, parameters, tags and (empty) outputs, and records no resource events.
    AWS shows the executed template's outputs and one event per resource."""
    from moto.cloudformation.models import CloudFormationBackend, Event

    original = CloudFormationBackend.execute_change_set

    def execute_change_set(self: Any, change_set_name: str, stack_name: Any = None) -> None:
        change_set = self.change_sets.get(change_set_name) or next(
            (cs for cs in self.change_sets.values() if cs.change_set_name == change_set_name), None)
        original(self, change_set_name, stack_name)
        if change_set is None:
            return
        stack = self.stacks[change_set.stack_id]
        stack.template = change_set.template
        stack._parse_template()
        stack.parameters = change_set.parameters
        if change_set.tags:
            # AWS replaces the stack's tags with the change set's (moto keeps the old ones).
            stack.tags = dict(change_set.tags)
        stack.output_map = stack._create_output_map()
        verb = "CREATE" if change_set.change_set_type == "CREATE" else "UPDATE"
        final = stack.events.pop() if stack.events else None
        for logical_id, resource in stack.resource_map.items():
            if resource is None:
                continue
            spec = stack.template_dict.get("Resources", {}).get(logical_id, {})
            physical = getattr(resource, "physical_resource_id", None) or ""
            for status in (f"{verb}_IN_PROGRESS", f"{verb}_COMPLETE"):
                stack.events.append(Event(
                    stack_id=stack.stack_id, stack_name=stack.name, logical_resource_id=logical_id,
                    physical_resource_id=str(physical), resource_type=spec.get("Type", ""),
                    resource_status=status, resource_status_reason=None, resource_properties=None))
        if final is not None:
            stack.events.append(final)

    CloudFormationBackend.execute_change_set = execute_change_set


def _dynamic_references() -> None:
    """`{{resolve:secretsmanager:...}}` and `{{resolve:ssm:...}}` in property
    values, resolved when the resource is created, as CloudFormation does."""
    import json
    import re

    pattern = re.compile(r"\{\{resolve:(secretsmanager|ssm|ssm-secure):([^}]*)\}\}")
    _clean = parsing.clean_json

    def resolve(match: "re.Match[str]", account_id: str, region_name: str) -> str:
        service, ref = match.group(1), match.group(2)
        if service == "secretsmanager":
            from moto.secretsmanager.models import secretsmanager_backends

            # secret-id[:SecretString[:json-key[:version-stage[:version-id]]]]
            if ref.startswith("arn:"):
                parts = ref.split(":")
                secret_id, rest = ":".join(parts[:7]), parts[7:]
            else:
                secret_id, *rest = ref.split(":")
            value = secretsmanager_backends[account_id][region_name].get_secret_value(
                secret_id, version_id=None, version_stage=None
            )["SecretString"]
            if len(rest) >= 2 and rest[1]:
                value = json.loads(value)[rest[1]]
            return str(value)
        from moto.ssm.models import ssm_backends

        name = ref.split(":")[0]
        return ssm_backends[account_id][region_name].get_parameter(name).value

    def clean_json(resource_json: Any, resources_map: Any) -> Any:
        result = _clean(resource_json, resources_map)
        if isinstance(result, str) and "{{resolve:" in result and hasattr(resources_map, "_account_id"):
            account, region = resources_map._account_id, resources_map._region_name
            result = pattern.sub(lambda m: resolve(m, account, region), result)
        return result

    parsing.clean_json = clean_json


def _template_url_path_style() -> None:
    """TemplateURL on the emulator itself (`http://127.0.0.1:PORT/bucket/key`,
    what a deployer sends for templates over 51,200 bytes with an endpoint
    override) is path-style: moto only knew `localhost`, and took the first
    label of `127.0.0.1` for the bucket."""
    import ipaddress
    from urllib.parse import urlparse

    from moto.cloudformation import responses

    original = responses.get_stack_from_s3_url

    def get_stack_from_s3_url(template_url: str, account_id: str, partition: str) -> str:
        parts = urlparse(template_url)
        host = parts.hostname or ""
        try:
            is_ip = bool(ipaddress.ip_address(host))
        except ValueError:
            is_ip = False
        if is_ip or host == "localhost" or template_url.startswith(endpoints.base()):
            from moto.s3.models import s3_backends

            bucket, key = parts.path.lstrip("/").split("/", 1)
            obj = s3_backends[account_id][partition].get_object(bucket, key)
            return obj.value.decode("utf-8")  # type: ignore[union-attr]
        return original(template_url, account_id, partition)

    responses.get_stack_from_s3_url = get_stack_from_s3_url


def _tag_only_updates() -> None:
    """UpdateStack with the same template and parameters but other tags is an
    update on AWS (the tags are applied and propagated); moto refuses it as
    "No updates are to be performed"."""
    from moto.cloudformation.responses import CloudFormationResponse

    original = CloudFormationResponse._validate_different_update

    def validate(self: Any, incoming_params: Any, stack_body: str, old_stack: Any) -> None:
        tags = {item["Key"]: item["Value"] for item in self._get_param("Tags", [])}
        if tags and tags != (old_stack.tags or {}):
            return
        original(self, incoming_params, stack_body, old_stack)

    CloudFormationResponse._validate_different_update = validate


def _updates_without_handler() -> None:
    """moto stores `None` for a modified resource whose model has no update
    handler (e.g. a log group whose retention parameter changed), so the next
    `Fn::GetAtt` to it fails the whole update with "references undefined
    resource". AWS updates such resources in place: keep the resource."""
    original = parsing.parse_and_update_resource

    def parse_and_update_resource(logical_id: str, resource_json: Any, resources_map: Any,
                                  account_id: str, region_name: str) -> Any:
        updated = original(logical_id, resource_json, resources_map, account_id, region_name)
        if updated is None and logical_id in resources_map._parsed_resources:
            return resources_map._parsed_resources[logical_id]
        return updated

    parsing.parse_and_update_resource = parse_and_update_resource


def _references(value: Any) -> set[str]:
    """Names a template value refers to: `Ref` and `${Name}` in `Fn::Sub`."""
    if isinstance(value, dict):
        out: set[str] = set()
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                out.add(inner)
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                if isinstance(text, str):
                    out.update(re.findall(r"\$\{([A-Za-z0-9]+)\}", text))
                if isinstance(inner, list) and len(inner) > 1:
                    out.update(_references(inner[1]))
            else:
                out.update(_references(inner))
        return out
    if isinstance(value, list):
        return set().union(*(_references(v) for v in value)) if value else set()
    return set()


def _effective(template: dict[str, Any], given: dict[str, Any]) -> dict[str, str]:
    out = {k: str(v["Default"]) for k, v in (template.get("Parameters") or {}).items()
           if isinstance(v, dict) and "Default" in v}
    out.update({k: str(v) for k, v in (given or {}).items()})
    return out


def _parameter_changes_listed() -> None:
    """A change set lists a resource as Modify when only a parameter it
    refers to changes value (AWS does; moto compares the template text only,
    so a parameter-only update showed an empty change table). Values compare
    as the stack will have them: given, else the template default."""
    from moto.cloudformation.models import Change, ChangeSet

    def diff(self: Any) -> list[Any]:
        resource_map = self.stack.resource_map
        names = resource_map.build_resource_diff(self.template_dict)
        resources = self.template_dict.get("Resources", {})
        old = _effective(resource_map._template or {}, resource_map.input_parameters)
        new = _effective(self.template_dict, self.parameters)
        changed = {k for k in set(old) | set(new) if old.get(k) != new.get(k)}
        old_resources = resource_map._resource_json_map or {}
        for name, resource in resources.items():
            if name in old_resources and name not in names["Modify"] and _references(resource) & changed:
                names["Modify"].append(name)
        changes = []
        for action in ("Add", "Modify", "Remove"):
            for name in names[action]:
                source = old_resources if action == "Remove" else resources
                changes.append(Change(action=action, logical_resource_id=name,
                                      resource_type=source[name]["Type"]))
        return changes

    ChangeSet.diff = diff


def install() -> None:
    """Applies this module's patches to moto (once, from `streamkit_emulator.install`)."""
    parsing.ResourceMap.load_parameters = load_parameters
    _template_url_path_style()
    _outputs_guard()
    _stack_resources_without_skipped()
    _change_set_execution()
    _tag_only_updates()
    _updates_without_handler()
    _parameter_changes_listed()
    _dynamic_references()
    from streamkit_emulator.cloudformation import limits, protection, updates

    protection.install()
    updates.install()
    limits.install()  # wraps _updates_without_handler's parse_and_update_resource
