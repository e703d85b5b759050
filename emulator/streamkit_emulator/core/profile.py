"""`--profile FILE`: where the emulator's CPU goes, per function, for the
performance work (bench/joins_scale.py --profile; BENCHMARKS.md).

Every thread runs under its own `cProfile.Profile` timed by that thread's CPU
clock (`time.thread_time`), so a thread waiting on a socket, a lock or the
GIL costs nothing and the figures add up to the process's CPU, not to wall
time. At exit (SIGTERM, as the harnesses stop the emulator) the threads'
profiles are merged into one `pstats` file: `python -m pstats FILE`."""
from __future__ import annotations

import atexit
import cProfile
import pstats
import sys
import threading
import time

_profiles: list[cProfile.Profile] = []
_lock = threading.Lock()


def _start_here() -> None:
    profile = cProfile.Profile(time.thread_time)
    with _lock:
        _profiles.append(profile)
    profile.enable()


def _thread_hook(frame, event, arg):  # type: ignore[no-untyped-def]
    # The first event of a new thread: from here on cProfile is this thread's profiler.
    sys.setprofile(None)
    _start_here()


def _dump(path: str) -> None:
    with _lock:
        profiles = list(_profiles)
    for profile in profiles:
        profile.disable()  # the calling thread's; the others stop when the process ends
    stats = None
    for profile in profiles:
        try:
            profile.create_stats()
        except Exception:  # a profile still running in another thread: its figures so far
            continue
        stats = pstats.Stats(profile) if stats is None else stats.add(profile)
    if stats is not None:
        stats.dump_stats(path)
        print(f"streamkit emulator: CPU profile written to {path} (python -m pstats {path})", file=sys.stderr)


def install(path: str) -> None:
    threading.setprofile(_thread_hook)
    _start_here()
    atexit.register(_dump, path)
