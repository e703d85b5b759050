//! The KPL encoder and decoder against the byte-exact vectors made with the
//! published aggregation library.

use serde_json::Value;
use streamkit_core::kpl::{self, Aggregator};

fn vectors() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/vectors/kpl-aggregation.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let doc: Value = serde_json::from_str(&text).expect("vectors are JSON");
    doc["vectors"].as_array().expect("a vectors array").clone()
}

fn hex_field(v: &Value, key: &str) -> Vec<u8> {
    hex::decode(v[key].as_str().expect(key)).expect("hex")
}

#[test]
fn encoder_reproduces_every_aggregated_vector() {
    let mut checked = 0;
    for v in vectors() {
        if v.get("outer_partition_key").is_none() {
            continue;
        }
        let mut agg = Aggregator::new();
        for r in v["records"].as_array().unwrap() {
            agg.add(
                r["partition_key"].as_str().unwrap(),
                r["explicit_hash_key"].as_str(),
                &hex_field(r, "data_hex"),
            );
        }
        let predicted = agg.encoded_size();
        let out = agg.finish().expect("records were added");
        let name = v["name"].as_str().unwrap();
        assert_eq!(
            hex::encode(&out.data),
            v["aggregated_hex"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(
            out.partition_key,
            v["outer_partition_key"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(
            out.explicit_hash_key.as_deref(),
            v["outer_explicit_hash_key"].as_str(),
            "{name}"
        );
        assert_eq!(
            predicted,
            out.data.len() + out.partition_key.len(),
            "{name}: size accounting"
        );
        checked += 1;
    }
    assert_eq!(checked, 4);
}

#[test]
fn decoder_returns_the_listed_records() {
    let all = vectors();
    assert_eq!(all.len(), 6);
    for v in all {
        let name = v["name"].as_str().unwrap();
        let blob = hex_field(&v, "aggregated_hex");
        let expected = v["records"].as_array().unwrap();
        match kpl::decode(&blob) {
            Some(records) => {
                assert_eq!(records.len(), expected.len(), "{name}");
                for (got, want) in records.iter().zip(expected) {
                    assert_eq!(
                        Some(got.partition_key.as_str()),
                        want["partition_key"].as_str(),
                        "{name}"
                    );
                    assert_eq!(
                        got.explicit_hash_key.as_deref(),
                        want["explicit_hash_key"].as_str(),
                        "{name}"
                    );
                    assert_eq!(got.data, hex_field(want, "data_hex"), "{name}");
                    assert_eq!(
                        got.sub_sequence_number,
                        want["sub_sequence_number"].as_u64().unwrap(),
                        "{name}"
                    );
                }
            }
            None => {
                // Not aggregated: one plain record, unchanged.
                assert!(want_plain(expected), "{name} should have decoded");
                assert_eq!(hex_field(&expected[0], "data_hex"), blob, "{name}");
                let plain = kpl::deaggregate("outer", None, &blob);
                assert_eq!(plain.len(), 1);
                assert_eq!(plain[0].data, blob);
                assert_eq!(plain[0].partition_key, "outer");
            }
        }
    }
}

fn want_plain(expected: &[Value]) -> bool {
    expected.len() == 1 && expected[0]["partition_key"].is_null()
}

#[test]
fn hash_key_rule() {
    assert_eq!(
        kpl::partition_key_hash("pk-1"),
        273922656776327812788301823748127981641
    );
}

#[test]
fn truncated_or_tampered_messages_are_plain() {
    let agg = kpl::aggregate([("k", None, &b"abc"[..]), ("k", None, &b"def"[..])]).unwrap();
    assert_eq!(kpl::decode(&agg.data).unwrap().len(), 2);
    assert!(kpl::decode(&agg.data[..agg.data.len() - 1]).is_none());
    assert!(kpl::decode(&kpl::MAGIC).is_none());
    let mut flipped = agg.data.clone();
    flipped[6] ^= 1;
    assert!(kpl::decode(&flipped).is_none());
}

#[test]
fn try_add_stops_at_the_size_limit() {
    let mut agg = Aggregator::new();
    let data = vec![7u8; 100_000];
    let mut n = 0;
    while agg.try_add("key", None, &data, kpl::MAX_RECORD_BYTES) {
        n += 1;
    }
    assert_eq!(n, 10);
    let size = agg.encoded_size();
    let out = agg.finish().unwrap();
    assert_eq!(out.data.len() + out.partition_key.len(), size);
    assert!(size <= kpl::MAX_RECORD_BYTES);
    assert_eq!(kpl::decode(&out.data).unwrap().len(), 10);
}
