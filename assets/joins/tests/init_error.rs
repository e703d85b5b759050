//! The function binary with a bad numeric setting: it posts the init error
//! to the Runtime API (`/runtime/init/error`, naming the variable) and exits
//! 2, before any AWS call.

use streamkit_testkit::runtime_api::run_for_init_error;

#[test]
fn a_bad_numeric_setting_fails_init_through_the_runtime_api() {
    let base = [
        ("STATE_TABLE", "t"),
        ("OUTPUT_TABLE", "o"),
        ("OUTPUT_BUCKET", "b"),
        ("STACK_NAME", "s"),
    ];
    for (name, bad) in [
        ("JOIN_WINDOW_SECONDS", "0"),
        ("REFERENCE_CHECK_SECONDS", "x"),
        ("STATE_RETENTION_HOURS", "9000"),
        ("ALLOWED_LATENESS_SECONDS", " "),
    ] {
        let mut env = base.to_vec();
        env.push((name, bad));
        let (code, caught) = run_for_init_error(env!("CARGO_BIN_EXE_streamkit-joins"), &env);
        let caught = caught.expect("an init error was posted");
        assert_eq!(code, Some(2), "{name}");
        assert_eq!(
            caught.request_line,
            "POST /2018-06-01/runtime/init/error HTTP/1.1"
        );
        let message = caught.body["errorMessage"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("environment variable {name} must be")),
            "{message}"
        );
    }
}
