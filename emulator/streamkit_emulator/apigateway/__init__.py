"""apigateway: see emulator/README.md."""
