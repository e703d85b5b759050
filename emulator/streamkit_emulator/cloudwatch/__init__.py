"""cloudwatch: see emulator/README.md."""
