//! Pattern 2 deployed with build-dist dev artifacts and ProducerAutoStart:
//! the emulator runs the producer from the stack's zip with the user data's
//! arguments, its stock ticks arrive on the stream, and it stops when the
//! stack is destroyed.

use std::time::Duration;

use crate::support::{output, read_stream, wait_for, Live, REGION};
use serde_json::Value;

/// Command lines of running `streamkit-producer` processes that write to `stream`.
fn producers(stream: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let argv: Vec<String> = raw
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).to_string())
            .collect();
        let is_producer = argv
            .first()
            .is_some_and(|a| a.ends_with("/streamkit-producer"));
        if is_producer
            && argv
                .windows(2)
                .any(|w| w[0] == "--stream" && w[1] == stream)
        {
            out.push(argv);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn pattern_2_producer_runs_with_its_user_data_arguments_and_stops_with_the_stack() {
    let live = Live::start();
    let ec2 = aws_sdk_ec2::Client::new(&live.emu.sdk_config(REGION).await);
    let vpc = ec2
        .describe_vpcs()
        .send()
        .await
        .expect("DescribeVpcs")
        .vpcs()[0]
        .vpc_id()
        .expect("vpc")
        .to_string();
    let subnets = ec2
        .describe_subnets()
        .send()
        .await
        .expect("DescribeSubnets");
    let subnet = subnets
        .subnets()
        .iter()
        .find(|s| s.vpc_id() == Some(vpc.as_str()))
        .and_then(|s| s.subnet_id())
        .expect("a subnet")
        .to_string();
    let params = [
        format!("ProducerVpcId={vpc}"),
        format!("ProducerSubnetId={subnet}"),
        "ProducerAutoStart=true".to_string(),
        "ProducerRate=20".to_string(),
        "ProducerDuration=10m".to_string(),
    ];
    let outputs = live.deploy_with("2", &params);
    let stream = output(&outputs, "StreamName");

    let running = wait_for("the producer process", Duration::from_secs(30), || async {
        let found = producers(&stream);
        (!found.is_empty()).then_some(found)
    })
    .await;
    assert_eq!(running.len(), 1, "{running:?}");
    let expected = [
        "--stream",
        stream.as_str(),
        "--region",
        REGION,
        "--kind",
        "ticks",
        "--rate",
        "20",
        "--duration",
        "10m",
    ];
    assert_eq!(
        running[0][1..],
        expected.map(String::from),
        "the user data's ExecStart arguments"
    );

    let (kinesis, _) = live.kinesis_s3().await;
    let records = wait_for("ticks on the stream", Duration::from_secs(60), || async {
        let got = read_stream(&kinesis, &stream).await;
        (got.len() >= 20).then_some(got)
    })
    .await;
    for r in records.iter().take(20) {
        let tick: Value = serde_json::from_slice(&r.data).expect("a JSON tick");
        assert!(
            tick["TICKER"].is_string() && tick["PRICE"].is_number(),
            "{tick}"
        );
    }

    live.streamkit(&["destroy", "--pattern", "2", "--yes"]);
    wait_for("the producer to stop", Duration::from_secs(30), || async {
        producers(&stream).is_empty().then_some(())
    })
    .await;
}
