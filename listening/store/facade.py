"""``Store``: one open store, the facade over the package's modules.

It owns the connection and the three ways to touch it: ``_read`` (a query),
``_write`` (one transaction, then CHECKPOINT) and ``_guard`` (anything else);
each turns a DuckDB exception into a ``StoreError`` subclass. The work itself
lives in :mod:`~listening.store.mentions`, :mod:`~listening.store.enrichment`,
:mod:`~listening.store.audit`, :mod:`~listening.store.worklog`,
:mod:`~listening.store.backups` and :mod:`~listening.store.purge`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Self, TypeVar

import duckdb
import pandas as pd
import pyarrow as pa

from ..errors import StoreError
from . import (
    audit,
    backups,
    enrichment,
    failures,
    files,
    inventory,
    mentions,
    purge,
    restore,
    worklog,
)
from .sql import run

T = TypeVar("T")


class Store:
    """An open mention store. Use :func:`open_store`; close it (or use ``with``) when done."""

    def __init__(self, path: str | os.PathLike, *, read_only: bool = False) -> None:
        self.path = Path(path).expanduser().resolve()
        self.read_only = bool(read_only)
        self._con: duckdb.DuckDBPyConnection | None = None
        self._fd: int | None = None  # held while open read-write: backups copy through it
        self._con = self._open()
        try:
            purge.resume(self)
        except BaseException:
            self.close()
            raise

    # -- opening, closing

    def _open(self) -> duckdb.DuckDBPyConnection:
        """Connect, create missing tables (read-write), and check each table reads back."""
        try:
            con = files.connect(self.path, read_only=self.read_only)
        except duckdb.Error as exc:  # files.connect turns all but damage into StoreErrors
            if not failures.is_damage(str(exc)):
                raise failures.translate(exc, path=self.path, action="open the store") from exc
            if "not a valid duckdb" in str(exc).lower() and not inventory.generations(self.path):
                raise StoreError(f"{self.path} is not a DuckDB database; check the path (a "
                                 f"store is a .duckdb file made by open_store), or, if it is "
                                 f"one, its header is damaged and it has no backup") from exc
            raise restore.damaged(self.path, exc, found="on open") from exc
        try:
            files.prepare(con, read_only=self.read_only)
            files.health(con)
        except duckdb.CatalogException as exc:
            con.close()
            raise StoreError(f"{self.path} is a DuckDB file but not a listening store ({exc}); "
                             f"open it read-write once or pick another path") from exc
        except duckdb.Error as exc:
            if failures.is_damage(str(exc)):
                error = restore.damaged(self.path, exc, con=con, found="on open")
            else:
                error = failures.translate(exc, path=self.path, action="open the store")
            con.close()
            raise error from exc
        if not self.read_only:
            try:
                self._fd = files.hold(self.path)
            except StoreError:
                con.close()
                raise
        return con

    def close(self) -> None:
        """Close the store (idempotent). Other processes can then open it."""
        if self._con is not None:
            self._con.close()
            self._con = None
        if self._fd is not None:
            self._fd = None
            files.release(self.path)  # after DuckDB: closing it drops the process's locks

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._con is None else ("read-only" if self.read_only else "read-write")
        return f"Store({str(self.path)!r}, {state})"

    @property
    def backup_path(self) -> Path:
        """The newest backup generation, ``<name>.bak.1``."""
        return inventory.generation_path(self.path, 1)

    # -- the connection and its three doors

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

    def _failure(self, exc: duckdb.Error, action: str, *, needed: int = 0,
                 committed: bool | None = None) -> StoreError:
        if failures.is_damage(str(exc)):
            error = restore.damaged(self.path, exc, con=self._con, found=f"while trying to "
                                                                           f"{action}")
        else:
            error = failures.translate(exc, path=self.path, action=action, needed=needed,
                                       committed=committed)
        if isinstance(exc, duckdb.FatalException) and self._con is not None:
            # DuckDB refuses all further work on this database: release it for a reopen
            self.close()
        return error

    def _guard(self, action: str, work: Callable[[], T], *, needed: int = 0) -> T:
        """Run ``work()``, turning a DuckDB exception into a StoreError subclass."""
        try:
            return work()
        except duckdb.Error as exc:
            raise self._failure(exc, action, needed=needed) from exc

    def _read(self, sql: str, params: dict | None = None) -> pa.Table:
        con = self._connection()
        return self._guard("read the store", lambda: con.sql(
            sql, params=params or None).to_arrow_table())

    def _columns(self, table: str) -> list[str]:
        return self._read("SELECT column_name FROM duckdb_columns() WHERE table_name = $t AND "
                          "schema_name = 'main' AND database_name = current_database() "
                          "ORDER BY column_index", {"t": table}).column(0).to_pylist()

    def _write(self, action: str, body: Callable[[duckdb.DuckDBPyConnection], T], *,
               needed: int = 0) -> T:
        """Run ``body(con)`` in one transaction, then CHECKPOINT; roll back on any error."""
        con = self._require_writable(action)
        committed = False
        try:
            run(con, "BEGIN TRANSACTION")
            try:
                result = body(con)
                run(con, "COMMIT")
                committed = True
            except BaseException:
                if not committed:
                    try:
                        run(con, "ROLLBACK")
                    except duckdb.Error:
                        pass  # DuckDB already ended the failed transaction
                raise
            run(con, "CHECKPOINT")
        except duckdb.Error as exc:
            raise self._failure(exc, action, needed=needed, committed=committed) from exc
        return result

    def _backup(self, *, context: str = "", only_if_changed: bool = True) -> Path | None:
        con = self._require_writable("back up the store")
        if only_if_changed and not backups.changed_since_backup(self.path):
            return None

        def take() -> Path | None:
            run(con, "CHECKPOINT")
            live, last = files.health(con)
            if last is None and not live.get("mentions"):
                return None  # nothing worth a backup yet (a new store)
            return backups.take(con, self.path, fd=self._fd, live=live, last_import=last,
                                context=context)

        return self._guard("back up the store", take)

    def _swap_in(self, replacement: Path) -> None:
        """Close, rename ``replacement`` over the store file (atomic), reopen."""
        con = self._connection()
        self._guard("close the store for the purge", lambda: run(con, "CHECKPOINT"))
        self.close()
        wal = files.wal_path(self.path)
        if wal.is_file() and wal.stat().st_size:
            self._con = self._open()
            raise StoreError(f"the purge could not replace {self.path}: its write-ahead log "
                             f"was not empty after closing; nothing was purged. Run "
                             f"`listening doctor`, then the purge again.")
        files.replace_durably(replacement, self.path)
        self._con = self._open()

    # -- public API

    def backup(self) -> Path | None:
        """Take a backup now if the store changed since the last one; return its path.

        Imports and purges take one themselves; triage, handled marks and
        enrichment written since are otherwise backed up before the next import.
        """
        return self._backup(only_if_changed=True)

    def add(self, frame: pd.DataFrame, report=None, *,
            source_files: Sequence[str | os.PathLike] | None = None) -> mentions.AddResult:
        """Store the mentions of ``frame`` not yet stored, with an audit row; atomic.

        Needs the mention schema's columns (missing optional ones are added as
        null). Enrichment columns present in the frame (``sentiment``,
        ``sentiment_label``, ``topic``, ``topic_label``, ``rule_*``) are stored
        too, as by :meth:`add_enrichment`; other extra columns are ignored.

        Idempotent: a ``mention_id`` already stored, or repeated in the frame,
        counts as a duplicate and is stored once. Atomic: the mentions, the
        ``imports`` row and the report's rejects are written in one transaction,
        followed by a CHECKPOINT. Backed up: the store is copied, proven whole and
        rotated in as the newest backup generation after the import (and before
        it, if the store changed since its last backup).

        Parameters
        ----------
        frame : DataFrame
            Mentions, e.g. the frame returned by ``listening.load``.
        report : LoadReport, optional
            The loader's report for ``frame``: its counts and files go to the audit
            row, its ``rejects`` are stored with the import. It is not changed: the
            result says how many of its loaded rows the store already held.
        source_files : list of paths, optional
            For frames made without a loader: the files they came from (recorded
            with their SHA-256 when readable).

        Returns
        -------
        AddResult
            ``import_id, read, loaded (= added), rejected, duplicates`` as recorded,
            and per-file counts (``files``) when the report named its files.

        Raises
        ------
        StoreDiskFullError
            Too little free space for the import and its backup (nothing imported).
        StoreDamagedError
            The store file does not read back whole; the message names the backup
            to restore and what restoring it loses.

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
        >>> first.added, again.added, again.duplicates, list(french["mention_id"])
        (3, 0, 3, ['3'])
        """
        self._require_writable("add mentions")
        job = mentions.prepare_add(frame, report, source_files)
        size = failures.path_size(self.path)
        # the log and the file grow by about the frame's size; the backup copies the file
        needed = size + 2 * job.nbytes
        if failures.free_bytes(self.path.parent) < needed:
            raise failures.disk_full(self.path, action="the import and its backup", needed=needed,
                                     state="Nothing was imported.")
        self._backup(context="the import did not start:")
        result = self._write("add mentions", lambda con: mentions.write_add(con, job),
                             needed=needed)
        self._backup(context=f"import {result.import_id} was stored ({result.loaded:,} new "
                             f"mentions), but")
        return result

    def count(self) -> int:
        """Number of mentions stored."""
        return mentions.count(self)

    def mentions(self, *, since=None, until=None,
                 platform: str | Iterable[str] | None = None,
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
            Return only these columns (mention, enrichment or ``import_id``).
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
        frame = mentions.select(self, since=since, until=until, platform=platform,
                                language=language, query=query, columns=columns, limit=limit)
        versions = enrichment.stored_versions(self)
        if versions["models"] or versions["rules"]:
            # the versions that wrote the stored enrichment, for provenance
            frame.attrs.setdefault("listening", {}).update(
                {k: dict(v) for k, v in versions.items() if v})
        return frame

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
        chosen = enrichment.choose_columns(frame, columns)
        table = enrichment.to_table(frame, chosen)

        def body(con) -> int:
            written = enrichment.upsert(con, table)
            enrichment.record_versions(con, frame, chosen)
            return written

        return self._write("store enrichment", body, needed=2 * table.nbytes)

    def imports(self) -> pd.DataFrame:
        """The audit log: one row per import or purge, oldest first (see :mod:`listening.store`)."""
        return audit.imports(self)

    def rejects(self, import_id: str | None = None) -> pd.DataFrame:
        """Rejected rows: ``import_id, source, line, column, reason, raw`` (one import, or all)."""
        return audit.rejects(self, import_id)

    def purge(self, older_than: str | pd.Timedelta = purge.DEFAULT_RETENTION, *,
              dry_run: bool = False) -> purge.PurgeResult:
        """Erase mentions older than ``now - older_than`` and every trace of them.

        Removes their enrichment and response-queue marks, triage rows older than
        the cutoff, and the rejects (raw input lines) of imports finished before
        it or whose mentions are all purged; rebuilds the store file and every
        backup generation without them (see :mod:`listening.store.purge`), and
        deletes ``.damaged-*`` copies. The purge is recorded in :meth:`imports`.

        Returns
        -------
        PurgeResult
            ``removed`` (rows per table), ``mentions``, the backups rebuilt and the
            files deleted. ``dry_run=True`` returns the same without changing anything.
        """
        if dry_run:
            return purge.plan(self, older_than)
        return purge.purge(self, older_than)

    def save_triage(self, alert_key: str, status: str, owner: str = "", note: str = "") -> None:
        """Record a triage decision for an alert; history is kept (see :meth:`triage`)."""
        worklog.save_triage(self, alert_key, status, owner, note)

    def triage(self, *, history: bool = False) -> pd.DataFrame:
        """Latest triage row per ``alert_key`` (``alert_key, status, owner, note, at``).

        ``history=True`` returns every row, oldest first.
        """
        return worklog.triage(self, history=history)

    def mark_handled(self, mention_ids: str | Iterable[str], by: str = "", note: str = "") -> int:
        """Mark mentions as handled in the response queue; returns how many were marked.

        Every id must be in the store (a typo raises rather than being lost).
        """
        return worklog.mark_handled(self, mention_ids, by, note)

    def handled(self) -> pd.DataFrame:
        """Latest response-queue mark per mention (``mention_id, by, note, at``)."""
        return worklog.handled(self)

    def secret(self) -> bytes:
        """The store's 32-byte pseudonymisation key, created on first use; never printed."""
        return worklog.secret(self)
