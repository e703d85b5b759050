"""CloudWatch Logs: `AWS::Logs::LogStream`."""
from __future__ import annotations

from moto.core.common_models import CloudFormationModel
from moto.logs.models import logs_backends

from streamkit_emulator.core.common import MODULE, StreamkitModel

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


def install() -> None:
    """The models above register themselves with moto when this module is imported."""
