"""iam:SimulatePrincipalPolicy and iam:SimulateCustomPolicy ("Testing IAM
policies with the IAM policy simulator", IAM API Reference), answered by the
same evaluator that enforces requests (moto 5.2.1 has neither).

Result shape as the API documents it: `EvaluationResults` of `EvalActionName`,
`EvalResourceName`, `EvalDecision` (`allowed`, `explicitDeny`,
`implicitDeny`), `MatchedStatements` (the statements that decided:
`SourcePolicyId`, `SourcePolicyType`), `MissingContextValues` (condition keys
of matching statements the context did not supply), `IsTruncated` false.
`ContextEntries` give condition keys (`ContextKeyName`, `ContextKeyValues`).
"""
from __future__ import annotations

from typing import Any

from streamkit_emulator.iam import evaluator, principals
from streamkit_emulator.iam.evaluator import Policies, Principal, Unsupported


def _context(entries: list[dict[str, Any]] | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in entries or []:
        out[str(e.get("ContextKeyName", "")).lower()] = [str(v) for v in e.get("ContextKeyValues") or []]
    return out


def _matched(sources: list[tuple[str, str, Any]], action: str, resource: str, context: dict[str, list[str]],
             principal: Principal | None, effect: str) -> tuple[list[dict[str, str]], set[str]]:
    matched, missing = [], set()
    for source_id, source_type, policy in sources:
        for s in evaluator.statements(policy):
            # Whether action and resource match, conditions aside, to name missing keys.
            bare = {k: v for k, v in s.items() if k != "Condition"}
            if not evaluator.statement_applies(bare, action, resource, context, principal):
                continue
            for pairs in (s.get("Condition") or {}).values():
                missing |= {k for k in pairs if k.lower() not in context}
            if s["Effect"] == effect and evaluator.statement_applies(s, action, resource, context, principal):
                matched.append({"SourcePolicyId": source_id, "SourcePolicyType": source_type})
    return matched, missing


def simulate(principal: Principal, identity: list[tuple[str, Any]], actions: list[str], resources: list[str],
             resource_policy: Any, context_entries: list[dict[str, Any]] | None,
             boundary: Any = None) -> dict[str, Any]:
    context = _context(context_entries)
    results = []
    sources = [(sid, "IAM Policy", doc) for sid, doc in identity]
    if resource_policy is not None:
        sources.append(("ResourcePolicy", "resource", resource_policy))
    for action in actions:
        for resource in resources or ["*"]:
            policies = Policies(identity=[doc for _, doc in identity], resource=resource_policy,
                                resource_account=principal.account_id, boundary=boundary)
            try:
                decision = evaluator.evaluate(principal, action, resource, context, policies)
            except Unsupported as e:
                from moto.iam.exceptions import MalformedPolicyDocument

                raise MalformedPolicyDocument(f"the streamkit emulator cannot evaluate this policy: {e}") from None
            if decision.allowed:
                verdict, effect = "allowed", "Allow"
            elif "explicit deny" in decision.reason:
                verdict, effect = "explicitDeny", "Deny"
            else:
                verdict, effect = "implicitDeny", "Deny"
            matched, missing = _matched(sources, action, resource, context, principal, effect)
            results.append({"EvalActionName": action, "EvalResourceName": resource, "EvalDecision": verdict,
                            "MatchedStatements": matched if verdict != "implicitDeny" else [],
                            "MissingContextValues": sorted(missing)})
    return {"EvaluationResults": results, "IsTruncated": False}


def _source(account_id: str, arn: str) -> tuple[Principal, list[tuple[str, Any]], Any]:
    """The principal and identity policies of a user, role or group ARN."""
    from moto.iam.exceptions import NoSuchEntity

    kind, _, name = arn.split(":", 5)[-1].partition("/")
    name = name.rsplit("/", 1)[-1]
    if kind == "role":
        role = principals.role(account_id, arn)
        if role is None:
            raise NoSuchEntity(f"The role with name {name} cannot be found.")
        docs = [(pname, doc) for pname, doc in role.policies.items()]
        docs += [(p.name, principals.managed_document(p)) for p in role.managed_policies.values()]
        who = Principal("assumed-role", f"arn:aws:sts::{role.account_id}:assumed-role/{name}/simulation",
                        role.account_id, name=name, role_arn=arn)
        boundary = principals.policy_by_arn(account_id, role.permissions_boundary_arn) \
            if role.permissions_boundary_arn else None
        return who, docs, boundary
    if kind == "user":
        who = Principal("user", arn, arn.split(":")[4], name=name)
        backend = principals.backend_of(who.account_id)
        user = backend.users.get(name)
        if user is None:
            raise NoSuchEntity(f"The user with name {name} cannot be found.")
        # Named as AWS names them: inline policies by name, managed by name.
        docs = [(pname, doc) for pname, doc in user.policies.items()]
        docs += [(p.name, principals.managed_document(p)) for p in user.managed_policies.values()]
        for group in backend.get_groups_for_user(name):
            docs += [(pname, doc) for pname, doc in group.policies.items()]
            docs += [(p.name, principals.managed_document(p)) for p in group.managed_policies.values()]
        return who, docs, principals.policies(who).boundary
    raise NoSuchEntity(f"PolicySourceArn {arn}: the emulator simulates users and roles")


def _caller_identity() -> None:
    """`sts:GetCallerIdentity` names the principal the enforcement sees (STS
    API Reference, GetCallerIdentity): the static test keys are the account
    root (`arn:aws:iam::ACCOUNT:root`, UserId the account), an IAM user's keys
    the user, a session's keys its assumed-role ARN (moto answered
    `user/moto` for keys that are not 20 upper-case characters)."""
    from moto.core.responses import ActionResult
    from moto.sts.responses import TokenResponse

    from streamkit_emulator.iam import enforce

    original = TokenResponse.get_caller_identity

    def get_caller_identity(self: Any) -> ActionResult:
        creds = enforce._credentials(self.headers, self.querystring)
        if creds is None:
            return original(self)
        try:
            p = principals.resolve(creds[0].split("/", 1)[0], creds[1])
        except principals.InvalidToken:
            return original(self)
        user_id = p.user_id or p.account_id
        return ActionResult({"UserId": user_id, "Account": p.account_id, "Arn": p.arn})

    TokenResponse.get_caller_identity = get_caller_identity


def install() -> None:
    _caller_identity()
    from moto.core.responses import ActionResult
    from moto.iam.responses import IamResponse

    def _list(r: Any, name: str) -> list[Any]:
        value = r._get_param(name)
        return list(value) if isinstance(value, list) else ([] if value in (None, "") else [value])

    def simulate_custom_policy(self: Any) -> ActionResult:
        docs = [(f"PolicyInputList.{i + 1}", evaluator.document(d))
                for i, d in enumerate(_list(self, "PolicyInputList"))]
        boundaries = _list(self, "PermissionsBoundaryPolicyInputList")
        caller = self._get_param("CallerArn") or f"arn:aws:iam::{self.current_account}:user/simulation"
        who = Principal("user", caller, caller.split(":")[4] or self.current_account, name=caller.rsplit("/", 1)[-1])
        policy = self._get_param("ResourcePolicy")
        return ActionResult(simulate(who, docs, _list(self, "ActionNames"), _list(self, "ResourceArns"),
                                     evaluator.document(policy) if policy else None,
                                     _list(self, "ContextEntries"),
                                     evaluator.document(boundaries[0]) if boundaries else None))

    def simulate_principal_policy(self: Any) -> ActionResult:
        who, docs, boundary = _source(self.current_account, self._get_param("PolicySourceArn"))
        docs += [(f"PolicyInputList.{i + 1}", evaluator.document(d))
                 for i, d in enumerate(_list(self, "PolicyInputList"))]
        policy = self._get_param("ResourcePolicy")
        return ActionResult(simulate(who, docs, _list(self, "ActionNames"), _list(self, "ResourceArns"),
                                     evaluator.document(policy) if policy else None,
                                     _list(self, "ContextEntries"), boundary))

    IamResponse.simulate_custom_policy = simulate_custom_policy
    IamResponse.simulate_principal_policy = simulate_principal_policy
