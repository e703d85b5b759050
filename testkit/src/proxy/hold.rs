//! Holding back the requests of one awsQuery action (e.g. CloudFormation's
//! `ExecuteChangeSet`) until the test releases them: a call is then in
//! flight for as long as the test needs (to interrupt the client during it).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use tokio::sync::watch;

use super::http::Request;

/// Which action is held, how many of its requests arrived, and the release.
pub(crate) struct Hold {
    action: Mutex<Option<String>>,
    held: AtomicUsize,
    released: watch::Sender<bool>,
}

impl Default for Hold {
    fn default() -> Self {
        Hold {
            action: Mutex::new(None),
            held: AtomicUsize::new(0),
            released: watch::channel(true).0,
        }
    }
}

impl Hold {
    pub fn hold(&self, action: &str) {
        *self.action.lock().unwrap_or_else(|e| e.into_inner()) = Some(action.to_string());
        self.released.send_replace(false);
    }

    pub fn release(&self) {
        self.released.send_replace(true);
    }

    pub fn held(&self) -> usize {
        self.held.load(Ordering::SeqCst)
    }

    /// Waits while `req` is of the held action and not yet released.
    pub async fn pass(&self, req: &Request) {
        let action = self
            .action
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let Some(action) = action else { return };
        let body = String::from_utf8_lossy(&req.body);
        if !body.split('&').any(|kv| kv == format!("Action={action}")) {
            return;
        }
        let mut rx = self.released.subscribe();
        self.held.fetch_add(1, Ordering::SeqCst);
        let _ = rx.wait_for(|released| *released).await;
    }
}
