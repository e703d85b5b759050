"""sns: see emulator/README.md."""
