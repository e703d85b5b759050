//! What a command returns: one typed report, text for people (`Display`) and
//! JSON for programs (`Serialize`). The I/O object writes it to stdout.

use std::fmt;

use serde::Serialize;

use crate::error::Result;

/// How a report is laid out with `--output json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonForm {
    /// One JSON object on one line.
    Object,
    /// The report serializes to an array: one line per element (NDJSON), e.g.
    /// one line per pattern or per bucket.
    Lines,
    /// The text form in either mode (a template printed by `synth`).
    Verbatim,
}

/// A command's result (see the module docs). An empty `Display` prints nothing.
pub trait Report: fmt::Display + Serialize {
    /// The JSON layout (default: one object).
    fn json_form(&self) -> JsonForm {
        JsonForm::Object
    }

    /// The command's outcome once the report is written: success by default;
    /// a report can carry a failure that comes after its output (e.g.
    /// `replication status` over `--max-lag`: the status, then exit 1).
    fn outcome(self) -> Result<()>
    where
        Self: Sized,
    {
        Ok(())
    }
}

/// Writes one line per item (no newline after the last): the text form of a
/// report that is a list.
pub fn write_lines<I: IntoIterator>(
    f: &mut fmt::Formatter<'_>,
    items: I,
    mut line: impl FnMut(&mut fmt::Formatter<'_>, I::Item) -> fmt::Result,
) -> fmt::Result {
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            f.write_str("\n")?;
        }
        line(f, item)?;
    }
    Ok(())
}

/// A yes/no result as the word every JSON result's `outcome` carries.
pub mod outcome {
    use serde::Serializer;

    fn word<S: Serializer>(yes: bool, words: (&str, &str), s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if yes { words.0 } else { words.1 })
    }

    /// `validate`: `valid` or `invalid`.
    pub fn valid<S: Serializer>(ok: &bool, s: S) -> Result<S::Ok, S::Error> {
        word(*ok, ("valid", "invalid"), s)
    }

    /// `dashboard --check`: `passed` or `failed`.
    pub fn passed<S: Serializer>(ok: &bool, s: S) -> Result<S::Ok, S::Error> {
        word(*ok, ("passed", "failed"), s)
    }

    /// `replication status`: `healthy` or `unhealthy`.
    pub fn healthy<S: Serializer>(ok: &bool, s: S) -> Result<S::Ok, S::Error> {
        word(*ok, ("healthy", "unhealthy"), s)
    }
}
