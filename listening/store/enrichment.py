"""Stored enrichment: one row per mention, one column per enrichment, latest value wins."""

from __future__ import annotations

import json
from collections.abc import Sequence

import duckdb
import pandas as pd
import pyarrow as pa

from ..errors import SchemaError
from ..schema import SENTIMENT_LABELS
from .files import existing_columns
from .sql import now, quote, registered, run
from .tables import ENRICHMENT_SQL_TYPES, enrichment_sql_type, is_enrichment_column

# The settings row holding which rule and model versions wrote the stored enrichment
# (``frame.attrs["listening"]`` of what was stored): the provenance of a brief or an
# export made from the store names them, as one made from the enriched frame does.
VERSIONS_KEY = "enrichment_versions"


def record_versions(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame,
                    columns: list[str]) -> None:
    """Merge the versions of the models and rules behind ``columns`` into the settings."""
    meta = frame.attrs.get("listening", {}) or {}
    models = {str(k): str(v) for k, v in dict(meta.get("models", {}) or {}).items()}
    rules = {str(k): str(v) for k, v in dict(meta.get("rules", {}) or {}).items()}
    stages = {"sentiment": "sentiment", "sentiment_label": "sentiment", "topic": "topics",
              "topic_label": "topics"}
    written = {stages[c] for c in columns if c in stages}
    rule_slugs = {c[len("rule_"):] for c in columns if c.startswith("rule_")}
    rows = run(con, "SELECT value FROM settings WHERE key = $key", {"key": VERSIONS_KEY})
    known = json.loads(bytes(rows[0][0]).decode("utf-8")) if rows else {"models": {}, "rules": {}}
    known["models"].update({k: v for k, v in models.items() if k in written})
    known["rules"].update({k: v for k, v in rules.items() if k in rule_slugs})
    value = json.dumps(known, sort_keys=True).encode("utf-8")
    run(con, "DELETE FROM settings WHERE key = $key", {"key": VERSIONS_KEY})
    run(con, "INSERT INTO settings VALUES ($key, $value)", {"key": VERSIONS_KEY, "value": value})


def stored_versions(store) -> dict:
    """``{"models": {stage: version}, "rules": {slug: version}}`` recorded with the enrichment."""
    table = store._read("SELECT value FROM settings WHERE key = $key", {"key": VERSIONS_KEY})
    if not table.num_rows:
        return {"models": {}, "rules": {}}
    return json.loads(bytes(table.column(0)[0].as_py()).decode("utf-8"))


def stored_columns(store) -> list[str]:
    """The enrichment columns the store holds (``mention_id`` and ``updated`` aside)."""
    return [c for c in store._columns("enrichment") if c not in ("mention_id", "updated")]


def to_table(frame: pd.DataFrame, columns: list[str]) -> pa.Table:
    """``mention_id`` plus ``columns`` with their stored dtypes; SchemaError names a bad one."""
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
                              f"{', '.join(SENTIMENT_LABELS)}", column="sentiment_label")
    table = pd.DataFrame(out).drop_duplicates("mention_id", keep="last")
    return pa.Table.from_pandas(table, preserve_index=False)


def choose_columns(frame: pd.DataFrame, columns: Sequence[str] | str | None) -> list[str]:
    """The enrichment columns to store from ``frame`` (all it has when ``columns`` is None)."""
    if columns is None:
        columns = [c for c in frame.columns if is_enrichment_column(c)]
    columns = [columns] if isinstance(columns, str) else [str(c) for c in columns]
    bad = [c for c in columns if not is_enrichment_column(c)]
    if bad:
        raise SchemaError(f"cannot store enrichment column(s) {', '.join(map(repr, bad))}; "
                          f"use {', '.join(ENRICHMENT_SQL_TYPES)} or rule_<name> (letters, "
                          f"digits, _)", column=bad[0])
    if not columns:
        raise SchemaError("add_enrichment found no enrichment column to store; the frame "
                          f"has: {', '.join(map(str, frame.columns))}")
    missing = [c for c in ["mention_id", *columns] if c not in frame.columns]
    if missing:
        raise SchemaError(f"add_enrichment needs column(s) {', '.join(map(repr, missing))}; "
                          f"the frame has: {', '.join(map(str, frame.columns))}",
                          column=missing[0])
    return columns


def upsert(con: duckdb.DuckDBPyConnection, table: pa.Table) -> int:
    """Insert or overwrite the rows of ``table`` whose mention is stored; return how many."""
    columns = [c for c in table.column_names if c != "mention_id"]
    have = {name for name, _ in existing_columns(con, "enrichment")}
    for column in columns:
        if column not in have:
            run(con, f"ALTER TABLE enrichment ADD COLUMN {quote(column)} "
                     f"{enrichment_sql_type(column)}")
    with registered(con, "_enrich", table):
        run(con, "CREATE OR REPLACE TEMP TABLE _enrich_known AS SELECT f.* FROM _enrich f "
                 "SEMI JOIN mentions m ON f.mention_id = m.mention_id")
        stamp = {"now": now()}
        sets = ", ".join(f"{quote(c)} = k.{quote(c)}" for c in columns)
        run(con, f"UPDATE enrichment SET {sets}, updated = $now FROM _enrich_known k "
                 f"WHERE enrichment.mention_id = k.mention_id", stamp)
        names = ", ".join(quote(c) for c in columns)
        values = ", ".join(f"k.{quote(c)}" for c in columns)
        run(con, f"INSERT INTO enrichment (mention_id, {names}, updated) "
                 f"SELECT k.mention_id, {values}, $now FROM _enrich_known k "
                 f"ANTI JOIN enrichment e ON e.mention_id = k.mention_id", stamp)
        written = run(con, "SELECT count(*) FROM _enrich_known")[0][0]
        run(con, "DROP TABLE _enrich_known")
    return int(written)
