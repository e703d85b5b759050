"""IAM policy evaluation as the IAM User Guide's "Policy evaluation logic"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)
and "IAM JSON policy elements reference" describe it.

Built on moto's `moto.iam.access_control` (its `IAMPolicy` / `IAMPolicyStatement`
match Action and wildcards, but treat `Resource` loosely, know only the
trust-policy conditions and ignore resource policies); this module keeps
moto's statement shape and extends it with: `NotAction`, `NotResource`,
`NotPrincipal`, `Principal` (AWS, Service, `*`, account), every condition
operator family of "IAM JSON policy elements: Condition operators"
(String, Numeric, Date, Bool, Binary, IpAddress, Arn, Null, `...IfExists`,
`ForAllValues:` / `ForAnyValue:`), policy variables `${aws:...}`, and the
evaluation order: explicit deny anywhere, then (same account) an allow from a
resource-based policy naming the principal or an identity-based policy,
limited by a permissions boundary and a session policy; cross-account both
sides must allow.

A policy element the evaluator cannot evaluate (an unknown operator or
condition key, a malformed statement) raises `Unsupported` naming it: it is
never silently read as allowing.
"""
from __future__ import annotations

import base64
import functools
import ipaddress
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

# Condition keys the emulator supplies (lower case); a policy naming another key
# cannot be evaluated (`Unsupported`). Service-specific keys with a `:` suffix
# pattern (e.g. kms:EncryptionContext:...) are listed by prefix.
KNOWN_KEYS = {
    "aws:securetransport", "aws:sourceip", "aws:sourcearn", "aws:sourceaccount", "aws:sourceowner",
    "aws:principalarn", "aws:principalaccount", "aws:principaltype", "aws:userid", "aws:username",
    "aws:currenttime", "aws:epochtime", "aws:requestedregion", "aws:principalservicename",
    "aws:calledvia", "aws:calledviafirst", "aws:calledvialast", "aws:viaawsservice",
    "kms:viaservice", "kms:callerAccount".lower(), "cloudwatch:namespace", "sts:externalid",
    "s3:prefix", "s3:delimiter", "s3:x-amz-server-side-encryption", "s3:x-amz-acl",
    "lambda:functionarn", "lambda:eventsourcetoken", "logs:loggroupname", "kinesis:streamname",
    "sqs:queuename", "sns:endpoint", "sns:protocol", "iam:passedtoservice", "iam:associatedresourcearn",
    "iam:policyarn", "dynamodb:leadingkeys", "dynamodb:attributes", "dynamodb:select",
    "dynamodb:returnvalues", "sts:rolesessionname", "sts:sourceidentity", "aws:multifactorauthpresent",
}
KNOWN_KEY_PREFIXES = ("kms:encryptioncontext:", "aws:requesttag/", "aws:resourcetag/", "aws:principaltag/",
                      "s3:existingobjecttag/", "s3:requestobjecttag/")

STRING = {"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
          "StringLike", "StringNotLike"}
NUMERIC = {"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
           "NumericGreaterThan", "NumericGreaterThanEquals"}
DATE = {"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
        "DateGreaterThanEquals"}
ARN = {"ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike"}
OTHER = {"Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "Null"}
OPERATORS = STRING | NUMERIC | DATE | ARN | OTHER
NEGATED = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals", "DateNotEquals",
           "ArnNotEquals", "ArnNotLike", "NotIpAddress"}
STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal",
                  "Condition"}
VARIABLE = re.compile(r"\$\{([^}]+)\}")


class Unsupported(Exception):
    """A policy element the evaluator cannot evaluate (named in the message)."""


@dataclass(frozen=True)
class Principal:
    """Who makes a request. `kind`: root, user, assumed-role, service, anonymous."""

    kind: str
    arn: str
    account_id: str
    name: str = ""
    role_arn: str = ""  # assumed-role: the role's ARN
    service: str = ""  # service principals: e.g. events.amazonaws.com
    user_id: str = ""

    @property
    def display(self) -> str:
        return self.service if self.kind == "service" else self.arn

    def __hash__(self) -> int:
        # The dataclass's hash of the same fields, kept: every decision looks
        # a principal up (a session's principal is one object for its life).
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = hash((self.kind, self.arn, self.account_id, self.name, self.role_arn, self.service,
                           self.user_id))
            object.__setattr__(self, "_hash", cached)
        return cached


@dataclass
class Policies:
    """The policies that apply to one request (documents as parsed JSON)."""

    identity: list[Any] = field(default_factory=list)
    resource: Any = None  # the resource-based policy, if the resource has one
    resource_account: str = ""  # the account owning the resource ("" = the principal's)
    boundary: Any = None
    session: Any = None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # AWS's "because ..." clause for a denial

    def message(self, principal: Principal, action: str, resource: str) -> str:
        shown = f'"{resource}"' if resource.startswith("arn:aws:s3:::") else resource
        on = f" on resource: {shown}" if resource and resource != "*" else ""
        return f"User: {principal.display} is not authorized to perform: {action}{on} because {self.reason}"


def document(policy: Any) -> dict[str, Any]:
    """A policy as a dict: moto keeps CloudFormation's as dicts, the API's as
    (possibly URL-encoded) text."""
    if isinstance(policy, dict):
        return policy
    if isinstance(policy, (bytes, bytearray)):
        policy = policy.decode("utf-8")
    if not isinstance(policy, str):
        raise Unsupported(f"policy document of type {type(policy).__name__}")
    text = policy.strip()
    if text.startswith("%7B") or text.startswith("%7b"):
        from urllib.parse import unquote

        text = unquote(text)
    try:
        parsed = json.loads(text)
    except ValueError as e:
        raise Unsupported(f"policy document is not JSON ({e})") from None
    if not isinstance(parsed, dict):
        raise Unsupported("policy document is not a JSON object")
    return parsed


def statements(policy: Any) -> list[dict[str, Any]]:
    """The checked statements of a policy (read-only: a policy stored as text,
    as the IAM API stores it, is parsed and checked once per distinct text and
    the same statements are returned after; a document that cannot be
    evaluated raises `Unsupported` every time)."""
    if isinstance(policy, (bytes, bytearray)):
        policy = policy.decode("utf-8")
    if isinstance(policy, str):
        return _text_statements(policy)
    return _statements(policy)


@functools.lru_cache(maxsize=4096)
def _text_statements(text: str) -> list[dict[str, Any]]:
    return _statements(text)


def _statements(policy: Any) -> list[dict[str, Any]]:
    doc = document(policy)
    raw = doc.get("Statement")
    if raw is None:
        raise Unsupported("policy document without Statement")
    items = raw if isinstance(raw, list) else [raw]
    for s in items:
        if not isinstance(s, dict):
            raise Unsupported("Statement entry that is not an object")
        unknown = set(s) - STATEMENT_KEYS
        if unknown:
            raise Unsupported(f"statement element {sorted(unknown)[0]}")
        if s.get("Effect") not in ("Allow", "Deny"):
            raise Unsupported(f"Effect {s.get('Effect')!r} (Allow or Deny)")
        if ("Action" in s) == ("NotAction" in s):
            raise Unsupported("statement needs exactly one of Action and NotAction")
    return items


def validate(policy: Any) -> None:
    """Raises `Unsupported` for a document the evaluator cannot evaluate."""
    for s in statements(policy):
        for operator, pairs in (s.get("Condition") or {}).items():
            _base(operator)
            if not isinstance(pairs, dict):
                raise Unsupported(f"condition {operator} is not an object")
            for key in pairs:
                _check_key(key)


def _as_list(value: Any) -> list[Any] | tuple[Any, ...]:
    """A policy element's values (a list, or the tuple a cache key holds), or the one value."""
    return value if isinstance(value, (list, tuple)) else [value]


def _wild(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """`*` and `?` wildcards (fnmatch without its `[...]` classes)."""
    if not ignore_case and "*" not in pattern and "?" not in pattern:
        return pattern == value
    return _wild_regex(pattern, ignore_case).fullmatch(value) is not None


@functools.lru_cache(maxsize=8192)
def _wild_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """A wildcard pattern compiled once (policies repeat the same few patterns)."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _substitute(pattern: str, context: dict[str, list[str]]) -> str:
    """Policy variables `${aws:username}`, `${*}`, `${?}`, `${$}`, with defaults `${key, 'x'}`."""
    if "${" not in pattern:
        return pattern

    def one(m: re.Match) -> str:
        name, _, default = m.group(1).partition(",")
        name = name.strip()
        if name in ("*", "?", "$"):
            return name
        values = context.get(name.lower())
        if values:
            return values[0]
        if default:
            return default.strip().strip("'")
        return "\x00"  # matches nothing, as AWS does for a missing variable

    return VARIABLE.sub(one, pattern)


def action_matches(patterns: Any, action: str) -> bool:
    """Action names are case-insensitive ("IAM JSON policy elements: Action").
    Decided once per (patterns, action): a policy's Action element is a string
    or a list of strings, and a request's action one of a few."""
    key = tuple(patterns) if isinstance(patterns, list) else patterns
    try:
        return _action_matches(key, action)
    except TypeError:  # an element that is not hashable (not a string): matched as it is
        return any(_wild(str(p), action, ignore_case=True) for p in _as_list(patterns))


@functools.lru_cache(maxsize=16384)
def _action_matches(patterns: Any, action: str) -> bool:
    return any(_wild(str(p), action, ignore_case=True) for p in _as_list(patterns))


def resource_matches(patterns: Any, resource: str, context: dict[str, list[str]]) -> bool:
    """ARNs match segment-wise with wildcards; `*` matches every resource."""
    for p in _as_list(patterns):
        p = _substitute(str(p), context)
        if p == "*" or _wild(p, resource):
            return True
    return False


def _principal_values(element: Any) -> list[tuple[str, str]]:
    if element == "*":
        return [("AWS", "*")]
    if isinstance(element, str) and (re.fullmatch(r"\d{12}", element) or element.startswith(("arn:aws:iam::",
                                                                                               "arn:aws:sts::"))):
        return [("AWS", element)]  # a Lambda permission's account or IAM principal (AddPermission)
    if not isinstance(element, dict):
        raise Unsupported(f"Principal {element!r}")
    out = []
    for kind, values in element.items():
        if kind not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise Unsupported(f"Principal type {kind}")
        out += [(kind, str(v)) for v in _as_list(values)]
    return out


def principal_matches(element: Any, principal: Principal) -> bool:
    """"AWS JSON policy elements: Principal": `*`, an account (id or root ARN:
    every principal of the account), a user, a role (its sessions), an
    assumed-role session, a service."""
    for kind, value in _principal_values(element):
        if kind == "Service":
            if principal.kind == "service" and value == principal.service:
                return True
            continue
        if kind != "AWS":
            continue
        if value == "*":
            return True
        if value in (principal.account_id, f"arn:aws:iam::{principal.account_id}:root"):
            return principal.kind != "service"
        if value in (principal.arn, principal.role_arn) and principal.kind != "service":
            return True
    return False


def names_account(element: Any, principal: Principal) -> bool:
    """Whether a matching Principal names the account (not the principal itself)."""
    for kind, value in _principal_values(element):
        if kind == "AWS" and value in (principal.account_id, f"arn:aws:iam::{principal.account_id}:root"):
            return True
    return False


def _base(operator: str) -> tuple[str, str, bool]:
    qualifier = ""
    if ":" in operator:
        qualifier, _, operator = operator.partition(":")
        if qualifier not in ("ForAllValues", "ForAnyValue"):
            raise Unsupported(f"condition set operator {qualifier}")
    if_exists = operator.endswith("IfExists") and operator != "IfExists"
    base = operator.removesuffix("IfExists") if if_exists else operator
    if base not in OPERATORS:
        raise Unsupported(f"condition operator {operator}")
    return qualifier, base, if_exists


def _check_key(key: str) -> None:
    k = key.lower()
    if k not in KNOWN_KEYS and not k.startswith(KNOWN_KEY_PREFIXES):
        raise Unsupported(f"condition key {key}")


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise Unsupported(f"numeric condition value {value!r}") from None


def _date(value: str) -> float:
    v = str(value)
    if re.fullmatch(r"-?\d+(\.\d+)?", v):
        return float(v)
    try:
        parsed = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        raise Unsupported(f"date condition value {value!r}") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()


def _compare(base: str, actual: str, expected: str, context: dict[str, list[str]]) -> bool:
    if base in STRING or base in ARN:
        expected = _substitute(expected, context)
    if base in ("StringEquals", "StringNotEquals"):
        return actual == expected
    if base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return actual.lower() == expected.lower()
    if base in ("StringLike", "StringNotLike"):
        return _wild(expected, actual)
    if base in ARN:
        # "ARN condition operators": compared per colon-separated segment, with wildcards.
        a, e = actual.split(":", 5), expected.split(":", 5)
        if len(a) != len(e):
            return _wild(expected, actual)
        return all(_wild(x, y) for x, y in zip(e, a))
    if base in NUMERIC:
        x, y = _number(actual), _number(expected)
        return {"NumericEquals": x == y, "NumericNotEquals": x == y, "NumericLessThan": x < y,
                "NumericLessThanEquals": x <= y, "NumericGreaterThan": x > y,
                "NumericGreaterThanEquals": x >= y}[base]
    if base in DATE:
        x, y = _date(actual), _date(expected)
        return {"DateEquals": x == y, "DateNotEquals": x == y, "DateLessThan": x < y,
                "DateLessThanEquals": x <= y, "DateGreaterThan": x > y, "DateGreaterThanEquals": x >= y}[base]
    if base == "Bool":
        return actual.lower() == str(expected).lower()
    if base == "BinaryEquals":
        return base64.b64encode(actual.encode()).decode() == expected or actual == expected
    if base in ("IpAddress", "NotIpAddress"):
        try:
            return ipaddress.ip_address(actual) in ipaddress.ip_network(expected, strict=False)
        except ValueError:
            return False
    raise Unsupported(f"condition operator {base}")


def condition_holds(operator: str, key: str, expected: Any, context: dict[str, list[str]]) -> bool:
    """One operator and key of a Condition block: any expected value may match
    (OR); negated operators match when no value does ("Creating a condition with
    multiple keys or values"); a missing key is false, true for `...IfExists`
    and for negated operators (and `Null: true`)."""
    qualifier, base, if_exists = _base(operator)
    _check_key(key)
    actual = context.get(key.lower())
    expected_values = [str(e).lower() if isinstance(e, bool) else str(e) for e in _as_list(expected)]
    if base == "Null":
        return (actual is None) == (expected_values[0].lower() == "true")
    if actual is None:
        if qualifier == "ForAllValues":
            return True
        return if_exists or base in NEGATED
    negated = base in NEGATED

    def hit(value: str) -> bool:
        return any(_compare(base, value, e, context) for e in expected_values)

    if qualifier == "ForAllValues":
        return all((not hit(v)) if negated else hit(v) for v in actual)
    if qualifier == "ForAnyValue":
        return any((not hit(v)) if negated else hit(v) for v in actual)
    matched = any(hit(v) for v in actual)
    return not matched if negated else matched


def statement_applies(s: dict[str, Any], action: str, resource: str, context: dict[str, list[str]],
                      principal: Principal | None = None) -> bool:
    """Action / NotAction, Resource / NotResource, Principal / NotPrincipal
    (resource-based policies), and every condition (AND across keys)."""
    if "NotAction" in s:
        if action_matches(s["NotAction"], action):
            return False
    elif not action_matches(s.get("Action", []), action):
        return False
    if "NotResource" in s:
        if resource_matches(s["NotResource"], resource, context):
            return False
    elif "Resource" in s:
        if not resource_matches(s["Resource"], resource, context):
            return False
    if principal is not None:
        if "NotPrincipal" in s:
            if principal_matches(s["NotPrincipal"], principal):
                return False
        elif "Principal" in s and not principal_matches(s["Principal"], principal):
            return False
    for operator, pairs in (s.get("Condition") or {}).items():
        if not isinstance(pairs, dict):
            raise Unsupported(f"condition {operator} is not an object")
        for key, expected in pairs.items():
            if not condition_holds(operator, key, expected, context):
                return False
    return True


def effects(policies: Iterable[Any], action: str, resource: str, context: dict[str, list[str]],
             principal: Principal | None = None) -> tuple[bool, bool, list[dict[str, Any]]]:
    deny = allow = False
    allowing: list[dict[str, Any]] = []
    for policy in policies:
        for s in statements(policy):
            if statement_applies(s, action, resource, context, principal):
                if s["Effect"] == "Deny":
                    deny = True
                else:
                    allow = True
                    allowing.append(s)
    return deny, allow, allowing


def evaluate(principal: Principal, action: str, resource: str, context: dict[str, list[str]],
             policies: Policies) -> Decision:
    """The decision for one request ("Policy evaluation logic", "Cross-account
    policy evaluation logic"). The account root (the emulator's test keys) is
    allowed everything its own account's resource policies do not deny."""
    identity_deny, identity_allow, _ = effects(policies.identity, action, resource, context)
    resource_deny = resource_allow = False
    allowing: list[dict[str, Any]] = []
    if policies.resource is not None:
        resource_deny, resource_allow, allowing = effects([policies.resource], action, resource, context,
                                                           principal)
    if identity_deny:
        return Decision(False, "with an explicit deny in an identity-based policy")
    if resource_deny:
        return Decision(False, "with an explicit deny in a resource-based policy")
    for kind, limit in (("permissions boundary", policies.boundary), ("session policy", policies.session)):
        if limit is not None and principal.kind not in ("root", "service"):
            deny, allow, _ = effects([limit], action, resource, context)
            if deny:
                return Decision(False, f"with an explicit deny in a {kind}")
            if not allow:
                return Decision(False, f"no {kind} allows the {action} action")
    cross_account = bool(policies.resource_account) and policies.resource_account != principal.account_id
    if principal.kind == "service":
        if resource_allow:
            return Decision(True, "")
        return Decision(False, f"no resource-based policy allows the {action} action")
    own = principal.kind == "root" or identity_allow
    if cross_account:
        if own and resource_allow:
            return Decision(True, "")
        if not resource_allow:
            return Decision(False, f"no resource-based policy allows the {action} action")
        return Decision(False, f"no identity-based policy allows the {action} action")
    # Same account: a resource policy naming the principal itself suffices; one
    # naming the account delegates to the identity-based policies.
    if own or any(not names_account(s.get("Principal", {}), principal) for s in allowing):
        return Decision(True, "")
    return Decision(False, f"no identity-based policy allows the {action} action")
