"""Who is calling: an access key maps to the account root (the emulator's
static test keys), an IAM user (its access keys), or an assumed-role session
(`sts:AssumeRole`), as "AWS security credentials" and "Temporary security
credentials in IAM" (IAM User Guide) describe; and the identity-based
policies of that principal ("Identity-based policies and resource-based
policies"): inline and managed policies of the user (and its groups) or of
the session's role, the role's permissions boundary and the session policy.
"""
from __future__ import annotations

import functools
import json
import os
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID

from streamkit_emulator.iam.evaluator import Policies, Principal

ANONYMOUS = Principal("anonymous", "anonymous", "")


def static_keys() -> dict[str, str]:
    """`STREAMKIT_EMULATOR_ACCESS_KEYS` (`AKID:SECRET,...`, default
    `testing:testing`): the account root of 123456789012, an administrator.
    Read once: the variable is set when the emulator starts."""
    return _static_keys_setting()


@functools.lru_cache(maxsize=1)
def _static_keys_setting() -> dict[str, str]:
    return _static_keys(os.environ.get("STREAMKIT_EMULATOR_ACCESS_KEYS", "testing:testing"))


@functools.lru_cache(maxsize=8)
def _static_keys(raw: str) -> dict[str, str]:
    """Parsed once per value of the variable; read-only."""
    return dict(pair.split(":", 1) for pair in raw.split(",") if ":" in pair)


class InvalidToken(Exception):
    """The key is unknown, or its session token does not match."""


def service(name: str, account_id: str) -> Principal:
    """A service principal (e.g. `events.amazonaws.com`) acting for `account_id`."""
    return Principal("service", name, account_id, service=name)


# An assumed-role session's key -> (account, moto's session, principal): found
# once, checked on each use to still be a live session of that account.
_sessions: dict[str, tuple[str, Any, Principal]] = {}


def resolve(access_key: str, token: str | None) -> Principal:
    """The principal of an access key (and the request's session token)."""
    if access_key in static_keys():
        return _root(DEFAULT_ACCOUNT_ID)
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    session = _session(access_key, sts_backends)
    if session is not None:
        role, found = session
        if token != role.session_token:
            raise InvalidToken(access_key)
        return found
    for acct in list(iam_backends.keys()):
        for user in list(iam_backends[acct]["aws"].users.values()):
            for key in list(user.access_keys):
                if key.access_key_id == access_key and key.status == "Active":
                    if token:
                        raise InvalidToken(access_key)
                    return Principal("user", user.arn, acct, name=user.name, user_id=user.id)
    raise InvalidToken(access_key)


@functools.lru_cache(maxsize=64)
def _root(acct: str) -> Principal:
    return Principal("root", f"arn:aws:iam::{acct}:root", acct, name="root", user_id=acct)


def _session(access_key: str, sts_backends: Any) -> tuple[Any, Principal] | None:
    """moto's assumed-role session of `access_key` and its principal: found by
    a scan once, then from `_sessions` while it is still the live session of
    its account (a moto reset makes new backends and lists)."""
    hit = _sessions.get(access_key)
    if hit is not None:
        acct, role, found = hit
        # moto's backends are dicts made on first use: dict.get sees whether the
        # account's and its partition's backends are still the ones the session
        # was found in (a moto reset makes new ones) without making any.
        account_backends = dict.get(sts_backends, acct)
        backend = dict.get(account_backends, "aws") if account_backends is not None else None
        if backend is not None and role in backend.assumed_roles:
            return role, found
        _sessions.pop(access_key, None)
    for acct in list(sts_backends.keys()):
        for role in list(sts_backends[acct]["aws"].assumed_roles):
            if role.access_key_id == access_key:
                role_name = role.role_arn.rsplit("/", 1)[-1]
                found = Principal("assumed-role", f"arn:aws:sts::{acct}:assumed-role/{role_name}/{role.session_name}",
                                  acct, name=role_name, role_arn=role.role_arn,
                                  user_id=f"{role_name}:{role.session_name}")
                if len(_sessions) > 10_000:
                    _sessions.clear()
                _sessions[access_key] = (acct, role, found)
                return role, found
    return None

def managed_document(policy: Any) -> Any:
    version = next((v for v in policy.versions if v.is_default), None)
    return version.document if version is not None else policy.document


def backend_of(account_id: str) -> Any:
    from moto.iam.models import iam_backends

    return iam_backends[account_id]["aws"]


def role(account_id: str, role_arn: str) -> Any:
    """The role of `role_arn` (moto's), or None."""
    backend = backend_of(role_arn.split(":")[4] if role_arn.count(":") >= 5 else account_id)
    for r in list(backend.roles.values()):
        if r.arn == role_arn:
            return r
    return None


def role_policies(r: Any) -> list[Any]:
    return [doc for doc in list(r.policies.values())] + [managed_document(p) for p in list(r.managed_policies.values())]


def policy_by_arn(account_id: str, arn: str) -> Any:
    backend = backend_of(account_id)
    policy = backend.managed_policies.get(arn)
    if policy is None:
        from streamkit_emulator.iam import managed

        return managed.document(arn)
    return managed_document(policy)


def policies(principal: Principal) -> Policies:
    """The identity-based policies (and limits) of a principal."""
    if principal.kind == "assumed-role":
        r = role(principal.account_id, principal.role_arn)
        out = Policies(identity=role_policies(r) if r is not None else [])
        if r is not None and r.permissions_boundary_arn:
            out.boundary = policy_by_arn(principal.account_id, r.permissions_boundary_arn)
        from moto.sts.models import sts_backends

        for session in list(sts_backends[principal.account_id]["aws"].assumed_roles):
            if session.arn == principal.arn and session.policy:
                out.session = json.loads(session.policy) if isinstance(session.policy, str) else session.policy
        return out
    if principal.kind == "user":
        backend = backend_of(principal.account_id)
        user = backend.users.get(principal.name)
        if user is None:
            return Policies()
        docs: list[Any] = list(user.policies.values())
        docs += [managed_document(p) for p in list(user.managed_policies.values())]
        for group in backend.get_groups_for_user(user.name):
            docs += list(group.policies.values())
            docs += [managed_document(p) for p in list(group.managed_policies.values())]
        out = Policies(identity=docs)
        if getattr(user, "permissions_boundary", None):
            out.boundary = policy_by_arn(principal.account_id, user.permissions_boundary)
        return out
    return Policies()
