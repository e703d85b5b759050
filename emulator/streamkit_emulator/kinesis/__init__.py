"""kinesis: see emulator/README.md."""
