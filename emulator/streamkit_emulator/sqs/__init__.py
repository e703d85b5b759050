"""sqs: see emulator/README.md."""
