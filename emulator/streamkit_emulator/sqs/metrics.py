"""AWS/SQS metrics (dimension QueueName), as SQS publishes them.

Per call: NumberOfMessagesSent and SentMessageSize (every SendMessage, batch
entry, SNS delivery and event-source-mapping failure record), NumberOfMessagesReceived
or NumberOfEmptyReceives (ReceiveMessage), NumberOfMessagesDeleted.
Sampled once a minute (at the minute) for every queue that exists:
ApproximateNumberOfMessagesVisible, ApproximateNumberOfMessagesNotVisible,
ApproximateNumberOfMessagesDelayed, ApproximateAgeOfOldestMessage (seconds).
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import Any

from moto.sqs.models import SQSBackend, sqs_backends

from streamkit_emulator.cloudwatch import metrics

_thread: threading.Thread | None = None


def _put(backend: SQSBackend, queue: str, name: str, value: float, unit: str = "Count",
         at: datetime | None = None) -> None:
    metrics.put(backend.account_id, backend.region_name, "AWS/SQS", name, {"QueueName": queue}, value, unit, at)


_send = SQSBackend.send_message
_receive = SQSBackend.receive_message
_delete = SQSBackend.delete_message


def send_message(self: SQSBackend, queue_name: str, message_body: str, *args: Any, **kwargs: Any) -> Any:
    message = _send(self, queue_name, message_body, *args, **kwargs)
    _put(self, queue_name, "NumberOfMessagesSent", 1)
    _put(self, queue_name, "SentMessageSize", len(message_body.encode("utf-8")), "Bytes")
    return message


def receive_message(self: SQSBackend, queue_name: str, *args: Any, **kwargs: Any) -> Any:
    got = _receive(self, queue_name, *args, **kwargs)
    if got:
        _put(self, queue_name, "NumberOfMessagesReceived", len(got))
    else:
        _put(self, queue_name, "NumberOfEmptyReceives", 1)
    return got


def delete_message(self: SQSBackend, queue_name: str, receipt_handle: str) -> None:
    _delete(self, queue_name, receipt_handle)
    _put(self, queue_name, "NumberOfMessagesDeleted", 1)


def sample(at: datetime) -> None:
    """One sample of every queue's depth and oldest message age."""
    for _, _, backend in list(sqs_backends.iter_backends()):
        for queue in list(backend.queues.values()):
            messages = list(queue._messages)
            visible = [m for m in messages if m.visible and not m.delayed]
            oldest = min((m.sent_timestamp for m in messages if m.sent_timestamp), default=None)
            age = max(0.0, at.timestamp() - oldest / 1000) if oldest else 0.0
            for name, value, unit in (
                ("ApproximateNumberOfMessagesVisible", len(visible), "Count"),
                ("ApproximateNumberOfMessagesNotVisible", sum(1 for m in messages if not m.visible), "Count"),
                ("ApproximateNumberOfMessagesDelayed", sum(1 for m in messages if m.delayed), "Count"),
                ("ApproximateAgeOfOldestMessage", age, "Seconds"),
            ):
                _put(backend, queue.name, name, value, unit, at)


def _loop() -> None:
    while True:
        next_minute = (time.time() // 60 + 1) * 60
        time.sleep(max(0.0, next_minute - time.time()))
        sample(datetime.fromtimestamp(next_minute, timezone.utc))


def install() -> None:
    global _thread
    SQSBackend.send_message = send_message  # type: ignore[method-assign]
    SQSBackend.receive_message = receive_message  # type: ignore[method-assign]
    SQSBackend.delete_message = delete_message  # type: ignore[method-assign]
    if _thread is None:
        _thread = threading.Thread(target=_loop, name="streamkit-sqs-metrics", daemon=True)
        _thread.start()
