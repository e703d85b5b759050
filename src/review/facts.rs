//! What AWS publishes, as data: for each AWS namespace the dashboards and
//! alarms use, which metric names exist with which dimension sets, how often
//! they are published, and which need a feature enabled before any data
//! appears. `dashboard --check` uses these facts to tell a metric that does
//! not exist (a wrong name or dimension) from one that is not published yet.
//!
//! Sources: the CloudWatch metrics pages of Kinesis Data Streams, Lambda,
//! Firehose, API Gateway, SQS, S3, DynamoDB and Managed Service for Apache
//! Flink.

/// How often AWS publishes a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    /// Every minute while there is activity.
    Minute,
    /// Once an hour (a graph with a shorter period shows isolated points at best).
    Hourly,
    /// Once a day.
    Daily,
}

/// A family of metrics AWS publishes with one set of dimensions.
#[derive(Debug)]
pub struct Fact {
    pub namespace: &'static str,
    pub names: &'static [&'static str],
    /// The dimension names (any order) the metrics are published with.
    pub dimensions: &'static [&'static str],
    pub cadence: Cadence,
    /// A feature that must be enabled before AWS publishes any datapoint.
    pub needs: Option<&'static str>,
    /// When AWS publishes them (the reason given for "no data yet").
    pub when: &'static str,
}

const KINESIS_STREAM: &[&str] = &[
    "IncomingBytes",
    "IncomingRecords",
    "PutRecord.Bytes",
    "PutRecord.Latency",
    "PutRecord.Success",
    "PutRecords.Bytes",
    "PutRecords.Latency",
    "PutRecords.Records",
    "PutRecords.Success",
    "PutRecords.TotalRecords",
    "PutRecords.SuccessfulRecords",
    "PutRecords.FailedRecords",
    "PutRecords.ThrottledRecords",
    "WriteProvisionedThroughputExceeded",
];
/// Published only for GetRecords calls: never on a stream read only through enhanced fan-out.
pub const KINESIS_POLLING: &[&str] = &[
    "GetRecords.Bytes",
    "GetRecords.IteratorAgeMilliseconds",
    "GetRecords.Latency",
    "GetRecords.Records",
    "GetRecords.Success",
    "ReadProvisionedThroughputExceeded",
];
const KINESIS_CONSUMER: &[&str] = &[
    "SubscribeToShard.Success",
    "SubscribeToShardEvent.Bytes",
    "SubscribeToShardEvent.MillisBehindLatest",
    "SubscribeToShardEvent.Records",
    "SubscribeToShardEvent.Success",
];
const KINESIS_SHARD: &[&str] = &[
    "IncomingBytes",
    "IncomingRecords",
    "IteratorAgeMilliseconds",
    "OutgoingBytes",
    "OutgoingRecords",
    "ReadProvisionedThroughputExceeded",
    "WriteProvisionedThroughputExceeded",
];
const LAMBDA_FUNCTION: &[&str] = &[
    "Invocations",
    "Errors",
    "Throttles",
    "Duration",
    "ConcurrentExecutions",
    "DeadLetterErrors",
    "DestinationDeliveryFailures",
    "PostRuntimeExtensionsDuration",
    "RecursiveInvocationsDropped",
    "AsyncEventsReceived",
    "AsyncEventAge",
    "AsyncEventsDropped",
    "ProvisionedConcurrentExecutions",
];
const LAMBDA_ESM: &[&str] = &[
    "PolledEventCount",
    "InvokedEventCount",
    "FilteredOutEventCount",
    "FailedInvokeEventCount",
    "DeletedEventCount",
    "DroppedEventCount",
    "OnFailureDestinationDeliveredEventCount",
];
const FIREHOSE: &[&str] = &[
    "IncomingRecords",
    "IncomingBytes",
    "DeliveryToS3.Records",
    "DeliveryToS3.Bytes",
    "DeliveryToS3.Success",
    "DeliveryToS3.DataFreshness",
    "DeliveryToS3.ObjectCount",
    "DataReadFromKinesisStream.Records",
    "DataReadFromKinesisStream.Bytes",
    "KinesisMillisBehindLatest",
    "ThrottledGetRecords",
    "ThrottledGetShardIterator",
    "ThrottledDescribeStream",
    "BackupToS3.Records",
    "BackupToS3.Success",
];
const FIREHOSE_PARTITIONING: &[&str] = &[
    "PartitionCount",
    "PartitionCountExceeded",
    "JQProcessing.Duration",
    "PerPartitionThroughput",
];
const API_GATEWAY: &[&str] = &[
    "Count",
    "4XXError",
    "5XXError",
    "Latency",
    "IntegrationLatency",
    "CacheHitCount",
    "CacheMissCount",
];
const SQS: &[&str] = &[
    "ApproximateNumberOfMessagesVisible",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "ApproximateAgeOfOldestMessage",
    "NumberOfMessagesSent",
    "NumberOfMessagesReceived",
    "NumberOfMessagesDeleted",
    "NumberOfEmptyReceives",
    "SentMessageSize",
];
const FLINK_APPLICATION: &[&str] = &[
    "downtime",
    "uptime",
    "fullRestarts",
    "numberOfFailedCheckpoints",
    "lastCheckpointDuration",
    "lastCheckpointSize",
    "cpuUtilization",
    "heapMemoryUtilization",
    "oldGenerationGCTime",
    "oldGenerationGCCount",
    "threadsCount",
    "numRecordsIn",
    "numRecordsInPerSecond",
    "numRecordsOut",
    "numRecordsOutPerSecond",
    "numLateRecordsDropped",
    "currentInputWatermark",
    "currentOutputWatermark",
    "managedMemoryUsed",
    "managedMemoryTotal",
    "managedMemoryUtilization",
    "containerCPUUtilization",
    "containerMemoryUtilization",
    "containerDiskUtilization",
    "backPressuredTimeMsPerSecond",
    "busyTimeMsPerSecond",
    "idleTimeMsPerSecond",
];
const DYNAMODB_TABLE: &[&str] = &[
    "ConsumedReadCapacityUnits",
    "ConsumedWriteCapacityUnits",
    "ReadThrottleEvents",
    "WriteThrottleEvents",
    "ConditionalCheckFailedRequests",
    "ProvisionedReadCapacityUnits",
    "ProvisionedWriteCapacityUnits",
];
const DYNAMODB_OPERATION: &[&str] = &[
    "SuccessfulRequestLatency",
    "ThrottledRequests",
    "SystemErrors",
    "ReturnedItemCount",
];

const TRAFFIC: &str = "published once the resource has traffic";

/// Every fact streamkit knows.
pub static FACTS: &[Fact] = &[
    Fact { namespace: "AWS/Kinesis", names: KINESIS_STREAM, dimensions: &["StreamName"], cadence: Cadence::Minute, needs: None, when: "published once producers or consumers call the stream" },
    Fact { namespace: "AWS/Kinesis", names: KINESIS_POLLING, dimensions: &["StreamName"], cadence: Cadence::Minute, needs: None, when: "published once a consumer polls the stream with GetRecords (enhanced fan-out consumers publish SubscribeToShardEvent.* instead)" },
    Fact { namespace: "AWS/Kinesis", names: KINESIS_CONSUMER, dimensions: &["StreamName", "ConsumerName"], cadence: Cadence::Minute, needs: None, when: "published while the enhanced fan-out consumer is subscribed" },
    Fact { namespace: "AWS/Kinesis", names: &["SubscribeToShard.RateExceeded"], dimensions: &["StreamName", "ConsumerName"], cadence: Cadence::Minute, needs: None, when: "published only when a subscription is refused (a second subscription by the consumer, or too many subscribe calls)" },
    Fact { namespace: "AWS/Kinesis", names: KINESIS_SHARD, dimensions: &["StreamName", "ShardId"], cadence: Cadence::Minute, needs: Some("shard-level (enhanced) monitoring on the stream: EnableEnhancedMonitoring=true"), when: TRAFFIC },
    Fact { namespace: "AWS/Lambda", names: LAMBDA_FUNCTION, dimensions: &["FunctionName"], cadence: Cadence::Minute, needs: None, when: "published once the function is invoked" },
    Fact { namespace: "AWS/Lambda", names: &["IteratorAge"], dimensions: &["FunctionName"], cadence: Cadence::Minute, needs: None, when: "published once a stream event source mapping invokes the function" },
    Fact { namespace: "AWS/Lambda", names: LAMBDA_ESM, dimensions: &["EventSourceMappingUUID"], cadence: Cadence::Minute, needs: Some("MetricsConfig {Metrics: [EventCount]} on the event source mapping"), when: TRAFFIC },
    Fact { namespace: "AWS/Firehose", names: FIREHOSE, dimensions: &["DeliveryStreamName"], cadence: Cadence::Minute, needs: None, when: "published once the delivery stream reads or delivers records" },
    Fact { namespace: "AWS/Firehose", names: FIREHOSE_PARTITIONING, dimensions: &["DeliveryStreamName"], cadence: Cadence::Minute, needs: Some("dynamic partitioning on the delivery stream"), when: TRAFFIC },
    Fact { namespace: "AWS/ApiGateway", names: API_GATEWAY, dimensions: &["ApiName"], cadence: Cadence::Minute, needs: None, when: "published once the API receives requests" },
    Fact { namespace: "AWS/ApiGateway", names: API_GATEWAY, dimensions: &["ApiName", "Stage"], cadence: Cadence::Minute, needs: None, when: "published once the stage receives requests" },
    Fact { namespace: "AWS/ApiGateway", names: API_GATEWAY, dimensions: &["ApiName", "Stage", "Resource", "Method"], cadence: Cadence::Minute, needs: Some("detailed CloudWatch metrics on the stage (MethodSettings MetricsEnabled)"), when: TRAFFIC },
    Fact { namespace: "AWS/SQS", names: SQS, dimensions: &["QueueName"], cadence: Cadence::Minute, needs: None, when: "published every minute for a queue that exists (after up to 15 minutes for a new queue)" },
    Fact { namespace: "AWS/S3", names: &["BucketSizeBytes", "NumberOfObjects"], dimensions: &["BucketName", "StorageType"], cadence: Cadence::Daily, needs: None, when: "S3 storage metrics are published once a day, for storage classes that hold objects" },
    Fact { namespace: "AWS/S3", names: &["AllRequests", "GetRequests", "PutRequests", "4xxErrors", "5xxErrors", "BytesDownloaded", "BytesUploaded", "FirstByteLatency", "TotalRequestLatency"], dimensions: &["BucketName", "FilterId"], cadence: Cadence::Minute, needs: Some("an S3 request metrics configuration on the bucket"), when: TRAFFIC },
    Fact { namespace: "AWS/KinesisAnalytics", names: &["KPUs"], dimensions: &["Application"], cadence: Cadence::Hourly, needs: None, when: "Managed Service for Apache Flink publishes KPUs once an hour" },
    Fact { namespace: "AWS/KinesisAnalytics", names: FLINK_APPLICATION, dimensions: &["Application"], cadence: Cadence::Minute, needs: None, when: "published while the application is RUNNING (start it with `aws kinesisanalyticsv2 start-application`)" },
    Fact { namespace: "AWS/KinesisAnalytics", names: &["millisBehindLatest", "numRecordsInPerSecond", "numRecordsOutPerSecond"], dimensions: &["Application", "Flow", "Id"], cadence: Cadence::Minute, needs: None, when: "published while the application is RUNNING and reading the stream" },
    Fact { namespace: "AWS/DynamoDB", names: DYNAMODB_TABLE, dimensions: &["TableName"], cadence: Cadence::Minute, needs: None, when: "published once the table is used" },
    Fact { namespace: "AWS/DynamoDB", names: DYNAMODB_OPERATION, dimensions: &["TableName", "Operation"], cadence: Cadence::Minute, needs: None, when: "published once the table is used" },
    Fact { namespace: "AWS/DynamoDB", names: &["UserErrors"], dimensions: &[], cadence: Cadence::Minute, needs: None, when: "published once a request fails with a client error" },
];

/// The fact for this metric with exactly these dimension names, if AWS publishes it.
pub fn lookup(namespace: &str, name: &str, dimension_names: &[&str]) -> Option<&'static Fact> {
    let mut wanted: Vec<&str> = dimension_names.to_vec();
    wanted.sort_unstable();
    FACTS.iter().find(|f| {
        let mut dims = f.dimensions.to_vec();
        dims.sort_unstable();
        f.namespace == namespace && f.names.contains(&name) && dims == wanted
    })
}

/// Whether streamkit knows which metrics this namespace has (an AWS namespace
/// with facts above); other namespaces are judged by what ListMetrics shows.
pub fn known_namespace(namespace: &str) -> bool {
    FACTS.iter().any(|f| f.namespace == namespace)
}

/// Whether this metric is published only for GetRecords calls.
pub fn polling_only(namespace: &str, name: &str) -> bool {
    namespace == "AWS/Kinesis" && KINESIS_POLLING.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_match_on_exact_dimension_names_in_any_order() {
        assert!(lookup("AWS/ApiGateway", "Latency", &["Stage", "ApiName"]).is_some());
        assert!(lookup("AWS/Kinesis", "IncomingRecords", &["Stream"]).is_none());
        assert_eq!(
            lookup("AWS/KinesisAnalytics", "KPUs", &["Application"]).map(|f| f.cadence),
            Some(Cadence::Hourly)
        );
        assert!(
            lookup("AWS/Kinesis", "IncomingRecords", &["StreamName", "ShardId"])
                .is_some_and(|f| f.needs.is_some())
        );
        assert!(polling_only("AWS/Kinesis", "GetRecords.Bytes"));
    }
}
