//! The proxy over real sockets, against a stand-in upstream that echoes the
//! request body it received.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use super::{FaultProxy, Throttle, Unreachable};

/// Answers every request with its own body (content-length requests only,
/// which is what the proxy sends upstream) and an `x-echo` header.
fn echo_upstream() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for sock in listener.incoming().flatten() {
            let mut sock = sock;
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let (head_end, len) = loop {
                let n = sock.read(&mut chunk).unwrap_or(0);
                if n == 0 {
                    break (0, 0);
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map_or(0, |v| v.trim().parse().unwrap());
                    break (end + 4, len);
                }
            };
            while buf.len() < head_end + len {
                let n = sock.read(&mut chunk).unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let body = &buf[head_end..];
            let head = format!(
                "HTTP/1.1 200 OK\r\nx-echo: 1\r\ncontent-length: {}\r\n\r\n",
                body.len()
            );
            let _ = sock.write_all(head.as_bytes());
            let _ = sock.write_all(body);
        }
    });
    port
}

/// Sends `raw` on a new connection; returns what came back before it closed
/// or, for a response with content-length, the response.
fn exchange(proxy: &FaultProxy, raw: &[u8]) -> String {
    let mut sock = TcpStream::connect(("127.0.0.1", proxy.port())).unwrap();
    sock.write_all(raw).unwrap();
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = sock.read(&mut chunk).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&out).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len = head
                .to_lowercase()
                .lines()
                .find_map(|l| l.strip_prefix("content-length:").map(str::to_string))
                .map_or(0, |v| v.trim().parse().unwrap());
            if body.len() >= len {
                return text;
            }
        }
    }
    String::from_utf8_lossy(&out).to_string()
}

const CHUNKED: &[u8] =
    b"PUT /bucket/key HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n";

#[test]
fn forwards_throttles_and_drops() {
    let proxy = FaultProxy::start(echo_upstream());
    let reply = exchange(&proxy, CHUNKED);
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(
        reply.contains("x-echo: 1"),
        "upstream headers kept: {reply}"
    );
    assert!(
        reply.ends_with("\r\n\r\nWikipedia"),
        "de-chunked body: {reply}"
    );

    proxy.set_throttle(Some(Throttle::every(1, 1)));
    let reply = exchange(&proxy, CHUNKED);
    assert!(reply.starts_with("HTTP/1.1 503"), "{reply}");
    assert!(reply.contains("<Code>SlowDown</Code>"), "{reply}");
    assert!(
        exchange(&proxy, CHUNKED).starts_with("HTTP/1.1 200"),
        "budget spent"
    );

    proxy.set_unreachable(Some(Unreachable::all()));
    assert_eq!(exchange(&proxy, CHUNKED), "", "closed without an answer");
    let injected = proxy.injected();
    assert_eq!(
        (
            injected.throttled_requests,
            injected.dropped_requests,
            injected.forwarded_requests
        ),
        (1, 1, 2)
    );
}
