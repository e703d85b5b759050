//! What a terminal gets: the live view drawn (ANSI, a spinner or bar with
//! events scrolling above it) and questions answered on stdin; with a fake
//! terminal flag and in-memory streams.

use streamkit::io::Terminal;
use streamkit_testkit::Emulator;

use super::offline::build_dist_args;
use super::{run, tmp, Setup};

fn terminal(stdin: &str) -> Terminal {
    Terminal {
        stdin: !stdin.is_empty(),
        stdout: true,
        stderr: true,
    }
}

#[test]
fn build_dist_draws_a_packaging_bar() {
    let dir = tmp();
    let args = build_dist_args(dir.path(), "deployment");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let setup = Setup {
        terminal: terminal(""),
        ..Setup::default()
    };
    let r = run(&setup, &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("packaging"), "{:?}", r.stderr);
    assert!(
        r.stderr.contains("\x1b["),
        "drawn with ANSI: {:?}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("packaged consumer: consumer-") || r.stderr.contains("\x1b[2K"),
        "lines belong to the bar: {:?}",
        r.stderr
    );
    assert!(r.stdout.starts_with("asset "), "{}", r.stdout);
}

#[test]
fn deploy_asks_on_a_terminal_and_draws_the_live_view() {
    let emu = Emulator::start();
    let on = |stdin: &str| Setup {
        terminal: terminal(stdin),
        stdin: stdin.into(),
        ..Setup::on(&emu.endpoint())
    };
    let deploy = ["deploy", "--pattern", "3"];

    let r = run(&on("n\n"), &deploy);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("Deploy 23 change(s) to streamkit-pattern-3 in us-east-1? [y/N] "),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("cancelled; nothing was changed"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, "");
    let r = run(&on(""), &["status", "--pattern", "3"]);
    assert_eq!(
        r.code, 2,
        "a cancelled first deploy leaves no stack: {}",
        r.stderr
    );

    let r = run(&on("y\n"), &deploy);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with("streamkit-pattern-3 (us-east-1): created in "),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains("\x1b["),
        "the live view is drawn: {:?}",
        r.stderr
    );
    // Resource events scroll above the spinner (each padded to the terminal
    // width), which counts what is done.
    assert!(
        r.stderr.contains(
            "CREATE_COMPLETE              AWS::KinesisFirehose::DeliveryStream DeliveryStream"
        ),
        "{:?}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("streamkit-pattern-3: 22 done, 0 in progress"),
        "{:?}",
        r.stderr
    );

    let r = run(&on("y\n"), &["destroy", "--pattern", "3"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("Delete stack streamkit-pattern-3 in us-east-1; data buckets"),
        "{}",
        r.stderr
    );
}
