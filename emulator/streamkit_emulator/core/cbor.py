"""Smithy RPC v2 CBOR for moto 5.2.1.

Current AWS SDKs (the Rust SDK among them) speak `smithy-rpc-v2-cbor` to
CloudWatch: `POST /service/<Service>/operation/<Op>` with a CBOR body. moto
routes only the Query and JSON protocols, so this WSGI shim turns such a request
into the equivalent AWS JSON 1.0 request (`X-Amz-Target: <Service>.<Op>`), lets
moto answer, and encodes the JSON answer back as CBOR (timestamps as tag 1)."""
from __future__ import annotations

import gzip
import io
import json
import re
import struct
from typing import Any

from moto.moto_server import werkzeug_app

PATH = re.compile(r"^/service/(?P<service>[^/]+)/operation/(?P<op>[^/]+)$")
TIMESTAMP_KEYS = re.compile(r"(Timestamp|Timestamps|LastModified|Time)$")


# ----------------------------------------------------------------- CBOR codec


class _Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        out = self.data[self.pos : self.pos + n]
        if len(out) != n:
            raise ValueError("truncated CBOR")
        self.pos += n
        return out

    def arg(self, info: int) -> int | None:
        if info < 24:
            return info
        if info == 24:
            return self.take(1)[0]
        if info == 25:
            return struct.unpack(">H", self.take(2))[0]
        if info == 26:
            return struct.unpack(">I", self.take(4))[0]
        if info == 27:
            return struct.unpack(">Q", self.take(8))[0]
        if info == 31:
            return None  # indefinite length
        raise ValueError(f"bad CBOR additional info {info}")

    def item(self) -> Any:
        initial = self.take(1)[0]
        major, info = initial >> 5, initial & 0x1F
        if major == 7:
            if info == 20:
                return False
            if info == 21:
                return True
            if info in (22, 23):
                return None
            if info == 25:
                return _half(self.take(2))
            if info == 26:
                return struct.unpack(">f", self.take(4))[0]
            if info == 27:
                return struct.unpack(">d", self.take(8))[0]
            if info == 31:
                return _BREAK
            raise ValueError(f"bad CBOR simple value {info}")
        n = self.arg(info)
        if major == 0:
            return n
        if major == 1:
            return -1 - n  # type: ignore[operator]
        if major in (2, 3):
            if n is None:
                parts = []
                while (part := self.item()) is not _BREAK:
                    parts.append(part)
                return (b"" if major == 2 else "").join(parts)
            raw = self.take(n)
            return raw if major == 2 else raw.decode("utf-8")
        if major == 4:
            if n is None:
                out = []
                while (x := self.item()) is not _BREAK:
                    out.append(x)
                return out
            return [self.item() for _ in range(n)]
        if major == 5:
            result = {}
            if n is None:
                while (k := self.item()) is not _BREAK:
                    result[k] = self.item()
                return result
            for _ in range(n):
                k = self.item()
                result[k] = self.item()
            return result
        if major == 6:
            return self.item()  # tag 1 (epoch time) and others: the value itself
        raise ValueError(f"bad CBOR major type {major}")


_BREAK = object()


def _half(b: bytes) -> float:
    h = struct.unpack(">H", b)[0]
    sign = -1.0 if h & 0x8000 else 1.0
    exp = (h >> 10) & 0x1F
    frac = h & 0x3FF
    if exp == 0:
        return sign * frac * 2.0**-24
    if exp == 31:
        return sign * float("inf") if frac == 0 else float("nan")
    return sign * (1 + frac / 1024.0) * 2.0 ** (exp - 15)


def decode(data: bytes) -> Any:
    return _Reader(data).item() if data else {}


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    if n < 0x100:
        return bytes([major << 5 | 24, n])
    if n < 0x10000:
        return bytes([major << 5 | 25]) + struct.pack(">H", n)
    if n < 0x100000000:
        return bytes([major << 5 | 26]) + struct.pack(">I", n)
    return bytes([major << 5 | 27]) + struct.pack(">Q", n)


def encode(value: Any, key: str = "") -> bytes:
    if value is None:
        return b"\xf6"
    if value is True:
        return b"\xf5"
    if value is False:
        return b"\xf4"
    if key and TIMESTAMP_KEYS.search(key) and isinstance(value, (int, float)):
        return b"\xc1" + b"\xfb" + struct.pack(">d", float(value))
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _head(3, len(raw)) + raw
    if isinstance(value, (bytes, bytearray)):
        return _head(2, len(value)) + bytes(value)
    if isinstance(value, (list, tuple)):
        return _head(4, len(value)) + b"".join(encode(v, key) for v in value)
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(
            encode(k) + encode(v, str(k)) for k, v in value.items()
        )
    raise TypeError(f"cannot encode {type(value).__name__} as CBOR")


# ----------------------------------------------------------------- WSGI shim

_call = werkzeug_app.DomainDispatcherApplication.__call__


def __call__(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
    match = PATH.match(environ.get("PATH_INFO", ""))
    if not match or "cbor" not in environ.get("HTTP_SMITHY_PROTOCOL", "cbor"):
        return _call(self, environ, start_response)
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    if environ.get("HTTP_CONTENT_ENCODING") == "gzip":  # SDKs compress large PutMetricData
        body = gzip.decompress(body)
    payload = json.dumps(decode(body)).encode("utf-8")
    environ = dict(environ)
    environ.pop("HTTP_CONTENT_ENCODING", None)
    environ["PATH_INFO"] = "/"
    environ["REQUEST_URI"] = "/"
    environ["RAW_URI"] = "/"
    environ["CONTENT_TYPE"] = "application/x-amz-json-1.0"
    environ["CONTENT_LENGTH"] = str(len(payload))
    environ["HTTP_X_AMZ_TARGET"] = f"{match['service']}.{match['op']}"
    environ["wsgi.input"] = io.BytesIO(payload)
    captured: dict[str, Any] = {}

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"] = status
        captured["headers"] = headers
        return lambda data: None

    chunks = _call(self, environ, capture)
    text = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    try:
        doc = json.loads(text or b"{}")
    except ValueError:
        doc = {"__type": "InternalFailure", "message": text.decode("utf-8", "replace")}
    status = captured.get("status", "500 INTERNAL SERVER ERROR")
    if not status.startswith("2") and isinstance(doc, dict) and "__type" not in doc:
        code = doc.get("Error", {}).get("Code") or doc.get("code") or "InternalFailure"
        doc = {"__type": code, "message": doc.get("message") or doc.get("Message") or str(doc)}
    out = encode(doc)
    headers = [
        (k, v)
        for k, v in captured.get("headers", [])
        if k.lower() not in ("content-type", "content-length")
    ]
    headers += [
        ("Content-Type", "application/cbor"),
        ("Content-Length", str(len(out))),
        ("smithy-protocol", "rpc-v2-cbor"),
    ]
    start_response(status, headers)
    return [out]


def install() -> None:
    """Routes rpc-v2-cbor requests through moto's JSON protocol."""
    werkzeug_app.DomainDispatcherApplication.__call__ = __call__
