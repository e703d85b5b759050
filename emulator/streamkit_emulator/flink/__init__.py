"""flink: see emulator/README.md."""
