//! The emulator as a child process of `local up`: started in a process group
//! of its own (so a terminal's Ctrl-C reaches streamkit, which stops it),
//! output to a log file, ready once `GET /moto-api/` answers; stopped by pid
//! when the handle is dropped, unless it is kept.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::local::process;

/// How long the emulator may take to answer its first request.
pub const STARTUP: Duration = Duration::from_secs(90);

/// A running emulator started by this process.
pub struct Emulator {
    child: Child,
    pub port: u16,
    pub log: PathBuf,
    keep: bool,
}

impl Emulator {
    /// Starts `python emulator/server.py --host 127.0.0.1 --port N --strict --iam on|off`
    /// from `workspace` and waits until it answers (or exits, or
    /// [`STARTUP`] passes, or `interrupted` says so).
    pub fn start(
        python: &Path,
        workspace: &Path,
        port: u16,
        iam: bool,
        log: &Path,
        interrupted: &dyn Fn() -> bool,
    ) -> Result<Emulator> {
        let file = std::fs::File::create(log).map_err(|source| Error::Write {
            path: log.to_path_buf(),
            source,
        })?;
        let err = file.try_clone().map_err(|source| Error::Write {
            path: log.to_path_buf(),
            source,
        })?;
        let child = Command::new(python)
            .arg(workspace.join("emulator").join("server.py"))
            .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--strict"])
            .args(["--iam", if iam { "on" } else { "off" }])
            .current_dir(workspace)
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .process_group(0)
            .spawn()
            .map_err(|e| {
                Error::Local(format!(
                    "cannot start the emulator with {}: {e}; check STREAMKIT_PYTHON or remove the venv to reinstall it",
                    python.display()
                ))
            })?;
        let mut emulator = Emulator {
            child,
            port,
            log: log.to_path_buf(),
            keep: false,
        };
        emulator.wait_ready(interrupted)?;
        Ok(emulator)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn wait_ready(&mut self, interrupted: &dyn Fn() -> bool) -> Result<()> {
        let deadline = Instant::now() + STARTUP;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let port_hint = if process::port_free(self.port) {
                    String::new()
                } else {
                    format!(
                        " (port {} is taken: pass --port with a free one)",
                        self.port
                    )
                };
                return Err(Error::Local(format!(
                    "the emulator exited while starting ({status}){port_hint}; see its log {}",
                    self.log.display()
                )));
            }
            if interrupted() {
                return Err(Error::Interrupted(
                    "interrupted while the emulator started; stopped it".into(),
                ));
            }
            if answers(self.port) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Error::Local(format!(
                    "the emulator did not answer on port {} within {}s; see its log {}",
                    self.port,
                    STARTUP.as_secs(),
                    self.log.display()
                )));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Leaves it running when this handle is dropped (`--keep`).
    pub fn keep(mut self) -> u32 {
        self.keep = true;
        self.child.id()
    }

    /// Stops it now (SIGTERM to its process group, SIGKILL after a grace
    /// period); whether it is gone.
    pub fn stop(&mut self) -> bool {
        let pid = self.child.id();
        let child = &mut self.child;
        process::stop(pid, &mut || {
            let _ = child.try_wait();
        })
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if !self.keep {
            self.stop();
        }
    }
}

/// Whether an HTTP server on 127.0.0.1:`port` answers `GET /moto-api/` with 200.
fn answers(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(1),
    ) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request =
        format!("GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 16];
    match stream.read(&mut head) {
        Ok(n) => {
            String::from_utf8_lossy(&head[..n]).starts_with("HTTP/1.1 200")
                || String::from_utf8_lossy(&head[..n]).starts_with("HTTP/1.0 200")
        }
        Err(_) => false,
    }
}
