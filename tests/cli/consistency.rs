//! Small inconsistencies a first user meets (issue 26, item 12), through the
//! real binary: `--pattern` help lists every stack of the catalog; build-dist
//! writes to `--dist-dir` like publish and deploy read from (`--out` hidden);
//! `estimate` refuses flags it would drop; `pattern = 3` in streamkit.toml is
//! a pattern id like `pattern = "3"`.

use assert_cmd::Command;

fn streamkit(dir: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("streamkit").unwrap();
    cmd.current_dir(dir)
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_PROFILE")
        .env_remove("STREAMKIT_CONFIG")
        .env_remove("STREAMKIT_ENV")
        .env("NO_COLOR", "1");
    cmd
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn pattern_help_lists_every_stack_of_the_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let ids = streamkit::catalog::ids().unwrap();
    assert!(ids.iter().any(|i| i == "joins"), "{ids:?}");
    for cmd in ["deploy", "synth", "status", "destroy", "estimate"] {
        let (code, out, _) = run(streamkit(dir.path()).args([cmd, "--help"]));
        assert_eq!(code, 0);
        let line = out
            .lines()
            .skip_while(|l| !l.contains("--pattern"))
            .take(3)
            .collect::<Vec<_>>()
            .join(" ");
        for id in &ids {
            assert!(line.contains(id.as_str()), "{cmd}: {id} not in {line}");
        }
    }
}

#[test]
fn build_dist_writes_to_dist_dir_and_out_is_a_hidden_alias() {
    let dir = tempfile::tempdir().unwrap();
    let (_, out, _) = run(streamkit(dir.path()).args(["build-dist", "--help"]));
    assert!(out.contains("--dist-dir <DIR>"), "{out}");
    assert!(!out.contains("--out <"), "--out is hidden: {out}");
    // Both spellings parse (bad input after parsing: an empty solution).
    for flag in ["--dist-dir", "--out"] {
        let (code, _, err) = run(streamkit(dir.path()).args([
            "build-dist",
            "--bucket-base",
            "ab",
            "--solution",
            "s",
            "--solution-version",
            "v",
            flag,
            "d",
            "--skip-build",
        ]));
        assert_eq!(code, 2, "{flag}: {err}");
        assert!(!err.contains("unexpected argument"), "{flag}: {err}");
    }
}

#[test]
fn estimate_refuses_flags_it_would_drop() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(streamkit(dir.path()).args([
        "estimate",
        "--pattern",
        "3",
        "--regions",
        "us-east-1",
        "--tag",
        "team=data",
        "--bucket-base",
        "my-assets",
    ]));
    assert_eq!(code, 2, "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(lines.len(), 3, "{err}");
    for flag in ["--regions", "--tag", "--bucket-base"] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("error: {flag}: estimate does not use it"))),
            "{flag}: {err}"
        );
    }
}

#[test]
fn a_toml_integer_pattern_is_a_pattern_id() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("streamkit.toml"),
        "[env.default]\npattern = 3\n",
    )
    .unwrap();
    let (code, out, err) = run(streamkit(dir.path()).args(["estimate", "--output", "json"]));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["estimate"]["pattern"], "3", "{v}");
}

/// README.md and templates/CONVENTIONS.md name only files that exist (they
/// named `src/validate.rs` after it became the folder `src/validate/`), and
/// the README has its "Adding a stack" recipe beside the one for commands.
#[test]
fn docs_name_files_that_exist_and_the_recipes_are_there() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let roots = [
        "src/",
        "templates/",
        "patterns/",
        "tests/",
        "assets/",
        "docs/",
        "bench/",
        "emulator/",
        "scripts/",
        "testkit/",
    ];
    let mut missing = Vec::new();
    for doc in ["README.md", "templates/CONVENTIONS.md"] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        for (i, token) in text.split('`').enumerate() {
            let path = token.trim_end_matches(['.', ',', ':', ')']);
            let named = i % 2 == 1
                && roots.iter().any(|r| path.starts_with(r))
                && !path.contains([' ', '<', '*', '{', '$', '|']);
            // `templates/**.yaml`-style globs and `file:line` are not paths.
            let path = path.split(':').next().unwrap_or(path);
            if named && !root.join(path).exists() {
                missing.push(format!("{doc}: `{token}`"));
            }
        }
    }
    assert!(missing.is_empty(), "named but not there: {missing:#?}");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        readme.contains("\n### Adding a stack\n"),
        "the stack recipe"
    );
    assert!(
        readme.contains("[Adding a stack](#adding-a-stack)"),
        "linked from Where things are"
    );
    let commands = std::fs::read_to_string(root.join("src/commands/mod.rs")).unwrap();
    assert!(
        commands.contains("# Adding a command"),
        "the command recipe"
    );
}
