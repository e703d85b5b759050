"""s3: see emulator/README.md."""
