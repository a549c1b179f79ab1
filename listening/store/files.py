"""File safety: where the store lives, opening it (lock, schema, damage check), durable renames.

DuckDB's file lock is a POSIX ``fcntl`` lock, which the kernel drops as soon as the
process holding it closes *any* descriptor of the file. So nothing in this process
may open and close the database file (to copy or hash it) while a ``Store`` holds
it. Instead a read-write ``Store`` takes one read-only descriptor when it opens
(:func:`hold`) and backups copy through it; it is closed only after DuckDB's
connection (:func:`release`), counted per file so that two ``Store`` objects on one
file in one process cannot drop the other's lock.
"""

from __future__ import annotations

import errno
import os
import tomllib
from pathlib import Path

import duckdb

from ..errors import StoreError
from . import failures, tables
from .sql import quote, run

STORE_ENV = "LISTENING_STORE"
STORE_FILENAME = "listening.duckdb"
_CHUNK = 8 << 20  # bytes per copy step


def default_store_path() -> Path:
    """The store used when ``open_store`` gets no path (see :mod:`listening.store`)."""
    env = os.environ.get(STORE_ENV)
    if env:
        return Path(env).expanduser()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                name = tomllib.loads(pyproject.read_text("utf-8")).get("project", {}).get("name")
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                name = None
            if name == "listening":
                return folder / "data" / STORE_FILENAME
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "listening" / STORE_FILENAME


def sibling(path: Path, suffix: str) -> Path:
    """``<name><suffix>`` beside the store (``.wal``, ``.bak.1``, ``.purge.json``...)."""
    return path.with_name(path.name + suffix)


def wal_path(path: Path) -> Path:
    return sibling(path, ".wal")


_HELD: dict[Path, list[int]] = {}  # store file -> [descriptor, number of holders]


def hold(path: Path) -> int:
    """A read-only descriptor of the (open) store file, kept until :func:`release`."""
    held = _HELD.get(path)
    if held is None:
        try:
            held = _HELD[path] = [os.open(path, os.O_RDONLY), 0]
        except OSError as exc:
            raise StoreError(f"cannot read store file {path} ({exc.strerror}); check its "
                             f"permissions") from exc
    held[1] += 1
    return held[0]


def release(path: Path) -> None:
    """Give back a :func:`hold`; the last holder closes the descriptor (after DuckDB)."""
    held = _HELD.get(path)
    if held is None:
        return
    held[1] -= 1
    if held[1] <= 0:
        del _HELD[path]
        os.close(held[0])


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def fsync_dir(folder: Path) -> None:
    """Make renames in ``folder`` durable (a rename is atomic, not durable, until then)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a directory; the rename stays atomic
    finally:
        os.close(fd)


def replace_durably(source: Path, target: Path) -> None:
    """Rename ``source`` over ``target`` atomically and make it survive a power cut."""
    os.replace(source, target)
    fsync_dir(target.parent)


def copy_into(source: int, tmp: Path, *, action: str, path: Path, state: str,
              lead: str = "") -> None:
    """Copy the file open as descriptor ``source`` to ``tmp``, fsynced, with its mtime.

    On failure ``tmp`` is deleted at once; a full disk raises StoreDiskFullError.
    """
    info = os.fstat(source)
    try:
        out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, info.st_mode & 0o777)
    except OSError as exc:
        raise _copy_failed(exc, action=action, path=path, state=state, tmp=tmp,
                           lead=lead) from exc
    try:
        offset, in_kernel = 0, hasattr(os, "copy_file_range")  # Linux; elsewhere pread
        while offset < info.st_size:
            length = min(_CHUNK, info.st_size - offset)
            done = 0
            if in_kernel:
                try:
                    done = os.copy_file_range(source, out, length, offset)
                except OSError as exc:
                    if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL,
                                         errno.EOPNOTSUPP):
                        raise
                    in_kernel = False
            if not in_kernel:
                done = os.write(out, os.pread(source, length, offset))
            if done == 0:
                break
            offset += done
        os.fsync(out)
    except OSError as exc:
        os.close(out)
        tmp.unlink(missing_ok=True)
        raise _copy_failed(exc, action=action, path=path, state=state, tmp=tmp,
                           lead=lead) from exc
    except BaseException:
        os.close(out)
        tmp.unlink(missing_ok=True)
        raise
    os.close(out)
    os.utime(tmp, ns=(info.st_atime_ns, info.st_mtime_ns))


def _copy_failed(exc: OSError, *, action: str, path: Path, state: str, tmp: Path,
                 lead: str) -> StoreError:
    if failures.is_disk_full(exc):
        return failures.disk_full(path, action=action, needed=failures.path_size(path),
                                  state=state, lead=lead)
    return StoreError(f"{lead}writing {tmp} for {action} of store {path} failed "
                      f"({exc.strerror or exc}). {state} Check the folder's permissions.")


def connect(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file; raise StoreLockedError/StoreError, or duckdb.Error on damage."""
    if read_only and not path.is_file():
        raise StoreError(f"no store at {path}; create it by opening it read-write once "
                         f"(open_store({str(path)!r})) or check the path")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        message = str(exc)
        if failures.is_lock(message):
            raise failures.locked(path, message, read_only=read_only) from exc
        if "different configuration" in message.lower():
            from ..errors import StoreLockedError

            raise StoreLockedError(
                f"store {path} is already open in this process with "
                f"read_only={not read_only}; close() that Store first") from exc
        if failures.is_damage(message):
            raise
        raise failures.translate(exc, path=path, action="open the store") from exc
    try:
        opened = run(con, "SELECT path FROM duckdb_databases() WHERE database_name = "
                          "current_database()")
    except duckdb.Error:
        con.close()
        raise
    if not opened or opened[0][0] is None or Path(opened[0][0]).resolve() != path:
        con.close()  # DuckDB opened something else (e.g. an existing .csv file in memory)
        raise StoreError(f"{path} is not a DuckDB database; check the path (a store is a "
                         f".duckdb file made by open_store)")
    return con


def existing_columns(con: duckdb.DuckDBPyConnection, table: str,
                     database: str | None = None) -> list[tuple[str, str]]:
    """``(name, data_type)`` of a table's columns as stored, in order."""
    where = "database_name = current_database()" if database is None else "database_name = $db"
    params = {"table": table} if database is None else {"table": table, "db": database}
    return [(r[0], r[1]) for r in run(
        con, f"SELECT column_name, data_type FROM duckdb_columns() WHERE {where} AND "
             f"schema_name = 'main' AND table_name = $table ORDER BY column_index", params)]


def prepare(con: duckdb.DuckDBPyConnection, *, read_only: bool) -> None:
    """Set UTC; when writable, create missing tables and add missing (nullable) columns."""
    run(con, "SET TimeZone = 'UTC'")
    if read_only:
        return
    have: dict[str, set[str]] = {}
    for table, column in run(con, "SELECT table_name, column_name FROM duckdb_columns() "
                                  "WHERE database_name = current_database() AND "
                                  "schema_name = 'main'"):
        have.setdefault(table, set()).add(column)
    statements = []
    for table in tables.all_tables():
        if table.name not in have:
            statements.append(table.ddl())
            continue
        statements += [f"ALTER TABLE {table.name} ADD COLUMN {quote(c.name)} {c.sql_type}"
                       for c in table.columns if c.name not in have[table.name]]
        # (a column declared since the store was made: nullable, so old rows fit)
    if not statements and have.get("settings"):
        return
    run(con, "BEGIN TRANSACTION")
    for statement in statements:
        run(con, statement)
    if not run(con, "SELECT 1 FROM settings WHERE key = 'schema_version'"):
        run(con, "INSERT INTO settings VALUES ('schema_version', ?)",
            [str(tables.SCHEMA_VERSION).encode()])
    run(con, "COMMIT")
    run(con, "CHECKPOINT")


def health(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, int], str | None]:
    """Each table's row count and the last import: a cheap read that finds most damage.

    Raises ``duckdb.CatalogException`` when a table is missing (not a store) and
    another ``duckdb.Error`` when the file cannot be read.
    """
    present = {r[0] for r in run(con, "SELECT table_name FROM duckdb_tables() WHERE "
                                      "database_name = current_database()")}
    names = [t.name for t in tables.all_tables()
             if t.name in present or t.name in ("mentions", "imports")]
    counts = run(con, " UNION ALL ".join(f"SELECT '{n}', count(*) FROM {n}" for n in names))
    last = run(con, "SELECT import_id FROM imports ORDER BY started DESC, import_id DESC "
                    "LIMIT 1")
    return {n: int(c) for n, c in counts}, (last[0][0] if last else None)
