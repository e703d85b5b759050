"""logs: see emulator/README.md."""
