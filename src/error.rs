//! Typed errors. Every message names the input at fault and what to do next;
//! [`Error::exit_code`] maps each class to the exit codes documented in the
//! README, [`Error::kind`] names the class in the JSON error object, and
//! [`Error::hint`] is the optional second line.

use std::path::PathBuf;

/// Result alias used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value the user gave is not one of the allowed ones.
    #[error("unknown {what} '{}'; allowed: {allowed}", cut(.value))]
    Unknown {
        what: &'static str,
        value: String,
        allowed: String,
    },

    /// A malformed user input (flag, setting, parameter).
    #[error("{0}")]
    BadInput(String),

    /// A command line clap could not parse (`--output json`): its message
    /// with the arguments it names, and its usage and tips as the hint.
    #[error("{message}")]
    Usage { message: String, hint: String },

    /// Every problem one validation pass found, one line each (never empty).
    #[error("{}", .0.join("\n"))]
    Invalid(Vec<String>),

    /// A pattern manifest in `patterns/` is malformed.
    #[error("{file}: {message}")]
    Manifest { file: String, message: String },

    /// A template fragment failed to render (Tera) or to parse (YAML).
    #[error("{file}: {message}")]
    Fragment { file: String, message: String },

    /// The composed template failed a structural check.
    #[error("{file}: {logical_id}: {message}")]
    Template {
        file: String,
        logical_id: String,
        message: String,
    },

    /// Building or packaging deployable artifacts failed (`build-dist`).
    #[error("{0}")]
    Build(String),

    /// An AWS access problem: credentials, permissions, endpoint unreachable.
    #[error("{0}")]
    AwsAccess(String),

    /// An AWS call was rejected for a reason other than access.
    #[error("{0}")]
    Aws(String),

    /// A deployment (or deletion) failed; the message names the root cause and the next step.
    #[error("{0}")]
    Deploy(String),

    /// The local cloud (`local up`) could not run: the emulator did not start
    /// or died, its Python could not be installed, or no output came in time.
    #[error("{0}")]
    Local(String),

    /// Stopped by Ctrl-C; the message says how to re-attach.
    #[error("{0}")]
    Interrupted(String),

    /// Writing an output file or directory (`--out`) failed.
    #[error("cannot write to {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The result could not be written to stdout (other than a closed pipe).
    #[error("{0}")]
    Output(String),

    /// `diff --exit-code` found changes in this many stacks: exit 1, and
    /// nothing more on stderr (the plan is on stdout).
    #[error("changes in {0} stack(s)")]
    Changes(usize),
}

impl Error {
    /// Exit code for this error: 2 for bad input, 1 for internal/product defects and
    /// failed deployments, 3 for AWS access problems and a local cloud that cannot run, 130 after Ctrl-C.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Unknown { .. }
            | Error::BadInput(_)
            | Error::Usage { .. }
            | Error::Invalid(_)
            | Error::Write { .. }
            | Error::Output(_) => 2,
            Error::AwsAccess(_) | Error::Local(_) => 3,
            Error::Aws(_) | Error::Deploy(_) | Error::Changes(_) => 1,
            Error::Interrupted(_) => 130,
            Error::Manifest { .. }
            | Error::Fragment { .. }
            | Error::Template { .. }
            | Error::Build(_) => 1,
        }
    }

    /// The class of the error, as the JSON error object names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Unknown { .. }
            | Error::BadInput(_)
            | Error::Usage { .. }
            | Error::Invalid(_) => "bad_input",
            Error::Manifest { .. } => "manifest",
            Error::Fragment { .. } => "fragment",
            Error::Template { .. } => "template",
            Error::Build(_) => "build",
            Error::AwsAccess(_) => "aws_access",
            Error::Aws(_) => "aws",
            Error::Deploy(_) => "deploy",
            Error::Local(_) => "local",
            Error::Interrupted(_) => "interrupted",
            Error::Write { .. } => "write",
            Error::Output(_) => "output",
            Error::Changes(_) => "changes",
        }
    }

    /// What to do about it, when the message does not already say.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Write { .. } => Some("choose a writable --out directory".into()),
            Error::Usage { hint, .. } => Some(hint.clone()),
            _ => None,
        }
    }

    /// The lines of the message: each problem of [`Error::Invalid`], else one.
    pub fn lines(&self) -> Vec<String> {
        match self {
            Error::Invalid(problems) => problems.clone(),
            other => vec![other.to_string()],
        }
    }

    pub(crate) fn unknown(what: &'static str, value: &str, allowed: &[&str]) -> Self {
        Error::Unknown {
            what,
            value: value.to_string(),
            allowed: allowed.join(", "),
        }
    }

    pub(crate) fn template(
        file: impl Into<String>,
        logical_id: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error::Template {
            file: file.into(),
            logical_id: logical_id.into(),
            message: message.into(),
        }
    }
}

/// Longest value quoted in a message before it is cut.
pub const MAX_QUOTED: usize = 80;

/// `value` as quoted in a message: at most [`MAX_QUOTED`] characters, a
/// longer one cut with `...(N chars)` so one line stays one line.
pub fn cut(value: &str) -> String {
    let n = value.chars().count();
    if n <= MAX_QUOTED {
        value.to_string()
    } else {
        let head: String = value.chars().take(MAX_QUOTED - 20).collect();
        format!("{head}...({n} chars)")
    }
}
