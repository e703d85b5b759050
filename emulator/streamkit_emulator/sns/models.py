"""SNS: subscriptions and topic policies, and email delivery: moto delivers
to SQS (and Lambda, HTTP) subscriptions itself; a message to an `email` or
`email-json` subscription is written as one line to the emulator's stderr
(logger `streamkit_emulator.sns.models`: `email to ADDRESS: SUBJECT: MESSAGE`)."""
from __future__ import annotations

import json
import logging
import sys
from typing import Any

from moto.core.common_models import CloudFormationModel
from moto.sns.models import Subscription, sns_backends

from streamkit_emulator.core.common import MODULE, StreamkitModel, policy_text


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


log = logging.getLogger("streamkit_emulator.sns.models")
_publish = Subscription.publish


def publish(self: Subscription, message: str, message_id: str, subject: str | None = None,
            *args: Any, **kwargs: Any) -> None:
    if self.protocol in ("email", "email-json"):
        log.info("email to %s: %s: %s", self.endpoint, subject or "(no subject)", message)
        return
    _publish(self, message, message_id, subject, *args, **kwargs)


def install() -> None:
    """The models above register themselves with moto when this module is imported."""
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    Subscription.publish = publish  # type: ignore[method-assign]
