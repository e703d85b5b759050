"""ssm: see emulator/README.md."""
