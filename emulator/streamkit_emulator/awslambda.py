"""Lambda: function properties moto drops, event source mapping properties,
enhanced fan-out consumers as event sources, and permissions."""
from __future__ import annotations

import base64
from typing import Any

from moto.awslambda import models as awslambda
from moto.kinesis.models import kinesis_backends

from .common import as_bool, as_int, cfn_string, tag_map, wrap_create


_LAMBDA_PASSTHROUGH = (
    "Architectures",
    "TracingConfig",
    "Layers",
    "EphemeralStorage",
    "PackageType",
    "ImageConfig",
    "KmsKeyArn",
    "SnapStart",
)


def lambda_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    props = cloudformation_json["Properties"]
    spec: dict[str, Any] = {
        "Code": dict(props["Code"]),
        "FunctionName": props.get("FunctionName", resource_name),
        "Handler": props.get("Handler"),
        "Role": props["Role"],
        "Runtime": props.get("Runtime"),
    }
    for key in (
        "Description",
        "MemorySize",
        "Timeout",
        "VpcConfig",
        "Environment",
        "ReservedConcurrentExecutions",
        *_LAMBDA_PASSTHROUGH,
    ):
        if key in props:
            spec[key] = props[key]
    for key in ("MemorySize", "Timeout", "ReservedConcurrentExecutions"):
        if key in spec:
            spec[key] = as_int(spec[key])
    if "Tags" in props:
        spec["Tags"] = tag_map(props["Tags"])
    variables = (spec.get("Environment") or {}).get("Variables")
    if variables:
        # CloudFormation passes every environment value as a string.
        spec["Environment"] = {"Variables": {k: cfn_string(v) for k, v in variables.items()}}
    if "ZipFile" in spec["Code"]:
        spec["Code"]["ZipFile"] = base64.b64encode(
            cls._create_zipfile_from_plaintext_code(spec["Code"]["ZipFile"])
        )
    fn = awslambda.lambda_backends[account_id][region_name].create_function(spec)
    fn.streamkit_extra = {k: props[k] for k in ("DeadLetterConfig", "LoggingConfig") if k in props}
    return fn


_lambda_get_configuration = awslambda.LambdaFunction.get_configuration


def lambda_get_configuration(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    config = _lambda_get_configuration(self, *args, **kwargs)
    config.update(getattr(self, "streamkit_extra", {}))
    return config


def _esm_before(props: dict[str, Any]) -> None:
    for key in (
        "BatchSize",
        "MaximumBatchingWindowInSeconds",
        "MaximumRecordAgeInSeconds",
        "MaximumRetryAttempts",
        "ParallelizationFactor",
        "TumblingWindowInSeconds",
    ):
        if key in props:
            props[key] = as_int(props[key])
    for key in ("BisectBatchOnFunctionError", "Enabled"):
        if key in props:
            props[key] = as_bool(props[key])


_create_esm = awslambda.LambdaBackend.create_event_source_mapping


def create_event_source_mapping(self: Any, spec: dict[str, Any]) -> Any:
    """Kinesis enhanced fan-out: the event source is a stream consumer's ARN."""
    source = spec.get("EventSourceArn", "")
    if ":kinesis:" in source and "/consumer/" in source:
        backend = kinesis_backends[self.account_id][self.region_name]
        consumer = None
        for stream in backend.streams.values():
            consumer = stream.get_consumer_by_arn(source)
            if consumer:
                break
        if consumer is None:
            from moto.core.exceptions import RESTError

            raise RESTError("ResourceNotFoundException", f"Invalid EventSourceArn: no consumer {source}")
        func = self._lambdas.get_function_by_name_or_arn_with_qualifier(spec["FunctionName"])
        spec["RegionName"] = self.region_name
        spec["AccountId"] = self.account_id
        spec["FunctionArn"] = func.function_arn
        esm = awslambda.EventSourceMapping(spec)
        self._event_source_mappings[esm.uuid] = esm
        return esm
    return _create_esm(self, spec)


def _lambda_permission() -> None:
    """AWS::Lambda::Permission: a statement ID as physical ID (moto has none, so
    the permission could neither be referenced nor removed) and a delete."""
    import json

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = dict(cloudformation_json["Properties"])
        backend = awslambda.lambda_backends[account_id][region_name]
        fn = backend.get_function(props["FunctionName"])
        props.setdefault("StatementId", resource_name)
        fn.policy.add_statement(raw=json.dumps(props))
        permission = awslambda.Permission(region=region_name)
        permission.streamkit_sid = props["StatementId"]
        permission.streamkit_function = fn.function_name
        return permission

    def delete(self: Any, account_id: str, region_name: str) -> None:
        backend = awslambda.lambda_backends[account_id][region_name]
        try:
            fn = backend.get_function(self.streamkit_function)
        except Exception:  # noqa: BLE001 - the function went first
            return
        fn.policy.del_statement(self.streamkit_sid)

    awslambda.Permission.create_from_cloudformation_json = classmethod(create)
    awslambda.Permission.delete = delete
    awslambda.Permission.physical_resource_id = property(lambda self: self.streamkit_sid)


def install() -> None:
    """Applies this module's patches to moto (once, from `streamkit_emulator.install`)."""
    awslambda.LambdaFunction.create_from_cloudformation_json = classmethod(lambda_create)
    awslambda.LambdaFunction.get_configuration = lambda_get_configuration
    wrap_create(awslambda.EventSourceMapping, lambda *a: None, _esm_before)
    awslambda.LambdaBackend.create_event_source_mapping = create_event_source_mapping
    _lambda_permission()
