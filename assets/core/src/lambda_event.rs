//! The Kinesis event Lambda sends to a function, parsed here rather than with
//! `aws_lambda_events`' type: that crate (1.2) reads `approximateArrivalTimestamp`
//! by printing the number and parsing the digits after the point as
//! milliseconds, so `1700000000.5` becomes `.005` and `1700000000.98` becomes
//! `.098`. Lambda sends the arrival time in seconds with up to three decimals
//! and drops trailing zeros, so about one record in ten arrived up to 900 ms
//! "earlier" than it did: the replicator's cut-off at `activeSince` skipped
//! records that arrived after it (lost, not replicated), and late-data file
//! names and join arrival times were off by as much.
//!
//! Only the fields streamkit's functions read are parsed; the rest of the event
//! (`eventSource`, `awsRegion`, ...) is accepted and ignored.

use base64::Engine as _;
use serde::{Deserialize, Deserializer};

/// `{"Records": [...]}`: one batch from a Kinesis event source mapping.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct KinesisEvent {
    #[serde(rename = "Records")]
    pub records: Vec<KinesisEventRecord>,
}

/// One record of the batch.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct KinesisEventRecord {
    /// `shardId-000000000000:4954...`: the shard, a colon, the sequence number.
    #[serde(rename = "eventID", default)]
    pub event_id: Option<String>,
    /// The stream's ARN (`arn:aws:kinesis:REGION:ACCOUNT:stream/NAME`).
    #[serde(rename = "eventSourceARN", default)]
    pub event_source_arn: Option<String>,
    pub kinesis: KinesisData,
}

/// The record as Kinesis stored it.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct KinesisData {
    pub partition_key: String,
    pub sequence_number: String,
    /// The payload bytes (base64 in the event).
    #[serde(deserialize_with = "base64_bytes")]
    pub data: Vec<u8>,
    /// Seconds since the epoch, as sent (a JSON number, or a string holding one).
    #[serde(default, deserialize_with = "seconds")]
    pub approximate_arrival_timestamp: Option<f64>,
}

fn base64_bytes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let text = String::deserialize(d)?;
    base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .map_err(serde::de::Error::custom)
}

fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Number {
        Number(f64),
        Text(String),
    }
    match Option::<Number>::deserialize(d)? {
        None => Ok(None),
        Some(Number::Number(n)) => Ok(Some(n)),
        Some(Number::Text(s)) => s.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(arrival: &str) -> KinesisEvent {
        let json = format!(
            r#"{{"Records":[{{"kinesis":{{"kinesisSchemaVersion":"1.0","partitionKey":"k",
            "sequenceNumber":"4954","data":"/wD+","approximateArrivalTimestamp":{arrival}}},
            "eventSource":"aws:kinesis","eventID":"shardId-000000000001:4954",
            "awsRegion":"us-east-1",
            "eventSourceARN":"arn:aws:kinesis:us-east-1:123456789012:stream/orders"}}]}}"#
        );
        serde_json::from_str(&json).expect("a Kinesis event")
    }

    #[test]
    fn arrival_times_keep_their_fraction_whatever_its_digits() {
        for (sent, seconds) in [
            ("1700000000.5", 1_700_000_000.5),
            ("1700000000.05", 1_700_000_000.05),
            ("1700000000.98", 1_700_000_000.98),
            ("1700000000.987", 1_700_000_000.987),
            ("1700000000", 1_700_000_000.0),
            ("1.7000000005E9", 1_700_000_000.5),
            ("\"1700000000.25\"", 1_700_000_000.25),
        ] {
            let got = event(sent).records[0].kinesis.approximate_arrival_timestamp;
            assert_eq!(got, Some(seconds), "approximateArrivalTimestamp {sent}");
        }
    }

    #[test]
    fn the_fields_read_are_the_ones_sent() {
        let r = &event("1700000000.5").records[0];
        assert_eq!(r.event_id.as_deref(), Some("shardId-000000000001:4954"));
        assert_eq!(
            r.event_source_arn.as_deref(),
            Some("arn:aws:kinesis:us-east-1:123456789012:stream/orders")
        );
        assert_eq!(r.kinesis.partition_key, "k");
        assert_eq!(r.kinesis.sequence_number, "4954");
        assert_eq!(r.kinesis.data, vec![0xff, 0x00, 0xfe]);
    }

    #[test]
    fn a_record_without_its_payload_is_refused() {
        let json = r#"{"Records":[{"kinesis":{"partitionKey":"k","sequenceNumber":"1"}}]}"#;
        assert!(serde_json::from_str::<KinesisEvent>(json).is_err());
    }
}
