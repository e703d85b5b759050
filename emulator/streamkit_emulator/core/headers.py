"""HTTP request headers read without the email parser.

The standard library's `http.client.parse_headers` (which werkzeug's
development server uses through `http.server`) reads the header lines and
then hands them to `email.parser.Parser` as one string: a feed parser,
buffered line objects, a header regex per line and a policy object per
header, about 35 us for the dozen headers an SDK request carries (timeit),
and a tenth of the emulator's time per DynamoDB PutItem (cProfile).

Headers of the usual form, `Name: value` on one line with a name of visible
characters (RFC 9110 section 5.1 "field-name"), are stored here directly as
the email parser stores them under its default (compat32) policy: the name as
written, the value without leading blanks and without the line end. Any line
of another form (an obsolete folded continuation, a line without a colon, a
mbox `From ` line) sends the whole block to the email parser, unchanged, so
every request is parsed exactly as before (`emulator/tests/test_headers.py`
compares both on such blocks)."""
from __future__ import annotations

import email.parser
import http.client
import re
from typing import Any

# The email parser's own test for a header line (email.feedparser.headerRE),
# less its continuation and "From " cases, which go to the email parser.
_NAME = re.compile(r"[\041-\071\073-\176]+\Z")
_original = http.client.parse_headers


def parse_headers(fp: Any, _class: Any = http.client.HTTPMessage) -> Any:
    """`http.client.parse_headers`, with the same limits and the same result."""
    lines = http.client._read_headers(fp)  # type: ignore[attr-defined]
    return parse_lines(lines, _class)


def parse_lines(lines: list[bytes], _class: Any = http.client.HTTPMessage) -> Any:
    found = pairs(lines)
    return _email_parse(lines, _class) if found is None else message_of(found, _class)


def pairs(lines: list[bytes]) -> list[tuple[str, str]] | None:
    """The header lines as (name, value), stored as the email parser stores
    them; None when a line is of another form (the email parser reads those)."""
    out: list[tuple[str, str]] = []
    for line in lines:
        if line in (b"\r\n", b"\n", b""):
            return out
        text = line.decode("iso-8859-1")
        name, colon, value = text.partition(":")
        if not colon or not _NAME.match(name) or name.startswith("From "):
            return None
        out.append((name, value.lstrip(" \t").rstrip("\r\n")))
    return None


def message_of(found: list[tuple[str, str]], _class: Any = http.client.HTTPMessage) -> Any:
    """The message the email parser makes of these (name, value) headers."""
    message = _class()
    message._headers = found
    message.set_payload("")
    return message


def _email_parse(lines: list[bytes], _class: Any) -> Any:
    """What the standard library does with the lines it read."""
    text = b"".join(lines).decode("iso-8859-1")
    return email.parser.Parser(_class=_class).parsestr(text)


def install() -> None:
    http.client.parse_headers = parse_headers  # type: ignore[assignment]
