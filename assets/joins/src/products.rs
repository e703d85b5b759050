//! The products reference table (`products.json`: one JSON object per line
//! with `productId`, `productName`, `productPrice`), looked up by item id.
//! A file that does not parse as a whole is refused with the first bad line,
//! so the caller keeps its previous table (see [`crate::reference`]).

use serde_json::value::RawValue;
use std::collections::HashMap;
use thiserror::Error;

use crate::decimal::Decimal;

/// One product.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Product {
    pub name: Option<String>,
    pub price: Option<Decimal>,
}

/// Why a products file was refused.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("products file line {line}: {message}")]
pub struct BadProducts {
    pub line: usize,
    pub message: String,
}

/// The table, by product id. The default is no table: no file has loaded
/// yet ([`Products::is_loaded`] false), and rows wait for one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Products {
    by_id: HashMap<u64, Product>,
    loaded: bool,
}

impl Products {
    /// Parses a whole file (blank lines are skipped; a later line with the
    /// same id wins). Any bad line refuses the file.
    pub fn parse(text: &[u8]) -> Result<Products, BadProducts> {
        let text = std::str::from_utf8(text).map_err(|e| BadProducts {
            line: 1 + text[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count(),
            message: "not UTF-8 text".into(),
        })?;
        let mut by_id = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let bad = |message: &str| BadProducts {
                line: n + 1,
                message: message.into(),
            };
            let fields: HashMap<String, &RawValue> =
                serde_json::from_str(line).map_err(|_| bad("not a JSON object"))?;
            let id = fields
                .get("productId")
                .and_then(|v| v.get().parse::<u64>().ok())
                .ok_or_else(|| bad("productId is not a non-negative integer"))?;
            let name = match fields.get("productName") {
                None => None,
                Some(v) => serde_json::from_str::<Option<String>>(v.get())
                    .map_err(|_| bad("productName is not a string"))?,
            };
            let price = match fields.get("productPrice").map(|v| v.get()) {
                None | Some("null") => None,
                Some(text) => {
                    let text = serde_json::from_str::<String>(text).unwrap_or(text.to_string());
                    Some(
                        Decimal::parse(&text)
                            .ok_or_else(|| bad("productPrice is not a decimal"))?,
                    )
                }
            };
            by_id.insert(id, Product { name, price });
        }
        Ok(Products {
            by_id,
            loaded: true,
        })
    }

    pub fn get(&self, id: u64) -> Option<&Product> {
        self.by_id.get(&id)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Whether this is a table read from a file (possibly empty), not the
    /// absence of one: until a file has loaded, no row is written.
    pub fn is_loaded(&self) -> bool {
        self.loaded
    }

    /// A table from explicit entries (tests and benchmarks).
    pub fn from_entries(entries: impl IntoIterator<Item = (u64, Product)>) -> Products {
        Products {
            by_id: entries.into_iter().collect(),
            loaded: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_json_lines() {
        let text = b"{\"productId\":1,\"productName\":\"Lamp\",\"productPrice\":19.90}\n\n{\"productId\":2,\"productName\":\"Mug\",\"productPrice\":\"5\"}\n";
        let p = Products::parse(text).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p.get(1).unwrap().price.as_ref().unwrap().as_str(), "19.9");
        assert_eq!(p.get(2).unwrap().name.as_deref(), Some("Mug"));
        assert!(p.get(3).is_none());
    }

    #[test]
    fn a_bad_line_refuses_the_file() {
        let e = Products::parse(b"{\"productId\":1}\nnot json\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = Products::parse(b"{\"productId\":\"x\"}").unwrap_err();
        assert!(e.message.contains("productId"));
        assert!(Products::parse(b"\xff\xfe").is_err());
    }
}
