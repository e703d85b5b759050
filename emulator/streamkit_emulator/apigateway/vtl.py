"""API Gateway mapping templates: Velocity (VTL) evaluated by `airspeed-ext`
(a Velocity implementation made for AWS's dialect), with the variables API
Gateway gives a template: `$input` (body, json(path), path(path), params()),
`$util` (escapeJavaScript, base64Encode/Decode, parseJson, urlEncode/Decode),
`$context` and `$stageVariables`. JSONPath expressions are evaluated by
`jsonpath-ng` (both pinned in requirements.txt).
"""
from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote_plus, unquote_plus

import airspeed
from jsonpath_ng import parse as jsonpath

_cache: dict[str, airspeed.Template] = {}


class VtlError(Exception):
    """A template that does not parse or fails while rendering."""


def render(template: str, variables: dict[str, Any]) -> str:
    compiled = _cache.get(template)
    if compiled is None:
        compiled = _cache[template] = airspeed.Template(template)
    try:
        return compiled.merge(dict(variables))
    except Exception as e:  # noqa: BLE001 - airspeed raises many kinds
        raise VtlError(f"{type(e).__name__}: {e}") from e


class Input:
    """`$input`: the request (or integration response) payload and parameters."""

    def __init__(self, body: str, params: dict[str, dict[str, str]] | None = None):
        self.body = body
        self._params = params or {"path": {}, "querystring": {}, "header": {}}
        self._parsed: Any = ...

    def _document(self) -> Any:
        if self._parsed is ...:
            try:
                self._parsed = json.loads(self.body) if self.body.strip() else {}
            except ValueError:
                self._parsed = None
        return self._parsed

    def path(self, expression: str) -> Any:
        doc = self._document()
        if doc is None:
            return None
        if expression.strip() == "$":
            return doc
        found = [m.value for m in jsonpath(expression).find(doc)]
        if not found:
            return None
        return found[0] if len(found) == 1 and not _is_wildcard(expression) else found

    def json(self, expression: str) -> str:
        return json.dumps(self.path(expression), separators=(",", ":"), ensure_ascii=False)

    def params(self, name: str | None = None) -> Any:
        if name is None:
            return self._params
        for where in ("path", "querystring", "header"):
            values = self._params.get(where, {})
            if name in values:
                return values[name]
            if where == "header":
                for k, v in values.items():
                    if k.lower() == name.lower():
                        return v
        return ""


def _is_wildcard(expression: str) -> bool:
    return "*" in expression or ".." in expression or "?(" in expression


class Util:
    """`$util`."""

    @staticmethod
    def escapeJavaScript(value: Any) -> str:  # noqa: N802 - the VTL name
        return escape_javascript("" if value is None else str(value))

    @staticmethod
    def base64Encode(value: Any) -> str:  # noqa: N802
        return base64.b64encode(_text(value).encode("utf-8")).decode("ascii")

    @staticmethod
    def base64Decode(value: Any) -> str:  # noqa: N802
        return base64.b64decode(_text(value)).decode("utf-8", "replace")

    @staticmethod
    def parseJson(value: Any) -> Any:  # noqa: N802
        return json.loads(_text(value))

    @staticmethod
    def urlEncode(value: Any) -> str:  # noqa: N802
        return quote_plus(_text(value))

    @staticmethod
    def urlDecode(value: Any) -> str:  # noqa: N802
        return unquote_plus(_text(value))


def _text(value: Any) -> str:
    """A template value as Java's String.valueOf would show it."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def escape_javascript(s: str) -> str:
    """Apache Commons Lang `StringEscapeUtils.escapeJavaScript`, which API
    Gateway's `$util.escapeJavaScript` is: quotes, backslash and `/` escaped,
    control characters as `\\b \\t \\n \\f \\r` or `\\uXXXX`, non-ASCII as `\\uXXXX`."""
    named = {"'": "\\'", '"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\t": "\\t", "\n": "\\n",
             "\f": "\\f", "\r": "\\r"}
    out = []
    for ch in s:
        if ch in named:
            out.append(named[ch])
        elif ord(ch) < 32 or ord(ch) > 0x7E:
            data = ch.encode("utf-16-be")
            out.extend(f"\\u{data[i] << 8 | data[i + 1]:04X}" for i in range(0, len(data), 2))
        else:
            out.append(ch)
    return "".join(out)
