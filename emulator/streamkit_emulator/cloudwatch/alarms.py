"""Alarm evaluation: every metric alarm of every account and region, as
CloudWatch evaluates it.

One daemon thread evaluates all alarms once a minute (2 s past the minute,
when the previous period is complete) and, within a second, the alarms whose
metrics just received data (PutMetricData, `metrics.put`), that were just
created or updated, or whose state was set with SetAlarmState (which, as on
AWS, the next evaluation may flip back). Idle, it wakes once a minute.

An evaluation takes the alarm's statistic (Statistic or ExtendedStatistic
such as p99) or metric math over the last EvaluationPeriods periods of Period
seconds (aligned to the epoch; the current, incomplete period counts once it
has data, else the window ends with the previous period), compares each
datapoint with ComparisonOperator and Threshold, and goes to ALARM when at
least DatapointsToAlarm (default: EvaluationPeriods) of them breach.
TreatMissingData: `breaching`/`notBreaching` count a missing period as
breaching/not; `missing` and `ignore` evaluate the most recent real
datapoints within the evaluation range (EvaluationPeriods + 5 periods back),
and when there are none, `missing` goes to INSUFFICIENT_DATA and `ignore`
keeps the state. Alarms on AWS/DynamoDB metrics always ignore missing data
(as AWS documents). State changes go through `alarm_actions.change_state`.
Not emulated: EvaluateLowSampleCountPercentile=ignore, anomaly-detection
operators, composite alarms.
"""
from __future__ import annotations

import logging
import operator
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable

from moto.cloudwatch.models import cloudwatch_backends

from streamkit_emulator.cloudwatch import alarm_actions
from streamkit_emulator.cloudwatch.queries import get_metric_data
from streamkit_emulator.cloudwatch.store import Key, key_of

LOOKBACK = 5
log = logging.getLogger(__name__)
OPERATORS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanOrEqualToThreshold": (operator.ge, "greater than or equal to"),
    "GreaterThanThreshold": (operator.gt, "greater than"),
    "LessThanThreshold": (operator.lt, "less than"),
    "LessThanOrEqualToThreshold": (operator.le, "less than or equal to"),
}

_lock = threading.Lock()
_wake = threading.Event()
_touched: dict[tuple[str, str], set[Key]] = {}
_due: dict[tuple[str, str, str], float] = {}
_thread: threading.Thread | None = None


def touched(account: str, region: str, keys: set[Key]) -> None:
    """Metrics that just received data: their alarms are evaluated within a second."""
    with _lock:
        _touched.setdefault((account, region), set()).update(keys)
    _wake.set()


def soon(account: str, region: str, name: str, delay: float = 1.0) -> None:
    """Evaluates one alarm `delay` seconds from now."""
    with _lock:
        _due[(account, region, name)] = time.time() + delay
    _wake.set()


def queries(alarm: Any) -> tuple[list[dict[str, Any]], str, int]:
    """The alarm as GetMetricData queries, the id of the evaluated one, and its period."""
    if not alarm.metric_data_queries:
        stat = {
            "Metric": {
                "Namespace": alarm.namespace,
                "MetricName": alarm.metric_name,
                "Dimensions": [{"Name": d.name, "Value": d.value} for d in alarm.dimensions],
            },
            "Period": int(alarm.period),
            "Stat": alarm.extended_statistic or alarm.statistic,
        }
        if alarm.unit:
            stat["Unit"] = alarm.unit
        return [{"Id": "m", "MetricStat": stat}], "m", int(alarm.period)
    out, target, periods = [], "", []
    for q in alarm.metric_data_queries:
        returns = str(q.return_data).lower() != "false"
        item: dict[str, Any] = {"Id": q.id, "ReturnData": returns}
        if q.expression:
            item["Expression"] = q.expression
        if q.metric_stat:
            m = q.metric_stat.metric
            periods.append(int(q.metric_stat.period))
            item["MetricStat"] = {
                "Metric": {
                    "Namespace": m.namespace,
                    "MetricName": m.metric_name,
                    "Dimensions": [{"Name": d.name, "Value": d.value} for d in m.dimensions],
                },
                "Period": int(q.metric_stat.period),
                "Stat": q.metric_stat.stat,
            }
        if q.period:
            periods.append(int(q.period))
        if returns:
            target = q.id
        out.append(item)
    return out, target, min(periods) if periods else int(alarm.period or 60)


def watched(alarm: Any) -> set[Key]:
    found, _, _ = queries(alarm)
    return {
        key_of(m["Metric"]["Namespace"], m["Metric"]["MetricName"], m["Metric"]["Dimensions"])
        for m in (q.get("MetricStat") for q in found)
        if m
    }


def evaluate(backend: Any, alarm: Any, now: float) -> None:
    """Evaluates one alarm and changes its state if the result differs."""
    if alarm.rule is not None or alarm.comparison_operator not in OPERATORS:
        return
    found, target, period = queries(alarm)
    n = int(alarm.evaluation_periods or 1)
    m = int(alarm.datapoints_to_alarm or n)
    current = int(now // period * period)
    start = current - (n + LOOKBACK) * period
    results = get_metric_data(backend, found, start, current + period, "TimestampAscending")
    points: dict[int, float] = {}
    for r in results:
        if r["Id"] == target:
            points.update({int(t.timestamp()): v for t, v in zip(r["Timestamps"], r["Values"])})
    last = current if current in points else current - period
    window = [last - i * period for i in range(n)]  # newest first
    compare, words = OPERATORS[alarm.comparison_operator]
    threshold = float(alarm.threshold)
    treat = alarm.treat_missing_data or "missing"
    if (alarm.namespace or "").startswith("AWS/DynamoDB"):
        treat = "ignore"
    real = [(t, points[t]) for t in window if t in points]
    if treat in ("breaching", "notBreaching"):
        missing = n - len(real)
        breaches = sum(1 for _, v in real if compare(v, threshold)) + (missing if treat == "breaching" else 0)
        used = real
    else:
        used = [(t, v) for t, v in sorted(points.items(), reverse=True) if t <= last][:n]
        if not used:
            if treat == "missing" and alarm.state_value != "INSUFFICIENT_DATA":
                plural = "datapoint was" if n == 1 else "datapoints were"
                alarm_actions.change_state(
                    backend, alarm, "INSUFFICIENT_DATA", f"Insufficient Data: {n} {plural} unknown.",
                    _reason_data(alarm, now, window, [], threshold),
                )
            return
        missing = 0
        breaches = sum(1 for _, v in used if compare(v, threshold))
    state = "ALARM" if breaches >= m else "OK"
    if state == alarm.state_value:
        return
    reason = _reason(state, used, n, m, missing, treat, words, threshold)
    alarm_actions.change_state(backend, alarm, state, reason, _reason_data(alarm, now, window, used, threshold))


def _stamp(t: int) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%d/%m/%y %H:%M:%S")


def _reason(state: str, used: list[tuple[int, float]], n: int, m: int, missing: int,
            treat: str, words: str, threshold: float) -> str:
    shown = ", ".join(f"{v!r} ({_stamp(t)})" for t, v in used)
    negation = "" if state == "ALARM" else "not "
    if not used:
        plural = "period" if missing == 1 else "periods"
        treated = "Breaching" if treat == "breaching" else "NonBreaching"
        dp = "datapoint was" if missing == 1 else "datapoints were"
        return f"Threshold Crossed: no datapoints were received for {missing} {plural} and {missing} missing {dp} treated as [{treated}]."
    if n == 1 and len(used) == 1:
        return f"Threshold Crossed: 1 datapoint [{shown}] was {negation}{words} the threshold ({threshold!r})."
    verb = "was" if len(used) == 1 else "were"
    transition = "OK -> ALARM" if state == "ALARM" else "ALARM -> OK"
    minimum = m if state == "ALARM" else n - m + 1
    text = (
        f"Threshold Crossed: {len(used)} out of the last {n} datapoints [{shown}] {verb} {negation}{words} "
        f"the threshold ({threshold!r}) (minimum {minimum} datapoint{'s' if minimum != 1 else ''} for {transition} transition)."
    )
    if missing:
        treated = "Breaching" if treat == "breaching" else "NonBreaching"
        text += f" {missing} missing datapoint{'s were' if missing != 1 else ' was'} treated as [{treated}]."
    return text


def _reason_data(alarm: Any, now: float, window: list[int], used: list[tuple[int, float]], threshold: float) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": "1.0",
        "queryDate": alarm_actions.aws_time(datetime.fromtimestamp(now, timezone.utc)),
        "startDate": alarm_actions.aws_time(datetime.fromtimestamp(min(window), timezone.utc)),
    }
    if not alarm.metric_data_queries:
        data["statistic" if alarm.statistic else "extendedStatistic"] = alarm.statistic or alarm.extended_statistic
        data["period"] = int(alarm.period)
    data["recentDatapoints"] = [v for _, v in reversed(used)]
    data["threshold"] = threshold
    data["evaluatedDatapoints"] = [
        {"timestamp": alarm_actions.aws_time(datetime.fromtimestamp(t, timezone.utc)), "value": v} for t, v in used
    ]
    return data


def run_once(full: bool) -> None:
    """One pass: every alarm when `full`, else those with fresh data or due."""
    now = time.time()
    with _lock:
        touched_now = dict(_touched)
        _touched.clear()
        due = {k for k, at in _due.items() if at <= now}
        for k in due:
            _due.pop(k, None)
    for account, region, backend in list(cloudwatch_backends.iter_backends()):
        keys = touched_now.get((account, region), set())
        for alarm in list(backend.alarms.values()):
            if full or (account, region, alarm.name) in due or (keys and watched(alarm) & keys):
                try:
                    evaluate(backend, alarm, now)
                except Exception as err:  # one broken alarm must not stop the others
                    log.warning("alarm %s (%s): evaluation failed: %s", alarm.name, region, err)


def _loop() -> None:
    next_full = (time.time() // 60 + 1) * 60 + 2
    while True:
        with _lock:
            next_due = min(_due.values(), default=next_full)
        _wake.wait(max(0.0, min(next_full, next_due) - time.time()))
        _wake.clear()
        time.sleep(0.2)  # collect a burst of puts into one pass
        full = time.time() >= next_full
        if full:
            next_full = (time.time() // 60 + 1) * 60 + 2
        run_once(full)


def install() -> None:
    """Starts the evaluation thread (once)."""
    global _thread
    if _thread is None:
        _thread = threading.Thread(target=_loop, name="streamkit-alarms", daemon=True)
        _thread.start()
