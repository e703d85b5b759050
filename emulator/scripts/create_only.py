#!/usr/bin/env python3
"""Writes streamkit_emulator/cloudformation/create_only.json: the
`createOnlyProperties` of the CloudFormation registry schema of every resource
type the stacks use, from the copy cfn-lint ships (the one the deploy guard's
rules are checked against, tests/templates.rs). `--check` exits 1 when the file
differs. Run with the venv's Python (cfn-lint is in tests/requirements.txt)."""
from __future__ import annotations

import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "streamkit_emulator", "cloudformation", "create_only.json")
TEMPLATES = os.path.join(HERE, "..", "..", "templates")


def resource_types() -> list[str]:
    found: set[str] = set()
    for root, _, files in os.walk(TEMPLATES):
        for name in files:
            with open(os.path.join(root, name), encoding="utf-8") as f:
                found.update(re.findall(r"Type:\s*\"?(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)\"?\s*$", f.read(), re.M))
    return sorted(found)


def generate() -> str:
    import cfnlint

    schemas = os.path.join(os.path.dirname(cfnlint.__file__), "data", "schemas")
    with open(os.path.join(schemas, "providers", "us_east_1.py"), encoding="utf-8") as f:
        index = f.read()
    out: dict[str, list[str]] = {}
    for kind in resource_types():
        match = re.search(re.escape(f'"{kind}": "') + r"([^\"]+)\"", index)
        if match is None:
            continue  # a parameter type (AWS::EC2::VPC::Id, ...), not a resource
        with open(os.path.join(schemas, "resources", f"{match.group(1)}.json"), encoding="utf-8") as f:
            schema = json.load(f)
        out[kind] = [p.removeprefix("/properties/") for p in schema.get("createOnlyProperties", [])]
    return json.dumps(out, indent=1, sort_keys=True) + "\n"


def main() -> int:
    text = generate()
    if "--check" in sys.argv:
        with open(OUT, encoding="utf-8") as f:
            return 0 if f.read() == text else 1
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
