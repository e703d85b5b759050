//! The live view on a terminal: a spinner while a stack operation or a cargo
//! build runs (resource events scroll above it), a bar while build-dist
//! packages. Drawn with indicatif on the real stderr, or on any writer
//! through [`WriterTerm`] (tests with a fake terminal).

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::shared::SharedWriter;
use super::term::WriterTerm;
use crate::progress::Event;

enum Target {
    Stderr,
    Writer(SharedWriter),
}

pub(super) struct Live {
    /// stderr is a terminal: draw; otherwise every event is a plain line.
    enabled: bool,
    target: Target,
    bar: Option<ProgressBar>,
    compiled: u64,
}

impl Live {
    pub(super) fn on_stderr(enabled: bool) -> Live {
        Live {
            enabled,
            target: Target::Stderr,
            bar: None,
            compiled: 0,
        }
    }

    pub(super) fn on_writer(enabled: bool, writer: SharedWriter) -> Live {
        Live {
            enabled,
            target: Target::Writer(writer),
            bar: None,
            compiled: 0,
        }
    }

    fn start(&mut self, len: Option<u64>, template: &str) -> &ProgressBar {
        self.clear();
        let target = match &self.target {
            Target::Stderr => ProgressDrawTarget::stderr(),
            Target::Writer(w) => ProgressDrawTarget::term_like(Box::new(WriterTerm(w.clone()))),
        };
        let bar = ProgressBar::with_draw_target(len, target);
        bar.set_style(
            ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        self.bar.insert(bar)
    }

    /// Draws `event` (whose plain form is `line`); `false` when the live view
    /// is off and the caller prints the line itself.
    pub(super) fn draw(&mut self, event: &Event, line: Option<&str>) -> bool {
        if !self.enabled {
            return false;
        }
        let line = line.unwrap_or_default();
        match event {
            Event::Operation { .. } => {
                let bar = self.start(None, "{spinner} {elapsed:>4} {msg}");
                bar.set_message(line.to_string());
                bar.enable_steady_tick(Duration::from_millis(120));
            }
            Event::Building { .. } => {
                let bar = self.start(None, "{spinner} {prefix} [{elapsed}] {msg}");
                bar.set_prefix(line.to_string());
                bar.enable_steady_tick(Duration::from_millis(120));
                self.compiled = 0;
            }
            Event::Packaging { total } => {
                self.start(Some(*total as u64), "packaging {bar:30} {pos}/{len} {msg}");
            }
            Event::OperationEnd => self.clear(),
            Event::Compiled { krate } => {
                self.compiled += 1;
                if let Some(bar) = &self.bar {
                    bar.set_message(format!("{} crates, last {krate}", self.compiled));
                }
            }
            Event::Packaged { .. } | Event::Rendered { .. } => match &self.bar {
                Some(bar) => {
                    bar.set_message(line.to_string());
                    bar.inc(1);
                }
                None => return false,
            },
            Event::Resource { stack, counts, .. } => match &self.bar {
                Some(bar) => {
                    bar.println(line);
                    bar.set_message(format!(
                        "{stack}: {} done, {} in progress",
                        counts.0, counts.1
                    ));
                }
                None => return false,
            },
            _ => return self.println(line),
        }
        true
    }

    /// Prints a line above the bar; `false` when no bar is drawn.
    pub(super) fn println(&self, line: &str) -> bool {
        match &self.bar {
            Some(bar) => {
                bar.println(line);
                true
            }
            None => false,
        }
    }

    /// Removes the bar from the screen.
    pub(super) fn clear(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
