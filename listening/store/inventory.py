"""What a store file or backup holds, read back from it: the base of backups and doctor.

A file is read back by attaching it read-only to a DuckDB connection and reading
every value of every table (``hash()`` needs each value, so DuckDB loads every
block and checks its checksum), then its audit log: the import ids it holds.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import pandas as pd

from .files import sibling
from .sql import quote, run

GENERATIONS = 3
_INSPECTED = "_inspected"


@dataclasses.dataclass(frozen=True)
class Inventory:
    """What a store file or backup holds, as read back from it.

    ``whole`` is True when every value of every table was read without error
    (``full=True``) or the row counts and last import were (``full=False``).
    """

    path: Path
    whole: bool
    problem: str = ""
    taken: pd.Timestamp | None = None
    size: int = 0
    tables: dict = dataclasses.field(default_factory=dict)
    imports: tuple[str, ...] = ()
    last_import: str | None = None
    last_finished: pd.Timestamp | None = None


def generation_path(path: Path, n: int) -> Path:
    return sibling(path, f".bak.{n}")


def legacy_path(path: Path) -> Path:
    """The single ``<name>.bak`` kept by listening 0.1; listed and purged like a generation."""
    return sibling(path, ".bak")


def generations(path: Path) -> list[Path]:
    """Backup files that exist, newest first (the legacy ``.bak`` last)."""
    found = [generation_path(path, n) for n in range(1, GENERATIONS + 1)]
    found.append(legacy_path(path))
    return [p for p in found if p.is_file()]


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def inspect(path: Path, *, full: bool = True,
            con: duckdb.DuckDBPyConnection | None = None) -> Inventory:
    """Attach ``path`` read-only and read it back (see :class:`Inventory`).

    ``con`` is a connection to attach it to (the store's own, or one shared by
    several checks); default: a new in-memory one, which costs a DuckDB start.
    """
    try:
        state = path.stat()
    except OSError as exc:
        return Inventory(path, False, problem=f"cannot be read ({exc.strerror})")
    taken = pd.Timestamp(state.st_mtime_ns, unit="ns", tz="UTC").floor("s")
    own = con is None
    con = duckdb.connect() if own else con
    try:
        try:
            run(con, f"ATTACH {_literal(path)} AS {_INSPECTED} (READ_ONLY)")
        except duckdb.Error as exc:
            return Inventory(path, False, problem=first_line(exc), taken=taken,
                             size=state.st_size)
        try:
            return _read_back(path, con, full=full, taken=taken, size=state.st_size)
        except duckdb.Error as exc:
            return Inventory(path, False, problem=first_line(exc), taken=taken,
                             size=state.st_size)
        finally:
            try:
                run(con, f"DETACH {_INSPECTED}")
            except duckdb.Error:
                pass  # the connection failed with the file: nothing stays attached to it
    finally:
        if own:
            con.close()


def _read_back(path: Path, con, *, full: bool, taken, size: int) -> Inventory:
    columns: dict[str, list[str]] = {}
    for table, column in run(con, "SELECT table_name, column_name FROM duckdb_columns() "
                                  "WHERE database_name = $db AND schema_name = 'main' "
                                  "ORDER BY table_name, column_index", {"db": _INSPECTED}):
        columns.setdefault(table, []).append(column)
    if "imports" not in columns:
        return Inventory(path, False, problem="not a listening store (no imports table)",
                         taken=taken, size=size)
    tables = {}
    for name, names in sorted(columns.items()):
        # hash() needs every value, so every block is loaded and its checksum checked
        reads = "".join(f", bit_xor(hash({quote(c)}))" for c in names) if full else ""
        tables[name] = int(run(con, f"SELECT count(*){reads} FROM "
                                    f"{_INSPECTED}.main.{quote(name)}")[0][0])
    rows = run(con, f"SELECT import_id, finished FROM {_INSPECTED}.main.imports "
                    f"ORDER BY started, import_id")
    imports = tuple(r[0] for r in rows)
    return Inventory(path, True, taken=taken, size=size, tables=tables, imports=imports,
                     last_import=imports[-1] if imports else None,
                     last_finished=pd.Timestamp(rows[-1][1]) if rows else None)


def when(moment: pd.Timestamp | None) -> str:
    """A UTC time as people read it in messages: ``2026-11-02 14:05:09 UTC``."""
    if moment is None:
        return "?"
    return f"{pd.Timestamp(moment).tz_convert('UTC'):%Y-%m-%d %H:%M:%S} UTC"


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def newest_whole(path: Path) -> Inventory | None:
    found = generations(path)
    if not found:
        return None
    with duckdb.connect() as con:
        for candidate in found:
            checked = inspect(candidate, full=True, con=con)
            if checked.whole:
                return checked
    return None


def store_imports(path: Path, con: duckdb.DuckDBPyConnection | None = None) -> tuple | None:
    """The import ids a (possibly damaged) store records, or None if they cannot be read."""
    try:
        if con is None:
            con = duckdb.connect(str(path), read_only=True)
            try:
                return tuple(r[0] for r in run(con, "SELECT import_id FROM imports ORDER BY "
                                                    "started, import_id"))
            finally:
                con.close()
        return tuple(r[0] for r in run(con, "SELECT import_id FROM imports ORDER BY started, "
                                            "import_id"))
    except duckdb.Error:
        return None


def lost_by_restoring(store: tuple | None, backup: Inventory) -> tuple[str, ...] | None:
    if store is None:
        return None
    held = set(backup.imports)
    return tuple(i for i in store if i not in held)


def describe_loss(lost: tuple | None, backup: Inventory) -> str:
    if lost is None:
        return (f"the damaged file's own audit log cannot be read, so imports finished after "
                f"{when(backup.last_finished or backup.taken)} (if any) would be lost")
    if not lost:
        return "it holds every import the store recorded"
    shown = ", ".join(lost[:5]) + (f" and {len(lost) - 5} more" if len(lost) > 5 else "")
    return f"restoring it loses {len(lost)} import(s): {shown}"
