"""KMS: key policies given as objects."""
from __future__ import annotations

from typing import Any

from streamkit_emulator.core.common import wrap_create


def _kms_key_policy_as_text() -> None:
    """moto keeps a template's KeyPolicy object as is, and then fails every
    call that checks the policy (it expects the JSON text)."""
    import json

    from moto.kms.models import Key

    def before(props: dict[str, Any]) -> None:
        if isinstance(props.get("KeyPolicy"), (dict, list)):
            props["KeyPolicy"] = json.dumps(props["KeyPolicy"])

    wrap_create(Key, lambda *a: None, before)


def install() -> None:
    """Applies this module's patches to moto (once, from `streamkit_emulator.install`)."""
    _kms_key_policy_as_text()
