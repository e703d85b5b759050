//! Rendering is deterministic: every stack rendered twice in one process (the
//! second time from the cached fragments) and once in another process gives the
//! same bytes.

use std::process::Command;

use streamkit::catalog;
use streamkit::render::{render, RenderOptions};

fn all_in_process() -> Vec<(String, String)> {
    let opts = RenderOptions::default();
    catalog::all()
        .expect("manifests load")
        .iter()
        .map(|m| {
            (
                m.id.to_string(),
                render(m, &opts).expect("renders").to_json(),
            )
        })
        .collect()
}

#[test]
fn every_stack_renders_the_same_twice_in_one_process_and_in_another() {
    let first = all_in_process();
    let second = all_in_process();
    assert_eq!(first, second);
    for (id, text) in &first {
        let out = Command::new(env!("CARGO_BIN_EXE_streamkit"))
            .args(["synth", "--pattern", id])
            .env_remove("STREAMKIT_CONFIG")
            .output()
            .expect("streamkit runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(&String::from_utf8_lossy(&out.stdout), text, "pattern {id}");
    }
}
