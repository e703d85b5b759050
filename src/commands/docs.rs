//! `streamkit docs [--check]` (hidden, for maintainers and CI): regenerates
//! the parts of `docs/` that are generated from code, between
//! `<!-- streamkit docs: NAME -->` and `<!-- end streamkit docs: NAME -->`
//! markers; `--check` changes nothing and fails when a part has drifted.
//! Parts: `prices` in `docs/costs.md` (from `src/cost/price.rs`).

use std::fmt;
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;

use super::Context;
use crate::error::{Error, Result};
use crate::io::{write_lines, Report};

#[derive(Debug, Args)]
pub struct DocsArgs {
    /// Change nothing; exit 1 when a generated part differs from the code.
    #[arg(long)]
    pub check: bool,
    /// The docs directory.
    #[arg(long, default_value = "docs", value_name = "DIR")]
    pub dir: PathBuf,
}

/// One line per generated part.
#[derive(Debug, Serialize)]
pub struct DocsReport {
    pub parts: Vec<Part>,
    #[serde(skip)]
    check: bool,
}

#[derive(Debug, Serialize)]
pub struct Part {
    pub file: PathBuf,
    pub part: &'static str,
    /// The file already had the generated text.
    pub current: bool,
}

/// Generated parts: (file under docs/, part name, text).
fn parts() -> Vec<(&'static str, &'static str, String)> {
    vec![("costs.md", "prices", crate::cost::table::markdown())]
}

pub fn run(_ctx: &Context<'_>, args: &DocsArgs) -> Result<DocsReport> {
    let mut out = Vec::new();
    for (file, part, text) in parts() {
        let path = args.dir.join(file);
        let old = std::fs::read_to_string(&path).map_err(|e| {
            Error::BadInput(format!(
                "cannot read {}: {e}; pass --dir DOCS",
                path.display()
            ))
        })?;
        let new = replace_part(&path, &old, part, &text)?;
        let current = new == old;
        if !current && !args.check {
            std::fs::write(&path, new).map_err(|source| Error::Write {
                path: path.clone(),
                source,
            })?;
        }
        out.push(Part {
            file: path,
            part,
            current,
        });
    }
    Ok(DocsReport {
        parts: out,
        check: args.check,
    })
}

/// `old` with the text between the part's markers replaced by `text`.
fn replace_part(path: &Path, old: &str, part: &str, text: &str) -> Result<String> {
    let begin = format!("<!-- streamkit docs: {part} -->\n");
    let end = format!("<!-- end streamkit docs: {part} -->");
    let (Some(b), Some(e)) = (old.find(&begin), old.find(&end)) else {
        return Err(Error::Build(format!(
            "{}: no `{}` ... `{end}` markers around the generated part",
            path.display(),
            begin.trim_end()
        )));
    };
    let start = b + begin.len();
    if e < start {
        return Err(Error::Build(format!(
            "{}: markers of part {part} out of order",
            path.display()
        )));
    }
    Ok(format!("{}{text}{}", &old[..start], &old[e..]))
}

impl fmt::Display for DocsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_lines(f, &self.parts, |f, p| {
            let state = match (p.current, self.check) {
                (true, _) => "current",
                (false, true) => "drifted",
                (false, false) => "updated",
            };
            write!(f, "{state:<8} {} ({})", p.file.display(), p.part)
        })
    }
}

impl Report for DocsReport {
    fn outcome(self) -> Result<()> {
        match self.parts.iter().find(|p| !p.current && self.check) {
            Some(p) => Err(Error::Build(format!(
                "{}: the generated part `{}` differs from the code; run `streamkit docs` and commit the result",
                p.file.display(),
                p.part
            ))),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_between_the_markers() {
        let old = "a\n<!-- streamkit docs: x -->\nold\n<!-- end streamkit docs: x -->\nb\n";
        let new = replace_part(Path::new("f"), old, "x", "new\n").unwrap();
        assert_eq!(
            new,
            "a\n<!-- streamkit docs: x -->\nnew\n<!-- end streamkit docs: x -->\nb\n"
        );
        assert!(replace_part(Path::new("f"), "none", "x", "").is_err());
    }
}
