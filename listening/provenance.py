"""Provenance of exports and briefs: what data, which rules and models, when.

Every file ``listening`` writes for people outside the notebook (exports,
briefs) carries the same record, so a finding can be traced months later:

* ``generated_at`` (UTC), ``generator`` (package version);
* ``rows``, ``columns``, ``data_period`` (first and last timestamp);
* ``sources``: mentions per platform and per source file;
* ``rules``: ``{name: version}`` of the monitoring rules behind ``rule_<name>``
  columns; ``models``: ``{stage: version}`` of the sentiment/topic models;
* ``data_hash``: SHA-256 over ``mention_id``, ``timestamp`` and ``text`` (see
  :func:`data_hash`), the same for the same mentions whatever their row order.

Rule and model versions come from ``frame.attrs["listening"]`` (keys ``rules``
and ``models``), which the enrichment stages set; rules passed explicitly win.
A ``rule_<name>`` column without a recorded version is listed as ``"unknown"``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime

import numpy as np
import pandas as pd

__all__ = ["HASH_METHOD", "data_hash", "model_versions", "provenance", "rule_versions"]

HASH_METHOD = ("sha256 over 'mention_id \\x1f timestamp(ns since epoch, UTC) \\x1f text' "
               "per row, rows sorted by mention_id and joined with \\x1e "
               "(lone surrogates, which UTF-8 cannot encode, hashed as U+FFFD)")
FALLBACK_HASH_METHOD = "sha256 over the frame as JSON records (ISO dates), in row order"


def data_hash(frame: pd.DataFrame) -> str:
    """A stable fingerprint of the mentions in ``frame`` (``sha256:<hex>``).

    Uses ``mention_id``, ``timestamp`` and ``text`` when present, independent of
    row order and of extra columns; other frames (e.g. alerts) are hashed as JSON
    records.

    >>> import pandas as pd
    >>> f = pd.DataFrame({"mention_id": ["b", "a"], "text": ["y", "x"],
    ...                   "timestamp": pd.to_datetime(["2026-01-02", "2026-01-01"], utc=True)})
    >>> data_hash(f) == data_hash(f.iloc[::-1])
    True
    """
    digest = hashlib.sha256()
    try:
        digest.update(_hashed_bytes(frame))
    except UnicodeEncodeError:  # lone surrogates (e.g. from a JSON "\ud800"): not UTF-8
        digest = hashlib.sha256(_hashed_bytes(_without_surrogates(frame)))
    return "sha256:" + digest.hexdigest()


def _hashed_bytes(frame: pd.DataFrame) -> bytes:
    if {"mention_id", "timestamp", "text"} <= set(frame.columns):
        return _mention_rows_bytes(frame)
    records = frame.to_json(orient="records", date_format="iso", default_handler=str)
    return records.encode("utf-8")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_surrogates(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each lone surrogate in its text replaced by U+FFFD (for hashing only)."""
    out = frame.copy()
    for i in range(out.shape[1]):
        values = out.iloc[:, i]
        if values.dtype == object or getattr(values.dtype, "storage", None) == "python":
            out.isetitem(i, values.map(lambda v: _SURROGATE.sub("\ufffd", v)
                                       if isinstance(v, str) else v))
    return out


def _mention_rows_bytes(frame: pd.DataFrame) -> bytes:
    """The bytes :data:`HASH_METHOD` describes, built with Arrow compute (no Python loop).

    Equal to ``"".join(row + "\x1e" for row in sorted(rows)).encode()`` with
    ``row = f"{mention_id}\x1f{nanoseconds}\x1f{text}"``: sorting UTF-8 bytes
    orders strings as Python does (by code point).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    def strings(series: pd.Series) -> pa.Array:
        values = pa.array(series.astype("string").fillna("").array)  # Arrow-backed: no copy
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        return pc.cast(values, pa.large_string())

    def scalar(text: str) -> pa.Scalar:
        return pa.scalar(text, type=pa.large_string())

    ts = pd.to_datetime(frame["timestamp"], utc=True).dt.as_unit("ns")
    nanos = pa.array(ts.to_numpy(dtype="datetime64[ns]").view("int64"), mask=ts.isna().to_numpy())
    nanos = pc.fill_null(pc.cast(nanos, pa.large_string()), scalar(""))
    text = pc.binary_join_element_wise(strings(frame["text"]), scalar("\x1e"), scalar(""))
    rows = pc.binary_join_element_wise(strings(frame["mention_id"]), nanos, text, scalar("\x1f"))
    rows = rows.take(pc.sort_indices(rows))
    if len(rows) == 0:
        return b""
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)[rows.offset:rows.offset + len(rows) + 1]
    return rows.buffers()[2].to_pybytes()[offsets[0]:offsets[-1]]


def _attrs(frame: pd.DataFrame) -> dict:
    meta = frame.attrs.get("listening", {})
    return meta if isinstance(meta, dict) else {}


def rule_versions(frame: pd.DataFrame, rules: Iterable | None = None) -> dict[str, str]:
    """``{rule name: version}`` for the rules behind the frame's ``rule_<name>`` columns."""
    versions = {str(k): str(v) for k, v in dict(_attrs(frame).get("rules", {}) or {}).items()}
    for rule in rules or []:
        # keyed like the frame's rule_<slug> columns (and enrich's attrs), not by display name
        key = rule.column[len("rule_"):] if hasattr(rule, "column") else str(rule.name)
        versions[key] = str(getattr(rule, "version", "unknown"))
    for column in frame.columns:
        if isinstance(column, str) and column.startswith("rule_"):
            versions.setdefault(column[len("rule_"):], "unknown")
    return dict(sorted(versions.items()))


def model_versions(frame: pd.DataFrame) -> dict[str, str]:
    """``{stage: version}`` of the models that enriched the frame (from ``frame.attrs``)."""
    models = {str(k): str(v) for k, v in dict(_attrs(frame).get("models", {}) or {}).items()}
    for column, stage in (("sentiment", "sentiment"), ("topic", "topics")):
        if column in frame.columns:
            models.setdefault(stage, "unknown")
    return dict(sorted(models.items()))


def _counts(series: pd.Series) -> dict[str, int]:
    counts = series.value_counts(dropna=False, sort=True)  # categoricals stay categorical
    return {("(missing)" if pd.isna(k) else str(k)): int(v) for k, v in counts.items() if v}


def _period(frame: pd.DataFrame) -> dict[str, str | None]:
    for start_col, end_col in (("timestamp", "timestamp"), ("start", "end")):
        if start_col in frame.columns and end_col in frame.columns and len(frame):
            start = pd.to_datetime(frame[start_col], utc=True).min()
            end = pd.to_datetime(frame[end_col], utc=True).max()
            if pd.notna(start) and pd.notna(end):
                return {"start": start.isoformat(), "end": end.isoformat()}
    return {"start": None, "end": None}


def provenance(frame: pd.DataFrame, *, rules: Iterable | None = None,
               extra: dict | None = None) -> dict:
    """The provenance record of ``frame`` (a JSON-ready dict; see the module docstring)."""
    from . import __version__

    sources: dict[str, dict[str, int]] = {}
    if "platform" in frame.columns:
        sources["platforms"] = _counts(frame["platform"])
    if "source" in frame.columns:
        # "file#row" -> "file" (one vectorised regex; rsplit builds a list per row)
        files = frame["source"].astype("string").str.replace(r"#[^#]*$", "", regex=True)
        sources["files"] = _counts(files)
    if "language" in frame.columns:
        sources["languages"] = _counts(frame["language"])
    mentions = {"mention_id", "timestamp", "text"} <= set(frame.columns)
    record = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "generator": f"listening {__version__}",
        "rows": len(frame),
        "columns": [str(c) for c in frame.columns],
        "data_period": _period(frame),
        "sources": sources,
        "rules": rule_versions(frame, rules),
        "models": model_versions(frame),
        "data_hash": data_hash(frame),
        "data_hash_method": HASH_METHOD if mentions else FALLBACK_HASH_METHOD,
    }
    record.update(extra or {})
    json.dumps(record)  # fail here, not half-way through writing, if something is not JSON
    return record
