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
