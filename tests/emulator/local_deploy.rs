//! The README's first command, as a newcomer runs it: `scripts/local-deploy`
//! starts the emulator, builds the code, deploys pattern 2 and prints the
//! stack's outputs.

use std::process::Command;

#[test]
fn the_readme_main_job_deploys_pattern_2_on_the_emulator() {
    let port = streamkit_testkit::free_port();
    let out = Command::new("bash")
        .arg("scripts/local-deploy")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("STREAMKIT_EMULATOR_PORT", port.to_string())
        .env_remove("AWS_PROFILE")
        .output()
        .expect("bash runs scripts/local-deploy");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "local-deploy failed:\n{stdout}\n{stderr}"
    );
    let both = format!("{stdout}{stderr}");
    assert!(
        both.contains("streamkit-pattern-2 (us-east-1): created"),
        "{both}"
    );
    for output in [
        "StreamName",
        "OutputBucketName",
        "ProducerInstanceId",
        "ProcessorName",
        "DashboardUrl",
        "AlarmTopicArn",
    ] {
        assert!(
            stdout.contains(output),
            "output {output} missing:\n{stdout}"
        );
    }
}
