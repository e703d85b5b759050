#!/usr/bin/env python3
"""streamkit's local AWS emulator: moto server plus streamkit's CloudFormation models.

Usage: server.py --port N [--host 127.0.0.1] [--strict]
"""
import argparse
import os
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--strict", action="store_true",
                        help="fail stacks that use a resource type the emulator does not implement")
    args = parser.parse_args()
    if args.strict:
        os.environ["STREAMKIT_EMULATOR_STRICT"] = "1"
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    # Registers streamkit's CloudFormation models and patches; an error here is
    # fatal (a silently missing model would make stacks skip resources).
    import streamkit_models  # noqa: F401
    from moto.server import main as moto_main
    return moto_main(["--host", args.host, "--port", str(args.port)]) or 0


if __name__ == "__main__":
    sys.exit(main())
