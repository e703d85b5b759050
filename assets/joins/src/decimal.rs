//! Exact decimal amounts. The original typed amounts `DECIMAL(1,1)` (only
//! -0.9..0.9); here an amount is read from the JSON number's *text* (or a
//! string holding a number), never through binary floating point, and kept
//! as a canonical decimal string: DynamoDB stores it as a Number (exact, up to
//! 38 significant digits), the JSON outputs carry it as a string.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Most significant digits a DynamoDB Number holds.
pub const MAX_DIGITS: usize = 38;

/// A canonical exact decimal: no exponent, no leading zeros, no trailing
/// fractional zeros (`12.5`, `-0.05`, `100`, `0`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Decimal(String);

impl Decimal {
    /// Parses `-?digits[.digits][e±digits]`; `None` for anything else, more
    /// than 38 significant digits, or a magnitude beyond 1e±100.
    pub fn parse(text: &str) -> Option<Decimal> {
        let text = text.trim();
        let (negative, rest) = match text.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], rest[i + 1..].parse::<i32>().ok()?),
            None => (rest, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if mantissa.contains('.') && frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if exponent.abs() > 100 {
            return None;
        }
        let mut digits = format!("{int}{frac}");
        let mut point = int.len() as i64 + exponent as i64;
        let lead = digits.len() - digits.trim_start_matches('0').len();
        digits.drain(..lead);
        point -= lead as i64;
        let kept = digits.trim_end_matches('0').len();
        digits.truncate(kept);
        if digits.is_empty() {
            return Some(Decimal("0".into()));
        }
        if digits.len() > MAX_DIGITS || !(-100..=101).contains(&point) {
            return None;
        }
        let body = if point <= 0 {
            format!("0.{}{digits}", "0".repeat((-point) as usize))
        } else if point as usize >= digits.len() {
            format!("{digits}{}", "0".repeat(point as usize - digits.len()))
        } else {
            format!(
                "{}.{}",
                &digits[..point as usize],
                &digits[point as usize..]
            )
        };
        Some(Decimal(if negative { format!("-{body}") } else { body }))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Decimal {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Decimal::parse(&s).ok_or_else(|| format!("`{s}` is not an exact decimal"))
    }
}

impl From<Decimal> for String {
    fn from(d: Decimal) -> String {
        d.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<String> {
        Decimal::parse(s).map(|d| d.0)
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(d("12.34").as_deref(), Some("12.34"));
        assert_eq!(d("12.340").as_deref(), Some("12.34"));
        assert_eq!(d("0012").as_deref(), Some("12"));
        assert_eq!(d("-0.05").as_deref(), Some("-0.05"));
        assert_eq!(d("1.5e2").as_deref(), Some("150"));
        assert_eq!(d("125E-3").as_deref(), Some("0.125"));
        assert_eq!(d("0.000").as_deref(), Some("0"));
        assert_eq!(d("-0").as_deref(), Some("0"));
        // Beyond what binary floating point keeps: still exact.
        assert_eq!(
            d("12345678901234567890.12").as_deref(),
            Some("12345678901234567890.12")
        );
    }

    #[test]
    fn rejects_what_is_not_a_number() {
        for bad in ["", "abc", "1.", ".5", "1.2.3", "1e", "--1", "1e999", "0x10"] {
            assert_eq!(d(bad), None, "{bad}");
        }
        assert_eq!(d(&"9".repeat(39)), None, "more than 38 digits");
    }
}
