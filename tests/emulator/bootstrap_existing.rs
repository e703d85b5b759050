//! `bootstrap` never changes a bucket it did not create (issue 26, item 2):
//! on an existing bucket with its own lifecycle rule and SSE-KMS it reports
//! each setting that differs from streamkit's, one line each, and leaves the
//! bucket exactly as it was (encryption not weakened to SSE-S3, the rule not
//! replaced, versioning not switched on).

use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, ExpirationStatus, LifecycleExpiration, LifecycleRule,
    LifecycleRuleFilter, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
};
use streamkit_testkit::Emulator;

use crate::support::cli::{run, streamkit};

const BASE: &str = "sk-theirs";

#[tokio::test(flavor = "multi_thread")]
async fn bootstrap_reports_an_existing_buckets_differences_and_changes_nothing() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let cfg = emu.sdk_config("us-east-1").await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&cfg)
            .force_path_style(true)
            .build(),
    );
    let kms = aws_sdk_kms::Client::new(&cfg);
    let key = kms.create_key().send().await.unwrap();
    let key_arn = key.key_metadata().unwrap().arn().unwrap().to_string();
    s3.create_bucket().bucket(BASE).send().await.unwrap();
    let sse = ServerSideEncryptionConfiguration::builder()
        .rules(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(
                    ServerSideEncryptionByDefault::builder()
                        .sse_algorithm(ServerSideEncryption::AwsKms)
                        .kms_master_key_id(&key_arn)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .build()
        .unwrap();
    s3.put_bucket_encryption()
        .bucket(BASE)
        .server_side_encryption_configuration(sse)
        .send()
        .await
        .unwrap();
    let rule = LifecycleRule::builder()
        .id("keep-90-days")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("").build())
        .expiration(LifecycleExpiration::builder().days(90).build())
        .build()
        .unwrap();
    s3.put_bucket_lifecycle_configuration()
        .bucket(BASE)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(rule)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let (code, out, err) =
        run(streamkit(&emu, dir.path()).args(["bootstrap", "--bucket-base", BASE]));
    assert_eq!(code, 0, "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with(&format!(
            "exists   s3://{BASE} (us-east-1): left as it is; 4 setting(s) differ"
        )),
        "{out}"
    );
    let expected = [
        format!("  s3://{BASE} encryption: aws:kms, key {key_arn} (streamkit sets SSE-S3, AES256; kept: it is not weakened)"),
        format!("  s3://{BASE} public access block: none (streamkit blocks all four)"),
        format!("  s3://{BASE} versioning: never enabled (streamkit enables it)"),
        format!("  s3://{BASE} lifecycle: rules keep-90-days (streamkit sets one rule, expire-old-versions: noncurrent versions expire after 30 days)"),
    ];
    assert_eq!(&lines[1..5], &expected, "{out}");
    assert!(
        lines[5].starts_with(&format!("created  s3://{BASE}-us-east-1 ")),
        "{out}"
    );

    // Nothing changed on the existing bucket.
    let enc = s3
        .get_bucket_encryption()
        .bucket(BASE)
        .send()
        .await
        .unwrap();
    let d = enc.server_side_encryption_configuration().unwrap().rules()[0]
        .apply_server_side_encryption_by_default()
        .unwrap()
        .clone();
    assert_eq!(d.sse_algorithm(), &ServerSideEncryption::AwsKms);
    assert_eq!(d.kms_master_key_id(), Some(key_arn.as_str()));
    let lc = s3
        .get_bucket_lifecycle_configuration()
        .bucket(BASE)
        .send()
        .await
        .unwrap();
    let ids: Vec<&str> = lc.rules().iter().filter_map(|r| r.id()).collect();
    assert_eq!(ids, ["keep-90-days"]);
    let v = s3
        .get_bucket_versioning()
        .bucket(BASE)
        .send()
        .await
        .unwrap();
    assert_eq!(v.status(), None, "versioning left off");
    assert!(s3
        .get_public_access_block()
        .bucket(BASE)
        .send()
        .await
        .is_err());

    // JSON: the same differences, one string each.
    let (code, out, err) = run(streamkit(&emu, dir.path()).args([
        "bootstrap",
        "--bucket-base",
        BASE,
        "--output",
        "json",
    ]));
    assert_eq!(code, 0, "{err}");
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(first["outcome"], "exists");
    assert_eq!(
        first["differences"].as_array().map(Vec::len),
        Some(4),
        "{first}"
    );
    let second: serde_json::Value = serde_json::from_str(out.lines().nth(1).unwrap()).unwrap();
    assert_eq!(second["differences"], serde_json::json!([]), "{second}");
}
