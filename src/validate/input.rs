//! Checks on command input that need no AWS call: stack names, regions
//! (against the regions the SDK knows), and stack tags. Each function
//! returns every problem it finds, one line each, naming the field and what
//! is allowed; an empty list means valid.

use std::collections::BTreeSet;

use aws_sdk_s3::types::BucketLocationConstraint;

/// Regions of the SDK's partitions that are not S3 location constraints
/// (us-east-1 has none; the isolated and sovereign partitions' regions),
/// from the SDK's `partitions.json`.
const OTHER_REGIONS: [&str; 9] = [
    "us-east-1",
    "eusc-de-east-1",
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "us-isob-west-1",
    "eu-isoe-west-1",
    "us-isof-east-1",
    "us-isof-south-1",
];

/// Every region name the SDK knows, sorted.
pub fn known_regions() -> BTreeSet<&'static str> {
    BucketLocationConstraint::values()
        .iter()
        .copied()
        .filter(|r| *r != "EU")
        .chain(OTHER_REGIONS)
        .collect()
}

/// AWS's rule: a letter first, then letters, digits and hyphens, 128 at most.
pub fn stack_name(name: &str) -> Vec<String> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '-');
    let len = name.chars().count();
    if first_ok && rest_ok && len <= 128 {
        return Vec::new();
    }
    vec![format!(
        "stack name '{}': must start with a letter and contain only letters (A-Z, a-z), digits and hyphens, at most 128 characters{}",
        crate::error::cut(name),
        if len > 128 { format!(" (it has {len})") } else { String::new() }
    )]
}

/// `field` names the flag (`--regions`, `--region`); each entry must be a
/// known region, exactly as AWS spells it, given once.
pub fn regions(field: &str, given: &[String]) -> Vec<String> {
    let known = known_regions();
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for region in given {
        if region.is_empty() {
            problems.push(format!(
                "{field}: an empty region (a trailing or doubled comma?); give regions as A,B with nothing between the commas"
            ));
        } else if region.trim() != region {
            problems.push(format!(
                "{field}: '{}' has spaces around it; write regions as A,B without spaces",
                crate::error::cut(region)
            ));
        } else if !known.contains(region.as_str()) {
            let lower = region.to_ascii_lowercase();
            let hint = if known.contains(lower.as_str()) {
                format!(" (did you mean {lower}? regions are lower case)")
            } else {
                String::new()
            };
            problems.push(format!(
                "{field}: unknown region '{}'{hint}; known regions: {}",
                crate::error::cut(region),
                known.iter().copied().collect::<Vec<_>>().join(", ")
            ));
        } else if !seen.insert(region.as_str()) {
            problems.push(format!(
                "{field}: region {region} is given twice; give each region once"
            ));
        }
    }
    problems
}

/// Stack tags: keys 1-128 characters not starting with `aws:`, values at most
/// 256 characters, 50 tags at most (including streamkit's own).
pub fn tags(given: &[(String, String)], reserved: usize) -> Vec<String> {
    let mut problems = Vec::new();
    for (full_key, value) in given {
        let key = crate::error::cut(full_key);
        let klen = full_key.chars().count();
        if full_key.to_ascii_lowercase().starts_with("aws:") {
            problems.push(format!(
                "--tag {key}: the aws: prefix is reserved for AWS; use another key"
            ));
        }
        if klen == 0 || klen > 128 {
            problems.push(format!(
                "--tag {key}: a key must have 1 to 128 characters (it has {klen})"
            ));
        }
        let vlen = value.chars().count();
        if vlen > 256 {
            problems.push(format!(
                "--tag {key}: a value must have at most 256 characters (it has {vlen})"
            ));
        }
    }
    if given.len() + reserved > 50 {
        problems.push(format!(
            "--tag: {} tags given, at most {} allowed (a stack has 50, streamkit sets {reserved})",
            given.len(),
            50 - reserved
        ));
    }
    problems
}

/// `--endpoint-url` / `AWS_ENDPOINT_URL`: `http://` or `https://`, a host,
/// an optional port, no spaces (the SDK would fail on each call otherwise,
/// with a page of debug output).
pub fn endpoint_url(url: &str) -> Vec<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let host_port = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or_default());
    let ok = host_port.is_some_and(|hp| {
        let (host, port) = match hp.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || hp.starts_with('[') => (h, Some(p)),
            _ => (hp, None),
        };
        !host.is_empty()
            && !host.contains(char::is_whitespace)
            && port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0))
    }) && !url.contains(char::is_whitespace);
    if ok {
        return Vec::new();
    }
    vec![format!(
        "--endpoint-url '{}' (or AWS_ENDPOINT_URL) is not a URL: give http:// or https://, a host and an optional port, e.g. http://localhost:4566",
        crate::error::cut(url)
    )]
}

/// Problems with `--remove-tag` keys: one also given with `--tag`, or the
/// tag streamkit sets itself (`streamkit:pattern`).
pub fn removed_tags(removed: &[String], given: &[(String, String)]) -> Vec<String> {
    removed
        .iter()
        .filter_map(|key| {
            if key == PATTERN_TAG {
                Some(format!(
                    "--remove-tag {key}: streamkit sets this tag on every stack; it cannot be removed"
                ))
            } else if given.iter().any(|(k, _)| k == key) {
                Some(format!(
                    "--remove-tag {key}: also given as --tag {key}=...; keep one of the two"
                ))
            } else {
                None
            }
        })
        .collect()
}

/// The tag streamkit puts on every stack it deploys (the pattern id).
pub const PATTERN_TAG: &str = "streamkit:pattern";

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn endpoint_urls() {
        for ok in [
            "http://localhost:4566",
            "https://s3.example.com",
            "http://127.0.0.1:5000/",
            "http://[::1]:4566",
        ] {
            assert!(endpoint_url(ok).is_empty(), "{ok}");
        }
        for bad in [
            "notaurl",
            "localhost:4566",
            "http://",
            "http://host:port",
            "ftp://x",
            "http://a b",
        ] {
            assert_eq!(endpoint_url(bad).len(), 1, "{bad}");
        }
    }

    #[test]
    fn stack_names_follow_aws_rules() {
        for ok in ["a", "streamkit-pattern-3", "A1-b2", &"a".repeat(128)] {
            assert!(stack_name(ok).is_empty(), "{ok}");
        }
        for bad in [
            "",
            "1abc",
            "-a",
            "a_b",
            "a.b",
            "stäck",
            "a b",
            &"a".repeat(129),
        ] {
            let p = stack_name(bad);
            assert_eq!(p.len(), 1, "{bad}");
            assert!(p[0].contains("must start with a letter"), "{p:?}");
        }
    }

    #[test]
    fn every_bad_region_form_is_named() {
        let p = regions(
            "--regions",
            &strings(&[
                "us-east-1",
                "mars-1",
                "US-EAST-1",
                " us-west-2",
                "",
                "us-east-1",
            ]),
        );
        assert_eq!(p.len(), 5, "{p:#?}");
        assert!(p[0].contains("unknown region 'mars-1'") && p[0].contains("eu-west-1"));
        assert!(p[1].contains("did you mean us-east-1?"));
        assert!(p[2].contains("spaces"));
        assert!(p[3].contains("trailing"));
        assert!(p[4].contains("twice"));
        assert!(regions(
            "--regions",
            &strings(&["us-east-1", "eu-west-1", "cn-north-1"])
        )
        .is_empty());
    }

    #[test]
    fn tags_reserved_prefix_and_lengths() {
        let long_key = "k".repeat(129);
        let given = vec![
            ("aws:team".to_string(), "x".to_string()),
            (long_key, "x".to_string()),
            ("ok".to_string(), "v".repeat(257)),
            ("team".to_string(), "data".to_string()),
        ];
        let p = tags(&given, 1);
        assert_eq!(p.len(), 3, "{p:#?}");
        assert!(p[0].contains("aws: prefix"));
        assert!(p[1].contains("1 to 128"));
        assert!(p[2].contains("at most 256"));
    }
}
