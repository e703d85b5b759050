"""Patches to moto 5.2.1's own CloudFormation models: properties streamkit sets
that moto drops, deletes moto leaves out, and event sources moto does not know."""
from __future__ import annotations

import base64
import uuid
from typing import Any

from moto.apigateway import models as apigw
from moto.awslambda import models as awslambda
from moto.cloudformation import parsing
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table
from moto.kinesis.models import Stream, kinesis_backends
from moto.s3.models import FakeBucket, s3_backends
from moto.utilities.utils import get_partition

from streamkit_models import as_bool, as_float, as_int, cfn_string, tag_map


def _wrap_create(cls: Any, after: Any, before: Any = None) -> None:
    """Replaces `cls.create_from_cloudformation_json` with one that runs
    `before(properties)` and `after(resource, properties, account, region)`."""
    original = cls.create_from_cloudformation_json.__func__

    def create(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json.setdefault("Properties", {})
        if before:
            before(props)
        resource = original(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        after(resource, props, account_id, region_name)
        return resource

    cls.create_from_cloudformation_json = classmethod(create)


# --------------------------------------------------------------------------- parameters


_load_parameters = parsing.ResourceMap.load_parameters


def load_parameters(self: parsing.ResourceMap) -> None:
    """CloudFormation passes Number parameters as numbers to the property, also
    when the value is the template's default written as a string."""
    _load_parameters(self)
    slots = self._template.get("Parameters", {})
    for name, slot in slots.items():
        if slot.get("Type") == "Number" and isinstance(self.resolved_parameters.get(name), str):
            value = self.resolved_parameters[name]
            number = as_int(value)
            if isinstance(number, str):
                number = as_float(value)
            self.resolved_parameters[name] = number
            self._parsed_resources[name] = number


parsing.ResourceMap.load_parameters = load_parameters


# --------------------------------------------------------------------------- Kinesis


def _stream_before(props: dict[str, Any]) -> None:
    mode = (props.get("StreamModeDetails") or {}).get("StreamMode", "PROVISIONED")
    if mode == "ON_DEMAND":
        props.pop("ShardCount", None)
    if "ShardCount" in props:
        props["ShardCount"] = as_int(props["ShardCount"])
    if "RetentionPeriodHours" in props:
        props["RetentionPeriodHours"] = as_int(props["RetentionPeriodHours"])


def _stream_after(stream: Stream, props: dict[str, Any], account_id: str, region_name: str) -> None:
    backend = kinesis_backends[account_id][region_name]
    mode = props.get("StreamModeDetails")
    if mode:
        backend.update_stream_mode(stream.arn, {"StreamMode": mode["StreamMode"]})
    enc = props.get("StreamEncryption")
    if enc:
        backend.start_stream_encryption(
            stream_arn=stream.arn,
            stream_name=stream.stream_name,
            encryption_type=enc["EncryptionType"],
            key_id=enc["KeyId"],
        )
    metrics = props.get("DesiredShardLevelMetrics")
    if metrics:
        backend.enable_enhanced_monitoring(
            stream_arn=stream.arn, stream_name=stream.stream_name, shard_level_metrics=list(metrics)
        )


_wrap_create(Stream, _stream_after, _stream_before)


# --------------------------------------------------------------------------- S3


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"ID": rule.get("Id"), "Status": rule["Status"]}
    lc_filter: dict[str, Any] = {}
    if "Prefix" in rule:
        lc_filter["Prefix"] = rule["Prefix"]
    if rule.get("TagFilters"):
        lc_filter["And"] = {"Prefix": rule.get("Prefix", ""), "Tag": rule["TagFilters"]}
        lc_filter.pop("Prefix", None)
    out["Filter"] = lc_filter or {"Prefix": ""}
    if "ExpirationInDays" in rule:
        out["Expiration"] = {"Days": as_int(rule["ExpirationInDays"])}
    if "ExpirationDate" in rule:
        out["Expiration"] = {"Date": rule["ExpirationDate"]}
    transitions = list(rule.get("Transitions", []))
    if "Transition" in rule:
        transitions.append(rule["Transition"])
    if transitions:
        out["Transition"] = [
            {"Days": as_int(t.get("TransitionInDays")), "StorageClass": t["StorageClass"]}
            if "TransitionInDays" in t
            else {"Date": t.get("TransitionDate"), "StorageClass": t["StorageClass"]}
            for t in transitions
        ]
    if "AbortIncompleteMultipartUpload" in rule:
        out["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": as_int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
        }
    if "NoncurrentVersionExpiration" in rule:
        out["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": as_int(rule["NoncurrentVersionExpiration"]["NoncurrentDays"])
        }
    if "NoncurrentVersionExpirationInDays" in rule:
        out["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": as_int(rule["NoncurrentVersionExpirationInDays"])
        }
    nvt = list(rule.get("NoncurrentVersionTransitions", []))
    if nvt:
        out["NoncurrentVersionTransition"] = [
            {"NoncurrentDays": as_int(t["TransitionInDays"]), "StorageClass": t["StorageClass"]} for t in nvt
        ]
    return out


def _bucket_after(bucket: FakeBucket, props: dict[str, Any], account_id: str, region_name: str) -> None:
    backend = s3_backends[account_id][get_partition(region_name)]
    name = bucket.name
    versioning = props.get("VersioningConfiguration")
    if versioning:
        backend.put_bucket_versioning(name, versioning["Status"])
    lifecycle = props.get("LifecycleConfiguration")
    if lifecycle and lifecycle.get("Rules"):
        backend.put_bucket_lifecycle(name, [_lifecycle_rule(r) for r in lifecycle["Rules"]])
    block = props.get("PublicAccessBlockConfiguration")
    if block:
        backend.put_public_access_block(
            name, {k: str(as_bool(v)).lower() if isinstance(as_bool(v), bool) else v for k, v in block.items()}
        )
    enc = props.get("BucketEncryption")
    if enc:
        rules = []
        for rule in enc.get("ServerSideEncryptionConfiguration", []):
            by_default = rule.get("ServerSideEncryptionByDefault", {})
            api_rule: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": dict(by_default)}
            if "BucketKeyEnabled" in rule:
                api_rule["BucketKeyEnabled"] = str(as_bool(rule["BucketKeyEnabled"])).lower()
            rules.append(api_rule)
        backend.put_bucket_encryption(name, {"Rule": rules[0] if len(rules) == 1 else rules})
    logging = props.get("LoggingConfiguration")
    if logging:
        # Set directly: moto checks log-delivery permissions of the target
        # bucket, whose policy CloudFormation may attach later.
        bucket.logging = {
            "TargetBucket": logging.get("DestinationBucketName", name),
            "TargetPrefix": logging.get("LogFilePrefix", ""),
        }
    ownership = props.get("OwnershipControls")
    if ownership and ownership.get("Rules"):
        backend.put_bucket_ownership_controls(name, ownership["Rules"][0]["ObjectOwnership"])


_wrap_create(FakeBucket, _bucket_after)


# --------------------------------------------------------------------------- Lambda


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


awslambda.LambdaFunction.create_from_cloudformation_json = classmethod(lambda_create)

_lambda_get_configuration = awslambda.LambdaFunction.get_configuration


def lambda_get_configuration(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    config = _lambda_get_configuration(self, *args, **kwargs)
    config.update(getattr(self, "streamkit_extra", {}))
    return config


awslambda.LambdaFunction.get_configuration = lambda_get_configuration


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


_wrap_create(awslambda.EventSourceMapping, lambda *a: None, _esm_before)

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


awslambda.LambdaBackend.create_event_source_mapping = create_event_source_mapping


# --------------------------------------------------------------------------- DynamoDB


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
    from streamkit_models import apply_table_extras

    apply_table_extras(table, props, region_name)


_wrap_create(Table, _table_after, _table_before)

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


Table.describe = table_describe


def new_table_id() -> str:
    return str(uuid.uuid4())


# --------------------------------------------------------------------------- API Gateway


def method_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    p = cloudformation_json["Properties"]
    api_id = p["RestApiId"]
    resource_id = p["ResourceId"]
    http_method = p["HttpMethod"]
    backend = apigw.apigateway_backends[account_id][region_name]
    method = backend.put_method(
        function_id=api_id,
        resource_id=resource_id,
        method_type=http_method,
        authorization_type=p.get("AuthorizationType", "NONE"),
        api_key_required=as_bool(p.get("ApiKeyRequired", False)),
        request_parameters={k: as_bool(v) for k, v in (p.get("RequestParameters") or {}).items()} or None,
        request_models=p.get("RequestModels"),
        operation_name=p.get("OperationName"),
        authorizer_id=p.get("AuthorizerId"),
        authorization_scopes=p.get("AuthorizationScopes"),
        request_validator_id=p.get("RequestValidatorId"),
    )
    for response in p.get("MethodResponses", []):
        backend.put_method_response(
            function_id=api_id,
            resource_id=resource_id,
            method_type=http_method,
            response_code=str(response["StatusCode"]),
            response_models=response.get("ResponseModels"),
            response_parameters={
                k: as_bool(v) for k, v in (response.get("ResponseParameters") or {}).items()
            }
            or None,
        )
    integration = p.get("Integration")
    if integration:
        backend.put_integration(
            function_id=api_id,
            resource_id=resource_id,
            method_type=http_method,
            integration_type=integration["Type"],
            uri=integration.get("Uri"),
            integration_method=integration.get("IntegrationHttpMethod"),
            credentials=integration.get("Credentials"),
            request_templates=integration.get("RequestTemplates"),
            passthrough_behavior=integration.get("PassthroughBehavior"),
            tls_config=integration.get("TlsConfig"),
            cache_namespace=integration.get("CacheNamespace"),
            timeout_in_millis=integration.get("TimeoutInMillis"),
            request_parameters=integration.get("RequestParameters"),
            content_handling=integration.get("ContentHandling"),
            connection_type=integration.get("ConnectionType"),
        )
        for response in integration.get("IntegrationResponses", []):
            backend.put_integration_response(
                function_id=api_id,
                resource_id=resource_id,
                method_type=http_method,
                status_code=str(response["StatusCode"]),
                selection_pattern=response.get("SelectionPattern"),
                response_templates=response.get("ResponseTemplates"),
                response_parameters=response.get("ResponseParameters"),
                content_handling=response.get("ContentHandling"),
            )
    method.streamkit_location = (api_id, resource_id)
    return method


apigw.Method.create_from_cloudformation_json = classmethod(method_create)


def method_delete(self: Any, account_id: str, region_name: str) -> None:
    api_id, resource_id = self.streamkit_location
    backend = apigw.apigateway_backends[account_id][region_name]
    api = backend.apis.get(api_id)
    if api and resource_id in api.resources:
        api.resources[resource_id].resource_methods.pop(self.http_method, None)


def method_physical_id(self: Any) -> str:
    return f"{self.streamkit_location[0]}|{self.streamkit_location[1]}|{self.http_method}"


apigw.Method.delete = method_delete
apigw.Method.physical_resource_id = property(method_physical_id)


def resource_delete(self: Any, account_id: str, region_name: str) -> None:
    backend = apigw.apigateway_backends[account_id][region_name]
    api = backend.apis.get(self.api_id)
    if api:
        api.resources.pop(self.id, None)


apigw.Resource.delete = resource_delete


def _deployment_after(deployment: Any, props: dict[str, Any], account_id: str, region_name: str) -> None:
    deployment.streamkit_api_id = props["RestApiId"]


_wrap_create(apigw.Deployment, _deployment_after)


def deployment_delete(self: Any, account_id: str, region_name: str) -> None:
    backend = apigw.apigateway_backends[account_id][region_name]
    api = backend.apis.get(getattr(self, "streamkit_api_id", ""))
    if api:
        api.deployments.pop(self.id, None)


apigw.Deployment.delete = deployment_delete
apigw.Deployment.physical_resource_id = property(lambda self: self.id)


def restapi_delete(self: Any, account_id: str, region_name: str) -> None:
    backend = apigw.apigateway_backends[account_id][region_name]
    if self.id in backend.apis:
        backend.delete_rest_api(self.id)


apigw.RestAPI.delete = restapi_delete


def _restapi_before(props: dict[str, Any]) -> None:
    props.setdefault("Description", "")


def _restapi_after(api: Any, props: dict[str, Any], account_id: str, region_name: str) -> None:
    config = props.get("EndpointConfiguration")
    if config:
        api.endpoint_configuration = {"types": list(config.get("Types", ["EDGE"]))}
        if config.get("VpcEndpointIds"):
            api.endpoint_configuration["vpcEndpointIds"] = list(config["VpcEndpointIds"])
    if "Policy" in props:
        import json

        policy = props["Policy"]
        api.policy = policy if isinstance(policy, str) else json.dumps(policy)
    if "Tags" in props:
        api.tags = tag_map(props["Tags"])
    if "ApiKeySourceType" in props:
        api.api_key_source = props["ApiKeySourceType"]
    if "DisableExecuteApiEndpoint" in props:
        api.disableExecuteApiEndpoint = as_bool(props["DisableExecuteApiEndpoint"])


_wrap_create(apigw.RestAPI, _restapi_after, _restapi_before)


# --------------------------------------------------------------------------- SSM


def _ssm_parameter_create() -> None:
    from moto.ssm.models import Parameter

    original = Parameter.create_from_cloudformation_json.__func__

    def create(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json.setdefault("Properties", {})
        # AWS generates a name when the template gives none.
        props.setdefault("Name", f"CFN-{kwargs.get('LogicalId', 'Parameter')}-{resource_name.rsplit('-', 1)[-1]}")
        return original(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    Parameter.create_from_cloudformation_json = classmethod(create)


_ssm_parameter_create()


# --------------------------------------------------------------------------- stacks


def _outputs_guard() -> None:
    """moto resolves Outputs lazily, which re-creates resources of a stack that
    was rolled back or deleted; AWS shows no outputs for those."""
    from moto.cloudformation.models import Stack

    original = Stack.outputs.fget

    def outputs(self: Any) -> Any:
        if self.status in ("CREATE_FAILED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_COMPLETE",
                           "ROLLBACK_FAILED", "DELETE_IN_PROGRESS", "DELETE_COMPLETE"):
            return None
        return original(self)

    Stack.outputs = property(outputs)


_outputs_guard()


def _stack_resources_without_skipped() -> None:
    """ListStackResources: resources whose Condition is false are not in the stack
    (moto lists them as empty entries)."""
    from moto.cloudformation.models import Stack

    def stack_resources(self: Any) -> Any:
        return [r for r in self.resource_map.values() if r is not None]

    Stack.stack_resources = property(stack_resources)


_stack_resources_without_skipped()


def _change_set_execution() -> None:
    """ExecuteChangeSet: moto applies the resources but keeps the stack's old
    template, parameters and (empty) outputs, and records no resource events.
    AWS shows the executed template's outputs and one event per resource."""
    from moto.cloudformation.models import CloudFormationBackend, Event

    original = CloudFormationBackend.execute_change_set

    def execute_change_set(self: Any, change_set_name: str, stack_name: Any = None) -> None:
        change_set = self.change_sets.get(change_set_name) or next(
            (cs for cs in self.change_sets.values() if cs.change_set_name == change_set_name), None)
        original(self, change_set_name, stack_name)
        if change_set is None:
            return
        stack = self.stacks[change_set.stack_id]
        stack.template = change_set.template
        stack._parse_template()
        stack.parameters = change_set.parameters
        stack.output_map = stack._create_output_map()
        verb = "CREATE" if change_set.change_set_type == "CREATE" else "UPDATE"
        final = stack.events.pop() if stack.events else None
        for logical_id, resource in stack.resource_map.items():
            if resource is None:
                continue
            spec = stack.template_dict.get("Resources", {}).get(logical_id, {})
            physical = getattr(resource, "physical_resource_id", None) or ""
            for status in (f"{verb}_IN_PROGRESS", f"{verb}_COMPLETE"):
                stack.events.append(Event(
                    stack_id=stack.stack_id, stack_name=stack.name, logical_resource_id=logical_id,
                    physical_resource_id=str(physical), resource_type=spec.get("Type", ""),
                    resource_status=status, resource_status_reason=None, resource_properties=None))
        if final is not None:
            stack.events.append(final)

    CloudFormationBackend.execute_change_set = execute_change_set


_change_set_execution()


# --------------------------------------------------------------------------- Managed Flink


def _flink_timestamps() -> None:
    """moto answers DescribeApplication with ISO strings where the API has epoch
    timestamps, which SDKs refuse."""
    from datetime import datetime

    from moto.kinesisanalyticsv2.models import KinesisAnalyticsV2Backend

    original = KinesisAnalyticsV2Backend.describe_application

    def epoch(value: Any) -> Any:
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value).timestamp()
            except ValueError:
                return value
        return value

    def describe_application(self: Any, application_name: str) -> dict[str, Any]:
        detail = original(self, application_name)
        for key in ("CreateTimestamp", "LastUpdateTimestamp", "ApplicationVersionCreateTimestamp"):
            if key in detail:
                detail[key] = epoch(detail[key])
        return {k: v for k, v in detail.items() if v is not None}

    KinesisAnalyticsV2Backend.describe_application = describe_application


_flink_timestamps()


# --------------------------------------------------------------------------- S3 responses


def _s3_versioning_response() -> None:
    """GetBucketVersioning: AWS's root element is VersioningConfiguration (moto
    names it after the operation, which SDKs other than boto3 reject)."""
    from xml.sax.saxutils import escape

    from moto.s3.responses import S3Response

    def get_bucket_versioning(self: Any) -> Any:
        status = self.backend.get_bucket_versioning(self.bucket_name)
        inner = f"<Status>{escape(status)}</Status>" if status else ""
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{inner}</VersioningConfiguration>'
        )
        return 200, {"Content-Type": "application/xml"}, body

    S3Response.get_bucket_versioning = get_bucket_versioning


_s3_versioning_response()


# --------------------------------------------------------------------------- EC2


def _instance_from_launch_template() -> None:
    """AWS::EC2::Instance with a LaunchTemplate (moto requires ImageId and
    drops the template, its metadata options and instance profile)."""
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.instances import Instance, MetadataOptions

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        backend = ec2_backends[account_id][region_name]
        template_arg = None
        data: dict[str, Any] = {}
        if props.get("LaunchTemplate"):
            lt = props["LaunchTemplate"]
            template_arg = {
                k: str(v) for k, v in lt.items() if k in ("LaunchTemplateId", "LaunchTemplateName", "Version")
            }
            data = backend._get_template_from_args(template_arg).data
        group_ids = list(props.get("SecurityGroupIds", [])) or list(data.get("SecurityGroupIds", []))
        group_names = [backend.get_security_group_from_id(g).name for g in group_ids]
        group_names += list(props.get("SecurityGroups", []))
        run_kwargs: dict[str, Any] = dict(
            instance_type=props.get("InstanceType") or data.get("InstanceType", "m1.small"),
            is_instance_type_default=not (props.get("InstanceType") or data.get("InstanceType")),
            subnet_id=props.get("SubnetId"),
            key_name=props.get("KeyName"),
            private_ip=props.get("PrivateIpAddress"),
            block_device_mappings=props.get("BlockDeviceMappings", {}),
        )
        if template_arg:
            run_kwargs["launch_template"] = template_arg
        image_id = props.get("ImageId") or data.get("ImageId")
        if not image_id:
            raise ValueError("AWS::EC2::Instance: no ImageId in the instance or its launch template")
        reservation = backend.run_instances(
            image_id=image_id,
            user_data=props.get("UserData"),
            count=1,
            security_group_names=group_names,
            **run_kwargs,
        )
        instance = reservation.instances[0]
        metadata = props.get("MetadataOptions") or data.get("MetadataOptions")
        if metadata:
            instance.metadata_options = MetadataOptions(metadata)
        for tag in props.get("Tags", []):
            instance.add_tag(tag["Key"], tag["Value"])
        profile = props.get("IamInstanceProfile") or (data.get("IamInstanceProfile") or {}).get("Name")
        if not profile and (data.get("IamInstanceProfile") or {}).get("Arn"):
            profile = data["IamInstanceProfile"]["Arn"].rsplit("/", 1)[-1]
        if profile:
            backend.associate_iam_instance_profile(instance_id=instance.id, iam_instance_profile_name=profile)
        return instance

    Instance.create_from_cloudformation_json = classmethod(create)


_instance_from_launch_template()


# --------------------------------------------------------------------------- KMS


def _kms_key_policy_as_text() -> None:
    """moto keeps a template's KeyPolicy object as is, and then fails every
    call that checks the policy (it expects the JSON text)."""
    import json

    from moto.kms.models import Key

    def before(props: dict[str, Any]) -> None:
        if isinstance(props.get("KeyPolicy"), (dict, list)):
            props["KeyPolicy"] = json.dumps(props["KeyPolicy"])

    _wrap_create(Key, lambda *a: None, before)


_kms_key_policy_as_text()


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


_lambda_permission()


# --------------------------------------------------------------------------- dynamic references


def _dynamic_references() -> None:
    """`{{resolve:secretsmanager:...}}` and `{{resolve:ssm:...}}` in property
    values, resolved when the resource is created, as CloudFormation does."""
    import json
    import re

    pattern = re.compile(r"\{\{resolve:(secretsmanager|ssm|ssm-secure):([^}]*)\}\}")
    _clean = parsing.clean_json

    def resolve(match: "re.Match[str]", account_id: str, region_name: str) -> str:
        service, ref = match.group(1), match.group(2)
        if service == "secretsmanager":
            from moto.secretsmanager.models import secretsmanager_backends

            # secret-id[:SecretString[:json-key[:version-stage[:version-id]]]]
            if ref.startswith("arn:"):
                parts = ref.split(":")
                secret_id, rest = ":".join(parts[:7]), parts[7:]
            else:
                secret_id, *rest = ref.split(":")
            value = secretsmanager_backends[account_id][region_name].get_secret_value(
                secret_id, version_id=None, version_stage=None
            )["SecretString"]
            if len(rest) >= 2 and rest[1]:
                value = json.loads(value)[rest[1]]
            return str(value)
        from moto.ssm.models import ssm_backends

        name = ref.split(":")[0]
        return ssm_backends[account_id][region_name].get_parameter(name).value

    def clean_json(resource_json: Any, resources_map: Any) -> Any:
        result = _clean(resource_json, resources_map)
        if isinstance(result, str) and "{{resolve:" in result and hasattr(resources_map, "_account_id"):
            account, region = resources_map._account_id, resources_map._region_name
            result = pattern.sub(lambda m: resolve(m, account, region), result)
        return result

    parsing.clean_json = clean_json


_dynamic_references()
