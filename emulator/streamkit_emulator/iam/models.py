"""What IAM adds to moto for enforcement: `AWS::IAM::Role` with
`ManagedPolicyArns` (moto's CloudFormation ignores them) and in-place updates
of its policies and trust policy ("AWS::IAM::Role", CloudFormation User
Guide: Policies, ManagedPolicyArns and AssumeRolePolicyDocument update
without interruption); AttachRolePolicy / AttachUserPolicy of an AWS managed
policy; and, when IAM is enforced, every request checked (`enforce`)."""
from __future__ import annotations

import json
from typing import Any

from streamkit_emulator.iam import enforce, evaluator, managed


POLICY_ARGUMENTS = (("put_role_policy", "policy_json"), ("put_user_policy", "policy_json"),
                    ("put_group_policy", "policy_json"), ("create_policy", "policy_document"),
                    ("create_policy_version", "policy_document"), ("create_role", "assume_role_policy_document"),
                    ("update_assume_role_policy", "policy_document"))


def check(document: Any, where: str = "") -> None:
    """Strict mode: a policy the evaluator cannot evaluate is refused when stored
    (IAM's MalformedPolicyDocument, naming the element), never enforced as allowing."""
    if not enforce.strict() or document in (None, ""):
        return
    from moto.iam.exceptions import MalformedPolicyDocument

    try:
        evaluator.validate(document)
    except evaluator.Unsupported as e:
        raise MalformedPolicyDocument(f"the streamkit emulator cannot evaluate {where or 'this policy'}: {e} "
                                      f"(emulator/README.md, IAM enforced)") from None


def _without_no_value(props: dict[str, Any]) -> None:
    """`{Ref: AWS::NoValue}` removes a statement ("Pseudo parameters reference");
    moto's template engine leaves None in its place."""
    for policy in props.get("Policies", []) or []:
        document = policy.get("PolicyDocument")
        if isinstance(document, dict) and isinstance(document.get("Statement"), list):
            document["Statement"] = [s for s in document["Statement"] if s is not None]


def _validated_documents() -> None:
    import inspect

    from moto.iam.models import IAMBackend

    for name, parameter in POLICY_ARGUMENTS:
        original = getattr(IAMBackend, name)
        signature = inspect.signature(original)

        def wrapper(self: Any, *args: Any, _original: Any = original, _signature: Any = signature,
                    _parameter: str = parameter, **kwargs: Any) -> Any:
            bound = _signature.bind(self, *args, **kwargs)
            check(bound.arguments.get(_parameter))
            result = _original(self, *args, **kwargs)
            enforce.changed()
            return result

        setattr(IAMBackend, name, wrapper)


def _attach(role: Any, arns: Any, account_id: str, region: str) -> None:
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import iam_backends

    backend = iam_backends[account_id]["aws"]
    wanted = [str(a) for a in (arns or [])]
    for arn in list(role.managed_policies):
        if arn not in wanted:
            role.managed_policies[arn].detach_from(role)
    for arn in wanted:
        if arn in role.managed_policies:
            continue
        policy = backend.managed_policies.get(arn) or managed.policy(arn, account_id, region)
        if policy is None:
            raise NotFoundException(f"Policy {arn} does not exist or is not attachable.")
        policy.attach_to(role)


def _roles() -> None:
    from moto.iam.models import Role, iam_backends

    create = Role.create_from_cloudformation_json.__func__

    def create_role(cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
                    region_name: str, **kwargs: Any) -> Any:
        _without_no_value(cloudformation_json["Properties"])
        for policy in cloudformation_json["Properties"].get("Policies", []) or []:
            check(policy.get("PolicyDocument"), f"policy {policy.get('PolicyName')} of role {resource_name}")
        role = create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        # Stored as JSON text, as the API stores them (moto kept the template's dicts, and
        # GetRolePolicy then answered their Python repr).
        for name, document in list(role.policies.items()):
            if not isinstance(document, str):
                role.policies[name] = json.dumps(document)
        _attach(role, cloudformation_json["Properties"].get("ManagedPolicyArns"), account_id, region_name)
        enforce.changed()
        return role

    def update_role(cls: Any, original_resource: Any, new_resource_name: str, cloudformation_json: dict[str, Any],
                    account_id: str, region_name: str) -> Any:
        props = cloudformation_json["Properties"]
        _without_no_value(props)
        role = original_resource
        if props.get("Description") is not None:
            role.description = props["Description"]
        trust = props.get("AssumeRolePolicyDocument")
        if trust is not None:
            role.assume_role_policy_document = trust if isinstance(trust, str) else json.dumps(trust)
        for policy in props.get("Policies", []) or []:
            check(policy.get("PolicyDocument"), f"policy {policy.get('PolicyName')} of role {role.name}")
        role.policies.clear()
        for policy in props.get("Policies", []) or []:
            document = policy["PolicyDocument"]
            role.put_policy(policy["PolicyName"], document if isinstance(document, str) else json.dumps(document))
        _attach(role, props.get("ManagedPolicyArns"), account_id, region_name)
        iam_backends[account_id]["aws"].roles[role.id] = role
        enforce.changed()
        return role

    delete = Role.delete_from_cloudformation_json.__func__

    def delete_role(cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
                    region_name: str) -> None:
        """CloudFormation detaches the role's managed policies before deleting it
        (IAM's DeleteRole refuses a role with attached policies)."""
        backend = iam_backends[account_id]["aws"]
        for role in list(backend.roles.values()):
            if role.name == resource_name:
                for policy in list(role.managed_policies.values()):
                    policy.detach_from(role)
        delete(cls, resource_name, cloudformation_json, account_id, region_name)
        enforce.changed()

    Role.create_from_cloudformation_json = classmethod(create_role)
    Role.delete_from_cloudformation_json = classmethod(delete_role)
    Role.update_from_cloudformation_json = classmethod(update_role)


def _attach_aws_managed() -> None:
    from moto.iam.models import IAMBackend

    for name in ("attach_role_policy", "attach_user_policy", "attach_group_policy"):
        original = getattr(IAMBackend, name)

        def attach(self: Any, policy_arn: str, *args: Any, _original: Any = original) -> None:
            if policy_arn not in self.managed_policies:
                managed.policy(policy_arn, self.account_id, "us-east-1")
            _original(self, policy_arn, *args)
            enforce.changed()

        setattr(IAMBackend, name, attach)


def _documents_as_json() -> None:
    """GetRolePolicy answers the document as JSON text (IAM API Reference,
    GetRolePolicy: a URL-encoded JSON policy document); moto kept the inline
    policies of CloudFormation roles as dicts and answered their Python repr."""
    import json

    from moto.iam.models import IAMBackend

    original = IAMBackend.get_role_policy

    def get_role_policy(self: Any, role_name: str, policy_name: str) -> tuple[str, str]:
        name, document = original(self, role_name, policy_name)
        return name, document if isinstance(document, str) else json.dumps(document)

    IAMBackend.get_role_policy = get_role_policy


def install() -> None:
    _documents_as_json()
    _roles()
    _attach_aws_managed()
    _validated_documents()
    enforce.install()
    from streamkit_emulator.iam import hooks, simulate

    hooks.install()
    simulate.install()
