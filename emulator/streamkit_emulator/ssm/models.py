"""SSM: generated parameter names."""
from __future__ import annotations


def _ssm_parameter_create() -> None:
    from moto.ssm.models import Parameter

    original = Parameter.create_from_cloudformation_json.__func__

    def create(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json.setdefault("Properties", {})
        # AWS generates a name when the template gives none.
        props.setdefault("Name", f"CFN-{kwargs.get('LogicalId', 'Parameter')}-{resource_name.rsplit('-', 1)[-1]}")
        return original(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    Parameter.create_from_cloudformation_json = classmethod(create)


def install() -> None:
    """Applies this module's patches to moto (once, from `streamkit_emulator.install`)."""
    _ssm_parameter_create()
