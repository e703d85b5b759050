"""Writes log events into moto's CloudWatch Logs backend from the emulator's
live parts (API Gateway access logs, Firehose delivery errors, the producer's
output), so `aws logs tail` / FilterLogEvents show them as on AWS."""
from __future__ import annotations

import threading
import time

from moto.logs.models import logs_backends

_lock = threading.Lock()


def group_from_arn(arn: str) -> str:
    """`arn:aws:logs:r:a:log-group:NAME[:*]` -> NAME."""
    name = arn.split(":log-group:", 1)[-1]
    return name[:-2] if name.endswith(":*") else name


def write(
    account_id: str,
    region: str,
    group: str,
    stream: str,
    messages: list[str],
    create_group: bool = False,
    timestamp_ms: int | None = None,
) -> bool:
    """Appends `messages` (one event each) to group/stream, creating the stream
    (and with `create_group` the group). False when the group does not exist."""
    if not messages:
        return True
    backend = logs_backends[account_id][region]
    now = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    with _lock:
        if group not in backend.groups:
            if not create_group:
                return False
            backend.create_log_group(group, {})
        backend.ensure_log_stream(group, stream)
        backend.put_log_events(group, stream, [{"timestamp": now, "message": m} for m in messages])
    return True
