"""EventBridge schedule expressions: `rate(N unit)` and
`cron(Minutes Hours Day-of-month Month Day-of-week Year)`, in UTC.

`next_fire(expression, after)` is the first time strictly after `after` the
expression fires (a rate fires every N units counted from the rule's creation,
the first time one period after it). Cron fields take `*`, `?`, numbers,
`a-b`, lists `a,b`, steps `*/n` `a/n` `a-b/n`, month names JAN-DEC and day
names SUN-SAT (1 = Sunday); day-of-month also `L`, `LW` and `nW`, day-of-week
also `nL` (last such weekday) and `n#k` (k-th such weekday). One of the two
day fields must be `?`, as in EventBridge.
"""
from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta, timezone

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
_DAYS = {d: i + 1 for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}


class ExpressionError(ValueError):
    pass


def rate_seconds(expression: str) -> int | None:
    match = _RATE.match(expression.strip())
    if not match:
        return None
    n, unit = int(match[1]), match[2].rstrip("s")
    if n < 1 or (n == 1) != (not match[2].endswith("s")):
        raise ExpressionError(f"ScheduleExpression {expression}: use `rate(1 {unit})` or `rate(N {unit}s)` with N > 1")
    return n * {"minute": 60, "hour": 3600, "day": 86400}[unit]


def _values(field: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    out: set[int] = set()
    for part in field.upper().split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part in ("*", "?"):
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = names.get(a) or int(a), names.get(b) or int(b)
        else:
            start = names.get(part) or int(part)
            end = high if step > 1 or "/" in field else start
        if not (low <= start <= high and low <= end <= high):
            raise ExpressionError(f"{field}: values must be within {low}-{high}")
        out.update(range(start, end + 1, step))
    return out


class Cron:
    def __init__(self, text: str):
        fields = text.split()
        if len(fields) != 6:
            raise ExpressionError(f"cron({text}): six fields are required (Minutes Hours Day-of-month Month Day-of-week Year)")
        minutes, hours, self.dom, months, self.dow, years = fields
        if (self.dom == "?") == (self.dow == "?"):
            raise ExpressionError(f"cron({text}): exactly one of Day-of-month and Day-of-week must be `?`")
        self.minutes = sorted(_values(minutes, 0, 59, {}))
        self.hours = sorted(_values(hours, 0, 23, {}))
        self.months = _values(months, 1, 12, _MONTHS)
        self.years = _values(years, 1970, 2199, {})

    def day_matches(self, day: datetime) -> bool:
        last = calendar.monthrange(day.year, day.month)[1]
        weekday = (day.weekday() + 1) % 7 + 1  # Sunday = 1
        if self.dom != "?":
            return self._dom(self.dom.upper(), day, last)
        spec = self.dow.upper()
        if "#" in spec:
            d, k = spec.split("#")
            return weekday == (_DAYS.get(d) or int(d)) and (day.day - 1) // 7 + 1 == int(k)
        if spec.endswith("L") and spec != "L":
            d = spec[:-1]
            return weekday == (_DAYS.get(d) or int(d)) and day.day + 7 > last
        return weekday in _values(spec, 1, 7, _DAYS)

    @staticmethod
    def _dom(spec: str, day: datetime, last: int) -> bool:
        if spec == "L":
            return day.day == last
        if spec.endswith("W"):
            target = last if spec == "LW" else min(int(spec[:-1]), last)
            nearest = day.replace(day=target)
            if nearest.weekday() == 5:  # Saturday: Friday, or Monday at the start of a month
                nearest += timedelta(days=-1 if target > 1 else 2)
            elif nearest.weekday() == 6:
                nearest += timedelta(days=1 if target < last else -2)
            return day.day == nearest.day
        return day.day in _values(spec, 1, 31, {})

    def next_after(self, after: datetime) -> datetime:
        day = after.replace(hour=0, minute=0, second=0, microsecond=0)
        for _ in range(366 * 5):
            if day.year in self.years and day.month in self.months and self.day_matches(day):
                for hour in self.hours:
                    for minute in self.minutes:
                        at = day.replace(hour=hour, minute=minute)
                        if at > after:
                            return at
            day += timedelta(days=1)
        raise ExpressionError("the cron expression never fires in the next five years")


def validate(expression: str) -> None:
    if rate_seconds(expression) is None:
        match = _CRON.match(expression.strip())
        if not match:
            raise ExpressionError(f"ScheduleExpression {expression}: expected rate(...) or cron(...)")
        Cron(match[1])


def next_fire(expression: str, after: datetime, created: datetime) -> datetime:
    """First time strictly after `after` (UTC) the expression fires."""
    period = rate_seconds(expression)
    if period is not None:
        elapsed = max(0.0, (after - created).total_seconds())
        return created + timedelta(seconds=(int(elapsed // period) + 1) * period)
    match = _CRON.match(expression.strip())
    if not match:
        raise ExpressionError(f"ScheduleExpression {expression}: expected rate(...) or cron(...)")
    return Cron(match[1]).next_after(after.astimezone(timezone.utc))
