//! Where results go: enriched rows (the output table, and the output stream
//! when configured) and JSON-lines objects under the unmatched, late and
//! rejected prefixes. [`crate::output::AwsSink`] in the function and the
//! local runner, [`MemorySink`] in property tests and benchmarks.
//!
//! Rows are written only over an older version (the condition
//! `attribute_not_exists(orderId) OR joinVersion < :v`), so a retried write
//! changes nothing and an older write never replaces a newer one. Object
//! keys are deterministic, so writing the same file twice overwrites.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;

use crate::join::EnrichedRow;
use crate::JoinsError;

/// What a rows call did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RowsWritten {
    /// Rows stored (new, or newer than what the table held).
    pub written: u64,
    /// Rows the table already held at this or a newer version (retries, duplicates).
    pub unchanged: u64,
    /// Rows written without product fields (no such product).
    pub missing_product: u64,
}

/// The outputs.
pub trait Sink: Sync {
    /// Writes enriched rows, each only over an older version.
    fn rows(
        &self,
        rows: &[EnrichedRow],
    ) -> impl Future<Output = Result<RowsWritten, JoinsError>> + Send;
    /// Writes JSON lines under `key` (replacing what is there).
    fn file(
        &self,
        key: &str,
        lines: &[String],
    ) -> impl Future<Output = Result<(), JoinsError>> + Send;
}

/// Outputs kept in memory (the same conditions as the real ones).
#[derive(Default)]
pub struct MemorySink {
    pub rows: Mutex<BTreeMap<(u64, u64), EnrichedRow>>,
    pub files: Mutex<BTreeMap<String, Vec<String>>>,
}

impl MemorySink {
    pub fn all_rows(&self) -> BTreeMap<(u64, u64), EnrichedRow> {
        self.rows.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Every line of every file whose key starts with `prefix`.
    pub fn lines(&self, prefix: &str) -> Vec<String> {
        let g = self.files.lock().unwrap_or_else(|p| p.into_inner());
        g.iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .flat_map(|(_, v)| v.iter().cloned())
            .collect()
    }
}

impl Sink for MemorySink {
    async fn rows(&self, rows: &[EnrichedRow]) -> Result<RowsWritten, JoinsError> {
        let mut g = self.rows.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = RowsWritten::default();
        for r in rows {
            let key = (r.order.order_id, r.item.item_id);
            if g.get(&key).is_some_and(|old| old.version >= r.version) {
                out.unchanged += 1;
            } else {
                g.insert(key, r.clone());
                out.written += 1;
                out.missing_product += u64::from(r.product.is_none());
            }
        }
        Ok(out)
    }

    async fn file(&self, key: &str, lines: &[String]) -> Result<(), JoinsError> {
        let mut g = self.files.lock().unwrap_or_else(|p| p.into_inner());
        g.insert(key.to_string(), lines.to_vec());
        Ok(())
    }
}
