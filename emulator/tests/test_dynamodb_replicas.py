"""UpdateTable ReplicaUpdates Delete (dynamodb_replicas): the replica's table
goes, deletion protection refuses it, the home replica's Replicas list shrinks,
and Create is refused rather than ignored."""
from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from streamkit_emulator.dynamodb import models as dynamodb
from streamkit_emulator.dynamodb import replicas as dynamodb_replicas

REGIONS = ["us-east-1", "us-west-2"]


@pytest.fixture
def clients(monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(k, v)
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler
    monkeypatch.setattr(Table, "describe", dynamodb.table_describe)
    monkeypatch.setattr(DynamoHandler, "update_table", DynamoHandler.update_table)
    with mock_aws():
        dynamodb_replicas.install()
        out = {}
        for region in REGIONS:
            c = boto3.client("dynamodb", region_name=region)
            c.create_table(
                TableName="g",
                KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
                DeletionProtectionEnabled=True,
            )
            table = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].get_table("g")
            table.streamkit_replicas = [{"RegionName": r, "ReplicaStatus": "ACTIVE"} for r in REGIONS]
            out[region] = c
        yield out


def test_delete_replica_after_deletion_protection_is_off(clients):
    home, peer = clients["us-east-1"], clients["us-west-2"]
    with pytest.raises(ClientError, match="deletion protection"):
        home.update_table(TableName="g", ReplicaUpdates=[{"Delete": {"RegionName": "us-west-2"}}])
    assert peer.describe_table(TableName="g")["Table"]["TableName"] == "g"
    peer.update_table(TableName="g", DeletionProtectionEnabled=False)
    home.update_table(TableName="g", ReplicaUpdates=[{"Delete": {"RegionName": "us-west-2"}}])
    with pytest.raises(ClientError, match="ResourceNotFound"):
        peer.describe_table(TableName="g")
    assert "Replicas" not in home.describe_table(TableName="g")["Table"]


def test_create_and_unknown_regions_are_refused(clients):
    home = clients["us-east-1"]
    with pytest.raises(ClientError, match="not supported"):
        home.update_table(TableName="g", ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}])
    with pytest.raises(ClientError, match="cannot be deleted"):
        home.update_table(TableName="g", ReplicaUpdates=[{"Delete": {"RegionName": "eu-west-1"}}])
