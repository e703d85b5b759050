//! Pattern 1 deployed with the real `streamkit deploy`: its API answers at
//! the local URL `streamkit outputs` prints; SigV4-signed POST /record and
//! POST /records put the records on the stream (read back with GetRecords),
//! an unsigned request gets 403 and a body violating the model 400.

use crate::support::{http, output, read_stream, signed_post, Live};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn pattern_1_api_puts_signed_records_on_the_stream_and_refuses_bad_requests() {
    let live = Live::start();
    let emu = &live.emu;
    let outputs = live.deploy_with("1", &[]);
    let stream = output(&outputs, "StreamName");
    let api = output(&outputs, "ApiEndpoint");
    let local = format!(
        "{}/_aws/execute-api/{}/prod/",
        emu.endpoint(),
        output(&outputs, "ApiId")
    );
    assert_eq!(
        api, local,
        "`streamkit outputs` prints the working local URL"
    );
    let (kinesis, _) = live.kinesis_s3().await;

    let one = json!({"data": "{\"TICKER\":\"AMZN\",\"PRICE\":50.12}", "partitionKey": "AMZN"});
    let r = signed_post(&format!("{api}record"), &one);
    assert_eq!(
        r.status,
        200,
        "POST /record: {}",
        String::from_utf8_lossy(&r.body)
    );
    assert!(r.json()["SequenceNumber"].is_string(), "{}", r.json());

    let many = json!({"records": [
        {"data": "first ✓", "partitionKey": "a"},
        {"data": "it's \"quoted\"", "partitionKey": "it's"},
    ]});
    let r = signed_post(&format!("{api}records"), &many);
    assert_eq!(
        r.status,
        200,
        "POST /records: {}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.json()["FailedRecordCount"], 0);

    // Both routes put `data` as its own UTF-8 text (the templates' rule), keys as sent.
    let got: Vec<(String, String)> = read_stream(&kinesis, &stream)
        .await
        .into_iter()
        .map(|g| (String::from_utf8(g.data).expect("UTF-8"), g.partition_key))
        .collect();
    let mut expected = vec![
        (
            "{\"TICKER\":\"AMZN\",\"PRICE\":50.12}".to_string(),
            "AMZN".to_string(),
        ),
        ("first ✓".to_string(), "a".to_string()),
        ("it's \"quoted\"".to_string(), "it's".to_string()),
    ];
    let mut got_sorted = got.clone();
    got_sorted.sort();
    expected.sort();
    assert_eq!(got_sorted, expected);

    let body = json!({"data": "x", "partitionKey": "k"}).to_string();
    let unsigned = http(
        "POST",
        &format!("{api}record"),
        &[("content-type".into(), "application/json".into())],
        body.as_bytes(),
    );
    assert_eq!(unsigned.status, 403);
    assert_eq!(
        unsigned.json(),
        json!({"message": "Missing Authentication Token"})
    );

    for bad in [
        json!({"data": "x"}),
        json!({"data": 7, "partitionKey": "k"}),
    ] {
        let r = signed_post(&format!("{api}record"), &bad);
        assert_eq!(
            (r.status, r.json()),
            (400, json!({"message": "Invalid request body"})),
            "{bad}"
        );
    }
    let r = signed_post(&format!("{api}records"), &json!({"records": []}));
    assert_eq!(r.status, 400);
    assert_eq!(
        read_stream(&kinesis, &stream).await.len(),
        3,
        "refused requests put nothing"
    );
    live.least_privilege(
        "streamkit-pattern-1",
        "1",
        &["ApiKinesisRole", "ApiGatewayCloudWatchRole"],
    )
    .await;
}
