"""Every DuckDB exception becomes one of the package's own ``StoreError``\\s.

Each says, in one sentence, what happened and what to do; the raw DuckDB message
stays in ``__cause__``. Damage is reported by :func:`damaged` (in
:mod:`listening.store.backups`), which can name the backup to restore and what it
would lose; this module only recognises the kinds of failure.
"""

from __future__ import annotations

import errno
import re
import shutil
from pathlib import Path

import duckdb

from ..errors import StoreConflictError, StoreDiskFullError, StoreError, StoreLockedError

# Words in DuckDB's messages that mean the file or its WAL is damaged (not merely locked).
_DAMAGE_MARKERS = ("corrupt", "checksum", "not a valid duckdb", "write-ahead", "replay",
                   "could not read enough bytes", "serializ")
_DISK_FULL_MARKERS = ("no space left", "disk is full", "not enough space", "disk full")


def is_lock(message: str) -> bool:
    lowered = message.lower()
    return "could not set lock" in lowered or "conflicting lock" in lowered


def is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return any(m in str(exc).lower() for m in _DISK_FULL_MARKERS)


def is_damage(message: str) -> bool:
    lowered = message.lower()
    return not is_lock(message) and any(m in lowered for m in _DAMAGE_MARKERS)


def mb(n_bytes: float) -> str:
    return f"{max(n_bytes, 0) / 2**20:,.1f} MB"


def free_bytes(folder: Path) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 0


def disk_full(path: Path, *, action: str, needed: int, state: str,
              lead: str = "") -> StoreDiskFullError:
    """The error for a write or backup that found (or would find) the disk full."""
    folder = path.parent
    available = free_bytes(folder)
    return StoreDiskFullError(
        f"{lead}the disk is full: store {path} needs about {mb(needed)} free in {folder} "
        f"for {action}, {mb(available)} are free.{' ' + state if state else ''} Free space "
        f"there (or point "
        f"LISTENING_STORE at a bigger disk), then run it again.",
        needed=int(needed), available=int(available), folder=folder)


def locked(path: Path, message: str, *, read_only: bool) -> StoreLockedError:
    pid = re.search(r"PID (\d+)", message)
    who = f" (pid {pid.group(1)})" if pid else ""
    if read_only:
        return StoreLockedError(
            f"store {path} is being written by another process{who} — wait for it to "
            f"finish or close that notebook/CLI, then open it again")
    return StoreLockedError(
        f"store {path} is in use by another process{who} — close the other notebook/CLI "
        f"or open read-only with open_store(read_only=True)")


def translate(exc: duckdb.Error, *, path: Path, action: str, needed: int = 0,
              committed: bool | None = None) -> StoreError:
    """A ``StoreError`` for a DuckDB failure that is not damage (see module docstring).

    ``committed`` is None for a read, False for a write rolled back, True for a write
    whose transaction was committed before the failure (a failed CHECKPOINT): its
    data is in the write-ahead log and the next open completes it.
    """
    message = str(exc)
    lowered = message.lower()
    state = {None: "", False: " Nothing of this write was kept.",
             True: " The write was committed to the store's log: opening the store again "
                   "completes it."}[committed]
    if is_disk_full(exc):
        return disk_full(path, action=f"this write ({action})",
                         needed=needed or path_size(path), state=state.strip())
    if is_lock(message):
        return locked(path, message, read_only=False)
    if "conflict" in lowered:
        return StoreConflictError(
            f"cannot {action}: another Store open on {path} in this process changed the "
            f"same rows at the same time.{state} Use one Store per file, then run it again.")
    if isinstance(exc, duckdb.TransactionException):
        return StoreError(f"cannot {action}: the store's transaction failed "
                          f"({message.splitlines()[0]}).{state} Run it again; "
                          f"`listening doctor` checks the store.")
    if isinstance(exc, duckdb.OutOfMemoryException) or "out of memory" in lowered:
        return StoreError(f"ran out of memory to {action} in store {path}.{state} Close "
                          f"other notebooks, or import the files in smaller batches.")
    if "invalidated" in lowered or isinstance(exc, duckdb.FatalException):
        return StoreError(f"store {path} stopped after an earlier failure and cannot {action}."
                          f"{state} Close it (store.close()) and open it again; "
                          f"`listening doctor` checks it.")
    if isinstance(exc, duckdb.IOException) or "permission denied" in lowered:
        return StoreError(f"cannot {action}: the store file {path} could not be read or "
                          f"written ({message.splitlines()[0]}).{state} Check the file's "
                          f"permissions and that its disk is mounted read-write.")
    return StoreError(f"cannot {action} in store {path}: DuckDB failed "
                      f"({message.splitlines()[0] if message else type(exc).__name__})."
                      f"{state} `listening doctor` checks the store.")


def path_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
