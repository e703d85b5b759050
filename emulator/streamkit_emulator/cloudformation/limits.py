"""CloudFormation's template quotas ("AWS CloudFormation quotas", CloudFormation
User Guide): a template body passed in the request is at most 51,200 bytes,
one fetched from S3 (TemplateURL) at most 1 MB, and a stack has at most 500
resources. Over them CreateStack, UpdateStack, CreateChangeSet and
ValidateTemplate answer ValidationError before anything is created:
"1 validation error detected: Value '...' at 'templateBody' failed to satisfy
constraint: Member must have length less than or equal to 51200", "Template
may not exceed 1000000 bytes in size.", "Template format error: Number of
resources, N, is greater than maximum allowed, 500"."""
from __future__ import annotations

import json
from typing import Any

import yaml
from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.responses import CloudFormationResponse
from moto.cloudformation.utils import yaml_tag_constructor

BODY_BYTES = 51_200
URL_BYTES = 1_000_000
RESOURCES = 500


class _Loader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (`!Ref`, `!GetAtt`, ...)."""


_Loader.add_multi_constructor("", yaml_tag_constructor)


def _resources(text: str) -> int:
    try:
        template = json.loads(text)
    except ValueError:
        try:
            template = yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader with tag constructors
        except yaml.YAMLError:
            return 0  # moto reports the malformed template itself
    resources = template.get("Resources") if isinstance(template, dict) else None
    return len(resources) if isinstance(resources, dict) else 0


def check(response: Any) -> None:
    body = response._get_param("TemplateBody")
    url = response._get_param("TemplateURL")
    if body is not None and len(body.encode("utf-8")) > BODY_BYTES:
        shown = body[:40].replace("\n", " ")
        raise ValidationError(message=(
            f"1 validation error detected: Value '{shown}...' at 'templateBody' failed to satisfy constraint: "
            f"Member must have length less than or equal to {BODY_BYTES}"))
    if url and body is None:
        body = response._get_stack_from_s3_url(url)
        if len(body.encode("utf-8")) > URL_BYTES:
            raise ValidationError(message=f"Template may not exceed {URL_BYTES} bytes in size.")
    if body is not None:
        count = _resources(body)
        if count > RESOURCES:
            raise ValidationError(message=(
                f"Template format error: Number of resources, {count}, is greater than maximum allowed, {RESOURCES}"))


def install() -> None:
    for name in ("create_stack", "update_stack", "create_change_set", "validate_template"):
        original = getattr(CloudFormationResponse, name)

        def guarded(self: Any, _original: Any = original) -> Any:
            check(self)
            return _original(self)

        setattr(CloudFormationResponse, name, guarded)
