//! Until a products table has loaded, no row is written: joined items wait
//! in the state, are counted, and are written with their products by the
//! first emitter run that has a table. A later swap leaves written rows as
//! they are (README, joins "Products").

use std::collections::BTreeMap;
use streamkit_core::progress::MemoryStore;
use streamkit_core::runner::ingest;
use streamkit_core::StreamRecord;
use streamkit_joins::emit::{emit, pending};
use streamkit_joins::ingest::Joins;
use streamkit_joins::products::{Product, Products};
use streamkit_joins::sink::MemorySink;
use streamkit_joins::JoinsConfig;

const T0: i64 = 1_795_428_000_000;

fn record(seq: u64, json: String) -> StreamRecord {
    StreamRecord {
        shard_id: "shardId-000000000000".into(),
        sequence_number: (100_000_000_000_000_000_000u128 + seq as u128).to_string(),
        partition_key: "k".into(),
        data: json.into_bytes(),
        approximate_arrival: Some((T0 + seq as i64) as f64 / 1000.0),
    }
}

fn order(seq: u64, id: u64) -> StreamRecord {
    record(
        seq,
        format!(
            r#"{{"orderId":{id},"orderAmount":12.30,"orderStatus":"NEW","orderDateTime":"2026-11-23T10:00:00.000Z","recordType":"Order"}}"#
        ),
    )
}

fn item(seq: u64, order: u64, item: u64) -> StreamRecord {
    record(
        seq,
        format!(
            r#"{{"orderId":{order},"itemId":{item},"itemAmount":0.10,"itemQuantity":1,"orderDateTime":"2026-11-23T10:00:00.000Z","recordType":"OrderItem"}}"#
        ),
    )
}

fn table(names: &[(u64, &str)]) -> Products {
    Products::from_entries(names.iter().map(|(id, name)| {
        (
            *id,
            Product {
                name: Some(name.to_string()),
                price: None,
            },
        )
    }))
}

fn product_names(sink: &MemorySink) -> BTreeMap<(u64, u64), Option<String>> {
    sink.all_rows()
        .into_iter()
        .map(|(k, r)| (k, r.product.and_then(|p| p.name)))
        .collect()
}

#[tokio::test]
async fn items_wait_for_the_first_products_table_then_join_it() {
    let store = MemoryStore::new();
    let sink = MemorySink::default();
    let mut cfg = JoinsConfig::new("state", "out", "bucket");
    cfg.idle_shard_timeout = std::time::Duration::from_secs(1_000_000);
    let topology: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let none = Products::default();
    assert!(!none.is_loaded());

    // Orders with their items, item before order for order 2.
    let batch = [order(1, 1), item(2, 1, 7), item(3, 2, 8), order(4, 2)];
    let shard = batch[0].shard_id.clone();
    let done = ingest(
        &Joins::new(&store, &sink, &cfg, none.clone()),
        &topology,
        &shard,
        &batch,
        T0,
    )
    .await
    .unwrap();
    assert_eq!(done.counts.items_awaiting_products, 2);
    assert_eq!(done.counts.items_enriched, 0);
    assert!(
        sink.all_rows().is_empty(),
        "no row without a products table"
    );

    // The emitter, still without a table: counts the waiting items, writes nothing.
    let e = emit(&store, &sink, &cfg, &none, T0 + 600_000)
        .await
        .unwrap();
    assert_eq!(e.counts.items_awaiting_products, 2);
    assert!(sink.all_rows().is_empty());
    assert_eq!(
        pending(&store).await.unwrap().get("awaiting products"),
        Some(&2)
    );

    // The file loads (product 8 is not in it): the waiting items are written.
    let first = table(&[(7, "lamp")]);
    let e = emit(&store, &sink, &cfg, &first, T0 + 600_000)
        .await
        .unwrap();
    assert_eq!(e.counts.items_enriched, 2);
    assert_eq!(e.counts.missing_product, 1);
    assert_eq!(e.counts.items_awaiting_products, 0);
    assert_eq!(
        product_names(&sink),
        BTreeMap::from([((1, 7), Some("lamp".into())), ((2, 8), None)])
    );
    assert_eq!(
        pending(&store).await.unwrap().get("awaiting products"),
        None
    );

    // A later swap does not rewrite rows already written; new rows use it.
    let second = table(&[(7, "desk lamp"), (8, "mug")]);
    let e = emit(&store, &sink, &cfg, &second, T0 + 600_000)
        .await
        .unwrap();
    assert_eq!(e.counts.items_enriched, 0);
    ingest(
        &Joins::new(&store, &sink, &cfg, second.clone()),
        &topology,
        &shard,
        &[order(5, 3), item(6, 3, 8)],
        T0,
    )
    .await
    .unwrap();
    assert_eq!(
        product_names(&sink),
        BTreeMap::from([
            ((1, 7), Some("lamp".into())),
            ((2, 8), None),
            ((3, 8), Some("mug".into()))
        ])
    );
}
