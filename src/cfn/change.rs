//! One resource change of a change set (action, resource, replacement), and
//! the change-set table `deploy` and `diff` print.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a change set does to a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangeAction {
    Add,
    Modify,
    Remove,
    Import,
    Dynamic,
    /// An action this version of streamkit does not know (kept as sent).
    #[serde(untagged)]
    Other(String),
}

impl From<&str> for ChangeAction {
    fn from(s: &str) -> ChangeAction {
        match s {
            "Add" => ChangeAction::Add,
            "Modify" => ChangeAction::Modify,
            "Remove" => ChangeAction::Remove,
            "Import" => ChangeAction::Import,
            "Dynamic" => ChangeAction::Dynamic,
            other => ChangeAction::Other(other.to_string()),
        }
    }
}

impl ChangeAction {
    pub fn as_str(&self) -> &str {
        match self {
            ChangeAction::Add => "Add",
            ChangeAction::Modify => "Modify",
            ChangeAction::Remove => "Remove",
            ChangeAction::Import => "Import",
            ChangeAction::Dynamic => "Dynamic",
            ChangeAction::Other(s) => s,
        }
    }
}

/// Whether a Modify replaces the resource (a new physical resource: its data is gone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Replacement {
    True,
    False,
    /// It depends on a value only known while the update runs.
    Conditional,
}

impl Replacement {
    /// As CloudFormation spells it; `None` for a value it does not send.
    pub fn parse(s: &str) -> Option<Replacement> {
        match s {
            "True" => Some(Replacement::True),
            "False" => Some(Replacement::False),
            "Conditional" => Some(Replacement::Conditional),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Replacement::True => "True",
            Replacement::False => "False",
            Replacement::Conditional => "Conditional",
        }
    }
}

/// One resource change, as shown in the table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Change {
    pub action: ChangeAction,
    pub logical_id: String,
    pub resource_type: String,
    /// Modify only.
    pub replacement: Option<Replacement>,
}

/// The change-set table: action, logical id, type, replacement (one line each).
pub struct ChangeTable<'a>(pub &'a [Change]);

impl fmt::Display for ChangeTable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<8} {:<36} {:<36} REPLACEMENT",
            "ACTION", "RESOURCE", "TYPE"
        )?;
        for c in self.0 {
            write!(
                f,
                "\n{:<8} {:<36} {:<36} {}",
                c.action.as_str(),
                c.logical_id,
                c.resource_type,
                c.replacement.map_or("-", Replacement::as_str)
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_one_line_per_change() {
        let changes = [Change {
            action: ChangeAction::Modify,
            logical_id: "Stream".into(),
            resource_type: "AWS::Kinesis::Stream".into(),
            replacement: Some(Replacement::True),
        }];
        let text = ChangeTable(&changes).to_string();
        assert_eq!(text.lines().count(), 2);
        assert!(text.ends_with("Modify   Stream                               AWS::Kinesis::Stream                 True"), "{text}");
        let json = serde_json::to_value(&changes[0]).unwrap();
        assert_eq!(json["action"], "Modify");
        assert_eq!(json["replacement"], "True");
        assert_eq!(
            ChangeAction::from("Weird"),
            ChangeAction::Other("Weird".into())
        );
        assert_eq!(
            serde_json::to_value(ChangeAction::from("Weird")).unwrap(),
            "Weird"
        );
    }
}
