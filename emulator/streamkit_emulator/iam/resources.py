"""The resource ARN, resource-based policy and condition keys of a request moto
serves, per service, as each service's "Actions, resources, and condition
keys" page (Service Authorization Reference) defines them: Kinesis streams
and consumers, S3 buckets and objects (moto passes their ARN), DynamoDB
tables, Lambda functions (resource policy: the function's permissions),
SQS queues and SNS topics (their policies), KMS keys (the key policy, which
must itself allow), CloudWatch Logs groups and streams, Firehose delivery
streams, Secrets Manager secrets, IAM roles (`sts:AssumeRole`: the trust policy) and CloudWatch
(`cloudwatch:namespace`). Other actions are checked against `*`.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

LAMBDA_PATH = re.compile(r"^/[^/]+/functions/(?P<name>[^/?]+)")
ESM_PATH = re.compile(r"^/[^/]+/event-source-mappings/(?P<uuid>[^/?]+)")


@dataclass
class Target:
    resources: list[str]
    policy: Any = None  # resource-based policy document (dict or text) or None
    owner: str = ""  # account owning the resource
    required: bool = False  # the resource policy must allow (trust policies, key policies)
    context: dict[str, list[str]] = field(default_factory=dict)
    # Operations IAM authorizes per item under other actions (DynamoDB
    # transactions): (IAM action, resource) pairs checked instead of the operation.
    checks: list[tuple[str, str]] = field(default_factory=list)


_MISSING = object()


def _json_param(r: Any, name: str) -> Any:
    """moto's `_get_param` for a JSON body without its parse per call (it runs
    `json.loads` on the body for each name asked; Kinesis asks up to four):
    the body parsed once per request. `_MISSING` where moto would look
    elsewhere first (a query string naming it, a URI match) or the body is
    not a JSON object."""
    if getattr(r, "automated_parameter_parsing", False) or getattr(r, "uri_match", None):
        return _MISSING
    querystring = getattr(r, "querystring", None) or {}
    if name in querystring:
        return _MISSING
    parsed = r.__dict__.get("_streamkit_json_body", _MISSING)
    if parsed is _MISSING:
        body = getattr(r, "body", None)
        try:
            parsed = json.loads(body) if isinstance(body, (str, bytes)) and body else None
        except ValueError:
            parsed = None
        r.__dict__["_streamkit_json_body"] = parsed = parsed if isinstance(parsed, dict) else None
    if parsed is None:
        return _MISSING
    return parsed.get(name)


def _param(r: Any, name: str) -> str:
    value = _json_param(r, name) if hasattr(r, "__dict__") else _MISSING
    if value is _MISSING:
        try:
            value = r._get_param(name)
        except Exception:  # noqa: BLE001 - moto raises on bodies it cannot parse
            value = None
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value) if value not in (None, "") else ""


def _arn_account(arn: str, default: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4] else default


def target(r: Any, service: str, action: str, region: str, account: str, s3_resource: str) -> Target:
    fn = _TARGETS.get(service)
    if fn is None:
        return Target(["*"])
    return fn(r, action, region, account, s3_resource)


def _kinesis(r: Any, action: str, region: str, account: str, _: str) -> Target:
    consumer = _param(r, "ConsumerARN")
    if consumer and action in ("SubscribeToShard", "DescribeStreamConsumer", "DeregisterStreamConsumer"):
        return Target([consumer])
    arn = _param(r, "StreamARN") or _param(r, "ResourceARN")
    if not arn:
        name = _param(r, "StreamName") or (_iterator_stream(_param(r, "ShardIterator"))
                                           if action == "GetRecords" else None)
        if not name:
            return Target(["*"])
        arn = f"arn:aws:kinesis:{region}:{account}:stream/{name}"
    return Target([arn], owner=_arn_account(arn, account), context={"kinesis:streamname": [arn.rsplit("/", 1)[-1]]})


def _iterator_stream(iterator: str | None) -> str | None:
    """GetRecords names no stream: it is authorized on the stream its shard
    iterator reads ("Actions, resources, and condition keys for Amazon Kinesis
    Data Streams": GetRecords, resource type stream). None for an iterator
    that does not decode (Kinesis answers it InvalidArgument)."""
    if not iterator:
        return None
    from moto.kinesis.utils import decompose_shard_iterator

    try:
        return decompose_shard_iterator(iterator)[0] or None
    except Exception:  # noqa: BLE001 - not one of ours: Kinesis refuses it
        return None


def _s3(r: Any, action: str, region: str, account: str, resource: str) -> Target:
    from moto.s3.models import s3_backends

    bucket_name = resource.split(":::", 1)[-1].split("/", 1)[0] if ":::" in resource else ""
    context: dict[str, list[str]] = {}
    prefix = (getattr(r, "querystring", {}) or {}).get("prefix")
    if prefix:
        context["s3:prefix"] = [prefix[0] if isinstance(prefix, list) else prefix]
    if not bucket_name or bucket_name == "*":
        return Target([resource or "*"], context=context)
    try:
        bucket = s3_backends[account]["aws"].buckets.get(bucket_name)
        if bucket is None:  # another account's bucket (moto keeps buckets per account)
            for acct in list(s3_backends.keys()):
                bucket = s3_backends[acct]["aws"].buckets.get(bucket_name) or bucket
    except Exception:  # noqa: BLE001
        bucket = None
    owner = getattr(bucket, "account_id", account) if bucket is not None else account
    policy = bucket.policy if bucket is not None and bucket.policy else None
    return Target([resource], policy=policy, owner=owner, context=context)


TRANSACT_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                    "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}


def _body(r: Any) -> dict[str, Any]:
    raw = getattr(r, "body", None) or getattr(r, "raw_body", None) or b"{}"
    if isinstance(raw, dict):  # moto parsed it already (DynamoDB)
        return raw
    try:
        parsed = json.loads(raw)
    except (ValueError, TypeError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _dynamodb(r: Any, action: str, region: str, account: str, _: str) -> Target:
    """TransactWriteItems / TransactGetItems are authorized per item as
    PutItem, UpdateItem, DeleteItem, ConditionCheckItem, GetItem on each table
    ("Using IAM with DynamoDB transactions"): there is no IAM action of their own."""
    if action in ("TransactWriteItems", "TransactGetItems"):
        def arn(name: str) -> str:
            return _table_arn(name, region, account)

        checks = []
        for item in _body(r).get("TransactItems") or []:
            for op, spec in item.items():
                if isinstance(spec, dict) and op in TRANSACT_ACTIONS:
                    checks.append((f"dynamodb:{TRANSACT_ACTIONS[op]}", arn(str(spec.get("TableName", "")))))
        return Target(sorted({res for _, res in checks}) or ["*"], checks=checks)
    name = _param(r, "TableName") or _param(r, "TableArn") or _param(r, "ResourceArn")
    if action not in ("BatchGetItem", "BatchWriteItem"):  # the operations with RequestItems (one body parse)
        return Target([_table_arn(name, region, account)] if name else ["*"])
    names = [name] if name else []
    names += list((_body(r).get("RequestItems") or {}).keys())
    if not names:
        return Target(["*"])
    return Target(sorted({_table_arn(n, region, account) for n in names}))


def _table_arn(name: str, region: str, account: str) -> str:
    return name if name.startswith("arn:") else f"arn:aws:dynamodb:{region}:{account}:table/{name}"


def _lambda(r: Any, action: str, region: str, account: str, _: str) -> Target:
    path = unquote(getattr(r, "path", "") or "")
    m = LAMBDA_PATH.match(path)
    if m:
        name = m["name"]
        if name.startswith("arn:"):
            arn = name.split(":")
            arn = ":".join(arn[:7])
            owner = _arn_account(arn, account)
            name = arn.split(":")[6]
        else:
            name = name.split(":")[0]
            owner = account
            arn = f"arn:aws:lambda:{region}:{owner}:function:{name}"
        policy = None
        try:
            from moto.awslambda.models import lambda_backends

            from streamkit_emulator.iam.hooks import lambda_policy

            policy = lambda_policy(lambda_backends[owner][region].get_function(name))
        except Exception:  # noqa: BLE001 - a missing function is moto's error to give
            pass
        return Target([arn], policy=policy, owner=owner)
    m = ESM_PATH.match(path)
    if m:
        return Target([f"arn:aws:lambda:{region}:{account}:event-source-mapping:{m['uuid']}"])
    return Target(["*"])


def _queue_url_arn(url: str, region: str, account: str) -> tuple[str, str]:
    parts = url.rstrip("/").split("/")
    name, owner = parts[-1], parts[-2] if len(parts) >= 2 and parts[-2].isdigit() else account
    return f"arn:aws:sqs:{region}:{owner}:{name}", owner


def _sqs(r: Any, action: str, region: str, account: str, _: str) -> Target:
    url = _param(r, "QueueUrl")
    if not url:
        name = _param(r, "QueueName")
        return Target([f"arn:aws:sqs:{region}:{account}:{name}"] if name else ["*"])
    arn, owner = _queue_url_arn(url, region, account)
    policy = None
    try:
        from moto.sqs.models import sqs_backends

        queue = sqs_backends[owner][region].queues.get(arn.rsplit(":", 1)[-1])
        policy = queue.policy if queue is not None and queue.policy else None
    except Exception:  # noqa: BLE001
        pass
    return Target([arn], policy=policy, owner=owner)


def _sns(r: Any, action: str, region: str, account: str, _: str) -> Target:
    arn = _param(r, "TopicArn") or _param(r, "TargetArn") or _param(r, "ResourceArn")
    if not arn:
        return Target(["*"])
    policy = None
    try:
        from moto.sns.models import sns_backends

        owner = _arn_account(arn, account)
        topic = sns_backends[owner][arn.split(":")[3]].topics.get(arn)
        policy = topic.policy if topic is not None else None
    except Exception:  # noqa: BLE001
        pass
    return Target([arn], policy=policy, owner=_arn_account(arn, account))


def _kms(r: Any, action: str, region: str, account: str, _: str) -> Target:
    key_id = _param(r, "KeyId")
    if not key_id:
        return Target(["*"])
    try:
        from moto.kms.models import kms_backends

        backend = kms_backends[_arn_account(key_id, account)][region]
        key = backend.describe_key(key_id)
    except Exception:  # noqa: BLE001 - KMS answers NotFoundException itself
        return Target([key_id if key_id.startswith("arn:") else f"arn:aws:kms:{region}:{account}:key/{key_id}"])
    return Target([key.arn], policy=key.policy, owner=key.account_id, required=True)


def _logs(r: Any, action: str, region: str, account: str, _: str) -> Target:
    group = _param(r, "logGroupName")
    if not group:
        arn = _param(r, "logGroupIdentifier") or _param(r, "resourceArn")
        return Target([arn] if arn else ["*"])
    stream = _param(r, "logStreamName")
    base = f"arn:aws:logs:{region}:{account}:log-group:{group}"
    if stream and action in ("PutLogEvents", "GetLogEvents"):
        return Target([f"{base}:log-stream:{stream}"], context={"logs:loggroupname": [group]})
    return Target([f"{base}:*" if action != "CreateLogStream" else f"{base}:log-stream:{stream}"],
                  context={"logs:loggroupname": [group]})


def _firehose(r: Any, action: str, region: str, account: str, _: str) -> Target:
    name = _param(r, "DeliveryStreamName")
    return Target([f"arn:aws:firehose:{region}:{account}:deliverystream/{name}"] if name else ["*"])


def _cloudwatch(r: Any, action: str, region: str, account: str, _: str) -> Target:
    namespace = _param(r, "Namespace")
    if action == "PutMetricData":
        return Target(["*"], context={"cloudwatch:namespace": [namespace]} if namespace else {})
    name = _param(r, "AlarmName")
    if name:
        return Target([f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}"])
    return Target(["*"])


def _sts(r: Any, action: str, region: str, account: str, _: str) -> Target:
    if action not in ("AssumeRole", "TagSession"):
        return Target(["*"])
    arn = _param(r, "RoleArn")
    from streamkit_emulator.iam import principals

    role = principals.role(account, arn)
    context: dict[str, list[str]] = {}
    external = _param(r, "ExternalId")
    if external:
        context["sts:externalid"] = [external]
    session = _param(r, "RoleSessionName")
    if session:
        context["sts:rolesessionname"] = [session]
    if role is None:
        return Target([arn], policy={"Statement": []}, owner=_arn_account(arn, account), required=True,
                      context=context)
    return Target([arn], policy=role.assume_role_policy_document, owner=role.account_id, required=True,
                  context=context)


def _iam(r: Any, action: str, region: str, account: str, _: str) -> Target:
    for key, kind in (("RoleName", "role"), ("UserName", "user"), ("GroupName", "group")):
        name = _param(r, key)
        if name:
            return Target([f"arn:aws:iam::{account}:{kind}/{name}"])
    arn = _param(r, "PolicyArn")
    return Target([arn] if arn else ["*"])


def _secretsmanager(r: Any, action: str, region: str, account: str, _: str) -> Target:
    """Secrets by ARN (a name or partial ARN is resolved to the secret's ARN)."""
    secret_id = _param(r, "SecretId")
    if not secret_id:
        return Target(["*"])
    try:
        from moto.secretsmanager.models import secretsmanager_backends

        secret = secretsmanager_backends[account][region].describe_secret(secret_id)
        policy = getattr(secret, "policy", None)
        return Target([secret.arn], policy=policy or None, owner=account)
    except Exception:  # noqa: BLE001 - Secrets Manager answers ResourceNotFoundException itself
        arn = secret_id if secret_id.startswith("arn:") else f"arn:aws:secretsmanager:{region}:{account}:secret:{secret_id}"
        return Target([arn])


_TARGETS = {
    "kinesis": _kinesis, "s3": _s3, "dynamodb": _dynamodb, "lambda": _lambda, "sqs": _sqs, "sns": _sns,
    "kms": _kms, "logs": _logs, "firehose": _firehose, "cloudwatch": _cloudwatch, "monitoring": _cloudwatch,
    "sts": _sts, "iam": _iam, "secretsmanager": _secretsmanager,
}
