"""dynamodb: see emulator/README.md."""
