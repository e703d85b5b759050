"""Temporary credentials of a service acting with a role, as AWS gives them:
the service assumes the role (its trust policy must allow `sts:AssumeRole`
for the service principal, with the context the service sends: e.g.
`sts:ExternalId` = the account for Firehose, `aws:SourceAccount`) and acts
with the session's keys ("Using an IAM role to grant permissions to
applications", "Lambda execution role", "Grant Firehose access", "IAM roles
for Amazon EC2"). Sessions come from moto's STS, so requests signed with
them resolve to `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from moto.core.utils import utcnow

from streamkit_emulator.iam import evaluator, principals
from streamkit_emulator.iam.evaluator import Principal

_sessions: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()


class CannotAssume(Exception):
    """The role does not exist or does not trust the service (message: AWS's)."""


@dataclass(frozen=True)
class Session:
    access_key_id: str
    secret_access_key: str
    session_token: str
    principal: Principal

    def environment(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": self.access_key_id, "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
                "AWS_SESSION_TOKEN": self.session_token}


def trusts(account_id: str, role_arn: str, service: str, context: dict[str, list[str]] | None = None) -> bool:
    """Whether the role exists and its trust policy lets `service` assume it."""
    role = principals.role(account_id, role_arn)
    if role is None:
        return False
    caller = principals.service(service, account_id)
    ctx = {"aws:sourceaccount": [account_id]}
    ctx.update(context or {})
    try:
        _, allow, _ = evaluator.effects([role.assume_role_policy_document], "sts:AssumeRole", role_arn, ctx, caller)
        deny, _, _ = evaluator.effects([role.assume_role_policy_document], "sts:AssumeRole", role_arn, ctx, caller)
    except evaluator.Unsupported:
        return False
    return allow and not deny


def assume(account_id: str, region: str, role_arn: str, service: str, session_name: str,
           context: dict[str, list[str]] | None = None) -> Session:
    """The (cached, renewed 5 minutes before expiry) session of `service` in `role_arn`."""
    if not trusts(account_id, role_arn, service, context):
        raise CannotAssume(f"{service} cannot assume role {role_arn}: it does not exist or its trust policy "
                           f"does not allow {service} to call sts:AssumeRole")
    from moto.sts.models import sts_backends

    key = (role_arn, session_name)
    with _lock:
        session = _sessions.get(key)
        if session is None or session.expiration < utcnow() + timedelta(minutes=5):
            session = sts_backends[account_id]["aws"].assume_role(region, session_name[:64], role_arn, None, 3600,
                                                                  None)
            _sessions[key] = session
    role_name = role_arn.rsplit("/", 1)[-1]
    acct = role_arn.split(":")[4]
    principal = Principal("assumed-role", f"arn:aws:sts::{acct}:assumed-role/{role_name}/{session.session_name}",
                          acct, name=role_name, role_arn=role_arn, user_id=f"{role_name}:{session.session_name}")
    return Session(session.access_key_id, session.secret_access_key, session.session_token, principal)


def principal(account_id: str, role_arn: str, session_name: str) -> Principal:
    """The principal a service's in-process action is checked as (no keys needed)."""
    role_name = role_arn.rsplit("/", 1)[-1]
    acct = role_arn.split(":")[4] if role_arn.count(":") >= 5 else account_id
    return Principal("assumed-role", f"arn:aws:sts::{acct}:assumed-role/{role_name}/{session_name}", acct,
                     name=role_name, role_arn=role_arn, user_id=f"{role_name}:{session_name}")
