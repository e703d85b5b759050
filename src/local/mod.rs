//! The local cloud as `streamkit local up` / `local down` run it: the
//! emulator as a managed child process (`emulator`, `process`, `python`,
//! `signals`), the state a kept emulator leaves behind (`state`), and what the
//! command reads back from the deployed stack (`stack`, `summary`, `outputs`).
//! The commands themselves are in `commands::local`.

pub mod denials;
pub mod emulator;
pub mod outputs;
pub mod process;
pub mod python;
pub mod signals;
pub mod stack;
pub mod state;
pub mod summary;
