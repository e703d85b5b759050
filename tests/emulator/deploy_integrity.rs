//! Artifact integrity through the real binary (issue 14, item 1): a truncated
//! or one-byte-corrupted zip is refused by `publish` and `deploy` before any
//! upload (exit 2, one line naming the file and `build-dist`, no request at
//! all: the fault proxy counts them); and an object altered in the bucket
//! under the same key is uploaded again by the next publish, because the
//! skip compares S3's stored SHA-256 checksum with the real file's.

use std::path::Path;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ChecksumAlgorithm;
use streamkit_testkit::proxy::FaultProxy;
use streamkit_testkit::Emulator;

use crate::support::cli::{fake_dist, fake_dist_of, run, streamkit, streamkit_process};

const BASE: &str = "sk-integrity";
const ZIP: &str = "consumer-0123456789abcdef.zip";

fn zip_path(dir: &Path, file: &str) -> std::path::PathBuf {
    dir.join("deployment/regional-s3-assets").join(file)
}

async fn keys(s3: &aws_sdk_s3::Client, bucket: &str) -> Vec<String> {
    let listed = s3.list_objects_v2().bucket(bucket).send().await.unwrap();
    listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn corrupt_zips_are_refused_and_an_altered_object_is_uploaded_again() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    fake_dist(dir.path(), BASE);
    let sk = |args: &[&str]| run(streamkit(&emu, dir.path()).args(args));
    let (code, _, err) = sk(&["bootstrap", "--bucket-base", BASE]);
    assert_eq!(code, 0, "{err}");
    let s3 = aws_sdk_s3::Client::new(&emu.sdk_config("us-east-1").await);
    let regional = format!("{BASE}-us-east-1");
    let good = std::fs::read(zip_path(dir.path(), ZIP)).unwrap();

    // Truncated: refused, named, nothing uploaded.
    std::fs::write(zip_path(dir.path(), ZIP), &good[..10]).unwrap();
    let (code, out, err) = sk(&["publish"]);
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains(ZIP) && err.contains("10 bytes"), "{err}");
    assert!(err.contains("rerun `streamkit build-dist`"), "{err}");
    assert!(keys(&s3, &regional).await.is_empty());

    // Same size, one byte changed: refused as altered.
    let mut corrupt = good.clone();
    corrupt[5] ^= 0x01;
    std::fs::write(zip_path(dir.path(), ZIP), &corrupt).unwrap();
    let (code, _, err) = sk(&["publish"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(ZIP) && err.contains("altered"), "{err}");
    assert!(keys(&s3, &regional).await.is_empty());

    // The real file: every object uploaded with S3's SHA-256 checksum.
    std::fs::write(zip_path(dir.path(), ZIP), &good).unwrap();
    let (code, out, err) = sk(&["publish"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("6 uploaded, 0 unchanged"), "{out}");
    let key = format!("streamkit/test/{ZIP}");
    let head = s3
        .head_object()
        .bucket(&regional)
        .key(&key)
        .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    let expected = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&good))
    };
    assert_eq!(head.checksum_sha256(), Some(expected.as_str()));
    let (_, out, _) = sk(&["publish"]);
    assert!(out.contains("0 uploaded, 6 unchanged"), "{out}");

    // The object altered in the bucket, with the metadata the old skip
    // trusted, and then with a checksum of its own (wrong) bytes: the next
    // publish sends the real file each time.
    let sha_hex = streamkit::dist::archive::sha256_hex(&good);
    s3.put_object()
        .bucket(&regional)
        .key(&key)
        .metadata("sha256", &sha_hex)
        .body(ByteStream::from(corrupt.clone()))
        .send()
        .await
        .unwrap();
    let (_, out, err) = sk(&["publish"]);
    assert!(out.contains("1 uploaded, 5 unchanged"), "{out}{err}");
    let url = format!("s3://{regional}/{key}");
    assert!(
        err.lines()
            .any(|l| l.starts_with("uploaded") && l.contains(&url)),
        "{err}"
    );
    let body = s3
        .get_object()
        .bucket(&regional)
        .key(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(body.body.collect().await.unwrap().to_vec(), good);
    s3.put_object()
        .bucket(&regional)
        .key(&key)
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .body(ByteStream::from(corrupt.clone()))
        .send()
        .await
        .unwrap();
    let (_, out, _) = sk(&["publish"]);
    assert!(out.contains("1 uploaded, 5 unchanged"), "{out}");
    let body = s3
        .get_object()
        .bucket(&regional)
        .key(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(body.body.collect().await.unwrap().to_vec(), good);
}

#[test]
fn deploy_with_a_corrupt_zip_makes_no_aws_request() {
    let emu = Emulator::start();
    let proxy = FaultProxy::start(emu.port());
    let dir = tempfile::tempdir().unwrap();
    fake_dist(dir.path(), BASE);
    let path = zip_path(dir.path(), ZIP);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let mut env = emu.env();
    env.retain(|(k, _)| *k != "AWS_ENDPOINT_URL");
    env.push(("AWS_ENDPOINT_URL", proxy.endpoint()));
    let out = streamkit_process(&env, dir.path())
        .args(["deploy", "--pattern", "1", "--yes"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(ZIP), "{err}");
    assert_eq!(proxy.injected().forwarded_requests, 0, "{err}");
}

/// A dist built for pattern 1 cannot deploy pattern 2 (issue 26, item 1):
/// refused before any AWS call, one line per missing asset naming it and the
/// `build-dist` command that makes it (keeping pattern 1 in the output).
#[test]
fn deploy_refuses_a_dist_without_the_stacks_assets() {
    let emu = Emulator::start();
    let proxy = FaultProxy::start(emu.port());
    let dir = tempfile::tempdir().unwrap();
    fake_dist_of(dir.path(), BASE, &["consumer"], &["pattern-1"]);
    let mut env = emu.env();
    env.retain(|(k, _)| *k != "AWS_ENDPOINT_URL");
    env.push(("AWS_ENDPOINT_URL", proxy.endpoint()));
    for cmd in ["deploy", "diff"] {
        let out = streamkit_process(&env, dir.path())
            .args([cmd, "--pattern", "2", "--dist-dir", "deployment"])
            .args(if cmd == "deploy" { &["--yes"][..] } else { &[] })
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {err}");
        let command = format!(
            "`streamkit build-dist --bucket-base {BASE} --solution streamkit --solution-version test --arch arm64 --pattern 1 --pattern 2 --dist-dir deployment`"
        );
        for asset in ["producer", "processor"] {
            assert!(
                err.lines().any(|l| l.starts_with("error: ")
                    && l.contains(&format!("no `{asset}` asset, which pattern 2 needs"))
                    && l.ends_with(&command)),
                "{cmd}: {asset} in:\n{err}"
            );
        }
        assert_eq!(err.lines().count(), 2, "{cmd}: one line per asset:\n{err}");
        assert_eq!(proxy.injected().forwarded_requests, 0, "{cmd}: {err}");
    }
}

/// `deploy --pattern 1` uploads its own code only (the consumer), no other
/// asset and no template, and creates no global bucket.
#[tokio::test(flavor = "multi_thread")]
async fn deploy_uploads_only_the_stacks_own_assets() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    fake_dist(dir.path(), "sk-own-assets");
    let (code, out, err) =
        run(streamkit(&emu, dir.path()).args(["deploy", "--pattern", "1", "--yes"]));
    assert_eq!(code, 0, "{out}{err}");
    let s3 = aws_sdk_s3::Client::new(&emu.sdk_config("us-east-1").await);
    assert_eq!(
        keys(&s3, "sk-own-assets-us-east-1").await,
        vec![format!("streamkit/test/{ZIP}")]
    );
    let buckets = s3.list_buckets().send().await.unwrap();
    let names: Vec<&str> = buckets.buckets().iter().filter_map(|b| b.name()).collect();
    assert!(!names.contains(&"sk-own-assets"), "{names:?}");
}

/// One bucket-base default for bootstrap, publish and deploy: the base the
/// build-dist output was built for (here no flag and no config file), and a
/// second bootstrap reports the buckets as existing.
#[tokio::test(flavor = "multi_thread")]
async fn bootstrap_publish_and_deploy_share_the_dist_bucket_base() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let base = "sk-shared-base";
    fake_dist(dir.path(), base);
    let sk = |args: &[&str]| run(streamkit(&emu, dir.path()).args(args));
    let (code, out, err) = sk(&["bootstrap"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("created  s3://{base} ")), "{out}");
    assert!(out.contains(&format!("s3://{base}-us-east-1 ")), "{out}");
    let (code, out, err) = sk(&["bootstrap"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("exists ")).count(),
        2,
        "{out}"
    );
    let (code, out, err) = sk(&["publish"]);
    assert_eq!(code, 0, "{out}{err}");
    let s3 = aws_sdk_s3::Client::new(&emu.sdk_config("us-east-1").await);
    assert!(!keys(&s3, &format!("{base}-us-east-1")).await.is_empty());
    let (code, out, err) = sk(&["deploy", "--pattern", "1", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    let buckets = s3.list_buckets().send().await.unwrap();
    let names: Vec<&str> = buckets.buckets().iter().filter_map(|b| b.name()).collect();
    assert!(
        names.iter().all(|n| !n.starts_with("streamkit-assets")),
        "no bucket under another default base: {names:?}"
    );
}
