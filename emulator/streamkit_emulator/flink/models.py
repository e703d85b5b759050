"""Managed Service for Apache Flink: applications, their logging options, and
epoch timestamps in DescribeApplication."""
from __future__ import annotations

from typing import Any

from moto.core.common_models import CloudFormationModel
from moto.kinesisanalyticsv2.models import kinesisanalyticsv2_backends

from streamkit_emulator.core.common import MODULE, StreamkitModel, as_bool, as_int, cfn_string, tag_list


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


def install() -> None:
    """Applies this module's patches to moto (once, from `streamkit_emulator.install`)."""
    _flink_timestamps()
