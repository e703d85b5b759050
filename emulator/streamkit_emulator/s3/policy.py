"""Bucket policies evaluated with their conditions, for the request at hand.

moto checks a bucket policy's statements but ignores their conditions, so a
statement such as the stacks' `DenyInsecureTransport` (Deny `s3:*` when
`aws:SecureTransport` is false) denies every request. Here each statement
whose Principal is `*` applies when its action, resource and conditions all
match; an explicit Deny wins, then an Allow (statements naming a specific
principal stay neutral, as in moto, which does not know the caller).

The request context has `aws:SecureTransport` and `aws:SourceIp`. The local
endpoint counts as secure for requests from the loopback interface (and for
HTTPS): they never leave the machine, which is what TLS-only policies are
for; requests from other hosts to an emulator bound to a public interface are
plain HTTP and are denied by such policies.

Operators: String(Not)Equals(IgnoreCase), String(Not)Like, Bool,
(Not)IpAddress, Null, Arn(Not)Equals/Like, each with `...IfExists`; a key
missing from the context makes a negated operator true and the others false
(`...IfExists`: true). An unknown operator leaves the statement applying, as
moto did.
"""
from __future__ import annotations

import fnmatch
import ipaddress
import json
from typing import Any

NEGATED = ("StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NotIpAddress", "ArnNotEquals", "ArnNotLike")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _match_one(operator: str, actual: str, expected: str) -> bool:
    if operator in ("StringEquals", "StringNotEquals", "ArnEquals", "ArnNotEquals"):
        return actual == expected
    if operator in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return actual.lower() == expected.lower()
    if operator in ("StringLike", "StringNotLike", "ArnLike", "ArnNotLike"):
        return fnmatch.fnmatchcase(actual, expected)
    if operator == "Bool":
        return actual.lower() == str(expected).lower()
    if operator in ("IpAddress", "NotIpAddress"):
        try:
            return ipaddress.ip_address(actual) in ipaddress.ip_network(expected, strict=False)
        except ValueError:
            return False
    raise KeyError(operator)


def condition_holds(operator: str, key: str, expected: Any, context: dict[str, str]) -> bool:
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    actual = context.get(key.lower())
    if base == "Null":
        return (actual is None) == (str(_as_list(expected)[0]).lower() == "true")
    if actual is None:
        return if_exists or base in NEGATED
    try:
        hit = any(_match_one(base, actual, str(e)) for e in _as_list(expected))
    except KeyError:
        return True
    return not hit if base in NEGATED else hit


def _matches(patterns: Any, value: str) -> bool:
    return any(fnmatch.fnmatchcase(value, str(p)) for p in _as_list(patterns))


def _applies(statement: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> bool:
    principal = statement.get("Principal")
    if principal not in ("*", {"AWS": "*"}):
        return False
    if "NotAction" in statement:
        if _matches(statement["NotAction"], action):
            return False
    elif not _matches(statement.get("Action", []), action):
        return False
    if "NotResource" in statement:
        if _matches(statement["NotResource"], resource):
            return False
    elif not _matches(statement.get("Resource", []), resource):
        return False
    for operator, pairs in (statement.get("Condition") or {}).items():
        for key, expected in pairs.items():
            if not condition_holds(operator, key, expected, context):
                return False
    return True


def evaluate(policy: bytes | str, action: str, resource: str, context: dict[str, str]) -> str:
    """`DENIED`, `PERMITTED` or `NEUTRAL` (context keys in lower case)."""
    document = json.loads(policy)
    statements = _as_list(document.get("Statement", []))
    applying = [s for s in statements if _applies(s, action, resource, context)]
    if any(s.get("Effect") == "Deny" for s in applying):
        return "DENIED"
    if any(s.get("Effect") == "Allow" for s in applying):
        return "PERMITTED"
    return "NEUTRAL"
