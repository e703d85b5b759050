//! The consumer handler with event fixtures in the real Lambda shape.

use base64::Engine;
use streamkit_consumer::process;
use streamkit_core::KinesisEvent;

const SEQ: &str = "4954511524349098501828006771497314458218006259324420096";

fn fixture() -> serde_json::Value {
    serde_json::from_str(include_str!("fixtures/kinesis-event.json")).unwrap()
}

fn failures(event: serde_json::Value) -> (Vec<String>, streamkit_consumer::BatchSummary) {
    let event: KinesisEvent = serde_json::from_value(event).expect("a Kinesis event");
    let (resp, summary) = process(&event);
    let ids = resp
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone().unwrap())
        .collect();
    // The response serializes in the shape Lambda expects.
    let json = serde_json::to_value(&resp).unwrap();
    assert!(json["batchItemFailures"].is_array());
    (ids, summary)
}

#[test]
fn poison_records_are_reported_and_the_rest_processed() {
    let (ids, summary) = failures(fixture());
    let want: Vec<String> = ["3", "4", "5", "6"]
        .iter()
        .map(|n| format!("{SEQ}{n}"))
        .collect();
    assert_eq!(ids, want, "wrong type, truncated JSON, binary, bad time");
    assert_eq!(summary.valid, 3);
    assert_eq!(summary.invalid, 4);
    assert_eq!(summary.per_ticker["AMZN"], 2);
}

#[test]
fn aggregated_records_are_deaggregated_and_a_bad_sub_record_fails_its_record() {
    let good = br#"{"EVENT_TIME": "2026-11-23T10:00:00.000Z", "TICKER": "AMZN", "PRICE": 1.5}"#;
    let agg_ok =
        streamkit_core::kpl::aggregate((0..50).map(|_| ("AMZN", None, &good[..]))).unwrap();
    let agg_bad =
        streamkit_core::kpl::aggregate([("AMZN", None, &good[..]), ("AMZN", None, &b"{oops"[..])])
            .unwrap();
    let mut event = fixture();
    let records = event["Records"].as_array_mut().unwrap();
    records.truncate(2);
    for (n, data) in [(8, &agg_ok.data), (9, &agg_bad.data)] {
        let mut r = records[0].clone();
        r["kinesis"]["data"] = base64::engine::general_purpose::STANDARD
            .encode(data)
            .into();
        r["kinesis"]["sequenceNumber"] = format!("{SEQ}{n}").into();
        records.push(r);
    }
    let (ids, summary) = failures(event);
    assert_eq!(ids, vec![format!("{SEQ}9")]);
    assert_eq!(summary.records, 4);
    assert_eq!(summary.user_records, 2 + 50 + 2);
    assert_eq!(summary.valid, 2 + 50 + 1);
}

#[test]
fn a_clean_batch_reports_no_failures() {
    let mut event = fixture();
    event["Records"].as_array_mut().unwrap().truncate(2);
    let (ids, summary) = failures(event);
    assert!(ids.is_empty());
    assert_eq!(summary.valid, 2);
}
