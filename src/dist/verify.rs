//! Integrity of a `build-dist` output before anything is uploaded: every file
//! the manifest names is read again and its size and sha256 compared with
//! what `build-dist` recorded. A truncated or altered file is refused (exit 2,
//! one line per file naming it and the fix), so nothing corrupt ever reaches
//! a bucket. The checksums also travel with each upload (S3's own SHA-256
//! checksum, [`base64_of_hex`]), so S3 refuses a body that changed after this
//! check.

use std::io::Read;
use std::path::Path;

use base64::Engine;
use sha2::{Digest, Sha256};

use super::manifest::DistManifest;
use super::{GLOBAL_DIR, REGIONAL_DIR};
use crate::error::{Error, Result};

/// Checks every template and every asset of `manifest` in `dir` (or only the
/// assets named by `only`, when given); all mismatches are reported at once.
pub fn verify(dir: &Path, manifest: &DistManifest, only: Option<&[String]>) -> Result<()> {
    let mut problems = Vec::new();
    let templates = manifest
        .templates
        .iter()
        .filter(|_| only.is_none())
        .map(|t| (GLOBAL_DIR, &t.file, &t.sha256, t.size));
    let assets = manifest
        .assets
        .iter()
        .filter(|a| only.is_none_or(|names| names.contains(&a.name)))
        .map(|a| (REGIONAL_DIR, &a.file, &a.sha256, a.size));
    for (sub, file, sha, size) in templates.chain(assets) {
        let path = dir.join(sub).join(file);
        if let Some(problem) = check_file(&path, sha, size) {
            problems.push(format!(
                "{}: {problem}; rerun `streamkit build-dist` (the manifest and the files must come from one build)",
                path.display()
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(problems))
    }
}

/// What is wrong with one file, if anything.
fn check_file(path: &Path, sha: &str, size: u64) -> Option<String> {
    let (actual_sha, actual_size) = match file_sha256(path) {
        Ok(v) => v,
        Err(e) => return Some(format!("cannot read it ({e})")),
    };
    if actual_size != size {
        return Some(format!(
            "{actual_size} bytes, manifest.json says {size} (truncated or replaced)"
        ));
    }
    if actual_sha != sha {
        return Some(format!(
            "sha256 {} does not match manifest.json's {} (the file was altered)",
            short(&actual_sha),
            short(sha)
        ));
    }
    None
}

fn short(sha: &str) -> &str {
    sha.get(..16).unwrap_or(sha)
}

/// The file's sha256 (hex) and size, read in blocks.
pub fn file_sha256(path: &Path) -> std::io::Result<(String, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    let hex = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((hex, total))
}

/// A hex sha256 as S3's `ChecksumSHA256` (base64 of the 32 bytes); `None`
/// when `hex` is not 64 hex digits.
pub fn base64_of_hex(hex: &str) -> Option<String> {
    if hex.len() != 64 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..32)
        .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    Some(base64::engine::general_purpose::STANDARD.encode(bytes?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_is_base64_of_the_digest() {
        // sha256("abc"), as S3 reports it for a body "abc".
        let hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(
            base64_of_hex(hex).as_deref(),
            Some("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=")
        );
        assert_eq!(base64_of_hex("abc"), None);
        assert_eq!(base64_of_hex(&"zz".repeat(32)), None);
    }

    #[test]
    fn file_hash_matches_the_in_memory_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data = vec![7u8; 200_000];
        std::fs::write(&path, &data).unwrap();
        let (sha, size) = file_sha256(&path).unwrap();
        assert_eq!(sha, super::super::archive::sha256_hex(&data));
        assert_eq!(size, 200_000);
    }
}
