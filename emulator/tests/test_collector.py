"""core/collector.py: the emulator's garbage-collector settings, and cyclic
garbage still collected under them ("gc.freeze", "gc.set_threshold",
Python's `gc` module documentation)."""
from __future__ import annotations

import gc

import pytest

from streamkit_emulator.core import collector


@pytest.fixture
def tuned():
    before = gc.get_threshold()
    collector.install()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


def test_what_is_loaded_is_frozen_and_the_thresholds_are_set(tuned):
    assert gc.get_threshold() == collector.THRESHOLDS
    assert gc.get_freeze_count() > 10_000  # what this process has loaded


def test_cyclic_garbage_is_still_collected(tuned):
    base = len(gc.get_objects())
    for i in range(300_000):  # a request's cycles: each object refers to itself
        cycle: dict = {"i": i}
        cycle["self"] = cycle
    grown = len(gc.get_objects()) - base
    # Without collection the 300,000 cycles would all still be tracked.
    assert grown < 3 * collector.THRESHOLDS[0], grown


def test_default_keeps_pythons_settings(monkeypatch):
    monkeypatch.setenv("STREAMKIT_EMULATOR_GC", "default")
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    collector.install()
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen
