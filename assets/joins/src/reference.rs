//! The products reference table, reloaded when its S3 object changes.
//!
//! At most every `REFERENCE_CHECK_SECONDS` a `HeadObject` compares the
//! object's ETag with the one loaded; only a new ETag is fetched and parsed.
//! Until a first file has loaded there is no table ([`Products::is_loaded`]
//! false): the object is looked for at every call, and the joined rows wait
//! in the state store until it loads ([`crate::chunk`], [`crate::emit`]).
//! A file that does not parse (or a missing object) keeps the previous table,
//! logs why, and counts a `ReferenceLoadErrors` at every check while it
//! stays, so the alarm holds until the file is fixed.

use std::future::Future;
use std::sync::Arc;

use crate::products::Products;

/// Where the file comes from.
pub trait Source: Sync {
    /// The object's ETag, `None` when there is no object.
    fn etag(&self) -> impl Future<Output = Result<Option<String>, String>> + Send;
    /// The object's bytes and ETag.
    fn fetch(&self) -> impl Future<Output = Result<(Vec<u8>, Option<String>), String>> + Send;
    /// `s3://bucket/key`, for log lines.
    fn name(&self) -> String;
}

/// No file: a fixed products table (tests, benchmarks).
pub struct NoSource;

impl Source for NoSource {
    async fn etag(&self) -> Result<Option<String>, String> {
        Ok(None)
    }

    async fn fetch(&self) -> Result<(Vec<u8>, Option<String>), String> {
        Err("no products source".into())
    }

    fn name(&self) -> String {
        "(none)".into()
    }
}

/// The file in S3.
pub struct S3Source {
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
    pub key: String,
}

impl Source for S3Source {
    async fn etag(&self) -> Result<Option<String>, String> {
        match self
            .s3
            .head_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .send()
            .await
        {
            Ok(h) => Ok(h.e_tag().map(str::to_string)),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(streamkit_core::error::sdk_message(&e)),
        }
    }

    async fn fetch(&self) -> Result<(Vec<u8>, Option<String>), String> {
        let obj = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .send()
            .await
            .map_err(|e| streamkit_core::error::sdk_message(&e))?;
        let etag = obj.e_tag().map(str::to_string);
        let bytes = obj.body.collect().await.map_err(|e| e.to_string())?;
        Ok((bytes.into_bytes().to_vec(), etag))
    }

    fn name(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }
}

/// The table in use and when it was last checked.
#[derive(Debug)]
pub struct Reference {
    table: Arc<Products>,
    /// ETag of the table in use.
    loaded: Option<String>,
    /// ETag of an object that failed to load (not fetched again).
    refused: Option<String>,
    checked_ms: Option<i64>,
    every_ms: i64,
}

/// What a check found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checked {
    /// A new table was loaded.
    pub reloaded: bool,
    /// The object is missing or bad (the previous table stays).
    pub error: bool,
}

impl Reference {
    pub fn new(every: std::time::Duration) -> Reference {
        Reference {
            table: Arc::new(Products::default()),
            loaded: None,
            refused: None,
            checked_ms: None,
            every_ms: every.as_millis() as i64,
        }
    }

    /// The table in use.
    pub fn table(&self) -> Arc<Products> {
        self.table.clone()
    }

    /// Checks the source if the interval has passed, then returns the table.
    pub async fn current<S: Source>(
        &mut self,
        source: &S,
        now_ms: i64,
    ) -> (Arc<Products>, Checked) {
        // While no table has loaded, rows wait for one: look at every call.
        let due =
            !self.table.is_loaded() || self.checked_ms.is_none_or(|t| now_ms - t >= self.every_ms);
        let checked = if due {
            self.checked_ms = Some(now_ms);
            self.check(source).await
        } else {
            Checked::default()
        };
        (self.table.clone(), checked)
    }

    async fn check<S: Source>(&mut self, source: &S) -> Checked {
        let failed = |why: String| {
            tracing::error!(reference = %source.name(), reason = %why, "products file not loaded; the previous table stays");
            Checked {
                reloaded: false,
                error: true,
            }
        };
        let etag = match source.etag().await {
            Ok(Some(etag)) => etag,
            Ok(None) => {
                return failed(
                    "no such object: upload products.json (one JSON object per line)".into(),
                )
            }
            Err(e) => return failed(e),
        };
        if self.loaded.as_deref() == Some(etag.as_str()) {
            return Checked::default();
        }
        if self.refused.as_deref() == Some(etag.as_str()) {
            return failed("the file is still the one that did not parse".into());
        }
        let (bytes, fetched) = match source.fetch().await {
            Ok(x) => x,
            Err(e) => return failed(e),
        };
        let fetched = fetched.unwrap_or(etag);
        match Products::parse(&bytes) {
            Ok(table) => {
                tracing::info!(reference = %source.name(), products = table.len(), etag = %fetched, "products table loaded");
                self.table = Arc::new(table);
                self.loaded = Some(fetched);
                self.refused = None;
                Checked {
                    reloaded: true,
                    error: false,
                }
            }
            Err(e) => {
                self.refused = Some(fetched);
                failed(e.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::Duration;

    /// An object whose body and ETag the test sets, counting fetches.
    #[derive(Default)]
    struct Fake {
        object: Mutex<Option<(Vec<u8>, String)>>,
        fetches: Mutex<u32>,
    }

    impl Source for Fake {
        async fn etag(&self) -> Result<Option<String>, String> {
            Ok(self.object.lock().unwrap().as_ref().map(|o| o.1.clone()))
        }
        async fn fetch(&self) -> Result<(Vec<u8>, Option<String>), String> {
            *self.fetches.lock().unwrap() += 1;
            let o = self.object.lock().unwrap().clone().ok_or("gone")?;
            Ok((o.0, Some(o.1)))
        }
        fn name(&self) -> String {
            "fake".into()
        }
    }

    fn set(f: &Fake, body: &str, etag: &str) {
        *f.object.lock().unwrap() = Some((body.as_bytes().to_vec(), etag.into()));
    }

    #[tokio::test]
    async fn reloads_on_a_new_etag_keeps_the_table_on_a_bad_file() {
        let f = Fake::default();
        let mut r = Reference::new(Duration::from_secs(10));
        let (t, c) = r.current(&f, 0).await;
        assert!(!t.is_loaded() && c.error, "missing object");
        let (t, c) = r.current(&f, 1).await;
        assert!(
            !t.is_loaded() && c.error,
            "no table yet: looked for at every call"
        );
        set(
            &f,
            "{\"productId\":1,\"productName\":\"A\",\"productPrice\":1}\n",
            "e1",
        );
        let (t, c) = r.current(&f, 2).await;
        assert!(c.reloaded && t.is_loaded() && t.get(1).is_some());
        let (_, c) = r.current(&f, 5_000).await;
        assert_eq!(
            c,
            Checked::default(),
            "loaded: not checked within the interval"
        );
        let (_, c) = r.current(&f, 20_000).await;
        assert_eq!(c, Checked::default(), "same ETag: no fetch");
        assert_eq!(*f.fetches.lock().unwrap(), 1);
        set(&f, "this is not json", "e2");
        let (t, c) = r.current(&f, 30_000).await;
        assert!(
            c.error && t.get(1).is_some(),
            "bad file: previous table stays"
        );
        let (_, c) = r.current(&f, 40_000).await;
        assert!(c.error, "still counted while the bad file stays");
        assert_eq!(
            *f.fetches.lock().unwrap(),
            2,
            "the bad file is not fetched again"
        );
        set(
            &f,
            "{\"productId\":2,\"productName\":\"B\",\"productPrice\":2}\n",
            "e3",
        );
        let (t, c) = r.current(&f, 50_000).await;
        assert!(c.reloaded && t.get(2).is_some() && t.get(1).is_none());
    }
}
