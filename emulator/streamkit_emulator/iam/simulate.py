"""`iam:SimulatePrincipalPolicy` and `iam:SimulateCustomPolicy` (IAM API
Reference, and the IAM User Guide's "Testing IAM policies with the IAM policy
simulator"), answered by the same evaluator that enforces IAM
(`evaluator.evaluate`), in AWS's response shape: one `EvaluationResults`
member per action (per action and resource when `ResourceArns` is given),
`EvalDecision` `allowed` / `explicitDeny` / `implicitDeny`, and the
statements that decided in `MatchedStatements` (`SourcePolicyId` = the
policy's name or ARN).

As AWS documents: a principal simulation evaluates the identity-based
policies of the user (inline, managed, its groups') or role and its
permissions boundary; resource-based policies only when given
(`ResourcePolicy`); service control policies are not part of it. A
principal that does not exist is `NoSuchEntity`; a policy the evaluator
cannot evaluate is `InvalidInput` naming the element (never an allow).
"""
from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.iam.exceptions import InvalidInput, NoSuchEntity
from moto.iam.responses import IamResponse

from streamkit_emulator.iam import evaluator, principals
from streamkit_emulator.iam.enforce import base_context
from streamkit_emulator.iam.evaluator import Policies, Principal, Unsupported

ALLOWED, EXPLICIT, IMPLICIT = "allowed", "explicitDeny", "implicitDeny"


def _named_policies(account_id: str, arn: str) -> tuple[Principal, list[tuple[str, str, Any]], Any]:
    """The principal of a user or role ARN, its identity policies as
    (policy id, policy type, document), and its permissions boundary."""
    backend = principals._backend(account_id)
    kind, _, name = arn.split(":", 5)[-1].partition("/")
    name = name.rsplit("/", 1)[-1]
    named: list[tuple[str, str, Any]] = []
    boundary = None
    if kind == "user":
        user = backend.users.get(name)
        if user is None or user.arn != arn:
            raise NoSuchEntity(f"The user with name {name} cannot be found.")
        principal = Principal("user", arn, account_id, name=name, user_id=user.id)
        named += [(n, "IAM Policy", d) for n, d in list(user.policies.items())]
        named += [(p.arn, "IAM Policy", principals._managed_document(p)) for p in list(user.managed_policies.values())]
        for group in backend.get_groups_for_user(name):
            named += [(n, "IAM Policy", d) for n, d in list(group.policies.items())]
            named += [(p.arn, "IAM Policy", principals._managed_document(p))
                      for p in list(group.managed_policies.values())]
        if getattr(user, "permissions_boundary", None):
            boundary = principals._policy_by_arn(account_id, user.permissions_boundary)
    elif kind == "role":
        role = principals.role(account_id, arn)
        if role is None:
            raise NoSuchEntity(f"Role {name} not found")
        principal = Principal("assumed-role", f"arn:aws:sts::{account_id}:assumed-role/{name}/simulation", account_id,
                              name=name, role_arn=arn, user_id=f"{role.id}:simulation")
        named += [(n, "IAM Policy", d) for n, d in list(role.policies.items())]
        named += [(p.arn, "IAM Policy", principals._managed_document(p)) for p in list(role.managed_policies.values())]
        if role.permissions_boundary_arn:
            boundary = principals._policy_by_arn(account_id, role.permissions_boundary_arn)
    else:
        raise InvalidInput(f"PolicySourceArn {arn} is not a user or role ARN; the emulator simulates users and roles")
    return principal, named, boundary


def _context(response: IamResponse, principal: Principal) -> dict[str, list[str]]:
    entries = response._get_param("ContextEntries") or []
    given: dict[str, list[str]] = {}
    for e in entries:
        given[str(e.get("ContextKeyName", "")).lower()] = [str(v) for v in e.get("ContextKeyValues") or []]
    region = (given.get("aws:requestedregion") or ["us-east-1"])[0]
    ctx = base_context(principal, region)
    ctx.update(given)
    return ctx


def _matched(named: list[tuple[str, str, Any]], effect: str, action: str, resource: str,
             ctx: dict[str, list[str]]) -> list[dict[str, Any]]:
    out = []
    for policy_id, policy_type, doc in named:
        for s in evaluator.statements(doc):
            if s.get("Effect") == effect and evaluator.statement_applies(s, action, resource, ctx):
                out.append({"SourcePolicyId": policy_id, "SourcePolicyType": policy_type})
                break
    return out


def _evaluate(principal: Principal, named: list[tuple[str, str, Any]], policies: Policies, action: str,
              resource: str, ctx: dict[str, list[str]]) -> tuple[str, list[dict[str, Any]]]:
    try:
        decision = evaluator.evaluate(principal, action, resource, ctx, policies)
    except Unsupported as e:
        raise InvalidInput(f"the emulator cannot evaluate a policy element: {e}") from None
    if decision.allowed:
        return ALLOWED, _matched(named, "Allow", action, resource, ctx)
    if "explicit deny" in decision.reason:
        return EXPLICIT, _matched(named, "Deny", action, resource, ctx)
    return IMPLICIT, []


def _results(response: IamResponse, principal: Principal, named: list[tuple[str, str, Any]],
             policies: Policies) -> ActionResult:
    actions = response._get_param("ActionNames") or []
    resources = response._get_param("ResourceArns") or []
    if not actions:
        raise InvalidInput("ActionNames must name at least one action")
    resource_policy = response._get_param("ResourcePolicy")
    if resource_policy:
        try:
            policies.resource = evaluator.document(resource_policy)
        except Unsupported as e:
            raise InvalidInput(f"ResourcePolicy: {e}") from None
        policies.resource_account = response._get_param("ResourceOwner", "").split(":")[4] \
            if response._get_param("ResourceOwner") else ""
    ctx = _context(response, principal)
    results = []
    for action in actions:
        if not resources:
            decision, matched = _evaluate(principal, named, policies, action, "*", ctx)
            results.append({"EvalActionName": action, "EvalResourceName": "*", "EvalDecision": decision,
                            "MatchedStatements": matched, "MissingContextValues": []})
            continue
        for resource in resources:
            decision, matched = _evaluate(principal, named, policies, action, resource, ctx)
            results.append({
                "EvalActionName": action, "EvalResourceName": resource, "EvalDecision": decision,
                "MatchedStatements": matched, "MissingContextValues": [],
                "ResourceSpecificResults": [{"EvalResourceName": resource, "EvalResourceDecision": decision,
                                             "MatchedStatements": matched, "MissingContextValues": []}],
            })
    return ActionResult({"EvaluationResults": results, "IsTruncated": False})


def simulate_principal_policy(self: IamResponse) -> ActionResult:
    arn = self._get_param("PolicySourceArn") or ""
    account_id = arn.split(":")[4] if arn.count(":") >= 5 else self.current_account
    principal, named, boundary = _named_policies(account_id, arn)
    for i, doc in enumerate(self._get_param("PolicyInputList") or []):
        named.append((f"PolicyInputList.{i + 1}", "User", doc))
    try:
        policies = Policies(identity=[evaluator.document(d) for _, _, d in named])
        if boundary is not None:
            policies.boundary = evaluator.document(boundary)
    except Unsupported as e:
        raise InvalidInput(f"a policy of {arn}: {e}") from None
    return _results(self, principal, named, policies)


def simulate_custom_policy(self: IamResponse) -> ActionResult:
    docs = self._get_param("PolicyInputList") or []
    if not docs:
        raise InvalidInput("PolicyInputList must hold at least one policy")
    caller = self._get_param("CallerArn") or f"arn:aws:iam::{self.current_account}:user/simulation"
    principal = Principal("user", caller, self.current_account, name=caller.rsplit("/", 1)[-1])
    named = [(f"PolicyInputList.{i + 1}", "User", d) for i, d in enumerate(docs)]
    try:
        policies = Policies(identity=[evaluator.document(d) for d in docs])
        for d in self._get_param("PermissionsBoundaryPolicyInputList") or []:
            policies.boundary = evaluator.document(d)
    except Unsupported as e:
        raise InvalidInput(f"PolicyInputList: {e}") from None
    return _results(self, principal, named, policies)


def _caller_identity() -> None:
    """`sts:GetCallerIdentity` names the principal the enforcement sees (STS
    API Reference, GetCallerIdentity): the static test keys are the account
    root (`arn:aws:iam::ACCOUNT:root`, UserId the account), an IAM user's keys
    the user, a session's keys its assumed-role ARN (moto answered
    `user/moto` for keys that are not 20 upper-case characters)."""
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
    IamResponse.simulate_principal_policy = simulate_principal_policy
    IamResponse.simulate_custom_policy = simulate_custom_policy
