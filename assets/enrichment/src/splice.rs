//! The enriched event is the ride request's own bytes with the added field
//! spliced in before the closing brace: every input value keeps its text.
//! (Parsing into `serde_json::Value` and writing it back moved about 1 in 20
//! latitudes by 1 ULP: serde_json's default float parsing does not
//! round-trip 17-digit numbers.)

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::fmt;

/// `raw` (one JSON object) with `name: value` added, `value` being JSON text
/// kept as is. The input's bytes are copied unchanged around the insertion;
/// if the object already has `name`, its value is replaced in place (the
/// object is then rewritten from its members, every other value's text kept).
/// None if `raw` is not a JSON object.
pub fn with_field(raw: &[u8], name: &str, value: &RawValue) -> Option<Vec<u8>> {
    let keys: BTreeMap<String, IgnoredAny> = serde_json::from_slice(raw).ok()?;
    if keys.contains_key(name) {
        return replaced(raw, name, value);
    }
    // A valid object followed by whitespace only: its last `}` closes it.
    let close = raw.iter().rposition(|b| *b == b'}')?;
    let last = raw[..close]
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())?;
    let at = last + 1;
    let member = member(name, value);
    let mut out = Vec::with_capacity(raw.len() + member.len() + 1);
    out.extend_from_slice(&raw[..at]);
    if raw[last] != b'{' {
        out.push(b',');
    }
    out.extend_from_slice(&member);
    out.extend_from_slice(&raw[at..]);
    Some(out)
}

fn member(name: &str, value: &RawValue) -> Vec<u8> {
    let mut out = serde_json::to_vec(name).expect("a string serializes");
    out.push(b':');
    out.extend_from_slice(value.get().as_bytes());
    out
}

/// The object rewritten from its members, `name`'s first occurrence holding
/// `value` (later duplicates dropped), every other value's text kept.
fn replaced(raw: &[u8], name: &str, value: &RawValue) -> Option<Vec<u8>> {
    let Members(members) = serde_json::from_slice(raw).ok()?;
    let mut out = vec![b'{'];
    let mut done = false;
    for (key, v) in &members {
        let v = if key == name {
            if done {
                continue;
            }
            done = true;
            value
        } else {
            v
        };
        if out.len() > 1 {
            out.push(b',');
        }
        out.extend_from_slice(&member(key, v));
    }
    out.push(b'}');
    Some(out)
}

/// An object's members in order, each value's raw text.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for Members<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, &'de RawValue>()? {
                    out.push((k, v));
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_string()).unwrap()
    }

    fn add(input: &str, value: &str) -> Option<String> {
        with_field(input.as_bytes(), "expected_fare", &raw(value))
            .map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn the_input_bytes_are_kept_and_the_field_added() {
        let input = r#"{"ride_request_id":10520,"pickup_latitude":40.656150594195964,"pickup_longitude":-73.90000000000001}"#;
        let out = add(input, "12.50").unwrap();
        assert_eq!(
            out,
            format!("{},\"expected_fare\":12.50}}", &input[..input.len() - 1])
        );
    }

    #[test]
    fn whitespace_and_empty_objects() {
        assert_eq!(
            add(" {\n \"a\" : 1.10 \n}\n", "2").unwrap(),
            " {\n \"a\" : 1.10,\"expected_fare\":2 \n}\n"
        );
        assert_eq!(add("{}", "2").unwrap(), r#"{"expected_fare":2}"#);
        assert_eq!(add("{ }", "2").unwrap(), r#"{"expected_fare":2 }"#);
    }

    #[test]
    fn not_an_object_is_none() {
        for bad in ["[1]", "1", "\"x\"", "{", "{\"a\":1} x", "", "{\"a\":1}}"] {
            assert_eq!(add(bad, "2"), None, "{bad}");
        }
    }

    #[test]
    fn an_existing_field_is_replaced_in_place_other_texts_kept() {
        let out = add(
            r#"{"a":1.0000000000000001e0,"expected_fare":1,"b":"\u0041","expected_fare":3}"#,
            "2.5",
        )
        .unwrap();
        assert_eq!(
            out,
            r#"{"a":1.0000000000000001e0,"expected_fare":2.5,"b":"\u0041"}"#
        );
    }

    #[test]
    fn every_value_text_survives_random_rides() {
        let mut rng = fastrand::Rng::with_seed(7);
        for id in 0..20_000u64 {
            let lat = 40.60 + rng.f64() * 0.25;
            let lon = -74.05 + rng.f64() * 0.30;
            let input = format!(
                r#"{{"trip_id":{id},"ride_request_id":{id},"pickup_latitude":{lat:?},"pickup_longitude":{lon:?},"x":{}}}"#,
                rng.u64(..)
            );
            let out = add(&input, "7.25").unwrap();
            let Members(got) = serde_json::from_str(&out).unwrap();
            let Members(want) = serde_json::from_str(&input).unwrap();
            assert_eq!(got.len(), want.len() + 1);
            for ((k1, v1), (k2, v2)) in got.iter().zip(&want) {
                assert_eq!((k1, v1.get()), (k2, v2.get()));
            }
            assert_eq!(got.last().unwrap().1.get(), "7.25");
        }
    }
}
