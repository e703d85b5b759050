//! Polls every shard of a stream with GetRecords, for the local runners
//! (`streamkit local ...`) that stand in for Lambda event source mappings.
//!
//! Like an event source mapping after a split or merge, a child shard is read
//! only once its parents are read to their end, and [`ShardPoller::refresh`]
//! picks up shards created after the poller opened (read from their start).

use aws_sdk_kinesis::types::ShardIteratorType;
use aws_sdk_kinesis::Client;
use std::collections::HashMap;

use crate::error::sdk_message;
use crate::{CoreError, StreamRecord};

/// Where to start reading each shard.
#[derive(Clone, Debug, Default)]
pub struct StartPosition {
    /// Start after these sequence numbers (shard id → sequence number).
    pub after: HashMap<String, String>,
    /// For the other shards: `true` = only new records (LATEST), else TRIM_HORIZON.
    pub latest: bool,
}

/// Records read from one shard in one poll.
#[derive(Clone, Debug)]
pub struct ShardBatch {
    pub shard_id: String,
    pub records: Vec<StreamRecord>,
    pub millis_behind_latest: Option<i64>,
}

struct Cursor {
    shard_id: String,
    parents: Vec<String>,
    iterator: Option<String>,
}

/// A shard as listed: its id and parents (split or merge).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardInfo {
    pub shard_id: String,
    pub parents: Vec<String>,
}

/// Reads all shards of a stream round-robin.
pub struct ShardPoller {
    client: Client,
    stream: String,
    cursors: Vec<Cursor>,
}

impl ShardPoller {
    /// Lists the shards and opens an iterator on each.
    pub async fn open(
        client: &Client,
        stream: &str,
        start: &StartPosition,
    ) -> Result<ShardPoller, CoreError> {
        let shards = list_shards(client, stream).await?;
        let mut poller = ShardPoller {
            client: client.clone(),
            stream: stream.to_string(),
            cursors: Vec::new(),
        };
        // One GetShardIterator per shard, all at once.
        let iterators = futures::future::join_all(
            shards
                .iter()
                .map(|shard| poller.open_iterator(&shard.shard_id, start)),
        )
        .await;
        for (shard, iterator) in shards.into_iter().zip(iterators) {
            poller.cursors.push(Cursor {
                shard_id: shard.shard_id,
                parents: shard.parents,
                iterator: iterator?,
            });
        }
        Ok(poller)
    }

    /// Adds the shards created since the poller opened (or last refreshed),
    /// read from their start; returns how many were added.
    pub async fn refresh(&mut self) -> Result<usize, CoreError> {
        let known: std::collections::HashSet<String> =
            self.cursors.iter().map(|c| c.shard_id.clone()).collect();
        let mut added = 0;
        for shard in list_shards(&self.client, &self.stream).await? {
            if known.contains(&shard.shard_id) {
                continue;
            }
            let iterator = self
                .open_iterator(&shard.shard_id, &StartPosition::default())
                .await?;
            self.cursors.push(Cursor {
                shard_id: shard.shard_id,
                parents: shard.parents,
                iterator,
            });
            added += 1;
        }
        Ok(added)
    }

    /// The parents of a shard this poller reads.
    pub fn parents(&self, shard_id: &str) -> Vec<String> {
        self.cursors
            .iter()
            .find(|c| c.shard_id == shard_id)
            .map(|c| c.parents.clone())
            .unwrap_or_default()
    }

    async fn open_iterator(
        &self,
        shard_id: &str,
        start: &StartPosition,
    ) -> Result<Option<String>, CoreError> {
        let stream = &self.stream;
        let mut req = self
            .client
            .get_shard_iterator()
            .stream_name(stream)
            .shard_id(shard_id);
        req = match start.after.get(shard_id) {
            Some(seq) => req
                .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                .starting_sequence_number(seq),
            None if start.latest => req.shard_iterator_type(ShardIteratorType::Latest),
            None => req.shard_iterator_type(ShardIteratorType::TrimHorizon),
        };
        let resp = req.send().await.map_err(|e| CoreError::Kinesis {
            operation: "GetShardIterator",
            stream: stream.to_string(),
            message: sdk_message(&e),
        })?;
        Ok(resp.shard_iterator().map(str::to_string))
    }
}

/// Every shard of `stream` with its parents.
pub async fn list_shards(client: &Client, stream: &str) -> Result<Vec<ShardInfo>, CoreError> {
    {
        let err = |operation: &'static str, e: String| CoreError::Kinesis {
            operation,
            stream: stream.to_string(),
            message: e,
        };
        let mut shard_ids = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let req = match &token {
                Some(t) => client.list_shards().next_token(t),
                None => client.list_shards().stream_name(stream),
            };
            let resp = req
                .send()
                .await
                .map_err(|e| err("ListShards", sdk_message(&e)))?;
            shard_ids.extend(resp.shards().iter().map(|s| {
                ShardInfo {
                    shard_id: s.shard_id().to_string(),
                    parents: s
                        .parent_shard_id()
                        .into_iter()
                        .chain(s.adjacent_parent_shard_id())
                        .map(str::to_string)
                        .collect(),
                }
            }));
            token = resp.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        Ok(shard_ids)
    }
}

impl ShardPoller {
    /// Shard ids being read.
    pub fn shard_ids(&self) -> Vec<String> {
        self.cursors.iter().map(|c| c.shard_id.clone()).collect()
    }

    /// Whether every shard is closed and fully read.
    pub fn finished(&self) -> bool {
        self.cursors.iter().all(|c| c.iterator.is_none())
    }

    /// One GetRecords per open shard (at most `limit` records each). On an
    /// error no cursor moves: the next poll reads the same records again, so
    /// a caller may retry without losing what this round had read.
    pub async fn poll(&mut self, limit: i32) -> Result<Vec<ShardBatch>, CoreError> {
        let open: std::collections::HashSet<&str> = self
            .cursors
            .iter()
            .filter(|c| c.iterator.is_some())
            .map(|c| c.shard_id.as_str())
            .collect();
        // One GetRecords per readable shard, all at once (shards are independent).
        let (client, stream) = (&self.client, &self.stream);
        let reads = self.cursors.iter().map(|cursor| {
            let waiting = cursor.parents.iter().any(|p| open.contains(p.as_str()));
            async move {
                let Some(iterator) = &cursor.iterator else {
                    return Ok((None, None));
                };
                if waiting {
                    // A child waits until its parents are read to their end.
                    return Ok((Some(iterator.clone()), None));
                }
                let resp = client
                    .get_records()
                    .shard_iterator(iterator)
                    .limit(limit)
                    .send()
                    .await
                    .map_err(|e| CoreError::Kinesis {
                        operation: "GetRecords",
                        stream: stream.clone(),
                        message: sdk_message(&e),
                    })?;
                let next = resp.next_shard_iterator().map(str::to_string);
                let millis_behind_latest = resp.millis_behind_latest();
                let records = resp
                    .records
                    .into_iter()
                    .map(|r| StreamRecord::from_sdk(&cursor.shard_id, r))
                    .collect();
                let batch = ShardBatch {
                    shard_id: cursor.shard_id.clone(),
                    records,
                    millis_behind_latest,
                };
                Ok::<_, CoreError>((next, Some(batch)))
            }
        });
        let mut out = Vec::new();
        let mut next = Vec::with_capacity(self.cursors.len());
        for read in futures::future::join_all(reads).await {
            let (iterator, batch) = read?;
            next.push(iterator);
            out.extend(batch);
        }
        for (cursor, iterator) in self.cursors.iter_mut().zip(next) {
            cursor.iterator = iterator;
        }
        Ok(out)
    }
}
