"""ec2: see emulator/README.md."""
