//! Which resource types the guard protects, the properties whose change
//! replaces them, and what a user loses when that happens.
//!
//! `create_only` is CloudFormation's own list (the `createOnlyProperties` of
//! each type's registry schema; a test compares it with the schemas cfn-lint
//! ships). `also_replacing` adds changes the schema calls mutable but the
//! service refuses in place, so the update would fail half-way or need a new
//! resource: a table's key schema, and Firehose dynamic partitioning, which
//! "can only be enabled when you create a new Firehose stream".

/// One guarded resource type.
#[derive(Debug)]
pub struct Rule {
    pub resource_type: &'static str,
    /// Property paths (`/`-separated) whose change replaces the resource.
    pub create_only: &'static [&'static str],
    pub also_replacing: &'static [&'static str],
    /// Deleting the resource deletes data (not only a replacement does).
    pub holds_data: bool,
    /// What a replacement costs, shown in the refusal.
    pub loss: &'static str,
}

pub const RULES: &[Rule] = &[
    Rule {
        resource_type: "AWS::Kinesis::Stream",
        create_only: &["Name"],
        also_replacing: &[],
        holds_data: true,
        loss: "losing the records it holds",
    },
    Rule {
        resource_type: "AWS::S3::Bucket",
        create_only: &["BucketName", "BucketNamePrefix", "BucketNamespace"],
        also_replacing: &[],
        holds_data: true,
        loss: "losing the objects it holds",
    },
    Rule {
        resource_type: "AWS::DynamoDB::Table",
        create_only: &["TableName", "ImportSourceSpecification"],
        also_replacing: &["KeySchema"],
        holds_data: true,
        loss: "losing the items it holds",
    },
    Rule {
        resource_type: "AWS::DynamoDB::GlobalTable",
        create_only: &["TableName"],
        also_replacing: &["KeySchema"],
        holds_data: true,
        loss: "losing the items it holds in every replica",
    },
    Rule {
        resource_type: "AWS::SQS::Queue",
        create_only: &["FifoQueue", "QueueName"],
        also_replacing: &[],
        holds_data: true,
        loss: "losing the failed-record notices it holds",
    },
    Rule {
        resource_type: "AWS::Lambda::EventSourceMapping",
        create_only: &[
            "EventSourceArn",
            "StartingPosition",
            "StartingPositionTimestamp",
            "SelfManagedEventSource",
        ],
        also_replacing: &[],
        holds_data: false,
        loss: "the new mapping starts reading at its StartingPosition, so records are skipped or processed twice",
    },
    Rule {
        resource_type: "AWS::KinesisFirehose::DeliveryStream",
        create_only: &[
            "DeliveryStreamName",
            "DeliveryStreamType",
            "ElasticsearchDestinationConfiguration/VpcConfiguration",
            "AmazonopensearchserviceDestinationConfiguration/VpcConfiguration",
            "AmazonOpenSearchServerlessDestinationConfiguration/VpcConfiguration",
            "DatabaseSourceConfiguration",
            "KinesisStreamSourceConfiguration",
            "DirectPutSourceConfiguration",
            "MSKSourceConfiguration",
            "IcebergDestinationConfiguration/CatalogConfiguration",
            "SnowflakeDestinationConfiguration/SnowflakeVpcConfiguration",
        ],
        also_replacing: &["ExtendedS3DestinationConfiguration/DynamicPartitioningConfiguration/Enabled"],
        holds_data: false,
        loss: "dropping the records it buffers; the new delivery stream starts at the stream's newest records",
    },
    Rule {
        resource_type: "AWS::KinesisAnalyticsV2::Application",
        create_only: &["ApplicationName", "ApplicationMode"],
        also_replacing: &[],
        holds_data: false,
        loss: "losing its snapshots and running state; the new application starts from its initial position",
    },
];

/// The rule for a resource type, if the guard protects it.
pub fn rule(resource_type: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.resource_type == resource_type)
}

impl Rule {
    /// Every property path whose change replaces the resource.
    pub fn replacing(&self) -> impl Iterator<Item = &'static str> {
        self.create_only
            .iter()
            .chain(self.also_replacing.iter())
            .copied()
    }
}
