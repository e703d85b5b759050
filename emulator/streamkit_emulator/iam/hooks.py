"""The checks other services make when they act with a role, kept here so
their modules need one call each:

* Lambda: CreateFunction / UpdateFunctionConfiguration need a role Lambda
  can assume ("Lambda execution role": `InvalidParameterValueException`
  "The role defined for the function cannot be assumed by Lambda.").
* Kinesis event source mappings read with the function's execution role
  ("Process Amazon Kinesis Data Streams records with Lambda": DescribeStream,
  DescribeStreamSummary, GetRecords, GetShardIterator, ListShards; for
  enhanced fan-out also SubscribeToShard on the consumer) and send
  on-failure records with it (`sqs:SendMessage`, `sns:Publish`,
  `s3:PutObject`). A mapping that cannot read keeps retrying and shows
  `LastProcessingResult` `PROBLEM: ...` (worded as Lambda words its other
  source-access problems, with the denial message), then `OK` once it reads.
* A Lambda function invoked by a service principal (EventBridge, API
  Gateway) is checked against its resource policy with `aws:SourceArn` and
  `aws:SourceAccount` ("Using resource-based policies for Lambda").
"""
from __future__ import annotations

import sys
from typing import Any

from streamkit_emulator.iam import enforce, principals, resources, sessions

READ_ACTIONS = ("kinesis:DescribeStreamSummary", "kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:ListShards")
EFO_ACTIONS = ("kinesis:SubscribeToShard",)
DESTINATION_ACTIONS = {"sqs": "sqs:SendMessage", "sns": "sns:Publish", "s3": "s3:PutObject"}


def lambda_role(account_id: str, role_arn: str) -> None:
    """Raises Lambda's InvalidParameterValueException for a role it cannot assume."""
    if not enforce.enabled() or sessions.trusts(account_id, role_arn, "lambda.amazonaws.com"):
        return
    from moto.core.exceptions import JsonRESTError

    raise JsonRESTError("InvalidParameterValueException",
                        "The role defined for the function cannot be assumed by Lambda.")


def esm_read_problem(account_id: str, role_arn: str, function_name: str, stream_arn: str, source_arn: str) -> str | None:
    """None when the execution role may read the source, else the mapping's
    LastProcessingResult."""
    if not enforce.enabled():
        return None
    who = sessions.principal(account_id, role_arn, function_name)
    checks = [(a, stream_arn) for a in READ_ACTIONS]
    if "/consumer/" in source_arn:
        checks += [(a, source_arn) for a in EFO_ACTIONS]
    for action, resource in checks:
        denied = enforce.check(who, action, resource, via="event source mapping")
        if denied:
            return f"PROBLEM: Lambda was unable to read the Kinesis stream with the execution role. {denied}"
    return None


def esm_destination_denied(account_id: str, role_arn: str, function_name: str, destination: str) -> str | None:
    if not enforce.enabled():
        return None
    service = destination.split(":")[2] if destination.count(":") >= 5 else ""
    action = DESTINATION_ACTIONS.get(service)
    if action is None:
        return None
    resource = destination if service != "s3" else destination + "/*"
    who = sessions.principal(account_id, role_arn, function_name)
    policy, owner = _destination_policy(account_id, service, destination)
    return enforce.check(who, action, resource, policy=policy, owner=owner, via="event source mapping on-failure")


def _destination_policy(account_id: str, service: str, arn: str) -> tuple[Any, str]:
    parts = arn.split(":")
    try:
        if service == "sqs":
            from moto.sqs.models import sqs_backends

            queue = sqs_backends[parts[4] or account_id][parts[3]].queues.get(parts[5])
            return (queue.policy if queue is not None else None), parts[4] or account_id
        if service == "sns":
            from moto.sns.models import sns_backends

            topic = sns_backends[parts[4] or account_id][parts[3]].topics.get(arn)
            return (topic.policy if topic is not None else None), parts[4] or account_id
        if service == "s3":
            from moto.s3.models import s3_backends

            bucket = s3_backends[account_id]["aws"].buckets.get(parts[5])
            return (bucket.policy if bucket is not None else None), account_id
    except Exception:  # noqa: BLE001 - a missing destination fails on delivery
        pass
    return None, account_id


def function_invocation_denied(account_id: str, region: str, function_name: str, service: str, source_arn: str,
                               source_account: str | None = None) -> str | None:
    """Whether `service` may invoke the function for `source_arn` (its resource policy)."""
    if not enforce.enabled():
        return None
    from moto.awslambda.models import lambda_backends

    try:
        fn = lambda_backends[account_id][region].get_function(function_name)
    except Exception:  # noqa: BLE001
        return None
    policy = lambda_policy(fn)
    context = {"aws:sourcearn": [source_arn], "aws:sourceaccount": [source_account or account_id]}
    return enforce.check(principals.service(service, account_id), "lambda:InvokeFunction", fn.function_arn,
                         context=context, policy=policy, owner=account_id, via=service)


def _firehose(account_id: str, role_arn: str, name: str) -> tuple[Any, str | None]:
    """Firehose's session in its role (trusted by firehose.amazonaws.com, with
    `sts:ExternalId` = the account: "Grant Firehose access to an Amazon S3
    destination"), or the reason it cannot assume it."""
    if not sessions.trusts(account_id, role_arn, "firehose.amazonaws.com", {"sts:externalid": [account_id]}):
        return None, (f"Firehose cannot assume role {role_arn or '(none)'}: it does not exist or its trust policy "
                      f"does not allow firehose.amazonaws.com")
    return sessions.principal(account_id, role_arn, "AWSFirehoseToS3"), None


def firehose_read_denied(account_id: str, role_arn: str, name: str, stream_arn: str) -> str | None:
    """A Kinesis source is read with the source configuration's role
    ("Controlling access with Amazon Data Firehose": DescribeStream,
    GetShardIterator, GetRecords, ListShards)."""
    if not enforce.enabled():
        return None
    who, problem = _firehose(account_id, role_arn, name)
    if problem:
        return problem
    for action in ("kinesis:DescribeStream", "kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:ListShards"):
        denied = enforce.check(who, action, stream_arn, via=f"firehose {name}")
        if denied:
            return denied
    return None


def firehose_write_denied(account_id: str, region: str, role_arn: str, name: str, bucket: str, key: str,
                          kms_key: str | None) -> str | None:
    """Objects are written with the destination's role: `s3:PutObject` (and the
    bucket policy), and with SSE-KMS `kms:GenerateDataKey` through S3
    (`kms:ViaService` = s3.REGION.amazonaws.com; the key policy must allow)."""
    if not enforce.enabled():
        return None
    who, problem = _firehose(account_id, role_arn, name)
    if problem:
        return problem
    policy, owner = _destination_policy(account_id, "s3", f"arn:aws:s3:::{bucket}")
    context = {"aws:securetransport": ["true"]}
    denied = enforce.check(who, "s3:PutObject", f"arn:aws:s3:::{bucket}/{key}", context=context, policy=policy,
                           owner=owner, via=f"firehose {name}")
    if denied or not kms_key:
        return denied
    return kms_denied(who, account_id, region, kms_key, "kms:GenerateDataKey", f"s3.{region}.amazonaws.com",
                      f"firehose {name}")


def kms_denied(who: Any, account_id: str, region: str, key_id: str, action: str, via_service: str,
               via: str) -> str | None:
    """A KMS call a service makes for `who` (`kms:ViaService`); the key policy must allow."""
    try:
        from moto.kms.models import kms_backends

        key = kms_backends[account_id][region].describe_key(key_id)
    except Exception:  # noqa: BLE001 - a missing key fails the write elsewhere
        return None
    context = {"kms:viaservice": [via_service], "kms:calleraccount": [who.account_id]}
    region_ctx = enforce.base_context(who, region)
    region_ctx.update(context)
    decision, _ = enforce.decide(who, action, resources.Target(
        [key.arn], policy=key.policy, owner=key.account_id, required=True), region_ctx)
    if decision.allowed:
        return None
    return enforce.record(who, action, key.arn, decision.reason, via)


def _instance_role(account_id: str, region: str, instance_id: str) -> Any:
    """The role of the instance's profile (its association), or None."""
    from moto.ec2.models import ec2_backends

    association = ec2_backends[account_id][region].iam_instance_profile_associations.get(instance_id)
    profile = getattr(association, "iam_instance_profile", None)
    roles = list(getattr(profile, "roles", []) or [])
    return roles[0] if roles else None


STATIC_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def instance_credentials(account_id: str, region: str, instance_id: str) -> dict[str, str]:
    """What an instance's software gets from its instance profile ("IAM roles
    for Amazon EC2": the profile's role, trusted by ec2.amazonaws.com, session
    name = the instance id): its session keys; none without a profile; the
    static test keys with IAM off."""
    if not enforce.enabled():
        return dict(STATIC_CREDENTIALS)
    role = _instance_role(account_id, region, instance_id)
    if role is None:
        return {}
    try:
        return sessions.assume(account_id, region, role.arn, "ec2.amazonaws.com", instance_id).environment()
    except sessions.CannotAssume as error:
        print(f"streamkit_emulator.iam: instance {instance_id}: {error}", file=sys.stderr, flush=True)
        return {}


def instance_fetch_denied(account_id: str, region: str, instance_id: str, bucket: str, key: str) -> str | None:
    """The user data's `aws s3 cp s3://BUCKET/KEY` runs with the instance
    profile's session ("IAM roles for Amazon EC2"): it needs `s3:GetObject` on
    the object, and the bucket policy must not deny it (S3 user guide, "How
    Amazon S3 authorizes a request for an object operation"). None when
    allowed or IAM is off; the denial otherwise (no profile: no credentials)."""
    if not enforce.enabled():
        return None
    role = _instance_role(account_id, region, instance_id)
    if role is None:
        return f"instance {instance_id} has no instance profile: aws s3 cp finds no credentials"
    if not sessions.trusts(account_id, role.arn, "ec2.amazonaws.com"):
        return f"ec2.amazonaws.com cannot assume role {role.arn}"
    who = sessions.principal(account_id, role.arn, instance_id)
    policy, owner = _destination_policy(account_id, "s3", f"arn:aws:s3:::{bucket}")
    return enforce.check(who, "s3:GetObject", f"arn:aws:s3:::{bucket}/{key}",
                         context={"aws:securetransport": ["true"]}, policy=policy, owner=owner,
                         via=f"instance {instance_id} user data")


def execute_api_denied(access_key: str, token: str | None, method_arn: str) -> str | None:
    """A SigV4 caller of an `AWS_IAM` method needs `execute-api:Invoke` on the
    method's ARN ("Control access to a REST API with IAM permissions")."""
    if not enforce.enabled():
        return None
    try:
        who = principals.resolve(access_key, token)
    except principals.InvalidToken:
        return "The security token included in the request is invalid."
    return enforce.check(who, "execute-api:Invoke", method_arn, via="apigateway")


def lambda_policy(fn: Any) -> dict[str, Any] | None:
    """A function's resource policy as GetPolicy shows it (moto keeps the
    AddPermission / AWS::Lambda::Permission request's other fields, e.g.
    FunctionName, in its statements)."""
    from streamkit_emulator.iam.evaluator import STATEMENT_KEYS

    statements = [{k: v for k, v in s.items() if k in STATEMENT_KEYS} for s in list(fn.policy.statements)]
    return {"Version": "2012-10-17", "Statement": statements} if statements else None


def _esm_configuration() -> None:
    from moto.awslambda.models import EventSourceMapping

    original = EventSourceMapping.get_configuration

    def get_configuration(self: Any) -> dict[str, Any]:
        config = original(self)
        result = getattr(self, "streamkit_last_processing_result", None)
        if result:
            config["LastProcessingResult"] = result
        return config

    EventSourceMapping.get_configuration = get_configuration


def install() -> None:
    _esm_configuration()
