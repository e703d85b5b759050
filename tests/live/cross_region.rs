//! Cross-region live: records put in region A appear in region B through the
//! deployed replicator Lambda on its enhanced fan-out consumer, byte for byte
//! and in order per key (JSON and binary payloads); after `streamkit failover
//! --to B`, B replicates to A, and nothing echoes back.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use streamkit_core::putrecords::OutRecord;

use crate::support::common::cli::streamkit_process;
use crate::support::common::xr::{
    by_key, by_key_out, cdc_records, config_item, json_of, pause_replicator, produce, read_all, A,
    B, STREAM,
};
use crate::support::{log_tail, stack_outputs, wait_for, wait_for_eq, Clients, Live};

/// CDC records plus binary ones (not UTF-8), all tagged so each is unique.
fn records(tag: &str, n: usize) -> Vec<OutRecord> {
    let mut out = cdc_records(n, tag);
    for i in 0..4u8 {
        let mut data = vec![0xff, 0x00, 0xfe, i];
        data.extend(tag.as_bytes());
        out.push(OutRecord {
            partition_key: format!("customer-{i}"),
            explicit_hash_key: None,
            data,
        });
    }
    out
}

/// A payload, readable: its text when it is UTF-8, else `hex:` and its bytes.
fn shown(data: &[u8]) -> String {
    match std::str::from_utf8(data) {
        Ok(text) => text.to_string(),
        Err(_) => format!(
            "hex:{}",
            data.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ),
    }
}

/// key -> payloads, shown.
fn readable(map: BTreeMap<String, Vec<Vec<u8>>>) -> BTreeMap<String, Vec<String>> {
    map.into_iter()
        .map(|(k, v)| (k, v.iter().map(|d| shown(d)).collect()))
        .collect()
}

/// (key -> payloads in stream order) of the stream's records that are among `sent`.
async fn replicated(
    cfg: &aws_config::SdkConfig,
    sent: &[OutRecord],
) -> BTreeMap<String, Vec<String>> {
    let payloads: BTreeSet<&Vec<u8>> = sent.iter().map(|r| &r.data).collect();
    let all = read_all(cfg).await;
    readable(by_key(all.iter().filter(|r| payloads.contains(&r.data))))
}

/// The last lines the region's replicator logged (for a failure message).
async fn replicator_logs(c: &Clients) -> String {
    let outputs = stack_outputs(c, "streamkit-cross-region").await;
    log_tail(c, &outputs["ReplicatorFunctionName"], 30).await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_replicator_lambda_replicates_a_to_b_and_after_failover_b_to_a() {
    let live = Live::start();
    let regions = format!("{A},{B}");
    let stream_param = format!("StreamName={STREAM}");
    live.deploy(
        "cross-region",
        &[A, B],
        &["--regions", &regions, "--parameter", &stream_param],
    );
    let (ca, cb) = (
        Clients::new(&live.emu, A).await,
        Clients::new(&live.emu, B).await,
    );
    let (cfg_a, cfg_b) = (live.emu.sdk_config(A).await, live.emu.sdk_config(B).await);

    let from_a = records("a", 40);
    produce(&cfg_a, &from_a).await;
    let expected = readable(by_key_out(&from_a));
    wait_for_eq(
        "A's records in B",
        Duration::from_secs(120),
        &expected,
        || replicated(&cfg_b, &from_a),
        || replicator_logs(&ca),
    )
    .await;

    // Failover reads the flip back and waits until B's replicator Lambda has
    // checkpointed what arrived in B since the flip: writes keep going to B
    // meanwhile (every 250 ms), as a producer's would, so it has to.
    let mut failover = streamkit_process(&live.emu.env(), live.dir.path())
        .args([
            "failover",
            "--stack-name",
            "streamkit-cross-region",
            "--to",
            B,
            "--regions",
            &regions,
        ])
        .args(["--yes", "--wait-timeout", "150"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start streamkit failover");
    let mut round = 0;
    let exited = wait_for(
        "streamkit failover to finish",
        Duration::from_secs(180),
        || {
            round += 1;
            let status = failover.try_wait().expect("poll streamkit failover");
            let cfg_b = &cfg_b;
            let tag = format!("during-{round}");
            async move {
                if status.is_none() {
                    produce(cfg_b, &records(&tag, 2)).await;
                }
                status
            }
        },
    )
    .await;
    let mut out = String::new();
    let mut err = String::new();
    failover
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut out)
        .expect("read stdout");
    failover
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("read stderr");
    assert!(exited.success(), "failover failed:\n{out}\n{err}");
    assert!(
        out.contains(&format!("the replicator in {B} has caught up")),
        "{out}\n{err}"
    );
    assert_eq!(
        config_item(&cb)
            .await
            .and_then(|i| i.get("activeRegion").cloned()),
        Some(AttributeValue::S(B.into()))
    );

    let from_b = records("b", 30);
    produce(&cfg_b, &from_b).await;
    let expected_b = readable(by_key_out(&from_b));
    wait_for_eq(
        "B's records in A",
        Duration::from_secs(120),
        &expected_b,
        || replicated(&cfg_a, &from_b),
        || replicator_logs(&cb),
    )
    .await;

    // Nothing echoed: A holds its own records once, B holds B's once.
    assert_eq!(
        replicated(&cfg_a, &from_a).await,
        expected,
        "A's own records, once each"
    );
    assert_eq!(
        replicated(&cfg_b, &from_b).await,
        expected_b,
        "B's own records, once each"
    );
    assert!(config_item(&ca).await.is_some());
    for region in [A, B] {
        live.least_privilege_in(
            region,
            "streamkit-cross-region",
            "cross-region",
            &["ReplicatorRole"],
        )
        .await;
    }
}

/// Issue 25: `local replicate` beside the deployed replicator would send
/// records twice (both read each record before either checkpoints it). It
/// refuses, naming the function and how to pause it; paused as told, the
/// local run replicates while records flow, and once resumed the deployed
/// replicator continues from the shared checkpoints: the destination holds
/// each source record once, and the duplicate count printed is the true one.
#[tokio::test(flavor = "multi_thread")]
async fn local_replicate_never_runs_beside_the_deployed_replicator_and_nothing_is_sent_twice() {
    let live = Live::start();
    let regions = format!("{A},{B}");
    let stream_param = format!("StreamName={STREAM}");
    live.deploy(
        "cross-region",
        &[A, B],
        &["--regions", &regions, "--parameter", &stream_param],
    );
    let (ca, cb) = (
        Clients::new(&live.emu, A).await,
        Clients::new(&live.emu, B).await,
    );
    let (cfg_a, cfg_b) = (live.emu.sdk_config(A).await, live.emu.sdk_config(B).await);
    let stack = "streamkit-cross-region";
    let function_a = stack_outputs(&ca, stack).await["ReplicatorFunctionName"].clone();

    // Records flowing through the deployed replicator.
    let first = cdc_records(500, "first");
    produce(&cfg_a, &first).await;
    wait_for_eq(
        "the first records in B",
        Duration::from_secs(120),
        &readable(by_key_out(&first)),
        || replicated(&cfg_b, &first),
        || replicator_logs(&ca),
    )
    .await;

    let replicate = || {
        let mut cmd = streamkit_process(&live.emu.env(), live.dir.path());
        cmd.args([
            "--output",
            "json",
            "local",
            "replicate",
            "--stack-name",
            stack,
        ])
        .args(["--regions", &regions, "--until-idle", "--idle-seconds", "3"]);
        cmd
    };
    let refused = replicate().output().expect("run streamkit local replicate");
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(3), "{err}");
    assert!(
        err.contains(&function_a) && err.contains("--no-enabled"),
        "names the deployed replicator and how to pause it: {err}"
    );

    // Paused as the refusal says: the local run replicates while records flow.
    for c in [&ca, &cb] {
        pause_replicator(c, stack).await;
    }
    let mut local = replicate()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start streamkit local replicate");
    let second = cdc_records(2000, "second");
    produce(&cfg_a, &second).await;
    let status = wait_for(
        "local replicate to go idle",
        Duration::from_secs(180),
        || {
            let s = local.try_wait().expect("poll local replicate");
            async move { s }
        },
    )
    .await;
    let mut out = String::new();
    local
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut out)
        .expect("read stdout");
    assert!(status.success(), "local replicate failed: {out}");
    let report = json_of(&out);
    let a = report["regions"]
        .as_array()
        .expect("regions")
        .iter()
        .find(|r| r["region"] == A)
        .expect("region A's run")
        .clone();

    // Resumed: the deployed replicator continues from the checkpoints.
    for c in [&ca, &cb] {
        let uuid = c
            .cfn
            .describe_stack_resource()
            .stack_name(stack)
            .logical_resource_id("ReplicatorEventSourceMapping")
            .send()
            .await
            .expect("DescribeStackResource")
            .stack_resource_detail()
            .and_then(|d| d.physical_resource_id())
            .expect("the mapping")
            .to_string();
        c.lambda
            .update_event_source_mapping()
            .uuid(uuid)
            .enabled(true)
            .send()
            .await
            .expect("UpdateEventSourceMapping Enabled=true");
    }
    let third = cdc_records(300, "third");
    produce(&cfg_a, &third).await;
    let all: Vec<OutRecord> = [first, second, third].concat();
    wait_for_eq(
        "every record in B",
        Duration::from_secs(180),
        &readable(by_key_out(&all)),
        || replicated(&cfg_b, &all),
        || replicator_logs(&ca),
    )
    .await;
    // Each once: as many records in B as in A, and the printed duplicates true.
    let (in_a, in_b) = (read_all(&cfg_a).await.len(), read_all(&cfg_b).await.len());
    assert_eq!(
        (in_a, in_b),
        (all.len(), all.len()),
        "source and destination counts"
    );
    assert_eq!(a["duplicates"], 0, "{a}");
    assert_eq!(a["records_replicated"], 2000, "{a}");
}
