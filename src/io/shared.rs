//! What the parts of the I/O object share: a stream behind a mutex.

use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard};

/// stderr, shared by plain lines and the live view drawn on it.
pub(crate) type SharedWriter = Arc<Mutex<Box<dyn Write + Send>>>;

/// Locks, also after a panic elsewhere (output is still wanted then).
pub(crate) fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
