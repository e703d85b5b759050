//! Every stack through the real binary on the strict emulator: patterns 1, 2
//! (Flink engine) and 4 with their code published, and the cross-region stack
//! deployed to two regions at once with its active-region item seeded.
//! (Pattern 3 has its own walk-through in `tests/deploy.rs`; pattern 2 with
//! the Lambda engine and real code is the README's main job,
//! `tests/local_deploy.rs`.)

use serde_json::Value;
use streamkit_replicator::active::read_active;
use streamkit_testkit::Emulator;

use crate::support::cli::{fake_dist, ndjson, run, streamkit};
use crate::support::Clients;

const BASE: &str = "sk-stacks-assets";
const A: &str = "us-east-1";
const B: &str = "us-west-2";

/// Deploys, deploys again (no changes, nothing left behind), reads outputs
/// as JSON, destroys; returns the outputs.
fn deploy_cycle(emu: &Emulator, dir: &std::path::Path, args: &[&str]) -> Value {
    let sk = |extra: &[&str]| run(streamkit(emu, dir).args(args).args(extra));
    let (code, out, err) = sk(&["--yes"]);
    assert_eq!(code, 0, "deploy {args:?}: {out}\n{err}");
    assert!(out.contains(": created in "), "{args:?}: {out}");
    assert!(
        err.lines().any(
            |l| (l.starts_with("uploaded ") || l.starts_with("unchanged ")) && l.contains(" s3://")
        ),
        "the code was published: {err}"
    );
    let (code, out, err) = sk(&["--yes"]);
    assert_eq!(code, 0, "no-op {args:?}: {out}\n{err}");
    assert!(out.contains(": no changes in "), "{args:?}: {out}");
    assert!(
        err.contains("unchanged s3://"),
        "no-op publish skips by hash: {err}"
    );
    let pattern_args: Vec<&str> = args[1..]
        .chunks(2)
        .filter(|kv| kv[0] == "--pattern" || kv[0] == "--stack-name")
        .flatten()
        .copied()
        .collect();
    let (code, out, err) = run(streamkit(emu, dir)
        .arg("outputs")
        .args(&pattern_args)
        .args(["--output", "json"]));
    assert_eq!(code, 0, "outputs: {err}");
    let outputs: Value = serde_json::from_str(out.trim()).expect("outputs JSON");
    let (code, out, err) = run(streamkit(emu, dir)
        .arg("destroy")
        .args(&pattern_args)
        .arg("--yes"));
    assert_eq!(code, 0, "destroy {args:?}: {out}\n{err}");
    outputs
}

#[tokio::test(flavor = "multi_thread")]
async fn patterns_1_2_flink_and_4_deploy_no_op_and_destroy_with_their_code() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    fake_dist(dir.path(), BASE);
    let c = Clients::new(&emu, A).await;
    let vpc = format!("ProducerVpcId={}", crate::support::default_vpc(&c).await);
    let subnet = format!(
        "ProducerSubnetId={}",
        crate::support::default_subnet(&c).await
    );

    // The Flink engine runs the user's own application archive.
    c.s3.create_bucket()
        .bucket("sk-flink-apps")
        .send()
        .await
        .expect("CreateBucket");
    c.s3.put_object()
        .bucket("sk-flink-apps")
        .key("app.zip")
        .body(crate::support::EMPTY_ZIP.to_vec().into())
        .send()
        .await
        .expect("PutObject");

    let outputs = deploy_cycle(&emu, dir.path(), &["deploy", "--pattern", "1"]);
    for key in [
        "StreamName",
        "ApiEndpoint",
        "FailureQueueUrl",
        "DashboardUrl",
    ] {
        assert!(outputs["outputs"][key].is_string(), "{key}: {outputs}");
    }
    deploy_cycle(
        &emu,
        dir.path(),
        &[
            "deploy",
            "--pattern",
            "2",
            "--set",
            "engine=flink",
            "--parameter",
            "ProcessorCodeBucket=sk-flink-apps",
            "--parameter",
            "ProcessorCodeKey=app.zip",
            "--parameter",
            &vpc,
            "--parameter",
            &subnet,
        ],
    );
    deploy_cycle(
        &emu,
        dir.path(),
        &[
            "deploy",
            "--pattern",
            "4",
            "--parameter",
            &vpc,
            "--parameter",
            &subnet,
        ],
    );
    // Code went to the region's artifact bucket, under the dist's key prefix.
    let listed =
        c.s3.list_objects_v2()
            .bucket(format!("{BASE}-{A}"))
            .send()
            .await
            .expect("ListObjectsV2");
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    for asset in [
        "consumer",
        "processor",
        "producer",
        "enrichment",
        "fare-api",
    ] {
        assert!(
            keys.iter()
                .any(|k| k.starts_with(&format!("streamkit/test/{asset}-"))),
            "{asset} published: {keys:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cross_region_deploys_both_regions_in_parallel_and_seeds_the_active_region_once() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    fake_dist(dir.path(), BASE);
    let regions = format!("{A},{B}");
    let sk = |args: &[&str]| run(streamkit(&emu, dir.path()).args(args));
    let deploy = [
        "deploy",
        "--pattern",
        "cross-region",
        "--regions",
        &regions,
        "--parameter",
        "StreamName=orders-xr",
        "--yes",
    ];

    let (code, out, err) = sk(&deploy);
    assert_eq!(code, 0, "deploy: {out}\n{err}");
    for r in [A, B] {
        assert!(
            out.contains(&format!("streamkit-cross-region ({r}): created")),
            "{out}"
        );
    }
    assert!(
        out.contains("active region us-east-1 (config item seeded"),
        "{out}"
    );
    // Progress lines are labelled by region when two deploy at once.
    assert!(
        err.contains(&format!("[{A}]")) && err.contains(&format!("[{B}]")),
        "{err}"
    );

    let (ca, cb) = (Clients::new(&emu, A).await, Clients::new(&emu, B).await);
    let table = "orders-xr-replication-config";
    let seeded = read_active(&ca.dynamodb, table, "orders-xr")
        .await
        .expect("seeded in A");
    assert_eq!(seeded.region, A);
    // Active since its stream began: the first region skips nothing.
    assert_eq!(seeded.since, None, "no activeSince at the seed: {seeded:?}");
    assert_eq!(
        read_active(&cb.dynamodb, table, "orders-xr").await.ok(),
        Some(seeded.clone()),
        "the same item in B's replica"
    );
    // Each region has its own stack with its role; the tables exist in both.
    for (c, role, peer) in [(&ca, "primary", B), (&cb, "secondary", A)] {
        let stacks = c
            .cfn
            .describe_stacks()
            .stack_name("streamkit-cross-region")
            .send()
            .await
            .expect("DescribeStacks");
        let params: Vec<(String, String)> = stacks.stacks()[0]
            .parameters()
            .iter()
            .map(|p| {
                (
                    p.parameter_key().unwrap_or_default().to_string(),
                    p.parameter_value().unwrap_or_default().to_string(),
                )
            })
            .collect();
        assert!(
            params.contains(&("RegionRole".into(), role.into())),
            "{params:?}"
        );
        assert!(
            params.contains(&("PeerRegion".into(), peer.into())),
            "{params:?}"
        );
    }

    // After a failover the item says B; a redeploy must not flip it back.
    let (code, out, err) = sk(&[
        "failover",
        "--stack-name",
        "streamkit-cross-region",
        "--regions",
        &regions,
        "--to",
        B,
        "--yes",
        "--no-wait",
    ]);
    assert_eq!(code, 0, "failover: {out}\n{err}");
    let (code, out, err) = sk(&[&deploy[..], &["--output", "json"]].concat());
    assert_eq!(code, 0, "redeploy: {out}\n{err}");
    let lines = ndjson(&out);
    let results: Vec<&Value> = lines.iter().filter(|l| l["event"] == "result").collect();
    assert_eq!(results.len(), 2, "{out}");
    assert!(
        results.iter().all(|r| r["outcome"] == "no changes"),
        "{out}"
    );
    let active = lines
        .iter()
        .find(|l| l["event"] == "active_region")
        .expect("active_region event");
    assert_eq!(active["active_region"], B, "{out}");
    assert_eq!(active["seeded"], false);
    assert_eq!(
        read_active(&ca.dynamodb, table, "orders-xr")
            .await
            .unwrap()
            .region,
        B
    );
}
