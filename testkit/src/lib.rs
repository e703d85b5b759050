//! Starts streamkit's local AWS emulator (moto server plus streamkit's
//! CloudFormation models, `emulator/server.py`) on a free loopback port,
//! waits until it answers, hands out SDK configs pointing at it, and kills it by
//! PID when dropped (also when a test panics, since unwinding runs `Drop`).
//!
//! The Python interpreter is `$STREAMKIT_PYTHON` (set by `.ci/run` to its venv),
//! else `python3`.
//!
//! [`proxy::FaultProxy`] sits between a client and the emulator and injects
//! faults (rejected PutRecords entries, unreachable regions, throttling).

pub mod proxy;
pub mod runtime_api;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    child: Child,
    port: u16,
}

impl Emulator {
    /// Starts the emulator in strict mode (unknown resource types fail stacks).
    pub fn start() -> Emulator {
        Emulator::start_with(true)
    }

    /// Starts the emulator; `strict` turns on the strictness switch.
    /// A port picked free can be taken by another process before the server
    /// binds it (tests run in parallel, other suites beside them): a server
    /// that exits at start is started again on another port, a few times.
    pub fn start_with(strict: bool) -> Emulator {
        let mut last = String::new();
        for _ in 0..5 {
            match Emulator::try_start_on(free_port(), strict) {
                Ok(emulator) => return emulator,
                Err(e) => last = e,
            }
        }
        panic!("{last}")
    }

    /// Starts the emulator on `port` (e.g. again on the port of one that was
    /// killed, to test recovery; the new one starts with no state).
    pub fn start_on(port: u16, strict: bool) -> Emulator {
        Emulator::try_start_on(port, strict).unwrap_or_else(|e| panic!("{e}"))
    }

    fn try_start_on(port: u16, strict: bool) -> Result<Emulator, String> {
        let python = std::env::var("STREAMKIT_PYTHON").unwrap_or_else(|_| "python3".into());
        let mut cmd = Command::new(&python);
        cmd.arg(server_script())
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            // IAM enforced, as on AWS (`local up` does the same; `--iam off` opts out).
            .args(["--iam", "on"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(if std::env::var_os("STREAMKIT_EMULATOR_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            });
        if strict {
            cmd.arg("--strict");
        }
        let child = cmd.spawn().unwrap_or_else(|e| {
            panic!("cannot start the emulator with {python}: {e}; run `pip install -r tests/requirements.txt` or set STREAMKIT_PYTHON")
        });
        let mut emulator = Emulator { child, port };
        emulator.wait_healthy(Duration::from_secs(60))?;
        Ok(emulator)
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the server now (SIGKILL) and waits for it, as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SDK config for `region` with static test credentials, pointing at the emulator.
    pub async fn sdk_config(&self, region: &str) -> aws_config::SdkConfig {
        // The SDK crates carry no default HTTP client: streamkit's own.
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(streamkit_core::aws::https_client())
            .region(aws_config::Region::new(region.to_string()))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_credential_types::Credentials::new(
                "testing",
                "testing",
                None,
                None,
                "streamkit-testkit",
            ))
            .load()
            .await
    }

    /// Environment variables that point a child process (the CLI) at the emulator.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }

    fn wait_healthy(&mut self, limit: Duration) -> Result<(), String> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("the emulator exited at start on port {} ({status}); run emulator/server.py by hand to see why", self.port));
            }
            if http_ok(self.port) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // Drop stops the server as the panic unwinds.
        panic!(
            "the emulator did not answer on port {} within {limit:?}",
            self.port
        );
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `emulator/server.py` of the source tree under test: `STREAMKIT_EMULATOR_SCRIPT`
/// when set, else found from the package directory cargo gives the running
/// test (`CARGO_MANIFEST_DIR` at run time: the repository root or `testkit/`).
/// The compile-time directory is only the last resort: with a build directory
/// shared between checkouts, this crate may have been compiled in another one.
fn server_script() -> PathBuf {
    if let Some(script) = std::env::var_os("STREAMKIT_EMULATOR_SCRIPT") {
        return PathBuf::from(script);
    }
    if let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR") {
        // The repository root, `testkit/` or an `assets/<crate>/`.
        let found = PathBuf::from(dir)
            .ancestors()
            .map(|d| d.join("emulator/server.py"))
            .find(|p| p.is_file());
        if let Some(found) = found {
            return found;
        }
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../emulator/server.py")
}

/// Asks the OS for a free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn http_ok(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
}
