//! The global watermark: the minimum over the shards that are still adding
//! event time, with the idle-shard rule (see the module docs of
//! [`crate::progress`]).

use std::collections::BTreeSet;

use super::ShardProgress;

/// The global watermark (ms of event time) at wall-clock `now_ms`, or `None`
/// before any shard applied an event.
///
/// - A shard counts when it committed (or was registered) within `idle_ms`
///   of `now_ms` and is not a parent whose children have all started.
/// - A shard without a watermark yet (registered, or only malformed records
///   so far) holds the watermark back entirely (`None`) until it has one or
///   goes idle; except a registered child, whose parents hold it for it.
/// - When no shard counts (all idle), the highest shard watermark advanced
///   by the wall time since the idle timeout of the latest shard ran out.
pub fn global(shards: &[ShardProgress], now_ms: i64, idle_ms: i64) -> Option<i64> {
    // A parent drops out once every child it has (as registered) started.
    let parents: BTreeSet<&str> = shards
        .iter()
        .flat_map(|s| s.parents.iter().map(String::as_str))
        .collect();
    let waiting: BTreeSet<&str> = shards
        .iter()
        .filter(|s| !s.started())
        .flat_map(|s| s.parents.iter().map(String::as_str))
        .collect();
    let superseded: BTreeSet<&str> = parents.difference(&waiting).copied().collect();
    let active: Vec<&ShardProgress> = shards
        .iter()
        .filter(|s| !superseded.contains(s.shard_id.as_str()))
        .filter(|s| now_ms - s.active_ms <= idle_ms)
        .collect();
    if active
        .iter()
        .any(|s| s.watermark_ms.is_none() && (s.started() || s.parents.is_empty()))
    {
        return None;
    }
    let min = active.iter().filter_map(|s| s.watermark_ms).min();
    if min.is_some() {
        return min;
    }
    let highest = shards.iter().filter_map(|s| s.watermark_ms).max()?;
    let latest = shards.iter().map(|s| s.active_ms).max().unwrap_or(now_ms);
    Some(highest + (now_ms - latest - idle_ms).max(0))
}

/// The watermark a shard starts from at its first commit: the lowest of its
/// parents' watermarks (`None` without parents or when none has one).
pub fn inherited(parents: &[Option<ShardProgress>]) -> Option<i64> {
    parents
        .iter()
        .flatten()
        .filter_map(|p| p.watermark_ms)
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(id: &str, wm: i64, active: i64, parents: &[&str]) -> ShardProgress {
        ShardProgress {
            shard_id: id.into(),
            sequence_number: "1".into(),
            watermark_ms: Some(wm),
            active_ms: active,
            parents: parents.iter().map(|p| p.to_string()).collect(),
            ..ShardProgress::default()
        }
    }

    #[test]
    fn minimum_over_active_shards() {
        let s = [shard("a", 100, 1000, &[]), shard("b", 50, 1000, &[])];
        assert_eq!(global(&s, 1500, 1000), Some(50));
        assert_eq!(global(&[], 1500, 1000), None);
    }

    #[test]
    fn an_idle_shard_does_not_hold_the_watermark() {
        let s = [shard("a", 100, 5000, &[]), shard("b", 50, 1000, &[])];
        assert_eq!(global(&s, 5500, 1000), Some(100));
    }

    #[test]
    fn a_parent_with_a_started_child_does_not_count() {
        let s = [
            shard("parent", 40, 5000, &[]),
            shard("child", 90, 5000, &["parent"]),
            shard("other", 70, 5000, &[]),
        ];
        assert_eq!(global(&s, 5000, 1000), Some(70));
    }

    #[test]
    fn a_registered_root_shard_holds_the_watermark_until_it_starts_or_idles() {
        let waiting = ShardProgress {
            shard_id: "b".into(),
            active_ms: 1000,
            ..ShardProgress::default()
        };
        // `a` keeps committing (active at 2000); `b` registered at 1000 and never started.
        let s = [shard("a", 100, 2000, &[]), waiting];
        assert_eq!(global(&s, 1500, 1000), None);
        assert_eq!(global(&s, 2500, 1000), Some(100));
    }

    #[test]
    fn when_every_shard_is_idle_the_watermark_follows_the_clock() {
        let s = [shard("a", 100, 1000, &[]), shard("b", 300, 2000, &[])];
        assert_eq!(global(&s, 3000, 1000), Some(300));
        assert_eq!(global(&s, 3500, 1000), Some(800));
    }

    #[test]
    fn children_start_from_the_lowest_parent() {
        let p = [
            Some(shard("a", 100, 0, &[])),
            None,
            Some(shard("b", 60, 0, &[])),
        ];
        assert_eq!(inherited(&p), Some(60));
        assert_eq!(inherited(&[None]), None);
    }
}
