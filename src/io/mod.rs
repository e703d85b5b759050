//! The I/O object: everything streamkit writes or reads goes through one
//! [`Io`], made once in `main.rs` (from the real streams) or in a test (from
//! in-memory buffers and a fake terminal flag) and passed to every command.
//!
//! - **stdout** carries results: a command's [`Report`], as text (`Display`)
//!   or with `--output json` as NDJSON (`Serialize`), and the progress events
//!   of commands whose JSON output is an event stream (`deploy`, `diff`,
//!   `destroy`, `publish`, `status --watch`).
//! - **stderr** carries progress ([`Progress`], a typed event stream): a live
//!   view on a terminal (indicatif), plain lines otherwise, NDJSON in JSON mode
//!   for commands whose stdout is one JSON document (`build-dist`, `local
//!   replicate`); and errors: one line (a second `hint:` line at most), or with
//!   `--output json` one `{"error": {"kind", "message", "hint"}}` object.
//! - **stdin** answers confirmations, only when it is a terminal.
//!
//! A closed stdout (`streamkit ... | head`) never stops the work: output to it
//! is dropped from then on, the command completes, and the process exits as
//! the command would have (0 on success), without a message.

mod live;
mod object;
mod progress;
mod report;
mod shared;
mod term;

pub use object::{Io, Streams, Terminal};
pub use progress::Progress;
pub use report::{outcome, write_lines, JsonForm, Report};
pub use term::Buffer;
