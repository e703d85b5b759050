"""SigV4 verification for methods with `AuthorizationType: AWS_IAM`.

The request is checked as received: the canonical request is rebuilt from
the method, the raw path (URI-encoded again, as SigV4 does for every service
but S3), the query, the signed headers and the body's SHA-256, and the
signature recomputed with the secret of the access key, scoped to
`<date>/<the API's region>/execute-api/aws4_request`, within 5 minutes of the
request's X-Amz-Date. Refusals are 403 with AWS's messages and
`x-amzn-ErrorType`s.

Credentials the emulator knows (the secret is looked up by access key id):
* the static pairs in `STREAMKIT_EMULATOR_ACCESS_KEYS` (`AKID:SECRET,...`;
  default `testing:testing`, what the testkit and scripts/local-deploy use),
  acting as the account's root (account 123456789012);
* access keys of IAM users created on the emulator (CreateAccessKey);
* temporary credentials from the emulator's STS (AssumeRole), with their
  session token in `X-Amz-Security-Token`.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import posixpath
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, unquote

from moto.core import DEFAULT_ACCOUNT_ID

MAX_SKEW = timedelta(minutes=5)
AUTH = re.compile(r"^AWS4-HMAC-SHA256 (.*)$")
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)


class AuthError(Exception):
    def __init__(self, message: str, error_type: str):
        super().__init__(message)
        self.message, self.error_type = message, error_type


@dataclass(frozen=True)
class Caller:
    """What `$context.identity` shows for a signed request."""

    access_key: str
    account_id: str
    caller: str  # principal id
    user: str
    user_arn: str


@dataclass(frozen=True)
class Secret:
    secret: str
    token: str | None
    caller: Caller


def verify(method: str, raw_path: str, raw_query: str, headers: dict[str, str], body: bytes,
           region: str, now: datetime | None = None) -> Caller:
    """The caller of a correctly signed request; AuthError otherwise.
    `headers` has lower-case names."""
    header = headers.get("authorization")
    if not header:
        raise AuthError("Missing Authentication Token", "MissingAuthenticationTokenException")
    m = AUTH.match(header)
    fields = dict(part.strip().split("=", 1) for part in m.group(1).split(",") if "=" in part) if m else {}
    if not all(k in fields for k in ("Credential", "SignedHeaders", "Signature")):
        raise AuthError(f"Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters "
                        f"(AWS4-HMAC-SHA256). Authorization={header}", "IncompleteSignatureException")
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise AuthError(f"Credential should be scoped to a valid region. Credential={fields['Credential']}",
                        "InvalidSignatureException")
    access_key, day, scope_region, service = scope[0], scope[1], scope[2], scope[3]
    known = lookup(access_key)
    if known is None or (known.token and headers.get("x-amz-security-token") != known.token):
        raise AuthError("The security token included in the request is invalid.", "UnrecognizedClientException")
    if service != "execute-api":
        raise AuthError("Credential should be scoped to correct service: 'execute-api'. ", "InvalidSignatureException")
    if scope_region != region:
        raise AuthError(f"Credential should be scoped to a valid region, not '{scope_region}'. ",
                        "InvalidSignatureException")
    amz_date = headers.get("x-amz-date", "")
    try:
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise AuthError("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
                        "IncompleteSignatureException") from None
    now = now or datetime.now(timezone.utc)
    if abs(now - signed_at) > MAX_SKEW:
        raise AuthError(f"Signature expired: {amz_date} is now earlier than "
                        f"{(now - MAX_SKEW).strftime('%Y%m%dT%H%M%SZ')}", "InvalidSignatureException")
    signed = fields["SignedHeaders"]
    payload_hash = hashlib.sha256(body).hexdigest()
    claimed = headers.get("x-amz-content-sha256")
    if claimed and claimed != payload_hash:
        raise AuthError(MISMATCH, "InvalidSignatureException")
    canonical = "\n".join([
        method.upper(),
        canonical_path(raw_path),
        canonical_query(raw_query),
        "".join(f"{h}:{_trim(headers.get(h, ''))}\n" for h in signed.split(";")),
        signed,
        payload_hash,
    ])
    credential_scope = f"{day}/{scope_region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, credential_scope,
                         hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
    key = _key(known.secret, day, scope_region, service)
    expected = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    if "host" not in signed.split(";") or not hmac.compare_digest(expected, fields["Signature"]):
        raise AuthError(f"{MISMATCH}\n\nThe Canonical String for this request should have been\n'{canonical}'\n\n"
                        f"The String-to-Sign should have been\n'{to_sign}'\n", "InvalidSignatureException")
    return known.caller


def canonical_path(raw_path: str) -> str:
    path = posixpath.normpath(raw_path) if raw_path not in ("", "/") else "/"
    if raw_path.endswith("/") and path != "/":
        path += "/"
    return quote(path, safe="/-_.~")


def canonical_query(raw_query: str) -> str:
    pairs = []
    for part in raw_query.split("&") if raw_query else []:
        k, _, v = part.partition("=")
        pairs.append((quote(unquote(k), safe="-_.~"), quote(unquote(v), safe="-_.~")))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def _trim(value: str) -> str:
    return " ".join(value.strip().split())


def _key(secret: str, day: str, region: str, service: str) -> bytes:
    k = ("AWS4" + secret).encode("utf-8")
    for part in (day, region, service, "aws4_request"):
        k = hmac.new(k, part.encode("utf-8"), hashlib.sha256).digest()
    return k


def static_keys() -> dict[str, str]:
    raw = os.environ.get("STREAMKIT_EMULATOR_ACCESS_KEYS", "testing:testing")
    return dict(pair.split(":", 1) for pair in raw.split(",") if ":" in pair)


def lookup(access_key: str) -> Secret | None:
    """The secret (and session token) of an access key the emulator knows."""
    static = static_keys()
    if access_key in static:
        acct = DEFAULT_ACCOUNT_ID
        root = Caller(access_key, acct, acct, acct, f"arn:aws:iam::{acct}:root")
        return Secret(static[access_key], None, root)
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    for acct in list(iam_backends.keys()):
        for user in list(iam_backends[acct]["aws"].users.values()):
            for key in user.access_keys:
                if key.access_key_id == access_key and key.status == "Active":
                    return Secret(key.secret_access_key, None, Caller(access_key, acct, user.id, user.id, user.arn))
    for acct in list(sts_backends.keys()):
        for role in list(sts_backends[acct]["aws"].assumed_roles):
            if role.access_key_id == access_key:
                principal = f"{role.role_arn.rsplit('/', 1)[-1]}:{role.session_name}"
                return Secret(role.secret_access_key, role.session_token,
                              Caller(access_key, acct, principal, principal, role.arn))
    return None
