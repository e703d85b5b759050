"""S3 object checksums as AWS keeps them: a PutObject that carries an
`x-amz-checksum-<algorithm>` value (as a header, or as the trailer of an
aws-chunked body) is checked against the body it came with and refused with
`BadDigest` when they differ; the value is stored with the object, so
HeadObject/GetObject with `x-amz-checksum-mode: ENABLED` return it.

moto 5.2.1 stores a given value without checking it, and ignores it unless
`x-amz-sdk-checksum-algorithm` names the algorithm as well (boto3 and the
Rust SDK send the header alone when the caller supplies the value)."""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any, Callable

from moto.s3.exceptions import S3ClientError

# Algorithms whose value this module computes exactly; others (CRC32C,
# CRC64NVME, which moto approximates without optional libraries) are stored
# as given, unchecked.
_DIGESTS: dict[str, Callable[[bytes], bytes]] = {
    "SHA256": lambda b: hashlib.sha256(b).digest(),
    "SHA1": lambda b: hashlib.sha1(b).digest(),
    "CRC32": lambda b: binascii.crc32(b).to_bytes(4, "big"),
}
_KNOWN = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")


class BadDigest(S3ClientError):
    code = "BadDigest"

    def __init__(self, algorithm: str) -> None:
        super().__init__(
            "BadDigest",
            f"The {algorithm} you specified did not match the calculated checksum.",
        )


def checksum_of(algorithm: str, body: bytes) -> str | None:
    """The base64 checksum S3 reports for `body`, when computed exactly here."""
    digest = _DIGESTS.get(algorithm.upper())
    return base64.b64encode(digest(body)).decode("ascii") if digest else None


def _given(headers: Any, raw_body: bytes) -> tuple[str, str | None]:
    """(algorithm, value) the request names: SDK header, a checksum header, or
    the trailer of an aws-chunked body; ("", None) when there is none."""
    algorithm = (headers.get("x-amz-sdk-checksum-algorithm") or "").upper()
    candidates = [algorithm] if algorithm else list(_KNOWN)
    for algo in candidates:
        value = headers.get(f"x-amz-checksum-{algo.lower()}")
        if value:
            return algo, value
    trailer = (headers.get("x-amz-trailer") or "").lower()
    match = re.fullmatch(r"x-amz-checksum-(\w+)", trailer.strip())
    if match:
        algo = match.group(1).upper()
        found = re.search(rb"x-amz-checksum-" + algo.lower().encode() + rb":([A-Za-z0-9+/=]+)", raw_body)
        return algo, found.group(1).decode("ascii") if found else None
    return algorithm, None


def _strict_get_checksum() -> None:
    from moto.s3.responses import S3Response

    def get_checksum(self: Any, response_headers: dict[str, Any]) -> tuple[str, str | None]:
        algorithm, value = _given(self.headers, self.raw_body or b"")
        if not algorithm:
            return "", None
        body = self.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        computed = checksum_of(algorithm, body)
        if value is None:
            value = computed
        elif computed is not None and computed != value:
            raise BadDigest(algorithm)
        if value is not None:
            response_headers[f"x-amz-checksum-{algorithm.lower()}"] = value
        return algorithm, value

    S3Response._get_checksum = get_checksum


def install() -> None:
    """Applies this module's patches to moto (once, from `s3.install`)."""
    _strict_get_checksum()
