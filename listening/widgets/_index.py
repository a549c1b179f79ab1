"""Fast filtering and aggregation of one mention frame for the explorer.

The explorer must refresh every chart and the table within a fraction of a second on a
million mentions. The expensive work (sorting by time, turning categories into integer
codes, computing time buckets in a time zone) is done once, here; a filter change is then
a few vectorised comparisons on numpy arrays and ``np.bincount`` calls, whose cost grows
with the number of rows but involves no Python loop and no pandas groupby on strings.

Everything returned is an aggregated frame (one row per bucket and series), never the
raw mentions, except :meth:`FrameIndex.rows`, which returns one page of posts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..schema import SENTIMENT_LABELS, require_columns

__all__ = ["DEFAULT_TZ", "FREQS", "Filters", "FrameIndex"]

# Granularities the explorer offers (label -> pandas offset alias); a week starts on
# Monday, as in the unit's weekly reports.
FREQS: dict[str, str] = {"hour": "h", "day": "D", "week": "W-MON"}
# The unit works in Eastern time (OPP general headquarters, Orillia).
DEFAULT_TZ = "America/Toronto"
# Columns of the table of posts (plus mention_id, for actions on a post).
POST_COLUMNS = ("mention_id", "timestamp", "platform", "author", "text", "reach", "url")
# Topics drawn in "topics over time": more than this many lines are unreadable.
TOP_TOPICS = 8


@dataclass(frozen=True)
class Filters:
    """The explorer's filter state; empty tuples mean "all".

    ``since``/``until`` are UTC timestamps (``until`` exclusive); ``window`` is the
    brushed interval on the volume chart, also UTC and applied on top of them.
    """

    since: pd.Timestamp | None = None
    until: pd.Timestamp | None = None
    platforms: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    sentiments: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    window: tuple[pd.Timestamp, pd.Timestamp] | None = field(default=None)


def _codes(series: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Integer codes (-1 for missing) and the category names of a column."""
    cat = series.astype("string").astype("category")
    return cat.cat.codes.to_numpy(np.intp), [str(c) for c in cat.cat.categories]


class FrameIndex:
    """Precomputed codes of a mention frame, for fast filtering and aggregation.

    Parameters
    ----------
    frame : DataFrame
        Needs ``timestamp``, ``platform``, ``text``; uses ``language``,
        ``sentiment``, ``sentiment_label``, ``topic_label``, ``reach`` and
        ``rule_<name>`` columns when present. It is sorted by time once (a copy);
        the input is not modified.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        require_columns(frame, ["timestamp", "platform", "text"], stage="explorer")
        ts = frame["timestamp"].to_numpy(dtype="datetime64[ns]").view(np.int64)
        if len(ts) > 1 and (np.diff(ts) < 0).any():
            frame = frame.iloc[np.argsort(ts, kind="stable")]
        self.frame = frame.reset_index(drop=True)  # copy-on-write: no data copied here
        f = self.frame
        # the columns a table shows, apart: a page is then a cheap ``iloc``
        self.posts = f[[c for c in POST_COLUMNS if c in f.columns]]
        self.n = len(f)
        self.ts = f["timestamp"].to_numpy(dtype="datetime64[ns]").view(np.int64)
        self.codes: dict[str, np.ndarray] = {}
        self.names: dict[str, list[str]] = {}
        for key, column in (("platform", "platform"), ("language", "language"),
                            ("topic", "topic_label")):
            if column in f.columns:
                self.codes[key], self.names[key] = _codes(f[column])
        if "sentiment_label" in f.columns:
            labels = f["sentiment_label"].astype("string")
            self.names["sentiment"] = list(SENTIMENT_LABELS)
            self.codes["sentiment"] = (pd.Categorical(labels, categories=SENTIMENT_LABELS)
                                       .codes.astype(np.intp))
        self.rule_names = [c[len("rule_"):] for c in f.columns
                           if c.startswith("rule_") and pd.api.types.is_bool_dtype(f[c])]
        self.rule_hits = {r: f[f"rule_{r}"].to_numpy(dtype=bool, na_value=False)
                          for r in self.rule_names}
        self._buckets: dict[tuple[str, str], tuple[np.ndarray, pd.DatetimeIndex]] = {}

    # ----------------------------------------------------------------- filtering
    def options(self, key: str) -> list[str]:
        """The values a filter on ``key`` (platform, language, sentiment, topic) can take."""
        if key == "rule":
            return list(self.rule_names)
        return list(self.names.get(key, []))

    def _isin(self, key: str, values: tuple[str, ...]) -> np.ndarray | None:
        if not values or key not in self.codes:
            return None
        wanted = np.zeros(len(self.names[key]) + 1, dtype=bool)  # last slot: missing (-1)
        for v in values:
            if v in self.names[key]:
                wanted[self.names[key].index(v)] = True
        return wanted[self.codes[key]]

    def _time_slice(self, filters: Filters) -> slice:
        lo, hi = 0, self.n
        bounds = [(filters.since, filters.until)]
        if filters.window is not None:
            bounds.append(filters.window)
        for since, until in bounds:
            if since is not None:
                lo = max(lo, int(np.searchsorted(self.ts, pd.Timestamp(since).value, "left")))
            if until is not None:
                hi = min(hi, int(np.searchsorted(self.ts, pd.Timestamp(until).value, "left")))
        return slice(lo, max(lo, hi))

    def mask(self, filters: Filters, *, window: bool = True) -> np.ndarray:
        """Boolean array over the (time-sorted) frame: rows matching ``filters``.

        With ``window=False`` the brushed window is ignored (the volume chart shows
        the whole period so that the brush can be moved).
        """
        if not window and filters.window is not None:
            filters = Filters(**{**filters.__dict__, "window": None})
        out = np.zeros(self.n, dtype=bool)
        out[self._time_slice(filters)] = True
        for key, values in (("platform", filters.platforms), ("language", filters.languages),
                            ("sentiment", filters.sentiments), ("topic", filters.topics)):
            part = self._isin(key, values)
            if part is not None:
                out &= part
        if filters.rules:
            any_rule = np.zeros(self.n, dtype=bool)
            for r in filters.rules:
                if r in self.rule_hits:
                    any_rule |= self.rule_hits[r]
            out &= any_rule
        return out

    def positions(self, filters: Filters, *, window: bool = True) -> np.ndarray:
        """Row positions (time order) matching ``filters``: what every aggregate gathers."""
        return np.flatnonzero(self.mask(filters, window=window))

    # --------------------------------------------------------------- aggregation
    # Aggregates take the positions of the selected rows, gather the precomputed codes
    # at those positions and count them with np.bincount; a missing label has code -1,
    # stored shifted by one so that it falls in a bin of its own (bin 0) and is dropped.
    def buckets(self, freq: str, tz: str) -> tuple[np.ndarray, pd.DatetimeIndex]:
        """Bucket code of every row and the bucket start times (local wall clock, naive).

        Computed once per (freq, tz) and cached. Buckets cover the whole period
        without gaps, so aggregated series are zero-filled.
        """
        key = (freq, tz)
        if key not in self._buckets:
            if freq not in FREQS:
                raise ValueError(f"freq must be one of {sorted(FREQS)}, got {freq!r}")
            local = pd.DatetimeIndex(self.ts.view("datetime64[ns]"), tz="UTC") \
                .tz_convert(tz).tz_localize(None)
            if freq == "week":
                day = local.floor("D")
                start = day - pd.to_timedelta(day.day_of_week, unit="D")
            else:
                start = local.floor(FREQS[freq])
            if self.n == 0:
                edges = pd.DatetimeIndex([])
                codes = np.zeros(0, dtype=np.intp)
            else:
                step = pd.Timedelta(weeks=1) if freq == "week" else pd.Timedelta(1, FREQS[freq])
                edges = pd.date_range(start.min(), start.max(), freq=step)
                codes = ((start.asi8 - edges[0].value) // step.value).astype(np.intp)
            self._buckets[key] = (codes, edges)
        return self._buckets[key]

    def _combined(self, key: str, freq: str, tz: str) -> tuple[np.ndarray, int]:
        """``bucket * (k + 1) + (code + 1)`` per row for a label column with k values (cached)."""
        cache_key = (key, freq, tz)
        if cache_key not in self._buckets:
            codes, _ = self.buckets(freq, tz)
            width = len(self.names[key]) + 1
            self._buckets[cache_key] = (codes * width + (self.codes[key] + 1), width)
        return self._buckets[cache_key]

    def volume(self, rows: np.ndarray, *, freq: str, tz: str) -> pd.DataFrame:
        """Mentions per bucket: columns ``time`` (local, naive) and ``mentions``."""
        codes, edges = self.buckets(freq, tz)
        counts = np.bincount(codes[rows], minlength=len(edges))
        return pd.DataFrame({"time": edges, "mentions": counts})

    def sentiment_over_time(self, rows: np.ndarray, *, freq: str, tz: str) -> pd.DataFrame:
        """Per bucket and label: ``time, sentiment_label, mentions, share`` (of the bucket)."""
        _, edges = self.buckets(freq, tz)
        nb = len(edges)
        if "sentiment" not in self.codes:
            return pd.DataFrame({"time": pd.DatetimeIndex([]), "sentiment_label": [],
                                 "mentions": [], "share": []})
        combined, width = self._combined("sentiment", freq, tz)
        counts = np.bincount(combined[rows], minlength=nb * width).reshape(nb, width)[:, 1:]
        total = counts.sum(axis=1, keepdims=True)
        share = np.divide(counts, total, out=np.zeros(counts.shape), where=total > 0)
        return pd.DataFrame({
            "time": np.repeat(edges.to_numpy(), 3),
            "sentiment_label": np.tile(np.array(SENTIMENT_LABELS, dtype=object), nb),
            "mentions": counts.ravel(), "share": share.ravel()})

    def topics_over_time(self, rows: np.ndarray, *, freq: str, tz: str,
                         top: int = TOP_TOPICS) -> pd.DataFrame:
        """Mentions per bucket for the ``top`` largest topics in the selection."""
        _, edges = self.buckets(freq, tz)
        if "topic" not in self.codes:
            return pd.DataFrame({"time": pd.DatetimeIndex([]), "topic": [], "mentions": []})
        nb, names = len(edges), self.names["topic"]
        combined, width = self._combined("topic", freq, tz)
        counts = np.bincount(combined[rows], minlength=nb * width).reshape(nb, width)[:, 1:]
        keep = [i for i in np.argsort(-counts.sum(axis=0), kind="stable")[:top]
                if counts[:, i].sum() > 0]
        return pd.DataFrame({
            "time": np.repeat(edges.to_numpy(), len(keep)),
            "topic": np.tile(np.array([names[i] for i in keep], dtype=object), nb),
            "mentions": counts[:, keep].ravel()})

    def platforms(self, rows: np.ndarray) -> pd.DataFrame:
        """Mentions per platform in the selection, largest first (platforms with none left out)."""
        names = self.names["platform"]
        counts = np.bincount(self.codes["platform"][rows] + 1, minlength=len(names) + 1)[1:]
        order = [i for i in np.argsort(-counts, kind="stable") if counts[i] > 0]
        return pd.DataFrame({"platform": [names[i] for i in order],
                             "mentions": counts[order]})

    def rows(self, rows: np.ndarray, *, page: int, page_size: int) -> tuple[pd.DataFrame, int]:
        """One page of the selected posts, newest first, and the number selected."""
        total = len(rows)
        hi = total - page * page_size
        lo = max(hi - page_size, 0)
        take = rows[lo:max(hi, 0)][::-1]
        return self.posts.iloc[take], total
