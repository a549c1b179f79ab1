"""The audit log (one ``imports`` row per import or purge) and the rejects of each import."""

from __future__ import annotations

import secrets

import duckdb
import pandas as pd
import pyarrow as pa

from .sql import now, registered, run, to_frame
from .tables import IMPORTS, REJECTS


def new_import_id(started: pd.Timestamp, kind: str = "") -> str:
    """``<UTC time>Z-<random>``; purges read ``<UTC time>Z-purge-<random>``."""
    tag = f"{kind}-" if kind else ""
    return f"{started:%Y%m%dT%H%M%S}Z-{tag}{secrets.token_hex(4 if not kind else 2)}"


def insert_import_row(con: duckdb.DuckDBPyConnection, *, import_id: str, kind: str,
                      files: list, sha256: list, read: int, loaded: int, rejected: int,
                      duplicates: int, deleted: int, started: pd.Timestamp, note: str,
                      database: str = "") -> None:
    from .. import __version__

    table = f"{database}.imports" if database else "imports"
    run(con,
        f"INSERT INTO {table} VALUES ($import_id, $kind, $files, $sha256, $read, $loaded, "
        "$rejected, $duplicates, $deleted, $started, $finished, $version, $note)",
        {"import_id": import_id, "kind": kind, "files": files, "sha256": sha256,
         "read": read, "loaded": loaded, "rejected": rejected, "duplicates": duplicates,
         "deleted": deleted, "started": started, "finished": now(),
         "version": __version__, "note": note})


def insert_rejects(con: duckdb.DuckDBPyConnection, import_id: str,
                   rejects: pd.DataFrame) -> None:
    """Store a loader's rejects (``source, line, column, reason, raw``) under an import."""
    out = pd.DataFrame({"import_id": import_id}, index=rejects.index)
    for column in REJECTS.column_names[1:]:
        values = rejects[column] if column in rejects.columns else pd.Series(
            pd.NA, index=rejects.index)
        if column == "line":
            out[column] = pd.to_numeric(values, errors="coerce").astype("Int64")
        else:
            out[column] = values.astype("string")
    with registered(con, "_rejects", pa.Table.from_pandas(out, preserve_index=False)):
        run(con, 'INSERT INTO rejects SELECT import_id, source, line, "column", reason, raw '
                 "FROM _rejects")


def imports(store) -> pd.DataFrame:
    frame = to_frame(store._read("SELECT * FROM imports ORDER BY started, import_id"),
                     timestamps=IMPORTS.timestamp_columns)
    for column in ("files", "sha256"):
        frame[column] = [list(v) if v is not None else [] for v in frame[column]]
    return frame


def rejects(store, import_id: str | None = None) -> pd.DataFrame:
    sql = ('SELECT import_id, source, line, "column", reason, raw FROM rejects'
           + (" WHERE import_id = $id" if import_id is not None else "")
           + " ORDER BY import_id, source, line")
    return to_frame(store._read(sql, {"id": import_id} if import_id is not None else None))
