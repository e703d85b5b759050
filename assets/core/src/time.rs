//! RFC 3339 times as epoch milliseconds, exactly as chrono's
//! `DateTime::parse_from_rfc3339` reads them, with a fast path for the one
//! form every producer writes (`2026-11-23T10:00:00.123Z`, UTC, three
//! fractional digits): the stream processors parse one per record, and
//! chrono's general parser was a sixth of the pattern 2 processor's
//! instructions per record.

use chrono::{DateTime, NaiveDate};

/// Milliseconds since the epoch of an RFC 3339 time, `None` when chrono's
/// `parse_from_rfc3339` rejects it (sub-millisecond digits are truncated, as
/// chrono's `timestamp_millis` does).
pub fn rfc3339_millis(text: &str) -> Option<i64> {
    canonical(text.as_bytes()).or_else(|| {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.timestamp_millis())
    })
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` with a valid date and time (seconds 0-59),
/// else `None` (chrono then decides: other forms, leap seconds, errors).
fn canonical(b: &[u8]) -> Option<i64> {
    if b.len() != 24
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'.'
        || b[23] != b'Z'
    {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second, milli) = (num(11, 13)?, num(14, 16)?, num(17, 19)?, num(20, 23)?);
    if second > 59 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    Some(
        date.and_hms_milli_opt(hour, minute, second, milli)?
            .and_utc()
            .timestamp_millis(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrono_millis(text: &str) -> Option<i64> {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.timestamp_millis())
    }

    #[test]
    fn the_canonical_form_takes_the_fast_path_and_agrees_with_chrono() {
        let mut rng = fastrand::Rng::with_seed(3);
        for _ in 0..200_000 {
            let ms = rng.i64(-62_135_596_800_000..253_402_300_799_999);
            let text = DateTime::from_timestamp_millis(ms)
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string();
            assert_eq!(canonical(text.as_bytes()), Some(ms), "{text}");
            assert_eq!(chrono_millis(&text), Some(ms), "{text}");
        }
    }

    /// Canonical texts with one byte changed, other RFC 3339 forms and
    /// invalid dates: the answer is always chrono's.
    #[test]
    fn any_other_text_is_read_as_chrono_reads_it() {
        let mut rng = fastrand::Rng::with_seed(5);
        let alphabet = b"0123456789-:.TtZz +x\xc3";
        let mut fast = 0;
        for _ in 0..200_000 {
            let mut text = b"2026-02-28T23:59:59.999Z".to_vec();
            for _ in 0..rng.usize(1..3) {
                let i = rng.usize(..text.len());
                text[i] = alphabet[rng.usize(..alphabet.len())];
            }
            let Ok(text) = String::from_utf8(text) else {
                continue;
            };
            fast += usize::from(canonical(text.as_bytes()).is_some());
            assert_eq!(rfc3339_millis(&text), chrono_millis(&text), "{text:?}");
        }
        assert!(
            fast > 10_000,
            "the mutations keep some canonical texts: {fast}"
        );
        for text in [
            "2026-02-29T00:00:00.000Z",
            "2024-02-29T00:00:00.000Z",
            "2026-12-31T23:59:60.000Z",
            "2026-12-31T24:00:00.000Z",
            "2026-13-01T00:00:00.000Z",
            "2026-11-23T10:00:00Z",
            "2026-11-23T10:00:00.123456Z",
            "2026-11-23T10:00:00.123+01:00",
            "2026-11-23t10:00:00.123z",
            "2026-11-23 10:00:00.123Z",
            "0000-01-01T00:00:00.000Z",
            "",
        ] {
            assert_eq!(rfc3339_millis(text), chrono_millis(text), "{text:?}");
        }
    }
}
