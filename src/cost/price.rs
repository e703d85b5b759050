//! us-east-1 on-demand list prices in USD, as of [`super::PRICES_AS_OF`].

pub const KDS_SHARD_HOUR: f64 = 0.015;
pub const KDS_PUT_PAYLOAD_UNITS_PER_MILLION: f64 = 0.014;
/// Retention beyond 24 hours (up to 7 days), per shard-hour.
pub const KDS_EXTENDED_RETENTION_SHARD_HOUR: f64 = 0.02;
pub const KDS_ON_DEMAND_STREAM_HOUR: f64 = 0.04;
pub const KDS_ON_DEMAND_INGEST_GB: f64 = 0.08;
pub const KDS_ON_DEMAND_RETRIEVAL_GB: f64 = 0.04;
pub const KDS_EFO_CONSUMER_SHARD_HOUR: f64 = 0.015;
pub const KDS_EFO_RETRIEVAL_GB: f64 = 0.013;
pub const LAMBDA_ARM_GB_SECOND: f64 = 0.000_013_333_4;
pub const LAMBDA_X86_GB_SECOND: f64 = 0.000_016_666_7;
pub const LAMBDA_REQUESTS_PER_MILLION: f64 = 0.20;
pub const FIREHOSE_INGEST_GB: f64 = 0.029;
pub const S3_STANDARD_GB_MONTH: f64 = 0.023;
pub const S3_PUT_PER_THOUSAND: f64 = 0.005;
pub const APIGW_REST_REQUESTS_PER_MILLION: f64 = 3.50;
/// DynamoDB on-demand write request units (and replicated writes of a global table).
pub const DYNAMODB_WRITES_PER_MILLION: f64 = 0.625;
/// DynamoDB on-demand read request units.
pub const DYNAMODB_READS_PER_MILLION: f64 = 0.125;
/// DynamoDB standard table storage beyond the free 25 GB (priced anyway).
pub const DYNAMODB_STORAGE_GB_MONTH: f64 = 0.25;
/// DynamoDB provisioned capacity per unit-hour.
pub const DYNAMODB_WCU_HOUR: f64 = 0.00065;
pub const DYNAMODB_RCU_HOUR: f64 = 0.00013;
pub const FLINK_KPU_HOUR: f64 = 0.11;
/// Kinesis Data Analytics for SQL (discontinued), per KPU-hour.
pub const KDA_SQL_KPU_HOUR: f64 = 0.11;
/// Running application storage: 50 GB per KPU.
pub const FLINK_STORAGE_GB_MONTH: f64 = 0.10;
pub const CLOUDWATCH_ALARM_MONTH: f64 = 0.10;
/// Beyond the three free dashboards per account.
pub const CLOUDWATCH_DASHBOARD_MONTH: f64 = 3.00;
pub const KMS_KEY_MONTH: f64 = 1.00;
pub const SECRET_MONTH: f64 = 0.40;
pub const EBS_GP3_GB_MONTH: f64 = 0.08;
pub const INTER_REGION_TRANSFER_GB: f64 = 0.02;

/// Linux on-demand price per hour of the producer's instance types.
pub fn ec2_hour(instance_type: &str) -> Option<f64> {
    Some(match instance_type {
        "t4g.micro" => 0.0084,
        "t4g.small" => 0.0168,
        "t4g.medium" => 0.0336,
        "t4g.large" => 0.0672,
        "m7g.medium" => 0.0408,
        "m7g.large" => 0.0816,
        "c7g.medium" => 0.0363,
        "c7g.large" => 0.0725,
        "t3.micro" => 0.0104,
        "t3.small" => 0.0208,
        "t3.medium" => 0.0416,
        "t3.large" => 0.0832,
        "m7i.large" => 0.1008,
        "c7i.large" => 0.0893,
        _ => return None,
    })
}
