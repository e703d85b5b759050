"""firehose: see emulator/README.md."""
