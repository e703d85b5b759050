"""core/keepalive.py: the emulator keeps HTTP/1.1 connections open for the
next request, as AWS endpoints do (RFC 9112 section 9.3), and closes them
where the next request could not be read safely."""
from __future__ import annotations

import http.client
import json
from urllib.parse import urlparse


def _conn(endpoint: str) -> http.client.HTTPConnection:
    u = urlparse(endpoint)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=10)


def _list_streams(conn: http.client.HTTPConnection) -> http.client.HTTPResponse:
    body = json.dumps({}).encode()
    conn.request("POST", "/", body=body, headers={
        "X-Amz-Target": "Kinesis_20131202.ListStreams", "Content-Type": "application/x-amz-json-1.1",
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/kinesis/aws4_request, "
                         "SignedHeaders=host, Signature=x"})
    return conn.getresponse()


def test_requests_share_one_connection(endpoint):
    conn = _conn(endpoint)
    ports = set()
    for _ in range(5):
        r = _list_streams(conn)
        assert r.status == 200, r.read()
        assert "StreamNames" in json.loads(r.read())
        assert (r.getheader("Connection") or "").lower() != "close"
        ports.add(conn.sock.getsockname()[1])
    assert len(ports) == 1  # the same socket served every request
    conn.close()


def test_a_client_asking_to_close_gets_close(endpoint):
    conn = _conn(endpoint)
    conn.request("GET", "/moto-api/", headers={"Connection": "close"})
    r = conn.getresponse()
    r.read()
    assert r.status == 200
    assert r.will_close


def test_an_unread_body_closes_the_connection(endpoint):
    # moto-api's page does not read a request body: the rest of the body must
    # not be taken for the next request, so the connection is closed.
    conn = _conn(endpoint)
    conn.request("GET", "/moto-api/", body=b"x" * 100, headers={"Content-Length": "100"})
    r = conn.getresponse()
    r.read()
    assert r.will_close
    conn.close()


def test_an_answer_is_one_write_and_100_continue_is_not_held(endpoint):
    """The status line, headers and body of an answer arrive together; a
    client that sends `Expect: 100-continue` (RFC 9110 section 10.1.1; the
    AWS SDKs do for large S3 uploads) gets the interim answer before it
    sends the body, not after a timeout."""
    import socket
    import time

    u = urlparse(endpoint)
    body = json.dumps({}).encode()
    head = ("POST / HTTP/1.1\r\nHost: {h}\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\n"
            "Content-Type: application/x-amz-json-1.1\r\nContent-Length: {n}\r\n"
            "Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/kinesis/aws4_request, "
            "SignedHeaders=host, Signature=x\r\n").format(h=u.netloc, n=len(body))
    with socket.create_connection((u.hostname, u.port), timeout=10) as sock:
        sock.sendall((head + "Expect: 100-continue\r\n\r\n").encode())
        started = time.monotonic()
        sock.settimeout(2)
        interim = sock.recv(4096)
        assert interim.startswith(b"HTTP/1.1 100"), interim
        assert time.monotonic() - started < 2
        sock.settimeout(10)
        sock.sendall(body)
        answer = b""
        while b"StreamNames" not in answer:
            chunk = sock.recv(65536)
            assert chunk, answer
            answer += chunk
        assert b"HTTP/1.1 200" in answer
        # Without Expect: the whole answer is in the first segment read.
        sock.sendall((head + "\r\n").encode() + body)
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200") and first.rstrip().endswith(b"}"), first
