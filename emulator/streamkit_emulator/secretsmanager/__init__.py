"""secretsmanager: see emulator/README.md."""
