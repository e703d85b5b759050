//! Turns `--kind orders` arguments into a replay schedule and writes its side
//! files: the products reference file (local or `s3://bucket/key`) and the
//! records as sent (for a batch join to compare against).

use chrono::Utc;

use crate::orders::{self, OrdersOptions, Plan};
use crate::replay::ReplaySet;
use crate::{ProducerArgs, ProducerError};

/// Plans the run from the arguments (`--count` orders, else as many as
/// `--rate` and `--duration` allow at three records per order).
pub fn options(args: &ProducerArgs) -> OrdersOptions {
    let count = args
        .count
        .unwrap_or_else(|| (args.rate as f64 * args.duration.as_secs_f64() / 3.0) as u64);
    let o = &args.orders;
    OrdersOptions {
        seed: args.seed,
        first_order_id: o.first_order_id,
        items_first: o.items_first,
        out_of_order: o.out_of_order,
        missing_orders: o.missing_orders,
        late_orders: o.late_orders,
        late_by: o.late_by,
        duplicates: o.duplicates,
        unknown_products: o.unknown_products,
        ..OrdersOptions::new(count, args.rate)
    }
}

/// Plans the run, writes `--products-out` and `--records-out`, and returns
/// the schedule to send.
pub async fn prepare(
    args: &ProducerArgs,
    s3: &aws_sdk_s3::Client,
) -> Result<(Plan, ReplaySet), ProducerError> {
    if args.rate == 0 {
        return Err(ProducerError::Rate);
    }
    let plan = orders::plan(&options(args), Utc::now());
    if let Some(target) = &args.orders.products_out {
        let text = orders::products_file(&orders::products());
        write(target, text.into_bytes(), s3).await?;
    }
    if let Some(target) = &args.orders.records_out {
        let mut text = Vec::new();
        for r in &plan.records {
            text.extend_from_slice(&r.data);
            text.push(b'\n');
        }
        write(target, text, s3).await?;
    }
    let set = ReplaySet {
        records: plan.records.clone(),
        bad_lines: Vec::new(),
    };
    Ok((plan, set))
}

/// Writes `body` to a local path or `s3://bucket/key`.
pub async fn write(
    target: &str,
    body: Vec<u8>,
    s3: &aws_sdk_s3::Client,
) -> Result<(), ProducerError> {
    let err = |message: String| ProducerError::Output {
        target: target.to_string(),
        message,
    };
    if let Some(rest) = target.strip_prefix("s3://") {
        let (bucket, key) = rest
            .split_once('/')
            .filter(|(b, k)| !b.is_empty() && !k.is_empty())
            .ok_or_else(|| err("expected s3://bucket/key".into()))?;
        s3.put_object()
            .bucket(bucket)
            .key(key)
            .content_type("application/x-ndjson")
            .body(body.into())
            .send()
            .await
            .map_err(|e| err(streamkit_core::error::sdk_message(&e)))?;
        Ok(())
    } else {
        tokio::fs::write(target, body)
            .await
            .map_err(|e| err(e.to_string()))
    }
}
