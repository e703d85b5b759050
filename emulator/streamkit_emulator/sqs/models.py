"""SQS: queue policies, (`sqs_limits`) message sizes, and (`sqs_metrics`) the AWS/SQS metrics."""
from __future__ import annotations

from moto.core.common_models import CloudFormationModel
from moto.sqs.models import sqs_backends

from streamkit_emulator.sqs import metrics as sqs_metrics
from streamkit_emulator.core.common import MODULE, StreamkitModel, policy_text


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


def install() -> None:
    """The models above register themselves with moto when this module is imported."""
    from streamkit_emulator.sqs import limits as sqs_limits

    sqs_limits.install()
    sqs_metrics.install()  # wraps the size check
