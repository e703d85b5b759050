//! The guard's decisions on hand-made change sets and template pairs.

use super::*;
use serde_json::json;

fn change(action: &str, ty: &str, replacement: Option<&str>) -> Change {
    Change {
        action: action.into(),
        logical_id: "R".into(),
        resource_type: ty.into(),
        replacement: replacement.and_then(Replacement::parse),
    }
}

fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn marked(
    t: &Value,
    old: &[(&str, &str)],
    new: &[(&str, &str)],
    listed: Vec<Change>,
) -> Vec<Change> {
    let (old, new) = (params(old), params(new));
    let mut changes = listed;
    mark_replacements(
        &mut changes,
        &Sides {
            old_template: t,
            old_params: &old,
            new_template: t,
            new_params: &new,
        },
    );
    changes
}

#[test]
fn refuses_data_deletes_and_replacements_only() {
    let changes = vec![
        change("Remove", "AWS::S3::Bucket", None),
        change("Modify", "AWS::Kinesis::Stream", Some("True")),
        change("Modify", "AWS::Kinesis::Stream", Some("False")),
        change("Remove", "AWS::SNS::Topic", None),
        change("Modify", "AWS::Lambda::Function", Some("True")),
        change("Remove", "AWS::Lambda::EventSourceMapping", None),
        change("Modify", "AWS::Lambda::EventSourceMapping", Some("True")),
    ];
    let refused = refused(&changes);
    let why: Vec<&str> = refused.iter().map(|(_, w)| w.as_str()).collect();
    assert_eq!(refused.len(), 3, "{why:?}");
    assert!(why[2].contains("StartingPosition"), "{why:?}");
}

#[test]
fn a_changed_stream_name_parameter_is_a_replacement_even_when_not_listed() {
    let t = json!({"Resources": {"R": {"Type": "AWS::Kinesis::Stream", "Properties": {"Name": {"Ref": "StreamName"}}}}});
    let changes = marked(
        &t,
        &[("StreamName", "a")],
        &[("StreamName", "b")],
        Vec::new(),
    );
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].replacement, Some(Replacement::True));
    let listed = vec![change("Modify", "AWS::Kinesis::Stream", None)];
    let changes = marked(&t, &[("StreamName", "a")], &[("StreamName", "a")], listed);
    assert_eq!(changes[0].replacement, None);
}

#[test]
fn a_starting_position_change_replaces_the_mapping() {
    let t = json!({"Resources": {"R": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {
        "StartingPosition": {"Ref": "P"}, "BatchSize": {"Ref": "B"}}}}});
    let c = marked(
        &t,
        &[("P", "LATEST"), ("B", "1")],
        &[("P", "TRIM_HORIZON"), ("B", "1")],
        Vec::new(),
    );
    assert_eq!(refused(&c).len(), 1);
    let c = marked(
        &t,
        &[("P", "LATEST"), ("B", "1")],
        &[("P", "LATEST"), ("B", "9")],
        Vec::new(),
    );
    assert!(c.is_empty(), "batch size is updated in place: {c:?}");
}

#[test]
fn enabling_firehose_dynamic_partitioning_replaces_the_delivery_stream() {
    let t = json!({
        "Conditions": {"On": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Key"}, ""]}]}},
        "Resources": {"R": {"Type": "AWS::KinesisFirehose::DeliveryStream", "Properties": {
            "ExtendedS3DestinationConfiguration": {
                "DynamicPartitioningConfiguration": {"Fn::If": ["On", {"Enabled": true}, {"Ref": "AWS::NoValue"}]},
                "Prefix": {"Fn::If": ["On", "p/", "q/"]}}}}}
    });
    let c = marked(&t, &[("Key", "")], &[("Key", "k")], Vec::new());
    assert_eq!(c.len(), 1, "{c:?}");
    assert!(refused(&c)[0].1.contains("buffers"));
    let c = marked(&t, &[("Key", "a")], &[("Key", "b")], Vec::new());
    assert!(c.is_empty(), "a new key keeps it enabled: {c:?}");
}
