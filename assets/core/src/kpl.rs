//! KPL record aggregation, compatible with the Kinesis Producer Library and
//! the published aggregation libraries: magic `F3 89 9A C2`, a proto2
//! `AggregatedRecord`, then the MD5 of the message.
//!
//! ```text
//! message AggregatedRecord {
//!   repeated string partition_key_table     = 1;
//!   repeated string explicit_hash_key_table = 2;
//!   repeated Record records                 = 3;
//! }
//! message Record {
//!   required uint64 partition_key_index     = 1;
//!   optional uint64 explicit_hash_key_index = 2;
//!   required bytes  data                    = 3;
//!   repeated Tag    tags                    = 4;
//! }
//! ```

use md5::{Digest, Md5};
use std::collections::HashMap;

/// The four bytes every aggregated record starts with.
pub const MAGIC: [u8; 4] = [0xF3, 0x89, 0x9A, 0xC2];
const DIGEST_LEN: usize = 16;
/// Largest Kinesis record (data plus partition key).
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;

/// One user record inside (or destined for) an aggregated record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    pub partition_key: String,
    pub explicit_hash_key: Option<String>,
    pub data: Vec<u8>,
    /// Position inside the aggregated record (0 for a plain record).
    pub sub_sequence_number: u64,
}

/// An aggregated record ready for PutRecords.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Aggregated {
    /// The first user record's partition key (as the KPL does).
    pub partition_key: String,
    /// The first user record's explicit hash key, if it had one.
    pub explicit_hash_key: Option<String>,
    pub data: Vec<u8>,
}

/// The 128-bit hash key Kinesis derives from a partition key: MD5 of its
/// UTF-8 bytes as a big-endian unsigned integer.
pub fn partition_key_hash(partition_key: &str) -> u128 {
    let digest = Md5::digest(partition_key.as_bytes());
    u128::from_be_bytes(digest.into())
}

/// Builds aggregated records incrementally, tracking the encoded size.
#[derive(Default, Debug)]
pub struct Aggregator {
    pk_table: Vec<String>,
    pk_index: HashMap<String, u64>,
    ehk_table: Vec<String>,
    ehk_index: HashMap<String, u64>,
    /// Encoded `records` entries (field 3 of the outer message), in order.
    records: Vec<u8>,
    count: usize,
    message_len: usize,
    first: Option<(String, Option<String>)>,
}

impl Aggregator {
    pub fn new() -> Aggregator {
        Aggregator::default()
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Size of the Kinesis record `finish` would produce (data plus the
    /// outer partition key), which must stay within 1 MiB.
    pub fn encoded_size(&self) -> usize {
        let pk = self.first.as_ref().map_or(0, |(pk, _)| pk.len());
        MAGIC.len() + self.message_len + DIGEST_LEN + pk
    }

    /// Size after adding this record, without adding it.
    pub fn size_with(
        &self,
        partition_key: &str,
        explicit_hash_key: Option<&str>,
        data: &[u8],
    ) -> usize {
        let mut extra = 0;
        let pk_idx = match self.pk_index.get(partition_key) {
            Some(i) => *i,
            None => {
                extra += field_len(partition_key.len());
                self.pk_table.len() as u64
            }
        };
        let ehk_idx = explicit_hash_key.map(|k| match self.ehk_index.get(k) {
            Some(i) => *i,
            None => {
                extra += field_len(k.len());
                self.ehk_table.len() as u64
            }
        });
        extra += field_len(record_len(pk_idx, ehk_idx, data.len()));
        let outer_pk = if self.first.is_none() {
            partition_key.len()
        } else {
            0
        };
        self.encoded_size() + extra + outer_pk
    }

    /// Adds a record if the result stays within `max_bytes`; returns
    /// whether it was added. An empty aggregator always accepts one record.
    pub fn try_add(
        &mut self,
        partition_key: &str,
        explicit_hash_key: Option<&str>,
        data: &[u8],
        max_bytes: usize,
    ) -> bool {
        if !self.is_empty() && self.size_with(partition_key, explicit_hash_key, data) > max_bytes {
            return false;
        }
        self.add(partition_key, explicit_hash_key, data);
        true
    }

    /// Adds a record unconditionally.
    pub fn add(&mut self, partition_key: &str, explicit_hash_key: Option<&str>, data: &[u8]) {
        if self.first.is_none() {
            self.first = Some((
                partition_key.to_string(),
                explicit_hash_key.map(str::to_string),
            ));
        }
        let pk_idx = intern(
            &mut self.pk_table,
            &mut self.pk_index,
            partition_key,
            &mut self.message_len,
        );
        let ehk_idx = explicit_hash_key.map(|k| {
            intern(
                &mut self.ehk_table,
                &mut self.ehk_index,
                k,
                &mut self.message_len,
            )
        });
        let inner = record_len(pk_idx, ehk_idx, data.len());
        let start = self.records.len();
        put_tag(&mut self.records, 3, 2);
        put_varint(&mut self.records, inner as u64);
        put_tag(&mut self.records, 1, 0);
        put_varint(&mut self.records, pk_idx);
        if let Some(i) = ehk_idx {
            put_tag(&mut self.records, 2, 0);
            put_varint(&mut self.records, i);
        }
        put_tag(&mut self.records, 3, 2);
        put_varint(&mut self.records, data.len() as u64);
        self.records.extend_from_slice(data);
        self.message_len += self.records.len() - start;
        self.count += 1;
    }

    /// Encodes the aggregated record and resets the aggregator.
    pub fn finish(&mut self) -> Option<Aggregated> {
        let (partition_key, explicit_hash_key) = self.first.take()?;
        let mut message = Vec::with_capacity(self.message_len);
        for pk in &self.pk_table {
            put_bytes_field(&mut message, 1, pk.as_bytes());
        }
        for ehk in &self.ehk_table {
            put_bytes_field(&mut message, 2, ehk.as_bytes());
        }
        message.extend_from_slice(&self.records);
        debug_assert_eq!(message.len(), self.message_len);
        let mut data = Vec::with_capacity(MAGIC.len() + message.len() + DIGEST_LEN);
        data.extend_from_slice(&MAGIC);
        data.extend_from_slice(&message);
        data.extend_from_slice(&Md5::digest(&message));
        *self = Aggregator::default();
        Some(Aggregated {
            partition_key,
            explicit_hash_key,
            data,
        })
    }
}

/// Aggregates `records` (partition key, explicit hash key, data) into one record.
pub fn aggregate<'a, I>(records: I) -> Option<Aggregated>
where
    I: IntoIterator<Item = (&'a str, Option<&'a str>, &'a [u8])>,
{
    let mut agg = Aggregator::new();
    for (pk, ehk, data) in records {
        agg.add(pk, ehk, data);
    }
    agg.finish()
}

/// Whether `data` is a well-formed aggregated record (magic and digest match).
pub fn is_aggregated(data: &[u8]) -> bool {
    decode(data).is_some()
}

/// Decodes an aggregated record into its user records, numbered by
/// sub-sequence number. `None` when `data` is not one: no magic, a digest
/// that does not match, or a malformed message — such a blob is one plain record.
pub fn decode(data: &[u8]) -> Option<Vec<UserRecord>> {
    if data.len() < MAGIC.len() + DIGEST_LEN || data[..MAGIC.len()] != MAGIC {
        return None;
    }
    let message = &data[MAGIC.len()..data.len() - DIGEST_LEN];
    let digest = &data[data.len() - DIGEST_LEN..];
    if Md5::digest(message).as_slice() != digest {
        return None;
    }
    parse_message(message)
}

/// The user records carried by one Kinesis record: its sub-records when it
/// is aggregated, else the record itself (with the outer keys).
pub fn deaggregate(
    partition_key: &str,
    explicit_hash_key: Option<&str>,
    data: &[u8],
) -> Vec<UserRecord> {
    decode(data).unwrap_or_else(|| {
        vec![UserRecord {
            partition_key: partition_key.to_string(),
            explicit_hash_key: explicit_hash_key.map(str::to_string),
            data: data.to_vec(),
            sub_sequence_number: 0,
        }]
    })
}

fn parse_message(mut buf: &[u8]) -> Option<Vec<UserRecord>> {
    let mut pks = Vec::new();
    let mut ehks = Vec::new();
    let mut raw = Vec::new();
    while !buf.is_empty() {
        let (field, wire) = read_tag(&mut buf)?;
        match (field, wire) {
            (1, 2) => pks.push(String::from_utf8(read_bytes(&mut buf)?.to_vec()).ok()?),
            (2, 2) => ehks.push(String::from_utf8(read_bytes(&mut buf)?.to_vec()).ok()?),
            (3, 2) => raw.push(read_bytes(&mut buf)?),
            _ => skip(&mut buf, wire)?,
        }
    }
    let mut out = Vec::with_capacity(raw.len());
    for (n, mut rec) in raw.into_iter().enumerate() {
        let (mut pk_idx, mut ehk_idx, mut data) = (None, None, None);
        while !rec.is_empty() {
            let (field, wire) = read_tag(&mut rec)?;
            match (field, wire) {
                (1, 0) => pk_idx = Some(read_varint(&mut rec)?),
                (2, 0) => ehk_idx = Some(read_varint(&mut rec)?),
                (3, 2) => data = Some(read_bytes(&mut rec)?),
                _ => skip(&mut rec, wire)?,
            }
        }
        let partition_key = pks.get(usize::try_from(pk_idx?).ok()?)?.clone();
        let explicit_hash_key = match ehk_idx {
            Some(i) => Some(ehks.get(usize::try_from(i).ok()?)?.clone()),
            None => None,
        };
        out.push(UserRecord {
            partition_key,
            explicit_hash_key,
            data: data?.to_vec(),
            sub_sequence_number: n as u64,
        });
    }
    Some(out)
}

fn intern(
    table: &mut Vec<String>,
    index: &mut HashMap<String, u64>,
    key: &str,
    len: &mut usize,
) -> u64 {
    if let Some(i) = index.get(key) {
        return *i;
    }
    let i = table.len() as u64;
    table.push(key.to_string());
    index.insert(key.to_string(), i);
    *len += field_len(key.len());
    i
}

fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// Bytes taken by a length-delimited field with a one-byte tag.
fn field_len(payload: usize) -> usize {
    1 + varint_len(payload as u64) + payload
}

fn record_len(pk_idx: u64, ehk_idx: Option<u64>, data_len: usize) -> usize {
    1 + varint_len(pk_idx) + ehk_idx.map_or(0, |i| 1 + varint_len(i)) + field_len(data_len)
}

fn put_tag(out: &mut Vec<u8>, field: u32, wire: u32) {
    put_varint(out, u64::from(field << 3 | wire));
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7F) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_tag(out, field, 2);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn read_varint(buf: &mut &[u8]) -> Option<u64> {
    let mut v: u64 = 0;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = buf.split_first()?;
        *buf = rest;
        v |= u64::from(b & 0x7F) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

fn read_tag(buf: &mut &[u8]) -> Option<(u64, u64)> {
    let tag = read_varint(buf)?;
    Some((tag >> 3, tag & 7))
}

fn read_bytes<'a>(buf: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = usize::try_from(read_varint(buf)?).ok()?;
    if buf.len() < len {
        return None;
    }
    let (head, rest) = buf.split_at(len);
    *buf = rest;
    Some(head)
}

fn skip(buf: &mut &[u8], wire: u64) -> Option<()> {
    match wire {
        0 => read_varint(buf).map(|_| ()),
        1 => buf.get(8..).map(|rest| *buf = rest),
        2 => read_bytes(buf).map(|_| ()),
        5 => buf.get(4..).map(|rest| *buf = rest),
        _ => None,
    }
}
