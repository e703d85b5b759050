"""core: see emulator/README.md."""
