//! What one stack deployment is asked to do.

use serde_json::Value;

use super::events::Poll;

/// Templates larger than this go to CloudFormation through S3.
pub const MAX_BODY: usize = 51_200;

/// One stack deployment.
#[derive(Debug, Clone)]
pub struct DeployRequest {
    pub stack: String,
    pub template: Value,
    pub parameters: Vec<(String, String)>,
    /// Tags given (`--tag`); deployed tags not named here are kept.
    pub tags: Vec<(String, String)>,
    /// Deployed tags to remove (`--remove-tag`).
    pub remove_tags: Vec<String>,
    pub allow_replacement: bool,
    /// Do not ask before changing the stack (`--yes`).
    pub yes: bool,
    /// Resources to skip when continuing an UPDATE_ROLLBACK_FAILED rollback.
    pub skip_resources: Vec<String>,
    /// Bucket and key prefix for templates over [`MAX_BODY`].
    pub template_bucket: Option<(String, String)>,
    pub poll: Poll,
    /// Only show the change set, then delete it (`streamkit diff`).
    pub plan_only: bool,
    /// `--role-arn`: the service role CloudFormation performs the change with.
    pub role_arn: Option<String>,
    /// Create the change set and leave it for review, not executed (`--no-execute`).
    pub no_execute: bool,
    /// Turn termination protection on once deployed (`--termination-protection`).
    pub termination_protection: bool,
}
