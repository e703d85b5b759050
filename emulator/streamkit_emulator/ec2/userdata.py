"""Reads what an instance's user-data script would install and start, so the
emulator can do the same without booting EC2 (see ec2_producer).

Understood shapes (those of templates/producer/instance.yaml, rendered):
* `aws s3 cp [--region R] "s3://BUCKET/KEY" DEST` fetches the package;
* `python3 -m zipfile -e ZIP DIR` or `unzip [-o] ZIP -d DIR` unpacks it;
* `cat > /etc/systemd/system/NAME.service <<'TAG'` ... `TAG` writes a unit
  whose `ExecStart=` is the command line (split as systemd would, with shell
  quoting rules);
* `systemctl enable --now NAME` / `systemctl start NAME` starts it, either
  unconditionally or inside `if [ "A" = "B" ]; then ... fi` with literal
  operands (CloudFormation has substituted the parameters already).
"""
from __future__ import annotations

import base64
import re
import shlex
from dataclasses import dataclass
from typing import Any

HEREDOC = re.compile(r"""^\s*cat\s+>\s*/etc/systemd/system/(?P<unit>[\w@.-]+?)(?:\.service)?\s+<<-?\s*['"]?(?P<tag>\w+)['"]?\s*$""")
IF = re.compile(r"""^\s*if\s+\[\s+(?P<a>"[^"]*"|'[^']*'|\S+)\s+(?P<op>=|==|!=)\s+(?P<b>"[^"]*"|'[^']*'|\S+)\s+\];\s*then\s*$""")


@dataclass
class Service:
    """A systemd service the user data installs."""

    unit: str
    argv: list[str]  # ExecStart, split
    starts: bool  # whether the script starts it (enable --now / start)
    bucket: str | None = None  # where the package comes from
    key: str | None = None
    install_dir: str | None = None  # where it is unpacked


def decode(user_data: Any) -> str:
    """User data as EC2 gets it (base64; a str, bytes or moto's
    Base64EncodedString) -> the script text."""
    if not user_data:
        return ""
    if hasattr(user_data, "as_bytes"):
        user_data = user_data.as_bytes()
    raw = user_data.encode() if isinstance(user_data, str) else user_data
    try:
        return base64.b64decode(raw, validate=True).decode("utf-8")
    except ValueError:
        return raw.decode("utf-8", "replace")


def services(script: str) -> list[Service]:
    lines = script.splitlines()
    units: dict[str, list[str]] = {}
    started: set[str] = set()
    bucket = key = install_dir = None
    active = [True]  # truth of the enclosing if-blocks
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        m = HEREDOC.match(lines[i])
        if m:
            body, i = [], i + 1
            while i < len(lines) and lines[i].strip() != m["tag"]:
                body.append(lines[i])
                i += 1
            units[m["unit"]] = body
        elif (cond := IF.match(line)) is not None:
            equal = _unquote(cond["a"]) == _unquote(cond["b"])
            active.append(active[-1] and (equal if cond["op"] != "!=" else not equal))
        elif line == "fi" and len(active) > 1:
            active.pop()
        elif line and not line.startswith("#"):
            words = _words(line)
            if words[:3] == ["aws", "s3", "cp"]:
                src = next((w for w in words[3:] if w.startswith("s3://")), None)
                if src:
                    bucket, _, key = src[5:].partition("/")
            elif words[:4] == ["python3", "-m", "zipfile", "-e"] and len(words) >= 6:
                install_dir = words[5]
            elif words[:1] == ["unzip"] and "-d" in words:
                install_dir = words[words.index("-d") + 1]
            elif words[:1] == ["systemctl"] and active[-1] and ("start" in words or "--now" in words):
                started.update(w.removesuffix(".service") for w in words[1:] if not w.startswith("-")
                               and w not in ("start", "enable", "restart"))
        i += 1
    out = []
    for unit, body in units.items():
        exec_line = next((b.strip()[len("ExecStart="):] for b in body if b.strip().startswith("ExecStart=")), None)
        if exec_line is None:
            continue
        out.append(Service(unit, shlex.split(exec_line), unit in started, bucket, key,
                           install_dir.rstrip("/") if install_dir else None))
    return out


def _words(line: str) -> list[str]:
    try:
        return shlex.split(line, comments=True)
    except ValueError:
        return line.split()


def _unquote(word: str) -> str:
    return word[1:-1] if len(word) >= 2 and word[0] == word[-1] and word[0] in "\"'" else word
