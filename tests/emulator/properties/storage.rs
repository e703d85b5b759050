//! The properties that matter of S3 and DynamoDB resources, read back through
//! their own service's API and compared with the template.

use super::Resource;
use crate::support::check::policy_denies_insecure_transport;
use crate::support::scalar;

pub(super) async fn verify(r: &Resource<'_>) {
    match r.ty {
        "AWS::S3::Bucket" => bucket(r).await,
        "AWS::S3::BucketPolicy" => bucket_policy(r).await,
        "AWS::DynamoDB::GlobalTable" => global_table(r).await,
        _ => {}
    }
}

/// `AWS::S3::Bucket`.
async fn bucket(r: &Resource<'_>) {
    let Resource {
        c, id, props, ctx, ..
    } = *r;
    let pab =
        c.s3.get_public_access_block()
            .bucket(id)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{ctx}: public access block: {e:?}"));
    let pab = pab.public_access_block_configuration().unwrap();
    assert!(
        pab.block_public_acls() == Some(true)
            && pab.block_public_policy() == Some(true)
            && pab.ignore_public_acls() == Some(true)
            && pab.restrict_public_buckets() == Some(true),
        "{ctx}: all public access blocked: {pab:?}"
    );
    let enc =
        c.s3.get_bucket_encryption()
            .bucket(id)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{ctx}: encryption: {e:?}"));
    assert!(
        !enc.server_side_encryption_configuration()
            .unwrap()
            .rules()
            .is_empty(),
        "{ctx}: encrypted"
    );
    if let Some(rules) = props["LifecycleConfiguration"]["Rules"].as_array() {
        let lc =
            c.s3.get_bucket_lifecycle_configuration()
                .bucket(id)
                .send()
                .await
                .unwrap();
        assert_eq!(lc.rules().len(), rules.len(), "{ctx}: lifecycle rules");
        for rule in rules {
            if let Some(days) =
                rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"].as_f64()
            {
                assert!(
                    lc.rules().iter().any(|r| r
                        .abort_incomplete_multipart_upload()
                        .and_then(|a| a.days_after_initiation())
                        == Some(days as i32)),
                    "{ctx}: abort multipart after {days} days"
                );
            }
            for t in rule["Transitions"].as_array().into_iter().flatten() {
                let class = scalar(&t["StorageClass"]);
                assert!(
                    lc.rules()
                        .iter()
                        .flat_map(|r| r.transitions())
                        .any(|x| x.storage_class().map(|s| s.as_str()) == Some(class.as_str())),
                    "{ctx}: transition to {class}"
                );
            }
        }
    }
    if let Some(status) = props["VersioningConfiguration"]["Status"].as_str() {
        let v =
            c.s3.get_bucket_versioning()
                .bucket(id)
                .send()
                .await
                .unwrap();
        assert_eq!(
            v.status().map(|s| s.as_str()),
            Some(status),
            "{ctx}: versioning"
        );
    }
    if props.get("LoggingConfiguration").is_some() {
        let l = c.s3.get_bucket_logging().bucket(id).send().await.unwrap();
        assert!(l.logging_enabled().is_some(), "{ctx}: access logging");
    }
}

/// `AWS::S3::BucketPolicy`.
async fn bucket_policy(r: &Resource<'_>) {
    let Resource { c, id, ctx, .. } = *r;
    let p = c.s3.get_bucket_policy().bucket(id).send().await.unwrap();
    assert!(
        policy_denies_insecure_transport(p.policy().unwrap()),
        "{ctx}: denies non-TLS: {:?}",
        p.policy()
    );
}

/// `AWS::DynamoDB::GlobalTable`.
async fn global_table(r: &Resource<'_>) {
    let Resource {
        regions,
        d,
        id,
        props,
        ctx,
        ..
    } = *r;
    let replicas: Vec<String> = props["Replicas"]
        .as_array()
        .expect("replicas")
        .iter()
        .map(|r| scalar(&d.literal(&r["Region"]).expect("replica region")))
        .collect();
    assert!(
        replicas.len() >= 2,
        "{ctx}: replicated to both regions: {replicas:?}"
    );
    for region in &replicas {
        let rc = regions
            .iter()
            .find(|c| &c.region == region)
            .unwrap_or_else(|| panic!("{ctx}: no client for replica region {region}"));
        let t = rc
            .dynamodb
            .describe_table()
            .table_name(id)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{ctx}: not in {region}: {e:?}"));
        let t = t.table().unwrap();
        assert_eq!(
            t.billing_mode_summary()
                .and_then(|b| b.billing_mode())
                .map(|m| m.as_str()),
            Some("PAY_PER_REQUEST"),
            "{ctx} in {region}: on demand"
        );
        assert_eq!(
            t.sse_description()
                .and_then(|s| s.status())
                .map(|s| s.as_str()),
            Some("ENABLED"),
            "{ctx} in {region}: encrypted"
        );
        let pitr = rc
            .dynamodb
            .describe_continuous_backups()
            .table_name(id)
            .send()
            .await
            .unwrap();
        let status = pitr
            .continuous_backups_description()
            .and_then(|b| b.point_in_time_recovery_description())
            .and_then(|p| p.point_in_time_recovery_status())
            .map(|s| s.as_str().to_string());
        assert_eq!(
            status.as_deref(),
            Some("ENABLED"),
            "{ctx} in {region}: point-in-time recovery"
        );
        let listed: Vec<String> = t
            .replicas()
            .iter()
            .filter_map(|r| r.region_name().map(str::to_string))
            .collect();
        for r in &replicas {
            assert!(
                listed.contains(r),
                "{ctx} in {region}: replica {r} listed in {listed:?}"
            );
        }
    }
}
