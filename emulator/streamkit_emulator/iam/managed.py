"""AWS managed policies with their real documents: moto 5.2.1 ships them
(`moto.iam.aws_managed_policies`, 1,485 policies, e.g.
`AWSLambdaKinesisExecutionRole`, `AWSLambdaBasicExecutionRole`,
`AWSLambdaVPCAccessExecutionRole`, `AmazonSSMManagedInstanceCore`) but loads
them into an account only with MOTO_IAM_LOAD_MANAGED_POLICIES; here they are
found by ARN when a role or user attaches one ("AWS managed policies", IAM
User Guide)."""
from __future__ import annotations

import functools
from typing import Any

from streamkit_emulator.iam.evaluator import Unsupported

PREFIX = "arn:aws:iam::aws:policy"


@functools.lru_cache(maxsize=None)
def _data() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    import json

    data = aws_managed_policies_data
    return json.loads(data) if isinstance(data, str) else dict(data)


def find(arn: str) -> dict[str, Any] | None:
    """moto's data of the AWS managed policy `arn` (path included), or None."""
    if not arn.startswith(PREFIX + "/"):
        return None
    name = arn.rsplit("/", 1)[-1]
    data = _data().get(name)
    if data is None or f"{PREFIX}{data.get('Path', '/')}{name}" != arn:
        return None
    return data


def document(arn: str) -> dict[str, Any]:
    data = find(arn)
    if data is None:
        raise Unsupported(f"managed policy {arn} (not an AWS managed policy moto knows)")
    return data["Document"]


def policy(arn: str, account_id: str, region: str) -> Any:
    """An `AWSManagedPolicy` for `arn` in the account's backend (created once)."""
    from moto.iam.models import AWSManagedPolicy, iam_backends

    backend = iam_backends[account_id]["aws"]
    existing = backend.managed_policies.get(arn)
    if existing is not None:
        return existing
    data = find(arn)
    if data is None:
        return None
    made = AWSManagedPolicy.from_data(arn.rsplit("/", 1)[-1], account_id, region, data)
    backend.managed_policies[made.arn] = made
    return made
