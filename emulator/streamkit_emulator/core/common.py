"""Shared helpers of the emulator's CloudFormation models and patches."""
from __future__ import annotations

import json
from typing import Any

from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

# moto's model metaclass files models under the second component of the module name.
MODULE = "streamkit.emulator"



def as_int(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def as_float(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def as_bool(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def cfn_string(value: Any) -> str:
    """A scalar as CloudFormation passes it to a String property."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def policy_text(document: Any) -> str:
    return document if isinstance(document, str) else json.dumps(document)


def tag_list(tags: Any) -> list[dict[str, str]]:
    if isinstance(tags, dict):
        return [{"Key": k, "Value": v} for k, v in tags.items()]
    return list(tags or [])


def tag_map(tags: Any) -> dict[str, str]:
    if isinstance(tags, dict):
        return dict(tags)
    return {t["Key"]: t["Value"] for t in tags or []}


class StreamkitModel:
    """Shared behaviour. Subclasses also derive from `CloudFormationModel`
    directly (moto only looks at its direct subclasses)."""

    CFN_TYPE = ""
    NAME_PROPERTY = ""
    # GetAtt attribute -> instance attribute name
    ATTRIBUTES: dict[str, str] = {}
    ref: str = ""

    @classmethod
    def cloudformation_type(cls) -> str:  # type: ignore[override]
        return cls.CFN_TYPE

    @classmethod
    def cloudformation_name_type(cls) -> str:  # type: ignore[override]
        return cls.NAME_PROPERTY

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.ATTRIBUTES

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name in self.ATTRIBUTES:
            return getattr(self, self.ATTRIBUTES[attribute_name])
        raise UnformattedGetAttTemplateException()

    @property
    def physical_resource_id(self) -> str:
        return self.ref

    def is_created(self) -> bool:
        return True

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Any:
        # A model without an in-place update: delete it and create it again
        # (`cloudformation/updates.py` calls this only when a property that is
        # not create-only changed, and leaves unchanged resources alone).
        if original_resource is not None:
            original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(  # type: ignore[attr-defined]
            new_resource_name, cloudformation_json, account_id, region_name
        )

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        raise NotImplementedError("streamkit models delete through their instance")

    def delete(self, account_id: str, region_name: str) -> None:
        raise NotImplementedError



def wrap_create(cls: Any, after: Any, before: Any = None) -> None:
    """Replaces `cls.create_from_cloudformation_json` with one that runs
    `before(properties)` and `after(resource, properties, account, region)`."""
    original = cls.create_from_cloudformation_json.__func__

    def create(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json.setdefault("Properties", {})
        if before:
            before(props)
        resource = original(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        after(resource, props, account_id, region_name)
        return resource

    cls.create_from_cloudformation_json = classmethod(create)

