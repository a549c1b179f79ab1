"""The mention store: one DuckDB file holding every mention loaded, with its audit trail.

>>> import listening as ls
>>> with ls.open_store("demo.duckdb") as store:            # doctest: +SKIP
...     result = store.add(frame, report)                  # idempotent, atomic, backed up
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

What the store promises
-----------------------
* **Every write is one transaction** (an import's mentions, its ``imports`` audit
  row and its rejects land together or not at all), followed by a ``CHECKPOINT``
  so the data sits in the file and the write-ahead log is empty between writes.
* **Backups that cannot rot the good one** (:mod:`listening.store.backups`): after
  every import and purge (and before an import when the file changed since) the
  file is copied, read back whole and only then rotated in as ``<name>.bak.1``
  (``.bak.2``, ``.bak.3`` are the older generations). Each generation's own audit
  log says which imports it holds.
* **Damage is told at once.** Opening reads every table's row count and the last
  import; a file, block or write-ahead log that cannot be read raises
  :class:`~listening.errors.StoreDamagedError` naming the newest whole backup,
  the imports restoring it would lose, and the command:
  ``listening --store PATH doctor --restore`` (or :func:`restore_backup`).
  ``listening doctor`` (:func:`check_store`) reports the store and every backup.
* **No raw DuckDB exception** reaches the caller: each becomes a ``StoreError``
  subclass (locked, damaged, disk full, conflict) whose message says what to do;
  DuckDB's own message is its ``__cause__``. Too little free space is found
  before writing when possible, and a half-written backup copy is deleted at once.
* **A purge erases** (:mod:`listening.store.purge`): the store and every backup
  generation are rebuilt without the purged mentions and everything about them;
  killed midway, the store is either as before or purged.

Cost: each import copies the whole file and reads the copy back (a 68 MB store of
1M demo mentions: about 2 s on top of the import's 25 s, ``benchmarks/store.py``).

Tables (timestamps are ``TIMESTAMPTZ``: UTC, to the microsecond)
----------------------------------------------------------------
Declared once in :mod:`listening.store.tables`, the mention columns generated
from :data:`listening.schema.MENTION_COLUMNS`.

``mentions``
    The mention schema (VARCHAR for strings and categories, BIGINT for counts)
    plus ``import_id``, the import that stored the row. ``mention_id`` is unique
    by construction (every insert anti-joins on it, and there is one writer at a
    time); there is no index or key constraint, which keeps bulk inserts fast.
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

import os
from pathlib import Path

from .doctor import StoreHealth, check_store
from .facade import Store
from .files import STORE_ENV, STORE_FILENAME, default_store_path
from .mentions import AddResult, FileCounts
from .purge import DEFAULT_RETENTION, PurgeResult
from .restore import RestoreResult, restore
from .worklog import TRIAGE_STATUSES

__all__ = [
    "DEFAULT_RETENTION",
    "STORE_ENV",
    "STORE_FILENAME",
    "TRIAGE_STATUSES",
    "AddResult",
    "FileCounts",
    "PurgeResult",
    "RestoreResult",
    "Store",
    "StoreHealth",
    "check_store",
    "default_store_path",
    "open_store",
    "restore_backup",
]


def open_store(path: str | os.PathLike | None = None, *, read_only: bool = False) -> Store:
    """Open (creating if needed) the mention store; see :mod:`listening.store`.

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
    StoreDamagedError
        The file or its write-ahead log cannot be read back; the message names
        the backup to restore, what restoring it loses, and the command.
    StoreError
        The file is missing (read-only) or is not a store.
    """
    return Store(default_store_path() if path is None else path, read_only=read_only)


def restore_backup(path: str | os.PathLike | None = None, *, generation: int | None = None,
                   dry_run: bool = False) -> RestoreResult:
    """Replace a damaged store with a backup generation; say which imports that loses.

    The store must be closed. ``generation`` (1 = newest) defaults to the newest
    one that reads back whole. The replaced file (and its write-ahead log) is kept
    as ``<name>.damaged-<UTC time>``. ``dry_run=True`` only says what would happen.
    """
    return restore(Path(default_store_path() if path is None else path),
                   generation=generation, dry_run=dry_run)

