//! The runner with a minimal processor: a record is its event time (ms, as
//! text); it is late when more than `LATENESS` behind the shard's watermark.
//! Pins how the runner settles what the two processors' copies disagreed on.

use std::collections::BTreeMap;

use super::*;
use crate::progress::{Counts, MemoryStore};

const LATENESS: i64 = 1_000;
const NOW: i64 = 1_795_428_000_000;

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
struct Seen {
    accepted: u64,
    late: u64,
    before: u64,
}

impl Tally for Seen {
    fn add(&mut self, o: &Seen) {
        self.accepted += o.accepted;
        self.late += o.late;
        self.before += o.before;
    }

    fn before_start(&mut self, records: u64) {
        self.before += records;
    }
}

struct Times<'a>(&'a MemoryStore);

impl Processor for Times<'_> {
    type Store = MemoryStore;
    type Error = TestError;
    type Counts = Seen;
    type Batch = ();
    type Cache = ();
    type Then = Seen;

    fn store(&self) -> &MemoryStore {
        self.0
    }

    fn prepare(&self, _: &[StreamRecord]) {}

    async fn chunk(&self, _: &(), _: &mut (), at: At<'_>) -> Result<Chunk<Seen>, TestError> {
        let mut seen = Seen::default();
        let mut wm = at.progress.watermark_ms;
        let records = &at.records[at.from..];
        for r in records {
            let t: i64 = String::from_utf8_lossy(&r.data).parse().unwrap();
            if wm.is_some_and(|w| t < w - LATENESS) {
                seen.late += 1;
            } else {
                seen.accepted += 1;
                wm = Some(wm.map_or(t, |w| w.max(t)));
            }
        }
        let commit = Commit {
            shard_id: at.progress.shard_id.clone(),
            expected: at.expected.cloned(),
            expected_closed_through: at.progress.closed_through,
            sequence_number: records[records.len() - 1].sequence_number.clone(),
            watermark_ms: wm,
            active_ms: at.now_ms,
            parents: at.progress.parents.clone(),
            open: Default::default(),
            items: vec![],
            added: Counts {
                records: records.len() as u64,
                late: seen.late,
                malformed: 0,
            },
            expires_at: 0,
        };
        Ok(Chunk {
            len: records.len(),
            commit,
            then: seen,
        })
    }

    async fn committed(&self, _: &mut (), then: Seen) -> Seen {
        then
    }

    async fn emit(&self, _: i64) -> Result<Seen, TestError> {
        Ok(Seen::default())
    }

    async fn settled(&self) -> Result<bool, TestError> {
        Ok(true)
    }
}

/// The test processor's error: the store's or the core's.
#[derive(Debug, thiserror::Error)]
enum TestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Core(#[from] CoreError),
}

fn rec(shard: &str, seq: u64, t: i64) -> StreamRecord {
    StreamRecord {
        shard_id: shard.into(),
        sequence_number: format!("{seq:020}"),
        partition_key: "k".into(),
        data: t.to_string().into_bytes(),
        approximate_arrival: None,
    }
}

fn graph(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    pairs
        .iter()
        .map(|(s, ps)| (s.to_string(), ps.iter().map(|p| p.to_string()).collect()))
        .collect()
}

/// Disagreement (a): the joins copy kept a stored progress that had not
/// started as is (no watermark), so a child shard registered by a sibling
/// forgot its parents' watermark and took records far behind it as on time.
/// A registration carries no information: the child starts from its
/// parents' watermark and the emitter's `closed_through`, and its first
/// commit is conditioned on the registration.
#[tokio::test]
async fn a_registered_shard_that_has_not_started_starts_from_its_parents() {
    let store = MemoryStore::new();
    let p = Times(&store);
    let topology = graph(&[("parent", &[]), ("child", &["parent"])]);
    // The parent is read to its end (watermark 100 s); its first commit
    // registered the child, which has no progress of its own.
    let done = ingest(&p, &topology, "parent", &[rec("parent", 1, 100_000)], NOW)
        .await
        .unwrap();
    assert_eq!(done.counts.accepted, 1);
    let registered = store.shard("child").await.unwrap().unwrap();
    assert!(!registered.started() && registered.watermark_ms.is_none());
    assert_eq!(registered.parents, ["parent"]);

    let (expected, fresh) = load::<TestError, _, _>(&store, &topology, "child", NOW)
        .await
        .unwrap();
    assert_eq!(expected.as_ref(), Some(&registered), "conditioned on it");
    assert_eq!(fresh.watermark_ms, Some(100_000), "the parent's watermark");
    assert_eq!(fresh.parents, ["parent"]);

    // A child record 5 s behind its parent is late; one at the parent's
    // watermark is on time; the commit lands over the registration.
    let records = [rec("child", 10, 95_000), rec("child", 11, 100_000)];
    let done = ingest(&p, &topology, "child", &records, NOW).await.unwrap();
    assert_eq!((done.counts.accepted, done.counts.late), (1, 1));
    let child = store.shard("child").await.unwrap().unwrap();
    assert_eq!(child.sequence_number, records[1].sequence_number);
    assert_eq!(child.watermark_ms, Some(100_000));
}

/// Disagreement (b): the joins local runner passed only the batch's shard
/// as the topology, so its siblings and children were never registered and
/// the global watermark ran ahead of shards that had not started (their
/// records would then reach closed buckets and be reported late). With the
/// whole stream's topology (what `local::topology` builds from the poller,
/// and ListShards in Lambda) a shard that has not started holds the
/// watermark until it starts or goes idle, and a child is registered with
/// its parents so they hold it for it.
#[tokio::test]
async fn the_first_commit_registers_every_shard_of_the_topology() {
    let idle = 60_000;
    let whole = graph(&[("a", &[]), ("b", &[]), ("c", &["a", "b"])]);
    let store = MemoryStore::new();
    ingest(&Times(&store), &whole, "a", &[rec("a", 1, 500_000)], NOW)
        .await
        .unwrap();
    let shards = store.shards().await.unwrap();
    let ids: Vec<&str> = shards.iter().map(|s| s.shard_id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    assert_eq!(shards[2].parents, ["a", "b"]);
    assert_eq!(
        watermark::global(&shards, NOW, idle),
        None,
        "b has not started: it holds the watermark"
    );
    ingest(&Times(&store), &whole, "b", &[rec("b", 1, 400_000)], NOW)
        .await
        .unwrap();
    let shards = store.shards().await.unwrap();
    assert_eq!(watermark::global(&shards, NOW, idle), Some(400_000));

    // Only the batch's shard: b is unknown and the watermark runs ahead.
    let alone = MemoryStore::new();
    let batch_only = graph(&[("a", &[])]);
    ingest(
        &Times(&alone),
        &batch_only,
        "a",
        &[rec("a", 1, 500_000)],
        NOW,
    )
    .await
    .unwrap();
    let shards = alone.shards().await.unwrap();
    assert_eq!(watermark::global(&shards, NOW, idle), Some(500_000));
}

/// A refused commit reloads and recomputes; records the checkpoint holds are
/// skipped; a batch sent again changes nothing.
#[tokio::test]
async fn retried_and_repeated_batches_apply_each_record_once() {
    let store = MemoryStore::new();
    let p = Times(&store);
    let topology = graph(&[("a", &[])]);
    let batch: Vec<StreamRecord> = (1..=5).map(|i| rec("a", i, i as i64 * 1000)).collect();
    let first = ingest(&p, &topology, "a", &batch[..3], NOW).await.unwrap();
    assert_eq!((first.counts.accepted, first.skipped), (3, 0));
    let again = ingest(&p, &topology, "a", &batch, NOW).await.unwrap();
    assert_eq!((again.counts.accepted, again.skipped), (2, 3));
    let last = ingest(&p, &topology, "a", &batch, NOW).await.unwrap();
    assert_eq!(
        (last.counts.accepted, last.skipped, last.commits),
        (0, 5, 0)
    );
}

/// The local runner end to end on the emulator: records on one shard of a
/// two-shard stream; the other shard, which never delivers, is registered
/// by the first commit (the runner passed the whole stream's topology).
#[tokio::test(flavor = "multi_thread")]
async fn the_local_runner_registers_the_shards_it_has_not_read_yet() {
    let emu = streamkit_testkit::Emulator::start();
    let kinesis = aws_sdk_kinesis::Client::new(&emu.sdk_config("us-east-1").await);
    kinesis
        .create_stream()
        .stream_name("times")
        .shard_count(2)
        .send()
        .await
        .unwrap();
    for t in [1_000, 2_000, 3_000] {
        kinesis
            .put_record()
            .stream_name("times")
            .partition_key("k")
            .explicit_hash_key("0")
            .data(aws_sdk_kinesis::primitives::Blob::new(t.to_string()))
            .send()
            .await
            .unwrap();
    }
    let store = MemoryStore::new();
    let mut opts = local::LocalOptions::new("times");
    opts.until_idle = Some(std::time::Duration::from_millis(500));
    opts.poll_pause = std::time::Duration::from_millis(50);
    let summary = local::run_local(&Times(&store), &kinesis, &opts)
        .await
        .unwrap();
    assert_eq!(summary.counts.accepted, 3);
    let shards = store.shards().await.unwrap();
    assert_eq!(shards.len(), 2, "{shards:?}");
    assert_eq!(shards.iter().filter(|s| s.started()).count(), 1);
}
