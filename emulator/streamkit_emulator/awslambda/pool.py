"""Warm execution environments per function, at most one invocation each.

`acquire` first checks the function's concurrency, then hands out an idle
environment started with the function's current configuration, or a new (not
yet started) one. Concurrency as "Lambda function scaling" and "Configuring
reserved concurrency" (Lambda Developer Guide) describe it: a function with
`ReservedConcurrentExecutions` R runs at most R invocations at once (0
throttles every invocation); the functions without a reservation share the
account's concurrency in the region (`ACCOUNT_CONCURRENCY`, 1,000 by default,
`--lambda-concurrency` to model another quota, e.g. 10 as in a new account)
minus the reservations. Over the limit `acquire` waits (asynchronous
invocations) or gives up (a throttle: 429 `TooManyRequestsException`).
Environments started with an older configuration are retired: idle ones are
killed at once, busy ones when their invocation ends. Environments that died
(crash, timeout) are dropped on release. `forget` kills everything of a
deleted function; `shutdown` everything (at exit).
"""
from __future__ import annotations

import atexit
import threading
from dataclasses import dataclass
from typing import Any

from streamkit_emulator.awslambda.env import Environment, FunctionSpec

ACCOUNT_CONCURRENCY = 1000


_unreserved_busy: dict[tuple[str, str], int] = {}  # (account, region) -> running unreserved invocations
_account_lock = threading.Lock()


class FunctionPool:
    def __init__(self, account: str = "", region: str = "") -> None:
        self.key = (account, region)
        self.cond = threading.Condition()
        self.envs: list[Environment] = []
        self.busy: set[int] = set()
        self.shared: set[int] = set()  # busy environments counted against the unreserved pool

    def acquire(self, spec: FunctionSpec, limit: "Limit", wait: bool) -> Environment | None:
        """An environment for one invocation, or None (a throttle) when the
        function is at its concurrency limit and `wait` is false."""
        with self.cond:
            while True:
                self._retire_stale(spec)
                if self._admit(limit):
                    shared = limit.reserved is None
                    env = next((e for e in self.envs
                                if id(e) not in self.busy and e.spec == spec and not e.dead), None)
                    if env is None:
                        env = Environment(spec)
                        self.envs.append(env)
                    self.busy.add(id(env))
                    if shared:
                        self.shared.add(id(env))
                    return env
                if not wait:
                    return None
                self.cond.wait(1.0)

    def _admit(self, limit: "Limit") -> bool:
        """Whether one more invocation may run now (taking its place in the
        account's unreserved pool when the function has no reservation)."""
        if limit.reserved is not None:
            return len(self.busy) < limit.reserved
        with _account_lock:
            running = _unreserved_busy.get(self.key, 0)
            if running >= limit.unreserved:
                return False
            _unreserved_busy[self.key] = running + 1
            return True

    def release(self, env: Environment) -> None:
        with self.cond:
            self.busy.discard(id(env))
            if id(env) in self.shared:
                self.shared.discard(id(env))
                with _account_lock:
                    _unreserved_busy[self.key] = max(0, _unreserved_busy.get(self.key, 0) - 1)
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
        found = _pools.get((account, region, name))
        if found is None:
            found = _pools[(account, region, name)] = FunctionPool(account, region)
        return found


@dataclass(frozen=True)
class Limit:
    """A function's concurrency: its reservation, or (None) a share of the
    account's unreserved concurrency, `unreserved` invocations at once."""

    reserved: int | None
    unreserved: int


def _reserved(fn: Any) -> int | None:
    value = getattr(fn, "reserved_concurrency", None)
    return None if value is None or value == "" else int(value)


def limit_of(fn: Any, backend: Any) -> Limit:
    """`fn`'s limit; the reservations of every function of `backend` (moto's
    Lambda backend of its account and region) come out of the account's
    concurrency."""
    reserved = _reserved(fn)
    if reserved is not None:
        return Limit(reserved, 0)
    groups = list(backend._lambdas._functions.values())  # a snapshot: other threads create functions
    taken = sum(r for r in (_reserved(g["latest"]) for g in groups if g.get("latest") is not None) if r is not None)
    return Limit(None, max(0, ACCOUNT_CONCURRENCY - taken))


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
