"""awslambda: see emulator/README.md."""
