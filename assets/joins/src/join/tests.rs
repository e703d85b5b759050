use super::*;
use crate::products::Product;

const CFG: JoinConfig = JoinConfig {
    window_ms: 60_000,
    lateness_ms: 5_000,
};

fn at(seq: u64) -> Position {
    Position {
        sequence_number: seq.to_string(),
        sub: 0,
    }
}

fn order(id: u64, t: i64, seq: u64, status: &str) -> Stamped<Order> {
    Stamped {
        at: at(seq),
        arrival_ms: seq as i64,
        value: Order {
            order_id: id,
            amount: crate::decimal::Decimal::parse("10.5"),
            status: Some(status.into()),
            date_time: String::new(),
            time_ms: t,
            ship_to_name: None,
            ship_to_address: None,
            ship_to_city: None,
            ship_to_state: None,
            ship_to_zip: None,
        },
    }
}

fn item(order_id: u64, item_id: u64, t: i64, seq: u64) -> Stamped<Item> {
    Stamped {
        at: at(seq),
        arrival_ms: seq as i64,
        value: Item {
            order_id,
            item_id,
            amount: None,
            quantity: Some(1),
            status: None,
            date_time: String::new(),
            time_ms: t,
        },
    }
}

fn products() -> Products {
    Products::from_entries([(
        5,
        Product {
            name: Some("Lamp".into()),
            price: None,
        },
    )])
}

#[test]
fn an_item_after_its_order_joins_at_once_with_its_product() {
    let mut s = OrderState::default();
    assert_eq!(
        s.add_order(order(1, 0, 1, "NEW"), &CFG, &products()),
        Some(vec![])
    );
    let ItemOutcome::Joined(row) = s.add_item(item(1, 5, 30_000, 2), &CFG, &products()) else {
        panic!("joined")
    };
    assert_eq!(row.product.unwrap().name.as_deref(), Some("Lamp"));
    assert_eq!(row.event_ts_ms, 2);
}

#[test]
fn an_item_before_its_order_waits_then_joins_when_the_order_comes() {
    let mut s = OrderState::default();
    let out = s.add_item(item(1, 9, 1_000, 1), &CFG, &products());
    assert_eq!(out, ItemOutcome::Waiting { bucket: 67_000 });
    let rows = s
        .add_order(order(1, 1_000, 2, "NEW"), &CFG, &products())
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].product, None, "missing product: no product fields");
    assert!(matches!(
        s.resolve(9, 67_000, &CFG, &products()),
        Resolution::Joined(_)
    ));
}

#[test]
fn the_interval_is_inclusive_and_symmetric() {
    for (dt, joins) in [
        (60_000, true),
        (-60_000, true),
        (60_001, false),
        (-60_001, false),
    ] {
        let mut s = OrderState::default();
        s.add_order(order(1, 100_000, 1, "NEW"), &CFG, &products());
        let out = s.add_item(item(1, 5, 100_000 + dt, 2), &CFG, &products());
        assert_eq!(matches!(out, ItemOutcome::Joined(_)), joins, "{dt}");
    }
    let mut s = OrderState::default();
    s.add_order(order(1, 0, 1, "NEW"), &CFG, &products());
    s.add_item(item(1, 5, 70_000, 2), &CFG, &products());
    let bucket = item_bucket(70_000, &CFG);
    assert_eq!(
        s.resolve(5, bucket, &CFG, &products()),
        Resolution::Unmatched(Unmatched::OrderOutsideInterval)
    );
}

#[test]
fn duplicates_change_nothing_and_updates_rewrite_with_a_higher_version() {
    let mut s = OrderState::default();
    s.add_order(order(1, 0, 10, "NEW"), &CFG, &products());
    let ItemOutcome::Joined(first) = s.add_item(item(1, 5, 0, 11), &CFG, &products()) else {
        panic!()
    };
    assert_eq!(
        s.add_item(item(1, 5, 0, 11), &CFG, &products()),
        ItemOutcome::Duplicate
    );
    assert_eq!(s.add_order(order(1, 0, 10, "NEW"), &CFG, &products()), None);
    assert_eq!(s.add_order(order(1, 0, 9, "OLD"), &CFG, &products()), None);
    let rows = s
        .add_order(order(1, 0, 12, "PAID"), &CFG, &products())
        .unwrap();
    assert_eq!(rows[0].order.status.as_deref(), Some("PAID"));
    assert!(rows[0].version > first.version);
    // A longer sequence number is a later one.
    assert!(at(100).key() > at(99).key());
}

#[test]
fn buckets_close_on_whole_seconds_after_the_window() {
    assert_eq!(item_bucket(0, &CFG), 66_000);
    assert_eq!(item_bucket(-1, &CFG), 65_000);
    assert_eq!(order_bucket(0, &CFG), 6_000);
    // An item that could join an order is decided no earlier than the order may arrive.
    for t in [0, 999, 1_000, 12_345] {
        assert!(item_bucket(t - CFG.window_ms, &CFG) >= order_bucket(t, &CFG));
    }
}
