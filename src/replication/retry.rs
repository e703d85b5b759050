//! Waiting between attempts of the local runner (see [`super::runner`]): a
//! backoff per call that gives up after `--max-retry-seconds` without
//! progress, and pauses that end early when the run is stopped (Ctrl-C).

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

pub(super) use streamkit_replicator::drain::pause;

use super::tally::{RegionRun, Tally};
use crate::aws::Aws;
use crate::error::{Error, Result};

/// Which region's runner is retrying, for messages.
pub(super) struct Site<'a> {
    pub region: &'a str,
    pub aws: &'a Aws,
    /// `--max-retry-seconds`.
    pub max_retry: Duration,
    /// Where retry lines go.
    pub progress: &'a dyn Fn(&str),
    /// Set on Ctrl-C: a wait ends at once.
    pub stop: &'a AtomicBool,
    pub tally: &'a Tally,
}

/// Waits between attempts at one call: 0.5 s doubling to 10 s, for at most
/// `max_retry` in all.
pub(super) struct Backoff {
    started: Instant,
    delay: Duration,
}

impl Backoff {
    pub fn new() -> Backoff {
        Backoff {
            started: Instant::now(),
            delay: Duration::from_millis(500),
        }
    }

    /// After `err`: waits and returns `Ok` to try again, or gives up. The
    /// error is kept in `run.last_error` (the progress lines show it).
    pub async fn wait(
        &mut self,
        at: &Site<'_>,
        run: &mut RegionRun,
        what: &str,
        err: Error,
    ) -> Result<()> {
        let limit = at.max_retry;
        let stalled = self.started.elapsed();
        let err = one_line(&err.to_string());
        run.last_error = Some(format!("{what}: {err}"));
        if stalled >= limit {
            return Err(Error::Aws(format!(
                "{}: {what} on {} kept failing for {:.0}s (--max-retry-seconds): {err}; run `streamkit local replicate` again once it is reachable, it resumes after the checkpoints",
                at.region,
                at.aws.endpoint_of("kinesis"),
                limit.as_secs_f64()
            )));
        }
        let wait = self.delay.min(limit - stalled);
        (at.progress)(&format!(
            "{}: {what} failed ({err}); retrying in {:.1}s (no progress for {:.0}s of --max-retry-seconds {:.0})",
            at.region,
            wait.as_secs_f64(),
            stalled.as_secs_f64(),
            limit.as_secs_f64()
        ));
        run.retries += 1;
        at.tally.update(run);
        pause(wait, at.stop).await;
        self.delay = (self.delay * 2).min(Duration::from_secs(10));
        Ok(())
    }
}

/// Error text on one line.
pub(super) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
