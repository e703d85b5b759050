"""IAM enforced on every request moto serves, and checks for what services do
with their own roles (`check`).

Each request's caller comes from its SigV4 access key (`principals.resolve`);
the decision is `evaluator.evaluate` over the principal's identity-based
policies and the resource's policy ("Policy evaluation logic", IAM User
Guide). A denial answers in the service's own shape ("Troubleshoot access
denied error messages"): JSON protocols `AccessDeniedException` (400; Lambda
and API Gateway 403), S3 `AccessDenied` (403, XML), query protocols
`AccessDenied` (403, XML), EC2 `UnauthorizedOperation`; the message is
`User: ARN is not authorized to perform: ACTION on resource: RES because ...`.
Every denial is logged on stderr, counted and listed at
`GET /_streamkit/iam/denials` (JSON: `count`, `denials`); every allowed
(principal, action, resource) is listed at `GET /_streamkit/iam/allowed`
(for least-privilege checks).

Off unless `enable()` ran (`--iam on`, the default of `python -m
streamkit_emulator`). Decisions are cached per (principal, action,
resources, context) until any policy-changing request (`changed()`) or for
at most a second.
"""
from __future__ import annotations

import functools
import ipaddress
import json
import sys
import threading
import time
from collections import deque
from datetime import datetime, timezone
from typing import Any, Callable

from streamkit_emulator.iam import evaluator, principals, resources
from streamkit_emulator.iam.evaluator import Decision, Policies, Principal, Unsupported

DENIALS_PATH = "/_streamkit/iam/denials"
ALLOWED_PATH = "/_streamkit/iam/allowed"
SIGNING_TO_IAM = {"monitoring": "cloudwatch", "kinesisanalytics": "kinesisanalytics", "email": "ses"}
JSON_403 = {"lambda", "apigateway"}
# Requests whose success may change a policy: decisions cached before them are dropped.
POLICY_CHANGES = ("Polic", "Permission", "Attributes", "Role", "User", "Group", "AccessKey", "Stack", "ChangeSet",
                  "Grant", "Bucket")

_enabled = False
_strict = False
_lock = threading.Lock()
_denials: deque[dict[str, Any]] = deque(maxlen=10_000)
_count = 0
_generation = 0
_cache: dict[tuple, tuple[int, float, Decision]] = {}
_local = threading.local()
_allowed: set[tuple[str, str, str]] = set()


def enable(on: bool = True, strict: bool = False) -> None:
    global _enabled, _strict
    _enabled, _strict = on, strict


def enabled() -> bool:
    return _enabled


def strict() -> bool:
    """IAM enforced in strict mode: a policy the evaluator cannot evaluate is refused when it is stored."""
    return _enabled and _strict


def changed() -> None:
    """A policy, role, user or permission changed: cached decisions are stale."""
    global _generation
    with _lock:
        _generation += 1
        _cache.clear()


class Denied(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def record(principal: Principal, action: str, resource: str, reason: str, via: str) -> str:
    """Logs and lists one denial; returns AWS's message."""
    global _count
    message = Decision(False, reason).message(principal, action, resource)
    entry = {"time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), "principal": principal.display,
             "action": action, "resource": resource, "reason": reason, "via": via, "message": message}
    with _lock:
        _denials.append(entry)
        _count += 1
    print(f"streamkit_emulator.iam: denied ({via}): {message}", file=sys.stderr, flush=True)
    return message


def denials() -> dict[str, Any]:
    with _lock:
        return {"count": _count, "denials": list(_denials)}


def allowed() -> list[tuple[str, str, str]]:
    """Every (principal, action, resource) allowed so far (for least-privilege checks)."""
    with _lock:
        return sorted(_allowed)


_base_contexts: dict[tuple[Principal, str], tuple[int, dict[str, list[str]]]] = {}


def base_context(principal: Principal, region: str) -> dict[str, list[str]]:
    """The global condition keys of a request by `principal` in `region`
    ("AWS global condition context keys", IAM User Guide). The times have
    whole-second resolution, so the keys are made once per principal, region
    and second (a fresh copy each call: callers add to it)."""
    second = int(time.time())
    hit = _base_contexts.get((principal, region))
    if hit is not None and hit[0] == second:
        return dict(hit[1])
    ctx = _make_base_context(principal, region, datetime.fromtimestamp(second, timezone.utc))
    if len(_base_contexts) > 10_000:
        _base_contexts.clear()
    _base_contexts[(principal, region)] = (second, ctx)
    return dict(ctx)


def _make_base_context(principal: Principal, region: str, now: datetime) -> dict[str, list[str]]:
    ctx = {
        "aws:currenttime": [now.strftime("%Y-%m-%dT%H:%M:%SZ")],
        "aws:epochtime": [str(int(now.timestamp()))],
        "aws:requestedregion": [region],
    }
    if principal.kind != "service":
        ctx["aws:principalarn"] = [principal.role_arn or principal.arn]
        ctx["aws:principalaccount"] = [principal.account_id]
        ctx["aws:userid"] = [principal.user_id]
        ctx["aws:principaltype"] = [{"root": "Account", "user": "User", "assumed-role": "AssumedRole"}.get(
            principal.kind, "Anonymous")]
        if principal.kind == "user":
            ctx["aws:username"] = [principal.name]
    return ctx


def decide(principal: Principal, action: str, target: resources.Target, context: dict[str, list[str]],
           context_key: tuple | None = None) -> tuple[Decision, str]:
    """The decision for every resource of `target`; (decision, the resource denied or the first).
    `context_key`: what `context` is made of, less the times (`authorize` knows
    it without sorting the keys); by default the context's own items."""
    if context_key is None:
        context_key = tuple(sorted((k, tuple(v)) for k, v in context.items()
                                   if k not in ("aws:currenttime", "aws:epochtime")))
    key = (principal, action, tuple(target.resources), context_key)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        generation = _generation
    if hit is not None and hit[0] == generation and now - hit[1] < 1.0:
        return hit[2], target.resources[0]
    decision, denied_on = Decision(True, ""), target.resources[0]
    try:
        policies = principals.policies(principal)
    except Unsupported as e:
        policies, decision = Policies(), Decision(False, f"the emulator cannot evaluate its policy ({e})")
    if decision.allowed:
        policies.resource = target.policy
        policies.resource_account = target.owner
        for resource in target.resources:
            try:
                decision = evaluator.evaluate(principal, action, resource, context, policies)
                if decision.allowed and target.required and target.policy is not None:
                    decision = _required(principal, action, resource, context, target)
            except Unsupported as e:
                decision = Decision(False, f"the emulator cannot evaluate a policy element: {e}")
            if not decision.allowed:
                denied_on = resource
                break
    with _lock:
        if len(_cache) > 50_000:
            _cache.clear()
        _cache[key] = (generation, now, decision)
        if decision.allowed:
            for resource in target.resources:
                _allowed.add((principal.display, action, resource))
    return decision, denied_on


def _required(principal: Principal, action: str, resource: str, context: dict[str, list[str]],
              target: resources.Target) -> Decision:
    """Trust and key policies must themselves allow ("Trust policies",
    "Key policies in AWS KMS"): an identity-based allow is not enough."""
    _, allow, _ = evaluator.effects([target.policy], action, resource, context, principal)
    if allow:
        return Decision(True, "")
    return Decision(False, f"no resource-based policy allows the {action} action")


def check(principal: Principal, action: str, resource: str, context: dict[str, list[str]] | None = None,
          policy: Any = None, owner: str = "", via: str = "service") -> str | None:
    """For the emulator's own services acting as a role (or invoked by a service
    principal): None when allowed, else the recorded denial message."""
    if not _enabled:
        return None
    region = resource.split(":")[3] if resource.count(":") >= 5 else "us-east-1"
    ctx = base_context(principal, region)
    ctx.update(context or {})
    decision, denied_on = decide(principal, action, resources.Target([resource], policy=policy, owner=owner), ctx)
    if decision.allowed:
        return None
    return record(principal, action, denied_on, decision.reason, via)


def _credentials(headers: Any, querystring: dict[str, Any]) -> tuple[str, str | None] | None:
    environ = getattr(_local, "environ", None)
    if environ is not None and getattr(headers, "environ", None) is environ:
        # werkzeug's headers of the request being served: read its WSGI environment
        # directly (each EnvironHeaders lookup rebuilds the variable's name).
        auth = environ.get("HTTP_AUTHORIZATION") or ""
        token = environ.get("HTTP_X_AMZ_SECURITY_TOKEN")
    else:
        auth = headers.get("Authorization") or headers.get("authorization") or ""
        token = None if "Credential=" not in auth else (
            headers.get("X-Amz-Security-Token") or headers.get("x-amz-security-token"))
    if "Credential=" in auth:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0].strip()
        return scope, token or None
    credential = querystring.get("X-Amz-Credential")
    if credential:
        token = querystring.get("X-Amz-Security-Token")
        first = credential[0] if isinstance(credential, list) else credential
        return first, (token[0] if isinstance(token, list) else token) if token else None
    return None


def loopback_is_tls() -> bool:
    """Whether a plain-HTTP request from the loopback interface counts as
    secure transport (default yes; `STREAMKIT_EMULATOR_LOOPBACK_TLS=0` makes
    it plain HTTP, so a test can show a TLS-only bucket refusing it without
    leaving loopback)."""
    return _loopback_tls_setting()


@functools.lru_cache(maxsize=1)
def _loopback_tls_setting() -> bool:
    """Read once: the variable is set when the emulator starts."""
    import os

    return os.environ.get("STREAMKIT_EMULATOR_LOOPBACK_TLS", "1") != "0"


def request_context() -> dict[str, list[str]]:
    """`aws:SecureTransport` and `aws:SourceIp` of the HTTP request being served:
    a request from the loopback interface (or over HTTPS) counts as TLS (see
    emulator/README.md, TLS-only buckets). A fresh dict each call (callers add
    to it), made from one kept per client address, scheme and setting."""
    return dict(_request_context(*_client()))


def _client() -> tuple[str, str | None, bool]:
    """What the request's condition keys depend on: client address, scheme, setting."""
    environ = getattr(_local, "environ", None) or {}
    return environ.get("REMOTE_ADDR", "127.0.0.1"), environ.get("wsgi.url_scheme"), loopback_is_tls()


@functools.lru_cache(maxsize=1024)
def _request_context(addr: str, scheme: str | None, loopback_tls: bool) -> dict[str, list[str]]:
    secure = (_is_loopback(addr) and loopback_tls) or scheme == "https"
    return {"aws:securetransport": ["true" if secure else "false"], "aws:sourceip": [addr]}


@functools.lru_cache(maxsize=1024)
def _is_loopback(addr: str) -> bool:
    """Whether a client address is on the loopback interface (parsed once per address)."""
    try:
        return ipaddress.ip_address(addr).is_loopback
    except ValueError:
        return False


def _deny(r: Any, service: str, message: str) -> None:
    from moto.core.exceptions import JsonRESTError, _RESTError as RESTError

    if service == "s3":
        from moto.s3.exceptions import S3AccessDeniedError

        error = S3AccessDeniedError()
        error.message = message
        error.args = (message,)
        raise error
    content_type = (r.headers.get("Content-Type") or "").lower()
    if r.headers.get("X-Amz-Target") or "json" in content_type or "cbor" in content_type or service in JSON_403:
        error = JsonRESTError("AccessDeniedException", message)
        error.code = 403 if service in JSON_403 else 400
        # moto answers a failed authorization with the response headers it has,
        # dropping the error's own: they go there, so the denial carries the
        # Content-Type and x-amzn-ErrorType every other JSON error of moto's has
        # (the SDKs read the error code from that header first).
        response_headers = getattr(r, "response_headers", None)
        if isinstance(response_headers, dict):
            response_headers.update(error.get_headers())
        raise error
    if service == "ec2":
        raise RESTError("UnauthorizedOperation", message)
    error = RESTError("AccessDenied", message)
    error.code = 403
    error.description = _query_error("AccessDenied", message)
    raise error


def authorize(r: Any, iam_request_cls: Any = None, resource: str = "*") -> None:
    """Replaces moto's `ActionAuthenticatorMixin._authenticate_and_authorize_action`."""
    if not _enabled:
        return
    try:
        action_name = r._get_action()
    except Exception:  # noqa: BLE001 - moto answers unknown operations itself
        return
    if isinstance(action_name, list):
        action_name = action_name[0]
    creds = _credentials(r.headers, getattr(r, "querystring", {}) or {})
    scope_parts = creds[0].split("/") if creds else []
    signing = scope_parts[3] if len(scope_parts) > 3 else (r.service_name or "")
    service = SIGNING_TO_IAM.get(signing, signing)
    region = scope_parts[2] if len(scope_parts) > 2 else getattr(r, "region", "us-east-1")
    if _changes_policy(action_name):
        changed()
    if service == "sts" and action_name == "GetCallerIdentity":
        return  # always allowed, even with an explicit deny ("GetCallerIdentity", STS API Reference)
    if creds is None:
        principal = principals.ANONYMOUS
    else:
        try:
            principal = principals.resolve(scope_parts[0], creds[1])
        except principals.InvalidToken:
            _invalid(r, service)
            return
    account = principal.account_id or r.current_account
    action = f"{service}:{_iam_action(service, action_name, r)}"
    if service == "s3" and resource in ("arn:aws:s3:::*", "*"):
        resource = "*"
    if service == "apigateway":
        target = resources.Target([f"arn:aws:apigateway:{region}::{r.path}"])
    else:
        target = resources.target(r, service, action_name, region, account, resource)
    if principal.kind == "anonymous":
        if target.policy is None:
            _deny(r, service, record(principal, action, target.resources[0], "the request is not signed",
                                     "request"))
        principal = Principal("anonymous", "anonymous", "")
    context = base_context(principal, region)
    client = _client()
    context.update(_request_context(*client))
    context.update(target.context)
    # The context is the principal's and region's keys (base_context), the
    # client's (_request_context) and the target's: named by those, not sorted.
    context_key = ("authorize", region, client,
                   tuple(sorted((k, tuple(v)) for k, v in target.context.items())) if target.context else ())
    checks = target.checks or [(action, None)]
    for checked, resource_arn in checks:
        one = target if resource_arn is None else resources.Target([resource_arn], policy=target.policy,
                                                                   owner=target.owner, context=target.context)
        decision, denied_on = decide(principal, checked, one, context, context_key)
        if not decision.allowed:
            _deny(r, service, record(principal, checked, denied_on, decision.reason, "request"))


@functools.lru_cache(maxsize=4096)
def _changes_policy(action_name: str) -> bool:
    """Whether a request of this operation may change a policy (decided once per name)."""
    return any(word in action_name for word in POLICY_CHANGES) and not action_name.startswith(
        ("Get", "List", "Describe"))


def _iam_action(service: str, name: str, r: Any) -> str:
    """The IAM action of an API operation (they differ where the Service
    Authorization Reference says so)."""
    if service == "lambda" and name == "Invoke":
        return "InvokeFunction"
    if service == "apigateway":
        return r.method
    return name


def _invalid(r: Any, service: str) -> None:
    from moto.core.exceptions import JsonRESTError, _RESTError as RESTError

    message = "The security token included in the request is invalid."
    if service == "s3":
        from moto.s3.exceptions import S3ClientError

        raise S3ClientError("InvalidAccessKeyId",
                            "The AWS Access Key Id you provided does not exist in our records.")
    if r.headers.get("X-Amz-Target") or "json" in (r.headers.get("Content-Type") or "") or service in JSON_403:
        error = JsonRESTError("UnrecognizedClientException", message)
        error.code = 403 if service in JSON_403 else 400
        raise error
    error = RESTError("InvalidClientTokenId", message)
    error.code = 403
    error.description = _query_error("InvalidClientTokenId", message)
    raise error


def _query_error(code: str, message: str) -> str:
    """Query-protocol services (IAM, STS, CloudFormation, SNS, ...) answer
    `<ErrorResponse><Error>...</Error><RequestId/></ErrorResponse>` (AWS Query
    API error shape); moto's `<Errors>` wrapper hid the code from the AWS SDK
    for Rust ("HTTP 403" without the code)."""
    from xml.sax.saxutils import escape

    return ('<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>Sender</Type>'
            f"<Code>{code}</Code><Message>{escape(message)}</Message></Error>"
            "<RequestId>streamkit-emulator</RequestId></ErrorResponse>")


def install() -> None:
    """Puts `authorize` where moto authorizes requests."""
    from moto.core.authorization import ActionAuthenticatorMixin

    ActionAuthenticatorMixin._authenticate_and_authorize_action = authorize  # type: ignore[method-assign]


def install_endpoint() -> None:
    """The denials endpoint in front of the server (outermost), also remembering
    each request's WSGI environment for its condition keys."""
    from moto.moto_server import werkzeug_app

    following: Callable[..., Any] = werkzeug_app.DomainDispatcherApplication.__call__

    def __call__(self: Any, environ: dict[str, Any], start_response: Callable) -> Any:
        if environ.get("PATH_INFO") in (DENIALS_PATH, ALLOWED_PATH):
            found = denials() if environ["PATH_INFO"] == DENIALS_PATH else {
                "allowed": [{"principal": p, "action": a, "resource": r} for p, a, r in allowed()]}
            body = json.dumps(found).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        previous = getattr(_local, "environ", None)
        _local.environ = environ
        try:
            return following(self, environ, start_response)
        finally:
            _local.environ = previous

    werkzeug_app.DomainDispatcherApplication.__call__ = __call__
