//! The function binary with a bad numeric setting: it posts the init error
//! to the Runtime API (`/runtime/init/error`, naming the variable) and exits
//! 2, before any AWS call (the secret is read after the settings).

use streamkit_testkit::runtime_api::run_for_init_error;

#[test]
fn a_bad_numeric_setting_fails_init_through_the_runtime_api() {
    let base = [
        ("API_URL", "https://example.invalid/prod"),
        ("API_KEY_SECRET", "k"),
        ("OUTPUT_BUCKET", "b"),
        ("STACK_NAME", "s"),
    ];
    for (name, bad) in [
        ("SAMPLE_EVERY", "0"),
        ("MAX_IN_FLIGHT", "twenty"),
        ("API_TIMEOUT_SECONDS", "-5"),
    ] {
        let mut env = base.to_vec();
        env.push((name, bad));
        let (code, caught) = run_for_init_error(env!("CARGO_BIN_EXE_streamkit-enrichment"), &env);
        let caught = caught.expect("an init error was posted");
        assert_eq!(code, Some(2), "{name}");
        assert_eq!(
            caught.request_line,
            "POST /2018-06-01/runtime/init/error HTTP/1.1"
        );
        assert_eq!(
            caught.body["errorMessage"],
            format!("environment variable {name} must be a positive integer, got `{bad}`")
        );
    }
}
