"""A retention purge that erases: rebuild the store and its backups without the purged rows.

Deleting rows leaves their bytes in DuckDB's free blocks, so a purge instead
copies what it keeps into a new file and swaps it in:

1. ``<name>.purge.json`` records the purge (its id and cutoff), fsynced;
2. every declared table (:func:`listening.store.tables.all_tables`) is copied into
   ``<name>.purge.tmp`` through its ``keep`` condition, with the purge's audit row;
   the copy is fsynced and read back whole (every value of every table);
3. the store is closed and the copy renamed over it (atomic), then reopened;
4. each backup generation is rebuilt the same way (one that cannot be read is
   deleted), the legacy ``.bak`` and the third generation are deleted, a fresh
   backup of the purged store becomes generation 1;
5. ``<name>.damaged-*`` copies (kept by a restore) and leftover temporary files
   are deleted, and the journal is removed.

Killed at any point, the store is either as before or purged, never a mix:
opening it read-write with the journal present rolls an unfinished step 2 back
(nothing was purged: run the purge again) or, once step 3 is done, finishes
steps 4-5.
"""

from __future__ import annotations

import dataclasses
import glob
import json
import os
import warnings
from pathlib import Path

import duckdb
import pandas as pd

from ..errors import OptionError, StoreError
from ..windows import parse_duration
from . import audit, failures, inventory, tables
from .files import existing_columns, fsync_file, replace_durably, sibling, wal_path
from .sql import now, quote, run

# Default retention: one year, as issue 10 names it (`purge --older-than 365d`).
DEFAULT_RETENTION = "365D"
_TARGET = "_rebuilt"
_SOURCE = "_source"


@dataclasses.dataclass(frozen=True)
class PurgeResult:
    """What a purge removed (or, with ``dry_run``, would remove).

    ``removed`` maps each table to its rows that go; ``backups`` lists the backup
    generations rebuilt without them, ``deleted_files`` the files deleted
    (unreadable or legacy backups, ``.damaged-*`` copies, leftovers).
    """

    cutoff: pd.Timestamp
    removed: dict
    backups: tuple[Path, ...] = ()
    deleted_files: tuple[Path, ...] = ()
    import_id: str | None = None
    dry_run: bool = False

    @property
    def mentions(self) -> int:
        return int(self.removed.get("mentions", 0))

    def __str__(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        rows = ", ".join(f"{n:,} {table}" for table, n in self.removed.items() if n)
        files = ""
        if self.backups:
            files += (f"; {'would rebuild' if self.dry_run else 'rebuilt'} "
                      f"{len(self.backups)} backup(s)")
        if self.deleted_files:
            files += (f"; {'would delete' if self.dry_run else 'deleted'} "
                      + ", ".join(p.name for p in self.deleted_files))
        return (f"purge of mentions before {self.cutoff:%Y-%m-%d %H:%M} UTC {verb} "
                f"{rows or 'nothing'}{files}")


def journal_path(path: Path) -> Path:
    return sibling(path, ".purge.json")


def cutoff_for(older_than) -> tuple[pd.Timedelta, pd.Timestamp, pd.Timestamp]:
    delta = parse_duration(older_than, name="older_than")
    if delta is None:
        raise OptionError(f"older_than={older_than!r} must be a positive duration such as "
                          f"'365D' or '90D'", name="older_than", value=older_than)
    started = now()
    return delta, started, started - delta


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _keep(table, database: str) -> str:
    return table.keep.replace("{src}", quote(database))


def _params(table, cutoff) -> dict | None:
    return {"cutoff": cutoff} if "$cutoff" in table.keep else None


def _tables_in(con: duckdb.DuckDBPyConnection, database: str) -> set[str]:
    return {r[0] for r in run(con, "SELECT table_name FROM duckdb_tables() WHERE "
                                   "database_name = $db", {"db": database})}


def _counts(con: duckdb.DuckDBPyConnection, database: str, cutoff) -> dict[str, tuple]:
    """``table -> (rows, rows kept)`` for every declared table present in ``database``."""
    present = _tables_in(con, database)
    out = {}
    for table in tables.all_tables():
        if table.name in present:
            row = run(con, f"SELECT count(*), count(*) FILTER (WHERE coalesce(("
                           f"{_keep(table, database)}), false)) FROM "
                           f"{quote(database)}.{table.name}", _params(table, cutoff))[0]
            out[table.name] = (int(row[0]), int(row[1]))
    return out


def _leftovers(path: Path) -> list[Path]:
    """Files that may hold purged rows besides the store and its generations."""
    name = glob.escape(path.name)
    found = set(path.parent.glob(f"{name}.damaged-*"))
    for pattern in (f"{name}*.purge.tmp*", f"{name}.bak.*.tmp", f"{name}.restore.tmp"):
        found.update(path.parent.glob(pattern))
    return sorted(found)


def plan(store, older_than=DEFAULT_RETENTION) -> PurgeResult:
    """What :func:`purge` would remove; nothing changes."""
    _, _, cutoff = cutoff_for(older_than)
    con = store._connection()
    counts = store._guard("plan the purge", lambda: _counts(
        con, run(con, "SELECT current_database()")[0][0], cutoff))
    removed = {t: n - k for t, (n, k) in counts.items()}
    if not any(removed.values()):  # the generations hold nothing older either
        return PurgeResult(cutoff, removed, (), tuple(_leftovers(store.path)), dry_run=True)
    dropped = [g for g in inventory.generations(store.path) if _falls_off(store.path, g)]
    kept = [g for g in inventory.generations(store.path) if g not in dropped]
    return PurgeResult(cutoff, removed, tuple(kept), tuple(dropped + _leftovers(store.path)),
                       dry_run=True)


def rebuild(con: duckdb.DuckDBPyConnection, *, source: str, target: Path, cutoff,
            purge_row: dict) -> dict[str, int]:
    """Copy the kept rows of every table of ``source`` (a catalog) into a new file ``target``.

    Returns the rows per table written; the file is fsynced and closed.
    """
    for leftover in (target, wal_path(target)):
        leftover.unlink(missing_ok=True)
    run(con, f"ATTACH {_literal(target)} AS {_TARGET}")
    try:
        run(con, "BEGIN TRANSACTION")
        present = _tables_in(con, source)
        for table in tables.all_tables():
            run(con, table.ddl(_TARGET))
            if table.name not in present:
                continue
            declared = set(table.column_names)
            have = existing_columns(con, table.name, database=source)
            for name, data_type in have:
                if name not in declared:  # enrichment's rule_* columns and the like
                    run(con, f"ALTER TABLE {_TARGET}.{table.name} ADD COLUMN {quote(name)} "
                             f"{data_type}")
            names = ", ".join(quote(n) for n, _ in have)
            run(con, f"INSERT INTO {_TARGET}.{table.name} ({names}) SELECT {names} FROM "
                     f"{quote(source)}.{table.name} WHERE {_keep(table, source)}",
                _params(table, cutoff))
        audit.insert_import_row(con, database=_TARGET, **purge_row)
        written = {t.name: int(run(con, f"SELECT count(*) FROM {_TARGET}.{t.name}")[0][0])
                   for t in tables.all_tables()}
        run(con, "COMMIT")
    except BaseException:
        try:
            run(con, "ROLLBACK")
        except duckdb.Error:
            pass
        raise
    finally:
        run(con, f"DETACH {_TARGET}")
    fsync_file(target)
    return written


def _check_rebuilt(con, target: Path, written: dict[str, int], *, action: str) -> None:
    checked = inventory.inspect(target, full=True, con=con)
    if not checked.whole or any(checked.tables.get(t) != n for t, n in written.items()):
        target.unlink(missing_ok=True)
        raise StoreError(f"could not {action}: the rebuilt copy did not read back whole "
                         f"({checked.problem or checked.tables}); nothing was purged from it. "
                         f"Run `listening doctor`, then the purge again.")


def purge(store, older_than=DEFAULT_RETENTION) -> PurgeResult:
    """Erase mentions older than ``now - older_than`` and everything about them (module doc)."""
    con = store._require_writable("purge mentions")
    delta, started, cutoff = cutoff_for(older_than)
    database = store._guard("plan the purge",
                            lambda: run(con, "SELECT current_database()")[0][0])
    counts = store._guard("plan the purge", lambda: _counts(con, database, cutoff))
    removed = {t: n - k for t, (n, k) in counts.items()}
    purge_id = audit.new_import_id(started, "purge")
    row = {"import_id": purge_id, "kind": "purge", "files": [], "sha256": [], "read": 0,
           "loaded": 0, "rejected": 0, "duplicates": 0, "deleted": removed.get("mentions", 0),
           "started": started, "note": f"older_than={delta}; cutoff={cutoff.isoformat()}"}
    if not any(removed.values()):
        # Nothing is older than the cutoff, in the store or (so) in its backups: record
        # the purge, delete leftovers that may hold older rows, no rebuild.
        store._write("record the purge", lambda con: audit.insert_import_row(con, **row))
        deleted = _leftovers(store.path)
        for leftover in deleted:
            leftover.unlink(missing_ok=True)
        store._backup(context="the purge is recorded, but")
        return PurgeResult(cutoff, removed, (), tuple(deleted), import_id=purge_id)
    size = store.path.stat().st_size
    # the rebuilt store, then the backup of it; the generations are rebuilt one at a time
    needed = 2 * size
    if failures.free_bytes(store.path.parent) < needed:
        raise failures.disk_full(store.path, action="the purge's rebuilt copy and its backup",
                                 needed=needed, state="Nothing was purged.")
    from tqdm.auto import tqdm

    # steps: copy the store, read it back, each backup generation, the new backup
    bar = tqdm(total=3 + len(inventory.generations(store.path)), desc="purge", unit="step",
               disable=None, leave=False)
    journal = journal_path(store.path)
    tmp_journal = sibling(journal, ".tmp")
    tmp_journal.write_text(json.dumps({"import_id": purge_id, "cutoff": cutoff.isoformat(),
                                       "row": {**row, "started": started.isoformat()}}))
    fsync_file(tmp_journal)
    replace_durably(tmp_journal, journal)
    target = sibling(store.path, ".purge.tmp")
    try:
        written = store._guard("purge mentions", lambda: rebuild(
            con, source=database, target=target, cutoff=cutoff, purge_row=row),
            needed=size)
        bar.update()
        _check_rebuilt(con, target, written, action="purge mentions")
        bar.update()
    except BaseException:
        bar.close()
        _roll_back(store.path)
        raise
    try:
        store._swap_in(target)
        return store._guard("finish the purge (its backups)",
                            lambda: _finish(store, purge_id, cutoff, row, removed, bar=bar))
    finally:
        bar.close()


def _finish(store, purge_id: str, cutoff, row: dict, removed: dict, *,
            bar=None) -> PurgeResult:
    """Steps 4-5: backups rebuilt, leftovers deleted, journal removed.

    A generation that cannot be read or rebuilt is deleted: it cannot be cleaned.
    """
    path = store.path
    con = store._connection()
    rebuilt, deleted = [], []
    for generation in inventory.generations(path):
        if bar is not None:
            bar.update()
        if purge_id in inventory.inspect(generation, full=False, con=con).imports:
            rebuilt.append(generation)  # done before an interruption
            continue
        if _falls_off(path, generation):  # rotated out by the backup below: delete it now
            generation.unlink()
            deleted.append(generation)
            continue
        try:
            _rebuild_generation(con, generation, cutoff=cutoff, purge_row=row)
        except (duckdb.Error, StoreError, OSError):
            # unreadable or not rebuildable: it cannot be cleaned, so it goes
            sibling(generation, ".purge.tmp").unlink(missing_ok=True)
            generation.unlink()
            deleted.append(generation)
            continue
        rebuilt.append(generation)
    store._backup(context="the purge is done, but", only_if_changed=True)
    if bar is not None:
        bar.update()
    for leftover in _leftovers(path):
        leftover.unlink(missing_ok=True)
        deleted.append(leftover)
    journal_path(path).unlink(missing_ok=True)
    return PurgeResult(cutoff, removed, tuple(rebuilt), tuple(deleted), import_id=purge_id)


def _rebuild_generation(con, generation: Path, *, cutoff, purge_row: dict) -> None:
    """Rebuild one backup generation without the purged rows, keeping its mtime (taken)."""
    target = sibling(generation, ".purge.tmp")
    run(con, f"ATTACH {_literal(generation)} AS {_SOURCE} (READ_ONLY)")
    try:
        written = rebuild(con, source=_SOURCE, target=target, cutoff=cutoff,
                          purge_row=purge_row)
    finally:
        run(con, f"DETACH {_SOURCE}")
    _check_rebuilt(con, target, written, action="rebuild backup " + generation.name)
    taken = generation.stat()
    os.utime(target, ns=(taken.st_atime_ns, taken.st_mtime_ns))
    replace_durably(target, generation)


def _roll_back(path: Path) -> None:
    for leftover in path.parent.glob(f"{glob.escape(path.name)}.purge.tmp*"):
        leftover.unlink(missing_ok=True)
    journal_path(path).unlink(missing_ok=True)


def resume(store) -> PurgeResult | None:
    """Finish or roll back a purge that was interrupted (see the module docstring)."""
    journal = journal_path(store.path)
    if store.read_only:
        return None
    # a journal being written when the purge was killed: nothing else had changed yet
    sibling(journal, ".tmp").unlink(missing_ok=True)
    if not journal.is_file():
        return None
    try:
        record = json.loads(journal.read_text("utf-8"))
        purge_id, cutoff = record["import_id"], pd.Timestamp(record["cutoff"])
        row = {**record["row"], "started": pd.Timestamp(record["row"]["started"])}
    except (OSError, ValueError, KeyError, TypeError):
        record = None
    done = record is not None and bool(store._read(
        "SELECT 1 FROM imports WHERE import_id = $id", {"id": purge_id}).num_rows)
    if not done:
        _roll_back(store.path)
        warnings.warn(f"store {store.path}: a purge was interrupted before the store was "
                      f"replaced; it was rolled back, nothing was purged. Run it again.",
                      UserWarning, stacklevel=4)
        return None
    removed = {"mentions": int(row.get("deleted", 0))}
    result = store._guard("finish the interrupted purge",
                          lambda: _finish(store, purge_id, cutoff, row, removed))
    warnings.warn(f"store {store.path}: finished a purge that was interrupted after the "
                  f"store was purged ({result}).", UserWarning, stacklevel=4)
    return result


def _falls_off(path: Path, generation: Path) -> bool:
    """The legacy ``.bak`` and the oldest generation leave at the purge's own backup."""
    return generation in (inventory.legacy_path(path),
                          inventory.generation_path(path, inventory.GENERATIONS))
