"""The mention frame: the one table every stage takes and returns.

The schema is defined once here, as code. ``validate`` checks a frame against it
and reports *every* problem at once (like pandera's lazy validation) in
``SchemaError.failures``, a DataFrame with columns ``column, check,
failure_case, index``. We write the checks by hand rather than depend on
pandera: they are few, and a hand check on a million rows is a vectorised
comparison instead of a per-check framework call.

Columns (see DESIGN.md):

==============  ==========================  =========================================
column          dtype                       notes
==============  ==========================  =========================================
mention_id      string                      the source's id, else a stable hash
timestamp       datetime64[ns, UTC]         always UTC
platform        category (PLATFORMS)        x, facebook, ..., other
author          string                      handle, may be pseudonymised
text            string                      NFC, never truncated, never empty
url             string, nullable
language        category                    ISO 639-1 or ``und``
likes           Int64, nullable
shares          Int64, nullable
comments        Int64, nullable
reach           Int64, nullable
country         string, nullable
source          string                      provenance ``file#row`` / ``file#line``
==============  ==========================  =========================================

Optional columns (added by the loader, validated when present): ``platform_raw``
(string, nullable): the source's own platform name where it was replaced (a name
no list knows, or one filed under ``other``).

Enrichment columns (added by later stages, validated when present):
``sentiment`` float64 in [-1, 1], ``sentiment_label`` category
(negative/neutral/positive), ``topic`` Int64, ``topic_label`` string, and one
boolean column ``rule_<name>`` per active monitoring rule.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from .errors import SchemaError

__all__ = [
    "ENRICHMENT_COLUMNS",
    "MENTION_COLUMNS",
    "OPTIONAL_COLUMNS",
    "PLATFORMS",
    "REQUIRED_COLUMNS",
    "SENTIMENT_LABELS",
    "coerce",
    "empty_frame",
    "make_mention_ids",
    "require_columns",
    "validate",
]

PLATFORMS: tuple[str, ...] = (
    "x", "facebook", "instagram", "youtube", "linkedin", "reddit", "tiktok",
    "bluesky", "mastodon", "news", "blog", "forum", "other",
)
SENTIMENT_LABELS: tuple[str, ...] = ("negative", "neutral", "positive")

TIMESTAMP_DTYPE = pd.DatetimeTZDtype(unit="ns", tz="UTC")
PLATFORM_DTYPE = pd.CategoricalDtype(list(PLATFORMS))
STRING_DTYPE = pd.StringDtype()

MENTION_COLUMNS: dict[str, object] = {
    "mention_id": STRING_DTYPE,
    "timestamp": TIMESTAMP_DTYPE,
    "platform": PLATFORM_DTYPE,
    "author": STRING_DTYPE,
    "text": STRING_DTYPE,
    "url": STRING_DTYPE,
    "language": "category",
    "likes": pd.Int64Dtype(),
    "shares": pd.Int64Dtype(),
    "comments": pd.Int64Dtype(),
    "reach": pd.Int64Dtype(),
    "country": STRING_DTYPE,
    "source": STRING_DTYPE,
}
# Columns the loader adds that frames from elsewhere may lack: checked when present.
OPTIONAL_COLUMNS: dict[str, object] = {
    "platform_raw": STRING_DTYPE,
}
ENRICHMENT_COLUMNS: dict[str, object] = {
    "sentiment": "float64",
    "sentiment_label": pd.CategoricalDtype(list(SENTIMENT_LABELS)),
    "topic": pd.Int64Dtype(),
    "topic_label": STRING_DTYPE,
}
# Columns that may never be missing in a row.
REQUIRED_COLUMNS: tuple[str, ...] = ("mention_id", "timestamp", "platform", "text", "source")
_NULLABLE = {"url", "likes", "shares", "comments", "reach", "country", "author"}
_COUNT_COLUMNS = ("likes", "shares", "comments", "reach")


def empty_frame() -> pd.DataFrame:
    """An empty mention frame with the schema's columns and dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in MENTION_COLUMNS.items()})


def coerce(frame: pd.DataFrame) -> pd.DataFrame:
    """Cast the schema columns present in ``frame`` to their dtypes; add missing optional ones.

    Values that cannot be cast raise :class:`SchemaError` naming the column.
    Returns a new frame; the input is not modified.
    """
    out = {}
    for column, dtype in MENTION_COLUMNS.items():
        if column not in frame.columns:
            out[column] = pd.Series(pd.NA, index=frame.index, dtype=dtype) \
                if column != "timestamp" else pd.Series(pd.NaT, index=frame.index, dtype=dtype)
            continue
        values = frame[column]
        try:
            if column == "timestamp":
                values = pd.to_datetime(values, utc=True).astype(TIMESTAMP_DTYPE)
            elif column == "platform":
                values = values.astype("string").str.lower().astype(PLATFORM_DTYPE)
            elif column == "language":
                values = values.astype("string").str.lower().fillna("und").astype("category")
            else:
                values = values.astype(dtype)
        except (TypeError, ValueError) as exc:
            raise SchemaError(f"column {column!r} cannot be read as {dtype}: {exc}",
                              column=column) from exc
        out[column] = values
    extra = [c for c in frame.columns if c not in MENTION_COLUMNS]
    result = pd.DataFrame(out, index=frame.index)
    for c in extra:
        result[c] = frame[c].astype(OPTIONAL_COLUMNS[c]) if c in OPTIONAL_COLUMNS else frame[c]
    return result


def require_columns(frame: pd.DataFrame, columns: Iterable[str], *, stage: str) -> None:
    """Raise :class:`SchemaError` if ``frame`` lacks any of ``columns``.

    The message names the stage, the missing columns and the columns found, so the
    user can see at once whether a column is misnamed.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns)) or "none"
        raise SchemaError(
            f"{stage} needs column(s) {', '.join(map(repr, missing))}; the frame has: {found}",
            column=missing[0],
        )


_ISO_639_1 = re.compile(r"[a-z]{2}")


def _failure(rows: list, column: str, check: str, mask: pd.Series, values: pd.Series) -> None:
    bad = values[mask]
    for idx, value in bad.head(20).items():
        rows.append({"column": column, "check": check, "failure_case": value, "index": idx})
    if len(bad) > 20:
        rows.append({"column": column, "check": check,
                     "failure_case": f"... and {len(bad) - 20} more", "index": None})


def validate(frame: pd.DataFrame, *, enriched: bool = True) -> pd.DataFrame:
    """Check that ``frame`` is a mention frame; return it unchanged if so.

    Every failing check is collected before raising, and
    ``SchemaError.failures`` holds them as a DataFrame (``column, check,
    failure_case, index``). The message names the first bad column and why.

    Parameters
    ----------
    frame : DataFrame
        Candidate mention frame.
    enriched : bool, default True
        Also check the enrichment columns that are present.

    Examples
    --------
    >>> import listening as ls
    >>> frame, truth = ls.demo.generate(n_mentions=30, days=1, seed=1)
    >>> validate(frame) is frame
    True
    """
    if not isinstance(frame, pd.DataFrame):
        raise SchemaError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    rows: list[dict] = []
    missing = [c for c in MENTION_COLUMNS if c not in frame.columns]
    for c in missing:
        rows.append({"column": c, "check": "column present", "failure_case": None, "index": None})
    expected = dict(MENTION_COLUMNS)
    expected.update({k: v for k, v in OPTIONAL_COLUMNS.items() if k in frame.columns})
    if enriched:
        expected.update({k: v for k, v in ENRICHMENT_COLUMNS.items() if k in frame.columns})
    for column, dtype in expected.items():
        if column not in frame.columns:
            continue
        actual = frame[column].dtype
        ok = (isinstance(actual, pd.CategoricalDtype) if dtype == "category"
              else isinstance(actual, pd.StringDtype) if isinstance(dtype, pd.StringDtype)
              else actual == dtype)
        if not ok:
            rows.append({"column": column, "check": f"dtype is {dtype}",
                         "failure_case": str(actual), "index": None})
    for column in REQUIRED_COLUMNS:
        if column in frame.columns:
            _failure(rows, column, "not null", frame[column].isna(), frame[column])
    if "text" in frame.columns and isinstance(frame["text"].dtype, pd.StringDtype):
        text = frame["text"]
        _failure(rows, "text", "not empty", text.fillna("x").str.strip() == "", text)
    if "mention_id" in frame.columns:
        dup = frame["mention_id"].duplicated(keep="first") & frame["mention_id"].notna()
        _failure(rows, "mention_id", "unique", dup, frame["mention_id"])
    if "platform" in frame.columns and not isinstance(frame["platform"].dtype, pd.CategoricalDtype):
        bad = ~frame["platform"].isin(PLATFORMS)
        _failure(rows, "platform", f"one of {', '.join(PLATFORMS)}", bad, frame["platform"])
    if "language" in frame.columns:
        lang = frame["language"].astype(object)
        bad = ~lang.map(lambda v: isinstance(v, str) and (v == "und" or _ISO_639_1.fullmatch(v)
                                                           is not None)).astype(bool)
        _failure(rows, "language", "ISO 639-1 code or 'und'", bad, frame["language"])
    for column in _COUNT_COLUMNS:
        if column in frame.columns and pd.api.types.is_numeric_dtype(frame[column]):
            _failure(rows, column, "not negative", (frame[column] < 0).fillna(False), frame[column])
    if enriched and "sentiment" in frame.columns and pd.api.types.is_float_dtype(frame["sentiment"]):
        s = frame["sentiment"]
        _failure(rows, "sentiment", "between -1 and 1", ((s < -1) | (s > 1)).fillna(False), s)
    if rows:
        failures = pd.DataFrame(rows, columns=["column", "check", "failure_case", "index"])
        first = failures.iloc[0]
        case = "" if first["failure_case"] is None else f" (found {first['failure_case']!r})"
        more = f"; {len(failures) - 1} more problem(s) in .failures" if len(failures) > 1 else ""
        raise SchemaError(
            f"column {first['column']!r} fails check '{first['check']}'{case}{more}",
            column=str(first["column"]), failures=failures,
        )
    return frame


def make_mention_ids(platform: pd.Series, author: pd.Series, timestamp: pd.Series,
                     text: pd.Series) -> pd.Series:
    """Stable ids for mentions whose source gives none.

    A SHA-1 of ``platform|author|timestamp(ISO, UTC)|text``, truncated to 16 hex
    characters and prefixed ``h:`` so it can never collide with a source's own id.
    The same mention always gets the same id, on any machine, so re-loading a file
    counts its rows as duplicates instead of storing them twice.
    """
    ts = pd.to_datetime(timestamp, utc=True)
    iso = pd.Series(np.where(ts.isna(), "", ts.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")),
                    index=timestamp.index)
    keys = (platform.astype("string").fillna("") + "|" + author.astype("string").fillna("")
            + "|" + iso + "|" + text.astype("string").fillna(""))
    ids = [("h:" + hashlib.sha1(k.encode("utf-8")).hexdigest()[:16]) for k in keys.tolist()]
    return pd.Series(ids, index=timestamp.index, dtype=STRING_DTYPE)
