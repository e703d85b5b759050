//! The Python that runs the emulator: `STREAMKIT_PYTHON` when set, else the
//! venv `scripts/env.sh` makes (`STREAMKIT_VENV`, default
//! `~/.cache/streamkit-venv`), into which the first `local up` installs the
//! emulator's pinned packages (`emulator/requirements.txt`) when they are not
//! there yet. Its own stamp, `.emulator-requirements`, records what it
//! installed; `scripts/env.sh`'s stamp (`.requirements`) counts too.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{Error, Result};

/// Where the emulator's Python is, and whether it must be installed first.
#[derive(Debug, Clone)]
pub enum Python {
    /// Ready to run the emulator.
    Ready(PathBuf),
    /// The venv lacks the pinned packages: [`install`] them into `venv`.
    Missing { venv: PathBuf, requirements: String },
}

/// Finds the interpreter for the emulator of `workspace`.
pub fn find(workspace: &Path) -> Result<Python> {
    if let Some(python) = std::env::var_os("STREAMKIT_PYTHON").filter(|p| !p.is_empty()) {
        return Ok(Python::Ready(PathBuf::from(python)));
    }
    let venv = match std::env::var_os("STREAMKIT_VENV").filter(|p| !p.is_empty()) {
        Some(v) => PathBuf::from(v),
        None => match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            Some(home) => PathBuf::from(home).join(".cache").join("streamkit-venv"),
            None => {
                return Err(Error::BadInput(
                    "HOME is not set: set STREAMKIT_PYTHON to a Python with emulator/requirements.txt installed".into(),
                ))
            }
        },
    };
    let file = workspace.join("emulator").join("requirements.txt");
    let requirements = std::fs::read_to_string(&file).map_err(|e| {
        Error::BadInput(format!(
            "cannot read {}: {e}; run streamkit from a clone of the repository",
            file.display()
        ))
    })?;
    let python = venv.join("bin").join("python");
    let stamped = |name: &str| {
        std::fs::read_to_string(venv.join(name)).is_ok_and(|s| s.contains(requirements.trim()))
    };
    if python.exists() && (stamped(".emulator-requirements") || stamped(".requirements")) {
        Ok(Python::Ready(python))
    } else {
        Ok(Python::Missing { venv, requirements })
    }
}

/// The interpreter a new venv is made from, as `scripts/env.sh` chooses it:
/// the system's `/usr/bin/python3` when it is 3.11 or newer and can make a
/// venv, else `python3` on PATH (pyenv's unoptimized build ran the emulator
/// with 7% more CPU than Debian's, BENCHMARKS.md).
fn base_python() -> PathBuf {
    let system = PathBuf::from("/usr/bin/python3");
    let usable = system.exists()
        && Command::new(&system)
            .args([
                "-c",
                "import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    if usable {
        system
    } else {
        PathBuf::from("python3")
    }
}

/// Creates `venv` (`base_python() -m venv`) and installs the emulator's pinned
/// packages into it, pip's output going to `log`; returns its interpreter.
pub fn install(workspace: &Path, venv: &Path, requirements: &str, log: &Path) -> Result<PathBuf> {
    let log_file = || {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map(Stdio::from)
            .map_err(|source| Error::Write {
                path: log.to_path_buf(),
                source,
            })
    };
    let base = base_python();
    let created = Command::new(&base)
        .args(["-m", "venv"])
        .arg(venv)
        .stdin(Stdio::null())
        .stdout(log_file()?)
        .stderr(log_file()?)
        .status();
    if !created.is_ok_and(|s| s.success()) {
        return Err(Error::Local(format!(
            "`{} -m venv {}` failed: install Python 3 with its venv module (e.g. apt-get install python3-venv) or set STREAMKIT_PYTHON; see {}",
            base.display(),
            venv.display(),
            log.display()
        )));
    }
    let installed = Command::new(venv.join("bin").join("pip"))
        .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(workspace.join("emulator").join("requirements.txt"))
        .stdin(Stdio::null())
        .stdout(log_file()?)
        .stderr(log_file()?)
        .status();
    if !installed.is_ok_and(|s| s.success()) {
        return Err(Error::Local(format!(
            "installing emulator/requirements.txt into {} failed (network or pip problem); see {}, then run `streamkit local up` again",
            venv.display(),
            log.display()
        )));
    }
    let stamp = venv.join(".emulator-requirements");
    std::fs::write(&stamp, requirements).map_err(|source| Error::Write {
        path: stamp,
        source,
    })?;
    Ok(venv.join("bin").join("python"))
}
