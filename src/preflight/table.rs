//! The permissions each CloudFormation resource type's handlers need: the
//! `handlers.<create|update|delete>.permissions` of the type's registry
//! schema, for the types streamkit's stacks render
//! (`handler_permissions.json`, made by `scripts/handler-permissions`; its
//! `source` says from which copy of the schemas and when). cfn-lint's copy
//! of the schemas leaves the handlers out, so the table is kept here;
//! `tests/templates.rs` checks that every type a stack renders has a row.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

/// A stack operation on one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Create,
    Update,
    Delete,
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Op::Create => "create",
            Op::Update => "update",
            Op::Delete => "delete",
        })
    }
}

#[derive(Debug, Deserialize)]
struct Table {
    source: String,
    types: BTreeMap<String, Handlers>,
}

/// One type's handler permissions.
#[derive(Debug, Deserialize)]
pub struct Handlers {
    pub create: Vec<String>,
    pub update: Vec<String>,
    pub delete: Vec<String>,
}

impl Handlers {
    pub fn of(&self, op: Op) -> &[String] {
        match op {
            Op::Create => &self.create,
            Op::Update => &self.update,
            Op::Delete => &self.delete,
        }
    }
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    serde_json::from_str(include_str!("handler_permissions.json"))
        .expect("src/preflight/handler_permissions.json is valid (checked by its unit test)")
});

/// The handler permissions of `resource_type`, if the table has it.
pub fn handlers(resource_type: &str) -> Option<&'static Handlers> {
    TABLE.types.get(resource_type)
}

/// Where the table came from, and when.
pub fn source() -> &'static str {
    &TABLE.source
}

/// The types in the table.
pub fn types() -> impl Iterator<Item = &'static str> {
    TABLE.types.keys().map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_names_its_source() {
        assert!(source().contains("registry schemas"));
        let stream = handlers("AWS::Kinesis::Stream").unwrap();
        assert!(stream
            .of(Op::Create)
            .iter()
            .any(|p| p == "kinesis:CreateStream"));
        assert!(stream
            .of(Op::Update)
            .iter()
            .any(|p| p == "kinesis:UpdateShardCount"));
        assert!(stream
            .of(Op::Delete)
            .iter()
            .any(|p| p == "kinesis:DeleteStream"));
        assert!(handlers("AWS::No::Such").is_none());
    }
}
