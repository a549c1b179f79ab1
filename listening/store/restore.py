"""Damage told with its remedy, and restore: which backup, and which imports it loses."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import duckdb
import pandas as pd

from ..errors import StoreDamagedError, StoreError, StoreLockedError
from . import failures
from .files import copy_into, fsync_dir, replace_durably, sibling, wal_path
from .inventory import (
    describe_loss,
    first_line,
    generation_path,
    inspect,
    lost_by_restoring,
    newest_whole,
    store_imports,
    when,
)
from .sql import now


def restore_command(path: Path) -> str:
    return (f"`listening --store '{path}' doctor --restore` (in Python: "
            f"listening.store.restore_backup({str(path)!r}))")


def damaged(path: Path, problem: object, *, con: duckdb.DuckDBPyConnection | None = None,
            context: str = "", found: str = "",
            note: str = "Nothing was changed.") -> StoreDamagedError:
    """The error for a damaged store: what, the newest whole backup, what it loses, the command."""
    reason = problem if isinstance(problem, str) else first_line(problem)
    wal = wal_path(path)
    if "wal" in reason.lower() or "write-ahead" in reason.lower():
        interrupted = (when(pd.Timestamp(wal.stat().st_mtime_ns, unit="ns", tz="UTC"))
                       if wal.is_file() else "?")
        what = (f"its write-ahead log {wal} cannot be replayed (a write interrupted at "
                f"{interrupted}): {reason}")
    else:
        what = reason
    lead = f"{context} " if context else ""
    backup = newest_whole(path)
    if backup is None:
        advice = (f"No whole backup exists: move {path} aside (keep it: it may be repaired) "
                  f"and load the source files again into a new store.")
        lost = None
    else:
        lost = lost_by_restoring(store_imports(path, con) if con is not None
                                 else _imports_if_openable(path), backup)
        advice = (f"The newest whole backup is {backup.path.name} (taken {when(backup.taken)}, "
                  f"{len(backup.imports)} imports, {backup.tables.get('mentions', 0):,} "
                  f"mentions); {describe_loss(lost, backup)}. Close the store, then restore "
                  f"it with {restore_command(path)}.")
    where = f" {found}" if found else ""
    return StoreDamagedError(f"{lead}store {path} is damaged (found{where}): {what}. "
                             f"{note} {advice}",
                             path=path, backup=None if backup is None else backup.path,
                             lost=lost)


def _imports_if_openable(path: Path) -> tuple | None:
    try:
        return store_imports(path)
    except StoreError:
        return None


@dataclasses.dataclass(frozen=True)
class RestoreResult:
    """What :func:`restore_backup` did."""

    path: Path
    restored_from: Path
    damaged: Path | None
    backup_imports: tuple[str, ...]
    lost: tuple[str, ...] | None
    dry_run: bool = False

    def __str__(self) -> str:
        kept = f"; the replaced file was kept as {self.damaged}" if self.damaged else ""
        lose = "would lose" if self.dry_run else "lost"
        if self.lost is None:
            loss = (f"the store's audit log cannot be read: imports finished after the "
                    f"backup was taken {'would be' if self.dry_run else 'are'} lost")
        elif self.lost:
            loss = f"{lose} {len(self.lost)} import(s): {', '.join(self.lost)}; re-run them"
        else:
            loss = f"{lose} no import the store recorded"
        verb = "restoring" if self.dry_run else "restored"
        return (f"{verb} {self.path} from {self.restored_from.name} "
                f"({len(self.backup_imports)} imports): {loss}{kept}")


def restore(path: str | os.PathLike, *, generation: int | None = None,
            dry_run: bool = False) -> RestoreResult:
    """Replace the store with a backup generation; say which imports that loses.

    The store must not be open. ``generation`` (1 = newest) defaults to the newest
    generation that reads back whole. The replaced file and its write-ahead log
    are kept as ``<name>.damaged-<UTC time>`` (delete them once inspected; a purge
    deletes them). ``dry_run=True`` only says what a restore would do.
    """
    path = Path(path).expanduser().resolve()
    if generation is not None:
        chosen = inspect(generation_path(path, int(generation)), full=True)
        if not chosen.whole:
            raise StoreError(f"backup generation {generation} of {path} cannot be restored: "
                             f"{chosen.problem or 'missing'}; `listening doctor` lists them")
    else:
        chosen = newest_whole(path)
        if chosen is None:
            raise StoreError(f"no whole backup of {path} to restore from; `listening doctor` "
                             f"lists the backups and what is wrong with each")
    current = None
    if path.exists():
        try:
            con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as exc:
            if failures.is_lock(str(exc)) or "different configuration" in str(exc).lower():
                raise StoreLockedError(f"store {path} is open (here or in another process); "
                                       f"close it before restoring a backup") from exc
        else:
            try:
                current = store_imports(path, con)
            finally:
                con.close()
    lost = lost_by_restoring(current, chosen) if path.exists() else ()
    if dry_run:
        return RestoreResult(path, chosen.path, None, chosen.imports, lost, dry_run=True)
    kept = None
    if path.exists():
        stamp = now().strftime("%Y%m%dT%H%M%S%fZ")
        kept = sibling(path, f".damaged-{stamp}")
        os.replace(path, kept)
        wal = wal_path(path)
        if wal.exists():
            os.replace(wal, sibling(kept, ".wal"))
    tmp = sibling(path, ".restore.tmp")
    source = os.open(chosen.path, os.O_RDONLY)
    try:
        copy_into(source, tmp, action="restoring a backup", path=path,
                  state=f"The store file was moved to {kept}; move it back to undo.")
    finally:
        os.close(source)
    os.utime(tmp)  # a restored store is a change since its backups
    replace_durably(tmp, path)
    fsync_dir(path.parent)
    return RestoreResult(path, chosen.path, kept, chosen.imports, lost)
