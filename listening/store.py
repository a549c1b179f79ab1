"""The mention store: one DuckDB file holding every mention loaded, with its audit trail.

>>> import listening as ls
>>> with ls.open_store("demo.duckdb") as store:            # doctest: +SKIP
...     result = store.add(frame, report)                  # idempotent, atomic
...     recent = store.mentions(since="7D", platform=["x", "reddit"], query='"road closure"')

Where the store lives
---------------------
``open_store()`` without a path picks, in this order:

1. the ``LISTENING_STORE`` environment variable (a file path);
2. ``<project>/data/listening.duckdb``, where ``<project>`` is the nearest folder,
   walking up from the current directory, whose ``pyproject.toml`` declares
   ``name = "listening"``. Walking up means a notebook run from ``notebooks/``
   finds the same store as the CLI run from the project root; a plain relative
   ``data/listening.duckdb`` would silently create a second, empty store there.
   We do not stop at the first folder that merely has a ``data/`` directory: too
   many unrelated folders (a home directory, a download folder) have one;
3. otherwise ``$XDG_DATA_HOME/listening/listening.duckdb`` (default
   ``~/.local/share/listening/listening.duckdb``).

One writer at a time
--------------------
DuckDB lets one process open a file read-write, or any number of processes open
it read-only, never both. A second writer (or a reader while a writer holds the
file) gets :class:`~listening.errors.StoreLockedError` naming the other process's
pid. Notebooks that only read should use ``open_store(read_only=True)`` (several
may then read together) and every notebook should close the store when done
(``with open_store() as store:`` or ``store.close()``) so the CLI can write.
A read-only store refuses writes with a :class:`~listening.errors.StoreError`.
A ``Store`` is not thread-safe: use one per thread.

Crash safety
------------
* Every write is one transaction: an import's mentions, its ``imports`` audit row
  and its rejects land together or not at all; the transaction is followed by a
  ``CHECKPOINT``, so the committed data sits in the database file itself and the
  write-ahead log (WAL) is empty between operations.
* Because WAL replay has failed in the field, the store also keeps a rolling
  backup, ``<name>.bak`` next to the file: before each import and after each
  purge, if the file changed since the last backup, it is copied to
  ``<name>.bak.<pid>.tmp`` and renamed over ``<name>.bak`` (a rename is atomic,
  so the backup is always a whole, checkpointed database). The copy runs in a
  short child process, never in the process holding the store: DuckDB's file
  lock is a POSIX ``fcntl`` lock, which is dropped when its process closes *any*
  descriptor of the file. (Code elsewhere must not open the database file directly either,
  e.g. to hash it, while a ``Store`` holds it.)
* When opening read-write fails because the file or its WAL is damaged, the
  damaged files are kept as ``<name>.damaged-<UTC time>`` (for inspection), the
  backup is restored, and a ``UserWarning`` says so and from when the backup
  dates: re-run the imports made since (``store.imports()`` lists what the
  backup holds). Damage found later, while reading, raises a ``StoreError``
  pointing at :func:`restore_backup`.
* Purging deletes rows, but DuckDB may leave their bytes in free blocks of the
  file until they are reused; the backup is refreshed after a purge so it no
  longer holds purged rows. ``<name>.damaged-*`` files are never purged: delete
  them once inspected.
* Cost: the backup copies the whole file before each import (68 MB for a
  million demo mentions; see ``benchmarks/store.py``).

Tables (timestamps are ``TIMESTAMPTZ``: UTC, to the microsecond)
----------------------------------------------------------------
``mentions``
    The mention schema (``listening.schema.MENTION_COLUMNS``: VARCHAR for
    strings and categories, BIGINT for counts) plus ``import_id``, the import
    that stored the row. ``mention_id`` is unique by construction (every insert
    anti-joins on it, and there is one writer at a time); there is no index or
    key constraint, which keeps bulk inserts fast.
``enrichment``
    ``mention_id``, ``updated`` and one column per stored enrichment:
    ``sentiment`` DOUBLE, ``sentiment_label`` VARCHAR, ``topic`` BIGINT,
    ``topic_label`` VARCHAR and ``rule_<name>`` BOOLEAN, added the first time
    they are stored. One row per mention; written by :meth:`Store.add_enrichment`
    (latest value wins) and left-joined by :meth:`Store.mentions`.
``imports``
    The audit log, one row per import or purge: ``import_id, kind ('add' |
    'purge'), files VARCHAR[], sha256 VARCHAR[], read, loaded, rejected,
    duplicates, deleted, started, finished, version, note``. For an import
    ``read == loaded + rejected + duplicates``.
``rejects``
    ``import_id, source, line, column, reason, raw``: the rows a loader refused.
``triage``
    Threat-board history: ``alert_key, status, owner, note, at, seq``.
``handled``
    Response queue: ``mention_id, by, note, at``.
``settings``
    ``key VARCHAR, value BLOB``: ``schema_version`` and the pseudonymisation
    secret (never printed: a ``Store``'s repr shows only its path and mode).
"""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import tomllib
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Self

import duckdb
import pandas as pd
import pyarrow as pa

from .errors import OptionError, SchemaError, StoreError, StoreLockedError
from .schema import (
    ENRICHMENT_COLUMNS,
    MENTION_COLUMNS,
    OPTIONAL_COLUMNS,
    PLATFORM_DTYPE,
    PLATFORMS,
    SENTIMENT_LABELS,
    TIMESTAMP_DTYPE,
    coerce,
    validate,
)
from .windows import parse_duration, parse_window

__all__ = [
    "DEFAULT_RETENTION",
    "TRIAGE_STATUSES",
    "AddResult",
    "Store",
    "default_store_path",
    "open_store",
    "restore_backup",
]

STORE_ENV = "LISTENING_STORE"
STORE_FILENAME = "listening.duckdb"
SCHEMA_VERSION = 1
# Triage states of the threat board (issue 7), in workflow order.
TRIAGE_STATUSES: tuple[str, ...] = ("new", "acknowledged", "escalated", "closed")
# Default retention for purge: one year, as issue 10 names it (`purge --older-than 365d`).
DEFAULT_RETENTION = "365D"
SECRET_KEY = "pseudonymisation_secret"
SECRET_BYTES = 32  # 256-bit HMAC key

_MENTION_SQL_TYPES = {
    "mention_id": "VARCHAR NOT NULL", "timestamp": "TIMESTAMPTZ NOT NULL",
    "platform": "VARCHAR NOT NULL", "author": "VARCHAR", "text": "VARCHAR NOT NULL",
    "url": "VARCHAR", "language": "VARCHAR", "likes": "BIGINT", "shares": "BIGINT",
    "comments": "BIGINT", "reach": "BIGINT", "country": "VARCHAR", "source": "VARCHAR NOT NULL",
}
# The loader's optional columns (schema.OPTIONAL_COLUMNS), added to older stores on open.
_OPTIONAL_SQL_TYPES = {"platform_raw": "VARCHAR"}
_ENRICHMENT_SQL_TYPES = {"sentiment": "DOUBLE", "sentiment_label": "VARCHAR",
                         "topic": "BIGINT", "topic_label": "VARCHAR"}
_RULE_COLUMN = re.compile(r"rule_[A-Za-z0-9_]{1,100}")
_DDL = [
    ("CREATE TABLE IF NOT EXISTS mentions ("
     + ", ".join(f'"{c}" {t}' for c, t in _MENTION_SQL_TYPES.items()) + ", import_id VARCHAR)"),
    *(f'ALTER TABLE mentions ADD COLUMN IF NOT EXISTS "{c}" {t}'
      for c, t in _OPTIONAL_SQL_TYPES.items()),
    "CREATE TABLE IF NOT EXISTS enrichment (mention_id VARCHAR NOT NULL, updated TIMESTAMPTZ)",
    ("CREATE TABLE IF NOT EXISTS imports (import_id VARCHAR NOT NULL, kind VARCHAR NOT NULL,"
     " files VARCHAR[], sha256 VARCHAR[], read BIGINT, loaded BIGINT, rejected BIGINT,"
     " duplicates BIGINT, deleted BIGINT, started TIMESTAMPTZ, finished TIMESTAMPTZ,"
     " version VARCHAR, note VARCHAR)"),
    ('CREATE TABLE IF NOT EXISTS rejects (import_id VARCHAR NOT NULL, source VARCHAR,'
     ' line BIGINT, "column" VARCHAR, reason VARCHAR, raw VARCHAR)'),
    ("CREATE TABLE IF NOT EXISTS triage (alert_key VARCHAR NOT NULL, status VARCHAR NOT NULL,"
     ' owner VARCHAR, note VARCHAR, "at" TIMESTAMPTZ NOT NULL, seq BIGINT NOT NULL)'),
    ('CREATE TABLE IF NOT EXISTS handled (mention_id VARCHAR NOT NULL, "by" VARCHAR,'
     ' note VARCHAR, "at" TIMESTAMPTZ NOT NULL)'),
    "CREATE TABLE IF NOT EXISTS settings (key VARCHAR NOT NULL, value BLOB)",
]
# Words in DuckDB's messages that mean the file or its WAL is damaged (not merely locked).
_DAMAGE_MARKERS = ("corrupt", "checksum", "not a valid duckdb", "write-ahead", "replay",
                   "internal error", "serializ")
# A backup copier's tmp file older than this is left over from a killed copy.
_STALE_TMP_SECONDS = 3600
# Run by Store._backup in a child process: copy, fsync, keep the mtime, rename atomically.
_COPY_SCRIPT = (
    "import os, shutil, sys\n"
    "source, target = sys.argv[1], sys.argv[2]\n"
    "tmp = f'{target}.{os.getpid()}.tmp'\n"
    "shutil.copyfile(source, tmp)\n"
    "with open(tmp, 'rb+') as handle:\n"
    "    os.fsync(handle.fileno())\n"
    "state = os.stat(source)\n"
    "os.utime(tmp, ns=(state.st_atime_ns, state.st_mtime_ns))\n"
    "os.replace(tmp, target)\n"
)
_ARROW_TO_PANDAS = {pa.string(): pd.StringDtype(), pa.large_string(): pd.StringDtype(),
                    pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}


@dataclasses.dataclass(frozen=True)
class AddResult:
    """What :meth:`Store.add` did: ``read == loaded + rejected + duplicates``."""

    import_id: str
    read: int
    loaded: int
    rejected: int
    duplicates: int


# ---------------------------------------------------------------- paths and parsing


def default_store_path() -> Path:
    """The store used when ``open_store`` gets no path (see the module docstring)."""
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


def _now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


def _instant(value: object, *, name: str) -> pd.Timestamp:
    """A UTC instant: a time (naive = UTC) or a window back from now ('24h', 'yesterday').

    Store queries are monitoring queries, so relative windows are anchored on
    the current time (see :mod:`listening.windows`).
    """
    return parse_window(value, anchor=_now(), tz="UTC", name=name).start


def _as_list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _sha256(path: Path) -> str | None:
    try:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    except OSError:
        return None


def _is_lock_error(message: str) -> bool:
    return "could not set lock" in message.lower() or "conflicting lock" in message.lower()


def _is_damage(message: str) -> bool:
    lowered = message.lower()
    return not _is_lock_error(message) and any(m in lowered for m in _DAMAGE_MARKERS)


def _backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def restore_backup(path: str | os.PathLike) -> Path:
    """Replace a damaged store with its ``.bak`` copy; return where the damaged files went.

    The store must not be open. The damaged file (and its ``.wal``) are renamed to
    ``<name>.damaged-<UTC time>`` rather than deleted.
    """
    path = Path(path)
    backup = _backup_path(path)
    if not backup.is_file():
        raise StoreError(f"no backup {backup} to restore {path} from")
    stamp = _now().strftime("%Y%m%dT%H%M%S%fZ")
    damaged = path.with_name(f"{path.name}.damaged-{stamp}")
    if path.exists():
        os.replace(path, damaged)
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        os.replace(wal, damaged.with_name(damaged.name + ".wal"))
    tmp = path.with_name(path.name + ".restore.tmp")
    shutil.copy2(backup, tmp)
    os.replace(tmp, path)
    return damaged


def open_store(path: str | os.PathLike | None = None, *, read_only: bool = False) -> Store:
    """Open (creating if needed) the mention store; see the module docstring.

    Parameters
    ----------
    path : str or Path, optional
        The DuckDB file. Default: :func:`default_store_path`.
    read_only : bool, default False
        Open for reading only: several processes may read at once, none may
        write meanwhile. The file must exist.

    Raises
    ------
    StoreLockedError
        Another process has the file open (DuckDB allows one writer).
    StoreError
        The file is missing (read-only) or damaged with no usable backup.
    """
    return Store(default_store_path() if path is None else path, read_only=read_only)


# ---------------------------------------------------------------- the store


class Store:
    """An open mention store. Use :func:`open_store`; close it (or use ``with``) when done."""

    def __init__(self, path: str | os.PathLike, *, read_only: bool = False) -> None:
        self.path = Path(path).expanduser().resolve()
        self.read_only = bool(read_only)
        self._con: duckdb.DuckDBPyConnection | None = self._connect()

    # -- opening, closing

    def _connect(self) -> duckdb.DuckDBPyConnection:
        if self.read_only and not self.path.is_file():
            raise StoreError(f"no store at {self.path}; create it by opening it read-write "
                             f"once (open_store({str(self.path)!r})) or check the path")
        if not self.read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return self._try_connect()
        except duckdb.Error as exc:
            if not _is_damage(str(exc)):
                raise
            backup = _backup_path(self.path)
            if "not a valid duckdb" in str(exc).lower() and not backup.is_file():
                raise StoreError(f"{self.path} is not a DuckDB database; check the path (a store "
                                 f"is a .duckdb file made by open_store), or, if it is one, its "
                                 f"header is damaged and there is no .bak to restore") from exc
            if self.read_only or not backup.is_file():
                hint = ("open it read-write once to restore the backup " + str(backup)
                        if backup.is_file() else
                        "no backup exists; move the .wal file aside to open the last "
                        "checkpointed state, or rebuild the store from the source files")
                raise StoreError(f"store {self.path} is damaged ({exc}); {hint}") from exc
            taken = pd.Timestamp(backup.stat().st_mtime, unit="s", tz="UTC").floor("s")
            damaged = restore_backup(self.path)
            warnings.warn(
                f"store {self.path} could not be opened ({exc}); restored the backup taken at "
                f"{taken}. The damaged file was kept as {damaged}. Imports made after the "
                f"backup are lost: re-run them (store.imports() lists what the store holds).",
                UserWarning, stacklevel=4)
            try:
                return self._try_connect()
            except duckdb.Error as again:
                raise StoreError(f"store {self.path} is damaged and its backup {backup} "
                                 f"could not be opened either ({again})") from again

    def _try_connect(self) -> duckdb.DuckDBPyConnection:
        try:
            con = duckdb.connect(str(self.path), read_only=self.read_only)
        except duckdb.Error as exc:
            message = str(exc)
            if _is_lock_error(message):
                pid = re.search(r"PID (\d+)", message)
                who = f" (pid {pid.group(1)})" if pid else ""
                if self.read_only:
                    raise StoreLockedError(
                        f"store {self.path} is being written by another process{who} — wait "
                        f"for it to finish or close that notebook/CLI, then open it again"
                    ) from exc
                raise StoreLockedError(
                    f"store {self.path} is in use by another process{who} — close the other "
                    f"notebook/CLI or open read-only with open_store(read_only=True)") from exc
            if "different configuration" in message.lower():
                raise StoreLockedError(
                    f"store {self.path} is already open in this process with "
                    f"read_only={not self.read_only}; close() that Store first") from exc
            if _is_damage(message):
                raise
            raise StoreError(f"cannot open store {self.path}: {message}") from exc
        opened = _run(con, "SELECT path FROM duckdb_databases() "
                           "WHERE database_name = current_database()")
        if not opened or opened[0][0] is None or Path(opened[0][0]).resolve() != self.path:
            con.close()  # DuckDB opened something else (e.g. an existing .csv file in memory)
            raise StoreError(f"{self.path} is not a DuckDB database; check the path (a store "
                             f"is a .duckdb file made by open_store)")
        try:
            _run(con, "SET TimeZone = 'UTC'")
            if not self.read_only:
                _run(con, "BEGIN TRANSACTION")
                for statement in _DDL:
                    _run(con, statement)
                if not _run(con, "SELECT 1 FROM settings WHERE key = 'schema_version'"):
                    _run(con, "INSERT INTO settings VALUES ('schema_version', ?)",
                         [str(SCHEMA_VERSION).encode()])
                _run(con, "COMMIT")
            # A cheap read of every table's catalog entry and of the mentions' row count.
            _run(con, "SELECT count(*) FROM mentions")
            _run(con, "SELECT count(*) FROM imports")
        except duckdb.CatalogException as exc:
            con.close()
            raise StoreError(f"{self.path} is a DuckDB file but not a listening store ({exc}); "
                             f"open it read-write once or pick another path") from exc
        except duckdb.Error:
            con.close()
            raise
        return con

    def close(self) -> None:
        """Close the store (idempotent). Other processes can then open it."""
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._con is None else ("read-only" if self.read_only else "read-write")
        return f"Store({str(self.path)!r}, {state})"

    @property
    def backup_path(self) -> Path:
        """The rolling backup, ``<name>.bak``."""
        return _backup_path(self.path)

    def _connection(self) -> duckdb.DuckDBPyConnection:
        # Not public: SQL run past the store would bypass its audit log and transactions.
        if self._con is None:
            raise StoreError(f"store {self.path} is closed; open it again with open_store()")
        return self._con

    def _require_writable(self, action: str) -> duckdb.DuckDBPyConnection:
        con = self._connection()
        if self.read_only:
            raise StoreError(f"cannot {action}: store {self.path} is open read-only; "
                             f"open it with open_store({str(self.path)!r}) to write")
        return con

    def _read(self, sql: str, params: dict | None = None) -> pa.Table:
        try:
            return self._connection().sql(sql, params=params or None).to_arrow_table()
        except duckdb.Error as exc:
            if _is_damage(str(exc)):
                raise StoreError(f"store {self.path} is damaged ({exc}); close it and call "
                                 f"listening.store.restore_backup({str(self.path)!r})") from exc
            raise

    def _write(self, action: str, body) -> object:
        """Run ``body(con)`` in one transaction, then CHECKPOINT; roll back on any error."""
        con = self._require_writable(action)
        _run(con, "BEGIN TRANSACTION")
        try:
            result = body(con)
            _run(con, "COMMIT")
        except BaseException:
            try:
                _run(con, "ROLLBACK")
            except duckdb.Error:
                pass  # DuckDB already ended the failed transaction
            raise
        _run(con, "CHECKPOINT")
        return result

    def _backup(self) -> None:
        """Copy the (checkpointed) file to ``<name>.bak`` if it changed since the last copy.

        The copy runs in a child process: DuckDB's lock is a POSIX ``fcntl`` lock,
        which the kernel drops as soon as *this* process closes any descriptor of
        the file, so opening the database file here to copy it would silently let
        a second writer in. The child copies to ``<name>.bak.<pid>.tmp``, fsyncs, gives
        the copy the database's mtime (how "changed since" is recognised) and
        renames it over ``<name>.bak``.
        """
        con = self._require_writable("back up the store")
        _run(con, "CHECKPOINT")
        state = self.path.stat()
        backup = self.backup_path
        if backup.is_file():
            old = backup.stat()
            if old.st_size == state.st_size and old.st_mtime_ns == state.st_mtime_ns:
                return
        for stale in self.path.parent.glob(f"{glob.escape(backup.name)}.*.tmp"):
            # left by a copier killed mid-copy (each copier writes its own tmp file)
            if time.time() - stale.stat().st_mtime > _STALE_TMP_SECONDS:
                stale.unlink(missing_ok=True)
        # -I -S: an isolated interpreter without site-packages starts in a few milliseconds.
        done = subprocess.run([sys.executable, "-I", "-S", "-c", _COPY_SCRIPT, str(self.path),
                               str(backup)], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise StoreError(f"could not back up {self.path} to {backup} (nothing was imported): "
                             f"{done.stderr.strip().splitlines()[-1] if done.stderr else ''}; "
                             f"check free disk space and permissions")

    # -- mentions

    def add(self, frame: pd.DataFrame, report=None, *,
            source_files: Sequence[str | os.PathLike] | None = None) -> AddResult:
        """Store the mentions of ``frame`` not yet stored, with an audit row; atomic.

        Needs the mention schema's columns (missing optional ones are added as
        null). Enrichment columns present in the frame (``sentiment``,
        ``sentiment_label``, ``topic``, ``topic_label``, ``rule_*``) are stored
        too, as by :meth:`add_enrichment`; other extra columns are ignored.

        Idempotent: a ``mention_id`` already stored, or repeated in the frame,
        counts as a duplicate and is stored once. Atomic: the mentions, the
        ``imports`` row and the report's rejects are written in one transaction,
        followed by a CHECKPOINT; a backup is taken first (module docstring).

        Parameters
        ----------
        frame : DataFrame
            Mentions, e.g. the frame returned by ``listening.load``.
        report : LoadReport, optional
            The loader's report for ``frame``. Its counts go to the audit row after
            moving the mentions already in the store from ``loaded`` to
            ``duplicates`` — the report object itself is updated the same way (also
            per file, when its rows' ``source`` names the file), so ``read == loaded
            + rejected + duplicates`` holds for what was stored. Its ``rejects`` are
            stored with the import.
        source_files : list of paths, optional
            For frames made without a loader: the files they came from (recorded
            with their SHA-256 when readable).

        Returns
        -------
        AddResult
            ``import_id, read, loaded, rejected, duplicates`` as recorded.

        Examples
        --------
        >>> import tempfile, pandas as pd, listening as ls
        >>> frame = ls.schema.coerce(pd.DataFrame({
        ...     "mention_id": ["1", "2", "3"], "platform": ["x", "reddit", "news"],
        ...     "timestamp": ["2026-11-01 09:00Z", "2026-11-01 10:00Z", "2026-11-02 08:00Z"],
        ...     "text": ["401 closed at Kingston", "is this a scam?", "Route 17 fermée"],
        ...     "language": ["en", "en", "fr"], "source": ["a.csv#2", "a.csv#3", "a.csv#4"]}))
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     with ls.open_store(f"{tmp}/s.duckdb") as store:
        ...         first, again = store.add(frame), store.add(frame)
        ...         french = store.mentions(language="fr", since="2026-11-02")
        >>> first.loaded, again.loaded, again.duplicates, list(french["mention_id"])
        (3, 0, 3, ['3'])
        """
        started = _now()
        self._require_writable("add mentions")
        if not isinstance(frame, pd.DataFrame):
            raise SchemaError(f"store.add needs a DataFrame of mentions, "
                              f"got {type(frame).__name__}")
        if "mention_id" not in frame.columns:
            raise SchemaError("store.add needs a 'mention_id' column; load files with "
                              "listening.load or build ids with schema.make_mention_ids",
                              column="mention_id")
        if report is not None and int(report.loaded) != len(frame):
            raise StoreError(f"the report says {report.loaded} mentions were loaded but the frame "
                             f"has {len(frame)} rows; pass the frame that came with the report, "
                             f"or report=None for a frame you changed")
        enrich_cols = [c for c in frame.columns if c in _ENRICHMENT_SQL_TYPES
                       or _RULE_COLUMN.fullmatch(str(c))]
        coerced = coerce(frame)
        stored = [*MENTION_COLUMNS, *OPTIONAL_COLUMNS]
        for column, dtype in OPTIONAL_COLUMNS.items():  # null where the frame lacks it
            if column not in coerced.columns:
                coerced[column] = pd.Series(pd.NA, index=coerced.index, dtype=dtype)
        # DuckDB's TIMESTAMPTZ holds microseconds: truncate here, as make_mention_ids does,
        # rather than let the cast round.
        coerced["timestamp"] = coerced["timestamp"].dt.floor("us")
        repeated = coerced["mention_id"].duplicated(keep="first") & coerced["mention_id"].notna()
        n_repeated = int(repeated.sum())
        unique = coerced.loc[~repeated, stored + enrich_cols]
        validate(unique)
        incoming = pa.Table.from_pandas(unique[stored], preserve_index=False)
        enrichment = self._enrichment_table(unique, enrich_cols) if enrich_cols else None
        import_id = f"{started:%Y%m%dT%H%M%S}Z-{secrets.token_hex(4)}"

        if report is not None:
            files = list(getattr(report, "files", None) or [])
            paths = [str(getattr(f, "path", f)) for f in files]
            digests = [getattr(f, "sha256", None) for f in files]
            rejects = getattr(report, "rejects", None)
        else:
            files, paths = [], [str(p) for p in (source_files or [])]
            digests = [_sha256(Path(p)) for p in paths]
            rejects = None
        def counts(inserted: int) -> AddResult:
            # Rows already stored, or repeated in the frame, move from loaded to duplicates.
            duplicates = n_repeated + len(unique) - inserted
            if report is None:
                return AddResult(import_id, len(frame), inserted, 0, duplicates)
            return AddResult(import_id, int(report.read), inserted, int(report.rejected),
                             int(report.duplicates) + duplicates)

        self._backup()

        def body(con: duckdb.DuckDBPyConnection) -> tuple[AddResult, list]:
            con.register("_incoming", incoming)
            try:
                columns = ", ".join(f'"{c}"' for c in stored)
                selected = ", ".join(
                    f'CAST(f."{c}" AS VARCHAR)' if c in ("platform", "language") else f'f."{c}"'
                    for c in stored)
                inserted = _run(con, f"INSERT INTO mentions ({columns}, import_id) "
                                f"SELECT {selected}, $id FROM _incoming f ANTI JOIN "
                                f"mentions m ON f.mention_id = m.mention_id",
                                {"id": import_id})[0][0]
                dup_sources = []
                if files and len(unique) - inserted:
                    rows = _run(con, "SELECT f.source FROM _incoming f JOIN mentions m ON "
                                "f.mention_id = m.mention_id WHERE m.import_id <> $id",
                                {"id": import_id})
                    dup_sources = [r[0] for r in rows]
            finally:
                con.unregister("_incoming")
            if enrichment is not None:
                self._upsert_enrichment(con, enrichment)
            result = counts(int(inserted))
            self._insert_import_row(con, import_id=import_id, kind="add", files=paths,
                                    sha256=digests, read=result.read, loaded=result.loaded,
                                    rejected=result.rejected, duplicates=result.duplicates,
                                    deleted=0, started=started, note="")
            if rejects is not None and len(rejects):
                self._insert_rejects(con, import_id, rejects)
            return result, dup_sources

        result, dup_sources = self._write("add mentions", body)
        if report is not None:  # only once committed: a failed add leaves the report as it was
            report.loaded, report.duplicates = result.loaded, result.duplicates
            repeated_sources = coerced.loc[repeated, "source"].dropna().tolist()
            _adjust_files(files, dup_sources + repeated_sources)
        return result

    def _insert_import_row(self, con, *, import_id: str, kind: str, files: list, sha256: list,
                           read: int, loaded: int, rejected: int, duplicates: int, deleted: int,
                           started: pd.Timestamp, note: str) -> None:
        from . import __version__

        _run(
            con,
            "INSERT INTO imports VALUES ($import_id, $kind, $files, $sha256, $read, $loaded, "
            "$rejected, $duplicates, $deleted, $started, $finished, $version, $note)",
            {"import_id": import_id, "kind": kind, "files": files, "sha256": sha256,
             "read": read, "loaded": loaded, "rejected": rejected, "duplicates": duplicates,
             "deleted": deleted, "started": started, "finished": _now(),
             "version": __version__, "note": note})

    def _insert_rejects(self, con, import_id: str, rejects: pd.DataFrame) -> None:
        out = pd.DataFrame({"import_id": import_id}, index=rejects.index)
        for column in ("source", "line", "column", "reason", "raw"):
            values = rejects[column] if column in rejects.columns else pd.Series(
                pd.NA, index=rejects.index)
            if column == "line":
                out[column] = pd.to_numeric(values, errors="coerce").astype("Int64")
            else:
                out[column] = values.astype("string")
        table = pa.Table.from_pandas(out, preserve_index=False)
        con.register("_rejects", table)
        try:
            _run(con, 'INSERT INTO rejects SELECT import_id, source, line, "column", reason, '
                 "raw FROM _rejects")
        finally:
            con.unregister("_rejects")

    def count(self) -> int:
        """Number of mentions stored."""
        return int(self._read("SELECT count(*) AS n FROM mentions").column(0)[0].as_py())

    def _enrichment_columns(self) -> list[str]:
        table = self._read("SELECT column_name FROM duckdb_columns() WHERE table_name = "
                           "'enrichment' AND schema_name = 'main' AND database_name = "
                           "current_database() ORDER BY column_index")
        return [c for c in table.column(0).to_pylist() if c not in ("mention_id", "updated")]

    def _optional_columns(self) -> list[str]:
        """The loader's optional columns this store has (a store opened read-only may
        predate them)."""
        table = self._read("SELECT column_name FROM duckdb_columns() WHERE table_name = "
                           "'mentions' AND schema_name = 'main' AND database_name = "
                           "current_database()")
        present = set(table.column(0).to_pylist())
        return [c for c in OPTIONAL_COLUMNS if c in present]

    def mentions(self, since=None, until=None, platform: str | Iterable[str] | None = None,
                 language: str | Iterable[str] | None = None, query: str | None = None,
                 columns: Sequence[str] | None = None, limit: int | None = None) -> pd.DataFrame:
        """Stored mentions as a mention frame, oldest first, with stored enrichment joined.

        Parameters
        ----------
        since, until : Timestamp, str or duration, optional
            ``since <= timestamp < until``. A duration (``"24h"``, ``"7D"``) or a
            calendar word (``"yesterday"``: its start) is anchored on the current
            time; other strings are times (naive ones are UTC). See
            :func:`listening.windows.parse_window`.
        platform, language : str or list of str, optional
            Keep these platforms / ISO language codes.
        query : str, optional
            A monitoring rule (``listening.rules`` syntax), applied after the other
            filters with ``Rule.parse(query).match(frame)``.
        columns : list of str, optional
            Return only these columns (mention, enrichment, ``import_id``, or the
            loader's ``platform_raw``, which is stored but returned only when asked for).
        limit : int, optional
            At most this many mentions (the oldest that match).

        Returns
        -------
        DataFrame
            Schema dtypes (``listening.schema.coerce``) plus ``sentiment`` float64,
            ``sentiment_label`` category, ``topic`` Int64, ``topic_label`` string
            and ``rule_*`` nullable boolean for the enrichment stored (null where a
            mention has none).
        """
        enrich = self._enrichment_columns()
        optional = self._optional_columns()
        available = [*MENTION_COLUMNS, *optional, *enrich, "import_id"]
        if columns is not None:
            columns = _as_list(columns)
            unknown = [c for c in columns if c not in available]
            if unknown:
                raise SchemaError(f"unknown column(s) {', '.join(map(repr, unknown))}; the store "
                                  f"has: {', '.join(available)}", column=unknown[0])
        if limit is not None and (not isinstance(limit, int) or limit < 0):
            raise StoreError(f"limit={limit!r} must be a non-negative integer")
        wanted = [*MENTION_COLUMNS, *enrich]  # optional columns (platform_raw): when asked for
        if columns is not None and query is None:
            wanted = columns
        elif columns is not None:  # the rule may look at any column: select all, trim after
            wanted += [c for c in columns if c not in wanted]
        where, params = [], {}
        if since is not None:
            where.append("m.timestamp >= $since")
            params["since"] = _instant(since, name="since")
        if until is not None:
            where.append("m.timestamp < $until")
            params["until"] = _instant(until, name="until")
        if platform is not None:
            platforms = [p.lower() for p in _as_list(platform)]
            unknown = [p for p in platforms if p not in PLATFORMS]
            if unknown:
                raise StoreError(f"unknown platform(s) {', '.join(map(repr, unknown))}; use "
                                 f"one of {', '.join(PLATFORMS)}")
            where.append("list_contains($platforms, m.platform)")
            params["platforms"] = platforms
        if language is not None:
            where.append("list_contains($languages, m.language)")
            params["languages"] = [lang.lower() for lang in _as_list(language)]
        select = ", ".join(f'{"e" if c in enrich else "m"}."{c}"' for c in wanted)
        join = (" LEFT JOIN enrichment e ON e.mention_id = m.mention_id"
                if any(c in enrich for c in wanted) else "")
        sql = (f"SELECT {select} FROM mentions m{join}"
               + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY m.timestamp, m.mention_id")
        if limit is not None and query is None:
            sql += " LIMIT $limit"
            params["limit"] = limit
        frame = _to_frame(self._read(sql, params))
        if query is not None:
            from .rules import Rule

            hits = Rule.parse(query).match(frame)
            frame = frame[pd.Series(hits, index=frame.index).fillna(False).astype(bool)]
            if limit is not None:
                frame = frame.head(limit)
            frame = frame.reset_index(drop=True)
            if columns is not None:
                frame = frame[columns]
        return frame

    # -- enrichment

    def _enrichment_table(self, frame: pd.DataFrame, columns: list[str]) -> pa.Table:
        out = {"mention_id": frame["mention_id"].astype("string")}
        for column in columns:
            values = frame[column]
            try:
                if column == "sentiment":
                    out[column] = values.astype("float64")
                elif column == "topic":
                    out[column] = values.astype(pd.Int64Dtype())
                elif column in ("sentiment_label", "topic_label"):
                    out[column] = values.astype("string")
                elif pd.api.types.is_bool_dtype(values) or values.isna().all():
                    out[column] = values.astype(pd.BooleanDtype())
                else:
                    raise TypeError(f"dtype {values.dtype}, expected bool")
            except (TypeError, ValueError) as exc:
                raise SchemaError(f"enrichment column {column!r} cannot be stored: {exc}",
                                  column=column) from exc
        if "sentiment_label" in out:
            bad = ~out["sentiment_label"].isin(SENTIMENT_LABELS) & out["sentiment_label"].notna()
            if bad.any():
                raise SchemaError(f"enrichment column 'sentiment_label': "
                                  f"{out['sentiment_label'][bad].iloc[0]!r} is not one of "
                                  f"{', '.join(SENTIMENT_LABELS)}",
                                  column="sentiment_label")
        frame = pd.DataFrame(out).drop_duplicates("mention_id", keep="last")
        return pa.Table.from_pandas(frame, preserve_index=False)

    def _upsert_enrichment(self, con, table: pa.Table) -> int:
        columns = [c for c in table.column_names if c != "mention_id"]
        for column in columns:
            sql_type = _ENRICHMENT_SQL_TYPES.get(column, "BOOLEAN")
            _run(con, f'ALTER TABLE enrichment ADD COLUMN IF NOT EXISTS "{column}" {sql_type}')
        con.register("_enrich", table)
        try:
            _run(con, "CREATE OR REPLACE TEMP TABLE _enrich_known AS SELECT f.* FROM _enrich f "
                 "SEMI JOIN mentions m ON f.mention_id = m.mention_id")
            sets = ", ".join(f'"{c}" = k."{c}"' for c in columns)
            _run(con, f"UPDATE enrichment SET {sets}, updated = $now FROM _enrich_known k "
                 f"WHERE enrichment.mention_id = k.mention_id", {"now": _now()})
            names = ", ".join(f'"{c}"' for c in columns)
            values = ", ".join(f'k."{c}"' for c in columns)
            _run(con, f"INSERT INTO enrichment (mention_id, {names}, updated) "
                 f"SELECT k.mention_id, {values}, $now "
                 f"FROM _enrich_known k ANTI JOIN enrichment e "
                 f"ON e.mention_id = k.mention_id", {"now": _now()})
            written = _run(con, "SELECT count(*) FROM _enrich_known")[0][0]
            _run(con, "DROP TABLE _enrich_known")
        finally:
            con.unregister("_enrich")
        return int(written)

    def add_enrichment(self, frame: pd.DataFrame, columns: Sequence[str] | None = None) -> int:
        """Store (insert or overwrite) enrichment columns, keyed by ``mention_id``.

        Needs ``mention_id`` and ``columns``, each one of ``sentiment`` (float),
        ``sentiment_label`` (negative/neutral/positive), ``topic`` (integer),
        ``topic_label`` (string) or ``rule_<name>`` (boolean; letters, digits and
        ``_``). Default: every such column the frame has. Columns not named keep
        their stored values. Rows whose ``mention_id`` is not in the store are
        skipped; returns the number of mentions written, so ``< len(frame)``
        shows some were skipped.
        """
        if columns is None:
            columns = [c for c in frame.columns
                       if c in _ENRICHMENT_SQL_TYPES or _RULE_COLUMN.fullmatch(str(c))]
        columns = _as_list(columns)
        bad = [c for c in columns if c not in _ENRICHMENT_SQL_TYPES
               and not _RULE_COLUMN.fullmatch(c)]
        if bad:
            raise SchemaError(f"cannot store enrichment column(s) {', '.join(map(repr, bad))}; "
                              f"use {', '.join(_ENRICHMENT_SQL_TYPES)} or rule_<name> (letters, "
                              f"digits, _)", column=bad[0])
        if not columns:
            raise SchemaError("add_enrichment found no enrichment column to store; the frame "
                              f"has: {', '.join(map(str, frame.columns))}")
        missing = [c for c in ["mention_id", *columns] if c not in frame.columns]
        if missing:
            raise SchemaError(f"add_enrichment needs column(s) {', '.join(map(repr, missing))}; "
                              f"the frame has: {', '.join(map(str, frame.columns))}",
                              column=missing[0])
        table = self._enrichment_table(frame, columns)
        return self._write("store enrichment", lambda con: self._upsert_enrichment(con, table))

    # -- audit

    def imports(self) -> pd.DataFrame:
        """The audit log: one row per import or purge, oldest first (see module docstring)."""
        frame = _to_frame(self._read("SELECT * FROM imports ORDER BY started, import_id"))
        for column in ("files", "sha256"):
            frame[column] = [list(v) if v is not None else [] for v in frame[column]]
        return frame

    def rejects(self, import_id: str | None = None) -> pd.DataFrame:
        """Rejected rows: ``import_id, source, line, column, reason, raw`` (one import, or all)."""
        sql = ('SELECT import_id, source, line, "column", reason, raw FROM rejects'
               + (" WHERE import_id = $id" if import_id is not None else "")
               + " ORDER BY import_id, source, line")
        return _to_frame(self._read(sql, {"id": import_id} if import_id is not None else None))

    def purge(self, older_than: str | pd.Timedelta = DEFAULT_RETENTION) -> int:
        """Delete mentions older than ``now - older_than``; return how many were deleted.

        Also deletes their enrichment and response-queue rows and the rejects of
        imports finished before the cutoff (they hold raw posts), records a
        ``purge`` row in ``imports`` and refreshes the backup.
        """
        delta = parse_duration(older_than, name="older_than")
        if delta is None:
            raise OptionError(f"older_than={older_than!r} must be a positive duration such as "
                              f"'365D' or '90D'", name="older_than", value=older_than)
        started = _now()
        cutoff = started - delta

        def body(con) -> int:
            deleted = _run(con, "DELETE FROM mentions WHERE timestamp < $cutoff",
                           {"cutoff": cutoff})[0][0]
            for table in ("enrichment", "handled"):
                _run(con, f"DELETE FROM {table} WHERE mention_id IN (SELECT t.mention_id FROM "
                     f"{table} t ANTI JOIN mentions m ON t.mention_id = m.mention_id)")
            _run(con, "DELETE FROM rejects WHERE import_id IN (SELECT import_id FROM imports "
                 "WHERE finished < $cutoff)", {"cutoff": cutoff})
            self._insert_import_row(con, import_id=f"{started:%Y%m%dT%H%M%S}Z-purge-"
                                    f"{secrets.token_hex(2)}", kind="purge", files=[], sha256=[],
                                    read=0, loaded=0, rejected=0, duplicates=0,
                                    deleted=int(deleted), started=started,
                                    note=f"older_than={delta}; cutoff={cutoff.isoformat()}")
            return int(deleted)

        self._require_writable("purge mentions")
        deleted = self._write("purge mentions", body)
        self._backup()
        return deleted

    # -- threat-board triage and response queue

    def save_triage(self, alert_key: str, status: str, owner: str = "", note: str = "") -> None:
        """Record a triage decision for an alert; history is kept (see :meth:`triage`)."""
        if status not in TRIAGE_STATUSES:
            raise StoreError(f"triage status {status!r} is not allowed; use one of "
                             f"{', '.join(TRIAGE_STATUSES)}")
        if not isinstance(alert_key, str) or not alert_key:
            raise StoreError(f"alert_key must be a non-empty string, got {alert_key!r}")
        self._write("save triage", lambda con: _run(
            con,
            "INSERT INTO triage SELECT $key, $status, $owner, $note, $at, "
            "coalesce(max(seq), 0) + 1 FROM triage",
            {"key": alert_key, "status": status, "owner": str(owner), "note": str(note),
             "at": _now()}))

    def triage(self, *, history: bool = False) -> pd.DataFrame:
        """Latest triage row per ``alert_key`` (``alert_key, status, owner, note, at``).

        ``history=True`` returns every row, oldest first.
        """
        latest = "" if history else (" QUALIFY row_number() OVER (PARTITION BY alert_key "
                                     "ORDER BY seq DESC) = 1")
        return _to_frame(self._read(f"SELECT alert_key, status, owner, note, \"at\" FROM triage"
                                    f"{latest} ORDER BY seq"))

    def mark_handled(self, mention_ids: str | Iterable[str], by: str = "", note: str = "") -> int:
        """Mark mentions as handled in the response queue; returns how many were marked.

        Every id must be in the store (a typo raises rather than being lost).
        """
        ids = list(dict.fromkeys(_as_list(mention_ids)))
        at = _now()

        def body(con) -> int:
            con.register("_ids", pa.table({"mention_id": pa.array(ids, pa.string())}))
            try:
                rows = _run(con, "SELECT i.mention_id FROM _ids i ANTI JOIN mentions m "
                            "ON i.mention_id = m.mention_id LIMIT 5")
                unknown = [r[0] for r in rows]
                if unknown:
                    raise StoreError(f"mention id(s) {', '.join(map(repr, unknown))} are not in "
                                     f"store {self.path}; nothing was marked")
                _run(con, 'INSERT INTO handled SELECT mention_id, $by, $note, $at FROM _ids',
                     {"by": str(by), "note": str(note), "at": at})
            finally:
                con.unregister("_ids")
            return len(ids)

        return self._write("mark mentions handled", body)

    def handled(self) -> pd.DataFrame:
        """Latest response-queue mark per mention (``mention_id, by, note, at``)."""
        return _to_frame(self._read(
            'SELECT mention_id, "by", note, "at" FROM handled QUALIFY row_number() OVER '
            "(PARTITION BY mention_id ORDER BY \"at\" DESC) = 1 ORDER BY \"at\", mention_id"))

    # -- settings

    def secret(self) -> bytes:
        """The store's 32-byte pseudonymisation key, created on first use; never printed."""
        def fetch(con) -> bytes | None:
            rows = _run(con, "SELECT value FROM settings WHERE key = $key", {"key": SECRET_KEY})
            return bytes(rows[0][0]) if rows else None

        value = fetch(self._connection())
        if value is not None:
            return value
        if self.read_only:
            raise StoreError(f"store {self.path} has no pseudonymisation secret yet; open it "
                             f"read-write once (open_store()) to create it")

        def create(con) -> bytes:
            existing = fetch(con)
            if existing is not None:
                return existing
            key = secrets.token_bytes(SECRET_BYTES)
            _run(con, "INSERT INTO settings VALUES ($key, $value)",
                 {"key": SECRET_KEY, "value": key})
            return key

        return self._write("create the pseudonymisation secret", create)


# ---------------------------------------------------------------- helpers


def _run(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> list[tuple]:
    """Execute one statement with bound parameters and fetch its whole result.

    DuckDB 2 refuses other work on a connection whose last result was not fully
    fetched, so every statement is run to completion here.
    """
    return con.execute(sql, params).fetchall() if params else con.execute(sql).fetchall()


def _to_frame(table: pa.Table) -> pd.DataFrame:
    """Arrow result -> pandas with the mention schema's dtypes for the columns it knows."""
    frame = table.to_pandas(types_mapper=_ARROW_TO_PANDAS.get)
    for column in frame.columns:
        if column in ("timestamp", "started", "finished", "at"):
            frame[column] = frame[column].astype(TIMESTAMP_DTYPE)
        elif column == "platform":
            frame[column] = frame[column].astype(PLATFORM_DTYPE)
        elif column == "language":
            frame[column] = frame[column].astype("category")
        elif column == "sentiment_label":
            frame[column] = frame[column].astype(ENRICHMENT_COLUMNS["sentiment_label"])
        elif column == "sentiment":
            frame[column] = frame[column].astype("float64")
    return frame


def _adjust_files(files: list, duplicate_sources: list[str]) -> None:
    """Move per-file counts from loaded to duplicates when ``source`` names the file."""
    if not files or not duplicate_sources:
        return
    by_file = pd.Series([s.rsplit("#", 1)[0] for s in duplicate_sources]).value_counts()
    counts = {}
    for item in files:
        path = str(getattr(item, "path", ""))
        counts[id(item)] = int(by_file.get(path, 0)) or int(by_file.get(Path(path).name, 0))
    if sum(counts.values()) != len(duplicate_sources):
        return  # sources do not name the files unambiguously: keep the loader's per-file counts
    for item in files:
        n = counts[id(item)]
        if n:
            try:
                item.loaded = int(item.loaded) - n
                item.duplicates = int(item.duplicates) + n
            except (AttributeError, TypeError, dataclasses.FrozenInstanceError):
                return
