//! What the user sees: progress on stderr (a redrawn spinner on a terminal,
//! one line per event otherwise), results on stdout, NDJSON with `--output json`,
//! and confirmation that never waits on a stdin that is not a terminal.

use std::io::{BufRead, IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};

use crate::error::{Error, Result};

use super::events::StackEvent;

/// Output sink for one command.
pub struct Ui<'a> {
    out: &'a mut dyn Write,
    /// NDJSON on stdout instead of text.
    pub json: bool,
    /// `--yes` was given.
    pub yes: bool,
    stdin_tty: bool,
    bar: Option<ProgressBar>,
    started: Instant,
    /// Prefix of every progress line (the region, when deploying to several).
    label: String,
}

impl<'a> Ui<'a> {
    pub fn new(out: &'a mut dyn Write, json: bool, yes: bool) -> Ui<'a> {
        let stderr_tty = std::io::stderr().is_terminal();
        Ui {
            out,
            json,
            yes,
            stdin_tty: std::io::stdin().is_terminal(),
            bar: (stderr_tty && !json).then(ProgressBar::hidden),
            started: Instant::now(),
            label: String::new(),
        }
    }

    /// Plain progress lines prefixed with `[label]` (for parallel regions).
    pub fn labelled(mut self, label: &str) -> Self {
        self.label = format!("[{label}] ");
        self.bar = None;
        self
    }

    /// A status line for humans (stderr; in JSON mode a `{"message": ...}` object).
    pub fn info(&mut self, text: &str) {
        if self.json {
            let _ = self.json_line(&json!({ "event": "message", "message": text }));
        } else if let Some(bar) = &self.bar {
            bar.println(text);
        } else {
            eprintln!("{}{text}", self.label);
        }
    }

    /// Result text on stdout (text mode only).
    pub fn result_text(&mut self, text: &str) -> Result<()> {
        if self.json {
            return Ok(());
        }
        writeln!(self.out, "{text}").map_err(write_error)
    }

    /// One JSON object on stdout (JSON mode only).
    pub fn json_line(&mut self, value: &Value) -> Result<()> {
        if !self.json {
            return Ok(());
        }
        writeln!(self.out, "{value}").map_err(write_error)
    }

    /// Starts the live progress display for a stack operation.
    pub fn start_progress(&mut self, what: &str) {
        self.started = Instant::now();
        if let Some(bar) = &mut self.bar {
            let spinner = ProgressBar::new_spinner();
            spinner.set_style(
                ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            spinner.enable_steady_tick(Duration::from_millis(120));
            spinner.set_message(what.to_string());
            *bar = spinner;
        } else if !self.json {
            eprintln!("{}{what}", self.label);
        }
    }

    /// Reports one stack event.
    pub fn event(&mut self, stack: &str, ev: &StackEvent, counts: (usize, usize)) {
        if self.json {
            let _ = self.json_line(&json!({
                "event": "resource", "stack": stack, "time": ev.time, "logical_id": ev.logical_id,
                "type": ev.resource_type, "status": ev.status, "reason": ev.reason,
            }));
            return;
        }
        let secs = self.started.elapsed().as_secs();
        let reason = ev
            .reason
            .as_deref()
            .map(|r| format!("  {r}"))
            .unwrap_or_default();
        let line = format!(
            "{}{:>4}s {:<28} {:<36} {}{reason}",
            self.label, secs, ev.status, ev.resource_type, ev.logical_id
        );
        match &self.bar {
            Some(bar) => {
                bar.println(line);
                bar.set_message(format!(
                    "{stack}: {} done, {} in progress",
                    counts.0, counts.1
                ));
            }
            None => eprintln!("{line}"),
        }
    }

    pub fn finish_progress(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// Asks before a change. `--yes` answers yes; with stdin not a terminal
    /// this fails naming `--yes` instead of waiting.
    pub fn confirm(&mut self, question: &str) -> Result<bool> {
        if self.yes {
            return Ok(true);
        }
        if !self.stdin_tty {
            return Err(Error::BadInput(format!(
                "{question} needs confirmation but stdin is not a terminal; pass --yes to confirm"
            )));
        }
        self.finish_progress();
        eprint!("{question} [y/N] ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map_err(|e| Error::BadInput(format!("cannot read the answer: {e}")))?;
        Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
    }
}

fn write_error(source: std::io::Error) -> Error {
    Error::Write {
        path: "stdout".into(),
        source,
    }
}
