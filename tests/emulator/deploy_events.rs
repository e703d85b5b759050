//! The event-stream logic (progress, root cause, stuck states) against
//! recorded CloudFormation responses (`tests/fixtures/cfn-events/<case>/NN-<Action>.xml`,
//! real awsQuery response shapes) replayed through the SDK's HTTP client
//! interface: the real CloudFormation client, no AWS, no emulator (which
//! completes stacks synchronously and never rolls back).

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_runtime_api::client::http::{
    http_client_fn, HttpConnector, HttpConnectorFuture, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use serde_json::{json, Value};
use streamkit::args::OutputFormat;
use streamkit::aws::Aws;
use streamkit::cfn::status::Status;
use streamkit::deploy::events::{self, Poll};
use streamkit::deploy::{self, DeployRequest, Outcome};
use streamkit::io::Io;

/// Answers each request with the next recorded response, checking that the
/// request is for the recorded action; keeps the request bodies.
#[derive(Debug, Clone)]
struct Replay {
    responses: Arc<Mutex<VecDeque<(String, String)>>>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Replay {
    fn load(case: &str) -> Replay {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/cfn-events")
            .join(case);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("fixture dir")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        let responses = files
            .iter()
            .map(|p| {
                let stem = p.file_stem().and_then(|s| s.to_str()).expect("name");
                let action = stem.split_once('-').expect("NN-Action").1.to_string();
                (action, std::fs::read_to_string(p).expect("fixture"))
            })
            .collect();
        Replay {
            responses: Arc::new(Mutex::new(responses)),
            requests: Arc::default(),
        }
    }

    fn actions(&self) -> Vec<String> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|b| form_value(b, "Action").unwrap_or_default())
            .collect()
    }

    fn remaining(&self) -> usize {
        self.responses.lock().unwrap().len()
    }

    fn aws(&self) -> Aws {
        let replay = self.clone();
        let client = http_client_fn(move |_, _| SharedHttpConnector::new(replay.clone()));
        let config = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "AKID", "SECRET", None, None, "test",
            )))
            .http_client(client)
            .build();
        Aws {
            config,
            region: "us-east-1".into(),
            endpoint: None,
        }
    }
}

impl HttpConnector for Replay {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let body = String::from_utf8_lossy(request.body().bytes().unwrap_or_default()).to_string();
        let action = form_value(&body, "Action").unwrap_or_default();
        self.requests.lock().unwrap().push(body);
        let (expected, xml) = self
            .responses
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected extra request {action}"));
        assert_eq!(action, expected, "requests out of the recorded order");
        let response = Response::new(StatusCode::try_from(200).unwrap(), SdkBody::from(xml));
        HttpConnectorFuture::ready(Ok(response))
    }
}

fn form_value(body: &str, key: &str) -> Option<String> {
    body.split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")).map(str::to_string))
}

fn fast() -> Poll {
    Poll {
        initial: Duration::from_millis(1),
        max: Duration::from_millis(2),
    }
}

fn ndjson(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).expect("NDJSON"))
        .collect()
}

#[tokio::test]
async fn failed_create_names_the_first_non_cancellation_failure() {
    let replay = Replay::load("failed-create");
    let aws = replay.aws();
    let cfn = aws.cloudformation();
    let (io, out, _) = Io::memory(OutputFormat::Json);
    let watched = {
        let marker = events::latest_event_id(&cfn, &aws, "sk-fail")
            .await
            .unwrap();
        events::watch(&cfn, &aws, "sk-fail", marker, fast(), &io.progress())
            .await
            .unwrap()
    };
    assert_eq!(replay.remaining(), 0);
    assert_eq!(watched.status, Status::RollbackComplete);
    assert!(watched.failed());
    let cause = events::root_cause(&watched.events).unwrap();
    assert_eq!(
        (cause.logical_id.as_str(), cause.resource_type.as_str()),
        ("OutputBucket", "AWS::S3::Bucket")
    );
    let message = events::failure_message("sk-fail", &watched);
    assert!(message.contains("already exists"), "{message}");
    assert!(
        message.contains("--yes"),
        "next step is delete and recreate: {message}"
    );
    // One NDJSON event per stack event after the marker, oldest first.
    let lines = ndjson(&out.text());
    assert_eq!(lines.len(), 14);
    assert_eq!(lines[0]["status"], "CREATE_IN_PROGRESS");
    assert_eq!(lines[13]["status"], "ROLLBACK_COMPLETE");
    assert!(lines.iter().all(|l| l["event"] == "resource"));
}

#[tokio::test]
async fn update_rollback_reports_the_cause_and_previous_state() {
    let replay = Replay::load("update-rollback");
    let aws = replay.aws();
    let cfn = aws.cloudformation();
    let (io, out, _) = Io::memory(OutputFormat::Json);
    let watched = {
        let marker = events::latest_event_id(&cfn, &aws, "sk-upd").await.unwrap();
        events::watch(&cfn, &aws, "sk-upd", marker, fast(), &io.progress())
            .await
            .unwrap()
    };
    assert_eq!(
        replay.remaining(),
        0,
        "polled until the terminal event, past the cleanup phase"
    );
    assert_eq!(watched.status, Status::UpdateRollbackComplete);
    let cause = events::root_cause(&watched.events).unwrap();
    assert_eq!(
        cause.logical_id, "Stream",
        "the cancelled DeliveryStream is not the cause"
    );
    let message = events::failure_message("sk-upd", &watched);
    assert!(message.contains("exceeds the account limit"), "{message}");
    assert!(message.contains("previous state"), "{message}");
    assert_eq!(ndjson(&out.text()).len(), 10);
}

#[tokio::test]
async fn update_rollback_failed_is_continued_with_skipped_resources() {
    let replay = Replay::load("update-rollback-failed");
    let aws = replay.aws();
    let template = json!({"Parameters": {"ShardCount": {"Type": "Number", "Default": 2}}, "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}});
    let req = DeployRequest {
        role_arn: None,
        stack: "sk-urf".into(),
        template,
        parameters: vec![],
        tags: vec![("streamkit:pattern".into(), "2".into())],
        remove_tags: vec![],
        allow_replacement: false,
        yes: false,
        skip_resources: vec!["Processor".into()],
        template_bucket: None,
        poll: fast(),
        plan_only: false,
        no_execute: false,
        termination_protection: false,
    };
    let (io, _, _) = Io::memory(OutputFormat::Json);
    let result = deploy::deploy(&aws, &req, &io.progress()).await.unwrap();
    assert_eq!(replay.remaining(), 0);
    assert_eq!(
        replay.actions(),
        [
            "DescribeStacks",
            "DescribeStackEvents",
            "ContinueUpdateRollback",
            "DescribeStackEvents",
            "DescribeStackEvents",
            "DescribeStacks",
            "GetTemplate"
        ]
    );
    let continue_body = &replay.requests.lock().unwrap()[2];
    assert!(
        continue_body.contains("ResourcesToSkip.member.1=Processor"),
        "{continue_body}"
    );
    // After the rollback the stack matches the request: no change set at all.
    assert_eq!(result.result, Outcome::NoChanges);
}
