//! Ctrl-C (SIGINT) and SIGTERM during `local up`: a watcher thread records
//! the signal, and while a blocking step runs (build, deploy) it stops the
//! emulator at once by pid, so that step fails fast and `local up` unwinds
//! with nothing left running. In the live summary the command stops itself.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

use crate::local::process;

/// Shared between the command and the watcher thread.
#[derive(Debug, Default)]
pub struct Signals {
    interrupted: AtomicBool,
    /// The emulator to stop at once on a signal (0: none, or not now).
    stop_pid: AtomicU32,
}

impl Signals {
    /// Starts the watcher thread (it lives as long as the process).
    pub fn watch() -> Arc<Signals> {
        let signals = Arc::new(Signals::default());
        let shared = signals.clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        if let Ok(runtime) = runtime {
            // Registered here, before the thread starts: no signal is missed.
            let streams = runtime.block_on(async {
                use tokio::signal::unix::{signal, SignalKind};
                Some((
                    signal(SignalKind::interrupt()).ok()?,
                    signal(SignalKind::terminate()).ok()?,
                ))
            });
            if let Some((mut int, mut term)) = streams {
                std::thread::spawn(move || {
                    runtime.block_on(async {
                        loop {
                            tokio::select! {
                                _ = int.recv() => {},
                                _ = term.recv() => {},
                            }
                            shared.interrupted.store(true, Ordering::SeqCst);
                            let pid = shared.stop_pid.load(Ordering::SeqCst);
                            if pid != 0 {
                                process::stop(pid, &mut || {});
                            }
                        }
                    })
                });
            }
        }
        signals
    }

    /// Whether Ctrl-C (or SIGTERM) came.
    pub fn interrupted(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }

    /// While a blocking step runs: a signal stops process `pid` at once.
    pub fn stop_on_signal(&self, pid: Option<u32>) {
        self.stop_pid.store(pid.unwrap_or(0), Ordering::SeqCst);
        if pid.is_some() && self.interrupted() {
            if let Some(pid) = pid {
                process::stop(pid, &mut || {});
            }
        }
    }
}
