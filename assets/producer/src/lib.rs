//! The producer: synthetic events or a replayed JSON-lines file, written to
//! a stream at a target rate with batched PutRecords.

pub mod args;
pub mod error;
pub mod orders;
pub mod orders_io;
pub mod replay;
pub mod run;

pub use args::{HashKeys, Kind, OrdersArgs, ProducerArgs};
pub use error::ProducerError;
pub use run::{run, Summary};

/// An S3 client for `sdk`; path-style addressing when an endpoint override
/// (the emulator) is set, since `bucket.127.0.0.1` does not resolve.
pub fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(sdk.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}
