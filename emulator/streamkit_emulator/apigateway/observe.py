"""What a served API request leaves behind: one access log line in the
stage's AccessLogSetting format (every `$context.x.y` replaced, `-` where the
value is absent, as API Gateway writes it) in its log group, log stream
`{api_id}_{stage}`; execution log lines when the stage's method settings set
LoggingLevel (INFO: the request's outcome; ERROR: failures only) in
`API-Gateway-Execution-Logs_{api_id}/{stage}`, when that group exists (the
stacks create it), log stream = the request id; and the AWS/ApiGateway
metrics Count, 4XXError, 5XXError, Latency and IntegrationLatency with
dimensions ApiName and Stage."""
from __future__ import annotations

import re
import sys
from typing import Any

from moto.core.utils import utcnow

from streamkit_emulator.logs import cwlogs
from streamkit_emulator.cloudwatch import metrics

VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)")


def access_line(fmt: str, context: dict[str, Any]) -> str:
    def value(m: "re.Match[str]") -> str:
        current: Any = context
        for part in m.group(1).split("."):
            current = current.get(part) if isinstance(current, dict) else None
        if current is None or current == "":
            return "-"
        return str(current).lower() if isinstance(current, bool) else str(current)

    return VARIABLE.sub(value, fmt)


def access_log(account_id: str, region: str, api_id: str, stage: Any, context: dict[str, Any]) -> None:
    settings = getattr(stage, "access_log_settings", None) or {}
    arn, fmt = settings.get("destinationArn"), settings.get("format")
    if not (arn and fmt):
        return
    group = cwlogs.group_from_arn(arn)
    if not cwlogs.write(account_id, region, group, f"{api_id}_{stage.name}", [access_line(fmt, context)]):
        print(f"streamkit emulator: access log group {group} of {api_id}/{stage.name} does not exist", file=sys.stderr)


def execution_log(account_id: str, region: str, api_id: str, stage: Any, context: dict[str, Any]) -> None:
    settings = (getattr(stage, "method_settings", {}) or {}).get("*/*") or {}
    level = str(settings.get("loggingLevel") or "OFF").upper()
    status = int(context.get("status") or 0)
    if level not in ("INFO", "ERROR") or (level == "ERROR" and status < 400):
        return
    rid = context["requestId"]
    lines = [f"({rid}) Extended Request Id: {context['extendedRequestId']}",
             f"({rid}) Starting execution for request: {rid}",
             f"({rid}) HTTP Method: {context['httpMethod']}, Resource Path: {context['resourcePath']}"]
    error = (context.get("error") or {}).get("message")
    if error or status >= 400:
        lines.append(f"({rid}) Execution failed: {error or 'status ' + str(status)}")
    lines.append(f"({rid}) Method completed with status: {status}")
    if level == "ERROR":
        lines = [line for line in lines if "failed" in line or "completed" in line]
    cwlogs.write(account_id, region, f"API-Gateway-Execution-Logs_{api_id}/{stage.name}", rid, lines)


def publish(account_id: str, region: str, api_name: str, stage: str, status: int,
            latency_ms: float, integration_ms: float | None) -> None:
    dims = {"ApiName": api_name, "Stage": stage}
    now = utcnow()  # naive UTC, as moto stores API-put datapoints
    for name, value, unit in (
        ("Count", 1, "Count"),
        ("4XXError", 1 if 400 <= status < 500 else 0, "Count"),
        ("5XXError", 1 if status >= 500 else 0, "Count"),
        ("Latency", latency_ms, "Milliseconds"),
    ):
        metrics.put(account_id, region, "AWS/ApiGateway", name, dims, value, unit, timestamp=now)
    if integration_ms is not None:
        metrics.put(account_id, region, "AWS/ApiGateway", "IntegrationLatency", dims, integration_ms,
                    "Milliseconds", timestamp=now)
