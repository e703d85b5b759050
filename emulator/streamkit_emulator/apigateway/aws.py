"""API Gateway `AWS` integrations: a service action called with the
integration's credentials role, in-process through the emulator's own WSGI
application (the same code path, metrics and checks as an SDK call).

The role is checked as API Gateway would use it: it must exist, trust
`apigateway.amazonaws.com`, and its policies must allow the action on the
resource (for Kinesis, the stream the request names); a denial comes back as
the service's 400 AccessDeniedException, a role API Gateway cannot assume as
a 500. The request is SigV4-signed with the role's session (moto's STS).
"""
from __future__ import annotations

import io
import json
import re
import threading
from datetime import timedelta
from dataclasses import dataclass
from typing import Any, Callable

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.core.utils import utcnow
from moto.iam.access_control import IAMPolicy, PermissionResult

from streamkit_emulator.iam import enforce

URI = re.compile(r"^arn:[^:]+:apigateway:(?P<region>[^:]+):(?P<service>[^:]+):action/(?P<action>[A-Za-z0-9]+)$")
JSON_TARGETS = {
    "kinesis": ("Kinesis_20131202", "application/x-amz-json-1.1"),
    "firehose": ("Firehose_20150804", "application/x-amz-json-1.1"),
    "dynamodb": ("DynamoDB_20120810", "application/x-amz-json-1.0"),
}
_sessions: dict[str, Any] = {}
_lock = threading.Lock()


@dataclass
class Backend:
    """What the integration endpoint answered."""

    status: int
    headers: dict[str, str]
    body: bytes


class ConfigError(Exception):
    """The integration cannot be executed (API Gateway answers 500)."""


def call(app: Callable, account_id: str, uri: str, credentials: str | None, body: bytes,
         extra_headers: dict[str, str]) -> Backend:
    m = URI.match(uri or "")
    if not m:
        raise ConfigError(f"integration URI {uri!r} is not an AWS service action the emulator implements")
    service, action, region = m["service"], m["action"], m["region"]
    if service not in JSON_TARGETS:
        raise ConfigError(f"AWS integration to {service} is not implemented by the emulator")
    if not credentials:
        raise ConfigError("AWS integration without Credentials: API Gateway has no role to call the service with")
    role = _role(account_id, credentials)
    # With IAM enforced the signed request below is checked like any other (iam/enforce.py).
    denied = None if enforce.enabled() else _denied(role, f"{service}:{action}", _resource(service, region, role.account_id, body))
    if denied:
        return Backend(400, {"Content-Type": "application/x-amz-json-1.1"},
                       json.dumps({"__type": "AccessDeniedException", "message": denied}).encode())
    session = _session(account_id, credentials, region)
    target, content_type = JSON_TARGETS[service]
    host = f"{service}.{region}.amazonaws.com"
    request = AWSRequest(method="POST", url=f"https://{host}/", data=body, headers={
        "Content-Type": content_type, **extra_headers, "X-Amz-Target": f"{target}.{action}"})
    SigV4Auth(Credentials(session.access_key_id, session.secret_access_key, session.session_token),
              service, region).add_auth(request)
    headers = dict(request.headers.items())
    return _dispatch(app, host, headers, body)


def _role(account_id: str, arn: str) -> Any:
    from moto.iam.models import iam_backends

    try:
        role = iam_backends[account_id]["aws"].get_role_by_arn(arn)
    except Exception:  # noqa: BLE001 - moto raises its own NotFound
        raise ConfigError(f"Execution failed due to configuration error: Invalid permissions on role {arn} (not found)")
    trust_text = _text(role.assume_role_policy_document)
    if IAMPolicy(trust_text).is_action_permitted("sts:AssumeRole") != PermissionResult.PERMITTED or \
            "apigateway.amazonaws.com" not in trust_text:
        raise ConfigError(f"Execution failed due to configuration error: API Gateway cannot assume role {arn}")
    return role


def _text(document: Any) -> str:
    """A policy document as JSON text (moto keeps CloudFormation's as dicts)."""
    return document if isinstance(document, str) else json.dumps(document)


def _resource(service: str, region: str, account_id: str, body: bytes) -> str:
    try:
        doc = json.loads(body or b"{}")
    except ValueError:
        doc = {}
    if service == "kinesis":
        if doc.get("StreamARN"):
            return doc["StreamARN"]
        return f"arn:aws:kinesis:{region}:{account_id}:stream/{doc.get('StreamName', '')}"
    if service == "firehose":
        return f"arn:aws:firehose:{region}:{account_id}:deliverystream/{doc.get('DeliveryStreamName', '')}"
    return f"arn:aws:dynamodb:{region}:{account_id}:table/{doc.get('TableName', '')}"


def _denied(role: Any, action: str, resource: str) -> str | None:
    docs: list[Any] = [_text(policy) for policy in role.policies.values()]
    docs += [p for p in role.managed_policies.values()]
    allowed = False
    for doc in docs:
        result = IAMPolicy(doc).is_action_permitted(action, resource)
        if result == PermissionResult.DENIED:
            allowed = False
            break
        allowed = allowed or result == PermissionResult.PERMITTED
    if allowed:
        return None
    return (f"User: arn:aws:sts::{role.account_id}:assumed-role/{role.name}/BackplaneAssumeRoleSession is not "
            f"authorized to perform: {action} on resource: {resource} because no identity-based policy allows "
            f"the {action} action")


def _session(account_id: str, role_arn: str, region: str) -> Any:
    from moto.sts.models import sts_backends

    with _lock:
        session = _sessions.get(role_arn)
        if session is None or session.expiration < utcnow() + timedelta(minutes=5):
            session = sts_backends[account_id]["aws"].assume_role(
                region, "BackplaneAssumeRoleSession", role_arn, None, 3600, None)
            _sessions[role_arn] = session
        return session


def _dispatch(app: Callable, host: str, headers: dict[str, str], body: bytes) -> Backend:
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/", "RAW_URI": "/", "REQUEST_URI": "/", "QUERY_STRING": "",
        "SERVER_NAME": host, "SERVER_PORT": "443", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": host, "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "https", "wsgi.errors": io.StringIO(),
        "wsgi.version": (1, 0), "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
    }
    for k, v in headers.items():
        if k.lower() not in ("content-type", "content-length"):
            environ["HTTP_" + k.upper().replace("-", "_")] = v
    captured: dict[str, Any] = {}

    def start_response(status: str, response_headers: list, exc_info: Any = None) -> Callable:
        captured["status"], captured["headers"] = status, response_headers
        return lambda data: None

    chunks = app(environ, start_response)
    try:
        data = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    return Backend(int(captured["status"].split()[0]), dict(captured.get("headers", [])), data)
