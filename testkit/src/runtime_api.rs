//! A stand-in for the Lambda Runtime API that takes one request: a function
//! started with `AWS_LAMBDA_RUNTIME_API` set to [`InitErrorCatcher::address`]
//! and a bad setting must post its init error there
//! (`POST /2018-06-01/runtime/init/error`) before exiting.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

/// One received request: its request line and its JSON body.
#[derive(Debug)]
pub struct Caught {
    pub request_line: String,
    pub body: serde_json::Value,
}

pub struct InitErrorCatcher {
    listener: TcpListener,
}

impl InitErrorCatcher {
    pub fn start() -> InitErrorCatcher {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        listener.set_nonblocking(true).expect("non-blocking");
        InitErrorCatcher { listener }
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.listener.local_addr().expect("bound").to_string()
    }

    /// The first request within `within`, answered `202 Accepted`.
    pub fn caught(&self, within: Duration) -> Option<Caught> {
        let deadline = Instant::now() + within;
        let (mut sock, _) = loop {
            match self.listener.accept() {
                Ok(c) => break c,
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Err(_) => return None,
            }
        };
        sock.set_nonblocking(false).ok()?;
        sock.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        let (head, body) = loop {
            let n = sock.read(&mut buf).ok()?;
            if n == 0 {
                return None;
            }
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("Content-Length: "))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if body.len() >= len {
                    break (head.to_string(), body[..len].to_string());
                }
            }
        };
        sock.write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
            .ok()?;
        Some(Caught {
            request_line: head.lines().next().unwrap_or_default().to_string(),
            body: serde_json::from_str(&body).unwrap_or_default(),
        })
    }
}

/// Runs `exe` with only `env` (plus `PATH` and the catcher's address) and
/// returns its exit code and what it posted.
pub fn run_for_init_error(exe: &str, env: &[(&str, &str)]) -> (Option<i32>, Option<Caught>) {
    let catcher = InitErrorCatcher::start();
    let mut cmd = std::process::Command::new(exe);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", catcher.address())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the function binary starts");
    let caught = catcher.caught(Duration::from_secs(30));
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status, caught)
}
