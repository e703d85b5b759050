"""DynamoDB UpdateTable `ReplicaUpdates` `Delete` (global tables version
2019.11.21), which moto ignores: deletes the replica table in the named region,
refused while that replica has deletion protection, and drops the region from
every remaining replica's `Replicas` list. `Create` is refused rather than
silently ignored (streamkit never adds replicas outside CloudFormation)."""
from __future__ import annotations

from typing import Any

from moto.dynamodb.exceptions import MockValidationException
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.responses import DynamoHandler


def _delete_replica(account_id: str, home: str, name: str, region: str) -> None:
    table = dynamodb_backends[account_id][home].get_table(name)
    regions = [r["RegionName"] for r in getattr(table, "streamkit_replicas", None) or []]
    if region not in regions or region == home:
        raise MockValidationException(
            f"Replica {region} of table {name} cannot be deleted from {home}: "
            f"the table's other replicas are {[r for r in regions if r != home]}"
        )
    backend = dynamodb_backends[account_id][region]
    replica = backend.get_table(name)
    if replica.deletion_protection_enabled:
        raise MockValidationException(
            f"Replica {region} of table {name} has deletion protection enabled; "
            "disable it with UpdateTable in that region first"
        )
    backend.delete_table(name=name)
    remaining = [{"RegionName": r, "ReplicaStatus": "ACTIVE"} for r in regions if r != region]
    for r in regions:
        if r == region:
            continue
        other = dynamodb_backends[account_id][r].tables.get(name)
        if other is not None:
            other.streamkit_replicas = remaining if len(remaining) > 1 else None


def install() -> None:
    """Wraps moto's UpdateTable handler (once, from `dynamodb.install`)."""
    original = DynamoHandler.update_table
    if getattr(original, "streamkit_replicas", False):
        return

    def update_table(self: DynamoHandler) -> Any:
        updates = self.body.get("ReplicaUpdates") or []
        for update in updates:
            if "Create" in update:
                raise MockValidationException(
                    "ReplicaUpdates Create is not supported by the emulator; add replicas through CloudFormation"
                )
            if "Delete" in update:
                _delete_replica(self.current_account, self.region, self.body["TableName"],
                                update["Delete"]["RegionName"])
        return original(self)

    update_table.streamkit_replicas = True  # type: ignore[attr-defined]
    DynamoHandler.update_table = update_table
