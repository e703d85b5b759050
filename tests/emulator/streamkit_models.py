"""streamkit's CloudFormation models for moto (pinned: moto 5.2.1).

Importing this module, before moto server handles its first request:

* defines a `CloudFormationModel` subclass for every resource type streamkit
  uses that moto's CloudFormation engine skips (moto builds its type map from the
  direct subclasses of `CloudFormationModel` on the first stack it parses); each
  creates the real resource in moto's own backend, answers `Ref`/`Fn::GetAtt` as
  AWS documents, and deletes it again;
* patches moto's models for types it knows but whose properties it drops
  (see `streamkit_patches`);
* installs the strictness switch (`STREAMKIT_EMULATOR_STRICT=1`, see
  `streamkit_strict`): a template with a type nobody implements is refused.
"""
from __future__ import annotations

import json
import secrets
import string
import uuid
from typing import Any

from moto.apigateway.models import apigateway_backends
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.cloudwatch.models import (
    Dimension,
    Metric,
    MetricDataQuery,
    MetricStat,
    cloudwatch_backends,
)
from moto.core.common_models import CloudFormationModel
from moto.dynamodb.models import dynamodb_backends
from moto.firehose.models import firehose_backends
from moto.kinesis.models import kinesis_backends
from moto.kinesisanalyticsv2.models import kinesisanalyticsv2_backends
from moto.logs.models import logs_backends
from moto.s3.models import s3_backends
from moto.secretsmanager.models import secretsmanager_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends
from moto.utilities.utils import get_partition

# moto's model metaclass files models under the second component of the module name.
MODULE = "streamkit.emulator"

# --------------------------------------------------------------------------- helpers


def as_int(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def as_float(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def as_bool(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def cfn_string(value: Any) -> str:
    """A scalar as CloudFormation passes it to a String property."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def policy_text(document: Any) -> str:
    return document if isinstance(document, str) else json.dumps(document)


def tag_list(tags: Any) -> list[dict[str, str]]:
    if isinstance(tags, dict):
        return [{"Key": k, "Value": v} for k, v in tags.items()]
    return list(tags or [])


def tag_map(tags: Any) -> dict[str, str]:
    if isinstance(tags, dict):
        return dict(tags)
    return {t["Key"]: t["Value"] for t in tags or []}


class StreamkitModel:
    """Shared behaviour. Subclasses also derive from `CloudFormationModel`
    directly (moto only looks at its direct subclasses)."""

    CFN_TYPE = ""
    NAME_PROPERTY = ""
    # GetAtt attribute -> instance attribute name
    ATTRIBUTES: dict[str, str] = {}
    ref: str = ""

    @classmethod
    def cloudformation_type(cls) -> str:  # type: ignore[override]
        return cls.CFN_TYPE

    @classmethod
    def cloudformation_name_type(cls) -> str:  # type: ignore[override]
        return cls.NAME_PROPERTY

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.ATTRIBUTES

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name in self.ATTRIBUTES:
            return getattr(self, self.ATTRIBUTES[attribute_name])
        raise UnformattedGetAttTemplateException()

    @property
    def physical_resource_id(self) -> str:
        return self.ref

    def is_created(self) -> bool:
        return True

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Any:
        # Replacement update: create the new one, then delete the old one.
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(  # type: ignore[attr-defined]
            new_resource_name, cloudformation_json, account_id, region_name
        )

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        raise NotImplementedError("streamkit models delete through their instance")

    def delete(self, account_id: str, region_name: str) -> None:
        raise NotImplementedError


# --------------------------------------------------------------------------- Kinesis


class StreamConsumer(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::Kinesis::StreamConsumer"
    NAME_PROPERTY = "ConsumerName"
    ATTRIBUTES = {
        "ConsumerARN": "consumer_arn",
        "ConsumerName": "consumer_name",
        "ConsumerStatus": "consumer_status",
        "ConsumerCreationTimestamp": "created",
        "StreamARN": "stream_arn",
        "Id": "consumer_arn",
    }

    def __init__(self, consumer: Any, region_name: str):
        self.consumer_arn = consumer.consumer_arn
        self.consumer_name = consumer.consumer_name
        self.stream_arn = consumer.stream_arn
        self.consumer_status = "ACTIVE"
        self.created = consumer.created.isoformat()
        self.ref = self.consumer_arn
        self.region_name = region_name

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        backend = kinesis_backends[account_id][region_name]
        stream_arn = props["StreamARN"]
        backend.describe_stream(stream_arn=stream_arn, stream_name=None)
        consumer = backend.register_stream_consumer(
            stream_arn=stream_arn, consumer_name=props.get("ConsumerName", resource_name)
        )
        return cls(consumer, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        kinesis_backends[account_id][region_name].deregister_stream_consumer(
            stream_arn="", consumer_name="", consumer_arn=self.consumer_arn
        )


# --------------------------------------------------------------------------- S3


class BucketPolicy(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::S3::BucketPolicy"
    ATTRIBUTES = {"Id": "ref"}

    def __init__(self, bucket: str):
        self.bucket = bucket
        self.ref = bucket

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        backend = s3_backends[account_id][get_partition(region_name)]
        backend.put_bucket_policy(
            props["Bucket"], policy_text(props["PolicyDocument"]).encode("utf-8")
        )
        return cls(props["Bucket"])

    def delete(self, account_id: str, region_name: str) -> None:
        backend = s3_backends[account_id][get_partition(region_name)]
        if self.bucket in backend.buckets:
            backend.delete_bucket_policy(self.bucket)


# --------------------------------------------------------------------------- CloudWatch


def _metric_data_queries(metrics: list[dict[str, Any]]) -> list[MetricDataQuery]:
    queries = []
    for metric in metrics:
        stat = None
        metric_stat = metric.get("MetricStat")
        if metric_stat:
            m = metric_stat["Metric"]
            stat = MetricStat(
                metric=Metric(
                    metric_name=m["MetricName"],
                    namespace=m.get("Namespace"),
                    dimensions=[
                        Dimension(name=d["Name"], value=d["Value"])
                        for d in m.get("Dimensions", [])
                    ],
                ),
                period=as_int(metric_stat.get("Period")),
                stat=metric_stat.get("Stat"),
                unit=metric_stat.get("Unit"),
            )
        queries.append(
            MetricDataQuery(
                query_id=metric["Id"],
                label=metric.get("Label"),
                period=as_int(metric.get("Period")),
                return_data=as_bool(metric.get("ReturnData")),
                expression=metric.get("Expression"),
                metric_stat=stat,
            )
        )
    return queries


class Alarm(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::CloudWatch::Alarm"
    NAME_PROPERTY = "AlarmName"
    ATTRIBUTES = {"Arn": "arn"}

    def __init__(self, alarm: Any):
        self.name = alarm.name
        self.arn = alarm.alarm_arn
        self.ref = alarm.name

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        name = p.get("AlarmName", resource_name)
        alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=name,
            namespace=p.get("Namespace"),
            metric_name=p.get("MetricName"),
            metric_data_queries=_metric_data_queries(p["Metrics"]) if p.get("Metrics") else None,
            comparison_operator=p["ComparisonOperator"],
            evaluation_periods=as_int(p["EvaluationPeriods"]),
            datapoints_to_alarm=as_int(p.get("DatapointsToAlarm")),
            period=as_int(p.get("Period")),
            threshold=as_float(p.get("Threshold")),
            statistic=p.get("Statistic"),
            extended_statistic=p.get("ExtendedStatistic"),
            description=p.get("AlarmDescription"),
            dimensions=p.get("Dimensions", []),
            alarm_actions=p.get("AlarmActions", []),
            ok_actions=p.get("OKActions", []),
            insufficient_data_actions=p.get("InsufficientDataActions", []),
            unit=p.get("Unit"),
            actions_enabled=as_bool(p.get("ActionsEnabled", True)),
            treat_missing_data=p.get("TreatMissingData"),
            evaluate_low_sample_count_percentile=p.get("EvaluateLowSampleCountPercentile"),
            threshold_metric_id=p.get("ThresholdMetricId"),
            tags=None,
        )
        return cls(alarm)

    def delete(self, account_id: str, region_name: str) -> None:
        cloudwatch_backends[account_id][region_name].delete_alarms([self.name])


# --------------------------------------------------------------------------- Firehose


class DeliveryStream(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::KinesisFirehose::DeliveryStream"
    NAME_PROPERTY = "DeliveryStreamName"
    ATTRIBUTES = {"Arn": "arn"}

    def __init__(self, name: str, arn: str):
        self.name = name
        self.arn = arn
        self.ref = name

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        name = p.get("DeliveryStreamName", resource_name)
        backend = firehose_backends[account_id][region_name]
        supported = {
            "KinesisStreamSourceConfiguration",
            "DeliveryStreamEncryptionConfigurationInput",
            "DeliveryStreamName",
            "DeliveryStreamType",
            "ExtendedS3DestinationConfiguration",
            "S3DestinationConfiguration",
            "Tags",
        }
        unknown = set(p) - supported
        if unknown:
            raise ValueError(f"{cls.CFN_TYPE}: properties not implemented by the emulator: {sorted(unknown)}")
        ext = p.get("ExtendedS3DestinationConfiguration")
        if ext and "BufferingHints" in ext:
            ext["BufferingHints"] = {k: as_int(v) for k, v in ext["BufferingHints"].items()}
        backend.create_delivery_stream(
            region=region_name,
            delivery_stream_name=name,
            delivery_stream_type=p.get("DeliveryStreamType"),
            kinesis_stream_source_configuration=p.get("KinesisStreamSourceConfiguration"),
            delivery_stream_encryption_configuration_input=p.get(
                "DeliveryStreamEncryptionConfigurationInput"
            ),
            s3_destination_configuration=p.get("S3DestinationConfiguration"),
            extended_s3_destination_configuration=ext,
            redshift_destination_configuration=None,
            elasticsearch_destination_configuration=None,
            splunk_destination_configuration=None,
            http_endpoint_destination_configuration=None,
            snowflake_destination_configuration=None,
            tags=tag_list(p.get("Tags")),
        )
        stream = backend.delivery_streams[name]
        if p.get("KinesisStreamSourceConfiguration"):
            # AWS describes the source with the time delivery started.
            stream.source = dict(p["KinesisStreamSourceConfiguration"])
        return cls(name, stream.delivery_stream_arn)

    def delete(self, account_id: str, region_name: str) -> None:
        firehose_backends[account_id][region_name].delete_delivery_stream(self.name)


# --------------------------------------------------------------------------- Managed Flink


class FlinkApplication(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::KinesisAnalyticsV2::Application"
    NAME_PROPERTY = "ApplicationName"
    ATTRIBUTES: dict[str, str] = {}

    def __init__(self, name: str):
        self.name = name
        self.ref = name

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        name = p.get("ApplicationName", resource_name)
        backend = kinesisanalyticsv2_backends[account_id][region_name]
        if name in backend.applications:
            raise ValueError(f"application {name} already exists")
        config = p.get("ApplicationConfiguration")
        for group in ((config or {}).get("EnvironmentProperties") or {}).get("PropertyGroups", []):
            group["PropertyMap"] = {k: cfn_string(v) for k, v in group.get("PropertyMap", {}).items()}
        backend.create_application(
            application_name=name,
            application_description=p.get("ApplicationDescription"),
            runtime_environment=p["RuntimeEnvironment"],
            service_execution_role=p["ServiceExecutionRole"],
            application_configuration=config,
            cloud_watch_logging_options=None,
            tags=tag_list(p.get("Tags")),
            application_mode=p.get("ApplicationMode", "STREAMING"),
        )
        app = backend.applications[name]
        app.application_status = "READY"
        # moto leaves out settings it does not describe; keep what the template set.
        flink = (config or {}).get("FlinkApplicationConfiguration") or {}
        desc = app.app_config_description or {}
        fdesc = desc.setdefault("FlinkApplicationConfigurationDescription", {})
        par = flink.get("ParallelismConfiguration")
        if par and "ParallelismConfigurationDescription" not in fdesc:
            fdesc["ParallelismConfigurationDescription"] = {
                "ConfigurationType": par.get("ConfigurationType"),
                "Parallelism": as_int(par.get("Parallelism", 1)),
                "ParallelismPerKPU": as_int(par.get("ParallelismPerKPU", 1)),
                "AutoScalingEnabled": as_bool(par.get("AutoScalingEnabled", False)),
                "CurrentParallelism": as_int(par.get("Parallelism", 1)),
            }
        app.app_config_description = desc
        return cls(name)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = kinesisanalyticsv2_backends[account_id][region_name]
        app = backend.applications.pop(self.name)
        backend.tagger.delete_all_tags_for_resource(app.application_arn)


class FlinkLoggingOption(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::KinesisAnalyticsV2::ApplicationCloudWatchLoggingOption"
    ATTRIBUTES: dict[str, str] = {}

    def __init__(self, application: str, option_id: str):
        self.application = application
        self.ref = option_id

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        backend = kinesisanalyticsv2_backends[account_id][region_name]
        app = backend.applications[p["ApplicationName"]]
        options = app.cloud_watch_logging_description or []
        option_id = f"{len(options) + 1}.1"
        options.append(
            {
                "CloudWatchLoggingOptionId": option_id,
                "LogStreamARN": p["CloudWatchLoggingOption"]["LogStreamARN"],
            }
        )
        app.cloud_watch_logging_description = options
        app.application_version_id += 1
        return cls(p["ApplicationName"], option_id)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = kinesisanalyticsv2_backends[account_id][region_name]
        app = backend.applications.get(self.application)
        if app and app.cloud_watch_logging_description:
            app.cloud_watch_logging_description = [
                o
                for o in app.cloud_watch_logging_description
                if o["CloudWatchLoggingOptionId"] != self.ref
            ] or None


# --------------------------------------------------------------------------- DynamoDB


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


# --------------------------------------------------------------------------- API Gateway


def _api(account_id: str, region_name: str) -> Any:
    return apigateway_backends[account_id][region_name]


class ApiStage(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::ApiGateway::Stage"
    NAME_PROPERTY = "StageName"
    ATTRIBUTES: dict[str, str] = {}

    def __init__(self, api_id: str, name: str):
        self.api_id = api_id
        self.ref = name

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        api_id = p["RestApiId"]
        name = p.get("StageName", resource_name)
        stage = _api(account_id, region_name).create_stage(
            function_id=api_id,
            stage_name=name,
            deploymentId=p["DeploymentId"],
            variables=p.get("Variables"),
            description=p.get("Description", ""),
            cacheClusterEnabled=as_bool(p.get("CacheClusterEnabled")),
            cacheClusterSize=p.get("CacheClusterSize"),
            tags=tag_map(p.get("Tags")) or None,
            tracing_enabled=as_bool(p.get("TracingEnabled")),
        )
        for setting in p.get("MethodSettings", []):
            path = setting.get("ResourcePath", "/*")
            path = path[1:] if path.startswith("/") else path
            path = path.replace("/", "~1") if path != "*" else "*"
            key = f"{path}/{setting.get('HttpMethod', '*')}"
            entry = {}
            for cfn, api in (
                ("LoggingLevel", "loggingLevel"),
                ("MetricsEnabled", "metricsEnabled"),
                ("DataTraceEnabled", "dataTraceEnabled"),
                ("ThrottlingBurstLimit", "throttlingBurstLimit"),
                ("ThrottlingRateLimit", "throttlingRateLimit"),
                ("CachingEnabled", "cachingEnabled"),
                ("CacheTtlInSeconds", "cacheTtlInSeconds"),
                ("CacheDataEncrypted", "cacheDataEncrypted"),
            ):
                if cfn in setting:
                    value = setting[cfn]
                    if cfn == "ThrottlingRateLimit":
                        value = as_float(value)
                    elif cfn in ("ThrottlingBurstLimit", "CacheTtlInSeconds"):
                        value = as_int(value)
                    else:
                        value = as_bool(value)
                    entry[api] = value
            stage.method_settings[key] = entry
        logs = p.get("AccessLogSetting")
        if logs:
            stage.access_log_settings = {
                "destinationArn": logs.get("DestinationArn"),
                "format": logs.get("Format"),
            }
        return cls(api_id, name)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = _api(account_id, region_name)
        if self.api_id in backend.apis:
            api = backend.apis[self.api_id]
            api.stages.pop(self.ref, None)


class UsagePlan(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::ApiGateway::UsagePlan"
    NAME_PROPERTY = "UsagePlanName"
    ATTRIBUTES = {"Id": "ref"}

    def __init__(self, plan_id: str):
        self.ref = plan_id

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        payload: dict[str, Any] = {
            "name": p.get("UsagePlanName", resource_name),
            "description": p.get("Description"),
            "apiStages": [
                {
                    "apiId": s["ApiId"],
                    "stage": s["Stage"],
                    **({"throttle": s["Throttle"]} if "Throttle" in s else {}),
                }
                for s in p.get("ApiStages", [])
            ],
        }
        if "Throttle" in p:
            t = p["Throttle"]
            payload["throttle"] = {}
            if "RateLimit" in t:
                payload["throttle"]["rateLimit"] = as_float(t["RateLimit"])
            if "BurstLimit" in t:
                payload["throttle"]["burstLimit"] = as_int(t["BurstLimit"])
        if "Quota" in p:
            q = p["Quota"]
            payload["quota"] = {
                "limit": as_int(q.get("Limit")),
                "period": q.get("Period"),
                "offset": as_int(q.get("Offset", 0)),
            }
        if p.get("Tags"):
            payload["tags"] = tag_map(p["Tags"])
        plan = _api(account_id, region_name).create_usage_plan(payload)
        return cls(plan.id)

    def delete(self, account_id: str, region_name: str) -> None:
        _api(account_id, region_name).delete_usage_plan(self.ref)


class ApiKey(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::ApiGateway::ApiKey"
    NAME_PROPERTY = "Name"
    ATTRIBUTES = {"APIKeyId": "ref"}

    def __init__(self, key_id: str):
        self.ref = key_id

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        payload: dict[str, Any] = {
            "name": p.get("Name", resource_name),
            "description": p.get("Description"),
            "enabled": as_bool(p.get("Enabled", False)),
            "stageKeys": [
                {"restApiId": s.get("RestApiId"), "stageName": s.get("StageName")}
                for s in p.get("StageKeys", [])
            ],
        }
        if "Value" in p:
            payload["value"] = p["Value"]
        if "CustomerId" in p:
            payload["customerId"] = p["CustomerId"]
        if p.get("Tags"):
            payload["tags"] = tag_map(p["Tags"])
        key = _api(account_id, region_name).create_api_key(payload)
        return cls(key.id)

    def delete(self, account_id: str, region_name: str) -> None:
        _api(account_id, region_name).delete_api_key(self.ref)


class UsagePlanKey(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::ApiGateway::UsagePlanKey"
    ATTRIBUTES = {"Id": "ref"}

    def __init__(self, plan_id: str, key_id: str):
        self.plan_id = plan_id
        self.ref = key_id

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        _api(account_id, region_name).create_usage_plan_key(
            p["UsagePlanId"], {"keyId": p["KeyId"], "keyType": p["KeyType"]}
        )
        return cls(p["UsagePlanId"], p["KeyId"])

    def delete(self, account_id: str, region_name: str) -> None:
        backend = _api(account_id, region_name)
        if self.plan_id in backend.usage_plan_keys:
            backend.delete_usage_plan_key(self.plan_id, self.ref)


class RequestValidator(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::ApiGateway::RequestValidator"
    NAME_PROPERTY = "Name"
    ATTRIBUTES = {"RequestValidatorId": "ref"}

    def __init__(self, api_id: str, validator_id: str):
        self.api_id = api_id
        self.ref = validator_id

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        validator = _api(account_id, region_name).create_request_validator(
            restapi_id=p["RestApiId"],
            name=p.get("Name", resource_name),
            body=as_bool(p.get("ValidateRequestBody", False)),
            params=as_bool(p.get("ValidateRequestParameters", False)),
        )
        return cls(p["RestApiId"], validator.id)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = _api(account_id, region_name)
        if self.api_id in backend.apis:
            backend.delete_request_validator(self.api_id, self.ref)


class ApiModel(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::ApiGateway::Model"
    NAME_PROPERTY = "Name"
    ATTRIBUTES: dict[str, str] = {}

    def __init__(self, api_id: str, name: str):
        self.api_id = api_id
        self.ref = name

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        schema = p.get("Schema")
        name = p.get("Name", resource_name.replace("-", ""))
        _api(account_id, region_name).create_model(
            rest_api_id=p["RestApiId"],
            name=name,
            content_type=p.get("ContentType", "application/json"),
            description=p.get("Description", ""),
            schema=schema if isinstance(schema, str) or schema is None else json.dumps(schema),
        )
        return cls(p["RestApiId"], name)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = _api(account_id, region_name)
        if self.api_id in backend.apis:
            backend.delete_model(self.api_id, self.ref)


class ApiAccount(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::ApiGateway::Account"
    ATTRIBUTES = {"Id": "ref"}

    def __init__(self, ref: str):
        self.ref = ref

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        if p.get("CloudWatchRoleArn"):
            _api(account_id, region_name).update_account(
                [{"op": "replace", "path": "/cloudwatchRoleArn", "value": p["CloudWatchRoleArn"]}]
            )
        return cls(resource_name)

    def delete(self, account_id: str, region_name: str) -> None:
        # Account settings are regional singletons; AWS leaves them as they are.
        return None


# --------------------------------------------------------------------------- SNS / SQS / Logs / Secrets


class SnsSubscription(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::SNS::Subscription"
    ATTRIBUTES: dict[str, str] = {}

    def __init__(self, arn: str, region_name: str):
        self.ref = arn
        self.region_name = region_name

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        region = p.get("Region", region_name)
        backend = sns_backends[account_id][region]
        sub = backend.subscribe(p["TopicArn"], p["Endpoint"], p["Protocol"])
        for attr in ("RawMessageDelivery", "FilterPolicy", "FilterPolicyScope", "RedrivePolicy", "DeliveryPolicy"):
            if attr in p:
                value = p[attr]
                if isinstance(value, (dict, list)):
                    value = json.dumps(value)
                backend.set_subscription_attributes(sub.arn, attr, str(value).lower() if isinstance(value, bool) else value)
        return cls(sub.arn, region)

    def delete(self, account_id: str, region_name: str) -> None:
        sns_backends[account_id][self.region_name].unsubscribe(self.ref)


class SnsTopicPolicy(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::SNS::TopicPolicy"
    ATTRIBUTES = {"Id": "ref"}

    def __init__(self, ref: str, topics: list[str]):
        self.ref = ref
        self.topics = topics

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        backend = sns_backends[account_id][region_name]
        for arn in p["Topics"]:
            backend.set_topic_attribute(arn, "Policy", policy_text(p["PolicyDocument"]))
        return cls(resource_name, list(p["Topics"]))

    def delete(self, account_id: str, region_name: str) -> None:
        backend = sns_backends[account_id][region_name]
        for arn in self.topics:
            if arn in backend.topics:
                topic = backend.topics[arn]
                topic._policy_json = topic._create_default_topic_policy(
                    region_name, account_id, topic.name
                )


class SqsQueuePolicy(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::SQS::QueuePolicy"
    ATTRIBUTES = {"Id": "ref"}

    def __init__(self, ref: str, queues: list[str]):
        self.ref = ref
        self.queues = queues

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        backend = sqs_backends[account_id][region_name]
        names = [url.rstrip("/").split("/")[-1] for url in p["Queues"]]
        for name in names:
            backend.set_queue_attributes(name, {"Policy": policy_text(p["PolicyDocument"])})
        return cls(resource_name, names)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = sqs_backends[account_id][region_name]
        for name in self.queues:
            if name in backend.queues:
                backend.queues[name].policy = None


class LogStream(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::Logs::LogStream"
    NAME_PROPERTY = "LogStreamName"
    ATTRIBUTES: dict[str, str] = {}

    def __init__(self, group: str, name: str):
        self.group = group
        self.ref = name

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        name = p.get("LogStreamName", resource_name)
        logs_backends[account_id][region_name].create_log_stream(p["LogGroupName"], name)
        return cls(p["LogGroupName"], name)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = logs_backends[account_id][region_name]
        if self.group in backend.groups:
            backend.delete_log_stream(self.group, self.ref)


def _generate_secret(spec: dict[str, Any]) -> str:
    length = as_int(spec.get("PasswordLength", 32))
    alphabet = string.ascii_letters + string.digits
    if not as_bool(spec.get("ExcludePunctuation", False)):
        alphabet += "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    excluded = spec.get("ExcludeCharacters", "")
    alphabet = "".join(c for c in alphabet if c not in excluded)
    if as_bool(spec.get("IncludeSpace", False)):
        alphabet += " "
    value = "".join(secrets.choice(alphabet) for _ in range(length))
    template = spec.get("SecretStringTemplate")
    if template:
        doc = json.loads(template)
        doc[spec["GenerateStringKey"]] = value
        return json.dumps(doc)
    return value


class Secret(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::SecretsManager::Secret"
    NAME_PROPERTY = "Name"
    ATTRIBUTES = {"Id": "ref"}

    def __init__(self, arn: str):
        self.ref = arn

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        p = cloudformation_json["Properties"]
        value = p.get("SecretString")
        if value is None and p.get("GenerateSecretString") is not None:
            value = _generate_secret(p["GenerateSecretString"])
        backend = secretsmanager_backends[account_id][region_name]
        result = backend.create_secret(
            name=p.get("Name", resource_name),
            secret_string=value,
            secret_binary=None,
            description=p.get("Description"),
            tags=tag_list(p.get("Tags")),
            kms_key_id=p.get("KmsKeyId"),
            client_request_token=None,
            replica_regions=[],
            force_overwrite=False,
        )
        return cls(json.loads(result)["ARN"])

    def delete(self, account_id: str, region_name: str) -> None:
        secretsmanager_backends[account_id][region_name].delete_secret(
            self.ref, recovery_window_in_days=None, force_delete_without_recovery=True
        )


# Patches to moto's own models and the strictness switch.
import streamkit_cbor  # noqa: E402,F401
import streamkit_patches  # noqa: E402,F401
import streamkit_strict  # noqa: E402,F401
