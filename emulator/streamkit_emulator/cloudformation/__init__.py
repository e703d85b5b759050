"""cloudformation: see emulator/README.md."""
