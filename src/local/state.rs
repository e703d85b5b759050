//! Where `local up` keeps what outlives it: one directory per port under
//! `$XDG_STATE_HOME/streamkit/` (default `~/.local/state/streamkit/`),
//! `local-<port>/`, holding `state.json` (what runs: pid, port, endpoint, log,
//! stack) and `emulator.log`. `local down` reads the state file to stop what
//! `local up --keep` left running.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What a running `local up` (or one it left with `--keep`) started.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct State {
    /// The emulator's process id (also its process group).
    pub pid: u32,
    pub port: u16,
    pub endpoint: String,
    /// The emulator's log file.
    pub log: PathBuf,
    pub region: String,
    /// The stack deployed on it, once deployed.
    pub stack: Option<String>,
}

/// The state directory of one port.
#[derive(Debug, Clone)]
pub struct StateDir {
    pub dir: PathBuf,
}

impl StateDir {
    /// `$XDG_STATE_HOME/streamkit/local-<port>` (else `~/.local/state/...`).
    pub fn for_port(port: u16) -> Result<StateDir> {
        let base = match std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
                Some(home) => PathBuf::from(home).join(".local").join("state"),
                None => {
                    return Err(Error::BadInput(
                        "neither XDG_STATE_HOME nor HOME is set: set one so `local up` can keep its state file".into(),
                    ))
                }
            },
        };
        Ok(StateDir {
            dir: base.join("streamkit").join(format!("local-{port}")),
        })
    }

    /// Creates the directory.
    pub fn create(&self) -> Result<()> {
        std::fs::create_dir_all(&self.dir).map_err(|source| Error::Write {
            path: self.dir.clone(),
            source,
        })
    }

    pub fn state_file(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    pub fn log_file(&self) -> PathBuf {
        self.dir.join("emulator.log")
    }

    /// The state file's content; `None` when there is none. A file that does
    /// not parse counts as stale (an empty state).
    pub fn read(&self) -> Option<State> {
        let text = std::fs::read_to_string(self.state_file()).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Whether a state file exists at all (even one that does not parse).
    pub fn exists(&self) -> bool {
        self.state_file().exists()
    }

    /// Writes the state file (through a temporary file next to it).
    pub fn write(&self, state: &State) -> Result<()> {
        let path = self.state_file();
        let tmp = self.dir.join("state.json.tmp");
        let text = serde_json::to_string_pretty(state).unwrap_or_default();
        std::fs::write(&tmp, text)
            .and_then(|_| std::fs::rename(&tmp, &path))
            .map_err(|source| Error::Write { path, source })
    }

    /// Removes the state file (absent is fine).
    pub fn remove(&self) {
        let _ = std::fs::remove_file(self.state_file());
    }
}

/// Whether `pid` is alive and is an emulator serving `port` (not a reused pid).
pub fn is_emulator(pid: u32, port: u16) -> bool {
    if !crate::local::process::alive(pid) {
        return false;
    }
    let cmdline = Path::new("/proc").join(pid.to_string()).join("cmdline");
    match std::fs::read(cmdline) {
        Ok(bytes) => {
            let args: Vec<String> = bytes
                .split(|b| *b == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            let serves_port = args
                .windows(2)
                .any(|w| w[0] == "--port" && w[1] == port.to_string());
            args.iter().any(|a| a.ends_with("server.py")) && serves_port
        }
        // No /proc (not Linux): trust the pid.
        Err(_) => !Path::new("/proc/self").exists(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_round_trips_and_a_missing_one_is_none() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir {
            dir: tmp.path().join("local-4566"),
        };
        assert!(dir.read().is_none());
        dir.create().unwrap();
        let state = State {
            pid: 42,
            port: 4566,
            endpoint: "http://127.0.0.1:4566".into(),
            log: dir.log_file(),
            region: "us-east-1".into(),
            stack: Some("streamkit-pattern-2".into()),
        };
        dir.write(&state).unwrap();
        assert_eq!(dir.read(), Some(state));
        dir.remove();
        assert!(!dir.exists());
    }

    #[test]
    fn a_dead_pid_is_no_emulator() {
        assert!(!is_emulator(u32::MAX / 2, 4566));
        assert!(!is_emulator(std::process::id(), 4566));
    }
}
