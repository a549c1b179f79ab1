"""The worklog: threat-board triage, response-queue marks, the pseudonymisation secret.

Worklog tables are declared in :data:`listening.store.tables.WORKLOG` (columns and
what a purge keeps). :func:`append` and :func:`latest` serve any of them, so a
new table (saved explorer views, a monitoring loop's state) needs its
declaration and a few lines of ``Store`` methods, not new SQL plumbing.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

import duckdb
import pandas as pd
import pyarrow as pa

from ..errors import StoreError, check_option
from .sql import now, quote, registered, run, to_frame
from .tables import HANDLED, TRIAGE, Table

# Triage states of the threat board (issue 7), in workflow order.
TRIAGE_STATUSES: tuple[str, ...] = ("new", "acknowledged", "escalated", "closed")
SECRET_KEY = "pseudonymisation_secret"
SECRET_BYTES = 32  # 256-bit HMAC key


def append(con: duckdb.DuckDBPyConnection, table: Table, rows: pd.DataFrame) -> int:
    """Insert ``rows`` (columns named as declared; missing ones null) into a worklog table."""
    out = pa.Table.from_pandas(rows.reset_index(drop=True), preserve_index=False)
    names = [c for c in table.column_names if c in rows.columns]
    with registered(con, "_worklog_rows", out):
        run(con, f"INSERT INTO {table.name} ({', '.join(map(quote, names))}) "
                 f"SELECT {', '.join(map(quote, names))} FROM _worklog_rows")
    return len(rows)


def latest(store, table: Table, *, key: str, order: str, columns: Iterable[str],
           history: bool = False) -> pd.DataFrame:
    """The newest row per ``key`` (by ``order``), or every row with ``history=True``."""
    names = ", ".join(map(quote, columns))
    newest = "" if history else (f" QUALIFY row_number() OVER (PARTITION BY {quote(key)} "
                                 f"ORDER BY {quote(order)} DESC) = 1")
    return to_frame(store._read(f"SELECT {names} FROM {table.name}{newest} "
                                f"ORDER BY {quote(order)}, {quote(key)}"),
                    timestamps=table.timestamp_columns)


def save_triage(store, alert_key: str, status: str, owner: str = "", note: str = "") -> None:
    check_option("status", status, TRIAGE_STATUSES,
                  hint="Triage statuses follow the threat board's workflow")
    if not isinstance(alert_key, str) or not alert_key:
        raise StoreError(f"alert_key must be a non-empty string, got {alert_key!r}")
    store._write("save triage", lambda con: run(
        con, "INSERT INTO triage SELECT $key, $status, $owner, $note, $at, "
             "coalesce(max(seq), 0) + 1 FROM triage",
        {"key": alert_key, "status": status, "owner": str(owner), "note": str(note),
         "at": now()}))


def triage(store, *, history: bool = False) -> pd.DataFrame:
    return latest(store, TRIAGE, key="alert_key", order="seq", history=history,
                  columns=("alert_key", "status", "owner", "note", "at"))


def mark_handled(store, mention_ids: str | Iterable[str], by: str = "", note: str = "") -> int:
    ids = [mention_ids] if isinstance(mention_ids, str) else [str(i) for i in mention_ids]
    ids = list(dict.fromkeys(ids))
    at = now()

    def body(con) -> int:
        with registered(con, "_ids", pa.table({"mention_id": pa.array(ids, pa.string())})):
            unknown = [r[0] for r in run(con, "SELECT i.mention_id FROM _ids i ANTI JOIN "
                                              "mentions m ON i.mention_id = m.mention_id "
                                              "ORDER BY 1 LIMIT 5")]
        if unknown:
            raise StoreError(f"mention id(s) {', '.join(map(repr, unknown))} are not in "
                             f"store {store.path}; nothing was marked")
        return append(con, HANDLED, pd.DataFrame({
            "mention_id": pd.array(ids, dtype="string"), "by": str(by), "note": str(note),
            "at": at}))

    return store._write("mark mentions handled", body)


def handled(store) -> pd.DataFrame:
    return latest(store, HANDLED, key="mention_id", order="at",
                  columns=("mention_id", "by", "note", "at"))


def secret(store) -> bytes:
    def fetch(con) -> bytes | None:
        rows = run(con, "SELECT value FROM settings WHERE key = $key", {"key": SECRET_KEY})
        return bytes(rows[0][0]) if rows else None

    table = store._read("SELECT value FROM settings WHERE key = $key", {"key": SECRET_KEY})
    if table.num_rows:
        return bytes(table.column(0)[0].as_py())
    if store.read_only:
        raise StoreError(f"store {store.path} has no pseudonymisation secret yet; open it "
                         f"read-write once (open_store()) to create it")

    def create(con) -> bytes:
        existing = fetch(con)
        if existing is not None:
            return existing
        key = secrets.token_bytes(SECRET_BYTES)
        run(con, "INSERT INTO settings VALUES ($key, $value)", {"key": SECRET_KEY, "value": key})
        return key

    return store._write("create the pseudonymisation secret", create)
