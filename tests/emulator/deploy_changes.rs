//! Changes a change set does not list (issue 14, item 4), through the real
//! binary: parameter changes shown old -> new and tag changes beside the
//! change table (text and JSON), and a tag-only change applied (the stack's
//! tags read back through the SDK), not reported as "no changes".

use std::collections::BTreeMap;

use streamkit_testkit::Emulator;

use crate::support::cli::{ndjson, run, streamkit};

async fn stack_tags(emu: &Emulator, stack: &str) -> BTreeMap<String, String> {
    let cfn = aws_sdk_cloudformation::Client::new(&emu.sdk_config("us-east-1").await);
    let out = cfn
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .unwrap();
    out.stacks()[0]
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn parameter_and_tag_changes_are_shown_and_a_tag_only_change_is_applied() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let sk = |args: &[&str]| {
        run(streamkit(&emu, dir.path())
            .args([
                "deploy",
                "--pattern",
                "3",
                "--stack-name",
                "sk-changes",
                "--yes",
            ])
            .args(args))
    };
    let (code, out, err) = sk(&[]);
    assert_eq!(code, 0, "{out}{err}");

    let (code, out, err) = sk(&["--parameter", "RetentionHours=48", "--tag", "team=data"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("sk-changes (us-east-1): updated"), "{out}");
    assert!(err.contains("Parameter RetentionHours: 24 -> 48"), "{err}");
    assert!(err.contains("Tag team: (none) -> data"), "{err}");
    assert_eq!(
        stack_tags(&emu, "sk-changes")
            .await
            .get("team")
            .map(String::as_str),
        Some("data")
    );

    // Tag only: applied, not "no changes"; the parameter keeps its value.
    let (code, out, err) = sk(&["--tag", "team=ops"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("sk-changes (us-east-1): updated"),
        "{out}\n{err}"
    );
    assert!(err.contains("Tag team: data -> ops"), "{err}");
    assert!(!err.contains("Parameter "), "no parameter changed: {err}");
    let tags = stack_tags(&emu, "sk-changes").await;
    assert_eq!(
        tags.get("team").map(String::as_str),
        Some("ops"),
        "{tags:?}"
    );
    assert_eq!(
        tags.get("streamkit:pattern").map(String::as_str),
        Some("3"),
        "{tags:?}"
    );

    // The same tags again: no changes.
    let (code, out, _) = sk(&["--tag", "team=ops"]);
    assert_eq!(code, 0);
    assert!(out.contains("no changes"), "{out}");

    // JSON: a `settings` event with old and new.
    let (code, out, err) = sk(&["--tag", "team=web", "--output", "json"]);
    assert_eq!(code, 0, "{err}");
    let events = ndjson(&out);
    let settings = events
        .iter()
        .find(|e| e["event"] == "settings")
        .unwrap_or_else(|| panic!("a settings event: {out}"));
    assert_eq!(settings["tags"][0]["key"], "team");
    assert_eq!(settings["tags"][0]["old"], "ops");
    assert_eq!(settings["tags"][0]["new"], "web");
    assert_eq!(settings["parameters"], serde_json::json!([]));
}

/// Deployed tags are kept by an update that does not name them (issue 26,
/// item 4), as parameters keep their values; `--remove-tag KEY` removes one
/// (shown `data -> (none)`), and the tag streamkit sets cannot be removed.
#[tokio::test(flavor = "multi_thread")]
async fn tags_are_kept_on_updates_until_removed_explicitly() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let sk = |args: &[&str]| {
        run(streamkit(&emu, dir.path())
            .args([
                "deploy",
                "--pattern",
                "3",
                "--stack-name",
                "sk-kept-tags",
                "--yes",
            ])
            .args(args))
    };
    let (code, out, err) = sk(&["--tag", "team=data", "--tag", "cost=42"]);
    assert_eq!(code, 0, "{out}{err}");

    let (code, out, err) = sk(&["--parameter", "ShardCount=3"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("sk-kept-tags (us-east-1): updated"), "{out}");
    assert!(err.contains("Parameter ShardCount: 2 -> 3"), "{err}");
    assert!(!err.contains("Tag "), "no tag changes: {err}");
    let tags = stack_tags(&emu, "sk-kept-tags").await;
    assert_eq!(
        tags.get("team").map(String::as_str),
        Some("data"),
        "{tags:?}"
    );
    assert_eq!(tags.get("cost").map(String::as_str), Some("42"), "{tags:?}");

    // Nothing named: no changes (the kept tags are not a change).
    let (code, out, _) = sk(&[]);
    assert_eq!(code, 0);
    assert!(out.contains("no changes"), "{out}");

    let (code, out, err) = sk(&["--remove-tag", "team"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("Tag team: data -> (none)"), "{err}");
    assert!(!err.contains("Tag cost"), "{err}");
    let tags = stack_tags(&emu, "sk-kept-tags").await;
    assert_eq!(tags.get("team"), None, "{tags:?}");
    assert_eq!(tags.get("cost").map(String::as_str), Some("42"), "{tags:?}");
    assert_eq!(tags.get("streamkit:pattern").map(String::as_str), Some("3"));

    for (args, want) in [
        (
            &["--remove-tag", "streamkit:pattern"][..],
            "--remove-tag streamkit:pattern: streamkit sets this tag on every stack",
        ),
        (
            &["--remove-tag", "cost", "--tag", "cost=43"][..],
            "--remove-tag cost: also given as --tag cost=...",
        ),
    ] {
        let (code, _, err) = sk(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

/// `deploy --no-execute` (issue 26, item 13, part): the change set is made
/// and left AVAILABLE for review, with the command that executes it; nothing
/// is deployed; a later deploy still works.
#[tokio::test(flavor = "multi_thread")]
async fn no_execute_leaves_the_change_set_for_review() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let sk = |args: &[&str]| {
        run(streamkit(&emu, dir.path())
            .args([
                "deploy",
                "--pattern",
                "3",
                "--stack-name",
                "sk-review",
                "--yes",
            ])
            .args(args))
    };
    let (code, out, err) = sk(&["--no-execute"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with("sk-review (us-east-1): change set created"),
        "{out}"
    );
    let line = out
        .lines()
        .find(|l| {
            l.contains(
                "aws cloudformation execute-change-set --region us-east-1 --change-set-name ",
            )
        })
        .unwrap_or_else(|| panic!("{out}"));
    let arn = line.rsplit(' ').next().unwrap();
    let cfn = aws_sdk_cloudformation::Client::new(&emu.sdk_config("us-east-1").await);
    let cs = cfn
        .describe_change_set()
        .change_set_name(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(cs.status().map(|s| s.as_str()), Some("CREATE_COMPLETE"));
    assert_eq!(cs.execution_status().map(|s| s.as_str()), Some("AVAILABLE"));
    let stack = cfn
        .describe_stacks()
        .stack_name("sk-review")
        .send()
        .await
        .unwrap();
    assert_eq!(
        stack.stacks()[0].stack_status().map(|s| s.as_str()),
        Some("REVIEW_IN_PROGRESS"),
        "nothing deployed"
    );

    let (code, out, err) = sk(&[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("sk-review (us-east-1): created"), "{out}");
}
