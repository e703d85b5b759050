"""streamkit's local AWS emulator: moto server plus streamkit's models.

`install(strict=...)` must run before moto server handles its first request. It
imports one module per service, each of which

* defines a `CloudFormationModel` subclass for every resource type streamkit
  uses that moto's CloudFormation engine skips (moto builds its type map from
  the direct subclasses of `CloudFormationModel` on the first stack it parses);
  each creates the real resource in moto's own backend, answers `Ref` and
  `Fn::GetAtt` as AWS documents, and deletes it again;
* patches moto's models where they drop properties streamkit sets
  (its `install()`);

then installs the CBOR protocol shim, the router that serves deployed REST
APIs (`/_aws/execute-api/...`, see apigw_runtime), and the failure handling /
strictness switch (`strict`: a template with a type nobody implements is
refused). Live parts: Firehose delivery (firehose_delivery), API Gateway
(apigw_*), the producer instance (ec2_producer).

What is deployed runs: Lambda functions natively (`lambda_runtime`), Kinesis
event source mappings (`esm`, started by `awslambda`'s patches) and
EventBridge schedules (`schedules`, a scheduler thread).

Pinned against moto 5.2.1 (`emulator/requirements.txt`).
"""
from __future__ import annotations

_installed = False


def install(strict: bool = False, iam: bool = False) -> None:
    """Registers the models and applies every patch, once; `iam`: IAM enforced
    on every request (`iam/enforce.py`)."""
    global _installed
    if _installed:
        return
    from streamkit_emulator.apigateway import models as apigateway
    from streamkit_emulator.apigateway import router as apigw_router
    from streamkit_emulator.awslambda import models as awslambda
    from streamkit_emulator.core import cbor
    from streamkit_emulator.core import operations
    from streamkit_emulator.cloudformation import models as cloudformation
    from streamkit_emulator.cloudformation import drift
    from streamkit_emulator.cloudwatch import models as cloudwatch
    from streamkit_emulator.core import dispatch
    from streamkit_emulator.core import fastpath
    from streamkit_emulator.core import headers
    from streamkit_emulator.core import httpserve
    from streamkit_emulator.core import clock
    from streamkit_emulator.core import jsonparse
    from streamkit_emulator.core import keepalive
    from streamkit_emulator.dynamodb import models as dynamodb
    from streamkit_emulator.ec2 import models as ec2
    from streamkit_emulator.firehose import models as firehose
    from streamkit_emulator.flink import models as flink
    from streamkit_emulator.iam import enforce as iam_enforce
    from streamkit_emulator.iam import models as iam_models
    from streamkit_emulator.kinesis import models as kinesis
    from streamkit_emulator.kinesis import reshard
    from streamkit_emulator.kinesis import iterators as kinesis_iterators
    from streamkit_emulator.kms import models as kms
    from streamkit_emulator.logs import models as logs
    from streamkit_emulator.s3 import models as s3
    from streamkit_emulator.events import schedules
    from streamkit_emulator.secretsmanager import models as secretsmanager
    from streamkit_emulator.sns import models as sns
    from streamkit_emulator.sqs import models as sqs
    from streamkit_emulator.ssm import models as ssm
    from streamkit_emulator.cloudformation import strict as strictness

    for module in (
        cloudformation,
        drift,
        kinesis,
        reshard,
        kinesis_iterators,
        s3,
        awslambda,
        dynamodb,
        apigateway,
        ssm,
        flink,
        ec2,
        kms,
        cloudwatch,
        firehose,
        sns,
        sqs,
        logs,
        secretsmanager,
        iam_models,
        cbor,
        fastpath,  # after cbor: DynamoDB and Kinesis JSON calls never match cbor's paths
        apigw_router,  # after cbor: the router sits in front of it
        schedules,
        dispatch,
        operations,  # unknown operations, modeled constraints (core/constraints.py), NotImplemented
        jsonparse,
        keepalive,
        headers,
        httpserve,  # after keepalive: it keeps connections open by keepalive's rule
        clock,  # last: every moto module the services above loaded
    ):
        module.install()
    iam_enforce.install_endpoint()  # outermost: in front of the router
    # Last: it wraps the intrinsic resolution the modules above installed.
    strictness.install(strict)
    iam_enforce.enable(iam, strict)
    _installed = True
