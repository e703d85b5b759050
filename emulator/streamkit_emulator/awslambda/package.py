"""A function's deployment package on disk, and whether this host can run it.

The zip moto stored for the function (uploaded directly or copied from S3 at
CreateFunction / UpdateFunctionCode) is unpacked once per code hash into a
private directory, with each entry's Unix mode kept (so `bootstrap` stays
executable). `check` answers, in one line naming the fix, why a function
cannot run natively here: a runtime other than `provided.al2023`, an
architecture other than the host's (configured, or read from the ELF header of
`bootstrap`), or a package without a `bootstrap`.
"""
from __future__ import annotations

import atexit
import io
import os
import platform
import shutil
import stat
import tempfile
import threading
import zipfile
from typing import Any

RUNTIME = "provided.al2023"
_ELF_MACHINES = {0x3E: "x86_64", 0xB7: "arm64"}
_root: str | None = None
_lock = threading.Lock()


class PackageError(Exception):
    """The function cannot run here; the message is one line naming the fix."""

    def __init__(self, error_type: str, message: str):
        super().__init__(message)
        self.error_type = error_type
        self.message = message


def host_arch() -> str:
    """The host's Lambda architecture name: `x86_64` or `arm64`."""
    machine = platform.machine().lower()
    return {"aarch64": "arm64", "arm64": "arm64", "amd64": "x86_64"}.get(machine, machine)


def elf_arch(path: str) -> str | None:
    """`x86_64`/`arm64` for an ELF executable, `other` for another ELF machine,
    None when the file is not ELF (e.g. a `#!` script)."""
    with open(path, "rb") as f:
        head = f.read(20)
    if len(head) < 20 or head[:4] != b"\x7fELF":
        return None
    order = "little" if head[5] == 1 else "big"
    return _ELF_MACHINES.get(int.from_bytes(head[18:20], order), "other")


def _rebuild_hint(name: str) -> str:
    return (
        f"rebuild with `streamkit build-dist --arch {host_arch()}` and deploy it again "
        f"(function {name})"
    )


def check_config(fn: Any) -> None:
    """Raises PackageError when the function's configuration cannot run here."""
    runtime = fn.run_time or ""
    if runtime != RUNTIME:
        raise PackageError(
            "Runtime.InvalidRuntime",
            f"the streamkit emulator runs only {RUNTIME} functions natively, not {runtime or 'image'} "
            f"functions: package it as a {RUNTIME} `bootstrap` with `streamkit build-dist --arch {host_arch()}` "
            f"(function {fn.function_name})",
        )
    arch = (fn.architectures or ["x86_64"])[0]
    if arch != host_arch():
        raise PackageError(
            "Runtime.InvalidEntrypoint",
            f"the function is configured for {arch} but this host runs {host_arch()}: "
            + _rebuild_hint(fn.function_name),
        )


def task_root(fn: Any) -> str:
    """The unpacked package (shared by the function's environments, read-only
    by convention); raises PackageError when it has no usable `bootstrap`."""
    digest = getattr(fn, "code_sha_256", "") or ""
    safe = "".join(c if c.isalnum() else "_" for c in digest)[:40] or "empty"
    target = os.path.join(_base(), f"{fn.function_name}-{safe}")
    with _lock:
        if not os.path.isdir(target):
            _unpack(getattr(fn, "code_bytes", b"") or b"", target, fn.function_name)
    bootstrap = os.path.join(target, "bootstrap")
    if not os.path.isfile(bootstrap):
        raise PackageError(
            "Runtime.InvalidEntrypoint",
            f"the deployment package has no `bootstrap` at its root: build it with "
            f"`streamkit build-dist --arch {host_arch()}` (function {fn.function_name})",
        )
    found = elf_arch(bootstrap)
    if found is not None and found != host_arch():
        raise PackageError(
            "Runtime.InvalidEntrypoint",
            f"bootstrap is an ELF executable for {found} but this host runs {host_arch()}: "
            + _rebuild_hint(fn.function_name),
        )
    return target


def _unpack(code: bytes, target: str, name: str) -> None:
    partial = tempfile.mkdtemp(prefix=".unpack-", dir=_base())
    try:
        with zipfile.ZipFile(io.BytesIO(code)) as archive:
            for info in archive.infolist():
                path = archive.extract(info, partial)
                mode = (info.external_attr >> 16) & 0o777
                if mode and not info.is_dir():
                    os.chmod(path, mode)
        bootstrap = os.path.join(partial, "bootstrap")
        if os.path.isfile(bootstrap):
            os.chmod(bootstrap, os.stat(bootstrap).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        os.rename(partial, target)
    except zipfile.BadZipFile:
        shutil.rmtree(partial, ignore_errors=True)
        raise PackageError(
            "Runtime.InvalidEntrypoint",
            f"the deployment package is not a zip archive: build it with "
            f"`streamkit build-dist --arch {host_arch()}` and deploy again (function {name})",
        )
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def _base() -> str:
    """`$TMPDIR/streamkit-lambda-<pid>`, removed at exit; directories left by
    emulators that were killed (their PID is gone) are removed first."""
    global _root
    if _root is None:
        tmp = tempfile.gettempdir()
        for entry in os.listdir(tmp):
            pid = entry.removeprefix("streamkit-lambda-")
            if entry.startswith("streamkit-lambda-") and pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(os.path.join(tmp, entry), ignore_errors=True)
        _root = os.path.join(tmp, f"streamkit-lambda-{os.getpid()}")
        os.makedirs(_root, mode=0o700, exist_ok=True)
        atexit.register(shutil.rmtree, _root, True)
    return _root


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
