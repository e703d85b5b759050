//! A command's progress: emits [`Event`]s through the I/O object, which draws
//! them (live view on a terminal, plain lines on stderr) or writes them as
//! NDJSON. A labelled progress (one of several regions deploying at once)
//! prefixes its plain lines with `[label]` and never draws the live view.

use std::io::Write;
use std::sync::Mutex;
use std::time::Instant;

use super::object::Io;
use super::shared::lock;
use crate::error::Result;
use crate::progress::Event;

impl Io {
    /// Progress of an operation; with `--output json` its events go to stdout
    /// as NDJSON, before the report.
    pub fn progress(&self) -> Progress<'_> {
        Progress::new(self, Channel::Stdout)
    }

    /// Progress whose JSON events go to stderr: for commands whose stdout is a
    /// single JSON document (`build-dist`, `local replicate`).
    pub fn progress_on_stderr(&self) -> Progress<'_> {
        Progress::new(self, Channel::Stderr)
    }
}

/// Where JSON events go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Channel {
    Stdout,
    Stderr,
}

/// The progress of one operation (see the module docs).
pub struct Progress<'a> {
    io: &'a Io,
    channel: Channel,
    label: Option<String>,
    /// Start of the current stack operation (resource lines show its age).
    started: Mutex<Instant>,
}

impl<'a> Progress<'a> {
    fn new(io: &'a Io, channel: Channel) -> Progress<'a> {
        Progress {
            io,
            channel,
            label: None,
            started: Mutex::new(Instant::now()),
        }
    }

    /// Plain lines prefixed with `[label] `, no live view (parallel regions).
    pub fn labelled(mut self, label: &str) -> Progress<'a> {
        self.label = Some(label.to_string());
        self
    }

    /// The I/O object it reports through.
    pub fn io(&self) -> &'a Io {
        self.io
    }

    /// Reports one event.
    pub fn emit(&self, event: Event) {
        if let Event::Operation { .. } = event {
            *lock(&self.started) = Instant::now();
        }
        if self.io.json() {
            if !event.in_json() {
                return;
            }
            let line = serde_json::to_string(&event).unwrap_or_default();
            match self.channel {
                Channel::Stdout => {
                    let _ = self.io.print(&line);
                }
                Channel::Stderr => {
                    let mut err = lock(&self.io.stderr);
                    let _ = writeln!(err, "{line}");
                }
            }
            return;
        }
        let elapsed = lock(&self.started).elapsed().as_secs();
        let line = event.line(elapsed, self.io.warning_label());
        match &self.label {
            Some(label) => {
                if let Some(line) = line {
                    self.io.eprint(&format!("[{label}] {line}"));
                }
            }
            None => {
                if !lock(&self.io.live).draw(&event, line.as_deref()) {
                    if let Some(line) = line {
                        self.io.eprint(&line);
                    }
                }
            }
        }
    }

    /// A status line.
    pub fn message(&self, text: impl Into<String>) {
        self.emit(Event::message(text));
    }

    /// Asks before a change (see [`Io::confirm`]).
    pub fn confirm(&self, question: &str) -> Result<bool> {
        self.io.confirm(question)
    }

    /// Asks before a change; `Ok(None)` when `stop` came first (see [`Io::confirm_or`]).
    pub async fn confirm_or(
        &self,
        question: &str,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<Option<bool>> {
        self.io.confirm_or(question, stop).await
    }
}
