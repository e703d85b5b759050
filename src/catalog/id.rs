//! A pattern's id, as typed on the command line.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A pattern id as typed on the command line (`1`, `cross-region`): lower-case
/// letters, digits and hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct PatternId(String);

impl PatternId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PatternId {
    type Error = String;

    fn try_from(id: String) -> std::result::Result<PatternId, String> {
        let ok = !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(PatternId(id))
        } else {
            Err(format!(
                "pattern id '{id}' must be lower-case letters, digits and '-'"
            ))
        }
    }
}

impl From<PatternId> for String {
    fn from(id: PatternId) -> String {
        id.0
    }
}

impl PartialEq<str> for PatternId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl fmt::Display for PatternId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}
