//! IAM enforced on the live local cloud (issue 23): pattern 2's processor
//! writes with its execution role's session keys, so a role without
//! `s3:PutObject` (changed through IAM on the live stack) gets S3's
//! AccessDenied ("Troubleshoot access denied error messages", IAM User Guide),
//! logs it, writes nothing, and keeps its windows (its state table) until the
//! permission is back; then every tick on the stream is counted in Parquet.

use std::time::Duration;

use serde_json::Value;

use crate::pattern2::{counts_in_parquet, minute_of_ticks, ticks_on_stream};
use crate::support::common::{default_subnet, default_vpc};
use crate::support::{log_tail, producer_binary, stack_outputs, wait_for_eq, Clients, Live};

/// The emulator's denials list (`GET /_streamkit/iam/denials`).
fn denials(live: &Live) -> Vec<Value> {
    let out = std::process::Command::new("curl")
        .args([
            "-sf",
            &format!("{}/_streamkit/iam/denials", live.emu.endpoint()),
        ])
        .output()
        .expect("curl");
    let v: Value = serde_json::from_slice(&out.stdout).expect("the denials JSON");
    v["denials"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_processor_without_s3_put_object_is_denied_writes_nothing_and_loses_nothing_once_allowed(
) {
    let live = Live::start();
    let c = Clients::new(&live.emu, "us-east-1").await;
    let vpc = format!("ProducerVpcId={}", default_vpc(&c).await);
    let subnet = format!("ProducerSubnetId={}", default_subnet(&c).await);
    live.deploy(
        "2",
        &["us-east-1"],
        &[
            "--parameter",
            &vpc,
            "--parameter",
            &subnet,
            "--parameter",
            "WindowSeconds=10",
            "--parameter",
            "AllowedLatenessSeconds=5",
            "--parameter",
            "IdleShardTimeoutSeconds=3",
        ],
    );
    let outputs = stack_outputs(&c, "streamkit-pattern-2").await;
    let (stream, bucket, processor) = (
        &outputs["StreamName"],
        &outputs["OutputBucketName"],
        &outputs["ProcessorName"],
    );

    // The processor's role, through IAM: its inline policy without the S3 write statement.
    let role_arn = c
        .lambda
        .get_function_configuration()
        .function_name(processor)
        .send()
        .await
        .expect("GetFunctionConfiguration")
        .role()
        .expect("a role")
        .to_string();
    let role = role_arn
        .rsplit('/')
        .next()
        .expect("a role name")
        .to_string();
    let original = c
        .iam
        .get_role_policy()
        .role_name(&role)
        .policy_name("processor")
        .send()
        .await
        .expect("GetRolePolicy")
        .policy_document()
        .to_string();
    let decoded = percent_decode(&original);
    let mut document: Value = serde_json::from_str(&decoded).expect("a policy document");
    let statements = document["Statement"].as_array_mut().expect("statements");
    let before = statements.len();
    statements.retain(|s| s["Sid"] != "WriteOutputPrefixes");
    assert_eq!(statements.len(), before - 1, "{decoded}");
    let put = |doc: String| {
        let iam = c.iam.clone();
        let role = role.clone();
        async move {
            iam.put_role_policy()
                .role_name(role)
                .policy_name("processor")
                .policy_document(doc)
                .send()
                .await
                .expect("PutRolePolicy")
        }
    };
    put(document.to_string()).await;

    // A minute of ticks from two minutes ago: every window is past its end at once.
    let replay = live.dir.path().join("ticks.jsonl");
    std::fs::write(
        &replay,
        minute_of_ticks(chrono::Utc::now().timestamp_millis() - 120_000),
    )
    .expect("write the replay file");
    let run = std::process::Command::new(producer_binary(live.dir.path()))
        .args(["--stream", stream, "--replay"])
        .arg(&replay)
        .args(["--timestamp-field", "EVENT_TIME", "--speedup", "20"])
        .envs(live.emu.env())
        .output()
        .expect("run streamkit-producer");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );

    let session = format!("assumed-role/{role}/{processor}");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let denied: Vec<Value> = denials(&live)
            .into_iter()
            .filter(|d| {
                d["action"] == "s3:PutObject"
                    && d["principal"].as_str().unwrap_or("").ends_with(&session)
            })
            .collect();
        let logs = log_tail(&c, processor, 200).await;
        if !denied.is_empty() && logs.contains("AccessDenied") {
            let message = denied[0]["message"].as_str().expect("a message");
            assert!(
                message.contains(&format!("arn:aws:s3:::{bucket}/data/"))
                    && message.contains(
                        "because no identity-based policy allows the s3:PutObject action"
                    ),
                "{message}"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no AccessDenied for the processor's writes:\n{logs}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let written =
        c.s3.list_objects_v2()
            .bucket(bucket)
            .send()
            .await
            .expect("ListObjectsV2")
            .key_count()
            .unwrap_or(0);
    assert_eq!(written, 0, "objects written without s3:PutObject");

    // The permission back: every tick on the stream ends up counted in Parquet.
    put(decoded).await;
    let on_stream = ticks_on_stream(&c, stream).await;
    assert_eq!(on_stream.values().sum::<u64>(), 1800, "{on_stream:?}");
    wait_for_eq(
        "per-ticker counts in Parquet to equal those on the stream once the role may write",
        Duration::from_secs(180),
        &on_stream,
        || counts_in_parquet(&c, bucket),
        || log_tail(&c, processor, 30),
    )
    .await;
}

/// IAM returns policy documents URL-encoded (RFC 3986).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).expect("UTF-8")
}
