"""Warm execution environments per function, at most one invocation each.

`acquire` hands out an idle environment started with the function's current
configuration, or a new (not yet started) one while the function is under its
concurrency limit (`ReservedConcurrentExecutions` when set, else
`ACCOUNT_CONCURRENCY`), or waits / gives up (a throttle) when it is not.
Environments started with an older configuration are retired: idle ones are
killed at once, busy ones when their invocation ends. Environments that died
(crash, timeout) are dropped on release. `forget` kills everything of a
deleted function; `shutdown` everything (at exit).
"""
from __future__ import annotations

import atexit
import threading
from typing import Any

from streamkit_emulator.awslambda.env import Environment, FunctionSpec

ACCOUNT_CONCURRENCY = 1000


class FunctionPool:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.envs: list[Environment] = []
        self.busy: set[int] = set()

    def acquire(self, spec: FunctionSpec, limit: int, wait: bool) -> Environment | None:
        with self.cond:
            while True:
                self._retire_stale(spec)
                for env in self.envs:
                    if id(env) not in self.busy and env.spec == spec and not env.dead:
                        self.busy.add(id(env))
                        return env
                if len(self.busy) < limit:
                    env = Environment(spec)
                    self.envs.append(env)
                    self.busy.add(id(env))
                    return env
                if not wait:
                    return None
                self.cond.wait(1.0)

    def release(self, env: Environment) -> None:
        with self.cond:
            self.busy.discard(id(env))
            if env.dead or env.retired:
                self.envs.remove(env)
                doomed = True
            else:
                doomed = False
            self.cond.notify_all()
        if doomed:
            env.kill()

    def concurrent(self) -> int:
        with self.cond:
            return len(self.busy)

    def kill_all(self) -> None:
        with self.cond:
            envs, self.envs = self.envs, []
            for env in envs:
                env.retired = True
        for env in envs:
            env.kill()

    def _retire_stale(self, spec: FunctionSpec) -> None:
        for env in list(self.envs):
            if env.spec == spec and not env.dead:
                continue
            env.retired = True
            if id(env) not in self.busy:
                self.envs.remove(env)
                threading.Thread(target=env.kill, daemon=True).start()


_pools: dict[tuple[str, str, str], FunctionPool] = {}
_lock = threading.Lock()


def pool(account: str, region: str, name: str) -> FunctionPool:
    with _lock:
        return _pools.setdefault((account, region, name), FunctionPool())


def limit_of(fn: Any) -> int:
    reserved = getattr(fn, "reserved_concurrency", None)
    if reserved is None or reserved == "":
        return ACCOUNT_CONCURRENCY
    return int(reserved)


def forget(account: str, region: str, name: str) -> None:
    """The function was deleted: its environments go."""
    with _lock:
        found = _pools.pop((account, region, name), None)
    if found:
        found.kill_all()


def shutdown() -> None:
    with _lock:
        pools = list(_pools.values())
        _pools.clear()
    for p in pools:
        p.kill_all()


atexit.register(shutdown)
