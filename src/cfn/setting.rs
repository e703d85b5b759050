//! Parameter and tag changes of a deploy (old -> new), shown with the change
//! table: CloudFormation's change set lists resources only, so a changed
//! parameter or a tag-only change would otherwise be invisible.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// One parameter or tag whose value changes (`None`: absent on that side).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingChange {
    pub key: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// Keys whose value differs between `old` and `new`, sorted by key.
pub fn diff(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> Vec<SettingChange> {
    let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    keys.into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .map(|k| SettingChange {
            key: k.clone(),
            old: old.get(k).cloned(),
            new: new.get(k).cloned(),
        })
        .collect()
}

/// `Parameter KEY: OLD -> NEW` and `Tag KEY: OLD -> NEW` lines.
pub struct SettingsTable<'a> {
    pub parameters: &'a [SettingChange],
    pub tags: &'a [SettingChange],
}

impl fmt::Display for SettingsTable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows = self
            .parameters
            .iter()
            .map(|c| ("Parameter", c))
            .chain(self.tags.iter().map(|c| ("Tag", c)));
        for (i, (what, c)) in rows.enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            let side = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
            write!(f, "{what} {}: {} -> {}", c.key, side(&c.old), side(&c.new))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn changed_added_and_removed_keys_are_listed() {
        let old = map(&[("ShardCount", "2"), ("Mode", "A"), ("gone", "x")]);
        let new = map(&[("ShardCount", "4"), ("Mode", "A"), ("team", "data")]);
        let d = diff(&old, &new);
        assert_eq!(d.len(), 3);
        let text = SettingsTable {
            parameters: &d[..1],
            tags: &d[1..],
        }
        .to_string();
        assert_eq!(
            text,
            "Parameter ShardCount: 2 -> 4\nTag gone: x -> (none)\nTag team: (none) -> data"
        );
    }
}
