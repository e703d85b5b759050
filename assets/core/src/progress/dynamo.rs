//! The state store on a DynamoDB table (on-demand, key `pk` (S) + `sk` (S),
//! TTL on `expires_at`). Items:
//!
//! | pk | sk | attributes |
//! |---|---|---|
//! | `shard` | shard id | `seq`, `wm`, `active`, `parents` (SS), `open` (NS), `ct`, `records`, `late`, `malformed`, `expires_at` |
//! | `emit` | `emit` | `ct`, `closing` (NS), `ready` (NS) |
//! | caller's | caller's | `body` (S), `expires_at` |
//!
//! A commit is one `TransactWriteItems`: the progress update (conditioned on
//! the expected checkpoint and `ct`, or on its absence plus a condition check
//! of the emitter's `ct` for a shard's first commit) and a `Put` per state item.

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use super::{Commit, Counts, EmitState, ShardProgress, StateItem, StateStore, StoreError};
use crate::error::sdk_message;

const SHARD_PK: &str = "shard";
const EMIT_KEY: &str = "emit";
/// Attempts of a non-transactional update that meets a transaction on its item.
const CONFLICT_ATTEMPTS: u32 = 8;

type Item = HashMap<String, AttributeValue>;

/// See the module docs.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn ns(set: &BTreeSet<i64>) -> AttributeValue {
    AttributeValue::Ns(set.iter().map(i64::to_string).collect())
}

fn key(pk: &str, sk: &str) -> Item {
    HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}

impl DynamoStore {
    pub fn new(client: &Client, table: &str) -> DynamoStore {
        DynamoStore {
            client: client.clone(),
            table: table.to_string(),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    fn err<E: std::error::Error>(&self, operation: &'static str, e: &E) -> StoreError {
        StoreError::Call {
            operation,
            table: self.table.clone(),
            message: sdk_message(e),
        }
    }

    async fn query(&self, pk: &str) -> Result<Vec<Item>, StoreError> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let resp = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(pk))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.err("Query", &e))?;
            out.extend(resp.items().iter().cloned());
            match resp.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => return Ok(out),
            }
        }
    }

    /// An UpdateItem retried while its item is inside another transaction;
    /// `Ok(false)` when its condition failed.
    async fn update(
        &self,
        pk: &str,
        sk: &str,
        expression: &str,
        condition: Option<&str>,
        values: Item,
    ) -> Result<bool, StoreError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(pk, sk)))
                .update_expression(expression)
                .set_condition_expression(condition.map(str::to_string))
                .set_expression_attribute_values((!values.is_empty()).then(|| values.clone()))
                .send()
                .await;
            match result {
                Ok(_) => return Ok(true),
                Err(e) if e.code() == Some("ConditionalCheckFailedException") => return Ok(false),
                Err(e)
                    if e.code() == Some("TransactionConflictException")
                        && attempt < CONFLICT_ATTEMPTS =>
                {
                    tokio::time::sleep(Duration::from_millis(20 << attempt.min(6))).await;
                }
                Err(e) => return Err(self.err("UpdateItem", &e)),
            }
        }
    }

    fn progress_update(&self, c: &Commit) -> Result<Update, StoreError> {
        let mut set = vec!["seq = :seq", "active = :active", "expires_at = :x"];
        let mut add = vec!["records :r", "late :l", "malformed :m"];
        let mut values: Item = HashMap::from([
            (":seq".into(), s(&c.sequence_number)),
            (":active".into(), n(c.active_ms)),
            (":x".into(), n(c.expires_at)),
            (":r".into(), n(c.added.records)),
            (":l".into(), n(c.added.late)),
            (":m".into(), n(c.added.malformed)),
        ]);
        if let Some(wm) = c.watermark_ms {
            set.push("wm = :wm");
            values.insert(":wm".into(), n(wm));
        }
        if !c.open.is_empty() {
            add.push("#open :open");
            values.insert(":open".into(), ns(&c.open));
        }
        let first = c.expected.as_ref().is_none_or(|e| !e.started());
        let condition = match c.expected.as_ref().filter(|_| !first) {
            None => {
                if !c.parents.is_empty() {
                    set.push("parents = :parents");
                    values.insert(":parents".into(), AttributeValue::Ss(c.parents.clone()));
                }
                if let Some(ct) = c.expected_closed_through {
                    set.push("ct = :ect");
                    values.insert(":ect".into(), n(ct));
                }
                values.insert(":none".into(), s(""));
                "attribute_not_exists(pk) OR seq = :none".to_string()
            }
            Some(exp) => {
                values.insert(":eseq".into(), s(&exp.sequence_number));
                match exp.closed_through {
                    Some(ct) => {
                        values.insert(":ect".into(), n(ct));
                        "seq = :eseq AND ct = :ect".to_string()
                    }
                    None => "seq = :eseq AND attribute_not_exists(ct)".to_string(),
                }
            }
        };
        let names = (!c.open.is_empty())
            .then(|| HashMap::from([("#open".to_string(), "open".to_string())]));
        Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(SHARD_PK, &c.shard_id)))
            .update_expression(format!("SET {} ADD {}", set.join(", "), add.join(", ")))
            .condition_expression(condition)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(|e| self.err("TransactWriteItems", &e))
    }
}

fn num(item: &Item, k: &str) -> Option<i64> {
    item.get(k)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse::<f64>().ok())
        .map(|v| v as i64)
}

fn num_set(item: &Item, k: &str) -> BTreeSet<i64> {
    item.get(k)
        .and_then(|v| v.as_ns().ok())
        .map(|v| v.iter().filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_default()
}

fn string(item: &Item, k: &str) -> Option<String> {
    item.get(k).and_then(|v| v.as_s().ok()).cloned()
}

fn progress(item: &Item) -> ShardProgress {
    ShardProgress {
        shard_id: string(item, "sk").unwrap_or_default(),
        sequence_number: string(item, "seq").unwrap_or_default(),
        watermark_ms: num(item, "wm"),
        active_ms: num(item, "active").unwrap_or(0),
        parents: item
            .get("parents")
            .and_then(|v| v.as_ss().ok())
            .cloned()
            .unwrap_or_default(),
        open: num_set(item, "open"),
        closed_through: num(item, "ct"),
        counts: Counts {
            records: num(item, "records").unwrap_or(0) as u64,
            late: num(item, "late").unwrap_or(0) as u64,
            malformed: num(item, "malformed").unwrap_or(0) as u64,
        },
    }
}

impl StateStore for DynamoStore {
    async fn shard(&self, shard_id: &str) -> Result<Option<ShardProgress>, StoreError> {
        let resp = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(SHARD_PK, shard_id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.err("GetItem", &e))?;
        Ok(resp.item().map(progress))
    }

    async fn shards(&self) -> Result<Vec<ShardProgress>, StoreError> {
        Ok(self.query(SHARD_PK).await?.iter().map(progress).collect())
    }

    async fn emit_state(&self) -> Result<EmitState, StoreError> {
        let resp = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(EMIT_KEY, EMIT_KEY)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.err("GetItem", &e))?;
        Ok(resp
            .item()
            .map(|i| EmitState {
                closed_through: num(i, "ct"),
                closing: num_set(i, "closing"),
                ready: num_set(i, "ready"),
            })
            .unwrap_or_default())
    }

    async fn commit(&self, c: &Commit) -> Result<bool, StoreError> {
        let mut actions = vec![TransactWriteItem::builder()
            .update(self.progress_update(c)?)
            .build()];
        if c.expected.as_ref().is_none_or(|e| !e.started()) {
            let mut check = ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(key(EMIT_KEY, EMIT_KEY)));
            check = match c.expected_closed_through {
                Some(ct) => check
                    .condition_expression("ct = :ect")
                    .expression_attribute_values(":ect", n(ct)),
                None => check.condition_expression("attribute_not_exists(ct)"),
            };
            let check = check
                .build()
                .map_err(|e| self.err("TransactWriteItems", &e))?;
            actions.push(TransactWriteItem::builder().condition_check(check).build());
        }
        for item in &c.items {
            let put = Put::builder()
                .table_name(&self.table)
                .item("pk", s(&item.pk))
                .item("sk", s(&item.sk))
                .item("body", s(&item.body))
                .item("expires_at", n(item.expires_at))
                .build()
                .map_err(|e| self.err("TransactWriteItems", &e))?;
            actions.push(TransactWriteItem::builder().put(put).build());
        }
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(actions))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) => {
                let service = e.as_service_error();
                let canceled = service.is_some_and(|s| s.is_transaction_canceled_exception());
                let retryable = match service {
                    Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(t)) => t
                        .cancellation_reasons()
                        .iter()
                        .filter_map(|r| r.code())
                        .all(|code| matches!(code, "None" | "ConditionalCheckFailed" | "TransactionConflict")),
                    _ => false,
                };
                if canceled && retryable
                    || service.is_some_and(|s| s.is_transaction_in_progress_exception())
                {
                    Ok(false)
                } else {
                    Err(self.err("TransactWriteItems", &e))
                }
            }
        }
    }

    async fn register(
        &self,
        shard_id: &str,
        parents: &[String],
        active_ms: i64,
    ) -> Result<(), StoreError> {
        let mut req = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(SHARD_PK))
            .item("sk", s(shard_id))
            .item("seq", s(""))
            .item("active", n(active_ms))
            .condition_expression("attribute_not_exists(pk)");
        if !parents.is_empty() {
            req = req.item("parents", AttributeValue::Ss(parents.to_vec()));
        }
        match req.send().await {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(()),
            Err(e) => Err(self.err("PutItem", &e)),
        }
    }

    async fn begin_close(
        &self,
        expected: Option<i64>,
        through: i64,
        buckets: &BTreeSet<i64>,
    ) -> Result<bool, StoreError> {
        let mut values: Item = HashMap::from([(":t".to_string(), n(through))]);
        let condition = match expected {
            Some(e) => {
                values.insert(":e".into(), n(e));
                "ct = :e"
            }
            None => "attribute_not_exists(ct)",
        };
        let mut expression = "SET ct = :t".to_string();
        if !buckets.is_empty() {
            expression.push_str(" ADD closing :b");
            values.insert(":b".into(), ns(buckets));
        }
        self.update(EMIT_KEY, EMIT_KEY, &expression, Some(condition), values)
            .await
    }

    async fn mark_closed(
        &self,
        shard_id: &str,
        through: i64,
        buckets: &BTreeSet<i64>,
    ) -> Result<(), StoreError> {
        let mut values: Item = HashMap::from([(":t".to_string(), n(through))]);
        let mut expression = "SET ct = :t".to_string();
        if !buckets.is_empty() {
            expression.push_str(" DELETE #open :b");
            values.insert(":b".into(), ns(buckets));
        }
        let raised = self
            .update_named(
                shard_id,
                &expression,
                "attribute_exists(pk) AND (attribute_not_exists(ct) OR ct < :t)",
                values,
            )
            .await?;
        if !raised && !buckets.is_empty() {
            let values = HashMap::from([(":b".to_string(), ns(buckets))]);
            self.update_named(shard_id, "DELETE #open :b", "attribute_exists(pk)", values)
                .await?;
        }
        Ok(())
    }

    async fn promote(&self, buckets: &BTreeSet<i64>) -> Result<(), StoreError> {
        if buckets.is_empty() {
            return Ok(());
        }
        let values = HashMap::from([(":b".to_string(), ns(buckets))]);
        self.update(
            EMIT_KEY,
            EMIT_KEY,
            "ADD ready :b DELETE closing :b",
            None,
            values,
        )
        .await?;
        Ok(())
    }

    async fn finish(&self, bucket: i64) -> Result<(), StoreError> {
        let values = HashMap::from([(":b".to_string(), ns(&BTreeSet::from([bucket])))]);
        self.update(EMIT_KEY, EMIT_KEY, "DELETE ready :b", None, values)
            .await?;
        Ok(())
    }

    async fn remove(&self, pk: &str, sk: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .send()
            .await
            .map_err(|e| self.err("DeleteItem", &e))?;
        Ok(())
    }

    async fn items(&self, pk: &str) -> Result<Vec<StateItem>, StoreError> {
        self.query(pk)
            .await?
            .iter()
            .map(|i| {
                let sk = string(i, "sk").unwrap_or_default();
                let body = string(i, "body").ok_or_else(|| StoreError::Malformed {
                    table: self.table.clone(),
                    pk: pk.to_string(),
                    sk: sk.clone(),
                    message: "no string attribute `body`".into(),
                })?;
                Ok(StateItem {
                    pk: pk.to_string(),
                    sk,
                    body,
                    expires_at: num(i, "expires_at").unwrap_or(0),
                })
            })
            .collect()
    }
}

impl DynamoStore {
    /// [`DynamoStore::update`] on a shard item whose expression names `#open`
    /// (`open` is not a reserved word, but the alias keeps one spelling).
    async fn update_named(
        &self,
        shard_id: &str,
        expression: &str,
        condition: &str,
        values: Item,
    ) -> Result<bool, StoreError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(SHARD_PK, shard_id)))
                .update_expression(expression)
                .condition_expression(condition)
                .set_expression_attribute_values(Some(values.clone()));
            if expression.contains("#open") {
                req = req.expression_attribute_names("#open", "open");
            }
            match req.send().await {
                Ok(_) => return Ok(true),
                Err(e) if e.code() == Some("ConditionalCheckFailedException") => return Ok(false),
                Err(e)
                    if e.code() == Some("TransactionConflictException")
                        && attempt < CONFLICT_ATTEMPTS =>
                {
                    tokio::time::sleep(Duration::from_millis(20 << attempt.min(6))).await;
                }
                Err(e) => return Err(self.err("UpdateItem", &e)),
            }
        }
    }
}

/// Creates the table (on-demand, `pk`/`sk` strings) the way the template
/// does, for local runs and tests; an existing table is left as it is.
pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
    };
    let key_el = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
    };
    let err = |e: String| StoreError::Call {
        operation: "CreateTable",
        table: table.to_string(),
        message: e,
    };
    let result = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk").map_err(|e| err(e.to_string()))?)
        .attribute_definitions(attr("sk").map_err(|e| err(e.to_string()))?)
        .key_schema(key_el("pk", KeyType::Hash).map_err(|e| err(e.to_string()))?)
        .key_schema(key_el("sk", KeyType::Range).map_err(|e| err(e.to_string()))?)
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) if e.code() == Some("ResourceInUseException") => Ok(()),
        Err(e) => Err(err(sdk_message(&e))),
    }
}
