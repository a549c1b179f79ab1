"""Tables as an analyst reads them in a notebook: local times, thousands, percentages.

:func:`show` is what the notebooks end a cell with instead of a bare frame: every time
column in the one zone of the widgets (:func:`listening.widgets._common.local_tz`),
counts with thousands separators, shares as percentages, and — for a table of daily
(or hourly) bins — the last bin marked "partial" when the data stop before it ends,
so a half day is never read as a drop.
"""

from __future__ import annotations

import re

import pandas as pd

from ._common import local_tz

__all__ = ["PERCENT_WORDS", "show"]

# A float column whose name holds one of these is a share, shown as a percentage.
PERCENT_WORDS = ("share", "rate", "recall", "precision", "f1", "accuracy", "percent", "pct",
                 "low", "high", "negative", "neutral", "positive")
# Float columns holding counts (a forecast and its bounds): whole numbers.
_COUNTS = re.compile(r"^(forecast|expected|observed|mentions|count|(lo|hi)\d+)$")


def _is_share(name: str, values: pd.Series) -> bool:
    name = str(name).lower()
    if not any(word in name for word in PERCENT_WORDS):
        return False
    finite = pd.to_numeric(values, errors="coerce").dropna()
    return finite.empty or finite.between(-1, 1).all()


def _partial_bin(table: pd.DataFrame, newest, tz: str) -> pd.Series | None:
    """Rows of a binned table whose bin ends after ``newest`` (the last, partial bin)."""
    column = next((c for c in ("time_local", "time") if c in table.columns), None)
    if column is None or len(table) < 2 or newest is None:
        return None
    times = pd.to_datetime(table[column])
    step = times.sort_values().diff().dropna().min()
    if pd.isna(step) or step <= pd.Timedelta(0):
        return None
    ends = times + step
    newest = pd.Timestamp(newest)
    if ends.dt.tz is None:
        newest = newest.tz_convert(tz).tz_localize(None)
    else:
        newest = newest.tz_convert(ends.dt.tz)
    return ends > newest + pd.Timedelta(microseconds=1)


def show(table: pd.DataFrame, *, tz: str | None = None, newest=None, rows: int | None = None,
         caption: str | None = None):
    """A styled copy of ``table``: local times, counts ``12,345``, shares ``12.3%``.

    Parameters
    ----------
    table : DataFrame
    tz : str, optional
        Zone of every time shown (default: the widgets' zone, Toronto).
    newest : Timestamp, optional
        The newest mention: in a table of time bins (``time``/``time_local``), a bin
        ending after it is marked "(partial)".
    rows : int, optional
        Show only the first ``rows`` rows.
    caption : str, optional
        Shown above the table; the zone is named whenever the table has times.

    Returns
    -------
    pandas Styler (renders as HTML in the notebook; ``.data`` is the formatted frame).
    """
    tz = tz or local_tz()
    out = table.head(rows) if rows is not None else table.copy()
    if {"time", "time_local"} <= set(out.columns):   # one clock: the local one
        out = out.drop(columns="time")
    partial = _partial_bin(out, newest, tz)
    formats: dict[str, object] = {}
    has_times = False
    for column in out.columns:
        values = out[column]
        has_times |= pd.api.types.is_datetime64_any_dtype(values)
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            local = values.dt.tz_convert(tz)
            midnight = (local.dt.hour.eq(0) & local.dt.minute.eq(0)).all()
            out[column] = local.dt.strftime("%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M")
        elif pd.api.types.is_datetime64_dtype(values):   # naive: already local wall clock
            midnight = (values.dt.hour.eq(0) & values.dt.minute.eq(0)).all()
            out[column] = values.dt.strftime("%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M")
        elif pd.api.types.is_bool_dtype(values):
            continue
        elif pd.api.types.is_integer_dtype(values):
            formats[column] = "{:,}"
        elif pd.api.types.is_float_dtype(values):
            formats[column] = ("{:.1%}" if _is_share(column, values)
                               else "{:,.0f}" if _COUNTS.match(str(column)) else "{:,.2f}")
    if partial is not None and partial.any():
        for column in ("time_local", "time"):
            if column in out.columns:
                out[column] = out[column].astype("string").where(
                    ~partial.to_numpy(), out[column].astype("string") + " (partial)")
    title = " ".join(x for x in ((f"Times in {tz}." if has_times else ""), caption or "") if x)
    if partial is not None and partial.any():
        title += " The last bin is partial: the data stop before it ends."
    texts = [c for c in out.columns if c not in formats and not pd.api.types.is_bool_dtype(
        out[c])]
    styler = (out.style.format(formats, na_rep="").set_caption(title)
              .set_properties(subset=texts, **{"text-align": "left"})
              .set_table_styles([{"selector": "th.col_heading", "props": "text-align: left;"},
                                 {"selector": "caption",
                                  "props": "text-align: left; color: #555;"}]))
    if out.index.name is None and isinstance(out.index, pd.RangeIndex | pd.Index) \
            and pd.api.types.is_integer_dtype(out.index):
        styler = styler.hide(axis="index")   # row numbers say nothing to an analyst
    return styler
