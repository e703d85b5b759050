"""S3: `AWS::S3::BucketPolicy`, the bucket properties moto drops (versioning,
lifecycle, public access block, encryption, logging, ownership), the
GetBucketVersioning response shape, and bucket policies evaluated with their
conditions (`s3_policy`): a request from the loopback interface counts as
TLS (`aws:SecureTransport` true), so the stacks' TLS-only buckets accept the
local endpoint's plain-HTTP writes while their other statements still apply."""
from __future__ import annotations

import ipaddress
import threading
from typing import Any

from moto.core.common_models import CloudFormationModel
from moto.s3.models import FakeBucket, s3_backends
from moto.utilities.utils import get_partition

from streamkit_emulator.core.common import MODULE, StreamkitModel, as_bool, as_int, policy_text, wrap_create


class BucketPolicy(StreamkitModel, CloudFormationModel):
    __module__ = MODULE
    CFN_TYPE = "AWS::S3::BucketPolicy"
    ATTRIBUTES = {"Id": "ref"}

    def __init__(self, bucket: str):
        self.bucket = bucket
        self.ref = bucket

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        backend = s3_backends[account_id][get_partition(region_name)]
        backend.put_bucket_policy(
            props["Bucket"], policy_text(props["PolicyDocument"]).encode("utf-8")
        )
        return cls(props["Bucket"])

    def delete(self, account_id: str, region_name: str) -> None:
        backend = s3_backends[account_id][get_partition(region_name)]
        if self.bucket in backend.buckets:
            backend.delete_bucket_policy(self.bucket)


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"ID": rule.get("Id"), "Status": rule["Status"]}
    lc_filter: dict[str, Any] = {}
    if "Prefix" in rule:
        lc_filter["Prefix"] = rule["Prefix"]
    if rule.get("TagFilters"):
        lc_filter["And"] = {"Prefix": rule.get("Prefix", ""), "Tag": rule["TagFilters"]}
        lc_filter.pop("Prefix", None)
    out["Filter"] = lc_filter or {"Prefix": ""}
    if "ExpirationInDays" in rule:
        out["Expiration"] = {"Days": as_int(rule["ExpirationInDays"])}
    if "ExpirationDate" in rule:
        out["Expiration"] = {"Date": rule["ExpirationDate"]}
    transitions = list(rule.get("Transitions", []))
    if "Transition" in rule:
        transitions.append(rule["Transition"])
    if transitions:
        out["Transition"] = [
            {"Days": as_int(t.get("TransitionInDays")), "StorageClass": t["StorageClass"]}
            if "TransitionInDays" in t
            else {"Date": t.get("TransitionDate"), "StorageClass": t["StorageClass"]}
            for t in transitions
        ]
    if "AbortIncompleteMultipartUpload" in rule:
        out["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": as_int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
        }
    if "NoncurrentVersionExpiration" in rule:
        out["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": as_int(rule["NoncurrentVersionExpiration"]["NoncurrentDays"])
        }
    if "NoncurrentVersionExpirationInDays" in rule:
        out["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": as_int(rule["NoncurrentVersionExpirationInDays"])
        }
    nvt = list(rule.get("NoncurrentVersionTransitions", []))
    if nvt:
        out["NoncurrentVersionTransition"] = [
            {"NoncurrentDays": as_int(t["TransitionInDays"]), "StorageClass": t["StorageClass"]} for t in nvt
        ]
    return out


def _bucket_after(bucket: FakeBucket, props: dict[str, Any], account_id: str, region_name: str) -> None:
    backend = s3_backends[account_id][get_partition(region_name)]
    name = bucket.name
    versioning = props.get("VersioningConfiguration")
    if versioning:
        backend.put_bucket_versioning(name, versioning["Status"])
    lifecycle = props.get("LifecycleConfiguration")
    if lifecycle and lifecycle.get("Rules"):
        backend.put_bucket_lifecycle(name, [_lifecycle_rule(r) for r in lifecycle["Rules"]])
    block = props.get("PublicAccessBlockConfiguration")
    if block:
        backend.put_public_access_block(
            name, {k: str(as_bool(v)).lower() if isinstance(as_bool(v), bool) else v for k, v in block.items()}
        )
    enc = props.get("BucketEncryption")
    if enc:
        rules = []
        for rule in enc.get("ServerSideEncryptionConfiguration", []):
            by_default = rule.get("ServerSideEncryptionByDefault", {})
            api_rule: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": dict(by_default)}
            if "BucketKeyEnabled" in rule:
                api_rule["BucketKeyEnabled"] = str(as_bool(rule["BucketKeyEnabled"])).lower()
            rules.append(api_rule)
        backend.put_bucket_encryption(name, {"Rule": rules[0] if len(rules) == 1 else rules})
    logging = props.get("LoggingConfiguration")
    if logging:
        # Set directly: moto checks log-delivery permissions of the target
        # bucket, whose policy CloudFormation may attach later.
        bucket.logging = {
            "TargetBucket": logging.get("DestinationBucketName", name),
            "TargetPrefix": logging.get("LogFilePrefix", ""),
        }
    ownership = props.get("OwnershipControls")
    if ownership and ownership.get("Rules"):
        backend.put_bucket_ownership_controls(name, ownership["Rules"][0]["ObjectOwnership"])


def _s3_versioning_response() -> None:
    """GetBucketVersioning: AWS's root element is VersioningConfiguration (moto
    names it after the operation, which SDKs other than boto3 reject)."""
    from xml.sax.saxutils import escape

    from moto.s3.responses import S3Response

    def get_bucket_versioning(self: Any) -> Any:
        status = self.backend.get_bucket_versioning(self.bucket_name)
        inner = f"<Status>{escape(status)}</Status>" if status else ""
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{inner}</VersioningConfiguration>'
        )
        return 200, {"Content-Type": "application/xml"}, body

    S3Response.get_bucket_versioning = get_bucket_versioning




_request = threading.local()


def request_context(request: Any) -> dict[str, str]:
    """The policy condition keys of an HTTP request (lower-case names)."""
    addr = getattr(request, "remote_addr", None) or ""
    try:
        from streamkit_emulator.iam.enforce import loopback_is_tls

        loopback = ipaddress.ip_address(addr).is_loopback and loopback_is_tls()
    except ValueError:
        loopback = False
    secure = loopback or getattr(request, "scheme", "") == "https"
    context = {"aws:securetransport": "true" if secure else "false"}
    if addr:
        context["aws:sourceip"] = addr
    return context


def _bucket_policy_with_conditions() -> None:
    from moto.iam.access_control import PermissionResult
    from moto.s3.responses import S3Response

    from streamkit_emulator.s3 import policy as s3_policy

    setup_class = S3Response.setup_class

    def setup(self: Any, request: Any, full_url: str, headers: Any) -> None:
        _request.context = request_context(request)
        setup_class(self, request, full_url, headers)

    def get_permission(self: Any, action: str, resource: str) -> Any:
        from streamkit_emulator.iam import enforce

        if self.policy is None or enforce.enabled():  # IAM enforced: the bucket policy is decided there, per caller
            return PermissionResult.NEUTRAL
        if self.policy is None:
            return PermissionResult.NEUTRAL
        context = getattr(_request, "context", None) or {"aws:securetransport": "true"}
        verdict = s3_policy.evaluate(self.policy, action, resource, context)
        return getattr(PermissionResult, verdict)

    S3Response.setup_class = setup
    FakeBucket.get_permission = get_permission


def install() -> None:
    """Applies this module's patches to moto (once, from `streamkit_emulator.install`)."""
    wrap_create(FakeBucket, _bucket_after)
    _s3_versioning_response()
    _bucket_policy_with_conditions()
    from streamkit_emulator.s3 import checksums as s3_checksums
    from streamkit_emulator.s3 import metrics as s3_metrics

    s3_checksums.install()
    s3_metrics.install()
