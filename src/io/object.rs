//! The I/O object itself: the streams, what became of stdout, reports,
//! confirmations and errors (see the `io` module docs).

use std::io::{BufRead, IsTerminal, Write};
use std::sync::{Arc, Mutex};

use serde_json::json;

use super::live;
use super::report::{JsonForm, Report};
use super::shared::{lock, SharedWriter};
use super::term::Buffer;
use crate::args::OutputFormat;
use crate::error::{Error, Result};

/// Which of the three streams are terminals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Terminal {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
}

/// The streams an [`Io`] writes to and reads from.
pub struct Streams {
    pub stdout: Box<dyn Write + Send>,
    pub stderr: Box<dyn Write + Send>,
    pub stdin: Box<dyn BufRead + Send>,
}

/// What became of stdout.
enum Stdout {
    Open(Box<dyn Write + Send>),
    /// The reader went away (broken pipe): further output is dropped.
    Closed,
    /// Writing failed otherwise (e.g. a full disk): reported once the work is done.
    Failed(std::io::Error),
}

/// The one I/O object of a run (see the module docs).
pub struct Io {
    format: OutputFormat,
    terminal: Terminal,
    color: bool,
    stdout: Mutex<Stdout>,
    pub(super) stderr: SharedWriter,
    stdin: Mutex<Box<dyn BufRead + Send>>,
    /// The live view on a terminal stderr (text mode only).
    pub(super) live: Mutex<live::Live>,
}

impl Io {
    /// The process's own streams; terminals detected, colour unless `NO_COLOR`.
    pub fn stdio(format: OutputFormat) -> Io {
        let terminal = Terminal {
            stdin: std::io::stdin().is_terminal(),
            stdout: std::io::stdout().is_terminal(),
            stderr: std::io::stderr().is_terminal(),
        };
        let color = terminal.stderr
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::env::var("TERM").map_or(true, |t| t != "dumb");
        let streams = Streams {
            stdout: Box::new(std::io::stdout()),
            stderr: Box::new(std::io::stderr()),
            stdin: Box::new(std::io::BufReader::new(std::io::stdin())),
        };
        let mut io = Io::new(format, streams, terminal, color);
        io.live = Mutex::new(live::Live::on_stderr(terminal.stderr));
        io
    }

    /// Any streams (tests: in-memory buffers); `terminal` says which of them to
    /// treat as terminals. The live view draws onto `stderr` itself.
    pub fn new(format: OutputFormat, streams: Streams, terminal: Terminal, color: bool) -> Io {
        let stderr: SharedWriter = Arc::new(Mutex::new(streams.stderr));
        let live = live::Live::on_writer(terminal.stderr, stderr.clone());
        Io {
            format,
            terminal,
            color,
            stdout: Mutex::new(Stdout::Open(streams.stdout)),
            stderr,
            stdin: Mutex::new(streams.stdin),
            live: Mutex::new(live),
        }
    }

    /// In memory, no terminals, no colour: what a command printed is in the
    /// returned buffers (stdout, stderr).
    pub fn memory(format: OutputFormat) -> (Io, Buffer, Buffer) {
        Io::memory_with(format, Terminal::default(), "")
    }

    /// In memory with the given terminal flags and stdin text.
    pub fn memory_with(
        format: OutputFormat,
        terminal: Terminal,
        stdin: &str,
    ) -> (Io, Buffer, Buffer) {
        let (out, err) = (Buffer::default(), Buffer::default());
        let streams = Streams {
            stdout: Box::new(out.clone()),
            stderr: Box::new(err.clone()),
            stdin: Box::new(std::io::Cursor::new(stdin.as_bytes().to_vec())),
        };
        (Io::new(format, streams, terminal, false), out, err)
    }

    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// `--output json`.
    pub fn json(&self) -> bool {
        self.format == OutputFormat::Json
    }

    pub fn terminal(&self) -> Terminal {
        self.terminal
    }

    /// Writes a command's result to stdout (see [`Report`]).
    pub fn report<R: Report>(&self, report: &R) -> Result<()> {
        if !self.json() {
            return self.print(&report.to_string());
        }
        let value = || {
            serde_json::to_value(report)
                .map_err(|e| Error::Output(format!("cannot serialize the result: {e}")))
        };
        match report.json_form() {
            JsonForm::Verbatim => self.print(&report.to_string()),
            JsonForm::Object => self.print(&value()?.to_string()),
            JsonForm::Lines => {
                let items = match value()? {
                    serde_json::Value::Array(items) => items,
                    other => vec![other],
                };
                for item in items {
                    self.print(&item.to_string())?;
                }
                Ok(())
            }
        }
    }

    /// Writes text to stdout, ending it with a newline; nothing for "".
    /// A closed stdout is not an error (see the module docs).
    pub fn print(&self, text: &str) -> Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        let mut stdout = lock(&self.stdout);
        if let Stdout::Open(w) = &mut *stdout {
            let result = w
                .write_all(text.as_bytes())
                .and_then(|()| {
                    if text.ends_with('\n') {
                        Ok(())
                    } else {
                        w.write_all(b"\n")
                    }
                })
                .and_then(|()| w.flush());
            if let Err(e) = result {
                *stdout = if e.kind() == std::io::ErrorKind::BrokenPipe {
                    Stdout::Closed
                } else {
                    Stdout::Failed(e)
                };
            }
        }
        Ok(())
    }

    /// One line on stderr (above the live view when it is drawn).
    pub(crate) fn eprint(&self, line: &str) {
        if lock(&self.live).println(line) {
            return;
        }
        let mut err = lock(&self.stderr);
        let _ = writeln!(err, "{line}");
        let _ = err.flush();
    }

    /// Asks a yes/no question on stderr and reads the answer from stdin. Never
    /// waits on a stdin that is not a terminal: that fails, naming `--yes`.
    pub fn confirm(&self, question: &str) -> Result<bool> {
        self.ask(question)?;
        let mut answer = String::new();
        lock(&self.stdin)
            .read_line(&mut answer)
            .map_err(|e| Error::BadInput(format!("cannot read the answer: {e}")))?;
        Ok(is_yes(&answer))
    }

    /// [`Io::confirm`] that `stop` (e.g. Ctrl-C) can end: `Ok(None)` when
    /// `stop` came before the answer. The answer is read on a thread of its
    /// own, which a stop leaves blocked until the process ends (stdin is not
    /// read again in that run).
    pub async fn confirm_or(
        &self,
        question: &str,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<Option<bool>> {
        self.ask(question)?;
        let mut reader = std::mem::replace(&mut *lock(&self.stdin), Box::new(std::io::empty()));
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut answer = String::new();
            let read = reader.read_line(&mut answer).map(|_| answer);
            let _ = tx.send((read, reader));
        });
        tokio::select! {
            biased;
            () = stop => {
                // The report that follows starts on a line of its own.
                let _ = writeln!(lock(&self.stderr));
                Ok(None)
            }
            got = rx => {
                let (read, reader) = got
                    .map_err(|_| Error::BadInput("cannot read the answer: the reader stopped".into()))?;
                *lock(&self.stdin) = reader;
                let answer = read.map_err(|e| Error::BadInput(format!("cannot read the answer: {e}")))?;
                Ok(Some(is_yes(&answer)))
            }
        }
    }

    /// Writes the question (fails naming `--yes` when stdin is not a terminal).
    fn ask(&self, question: &str) -> Result<()> {
        if !self.terminal.stdin {
            return Err(Error::BadInput(format!(
                "{question} needs confirmation but stdin is not a terminal; pass --yes to confirm"
            )));
        }
        lock(&self.live).clear();
        let mut err = lock(&self.stderr);
        let _ = write!(err, "{question} [y/N] ");
        let _ = err.flush();
        Ok(())
    }

    /// Ends the run: clears the live view, reports the error (if any) as text on
    /// stderr or as a JSON object on stdout, and gives the exit code.
    pub fn finish(&self, result: Result<()>) -> u8 {
        lock(&self.live).clear();
        let failed = {
            let mut stdout = lock(&self.stdout);
            match &*stdout {
                Stdout::Failed(_) => match std::mem::replace(&mut *stdout, Stdout::Closed) {
                    Stdout::Failed(e) => Some(e),
                    _ => None,
                },
                _ => None,
            }
        };
        let result = result.and_then(|()| match failed {
            Some(e) => Err(Error::Output(format!(
                "the work is done, but its result could not be written to stdout: {e}"
            ))),
            None => Ok(()),
        });
        match result {
            Ok(()) => 0,
            Err(e) => {
                self.error(&e);
                e.exit_code()
            }
        }
    }

    /// Reports an error on stderr: one line (plus a hint line), or with
    /// `--output json` one JSON object (stdout keeps only results, so a
    /// report already written there stays one parseable document).
    pub fn error(&self, e: &Error) {
        if let Error::Changes(_) = e {
            return;
        }
        let lines: Vec<String> = e.lines().iter().map(|l| one_line(l)).collect();
        let hint = e.hint().map(|h| one_line(&h));
        if self.json() {
            let mut error = json!({ "kind": e.kind(), "message": lines.join("; "), "hint": hint });
            if let Error::Invalid(_) = e {
                error["problems"] = json!(lines);
            }
            return self.eprint(&json!({ "error": error }).to_string());
        }
        let (error, hint_label) = if self.color {
            ("\x1b[1;31merror\x1b[0m", "\x1b[1;36mhint\x1b[0m")
        } else {
            ("error", "hint")
        };
        for message in &lines {
            self.eprint(&format!("{error}: {message}"));
        }
        if let Some(hint) = hint {
            self.eprint(&format!("{hint_label}: {hint}"));
        }
    }

    /// `warning:` in the terminal's colour, when colour is on.
    pub(crate) fn warning_label(&self) -> &'static str {
        if self.color {
            "\x1b[1;33mwarning\x1b[0m"
        } else {
            "warning"
        }
    }
}

/// Error text on one line, whatever the source put in it.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_yes(answer: &str) -> bool {
    matches!(answer.trim(), "y" | "Y" | "yes" | "Yes")
}
