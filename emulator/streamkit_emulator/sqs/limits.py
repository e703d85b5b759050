"""SQS message size as the queue's MaximumMessageSize allows it.

"CreateQueue" / "SetQueueAttributes" (SQS API Reference): MaximumMessageSize
is "the limit of how many bytes a message can contain before Amazon SQS
rejects it", from 1,024 bytes to 1,048,576 (1 MiB), default 262,144 (256
KiB) (moto 5.2.1 defaulted to 1 MiB). "Amazon SQS message quotas": the size
counts the body and the message attributes (name, type and value of each).
SendMessage over it (and SendMessageBatch, whose entries moto sends one by
one): `InvalidParameterValue`, "One or more parameters are invalid. Reason:
Message must be shorter than N bytes."
"""
from __future__ import annotations

from typing import Any

from moto.sqs.exceptions import InvalidParameterValue
from moto.sqs.models import Queue, SQSBackend

DEFAULT_MAXIMUM = 262_144

_init = Queue.__init__
_send = SQSBackend.send_message


def _queue_init(self: Queue, name: str, region: str, account_id: str, **kwargs: Any) -> None:
    kwargs.setdefault("MaximumMessageSize", DEFAULT_MAXIMUM)
    _init(self, name, region, account_id, **kwargs)


def message_size(body: str, attributes: dict[str, Any] | None) -> int:
    size = len((body or "").encode("utf-8"))
    for name, value in (attributes or {}).items():
        size += len(name.encode("utf-8")) + len(str(value.get("data_type") or value.get("DataType") or ""))
        for key in ("string_value", "StringValue", "binary_value", "BinaryValue"):
            if value.get(key) is not None:
                item = value[key]
                size += len(item.encode("utf-8") if isinstance(item, str) else item)
    return size


def send_message(self: SQSBackend, queue_name: str, message_body: str,
                 message_attributes: dict[str, Any] | None = None, *args: Any, **kwargs: Any) -> Any:
    queue = self.get_queue(queue_name)
    limit = int(queue.maximum_message_size)  # type: ignore[arg-type]
    if message_size(message_body, message_attributes) > limit:
        raise InvalidParameterValue(
            f"One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes.")
    return _send(self, queue_name, message_body, message_attributes, *args, **kwargs)


def install() -> None:
    Queue.__init__ = _queue_init  # type: ignore[method-assign]
    SQSBackend.send_message = send_message  # type: ignore[method-assign]
