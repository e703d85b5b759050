"""Lambda: function properties moto drops, event source mapping properties,
enhanced fan-out consumers as event sources, permissions, and the live parts:
Invoke runs the function natively (`lambda_runtime`), event source mappings
run (`esm`: started on create, stopped on delete, checked on update), deleted
functions lose their environments, and moto's own synchronous per-record
Kinesis invocation is switched off."""
from __future__ import annotations

import base64
import json
from typing import Any

from moto.awslambda import models as awslambda
from moto.kinesis.models import kinesis_backends

from streamkit_emulator.iam import hooks as iam_hooks
from streamkit_emulator.core.common import as_bool, as_int, cfn_string, tag_map, wrap_create


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
    for key in ("DeadLetterConfig", "LoggingConfig"):
        if key in props:
            spec[key] = props[key]
    return awslambda.lambda_backends[account_id][region_name].create_function(spec)


_EXTRA = ("DeadLetterConfig", "LoggingConfig")
_create_function = awslambda.LambdaBackend.create_function


def create_function(self: Any, spec: dict[str, Any]) -> Any:
    """Keeps DeadLetterConfig and LoggingConfig (moto drops them), also for
    functions created through the API."""
    iam_hooks.lambda_role(self.account_id, spec.get("Role", ""))
    fn = _create_function(self, spec)
    fn.streamkit_extra = {k: spec[k] for k in _EXTRA if k in spec}
    return fn


_update_configuration = awslambda.LambdaFunction.update_configuration


def update_configuration(self: Any, config_updates: dict[str, Any]) -> Any:
    extra = getattr(self, "streamkit_extra", {})
    extra.update({k: config_updates[k] for k in _EXTRA if k in config_updates})
    self.streamkit_extra = extra
    return _update_configuration(self, config_updates)


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
_update_esm = awslambda.LambdaBackend.update_event_source_mapping
_delete_esm = awslambda.LambdaBackend.delete_event_source_mapping


def _validate_esm(spec: dict[str, Any]) -> None:
    from moto.awslambda.exceptions import InvalidParameterValueException

    from streamkit_emulator.esm import mappings as esm

    try:
        esm.validate(spec)
    except esm.MappingRefused as error:
        raise InvalidParameterValueException(str(error))


def create_event_source_mapping(self: Any, spec: dict[str, Any]) -> Any:
    """Validates the mapping, creates it, and runs it (`esm.start`)."""
    from streamkit_emulator.esm import mappings as esm

    _validate_esm(spec)
    mapping = _create_kinesis_esm(self, spec)
    esm.start(mapping)
    return mapping


def update_event_source_mapping(self: Any, uuid: str, spec: dict[str, Any]) -> Any:
    _validate_esm(spec)
    return _update_esm(self, uuid, spec)


def delete_event_source_mapping(self: Any, uuid: str) -> Any:
    from streamkit_emulator.esm import mappings as esm

    mapping = _delete_esm(self, uuid)
    esm.stop(uuid)
    return mapping


def _create_kinesis_esm(self: Any, spec: dict[str, Any]) -> Any:
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


SYNC_PAYLOAD = 6 * 1024 * 1024
ASYNC_PAYLOAD = 1024 * 1024
INVOKE_ASYNC_PAYLOAD = 256 * 1024


def _check_payload(payload: bytes, limit: int, operation: str) -> None:
    """"Lambda quotas" (Lambda Developer Guide): invocation payloads of 6 MB
    (synchronous), 1 MB (asynchronous), 256 KB through the deprecated
    InvokeAsync; over it Lambda answers 413 RequestTooLargeException ("Invoke",
    Lambda API Reference)."""
    from moto.core.exceptions import JsonRESTError

    if len(payload) > limit:
        error = JsonRESTError("RequestTooLargeException",
                              f"Request must be smaller than {limit} bytes for the {operation} operation")
        error.code = 413
        raise error


def invoke_async(self: Any) -> tuple[int, dict[str, str], str]:
    """InvokeAsync (deprecated): the payload (at most 256 KB) is invoked as an
    Event invocation through `lambda_runtime.invoke`; 202 `{"Status": 202}`."""
    from urllib.parse import unquote

    from moto.awslambda.exceptions import UnknownFunctionException

    from streamkit_emulator.awslambda import runtime as lambda_runtime

    function_name = unquote(self.path.rstrip("/").rsplit("/", 2)[-2])
    payload = self.body.encode() if isinstance(self.body, str) else (self.body or b"")
    _check_payload(payload, INVOKE_ASYNC_PAYLOAD, "InvokeAsync")
    result = lambda_runtime.invoke(self.current_account, self.region, function_name, payload, "Event")
    if result.status_code == 404:
        raise UnknownFunctionException(function_name)
    return 202, {"status": "202"}, json.dumps({"Status": 202})


def invoke(self: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: Any) -> bytes:
    """Invoke through `lambda_runtime.invoke`: status by invocation type,
    `X-Amz-Function-Error`, `X-Amz-Log-Result` (with `LogType: Tail`),
    `X-Amz-Executed-Version`; 404 / 429 as Lambda answers them."""
    from moto.awslambda.exceptions import UnknownFunctionException
    from moto.core.exceptions import JsonRESTError

    from streamkit_emulator.awslambda import runtime as lambda_runtime

    payload = body.encode() if isinstance(body, str) else (body or b"")
    kind = headers.get("X-Amz-Invocation-Type") or "RequestResponse"
    _check_payload(payload, ASYNC_PAYLOAD if kind == "Event" else SYNC_PAYLOAD, "InvokeFunction")
    if payload.strip():
        try:
            json.loads(payload)
        except ValueError:
            raise JsonRESTError("InvalidRequestContentException", "Could not parse request body into json")
    result = lambda_runtime.invoke(
        self.account_id, self.region_name, function_name, payload, kind, headers.get("X-Amz-Client-Context")
    )
    if result.status_code == 404:
        raise UnknownFunctionException(function_name)
    if result.status_code == 429:
        error = JsonRESTError("TooManyRequestsException", "Rate Exceeded.")
        error.code = 429
        raise error
    if result.function_error:
        response_headers["x-amz-function-error"] = result.function_error
    if kind == "RequestResponse":
        response_headers["x-amz-log-result"] = base64.b64encode(result.log_tail.encode()).decode()
        response_headers["x-amz-executed-version"] = result.executed_version
    return result.payload


_delete_function = awslambda.LambdaBackend.delete_function


def delete_function(self: Any, function_name: str, qualifier: str | None = None) -> None:
    from streamkit_emulator.awslambda import pool as lambda_pool

    fn = self.get_function(function_name)
    _delete_function(self, function_name, qualifier)
    lambda_pool.forget(self.account_id, self.region_name, fn.function_name)


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


def _code_object(account_id: str, partition: str, data: dict[str, Any]) -> Any:
    """The deployment package `Code.S3Bucket`/`S3Key` names, or Lambda's refusal
    ("CreateFunction" and "UpdateFunctionCode", Lambda API Reference:
    InvalidParameterValueException, 400) when it does not exist; moto 5.2.1
    created the function with CodeSize 0 when only the key was missing. Through
    CloudFormation the resource then fails its create and the stack rolls back
    (`cloudformation/strict.py`)."""
    from moto.s3.exceptions import MissingBucket, MissingKey
    from moto.s3.models import s3_backends

    bucket, key = data.get("S3Bucket"), data.get("S3Key")
    try:
        found = s3_backends[account_id][partition].get_object(bucket, key, version_id=data.get("S3ObjectVersion"))
    except MissingBucket:
        found, kind = None, "bucket"
    except MissingKey:
        found, kind = None, "key"
    else:
        kind = "key"
    if found is None:
        code, text = ("NoSuchBucket", "The specified bucket does not exist") if kind == "bucket" else \
            ("NoSuchKey", "The specified key does not exist.")
        raise awslambda.InvalidParameterValueException(
            f"Error occurred while GetObject. S3 Error Code: {code}. S3 Error Message: {text}")
    return found


def install() -> None:
    """Applies this module's patches to moto (once, from `streamkit_emulator.install`)."""
    awslambda._validate_s3_bucket_and_key = _code_object
    from moto.awslambda.responses import LambdaResponse

    LambdaResponse.invoke_async = invoke_async
    awslambda.LambdaFunction.create_from_cloudformation_json = classmethod(lambda_create)
    awslambda.LambdaFunction.get_configuration = lambda_get_configuration
    awslambda.LambdaFunction.update_configuration = update_configuration
    awslambda.LambdaBackend.create_function = create_function
    awslambda.LambdaBackend.invoke = invoke
    awslambda.LambdaBackend.delete_function = delete_function
    # Event source mappings run in `esm`; moto would invoke per record, inline.
    awslambda.LambdaBackend.send_kinesis_message = lambda self, *a, **k: None
    wrap_create(awslambda.EventSourceMapping, lambda *a: None, _esm_before)
    awslambda.LambdaBackend.create_event_source_mapping = create_event_source_mapping
    awslambda.LambdaBackend.update_event_source_mapping = update_event_source_mapping
    awslambda.LambdaBackend.delete_event_source_mapping = delete_event_source_mapping
    _lambda_permission()
