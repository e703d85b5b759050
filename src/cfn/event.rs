//! One stack event, in the fields streamkit shows.

use serde::Serialize;

use super::status::Status;

/// One CloudFormation stack event.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StackEvent {
    pub id: String,
    /// The stack's name.
    pub stack: String,
    pub time: String,
    pub logical_id: String,
    pub resource_type: String,
    pub status: Status,
    pub reason: Option<String>,
}

impl StackEvent {
    /// Whether this event is about the stack itself rather than a resource.
    pub fn is_stack(&self) -> bool {
        self.resource_type == "AWS::CloudFormation::Stack"
    }

    /// A resource stopped because another failed (not a cause of its own).
    pub fn is_cancellation(&self) -> bool {
        let reason = self.reason.as_deref().unwrap_or_default().to_lowercase();
        reason.contains("cancelled") || reason.contains("canceled")
    }
}
