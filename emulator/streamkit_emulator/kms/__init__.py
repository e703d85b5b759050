"""kms: see emulator/README.md."""
