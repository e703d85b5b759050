"""esm: see emulator/README.md."""
