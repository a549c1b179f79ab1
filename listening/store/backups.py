"""Backups: three generations, each proven whole before it joins.

* A backup is taken after every import and purge, and before an import when the
  file changed since the last backup (triage, handled marks, enrichment). So the
  newest generation holds every import the store acknowledged.
* Taking one: CHECKPOINT, then the file is copied to ``<name>.bak.<pid>.tmp``
  through the descriptor the store holds (see :mod:`listening.store.files`: the
  file itself must not be opened again) and fsynced. The copy is then attached
  read-only and every value of every table is read (DuckDB checks each block's
  checksum as it loads it), and its row counts and last import are compared with
  the live store. Only a copy that passes is renamed to ``<name>.bak.1``, after
  ``.bak.2`` -> ``.bak.3`` and ``.bak.1`` -> ``.bak.2``: a damaged file never
  rotates a good backup out.
* Disk full: the space needed (the store's size) is checked first; if the copy
  still fails, its half-written file is deleted at once and the error says how
  much space is needed.
* Each generation's own ``imports`` table says which imports it holds, so a
  restore can say what it would lose.
"""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

import duckdb

from ..errors import StoreError
from . import failures
from .files import copy_into, replace_durably, sibling
from .inventory import GENERATIONS, generation_path, inspect, legacy_path
from .restore import damaged
from .sql import run

# A copy's tmp file is left over from a kill when its process is gone, or (pid reused)
# when it is older than this.
_STALE_TMP_SECONDS = 3600


def changed_since_backup(path: Path) -> bool:
    """Whether the store file differs (size or mtime) from its newest generation."""
    newest = generation_path(path, 1)
    try:
        live, backup = path.stat(), newest.stat()
    except OSError:
        return True
    return (live.st_size, live.st_mtime_ns) != (backup.st_size, backup.st_mtime_ns)


def _remove_stale_copies(path: Path) -> None:
    for stale in path.parent.glob(f"{path.name}.bak.*.tmp"):
        pid = stale.name.rsplit(".", 2)[-2]
        alive = False
        if pid.isdigit():
            try:
                os.kill(int(pid), 0)
                alive = True
            except OSError as exc:
                alive = exc.errno == errno.EPERM
        try:
            if not alive or time.time() - stale.stat().st_mtime > _STALE_TMP_SECONDS:
                stale.unlink(missing_ok=True)
        except OSError:
            pass


def take(con: duckdb.DuckDBPyConnection, path: Path, *, fd: int, live: dict[str, int],
         last_import: str | None, context: str = "") -> Path:
    """Copy the (checkpointed) store, prove the copy whole, rotate it in as ``.bak.1``.

    ``fd`` is the store's held descriptor (:func:`listening.store.files.hold`);
    ``live`` is the store's row count per table and ``last_import`` its newest
    import, read through ``con``; the copy must match them. ``context`` starts
    the error messages (e.g. "the import X was stored, but").
    """
    state = "The previous backups were kept."
    lead = f"{context} " if context else ""
    run(con, "CHECKPOINT")
    size = path.stat().st_size
    if failures.free_bytes(path.parent) < size:
        raise failures.disk_full(path, action="a backup copy", needed=size, state=state,
                                 lead=lead)
    _remove_stale_copies(path)
    tmp = sibling(path, f".bak.{os.getpid()}.tmp")
    copy_into(fd, tmp, action="a backup copy", path=path, state=state, lead=lead)
    checked = inspect(tmp, full=True, con=con)
    if not checked.whole:
        tmp.unlink(missing_ok=True)
        raise damaged(path, checked.problem, con=con, context=context, note=state,
                      found="while proving its backup copy whole")
    expected = {k: v for k, v in live.items() if k in checked.tables}
    if {k: checked.tables[k] for k in expected} != expected or checked.last_import != last_import:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"{lead}the backup copy of {path} does not match the store (rows "
                         f"{checked.tables} vs {live}); another process may have written it. "
                         f"{state} Run `listening doctor`.")
    legacy = legacy_path(path)
    if legacy.is_file() and not generation_path(path, 1).is_file():
        os.replace(legacy, generation_path(path, 1))  # listening 0.1's single backup
    for n in range(GENERATIONS - 1, 0, -1):
        older = generation_path(path, n)
        if older.is_file():
            os.replace(older, generation_path(path, n + 1))
    newest = generation_path(path, 1)
    replace_durably(tmp, newest)
    return newest
