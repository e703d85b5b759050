"""The compression formats of a Firehose S3 destination, with real codecs.

| CompressionFormat | object suffix | Content-Encoding | bytes written |
|---|---|---|---|
| UNCOMPRESSED | (none) | (none) | the records as delivered |
| GZIP | `.gz` | `gzip` | one gzip member (RFC 1952) |
| ZIP | `.zip` | `zip` | a zip archive with one deflated entry |
| Snappy | `.snappy` | `snappy-java` | snappy-java's stream format: the 16-byte header (`\\x82SNAPPY\\x00`, version 1, compatible version 1), then per block of at most 32 KiB a big-endian length and one raw Snappy block |
| HADOOP_SNAPPY | `.snappy` | `hadoop-snappy` | Hadoop's block framing: per block of at most 256 KiB its big-endian uncompressed length, then big-endian length + raw Snappy chunks |

The two Snappy variants are what Firehose writes (its object-name page lists
`.hsnappy` for HADOOP_SNAPPY, but delivered objects carry `.snappy`; only the
Content-Encoding tells them apart). Raw Snappy blocks come from `cramjam`
(pinned in requirements.txt); the framing is written here.
"""
from __future__ import annotations

import gzip
import io
import struct
import zipfile
from dataclasses import dataclass
from typing import Callable

import cramjam

XERIAL_MAGIC = b"\x82SNAPPY\x00"
XERIAL_BLOCK = 32 * 1024
HADOOP_BLOCK = 256 * 1024


@dataclass(frozen=True)
class Codec:
    name: str
    extension: str
    content_encoding: str | None
    compress: Callable[[bytes, str], bytes]  # (data, entry name) -> object body


def _raw(block: bytes) -> bytes:
    return bytes(cramjam.snappy.compress_raw(block))


def _xerial(data: bytes, _name: str) -> bytes:
    out = bytearray(XERIAL_MAGIC + struct.pack(">ii", 1, 1))
    for i in range(0, len(data), XERIAL_BLOCK):
        block = _raw(data[i : i + XERIAL_BLOCK])
        out += struct.pack(">i", len(block)) + block
    return bytes(out)


def _hadoop(data: bytes, _name: str) -> bytes:
    out = bytearray()
    for i in range(0, len(data), HADOOP_BLOCK):
        plain = data[i : i + HADOOP_BLOCK]
        block = _raw(plain)
        out += struct.pack(">I", len(plain)) + struct.pack(">I", len(block)) + block
    return bytes(out)


def _zip(data: bytes, name: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buf.getvalue()


CODECS = {
    "UNCOMPRESSED": Codec("UNCOMPRESSED", "", None, lambda d, _n: d),
    "GZIP": Codec("GZIP", ".gz", "gzip", lambda d, _n: gzip.compress(d)),
    "ZIP": Codec("ZIP", ".zip", "zip", _zip),
    "Snappy": Codec("Snappy", ".snappy", "snappy-java", _xerial),
    "HADOOP_SNAPPY": Codec("HADOOP_SNAPPY", ".snappy", "hadoop-snappy", _hadoop),
}


def codec(fmt: str | None) -> Codec:
    """The codec of a CompressionFormat (absent means UNCOMPRESSED)."""
    try:
        return CODECS[fmt or "UNCOMPRESSED"]
    except KeyError:
        raise ValueError(
            f"CompressionFormat {fmt!r} is not one of {', '.join(CODECS)}"
        ) from None
