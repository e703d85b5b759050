"""Secrets Manager: secrets with generated values."""
from __future__ import annotations

import json
import secrets
import string
from typing import Any

from moto.core.common_models import CloudFormationModel
from moto.secretsmanager.models import secretsmanager_backends

from streamkit_emulator.core.common import MODULE, StreamkitModel, as_bool, as_int, tag_list

def _generate_secret(spec: dict[str, Any]) -> str:
    length = as_int(spec.get("PasswordLength", 32))
    alphabet = string.ascii_letters + string.digits
    if not as_bool(spec.get("ExcludePunctuation", False)):
        alphabet += "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    excluded = spec.get("ExcludeCharacters", "")
    alphabet = "".join(c for c in alphabet if c not in excluded)
    if as_bool(spec.get("IncludeSpace", False)):
        alphabet += " "
    value = "".join(secrets.choice(alphabet) for _ in range(length))
    template = spec.get("SecretStringTemplate")
    if template:
        doc = json.loads(template)
        doc[spec["GenerateStringKey"]] = value
        return json.dumps(doc)
    return value


class Secret(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::SecretsManager::Secret"
    NAME_PROPERTY = "Name"
    ATTRIBUTES = {"Id": "ref"}

    def __init__(self, arn: str):
        self.ref = arn

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        value = p.get("SecretString")
        if value is None and p.get("GenerateSecretString") is not None:
            value = _generate_secret(p["GenerateSecretString"])
        backend = secretsmanager_backends[account_id][region_name]
        result = backend.create_secret(
            name=p.get("Name", resource_name),
            secret_string=value,
            secret_binary=None,
            description=p.get("Description"),
            tags=tag_list(p.get("Tags")),
            kms_key_id=p.get("KmsKeyId"),
            client_request_token=None,
            replica_regions=[],
            force_overwrite=False,
        )
        return cls(json.loads(result)["ARN"])

    def delete(self, account_id: str, region_name: str) -> None:
        secretsmanager_backends[account_id][region_name].delete_secret(
            self.ref, recovery_window_in_days=None, force_delete_without_recovery=True
        )


def install() -> None:
    """The models above register themselves with moto when this module is imported."""
