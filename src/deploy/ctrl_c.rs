//! Ctrl-C during a deploy, listened for from before its change set is made
//! (issue 26, item 11): without a listener SIGINT ended the process silently,
//! at the confirmation prompt (leaving an AVAILABLE change set behind) or while
//! ExecuteChangeSet was in flight (the stack being created unannounced).
//!
//! A press is remembered, so a step that must not be cut in half (a
//! CloudFormation call in flight) finishes first and the press is acted on
//! right after it: the change set deleted when it has not run, or one line
//! with the stack's state and how to re-attach when it has.

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Listens for Ctrl-C (SIGINT) from its creation until it is dropped.
pub struct CtrlC {
    pressed: watch::Receiver<bool>,
    task: JoinHandle<()>,
}

impl CtrlC {
    /// Starts listening now (the handler is registered before this returns,
    /// so a press right after it is not missed). Needs a tokio runtime.
    pub fn listen() -> CtrlC {
        let (tx, pressed) = watch::channel(false);
        #[cfg(unix)]
        let task = {
            use tokio::signal::unix::{signal, SignalKind};
            let mut sigint = signal(SignalKind::interrupt()).ok();
            tokio::spawn(async move {
                if let Some(s) = sigint.as_mut() {
                    if s.recv().await.is_some() {
                        let _ = tx.send(true);
                    }
                }
            })
        };
        #[cfg(not(unix))]
        let task = tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = tx.send(true);
            }
        });
        CtrlC { pressed, task }
    }

    /// Whether Ctrl-C was pressed since [`CtrlC::listen`].
    pub fn pressed(&self) -> bool {
        *self.pressed.borrow()
    }

    /// Returns once Ctrl-C is pressed (at once if it already was).
    pub async fn wait(&self) {
        let mut rx = self.pressed.clone();
        if rx.wait_for(|p| *p).await.is_err() {
            // The listener could not be registered: never pressed.
            std::future::pending::<()>().await;
        }
    }
}

impl Drop for CtrlC {
    fn drop(&mut self) {
        self.task.abort();
    }
}
