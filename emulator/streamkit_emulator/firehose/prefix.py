"""Firehose S3 prefixes and object names, as the Firehose developer guide
("Custom prefixes for Amazon S3 objects", "Amazon S3 object name format")
describes them.

* `!{timestamp:PATTERN}`: the approximate arrival time of the oldest record in
  the object, in UTC, formatted with the Java `DateTimeFormatter` PATTERN
  (letters y M d H h m s S a, quoted literals, other characters as they are).
* `!{partitionKeyFromQuery:KEY}`: the value the MetadataExtraction query gave KEY.
* `!{firehose:error-output-type}` (error prefix only) and `!{firehose:random-string}`.
* A prefix without any timestamp expression gets `!{timestamp:yyyy/MM/dd/HH/}`
  appended (without dynamic partitioning); an empty one is just that. An empty
  error prefix is `!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH/}`,
  one without expressions gets it appended.
* Object name: `<prefix><stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><ext>`.
"""
from __future__ import annotations

import random
import re
import string
import uuid
from datetime import datetime

EXPRESSION = re.compile(r"!\{([A-Za-z]+):([^}]*)\}")
DEFAULT_TIME = "!{timestamp:yyyy/MM/dd/HH/}"
NAMESPACES = {"timestamp", "partitionKeyFromQuery", "firehose"}


class PrefixError(ValueError):
    """A prefix expression that cannot be evaluated for a record."""


def java_time(pattern: str, when: datetime) -> str:
    """`when` formatted with a Java DateTimeFormatter pattern."""
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "'":
            end = pattern.find("'", i + 1)
            if end < 0:
                raise ValueError(f"unterminated quote in timestamp pattern {pattern!r}")
            out.append(pattern[i + 1 : end] or "'")
            i = end + 1
            continue
        if not ch.isalpha():
            out.append(ch)
            i += 1
            continue
        run = 1
        while i + run < len(pattern) and pattern[i + run] == ch:
            run += 1
        out.append(_field(ch, run, when, pattern))
        i += run
    return "".join(out)


def _field(letter: str, width: int, when: datetime, pattern: str) -> str:
    if letter in "yu":
        return f"{when.year % 100:02d}" if width == 2 else str(when.year).zfill(width)
    if letter == "S":
        return f"{when.microsecond:06d}"[:width].ljust(width, "0")
    if letter == "a":
        return "AM" if when.hour < 12 else "PM"
    values = {
        "M": when.month,
        "d": when.day,
        "H": when.hour,
        "h": (when.hour % 12) or 12,
        "m": when.minute,
        "s": when.second,
        "D": when.timetuple().tm_yday,
    }
    if letter not in values:
        raise ValueError(f"timestamp pattern {pattern!r}: letter {letter!r} is not supported by the emulator")
    return str(values[letter]).zfill(width)


def check(prefix: str, error_prefix: bool, dynamic: bool) -> None:
    """Fails on expressions Firehose refuses or the emulator cannot evaluate."""
    for ns, arg in EXPRESSION.findall(prefix):
        if ns not in NAMESPACES:
            raise ValueError(f"prefix {prefix!r}: namespace !{{{ns}:...}} is not supported")
        if ns == "timestamp":
            java_time(arg, datetime(2000, 1, 1))
        elif ns == "partitionKeyFromQuery" and (error_prefix or not dynamic):
            raise ValueError(f"prefix {prefix!r}: !{{partitionKeyFromQuery:...}} needs dynamic partitioning and is not allowed in ErrorOutputPrefix")
        elif ns == "firehose" and arg not in ("random-string", "error-output-type"):
            raise ValueError(f"prefix {prefix!r}: !{{firehose:{arg}}} is not a Firehose expression")
        elif ns == "firehose" and arg == "error-output-type" and not error_prefix:
            raise ValueError(f"prefix {prefix!r}: !{{firehose:error-output-type}} is only allowed in ErrorOutputPrefix")


def effective(prefix: str | None, dynamic: bool) -> str:
    """The data prefix Firehose evaluates (with the default time part added)."""
    prefix = prefix or ""
    if dynamic or "!{timestamp:" in prefix:
        return prefix
    return prefix + DEFAULT_TIME


def effective_error(prefix: str | None) -> str:
    prefix = prefix or ""
    if EXPRESSION.search(prefix):
        return prefix
    return prefix + "!{firehose:error-output-type}/" + DEFAULT_TIME


def evaluate(prefix: str, when: datetime, keys: dict[str, str] | None = None, error_type: str = "") -> str:
    """`prefix` with every expression replaced."""

    def one(m: "re.Match[str]") -> str:
        ns, arg = m.group(1), m.group(2)
        if ns == "timestamp":
            return java_time(arg, when)
        if ns == "partitionKeyFromQuery":
            if not keys or arg not in keys:
                raise PrefixError(f"partition key {arg!r} was not extracted by the MetadataExtraction query")
            return keys[arg]
        if arg == "error-output-type":
            return error_type
        return "".join(random.choices(string.ascii_letters + string.digits, k=11))

    return EXPRESSION.sub(one, prefix)


def object_key(prefix: str, stream: str, version: str, when: datetime, extension: str) -> str:
    stamp = when.strftime("%Y-%m-%d-%H-%M-%S")
    return f"{prefix}{stream}-{version}-{stamp}-{uuid.uuid4()}{extension}"
