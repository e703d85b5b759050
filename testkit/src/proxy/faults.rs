//! The fault set of a [`super::FaultProxy`], the decision per request, and
//! the PutRecords entry rejection.

use serde_json::{json, Value};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::http::{self, Request, Response};

/// The faults in force; `None` = that fault is off.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    pub reject: Option<Reject>,
    pub unreachable: Option<Unreachable>,
    pub throttle: Option<Throttle>,
}

/// Rejects PutRecords entries: every `every`-th entry seen (of the requests
/// it applies to), for at most `budget` entries; or, with `key`, every entry
/// with that partition key.
#[derive(Clone, Debug, PartialEq)]
pub struct Reject {
    pub every: usize,
    pub budget: usize,
    pub key: Option<String>,
    /// Only requests signed for this region.
    pub region: Option<String>,
}

impl Reject {
    /// Every `n`-th entry, `budget` entries at most.
    pub fn every(n: usize, budget: usize) -> Reject {
        Reject {
            every: n.max(1),
            budget,
            key: None,
            region: None,
        }
    }

    /// Every entry with partition key `key`, always.
    pub fn key(key: &str) -> Reject {
        Reject {
            every: 1,
            budget: usize::MAX,
            key: Some(key.to_string()),
            region: None,
        }
    }

    pub fn in_region(mut self, region: &str) -> Reject {
        self.region = Some(region.to_string());
        self
    }
}

/// Closes the connection of matching requests without answering.
#[derive(Clone, Debug, PartialEq)]
pub struct Unreachable {
    /// Only requests signed for this region (`None`: every request).
    pub region: Option<String>,
    /// Off again from this instant (`None`: until changed).
    pub until: Option<Instant>,
}

impl Unreachable {
    pub fn all() -> Unreachable {
        Unreachable {
            region: None,
            until: None,
        }
    }

    pub fn region(region: &str) -> Unreachable {
        Unreachable {
            region: Some(region.to_string()),
            until: None,
        }
    }

    /// Only for `window` from now.
    pub fn for_duration(mut self, window: Duration) -> Unreachable {
        self.until = Some(Instant::now() + window);
        self
    }
}

/// Answers every `every`-th request (of the requests it applies to) with the
/// protocol's throttling error, `budget` times at most.
#[derive(Clone, Debug, PartialEq)]
pub struct Throttle {
    pub every: usize,
    pub budget: usize,
    pub region: Option<String>,
}

impl Throttle {
    pub fn every(n: usize, budget: usize) -> Throttle {
        Throttle {
            every: n.max(1),
            budget,
            region: None,
        }
    }

    pub fn in_region(mut self, region: &str) -> Throttle {
        self.region = Some(region.to_string());
        self
    }
}

/// What the proxy did, since it started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Injected {
    /// PutRecords entries answered with an error instead of being forwarded.
    pub rejected_entries: usize,
    /// Requests whose connection was closed without an answer.
    pub dropped_requests: usize,
    /// Requests answered with a throttling error.
    pub throttled_requests: usize,
    /// Requests forwarded to the emulator (whole or in part).
    pub forwarded_requests: usize,
}

/// What to do with one request.
pub(crate) enum Verdict {
    Forward,
    Drop,
    Answer(Response),
    /// PutRecords with these entries (by index) rejected.
    Reject(Vec<bool>),
}

#[derive(Default)]
struct Inner {
    faults: Faults,
    entries_seen: usize,
    rejected: usize,
    requests_seen: usize,
    throttled: usize,
    injected: Injected,
}

#[derive(Default)]
pub(crate) struct State(Mutex<Inner>);

impl State {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set(&self, faults: Faults) {
        let mut inner = self.lock();
        let injected = inner.injected;
        *inner = Inner {
            faults,
            injected,
            ..Inner::default()
        };
    }

    pub fn update(&self, change: impl FnOnce(&mut Faults)) {
        let mut faults = self.faults();
        change(&mut faults);
        self.set(faults);
    }

    pub fn faults(&self) -> Faults {
        self.lock().faults.clone()
    }

    pub fn injected(&self) -> Injected {
        self.lock().injected
    }

    pub fn verdict(&self, req: &Request) -> Verdict {
        let region = signing_region(req);
        let applies = |only: &Option<String>| only.is_none() || only.as_deref() == region;
        let mut guard = self.lock();
        let s = &mut *guard;
        if let Some(u) = &s.faults.unreachable {
            if applies(&u.region) && u.until.is_none_or(|t| Instant::now() < t) {
                s.injected.dropped_requests += 1;
                return Verdict::Drop;
            }
        }
        if let Some(t) = s.faults.throttle.clone() {
            if applies(&t.region) && req.header("smithy-protocol").is_none() {
                s.requests_seen += 1;
                if s.requests_seen.is_multiple_of(t.every) && s.throttled < t.budget {
                    s.throttled += 1;
                    s.injected.throttled_requests += 1;
                    return Verdict::Answer(throttling_error(req));
                }
            }
        }
        s.injected.forwarded_requests += 1;
        let Some(r) = s.faults.reject.clone() else {
            return Verdict::Forward;
        };
        if !applies(&r.region) || req.header("x-amz-target") != Some("Kinesis_20131202.PutRecords")
        {
            return Verdict::Forward;
        }
        let Ok(doc) = serde_json::from_slice::<Value>(&req.body) else {
            return Verdict::Forward;
        };
        let entries = doc["Records"].as_array().cloned().unwrap_or_default();
        let mut rejected = vec![false; entries.len()];
        for (i, e) in entries.iter().enumerate() {
            s.entries_seen += 1;
            let hit = match &r.key {
                Some(k) => e["PartitionKey"].as_str() == Some(k.as_str()),
                None => s.entries_seen.is_multiple_of(r.every),
            };
            if hit && s.rejected < r.budget {
                s.rejected += 1;
                s.injected.rejected_entries += 1;
                rejected[i] = true;
            }
        }
        if rejected.iter().any(|r| *r) {
            Verdict::Reject(rejected)
        } else {
            Verdict::Forward
        }
    }
}

/// The region of the SigV4 credential scope: `Credential=AKID/DATE/REGION/SERVICE/aws4_request`.
pub(crate) fn signing_region(req: &Request) -> Option<&str> {
    let auth = req.header("authorization")?;
    let scope = auth.split("Credential=").nth(1)?;
    let scope = scope.split([',', ' ']).next()?;
    scope.split('/').nth(2)
}

/// The throttling error of the request's protocol.
fn throttling_error(req: &Request) -> Response {
    if req.header("x-amz-target").is_some() {
        let content_type = req
            .header("content-type")
            .filter(|c| c.starts_with("application/x-amz-json"))
            .unwrap_or("application/x-amz-json-1.0");
        let body = json!({"__type": "ThrottlingException", "message": "Rate exceeded"});
        return Response::new(400, content_type, body.to_string());
    }
    let form = req
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if form && String::from_utf8_lossy(&req.body).contains("Action=") {
        let body = "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>streamkit-test-proxy</RequestId></ErrorResponse>";
        return Response::new(400, "text/xml", body);
    }
    let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
    Response::new(503, "application/xml", body)
}

/// Forwards the entries not rejected and merges the answers, in request order.
pub(crate) async fn put_records(upstream: u16, req: &Request, rejected: &[bool]) -> Response {
    let mut doc: Value = serde_json::from_slice(&req.body).expect("checked in verdict");
    let entries = doc["Records"].as_array().cloned().unwrap_or_default();
    let keep: Vec<Value> = entries
        .into_iter()
        .zip(rejected)
        .filter(|(_, r)| !**r)
        .map(|(e, _)| e)
        .collect();
    let mut results = Vec::new();
    if !keep.is_empty() {
        doc["Records"] = Value::Array(keep);
        let body = serde_json::to_vec(&doc).expect("JSON");
        let resp = match http::forward(upstream, req, &body).await {
            Ok(r) if r.status == 200 => r,
            Ok(r) => return r,
            Err(e) => return Response::new(502, "text/plain", format!("test proxy: {e}")),
        };
        let parsed: Value = serde_json::from_slice(&resp.body).unwrap_or_default();
        results = parsed["Records"].as_array().cloned().unwrap_or_default();
    }
    let mut upstream_results = results.into_iter();
    let mut merged = Vec::new();
    let mut failures = 0;
    for r in rejected {
        let result = if *r {
            json!({"ErrorCode": "ProvisionedThroughputExceededException",
                   "ErrorMessage": "Rate exceeded for shard (injected by the test proxy)"})
        } else {
            upstream_results.next().unwrap_or_else(
                || json!({"ErrorCode": "InternalFailure", "ErrorMessage": "no upstream result"}),
            )
        };
        failures += usize::from(result.get("ErrorCode").is_some());
        merged.push(result);
    }
    let body = json!({"FailedRecordCount": failures, "Records": merged});
    Response::new(200, "application/x-amz-json-1.1", body.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)], body: &str) -> Request {
        Request {
            line: "POST / HTTP/1.1".into(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn auth(region: &str) -> String {
        format!("AWS4-HMAC-SHA256 Credential=AKID/20261123/{region}/kinesis/aws4_request, SignedHeaders=host, Signature=00")
    }

    #[test]
    fn reads_the_region_of_the_credential_scope() {
        let a = auth("us-west-2");
        assert_eq!(
            signing_region(&request(&[("Authorization", &a)], "")),
            Some("us-west-2")
        );
        assert_eq!(signing_region(&request(&[], "")), None);
    }

    #[test]
    fn throttles_every_nth_request_of_the_region_within_budget_in_each_protocol() {
        let state = State::default();
        state.set(Faults {
            throttle: Some(Throttle::every(2, 3).in_region("us-west-2")),
            ..Faults::default()
        });
        let west = auth("us-west-2");
        let json = request(
            &[
                ("Authorization", &west),
                ("x-amz-target", "Kinesis_20131202.ListShards"),
                ("content-type", "application/x-amz-json-1.1"),
            ],
            "{}",
        );
        let query = request(
            &[
                ("Authorization", &west),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            "Action=DescribeStacks&Version=2010-05-15",
        );
        let s3 = request(&[("Authorization", &west)], "");
        let east = request(&[("Authorization", &auth("us-east-1"))], "");
        let cbor = request(
            &[("Authorization", &west), ("smithy-protocol", "rpc-v2-cbor")],
            "",
        );
        let mut answers = Vec::new();
        for req in [
            &json, &json, &east, &cbor, &query, &query, &s3, &s3, &s3, &s3,
        ] {
            if let Verdict::Answer(r) = state.verdict(req) {
                let ct = r.headers[0].1.clone();
                answers.push((r.status, ct, String::from_utf8(r.body).unwrap()));
            }
        }
        assert_eq!(answers.len(), 3, "every 2nd matching request, budget 3");
        assert_eq!(answers[0].0, 400);
        assert_eq!(answers[0].1, "application/x-amz-json-1.1");
        assert!(answers[0].2.contains("\"__type\":\"ThrottlingException\""));
        assert_eq!((answers[1].0, answers[1].1.as_str()), (400, "text/xml"));
        assert!(answers[1].2.contains("<Code>Throttling</Code>"));
        assert_eq!(answers[2].0, 503);
        assert!(answers[2].2.contains("<Code>SlowDown</Code>"));
        let injected = state.injected();
        assert_eq!(injected.throttled_requests, 3);
        assert_eq!(injected.forwarded_requests, 7);
    }

    #[test]
    fn rejects_every_nth_put_records_entry_and_drops_while_unreachable() {
        let state = State::default();
        state.set(Faults {
            reject: Some(Reject::every(3, 2).in_region("us-west-2")),
            ..Faults::default()
        });
        let west = auth("us-west-2");
        let body = r#"{"StreamName":"s","Records":[{"PartitionKey":"a","Data":"AA=="},{"PartitionKey":"b","Data":"AA=="},{"PartitionKey":"c","Data":"AA=="},{"PartitionKey":"d","Data":"AA=="}]}"#;
        let put = request(
            &[
                ("Authorization", &west),
                ("x-amz-target", "Kinesis_20131202.PutRecords"),
            ],
            body,
        );
        let Verdict::Reject(first) = state.verdict(&put) else {
            panic!("entry 3 rejected")
        };
        assert_eq!(first, vec![false, false, true, false]);
        let Verdict::Reject(second) = state.verdict(&put) else {
            panic!("entry 6 rejected")
        };
        assert_eq!(second, vec![false, true, false, false]);
        assert!(
            matches!(state.verdict(&put), Verdict::Forward),
            "budget spent"
        );
        assert_eq!(state.injected().rejected_entries, 2);

        state.set(Faults {
            unreachable: Some(Unreachable::region("us-west-2")),
            ..Faults::default()
        });
        assert!(matches!(state.verdict(&put), Verdict::Drop));
        let east = request(&[("Authorization", &auth("us-east-1"))], "");
        assert!(matches!(state.verdict(&east), Verdict::Forward));
        state.set(Faults {
            unreachable: Some(Unreachable::all().for_duration(Duration::ZERO)),
            ..Faults::default()
        });
        assert!(
            matches!(state.verdict(&put), Verdict::Forward),
            "window over"
        );
        assert_eq!(state.injected().dropped_requests, 1);
    }
}
