"""core/clock.py: moto's `utcnow` and `unix_time`, replaced where moto's
modules hold them, give moto's results."""
from __future__ import annotations

import datetime
import random
import sys

from moto.core import utils

from streamkit_emulator import install
from streamkit_emulator.core import clock

install(strict=True)


def test_unix_time_is_motos_arithmetic():
    rng = random.Random(5)
    for _ in range(5000):
        dt = datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=rng.randrange(0, 2**55))
        assert repr(clock.unix_time(dt)) == repr(clock._moto_unix_time(dt))
    assert clock.unix_time(None) - clock._moto_unix_time(None) < 1


def test_utcnow_is_naive_utc_now():
    before = clock._moto_utcnow()
    now = clock.utcnow()
    after = clock._moto_utcnow()
    assert now.tzinfo is None and before <= now <= after


def test_every_loaded_moto_module_holds_the_replacements():
    assert utils.utcnow is clock.utcnow and utils.unix_time is clock.unix_time
    from moto.kinesis import models as kinesis

    assert kinesis.utcnow is clock.utcnow and kinesis.unix_time is clock.unix_time
    stale = [name for name, module in sys.modules.items() if name.startswith("moto.") and module is not None
             and (getattr(module, "utcnow", None) is clock._moto_utcnow
                  or getattr(module, "unix_time", None) is clock._moto_unix_time)]
    assert stale == []
