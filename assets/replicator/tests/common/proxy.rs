//! An HTTP/1.1 proxy in front of the emulator that makes chosen PutRecords
//! entries fail (as throttling would): failed entries never reach the
//! emulator, and the response reports them with an error code.

use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Which entries to reject.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Every `n`-th entry seen fails, for the first `budget` failures.
    EveryNth { n: usize, budget: usize },
    /// Every entry with this partition key fails, always.
    Key(String),
}

pub struct Proxy {
    pub addr: SocketAddr,
    pub injected: Arc<AtomicUsize>,
}

impl Proxy {
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }
}

pub async fn start(upstream: u16, fault: Fault) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let injected = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = injected.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let (fault, injected, seen) = (fault.clone(), counter.clone(), seen.clone());
            tokio::spawn(async move { serve(sock, upstream, fault, injected, seen).await });
        }
    });
    Proxy { addr, injected }
}

struct Request {
    head: Vec<String>,
    body: Vec<u8>,
}

async fn read_message(sock: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Request> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head: Vec<String> = String::from_utf8_lossy(&buf[..end])
                .split("\r\n")
                .map(str::to_string)
                .collect();
            let len = header(&head, "content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let mut chunk = [0u8; 65536];
                let n = sock.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let body = buf[end + 4..end + 4 + len].to_vec();
            buf.drain(..end + 4 + len);
            return Some(Request { head, body });
        }
        let mut chunk = [0u8; 65536];
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn header<'a>(head: &'a [String], name: &str) -> Option<&'a str> {
    head.iter().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

async fn serve(
    mut sock: TcpStream,
    upstream: u16,
    fault: Fault,
    injected: Arc<AtomicUsize>,
    seen: Arc<AtomicUsize>,
) {
    let mut buf = Vec::new();
    while let Some(req) = read_message(&mut sock, &mut buf).await {
        let is_put_records =
            header(&req.head, "x-amz-target") == Some("Kinesis_20131202.PutRecords");
        let (status, body) = if is_put_records {
            put_records(&req, upstream, &fault, &injected, &seen).await
        } else {
            forward(&req.head, &req.body, upstream).await
        };
        let out = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        if sock.write_all(out.as_bytes()).await.is_err() || sock.write_all(&body).await.is_err() {
            return;
        }
    }
}

async fn put_records(
    req: &Request,
    upstream: u16,
    fault: &Fault,
    injected: &AtomicUsize,
    seen: &AtomicUsize,
) -> (String, Vec<u8>) {
    let mut doc: Value = serde_json::from_slice(&req.body).expect("PutRecords JSON");
    let entries = doc["Records"].as_array().cloned().unwrap_or_default();
    let mut keep = Vec::new();
    let mut failed = vec![false; entries.len()];
    for (i, e) in entries.iter().enumerate() {
        let n = seen.fetch_add(1, Ordering::SeqCst);
        let fail = match fault {
            Fault::EveryNth { n: every, budget } => {
                n % every == every - 1 && injected.load(Ordering::SeqCst) < *budget
            }
            Fault::Key(k) => e["PartitionKey"].as_str() == Some(k.as_str()),
        };
        if fail {
            injected.fetch_add(1, Ordering::SeqCst);
            failed[i] = true;
        } else {
            keep.push(e.clone());
        }
    }
    let mut results = Vec::new();
    if !keep.is_empty() {
        doc["Records"] = Value::Array(keep);
        let (status, body) = forward(&req.head, &serde_json::to_vec(&doc).unwrap(), upstream).await;
        if !status.starts_with("200") {
            return (status, body);
        }
        let resp: Value = serde_json::from_slice(&body).expect("upstream JSON");
        results = resp["Records"].as_array().cloned().unwrap_or_default();
    }
    let mut upstream_results = results.into_iter();
    let mut merged = Vec::new();
    let mut failures = 0;
    for f in failed {
        if f {
            failures += 1;
            merged.push(json!({"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded for shard (injected by the test proxy)"}));
        } else {
            let r = upstream_results.next().expect("one result per kept entry");
            if r.get("ErrorCode").is_some() {
                failures += 1;
            }
            merged.push(r);
        }
    }
    let body = json!({"FailedRecordCount": failures, "Records": merged});
    ("200 OK".into(), serde_json::to_vec(&body).unwrap())
}

/// Sends one request to the emulator on a fresh connection; returns status and body.
async fn forward(head: &[String], body: &[u8], upstream: u16) -> (String, Vec<u8>) {
    let mut up = TcpStream::connect(("127.0.0.1", upstream))
        .await
        .expect("emulator reachable");
    let mut out = String::new();
    out.push_str(&head[0]);
    out.push_str("\r\n");
    for line in &head[1..] {
        let name = line
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if name != "content-length" && name != "connection" && name != "transfer-encoding" {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    up.write_all(out.as_bytes()).await.unwrap();
    up.write_all(body).await.unwrap();
    let mut resp = Vec::new();
    up.read_to_end(&mut resp).await.unwrap();
    let end = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("response head");
    let head = String::from_utf8_lossy(&resp[..end]).to_string();
    let status = head
        .lines()
        .next()
        .and_then(|l| l.split_once(' '))
        .map_or("502", |(_, rest)| rest)
        .to_string();
    (status, resp[end + 4..].to_vec())
}

/// Records every request (path, body) and answers an empty rpc-v2-cbor success.
type Calls = Arc<std::sync::Mutex<Vec<(String, Vec<u8>)>>>;

pub struct Capture {
    pub addr: SocketAddr,
    calls: Calls,
}

impl Capture {
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn calls(&self) -> Vec<(String, Vec<u8>)> {
        self.calls.lock().unwrap().clone()
    }
}

pub async fn capture_server() -> Capture {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let calls: Calls = Default::default();
    let store = calls.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                while let Some(req) = read_message(&mut sock, &mut buf).await {
                    let path = req.head[0].split(' ').nth(1).unwrap_or("").to_string();
                    store.lock().unwrap().push((path, req.body));
                    let resp = b"HTTP/1.1 200 OK\r\ncontent-type: application/cbor\r\nsmithy-protocol: rpc-v2-cbor\r\ncontent-length: 1\r\n\r\n\xa0";
                    if sock.write_all(resp).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Capture { addr, calls }
}
