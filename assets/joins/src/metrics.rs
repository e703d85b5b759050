//! What the processor counts, and its custom metrics: published once per
//! invocation in namespace `METRICS_NAMESPACE` (`Streamkit/Joins`) with
//! dimension `StackName`, through the core's one publisher.

use aws_sdk_cloudwatch::types::MetricDatum;
use serde::Serialize;
use streamkit_core::metrics::{count, dimension};

/// Counts of one invocation (or one local run).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct JoinCounts {
    /// User records read (after KPL de-aggregation).
    pub records_in: u64,
    pub orders_in: u64,
    pub items_in: u64,
    /// Enriched items written to the output table (new or newer versions).
    pub items_enriched: u64,
    /// Rows the table already held at that version (retries, re-checks).
    pub rows_unchanged: u64,
    /// Enriched items written without product fields (no such product).
    pub missing_product: u64,
    /// Items that found no order yet and wait for their bucket to close.
    pub items_waiting: u64,
    /// Joined items held in the state because no products table has
    /// loaded yet: at the end of a run, how many wait (they are written once
    /// a table loads). Combined by maximum, not summed.
    pub items_awaiting_products: u64,
    /// Items written to the unmatched output (no order within the window, or late).
    pub items_unmatched: u64,
    /// Orders that arrived after the items they could join were decided.
    pub late_orders: u64,
    /// Records the stream delivered again (at or before the stored version).
    pub duplicates: u64,
    /// Records that are not JSON objects.
    pub malformed: u64,
    /// Records whose recordType is neither Order nor OrderItem.
    pub unknown_record_type: u64,
    /// Records whose orderId or itemId is not a non-negative integer.
    pub non_numeric_id: u64,
    /// Records with a bad orderDateTime, amount or quantity.
    pub bad_fields: u64,
    /// Failed loads of the products file (the previous table stays).
    pub reference_errors: u64,
    /// Products in the table in use.
    pub products: u64,
    /// Records a shard held before the first one the processor got (its
    /// mapping started after them, at LATEST): never processed.
    pub records_before_start: u64,
}

impl JoinCounts {
    pub fn add(&mut self, o: &JoinCounts) {
        self.records_in += o.records_in;
        self.orders_in += o.orders_in;
        self.items_in += o.items_in;
        self.items_enriched += o.items_enriched;
        self.rows_unchanged += o.rows_unchanged;
        self.missing_product += o.missing_product;
        self.items_waiting += o.items_waiting;
        self.items_awaiting_products = self.items_awaiting_products.max(o.items_awaiting_products);
        self.items_unmatched += o.items_unmatched;
        self.late_orders += o.late_orders;
        self.duplicates += o.duplicates;
        self.malformed += o.malformed;
        self.unknown_record_type += o.unknown_record_type;
        self.non_numeric_id += o.non_numeric_id;
        self.bad_fields += o.bad_fields;
        self.reference_errors += o.reference_errors;
        self.products = self.products.max(o.products);
        self.records_before_start += o.records_before_start;
    }

    /// Records sent to the rejected output.
    pub fn rejected(&self) -> u64 {
        self.malformed + self.unknown_record_type + self.non_numeric_id + self.bad_fields
    }
}

impl streamkit_core::runner::Tally for JoinCounts {
    fn add(&mut self, o: &JoinCounts) {
        JoinCounts::add(self, o);
    }

    fn before_start(&mut self, records: u64) {
        self.records_before_start += records;
    }
}

/// Metric names, as the dashboard and alarms read them.
pub const RECORDS_IN: &str = "RecordsIn";
pub const ITEMS_ENRICHED: &str = "ItemsEnriched";
pub const MISSING_PRODUCT: &str = "MissingProduct";
pub const ITEMS_UNMATCHED: &str = "ItemsUnmatched";
pub const LATE_ORDERS: &str = "LateOrders";
pub const REJECTED_RECORDS: &str = "RejectedRecords";
pub const REFERENCE_LOAD_ERRORS: &str = "ReferenceLoadErrors";
pub const ITEMS_AWAITING_PRODUCTS: &str = "ItemsAwaitingProducts";
pub const RECORDS_BEFORE_START: &str = "RecordsBeforeStart";
pub const DIMENSION: &str = "StackName";

/// One datum per metric, all with the `StackName` dimension.
pub fn metric_data(c: &JoinCounts, stack_name: &str) -> Vec<MetricDatum> {
    let dims = [dimension(DIMENSION, stack_name)];
    [
        (RECORDS_IN, c.records_in),
        (ITEMS_ENRICHED, c.items_enriched),
        (MISSING_PRODUCT, c.missing_product),
        (ITEMS_UNMATCHED, c.items_unmatched),
        (LATE_ORDERS, c.late_orders),
        (REJECTED_RECORDS, c.rejected()),
        (REFERENCE_LOAD_ERRORS, c.reference_errors),
        (ITEMS_AWAITING_PRODUCTS, c.items_awaiting_products),
        (RECORDS_BEFORE_START, c.records_before_start),
    ]
    .into_iter()
    .map(|(name, v)| count(name, v, &dims))
    .collect()
}
