//! The emulator's IAM denials, as `local up` counts them: one log line each
//! (`streamkit_emulator.iam: denied (...): User: ... is not authorized to
//! perform: ...`, emulator/streamkit_emulator/iam/enforce.py); the full list
//! is at `GET {endpoint}/_streamkit/iam/denials`.

use std::io::{BufRead, BufReader};
use std::path::Path;

/// What starts a denial line in the emulator log.
pub const PREFIX: &str = "streamkit_emulator.iam: denied ";

/// The denials in the emulator log at `log` (0 when it cannot be read).
pub fn count(log: &Path) -> u64 {
    let Ok(file) = std::fs::File::open(log) else {
        return 0;
    };
    BufReader::new(file)
        .split(b'\n')
        .map_while(std::result::Result::ok)
        .filter(|line| line.starts_with(PREFIX.as_bytes()))
        .count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_denial_lines_only() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("emulator.log");
        std::fs::write(
            &log,
            "streamkit emulator on http://127.0.0.1:4566 (strict), IAM enforced\n\
             streamkit_emulator.iam: denied (request): User: arn:aws:iam::123456789012:user/u is not authorized to perform: kinesis:PutRecord\n\
             other line\n\
             streamkit_emulator.iam: denied (firehose f): User: x is not authorized to perform: s3:PutObject\n",
        )
        .unwrap();
        assert_eq!(count(&log), 2);
        assert_eq!(count(&dir.path().join("missing.log")), 0);
    }
}
