"""Python's cyclic garbage collector, set for a server whose data grows.

The emulator keeps every stream record, table item and metric a pipeline
writes, and a request allocates thousands of short-lived objects. Under
Python's default thresholds (700, 10, 10) the collector ran about 4,500
young and 15 full collections in a 20,000-order joins run; each full one
walks every object the emulator holds (the modules and models loaded at
start, then the pipeline's records and items), and the walks also pushed the
requests' working data out of the CPU caches. The collector took 10% of the
emulator's CPU by itself (`gc.callbacks`, thread time), and the emulator
used 42-44 s of CPU for the run (`bench/joins_scale.py --orders 20000`).

Set here, once the emulator is installed and before it serves:

* `gc.freeze()`: what is loaded at start (moto, botocore's models, the
  emulator's modules) moves to the permanent generation, which the collector
  never walks (what Python's documentation advises for a server before it
  forks or starts its work: "gc.freeze").
* thresholds (50,000, 20, 100): a young collection after 50,000 net new
  objects, a middle one every 20 young ones, a full one every 100 middle
  ones (Python also waits for a full collection until a quarter of the old
  objects are new, "gc.set_threshold"). Cyclic garbage is still collected:
  a request's cycles (a werkzeug request and its environment) die young and
  go with the next young collection (`emulator/tests/test_collector.py`).

Measured on the same run: 58 young, 2 middle and no full collection, 1.3 s
in the collector, 35.9 s of emulator CPU, 1,016 instead of 876 items/s.
`STREAMKIT_EMULATOR_GC=default` keeps Python's own settings."""
from __future__ import annotations

import gc
import os

THRESHOLDS = (50_000, 20, 100)


def enabled() -> bool:
    return os.environ.get("STREAMKIT_EMULATOR_GC", "tuned") != "default"


def install() -> None:
    """Freezes what is loaded and sets the thresholds (see the module); call
    it once the emulator is installed, before the server starts."""
    if not enabled():
        return
    gc.collect()  # what is garbage already is not frozen with the rest
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
