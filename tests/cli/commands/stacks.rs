//! The stack commands on the emulator, in process: bootstrap, publish, diff,
//! deploy, status, outputs, dashboard, destroy, each in text and in JSON.
//! One emulator, one stack's life; each step is a named case with its own
//! expected files.

use streamkit_testkit::Emulator;

use super::{expect, run, tmp, Run, Setup};
use crate::support::cli::fake_dist;

const BASE: &str = "sk-cmd-assets";

struct Stacks {
    emu: Emulator,
    dir: tempfile::TempDir,
}

impl Stacks {
    fn text(&self) -> Setup {
        Setup::on(&self.emu.endpoint())
    }

    fn json(&self) -> Setup {
        self.text().json()
    }

    fn step(&self, name: &str, setup: &Setup, args: &[&str]) -> Run {
        self.check(name, setup, run(setup, args))
    }

    /// A step whose lines come in any order (uploads finish in parallel).
    fn step_unordered(&self, name: &str, setup: &Setup, args: &[&str]) -> Run {
        let r = run(setup, args);
        let sorted = |text: &str| {
            let mut lines: Vec<&str> = text.lines().collect();
            lines.sort();
            lines.iter().map(|l| format!("{l}\n")).collect::<String>()
        };
        let r = Run {
            stdout: sorted(&r.stdout),
            stderr: sorted(&r.stderr),
            ..r
        };
        self.check(name, setup, r)
    }

    fn check(&self, name: &str, setup: &Setup, r: Run) -> Run {
        let ext = if setup.json { "json" } else { "txt" };
        let port = format!(":{}", self.emu.port());
        let r = Run {
            stdout: r.stdout.replace(&port, ":<port>"),
            stderr: r.stderr.replace(&port, ":<port>"),
            ..r
        };
        expect(&format!("{name}.{ext}"), &r, Some(self.dir.path()));
        r
    }
}

fn bootstrap(s: &Stacks) {
    s.step(
        "bootstrap",
        &s.text(),
        &["bootstrap", "--bucket-base", BASE],
    );
    s.step(
        "bootstrap-again",
        &s.json(),
        &["bootstrap", "--bucket-base", BASE],
    );
}

fn publish(s: &Stacks) {
    fake_dist(s.dir.path(), BASE);
    let dist = s.dir.path().join("deployment").display().to_string();
    s.step_unordered("publish", &s.text(), &["publish", "--dist-dir", &dist]);
    s.step_unordered(
        "publish-unchanged",
        &s.json(),
        &["publish", "--dist-dir", &dist],
    );
}

fn diff(s: &Stacks) {
    s.step("diff", &s.text(), &["diff", "--pattern", "3"]);
    let r = s.step("diff-json", &s.json(), &["diff", "--pattern", "3"]);
    let last = r.json().pop().unwrap();
    assert_eq!(last["outcome"], "changes");
    assert!(last["changes"].as_array().is_some_and(|c| !c.is_empty()));
}

fn deploy(s: &Stacks) {
    s.step("deploy", &s.text(), &["deploy", "--pattern", "3", "--yes"]);
    let update = [
        "deploy",
        "--pattern",
        "3",
        "--yes",
        "--parameter",
        "RetentionHours=48",
    ];
    let r = s.step("deploy-update", &s.json(), &update);
    let lines = r.json();
    assert_eq!(
        lines[0]["event"], "cost_estimate",
        "the estimate comes first"
    );
    assert_eq!(lines.last().unwrap()["outcome"], "updated");
    s.step(
        "deploy-no-changes",
        &s.text(),
        &["deploy", "--pattern", "3", "--yes"],
    );
}

fn read_commands(s: &Stacks) {
    for (name, args) in [
        ("status", &["status", "--pattern", "3"][..]),
        ("outputs", &["outputs", "--pattern", "3"]),
        ("dashboard", &["dashboard", "--pattern", "3"]),
        ("list", &["list"]),
    ] {
        s.step(name, &s.text(), args);
        s.step(name, &s.json(), args);
    }
}

/// The day-2 commands on pattern 3 (a stream read by Firehose, no function):
/// drift in sync, scale (its limit first: nothing changed), drift naming the
/// shard count scale changed, and redrive/replay refused (no event source
/// mapping).
fn day2(s: &Stacks) {
    s.step("drift", &s.text(), &["drift", "--pattern", "3"]);
    s.step("drift", &s.json(), &["drift", "--pattern", "3"]);
    let r = s.step(
        "scale-limit",
        &s.text(),
        &["scale", "--pattern", "3", "--shards", "5"],
    );
    assert_eq!(r.code, 2);
    let r = s.step(
        "scale",
        &s.text(),
        &["scale", "--pattern", "3", "--shards", "3", "--yes"],
    );
    assert_eq!(r.code, 0);
    s.step(
        "scale-unchanged",
        &s.json(),
        &["scale", "--pattern", "3", "--shards", "3"],
    );
    let r = s.step("drift-scaled", &s.text(), &["drift", "--pattern", "3"]);
    assert_eq!(r.code, 1);
    let r = s.step(
        "redrive-no-destination",
        &s.text(),
        &["redrive", "--pattern", "3"],
    );
    assert_eq!(r.code, 2);
    let r = s.step(
        "replay-no-mapping",
        &s.text(),
        &["replay", "--pattern", "3", "--from", "10m"],
    );
    assert_eq!(r.code, 2);
}

fn destroy(s: &Stacks) {
    s.step(
        "destroy",
        &s.text(),
        &["destroy", "--pattern", "3", "--yes"],
    );
    let deploy = [
        "deploy",
        "--pattern",
        "3",
        "--stack-name",
        "sk-cmd-json",
        "--yes",
    ];
    assert_eq!(run(&s.text(), &deploy).code, 0);
    let destroy = [
        "destroy",
        "--stack-name",
        "sk-cmd-json",
        "--delete-data",
        "--yes",
    ];
    s.step("destroy-delete-data", &s.json(), &destroy);
    s.step("status-missing", &s.text(), &["status", "--pattern", "3"]);
}

#[test]
fn stack_commands_text_and_json() {
    let s = Stacks {
        emu: Emulator::start(),
        dir: tmp(),
    };
    bootstrap(&s);
    publish(&s);
    diff(&s);
    deploy(&s);
    read_commands(&s);
    day2(&s);
    destroy(&s);
}
