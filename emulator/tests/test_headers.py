"""core/headers.py reads request headers exactly as the standard library's
email-parser-based `http.client.parse_headers` does (RFC 9110 section 5:
field names, values without surrounding blanks; RFC 9112 section 5.2:
obsolete line folding left to the email parser)."""
from __future__ import annotations

import http.client
import io
import random

import pytest

from streamkit_emulator.core import headers

_original = headers._original


def _state(message):
    state = {k: v for k, v in vars(message).items() if k not in ("policy", "defects")}
    return state, [type(d).__name__ for d in message.defects], message.items(), message.get_payload()


def _both(block: bytes):
    return _state(headers.parse_headers(io.BytesIO(block))), _state(_original(io.BytesIO(block)))


SDK = (b"Host: 127.0.0.1:4566\r\nAccept-Encoding: identity\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\n"
       b"Content-Type: application/x-amz-json-1.0\r\nUser-Agent: aws-sdk-rust/1.3.9 os/linux lang/rust/1.83\r\n"
       b"X-Amz-Date: 20261206T234500Z\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKID/20261206/us-east-1/dynamodb/"
       b"aws4_request, SignedHeaders=host;x-amz-date, Signature=0123\r\nContent-Length: 412\r\n\r\n{\"body\": 1}")


@pytest.mark.parametrize("block", [
    SDK,
    b"\r\n",
    b"",
    b"A: 1\n\n",  # bare LF line ends
    b"Empty:\r\nSpaces:   \t padded \t \r\nColon: a:b:c\r\n\r\n",
    b"Dup: 1\r\nDUP: 2\r\ndup: 3\r\n\r\n",
    b"Latin: caf\xe9\r\n\r\n",
    b"Folded: one\r\n two\r\n\tthree\r\n\r\n",  # obsolete folding: the email parser's
    b"No colon here\r\nX: 1\r\n\r\n",
    b"Bad Name: 1\r\n\r\n",
    b"From someone\r\nX: 1\r\n\r\n",
    b":empty name\r\n\r\n",
    b"X: 1\r\n",  # no blank line (connection closed)
])
def test_same_as_the_email_parser(block):
    fast, slow = _both(block)
    assert fast == slow


def test_random_header_blocks_parse_alike():
    rng = random.Random(7)
    alphabet = [bytes([c]) for c in range(32, 127)] + [b"\t", b":", b" ", b"\xe9"]
    for _ in range(2000):
        lines = []
        for _ in range(rng.randrange(0, 6)):
            name = b"".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 8)))
            value = b"".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))
            lines.append(name + rng.choice([b":", b": ", b""]) + value + rng.choice([b"\r\n", b"\n"]))
        block = b"".join(lines) + b"\r\n"
        fast, slow = _both(block)
        assert fast == slow, block


def test_limits_are_the_standard_library_s():
    with pytest.raises(http.client.LineTooLong):
        headers.parse_headers(io.BytesIO(b"X: " + b"a" * 70000 + b"\r\n\r\n"))
    with pytest.raises(http.client.HTTPException):
        headers.parse_headers(io.BytesIO(b"".join(b"X%d: 1\r\n" % i for i in range(101)) + b"\r\n"))


def test_installed_for_the_server():
    headers.install()
    try:
        assert http.client.parse_headers is headers.parse_headers
        assert http.client.parse_headers(io.BytesIO(SDK))["x-amz-target"] == "DynamoDB_20120810.PutItem"
    finally:
        http.client.parse_headers = _original
