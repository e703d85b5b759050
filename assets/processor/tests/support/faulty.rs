//! A store wrapper that makes the function "die" right after a commit was
//! applied (the store has it, the function never learns): the error a
//! timeout or crash between commit and response looks like.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicI64, Ordering};
use streamkit_core::progress::{
    Commit, EmitState, ShardProgress, StateItem, StateStore, StoreError,
};

pub struct Faulty<S> {
    pub inner: S,
    /// Commits left before the next one fails after applying (negative: never).
    pub countdown: AtomicI64,
}

impl<S> Faulty<S> {
    pub fn new(inner: S) -> Self {
        Faulty {
            inner,
            countdown: AtomicI64::new(-1),
        }
    }

    /// The `n`th commit from now (1 = the next) fails after applying.
    pub fn fail_after(&self, n: i64) {
        self.countdown.store(n, Ordering::SeqCst);
    }
}

fn crash() -> StoreError {
    StoreError::Call {
        operation: "TransactWriteItems",
        table: "test".into(),
        message: "the function died after the commit".into(),
    }
}

impl<S: StateStore + Send> StateStore for Faulty<S> {
    async fn shard(&self, id: &str) -> Result<Option<ShardProgress>, StoreError> {
        self.inner.shard(id).await
    }
    async fn shards(&self) -> Result<Vec<ShardProgress>, StoreError> {
        self.inner.shards().await
    }
    async fn emit_state(&self) -> Result<EmitState, StoreError> {
        self.inner.emit_state().await
    }
    async fn commit(&self, c: &Commit) -> Result<bool, StoreError> {
        let applied = self.inner.commit(c).await?;
        if applied && self.countdown.fetch_sub(1, Ordering::SeqCst) == 1 {
            return Err(crash());
        }
        Ok(applied)
    }
    async fn register(&self, id: &str, parents: &[String], at: i64) -> Result<(), StoreError> {
        self.inner.register(id, parents, at).await
    }
    async fn begin_close(
        &self,
        e: Option<i64>,
        t: i64,
        b: &BTreeSet<i64>,
    ) -> Result<bool, StoreError> {
        self.inner.begin_close(e, t, b).await
    }
    async fn mark_closed(&self, id: &str, t: i64, b: &BTreeSet<i64>) -> Result<(), StoreError> {
        self.inner.mark_closed(id, t, b).await
    }
    async fn promote(&self, b: &BTreeSet<i64>) -> Result<(), StoreError> {
        self.inner.promote(b).await
    }
    async fn finish(&self, b: i64) -> Result<(), StoreError> {
        self.inner.finish(b).await
    }
    async fn remove(&self, pk: &str, sk: &str) -> Result<(), StoreError> {
        self.inner.remove(pk, sk).await
    }
    async fn items(&self, pk: &str) -> Result<Vec<StateItem>, StoreError> {
        self.inner.items(pk).await
    }
}
