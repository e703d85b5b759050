//! Local form of AWS URLs that only exist on AWS.
//!
//! A REST API's invoke URL, `https://{api}.execute-api.{region}.amazonaws.com/{stage}/...`,
//! resolves nowhere when the stack runs on the local emulator; the emulator
//! serves the same API at `{endpoint}/_aws/execute-api/{api}/{stage}/...`.
//! [`localize`] rewrites such a value when the endpoint override is a
//! loopback address (and leaves every other value, and every value on AWS, as
//! it is), so `streamkit outputs` prints a URL that works.

/// `value` in its local form when `endpoint` is a loopback endpoint override
/// and `value` is an execute-api URL; otherwise `value` unchanged.
pub fn localize(value: &str, endpoint: Option<&str>) -> String {
    match endpoint.filter(|e| is_loopback(e)) {
        Some(endpoint) => execute_api(value, endpoint).unwrap_or_else(|| value.to_string()),
        None => value.to_string(),
    }
}

/// `https://abc.execute-api.r.amazonaws.com/prod/x` -> `{endpoint}/_aws/execute-api/abc/prod/x`.
fn execute_api(value: &str, endpoint: &str) -> Option<String> {
    let rest = value.strip_prefix("https://")?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (api, region_and_suffix) = host.split_once(".execute-api.")?;
    let valid_api = !api.is_empty() && api.chars().all(|c| c.is_ascii_alphanumeric());
    if !valid_api || !region_and_suffix.contains(".amazonaws.com") {
        return None;
    }
    Some(format!(
        "{}/_aws/execute-api/{api}/{path}",
        endpoint.trim_end_matches('/')
    ))
}

fn is_loopback(endpoint: &str) -> bool {
    let rest = endpoint
        .strip_prefix("http://")
        .or_else(|| endpoint.strip_prefix("https://"))
        .unwrap_or(endpoint);
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host == "localhost" || host == "::1" || host.starts_with("127.")
}

#[cfg(test)]
mod tests {
    use super::localize;

    const AWS: &str = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/";

    #[test]
    fn an_invoke_url_becomes_the_emulator_form_on_a_loopback_endpoint() {
        assert_eq!(
            localize(AWS, Some("http://127.0.0.1:4566")),
            "http://127.0.0.1:4566/_aws/execute-api/a1b2c3d4e5/prod/"
        );
        assert_eq!(
            localize(
                "https://x9.execute-api.eu-west-1.amazonaws.com/prod/predictFare",
                Some("http://localhost:4566/")
            ),
            "http://localhost:4566/_aws/execute-api/x9/prod/predictFare"
        );
        assert_eq!(
            localize(AWS, Some("http://[::1]:4566")),
            "http://[::1]:4566/_aws/execute-api/a1b2c3d4e5/prod/"
        );
    }

    #[test]
    fn other_values_and_remote_endpoints_are_left_alone() {
        assert_eq!(localize(AWS, None), AWS);
        assert_eq!(localize(AWS, Some("https://kinesis.example.com")), AWS);
        let arn = "arn:aws:kinesis:us-east-1:123456789012:stream/s";
        assert_eq!(localize(arn, Some("http://127.0.0.1:4566")), arn);
        let console =
            "https://console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards:name=d";
        assert_eq!(localize(console, Some("http://127.0.0.1:4566")), console);
    }
}
