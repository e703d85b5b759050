//! The price table of `docs/costs.md`, generated from [`super::price`] so the
//! prices live in one place (`streamkit docs --check` fails when the page and
//! the code drift apart).

use super::price::{self, ec2_hour};
use super::PRICES_AS_OF;

/// Markdown rows: item, price (as the page words it).
pub fn rows() -> Vec<(&'static str, String)> {
    let ec2 = |t: &str| ec2_hour(t).map(usd).unwrap_or_else(|| "?".into());
    vec![
        ("Kinesis shard-hour (provisioned)", usd(price::KDS_SHARD_HOUR)),
        (
            "Kinesis PUT payload unit (25 KB)",
            format!("{} per million", usd(price::KDS_PUT_PAYLOAD_UNITS_PER_MILLION)),
        ),
        (
            "Kinesis extended retention (24 h to 7 days)",
            format!("{} per shard-hour", usd(price::KDS_EXTENDED_RETENTION_SHARD_HOUR)),
        ),
        ("Kinesis on-demand stream-hour", usd(price::KDS_ON_DEMAND_STREAM_HOUR)),
        (
            "Kinesis on-demand data in / data out",
            format!(
                "{} / {} per GB",
                usd(price::KDS_ON_DEMAND_INGEST_GB),
                usd(price::KDS_ON_DEMAND_RETRIEVAL_GB)
            ),
        ),
        (
            "Kinesis enhanced fan-out",
            format!(
                "{} per consumer-shard-hour, {} per GB",
                usd(price::KDS_EFO_CONSUMER_SHARD_HOUR),
                usd(price::KDS_EFO_RETRIEVAL_GB)
            ),
        ),
        (
            "Lambda (arm64 / x86_64)",
            format!(
                "{} / {} per GB-second, {} per million requests",
                usd(price::LAMBDA_ARM_GB_SECOND),
                usd(price::LAMBDA_X86_GB_SECOND),
                usd(price::LAMBDA_REQUESTS_PER_MILLION)
            ),
        ),
        (
            "Firehose ingestion",
            format!("{} per GB", usd(price::FIREHOSE_INGEST_GB)),
        ),
        (
            "S3 Standard",
            format!(
                "{} per GB-month, {} per 1,000 PUTs",
                usd(price::S3_STANDARD_GB_MONTH),
                usd(price::S3_PUT_PER_THOUSAND)
            ),
        ),
        (
            "API Gateway REST",
            format!(
                "{} per million requests",
                usd(price::APIGW_REST_REQUESTS_PER_MILLION)
            ),
        ),
        (
            "DynamoDB on-demand writes (and global-table replicated writes) / reads",
            format!(
                "{} / {} per million",
                usd(price::DYNAMODB_WRITES_PER_MILLION),
                usd(price::DYNAMODB_READS_PER_MILLION)
            ),
        ),
        (
            "DynamoDB storage",
            format!("{} per GB-month", usd(price::DYNAMODB_STORAGE_GB_MONTH)),
        ),
        (
            "Managed Service for Apache Flink",
            format!(
                "{} per KPU-hour (+1 KPU per application for orchestration), {} per GB-month running storage (50 GB per KPU)",
                usd(price::FLINK_KPU_HOUR),
                usd(price::FLINK_STORAGE_GB_MONTH)
            ),
        ),
        (
            "CloudWatch alarm (standard resolution)",
            format!("{} per month", usd(price::CLOUDWATCH_ALARM_MONTH)),
        ),
        (
            "CloudWatch dashboard (beyond 3 free per account)",
            format!("{} per month", usd(price::CLOUDWATCH_DASHBOARD_MONTH)),
        ),
        (
            "KMS customer-managed key",
            format!("{} per month", usd(price::KMS_KEY_MONTH)),
        ),
        (
            "Secrets Manager secret",
            format!("{} per month", usd(price::SECRET_MONTH)),
        ),
        (
            "EC2 t4g.small / t3.small (Linux, on-demand)",
            format!("{} / {} per hour", ec2("t4g.small"), ec2("t3.small")),
        ),
        (
            "EBS gp3",
            format!("{} per GB-month", usd(price::EBS_GP3_GB_MONTH)),
        ),
        (
            "Data transfer between regions",
            format!("{} per GB", usd(price::INTER_REGION_TRANSFER_GB)),
        ),
    ]
}

/// The table as markdown, with the date the prices are from.
pub fn markdown() -> String {
    let mut out = format!(
        "Prices as of **{PRICES_AS_OF}** (`cost::PRICES_AS_OF`), from `src/cost/price.rs`:\n\n| item | price |\n|---|---|\n"
    );
    for (item, price) in rows() {
        out.push_str(&format!("| {item} | {price} |\n"));
    }
    out
}

/// A price in dollars: at least two decimals, all the digits the constant has.
pub fn usd(v: f64) -> String {
    let text = format!("{v}");
    let decimals = text.split_once('.').map_or(0, |(_, d)| d.len());
    if decimals >= 2 {
        format!("${text}")
    } else {
        format!("${v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_keep_every_digit_and_at_least_cents() {
        assert_eq!(usd(0.2), "$0.20");
        assert_eq!(usd(3.5), "$3.50");
        assert_eq!(usd(1.0), "$1.00");
        assert_eq!(usd(0.015), "$0.015");
        assert_eq!(usd(0.000_013_333_4), "$0.0000133334");
    }

    #[test]
    fn every_row_has_a_price() {
        assert!(rows()
            .iter()
            .all(|(_, p)| p.starts_with('$') && !p.contains('?')));
    }
}
