//! The cross-region lifecycle through the real binary (issue 14, item 5):
//! `destroy --regions A,B` deletes both stacks and names the global tables it
//! keeps; a new deploy over those tables is refused in one line before any
//! region starts (nothing created), `--allow-replacement` deletes and
//! recreates them; `destroy --delete-data` removes them in every region.

use serde_json::Value;
use streamkit_testkit::Emulator;

use crate::support::cli::{fake_dist, run, streamkit};

const A: &str = "us-east-1";
const B: &str = "us-west-2";
const STACK: &str = "streamkit-cross-region";
const TABLES: [&str; 2] = [
    "orders-lc-replication-config",
    "orders-lc-replication-checkpoints",
];

async fn table_exists(emu: &Emulator, region: &str, name: &str) -> bool {
    let ddb = aws_sdk_dynamodb::Client::new(&emu.sdk_config(region).await);
    match ddb.describe_table().table_name(name).send().await {
        Ok(_) => true,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            false
        }
        Err(e) => panic!("DescribeTable {name} in {region}: {e:?}"),
    }
}

async fn stack_exists(emu: &Emulator, region: &str) -> bool {
    let cfn = aws_sdk_cloudformation::Client::new(&emu.sdk_config(region).await);
    match cfn.describe_stacks().stack_name(STACK).send().await {
        Ok(out) => out.stacks().iter().any(|s| {
            s.stack_status()
                .is_some_and(|st| st.as_str() != "DELETE_COMPLETE")
        }),
        Err(_) => false,
    }
}

fn result_lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("NDJSON"))
        .filter(|l| l["event"] == "result")
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn destroy_keeps_then_deletes_the_global_tables_and_a_redeploy_reports_them_first() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    fake_dist(dir.path(), "sk-lifecycle");
    let regions = format!("{A},{B}");
    let sk = |args: &[&str]| run(streamkit(&emu, dir.path()).args(args));
    let deploy = |extra: &[&str]| {
        sk(&[
            &[
                "deploy",
                "--pattern",
                "cross-region",
                "--regions",
                &regions,
                "--parameter",
                "StreamName=orders-lc",
                "--yes",
            ][..],
            extra,
        ]
        .concat())
    };
    let (code, out, err) = deploy(&[]);
    assert_eq!(code, 0, "{out}{err}");

    let (code, out, err) = sk(&[
        "destroy",
        "--pattern",
        "cross-region",
        "--regions",
        &regions,
        "--yes",
        "--output",
        "json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let lines = result_lines(&out);
    assert_eq!(lines.len(), 2, "one result per region: {out}");
    let primary = lines.iter().find(|l| l["region"] == A).expect("primary");
    assert_eq!(primary["outcome"], "deleted");
    assert_eq!(primary["kept_tables"], serde_json::json!(TABLES), "{out}");
    for region in [A, B] {
        assert!(!stack_exists(&emu, region).await, "{region}");
        for t in TABLES {
            assert!(table_exists(&emu, region, t).await, "{t} kept in {region}");
        }
    }

    // The same stream again: reported before any region starts.
    let (code, out, err) = deploy(&[]);
    assert_eq!(code, 2, "{out}{err}");
    let line = err
        .lines()
        .find(|l| l.contains("cannot create"))
        .unwrap_or_else(|| panic!("{err}"));
    for want in [
        TABLES[0],
        TABLES[1],
        "--allow-replacement",
        "StreamName",
        "nothing was changed",
    ] {
        assert!(line.contains(want), "{want}: {line}");
    }
    for region in [A, B] {
        assert!(
            !stack_exists(&emu, region).await,
            "nothing created in {region}"
        );
    }

    let (code, out, err) = deploy(&["--allow-replacement"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("deleting retained table"), "{err}");

    let (code, out, err) = sk(&[
        "destroy",
        "--pattern",
        "cross-region",
        "--regions",
        &regions,
        "--yes",
        "--delete-data",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    for t in TABLES {
        assert!(
            out.contains(&format!("deleted table {t} with every replica")),
            "{out}"
        );
    }
    for region in [A, B] {
        assert!(!stack_exists(&emu, region).await, "{region}");
        for t in TABLES {
            assert!(
                !table_exists(&emu, region, t).await,
                "{t} deleted in {region}"
            );
        }
    }
}
