//! The streaming-joins processor, the replacement of a Kinesis Data Analytics
//! SQL application (spec `joins.md`): orders and order items arrive on one
//! stream (`recordType` `Order` / `OrderItem`, the original schemas), each
//! item is joined with its order and with the products reference table, and
//! the enriched items are written to a DynamoDB table (key orderId, itemId).
//!
//! ## The contract
//! - **Event-time interval join**: an item joins the order with the same
//!   `orderId` when their `orderDateTime`s are at most W apart
//!   (`JOIN_WINDOW_SECONDS`), whatever the arrival order (an item may come
//!   before its order) and however the records are batched, retried or
//!   spread over shards. The row carries the order's fields, the item's, and
//!   `event_ts` (arrival of the later record, as the original's ROWTIME).
//! - **Left join with products** (`itemId = productId`): a missing product
//!   gives a row without `productName`/`productPrice`, counted
//!   (`MissingProduct`). The table is `products.json` in the stack's bucket,
//!   reloaded when its ETag changes (checked at most every
//!   `REFERENCE_CHECK_SECONDS`); a file that does not parse keeps the previous
//!   table, logs the line at fault and counts `ReferenceLoadErrors`. Until a
//!   first file has loaded, no row is written: joined items wait in the state
//!   (`ItemsAwaitingProducts`) and are written once it loads ([`emit`]).
//! - **Unmatched and late**: an item whose order has not come when the
//!   watermark passes its window (W plus the allowed lateness L) is written
//!   under `UNMATCHED_PREFIX` with the reason (`order_not_found`,
//!   `order_outside_interval`); a record more than L behind its shard's
//!   watermark does not join: an item goes to the unmatched output
//!   (`late_item`), an order under `LATE_PREFIX` (`late_order`). Records that
//!   cannot be read (not JSON, unknown `recordType`, non-numeric ids, bad
//!   time or amounts) go under `REJECTED_PREFIX` with the reason. Every
//!   record is counted; none is dropped silently.
//! - **Idempotent, no lost updates**: a row is written only over an older
//!   version (version = the stream positions of its order and item), so a
//!   retried batch writes nothing new and a replayed older record never
//!   replaces a newer one; a later version of an order or item (a DMS update)
//!   rewrites its rows.
//! - **Exact amounts**: read from the JSON number's text (or a string), never
//!   through floating point; stored as DynamoDB Numbers (exact decimal, up to
//!   38 digits); in JSON outputs as strings.
//!
//! ## The design
//! Join state lives outside the function, in a DynamoDB table with TTL,
//! through the same building block as the pattern 2 processor,
//! [`streamkit_core::progress`]: per-shard checkpoints and watermarks, state
//! items committed atomically with the checkpoint ([`ingest`]), and an emitter
//! ([`emit`]) that closes *buckets* once the global watermark (minimum over
//! active shards, idle-shard rule) passes them. The table holds each order's
//! latest version and its items, 16 consecutive orderIds to a compressed
//! [`page`] item per shard ([`state`]); an item without its order waits in
//! the bucket closing at `item time + W + L` (one waiting list per bucket and
//! commit), and the emitter decides it then.
//!
//! ## Why pages (the cost)
//! DynamoDB on-demand bills a write per item and started KB, twice inside a
//! transaction; the state must be written in the transaction with the
//! checkpoint (that is what makes a retried batch change nothing). One item
//! per order or item record cost about 2.2 write units per record, three
//! times the output table's, and made the stack dearer than the KDA SQL
//! application it replaces. An order and its items come together and
//! orderIds from a database sequence come roughly in order, so a commit (up
//! to a whole batch of 500 records) writes each page it touches once,
//! compressed (the JSON of 16 orders deflates several-fold): about a fifth of
//! a write unit per record (figures in BENCHMARKS.md and `streamkit estimate
//! --pattern joins`). Scattered orderIds cost more (each commit rewrites the
//! pages it touches, up to 16 orders each) but never lose anything: the
//! state's meaning does not depend on how it is paged. An order joins only while the lowest bucket it could
//! affect is open, so a record is either joined or reported late, never both.
//! Lambda's own tumbling-window state (1 MB per shard, not sliding) could not
//! hold a one-minute interval join at volume; this state has no such limit.
//!
//! The runner is the core's ([`streamkit_core::runner`]): the Lambda entry
//! (Kinesis batches with partial batch failures, the EventBridge schedule),
//! the local runner and the exactly-once ingest loop; this crate is the
//! domain it drives, [`ingest::Joins`] (plan a commit, emit, count).

pub mod chunk;
pub mod config;
pub mod decimal;
pub mod emit;
pub mod error;
pub mod ingest;
pub mod join;
pub mod lines;
pub mod metrics;
pub mod output;
pub mod page;
pub mod products;
pub mod record;
pub mod reference;
pub mod sink;
pub mod state;

pub use config::JoinsConfig;
pub use error::JoinsError;
