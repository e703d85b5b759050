"""Child processes that die with the emulator, even when it is SIGKILLed.

Every child (a Lambda function's `bootstrap`) is started with
`PR_SET_PDEATHSIG = SIGKILL`, so the kernel kills it when its parent goes away.
Linux sends that signal when the *thread* that forked the child ends, not the
process: children forked from a short-lived request thread would be killed
when that thread finishes. So all children are forked by one daemon thread
that lives exactly as long as the emulator (`spawn` hands the work to it).
"""
from __future__ import annotations

import ctypes
import os
import queue
import signal
import subprocess
import threading
from concurrent.futures import Future
from typing import Any

_PR_SET_PDEATHSIG = 1
_requests: "queue.Queue[tuple[dict[str, Any], Future[subprocess.Popen[bytes]]]]" = queue.Queue()
_thread: threading.Thread | None = None
_lock = threading.Lock()


def _die_with_parent(parent: int) -> Any:
    """preexec_fn: arm PDEATHSIG; exit at once if the parent is already gone."""

    def arm() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return arm


def _serve() -> None:
    while True:
        kwargs, future = _requests.get()
        if not future.set_running_or_notify_cancel():
            continue
        try:
            proc = subprocess.Popen(preexec_fn=_die_with_parent(os.getpid()), **kwargs)
        except BaseException as error:  # noqa: BLE001 - handed to the caller
            future.set_exception(error)
        else:
            future.set_result(proc)


def spawn(argv: list[str], env: dict[str, str], cwd: str) -> "subprocess.Popen[bytes]":
    """Starts `argv` (stdout and stderr merged into one pipe, stdin closed, its
    own process group) from the spawner thread; raises what Popen raises."""
    global _thread
    with _lock:
        if _thread is None:
            _thread = threading.Thread(target=_serve, name="streamkit-spawner", daemon=True)
            _thread.start()
    future: Future[subprocess.Popen[bytes]] = Future()
    _requests.put(
        (
            {
                "args": argv,
                "env": env,
                "cwd": cwd,
                "stdin": subprocess.DEVNULL,
                "stdout": subprocess.PIPE,
                "stderr": subprocess.STDOUT,
                "start_new_session": True,
                "close_fds": True,
            },
            future,
        )
    )
    return future.result()


def kill(proc: "subprocess.Popen[bytes]") -> None:
    """SIGKILLs the child's process group (the child and anything it started)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            proc.kill()
        except ProcessLookupError:
            pass
