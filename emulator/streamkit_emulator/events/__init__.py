"""events: see emulator/README.md."""
