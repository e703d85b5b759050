//! Stack and resource statuses (`CREATE_COMPLETE`, `UPDATE_ROLLBACK_FAILED`,
//! ...): one enum for both, as CloudFormation spells them on the wire, with
//! the questions the deployer asks of them.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! statuses {
    ($($variant:ident => $text:literal,)*) => {
        /// The status of a stack or of one of its resources.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum Status {
            $(#[doc = $text] $variant,)*
            /// A status this version of streamkit does not know (kept as sent).
            Other(String),
        }

        impl Status {
            /// The status as CloudFormation spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Status::$variant => $text,)*
                    Status::Other(s) => s,
                }
            }
        }

        impl From<&str> for Status {
            fn from(s: &str) -> Status {
                match s {
                    $($text => Status::$variant,)*
                    other => Status::Other(other.to_string()),
                }
            }
        }
    };
}

statuses! {
    CreateInProgress => "CREATE_IN_PROGRESS",
    CreateFailed => "CREATE_FAILED",
    CreateComplete => "CREATE_COMPLETE",
    RollbackInProgress => "ROLLBACK_IN_PROGRESS",
    RollbackFailed => "ROLLBACK_FAILED",
    RollbackComplete => "ROLLBACK_COMPLETE",
    DeleteInProgress => "DELETE_IN_PROGRESS",
    DeleteFailed => "DELETE_FAILED",
    DeleteComplete => "DELETE_COMPLETE",
    DeleteSkipped => "DELETE_SKIPPED",
    UpdateInProgress => "UPDATE_IN_PROGRESS",
    UpdateCompleteCleanupInProgress => "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
    UpdateComplete => "UPDATE_COMPLETE",
    UpdateFailed => "UPDATE_FAILED",
    UpdateRollbackInProgress => "UPDATE_ROLLBACK_IN_PROGRESS",
    UpdateRollbackFailed => "UPDATE_ROLLBACK_FAILED",
    UpdateRollbackCompleteCleanupInProgress => "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
    UpdateRollbackComplete => "UPDATE_ROLLBACK_COMPLETE",
    ReviewInProgress => "REVIEW_IN_PROGRESS",
    ImportInProgress => "IMPORT_IN_PROGRESS",
    ImportComplete => "IMPORT_COMPLETE",
    ImportFailed => "IMPORT_FAILED",
    ImportRollbackInProgress => "IMPORT_ROLLBACK_IN_PROGRESS",
    ImportRollbackFailed => "IMPORT_ROLLBACK_FAILED",
    ImportRollbackComplete => "IMPORT_ROLLBACK_COMPLETE",
}

impl Status {
    /// An operation is still running (every `*_IN_PROGRESS`, including
    /// `REVIEW_IN_PROGRESS`, a stack created by a change set not yet run).
    pub fn in_progress(&self) -> bool {
        self.as_str().ends_with("_IN_PROGRESS")
    }

    /// No operation is running.
    pub fn is_terminal(&self) -> bool {
        !self.in_progress()
    }

    /// A resource (or stack) operation failed (`*_FAILED`).
    pub fn is_failed(&self) -> bool {
        self.as_str().ends_with("_FAILED")
    }

    /// The stack's last operation failed: it failed or was rolled back.
    pub fn is_failure(&self) -> bool {
        self.is_failed() || self.as_str().contains("ROLLBACK")
    }

    /// A failed first create: the stack cannot be updated, only deleted and
    /// created again.
    pub fn is_failed_create(&self) -> bool {
        matches!(self, Status::RollbackComplete | Status::RollbackFailed)
    }
}

impl From<String> for Status {
    fn from(s: String) -> Status {
        Status::from(s.as_str())
    }
}

impl From<Status> for String {
    fn from(s: Status) -> String {
        s.as_str().to_string()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_keeps_unknown_statuses() {
        for s in [
            "UPDATE_ROLLBACK_FAILED",
            "REVIEW_IN_PROGRESS",
            "SOMETHING_NEW",
        ] {
            assert_eq!(Status::from(s).as_str(), s);
        }
        assert_eq!(
            Status::from("SOMETHING_NEW"),
            Status::Other("SOMETHING_NEW".into())
        );
        let json = serde_json::to_string(&Status::CreateComplete).unwrap();
        assert_eq!(json, "\"CREATE_COMPLETE\"");
        assert_eq!(
            format!("{:<16}|", Status::CreateComplete),
            "CREATE_COMPLETE |"
        );
    }

    #[test]
    fn questions() {
        assert!(Status::ReviewInProgress.in_progress());
        assert!(Status::UpdateRollbackComplete.is_failure());
        assert!(!Status::UpdateRollbackComplete.is_failed());
        assert!(Status::DeleteFailed.is_failed() && Status::DeleteFailed.is_terminal());
        assert!(!Status::UpdateComplete.is_failure());
        assert!(Status::RollbackComplete.is_failed_create());
    }
}
