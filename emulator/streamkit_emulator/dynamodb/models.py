"""DynamoDB: `AWS::DynamoDB::GlobalTable` (a table in every replica region),
the table properties moto drops (PITR, SSE, TTL), (`dynamodb_replicas`)
replica deletion, and (`dynamodb_metrics`) the AWS/DynamoDB metrics."""
from __future__ import annotations

import uuid
from typing import Any

from moto.core.common_models import CloudFormationModel
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table

from streamkit_emulator.dynamodb import atomic as dynamodb_atomic
from streamkit_emulator.dynamodb import direct as dynamodb_direct
from streamkit_emulator.dynamodb import expressions as dynamodb_expressions
from streamkit_emulator.dynamodb import metrics as dynamodb_metrics
from streamkit_emulator.dynamodb import query as dynamodb_query
from streamkit_emulator.dynamodb import replicas as dynamodb_replicas
from streamkit_emulator.dynamodb import speed as dynamodb_speed
from streamkit_emulator.dynamodb import transactions as dynamodb_transactions
from streamkit_emulator.core.common import MODULE, StreamkitModel, as_bool, tag_list, wrap_create


def apply_table_extras(table: Any, props: dict[str, Any], region_name: str) -> None:
    """PITR, SSE and TTL, which moto's Table model drops."""
    pitr = props.get("PointInTimeRecoverySpecification")
    if pitr is not None:
        enabled = as_bool(pitr.get("PointInTimeRecoveryEnabled", False))
        backend = dynamodb_backends[table.account_id][region_name]
        backend.update_continuous_backups(
            table.name, {"PointInTimeRecoveryEnabled": enabled}
        )
    ttl = props.get("TimeToLiveSpecification")
    if ttl is not None:
        table.ttl = {
            "TimeToLiveStatus": "ENABLED" if as_bool(ttl.get("Enabled")) else "DISABLED",
            "AttributeName": ttl.get("AttributeName"),
        }


class GlobalTable(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::DynamoDB::GlobalTable"
    NAME_PROPERTY = "TableName"
    ATTRIBUTES = {"Arn": "arn", "StreamArn": "stream_arn", "TableId": "table_id"}

    def __init__(self, name: str, regions: list[str], table: Any):
        self.name = name
        self.regions = regions
        self.arn = table.table_arn
        self.stream_arn = table.latest_stream_label and f"{table.table_arn}/stream/{table.latest_stream_label}"
        self.table_id = table.streamkit_table_id
        self.ref = name

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        name = p.get("TableName", resource_name)
        replicas = p.get("Replicas") or [{"Region": region_name}]
        regions = [r["Region"] for r in replicas]
        if region_name not in regions:
            raise ValueError(
                f"AWS::DynamoDB::GlobalTable {name}: the stack's region {region_name} must be one of the replicas {regions}"
            )
        stream_spec = p.get("StreamSpecification")
        if stream_spec:
            stream_spec = {"StreamEnabled": True, **stream_spec}
        sse = p.get("SSESpecification")
        if sse is not None:
            sse = {
                "Enabled": as_bool(sse.get("SSEEnabled", False)),
                **({"SSEType": sse["SSEType"]} if sse.get("SSEType") else {}),
            }
        created = []
        table_id = str(uuid.uuid4())
        try:
            for replica in replicas:
                region = replica["Region"]
                kms = (replica.get("SSESpecification") or {}).get("KMSMasterKeyId")
                sse_region = dict(sse or {})
                if kms:
                    sse_region["KMSMasterKeyId"] = kms
                table = dynamodb_backends[account_id][region].create_table(
                    name=name,
                    schema=p["KeySchema"],
                    throughput=None,
                    attr=p["AttributeDefinitions"],
                    global_indexes=p.get("GlobalSecondaryIndexes", []),
                    indexes=p.get("LocalSecondaryIndexes", []),
                    streams=stream_spec,
                    billing_mode=p.get("BillingMode", "PROVISIONED"),
                    sse_specification=sse_region or None,
                    tags=tag_list(replica.get("Tags")),
                    deletion_protection_enabled=as_bool(
                        replica.get("DeletionProtectionEnabled", False)
                    ),
                    warm_throughput=None,
                )
                created.append(region)
                extras = {"TimeToLiveSpecification": p.get("TimeToLiveSpecification")}
                if replica.get("PointInTimeRecoverySpecification") is not None:
                    extras["PointInTimeRecoverySpecification"] = replica[
                        "PointInTimeRecoverySpecification"
                    ]
                apply_table_extras(
                    table, {k: v for k, v in extras.items() if v is not None}, region
                )
                table.streamkit_replicas = [
                    {"RegionName": r, "ReplicaStatus": "ACTIVE"} for r in regions
                ]
                table.streamkit_table_id = table_id
        except Exception:
            for region in created:
                dynamodb_backends[account_id][region].delete_table(name=name)
            raise
        home = dynamodb_backends[account_id][region_name].get_table(name)
        return cls(name, regions, home)

    def delete(self, account_id: str, region_name: str) -> None:
        for region in self.regions:
            backend = dynamodb_backends[account_id][region]
            if self.name in backend.tables:
                backend.delete_table(name=self.name)


def _cfn_sse(sse: dict[str, Any] | None) -> dict[str, Any] | None:
    if not sse:
        return sse
    out: dict[str, Any] = {"Enabled": as_bool(sse.get("SSEEnabled", sse.get("Enabled", False)))}
    if sse.get("SSEType"):
        out["SSEType"] = sse["SSEType"]
    if sse.get("KMSMasterKeyId"):
        out["KMSMasterKeyId"] = sse["KMSMasterKeyId"]
    return out


def _table_before(props: dict[str, Any]) -> None:
    if "SSESpecification" in props:
        props["SSESpecification"] = _cfn_sse(props["SSESpecification"])


def _table_after(table: Table, props: dict[str, Any], account_id: str, region_name: str) -> None:
    apply_table_extras(table, props, region_name)


_table_describe = Table.describe


def table_describe(self: Table, base_key: str = "TableDescription") -> dict[str, Any]:
    result = _table_describe(self, base_key)
    replicas = getattr(self, "streamkit_replicas", None)
    if replicas:
        result[base_key]["Replicas"] = replicas
        result[base_key]["GlobalTableVersion"] = "2019.11.21"
    if getattr(self, "streamkit_table_id", None):
        result[base_key]["TableId"] = self.streamkit_table_id
    if self.sse_specification and self.sse_specification.get("Enabled") is True:
        sse = result[base_key]["SSEDescription"]
        if not sse.get("KMSMasterKeyArn"):
            sse.pop("KMSMasterKeyArn", None)
    return result


def install() -> None:
    """Applies this module's patches to moto (once, from `streamkit_emulator.install`)."""
    wrap_create(Table, _table_after, _table_before)
    Table.describe = table_describe
    dynamodb_expressions.install()  # before metrics: its refusals are counted as UserErrors
    dynamodb_metrics.install()
    dynamodb_transactions.install()
    dynamodb_query.install()
    dynamodb_replicas.install()
    dynamodb_speed.install()
    dynamodb_atomic.install()  # last: it wraps the model operations the modules above patched
    dynamodb_direct.install()  # PutItem through the same checks and model, without moto's generic layers
