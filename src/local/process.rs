//! Processes by id (the emulator `local up` started, possibly by an earlier
//! run): alive or not, stopped with SIGTERM then SIGKILL after a deadline,
//! and whether a TCP port on the loopback interface is free.

use std::net::TcpListener;
use std::time::{Duration, Instant};

/// How long a stopped process gets between SIGTERM and SIGKILL.
pub const GRACE: Duration = Duration::from_secs(5);

/// Whether a process with this id exists (and is not a zombie of ours).
pub fn alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 only checks that the process exists.
    let exists = unsafe { libc::kill(pid, 0) } == 0
        || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    exists && !zombie(pid)
}

/// A process that has exited but was not reaped yet (`State: Z`).
fn zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

/// Sends `signal` to the process group `pid` leads (the emulator and what it
/// spawned), and to `pid` itself should it lead no group.
fn signal_group(pid: u32, signal: i32) {
    let Ok(pid) = i32::try_from(pid) else {
        return;
    };
    // SAFETY: plain kill(2) calls on a positive pid and its group.
    unsafe {
        libc::kill(-pid, signal);
        libc::kill(pid, signal);
    }
}

/// Stops the process group of `pid`: SIGTERM, then SIGKILL once [`GRACE`]
/// has passed. `reap` is polled meanwhile (a child of ours must be waited
/// for to disappear); returns whether it is gone.
pub fn stop(pid: u32, reap: &mut dyn FnMut()) -> bool {
    signal_group(pid, libc::SIGTERM);
    let deadline = Instant::now() + GRACE;
    while Instant::now() < deadline {
        reap();
        if !alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    signal_group(pid, libc::SIGKILL);
    let deadline = Instant::now() + GRACE;
    while Instant::now() < deadline {
        reap();
        if !alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Whether nothing listens on 127.0.0.1:`port`.
pub fn port_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_is_stopped_and_then_not_alive() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = child.id();
        assert!(alive(pid));
        assert!(stop(pid, &mut || {
            let _ = child.try_wait();
        }));
        assert!(!alive(pid));
    }

    #[test]
    fn a_bound_port_is_not_free() {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        // Only the bound case is asserted: once released, a port may be
        // taken at once by any other test binding port 0 in parallel.
        assert!(!port_free(port));
        drop(listener);
    }
}
