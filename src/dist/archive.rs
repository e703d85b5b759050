//! Deterministic zips and content hashes.
//!
//! The same input bytes always give the same zip bytes: entries sorted by name,
//! the DOS epoch (1980-01-01 00:00:00) as every timestamp, fixed Unix modes, no
//! extra fields, deflate at a fixed level. That is what makes the content hash
//! in an asset's file name stable across builds and machines.

use std::io::{Cursor, Write};

use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::error::{Error, Result};

/// One file to put in a zip.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// Path inside the archive (`bootstrap`).
    pub name: String,
    /// Unix mode bits (`0o755` for executables).
    pub mode: u32,
    pub data: &'a [u8],
}

/// Builds a zip of `entries` in memory, deterministically. `compress` deflates
/// (level 6); without it entries are stored, which is much faster for the large
/// unoptimised binaries of `--cargo-profile dev`.
pub fn deterministic_zip(entries: &[Entry<'_>], compress: bool) -> Result<Vec<u8>> {
    let mut sorted: Vec<&Entry<'_>> = entries.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let fail = |e: &dyn std::fmt::Display| Error::Build(format!("cannot write zip: {e}"));
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for entry in sorted {
        let (method, level) = if compress {
            (CompressionMethod::Deflated, Some(6))
        } else {
            (CompressionMethod::Stored, None)
        };
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .compression_level(level)
            .last_modified_time(DateTime::default())
            .unix_permissions(entry.mode)
            .large_file(entry.data.len() as u64 >= u32::MAX as u64);
        writer
            .start_file(entry.name.as_str(), options)
            .map_err(|e| fail(&e))?;
        writer.write_all(entry.data).map_err(|e| fail(&e))?;
    }
    let cursor = writer.finish().map_err(|e| fail(&e))?;
    Ok(cursor.into_inner())
}

/// Lower-case hex sha256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Content-addressed object name: `<asset>-<first 16 hex digits of sha256>.zip`.
pub fn hashed_name(asset: &str, sha256: &str) -> String {
    format!("{asset}-{}.zip", &sha256[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn sample() -> Vec<u8> {
        let entries = [
            Entry {
                name: "b".into(),
                mode: 0o644,
                data: b"second",
            },
            Entry {
                name: "bootstrap".into(),
                mode: 0o755,
                data: &[0x7f, b'E', b'L', b'F', 1, 2, 3],
            },
        ];
        deterministic_zip(&entries, true).unwrap()
    }

    #[test]
    fn stored_zips_are_deterministic_too() {
        let entries = [Entry {
            name: "bootstrap".into(),
            mode: 0o755,
            data: b"abc",
        }];
        let a = deterministic_zip(&entries, false).unwrap();
        assert_eq!(a, deterministic_zip(&entries, false).unwrap());
        let mut archive = zip::ZipArchive::new(Cursor::new(a)).unwrap();
        assert_eq!(
            archive.by_index(0).unwrap().compression(),
            CompressionMethod::Stored
        );
    }

    #[test]
    fn same_input_gives_same_bytes() {
        assert_eq!(sample(), sample());
    }

    #[test]
    fn entries_are_sorted_with_fixed_time_and_mode() {
        let mut archive = zip::ZipArchive::new(Cursor::new(sample())).unwrap();
        assert_eq!(archive.len(), 2);
        let first = archive.by_index(0).unwrap();
        assert_eq!(first.name().unwrap(), "b");
        drop(first);
        let mut boot = archive.by_name("bootstrap").unwrap();
        assert_eq!(boot.unix_mode().map(|m| m & 0o777), Some(0o755));
        assert_eq!(boot.last_modified(), Some(DateTime::default()));
        let mut data = Vec::new();
        boot.read_to_end(&mut data).unwrap();
        assert_eq!(data, [0x7f, b'E', b'L', b'F', 1, 2, 3]);
    }

    #[test]
    fn hashed_name_uses_16_hex_digits() {
        let sha = sha256_hex(b"abc");
        assert_eq!(
            sha,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hashed_name("fare-api", &sha),
            "fare-api-ba7816bf8f01cfea.zip"
        );
    }
}
