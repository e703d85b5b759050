#!/usr/bin/env python3
"""streamkit's local AWS emulator: `emulator/server.py --port N [--host H] [--strict]`
(the same as `python -m streamkit_emulator` with `emulator/` on the path)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from streamkit_emulator.__main__ import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
