//! The function binary with a bad `MAX_PUT_ATTEMPTS`: it posts the init
//! error to the Runtime API (`/runtime/init/error`, naming the variable) and
//! exits 2, before any AWS call; never falls back to the default.

use streamkit_testkit::runtime_api::run_for_init_error;

#[test]
fn a_bad_max_put_attempts_fails_init_through_the_runtime_api() {
    let base = [
        ("STREAM_NAME", "s"),
        ("AWS_REGION", "us-east-1"),
        ("TARGET_REGION", "us-west-2"),
        ("CONFIG_TABLE", "c"),
        ("CHECKPOINT_TABLE", "k"),
    ];
    for bad in ["0", "three", "99999999999"] {
        let mut env = base.to_vec();
        env.push(("MAX_PUT_ATTEMPTS", bad));
        let (code, caught) = run_for_init_error(env!("CARGO_BIN_EXE_streamkit-replicator"), &env);
        let caught = caught.expect("an init error was posted");
        assert_eq!(code, Some(2), "{bad}");
        assert_eq!(
            caught.request_line,
            "POST /2018-06-01/runtime/init/error HTTP/1.1"
        );
        let message = caught.body["errorMessage"].as_str().unwrap();
        assert!(
            message.starts_with("environment variable MAX_PUT_ATTEMPTS must be a positive integer"),
            "{message}"
        );
    }
}
