"""API Gateway throttling: token buckets (rate = tokens per second, burst =
bucket size) for a stage's method settings (`{resource}/{METHOD}` or `*/*`)
and for a usage plan per API key (the plan's throttle, or the per-method one
of its API stage), plus usage-plan quotas (requests per DAY, WEEK or MONTH).
A request over a limit gets 429 (`Too Many Requests` / `Limit Exceeded`)."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import Any

_lock = threading.Lock()
_buckets: dict[tuple, "Bucket"] = {}
_quotas: dict[tuple, list] = {}


class Bucket:
    def __init__(self, rate: float, burst: float):
        self.rate, self.burst = rate, burst
        self.tokens = burst
        self.at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def allow(key: tuple, rate: Any, burst: Any) -> bool:
    """Takes a token from the bucket `key` (created or resized to rate/burst)."""
    if rate is None and burst is None:
        return True
    rate = float(rate if rate is not None else 10_000)
    burst = float(burst if burst is not None else 5_000)
    with _lock:
        bucket = _buckets.get(key)
        if bucket is None or (bucket.rate, bucket.burst) != (rate, burst):
            bucket = _buckets[key] = Bucket(rate, burst)
        return bucket.take()


def stage_limits(stage: Any, resource_path: str, method: str) -> tuple[Any, Any, str]:
    """(rate, burst, settings key) of the method settings that apply."""
    settings = getattr(stage, "method_settings", {}) or {}
    key = f"{resource_path.lstrip('/').replace('/', '~1')}/{method}"
    for candidate in (key, "*/*"):
        s = settings.get(candidate)
        if s and ("throttlingRateLimit" in s or "throttlingBurstLimit" in s):
            return s.get("throttlingRateLimit"), s.get("throttlingBurstLimit"), candidate
    return None, None, "*/*"


def plan_limits(plan: Any, api_id: str, stage: str, resource_path: str, method: str) -> tuple[Any, Any]:
    for api_stage in plan.api_stages or []:
        if api_stage.get("apiId") == api_id and api_stage.get("stage") == stage:
            per_method = (api_stage.get("throttle") or {}).get(f"{resource_path}/{method}")
            if per_method:
                return per_method.get("rateLimit"), per_method.get("burstLimit")
    throttle = plan.throttle or {}
    return throttle.get("rateLimit"), throttle.get("burstLimit")


def within_quota(plan: Any, key_id: str, now: datetime | None = None) -> bool:
    """Counts the request against the plan's quota for this key."""
    quota = plan.quota or {}
    limit = quota.get("limit")
    if not limit:
        return True
    now = now or datetime.now(timezone.utc)
    period = str(quota.get("period", "DAY")).upper()
    window = {
        "DAY": now.strftime("%Y-%m-%d"),
        "WEEK": now.strftime("%G-W%V"),
        "MONTH": now.strftime("%Y-%m"),
    }.get(period, now.strftime("%Y-%m-%d"))
    with _lock:
        entry = _quotas.setdefault((plan.id, key_id), [window, 0])
        if entry[0] != window:
            entry[0], entry[1] = window, 0
        if entry[1] >= int(limit):
            return False
        entry[1] += 1
        return True
