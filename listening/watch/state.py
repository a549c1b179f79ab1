"""The watcher's state in the store: files seen, alerts handed to routes, the outbox.

Three worklog tables (declared in :mod:`listening.store.tables`):

``watch_files``
    One row per export file seen, by SHA-256: ``status`` is ``ingested`` (stored,
    its alerts not yet routed), ``done`` (routed), ``failed`` (could not be read:
    ``note`` says why; a changed file has a new hash and is tried again) or
    ``empty``.
``watch_notified``
    One row per (``incident``, ``route``): the alert handed to that route, when it
    is ``due`` (now, after the quiet hours, or at the digest time) and the outbox
    ``message_id`` it went out in (null until composed).
``watch_outbox``
    One row per message and channel, keyed by its idempotency key
    ``message_id``: ``pending`` (with ``attempts`` and ``next_try``), ``sent`` or
    ``failed`` (``last_error``).

Each step is one store transaction, so a watcher killed at any point resumes
where it stopped: nothing is routed twice, nothing is composed twice, and a
message is marked sent right after the server accepted it.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import pyarrow as pa

from ..store.sql import now, registered, run, to_frame
from ..store.tables import WATCH_FILES, WATCH_NOTIFIED, WATCH_OUTBOX
from ..store.worklog import append

OUTBOX_STATUSES = ("pending", "sent", "failed")


def _frame(store, sql: str, params: dict | None = None, table=None) -> pd.DataFrame:
    stamps = table.timestamp_columns if table is not None else frozenset()
    return to_frame(store._read(sql, params), timestamps=stamps)


def seen_sha256(store) -> set[str]:
    """Hashes of every file the watcher recorded or any import stored (the audit log)."""
    watched = store._read("SELECT DISTINCT sha256 FROM watch_files").column(0).to_pylist()
    imported = store._read("SELECT DISTINCT unnest(sha256) FROM imports WHERE kind = 'add'"
                           ).column(0).to_pylist()
    return {h for h in (*watched, *imported) if h}


def record_files(store, rows: list[dict]) -> None:
    """Record files seen (``sha256, path, status, import_id, mentions, note``)."""
    frame = pd.DataFrame(rows).assign(at=now())
    frame["import_id"] = frame["import_id"].astype("string")
    store._write("record watched files", lambda con: append(con, WATCH_FILES, frame))


def record_file(store, *, sha256: str, path: str, status: str, import_id: str | None = None,
                mentions: int = 0, note: str = "") -> None:
    record_files(store, [{"sha256": sha256, "path": path, "status": status,
                          "import_id": import_id, "mentions": int(mentions), "note": note}])


def unrouted_imports(store) -> list[str]:
    """Imports the watcher stored whose alerts were not routed yet."""
    return store._read("SELECT import_id FROM watch_files WHERE status = 'ingested' "
                       "ORDER BY \"at\", import_id").column(0).to_pylist()


def import_span(store, import_ids: list[str]) -> tuple[pd.Timestamp | None, int]:
    """The oldest timestamp among the mentions of ``import_ids`` and their number."""
    if not import_ids:
        return None, 0
    table = store._read("SELECT min(timestamp), count(*) FROM mentions WHERE "
                        "list_contains($ids, import_id)", {"ids": import_ids})
    first, n = table.column(0)[0].as_py(), int(table.column(1)[0].as_py())
    return (pd.Timestamp(first).tz_convert("UTC") if first is not None else None), n


def unenriched(store, import_ids: list[str], columns: Iterable[str]) -> pd.DataFrame:
    """Mentions of ``import_ids`` that have no enrichment row yet."""
    if not import_ids:
        return pd.DataFrame(columns=list(columns))
    names = ", ".join(f'm."{c}"' for c in columns)
    return _frame(store, f"SELECT {names} FROM mentions m ANTI JOIN enrichment e ON "
                         f"e.mention_id = m.mention_id WHERE list_contains($ids, m.import_id) "
                         f"ORDER BY m.timestamp, m.mention_id", {"ids": import_ids})


def mentions_by_id(store, ids: list[str]) -> pd.DataFrame:
    """``mention_id, timestamp, text, author, platform, language`` of ``ids`` (example posts)."""
    return _frame(store, "SELECT mention_id, timestamp, text, author, platform, language "
                         "FROM mentions "
                         "WHERE list_contains($ids, mention_id) ORDER BY mention_id",
                  {"ids": [str(i) for i in ids]})


def notified(store) -> pd.DataFrame:
    return _frame(store, "SELECT * FROM watch_notified ORDER BY \"at\", incident, route",
                  table=WATCH_NOTIFIED)


def route_alerts(store, rows: pd.DataFrame, import_ids: list[str]) -> None:
    """Record alerts handed to routes and mark their imports routed: one transaction."""
    def body(con) -> None:
        if len(rows):
            append(con, WATCH_NOTIFIED, rows)
        if import_ids:
            run(con, "UPDATE watch_files SET status = 'done' WHERE status = 'ingested' AND "
                     "list_contains($ids, import_id)", {"ids": import_ids})

    store._write("record routed alerts", body)


def ready(store, when: pd.Timestamp) -> pd.DataFrame:
    """Routed alerts due by ``when`` and not yet in a message."""
    return _frame(store, "SELECT * FROM watch_notified WHERE message_id IS NULL AND due <= $t "
                         "ORDER BY due, route, incident", {"t": when}, table=WATCH_NOTIFIED)


def held(store) -> pd.DataFrame:
    """Routed alerts not yet in a message (waiting for a digest or the end of quiet hours)."""
    if not store._columns("watch_notified"):
        return pd.DataFrame(columns=["route", "due", "severity"])
    return _frame(store, "SELECT route, due, severity FROM watch_notified WHERE message_id IS "
                         "NULL ORDER BY due, route", table=WATCH_NOTIFIED)


def queue(store, outbox: pd.DataFrame, links: list[tuple[str, str, str]]) -> None:
    """Insert outbox rows and link ``(incident, route, message_id)``: one transaction."""
    def body(con) -> None:
        if len(outbox):
            fresh = outbox
            with registered(con, "_keys", pa.table({"k": pa.array(
                    outbox["message_id"].tolist(), pa.string())})):
                have = {r[0] for r in run(con, "SELECT message_id FROM watch_outbox WHERE "
                                               "message_id IN (SELECT k FROM _keys)")}
            fresh = outbox[~outbox["message_id"].isin(have)]  # idempotent: one row per key
            if len(fresh):
                append(con, WATCH_OUTBOX, fresh)
        for incident, route, message_id in links:
            run(con, "UPDATE watch_notified SET message_id = $m WHERE incident = $i AND "
                     "route = $r AND message_id IS NULL",
                {"m": message_id, "i": incident, "r": route})

    store._write("queue messages", body)


def due_messages(store, when: pd.Timestamp) -> pd.DataFrame:
    return _frame(store, "SELECT * FROM watch_outbox WHERE status = 'pending' AND "
                         "next_try <= $t ORDER BY created, message_id, channel", {"t": when},
                  table=WATCH_OUTBOX)


def update_message(store, message_id: str, channel: str, *, status: str, attempts: int,
                   next_try: pd.Timestamp | None, error: str | None,
                   sent: pd.Timestamp | None) -> None:
    store._write("update the outbox", lambda con: run(
        con, "UPDATE watch_outbox SET status = $s, attempts = $a, next_try = $n, "
             "last_error = $e, sent = $t WHERE message_id = $m AND channel = $c",
        {"s": status, "a": attempts, "n": next_try, "e": error, "t": sent, "m": message_id,
         "c": channel}))


def outbox(store, statuses: Iterable[str] = OUTBOX_STATUSES) -> pd.DataFrame:
    """Outbox rows with these statuses, oldest first (none in a store a watcher never
    opened: a read-only store made before the watcher has no outbox table)."""
    if not store._columns("watch_outbox"):
        return pd.DataFrame(columns=["message_id", "route", "channel", "status", "attempts",
                                     "next_try", "last_error", "subject", "created", "sent"])
    return _frame(store, "SELECT message_id, route, channel, status, attempts, next_try, "
                         "last_error, subject, created, sent FROM watch_outbox WHERE "
                         "list_contains($s, status) ORDER BY created, message_id, channel",
                  {"s": list(statuses)}, table=WATCH_OUTBOX)


def retry_failed(store) -> int:
    """Put failed messages back in the queue (after fixing a route or a server)."""
    def body(con) -> int:
        n = run(con, "SELECT count(*) FROM watch_outbox WHERE status = 'failed'")[0][0]
        run(con, "UPDATE watch_outbox SET status = 'pending', attempts = 0, next_try = $t "
                 "WHERE status = 'failed'", {"t": now()})
        return int(n)

    return store._write("retry failed messages", body)
