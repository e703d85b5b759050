//! Just enough HTTP/1.1 for the test proxy: read requests off a kept-alive
//! client connection (content-length or chunked bodies, `Expect:
//! 100-continue`), forward one to the emulator on a fresh connection, and
//! write a response back with its headers intact.

use std::io;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One request as the client sent it; the body is de-chunked.
#[derive(Debug, Clone)]
pub struct Request {
    /// `POST / HTTP/1.1`
    pub line: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn method(&self) -> &str {
        self.line.split(' ').next().unwrap_or("")
    }

    pub fn path(&self) -> &str {
        self.line.split(' ').nth(1).unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

/// A response to write to the client.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The answer to a HEAD request: headers (content-length included) as is, no body.
    pub head_only: bool,
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        let reason = match status {
            200 => "OK",
            400 => "Bad Request",
            502 => "Bad Gateway",
            503 => "Service Unavailable",
            _ => "Status",
        };
        Response {
            status,
            reason: reason.into(),
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
            head_only: false,
        }
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Headers the proxy recomputes instead of passing on.
fn hop_by_hop(name: &str) -> bool {
    [
        "content-length",
        "connection",
        "transfer-encoding",
        "expect",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

fn parse_head(head: &[u8]) -> (String, Vec<(String, String)>) {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let first = lines.next().unwrap_or("").to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    (first, headers)
}

/// Reads more bytes into `buf`; `None` at end of stream or on error.
async fn fill(sock: &mut TcpStream, buf: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 65536];
    match sock.read(&mut chunk).await {
        Ok(0) | Err(_) => None,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            Some(())
        }
    }
}

/// The next request on a client connection; `None` when the client is gone.
/// `buf` carries bytes already read past the previous request.
pub async fn read_request(sock: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Request> {
    let end = loop {
        if let Some(end) = find(buf, b"\r\n\r\n") {
            break end;
        }
        fill(sock, buf).await?;
    };
    let (line, headers) = parse_head(&buf[..end]);
    buf.drain(..end + 4);
    if header(&headers, "expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
        sock.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await
            .ok()?;
    }
    let chunked = header(&headers, "transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let body = if chunked {
        loop {
            if let Some((body, used)) = dechunk(buf) {
                buf.drain(..used);
                break body;
            }
            fill(sock, buf).await?;
        }
    } else {
        let len: usize = header(&headers, "content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < len {
            fill(sock, buf).await?;
        }
        buf.drain(..len).collect()
    };
    Some(Request {
        line,
        headers,
        body,
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Decodes a complete chunked body at the start of `buf`: (body, bytes used),
/// or `None` when more bytes are needed.
fn dechunk(buf: &[u8]) -> Option<(Vec<u8>, usize)> {
    let (mut body, mut at) = (Vec::new(), 0);
    loop {
        let line_end = at + find(&buf[at..], b"\r\n")?;
        let size_text = String::from_utf8_lossy(&buf[at..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        at = line_end + 2;
        if size == 0 {
            // Trailers, then an empty line.
            let trailer_end = at + find(&buf[at..], b"\r\n")?;
            if trailer_end == at {
                return Some((body, at + 2));
            }
            let rest = at + find(&buf[at..], b"\r\n\r\n")?;
            return Some((body, rest + 4));
        }
        if buf.len() < at + size + 2 {
            return None;
        }
        body.extend_from_slice(&buf[at..at + size]);
        at += size + 2;
    }
}

/// Sends `req` (with `body` in place of its own) to the emulator on a fresh
/// connection and reads the whole response.
pub async fn forward(upstream: u16, req: &Request, body: &[u8]) -> io::Result<Response> {
    let mut up = TcpStream::connect(("127.0.0.1", upstream)).await?;
    let mut out = format!("{}\r\n", req.line);
    for (k, v) in req.headers.iter().filter(|(k, _)| !hop_by_hop(k)) {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    up.write_all(out.as_bytes()).await?;
    up.write_all(body).await?;
    let mut raw = Vec::new();
    up.read_to_end(&mut raw).await?;
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
    let end = find(&raw, b"\r\n\r\n").ok_or_else(|| bad("no response head"))?;
    let (status_line, headers) = parse_head(&raw[..end]);
    let mut parts = status_line.splitn(3, ' ').skip(1);
    let status = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status"))?;
    let reason = parts.next().unwrap_or("").to_string();
    let rest = &raw[end + 4..];
    let head_only = req.method().eq_ignore_ascii_case("HEAD");
    let chunked = header(&headers, "transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let body = if head_only {
        Vec::new()
    } else if chunked {
        dechunk(rest)
            .ok_or_else(|| bad("truncated chunked body"))?
            .0
    } else {
        rest.to_vec()
    };
    Ok(Response {
        status,
        reason,
        headers,
        body,
        head_only,
    })
}

/// Writes `resp` to the client (keep-alive).
pub async fn write_response(sock: &mut TcpStream, resp: &Response) -> io::Result<()> {
    let mut out = format!("HTTP/1.1 {} {}\r\n", resp.status, resp.reason);
    for (k, v) in &resp.headers {
        let keep_length = resp.head_only && k.eq_ignore_ascii_case("content-length");
        if keep_length || !hop_by_hop(k) {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    if !resp.head_only {
        out.push_str(&format!("content-length: {}\r\n", resp.body.len()));
    }
    out.push_str("\r\n");
    sock.write_all(out.as_bytes()).await?;
    if !resp.head_only {
        sock.write_all(&resp.body).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::dechunk;

    #[test]
    fn dechunks_complete_bodies_only() {
        let raw = b"4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\n\r\nNEXT";
        let (body, used) = dechunk(raw).unwrap();
        assert_eq!(body, b"Wikipedia");
        assert_eq!(&raw[used..], b"NEXT");
        assert!(dechunk(&raw[..12]).is_none(), "incomplete");
        let trailer = b"1\r\nx\r\n0\r\nx-amz-checksum: abc\r\n\r\n";
        assert_eq!(dechunk(trailer).unwrap(), (b"x".to_vec(), trailer.len()));
    }
}
