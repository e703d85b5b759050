"""moto's clock helpers, the same results for less: `moto.core.utils.utcnow`
imports `datetime.UTC` on every call (2.8 us, timeit; 1.4 us without it) and
`unix_time` makes the epoch's datetime on every call (2.6 us; 0.8 us with it
made once). A request reads the clock several times (the access key's last
use, the credentials' expiry, each Kinesis record's arrival time), so every
request of every service paid for it.

The replacements return what moto's do: a naive UTC `datetime` of now, and
the same arithmetic on the same epoch (`emulator/tests/test_clock.py`). They
are put where moto's modules hold moto's functions (`from moto.core.utils
import utcnow` binds the name in each module), in every moto module loaded
when the emulator installs (the services' models and responses are by then)."""
from __future__ import annotations

import datetime
import sys
from typing import Any

from moto.core import utils

_UTC = datetime.timezone.utc
_EPOCH = datetime.datetime(1970, 1, 1)  # moto's `utcfromtimestamp(0)`
_moto_utcnow = utils.utcnow
_moto_unix_time = utils.unix_time


def utcnow() -> datetime.datetime:
    """`moto.core.utils.utcnow`: now in UTC, without a time zone."""
    return datetime.datetime.now(_UTC).replace(tzinfo=None)


def unix_time(dt: datetime.datetime | None = None) -> float:
    """`moto.core.utils.unix_time`: seconds since the epoch of a naive UTC time."""
    dt = dt or utcnow()
    delta = dt - _EPOCH
    return (delta.days * 86400) + (delta.seconds + (delta.microseconds / 1e6))


def install() -> None:
    replacements: dict[Any, Any] = {_moto_utcnow: utcnow, _moto_unix_time: unix_time}
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "moto" or name.startswith("moto.")):
            continue
        for attr in ("utcnow", "unix_time"):
            found = getattr(module, attr, None)
            if found is not None and found in replacements:
                setattr(module, attr, replacements[found])
