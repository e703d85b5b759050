"""CloudWatch metric math: the expressions GetMetricData and alarms evaluate.

Supported: numbers, query ids, `+ - * / ^`, parentheses, array literals
`[a, b]`, and the functions ABS, AVG, CEIL, FILL, FLOOR, MAX, METRICS, MIN,
SUM. Semantics as CloudWatch documents them: arithmetic between two time
series pairs the datapoints with the same timestamp (a timestamp missing in
either is missing in the result); a result that is not a finite number (e.g.
a division by zero) is dropped; MAX/MIN/SUM/AVG of an array of series is a
series (per timestamp, over the series that have a value there), of one
series a scalar; METRICS("s") is the array of the metric queries whose id
contains "s". Anything else is a ValidationError naming the expression.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Union

Series = dict  # timestamp (int epoch seconds) -> float
Value = Union[float, "Labeled", list]

TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)|([A-Za-z_][A-Za-z0-9_]*)|(\"[^\"]*\"|'[^']*')|(.))")


class MathError(ValueError):
    """An expression CloudWatch would reject (unknown id or function, bad syntax)."""


@dataclass
class Labeled:
    label: str
    points: Series


def tokenize(text: str) -> list[tuple[str, str]]:
    out = []
    for number, name, string, other in TOKEN.findall(text):
        if number:
            out.append(("num", number))
        elif name:
            out.append(("id", name))
        elif string:
            out.append(("str", string[1:-1]))
        elif other.strip():
            out.append(("op", other))
    return out


class Evaluator:
    """Evaluates expressions over named series. `lookup(id)` returns a
    `Labeled` series (a metric query or another expression's result);
    `metric_ids` are the ids METRICS() ranges over; `grid` the period start
    times of the request (for FILL and scalar results)."""

    def __init__(self, lookup: Callable[[str], Value], metric_ids: list[str], grid: list[int]):
        self.lookup = lookup
        self.metric_ids = metric_ids
        self.grid = grid

    def evaluate(self, text: str) -> Value:
        self.tokens = tokenize(text)
        self.pos = 0
        self.text = text
        value = self._expr()
        if self.pos != len(self.tokens):
            raise MathError(f"Syntax error in expression '{text}' at '{self.tokens[self.pos][1]}'")
        return value

    # ------------------------------------------------------------ parser
    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self, value: str) -> bool:
        tok = self._peek()
        if tok and tok[0] == "op" and tok[1] == value:
            self.pos += 1
            return True
        return False

    def _expect(self, value: str) -> None:
        if not self._take(value):
            raise MathError(f"Syntax error in expression '{self.text}': expected '{value}'")

    def _expr(self) -> Value:
        value = self._term()
        while True:
            if self._take("+"):
                value = binary(value, self._term(), lambda a, b: a + b)
            elif self._take("-"):
                value = binary(value, self._term(), lambda a, b: a - b)
            else:
                return value

    def _term(self) -> Value:
        value = self._power()
        while True:
            if self._take("*"):
                value = binary(value, self._power(), lambda a, b: a * b)
            elif self._take("/"):
                value = binary(value, self._power(), lambda a, b: a / b)
            else:
                return value

    def _power(self) -> Value:
        base = self._unary()
        if self._take("^"):
            return binary(base, self._power(), lambda a, b: a**b)
        return base

    def _unary(self) -> Value:
        if self._take("-"):
            return binary(0.0, self._unary(), lambda a, b: a - b)
        return self._primary()

    def _primary(self) -> Value:
        tok = self._peek()
        if tok is None:
            raise MathError(f"Syntax error in expression '{self.text}': unexpected end")
        kind, text = tok
        self.pos += 1
        if kind == "num":
            return float(text)
        if kind == "str":
            return text  # type: ignore[return-value]  (only as a function argument)
        if kind == "op" and text == "(":
            value = self._expr()
            self._expect(")")
            return value
        if kind == "op" and text == "[":
            items = self._args("]")
            return [s for item in items for s in (item if isinstance(item, list) else [item])]
        if kind == "id":
            if self._take("("):
                return self._call(text.upper(), self._args(")"))
            return self.lookup(text)
        raise MathError(f"Syntax error in expression '{self.text}' at '{text}'")

    def _args(self, close: str) -> list[Any]:
        items: list[Any] = []
        if self._take(close):
            return items
        while True:
            items.append(self._expr())
            if self._take(close):
                return items
            self._expect(",")

    # ------------------------------------------------------------ functions
    def _call(self, name: str, args: list[Any]) -> Value:
        if name == "METRICS":
            needle = args[0] if args else ""
            return [self.lookup(i) for i in self.metric_ids if needle in i]  # type: ignore[misc]
        if name in ("MAX", "MIN", "SUM", "AVG"):
            fold: Callable[[list[float]], float] = {
                "MAX": max, "MIN": min, "SUM": sum, "AVG": lambda v: sum(v) / len(v)
            }[name]
            arg = args[0] if len(args) == 1 else args
            if isinstance(arg, list):
                return across(arg, fold, name)
            if isinstance(arg, Labeled):
                return fold(list(arg.points.values())) if arg.points else math.nan
            return float(arg)
        if name in ("ABS", "CEIL", "FLOOR"):
            fn = {"ABS": abs, "CEIL": math.ceil, "FLOOR": math.floor}[name]
            return binary(args[0], 0.0, lambda a, _b: float(fn(a)))
        if name == "FILL":
            return self._fill(args)
        raise MathError(f"Unsupported function {name} in expression '{self.text}'")

    def _fill(self, args: list[Any]) -> Value:
        if len(args) != 2:
            raise MathError(f"FILL takes two arguments in expression '{self.text}'")
        target, filler = args

        def fill_one(s: Labeled) -> Labeled:
            points = dict(s.points)
            for t in self.grid:
                if t not in points:
                    if isinstance(filler, Labeled):
                        if t in filler.points:
                            points[t] = filler.points[t]
                    else:
                        points[t] = float(filler)
            return Labeled(s.label, dict(sorted(points.items())))

        if isinstance(target, list):
            return [fill_one(s) for s in target]
        return fill_one(target)


def binary(a: Value, b: Value, op: Callable[[float, float], float]) -> Value:
    if isinstance(a, list):
        return [binary(x, b, op) for x in a]
    if isinstance(b, list):
        return [binary(a, y, op) for y in b]
    if isinstance(a, Labeled) and isinstance(b, Labeled):
        points = {t: apply(op, v, b.points[t]) for t, v in a.points.items() if t in b.points}
        return Labeled(a.label, finite(points))
    if isinstance(a, Labeled):
        return Labeled(a.label, finite({t: apply(op, v, float(b)) for t, v in a.points.items()}))  # type: ignore[arg-type]
    if isinstance(b, Labeled):
        return Labeled(b.label, finite({t: apply(op, float(a), v) for t, v in b.points.items()}))
    return apply(op, float(a), float(b))


def across(items: list[Any], fold: Callable[[list[float]], float], name: str) -> Labeled:
    series = [s for s in items if isinstance(s, Labeled)]
    scalars = [float(s) for s in items if not isinstance(s, Labeled)]
    times = sorted({t for s in series for t in s.points})
    points = {}
    for t in times:
        values = [s.points[t] for s in series if t in s.points] + scalars
        points[t] = fold(values)
    return Labeled(name, finite(points))


def apply(op: Callable[[float, float], float], a: float, b: float) -> float:
    try:
        return op(a, b)
    except (ZeroDivisionError, OverflowError, ValueError):
        return math.nan


def finite(points: Series) -> Series:
    return {t: v for t, v in points.items() if isinstance(v, float) and math.isfinite(v) or isinstance(v, int)}
