"""One run's view of the mentions: time order, bins, segments and per-row facts.

:func:`prepare` sorts the mentions by time, bins them (:mod:`.baseline`), builds
the segments (``all``, one per value of each ``by`` column, one per rule) and the
per-row arrays every signal and episode needs, converting as little as possible
to Python objects (a million mentions must stay fast).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..sentiment.labels import sentiment_labels
from ..windows import Grid, make_grid
from .emerging import TermIndex
from .signals import LARGE_REACH, fold_texts, match_folded

__all__ = ["Run", "prepare", "segment_matrix"]

# A segment with fewer mentions than this in the previous week has its terms compared
# with all mentions of that week instead.
MIN_SEGMENT_BACKGROUND = 50
# Columns a run reads (besides the `by` columns); rules match on the input frame.
USED_COLUMNS = ("mention_id", "timestamp", "text", "author", "platform", "reach",
                "sentiment_label", "sentiment", "topic_label")


class Column:
    """Row access to a column without turning a million values into Python objects:
    ``col[rows]`` gives an object array of those rows (missing -> "")."""

    def __init__(self, series: pd.Series) -> None:
        self.series = series

    def __getitem__(self, rows) -> np.ndarray:
        rows = np.atleast_1d(np.asarray(rows, dtype=np.int64))
        return self.series.iloc[rows].astype("string").fillna("").to_numpy(dtype=object)


class Coded:
    """A factorised column: ``col[rows]`` gives the values of those rows (missing -> "")."""

    def __init__(self, codes: np.ndarray, uniques) -> None:
        self.codes = np.asarray(codes)
        self.values = np.asarray([str(u) for u in uniques] + [""], dtype=object)

    def __getitem__(self, rows) -> np.ndarray:
        return self.values[self.codes[rows]]  # code -1 picks the trailing ""


def mix(ns: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """A stable pseudo-random 64-bit key per mention (splitmix64 of time and text code).

    Both inputs are the same in a batch run and an online run for every mention
    they share, so hash-based samples of mentions agree between the two."""
    with np.errstate(over="ignore"):
        z = ns.astype(np.uint64) ^ (codes.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def rule_masks(frame: pd.DataFrame, rules) -> list[tuple[str, np.ndarray]]:
    """``(name, boolean mask)`` per rule; ``rules`` is a list of Rule-like objects
    (``.name``, ``.match(frame)``) or a dict name -> query string."""
    if rules is None:
        return []
    if isinstance(rules, Mapping):
        from ..rules import Rule

        items = [(str(name), Rule.parse(query, name=str(name))) for name, query in rules.items()]
    else:
        items = [(str(getattr(r, "name", None) or getattr(r, "query", None) or r), r) for r in rules]
    return [(name, pd.Series(rule.match(frame)).fillna(False).to_numpy(dtype=bool))
            for name, rule in items]


def segment_matrix(dims, bins: np.ndarray, T: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Sum of ``weights`` (or counts) per segment and bin: (segments x bins)."""
    mats = []
    for _, codes, labels in dims:
        ok = codes >= 0
        w = None if weights is None else weights[ok]
        m = np.bincount(codes[ok] * T + bins[ok], weights=w, minlength=len(labels) * T)
        mats.append(m.reshape(len(labels), T))
    return np.vstack(mats).astype(np.float64)


@dataclass
class Run:
    """What one ``detect_threats`` call knows about its mentions, in time order."""

    grid: Grid
    bins: np.ndarray           # bin of each row
    ns: np.ndarray             # UTC nanoseconds of each row
    dims: list                 # (name, codes per row (-1 = not in it), labels)
    segments: list             # (segment name, dim index, code)
    topic_labels: dict
    texts: np.ndarray
    text_codes: np.ndarray
    neg: np.ndarray
    has_sentiment: bool
    reach: np.ndarray
    large: np.ndarray
    threat_hit: np.ndarray
    threat_cats: np.ndarray
    ids: Column
    authors: Coded
    first_seen: np.ndarray
    platforms: Coded | None
    index: TermIndex
    week: int                  # bins in the baseline window
    row_lo: np.ndarray
    row_hi: np.ndarray

    def seg_rows(self, s: int, a: int, b: int) -> np.ndarray:
        """Rows of segment ``s`` in bins ``a..b`` (inclusive)."""
        _, i, code = self.segments[s]
        if b < a or a >= self.grid.n:
            return np.zeros(0, dtype=np.int64)
        rows = np.arange(self.row_lo[max(a, 0)], self.row_hi[b])
        return rows[self.dims[i][1][rows] == code]

    def background(self, s: int, t: int) -> np.ndarray:
        """The segment's mentions in the week before bin ``t`` (all mentions if it had few)."""
        rows = self.seg_rows(s, t - self.week, t - 1)
        if len(rows) < MIN_SEGMENT_BACKGROUND and t > 0:
            rows = np.arange(self.row_lo[max(t - self.week, 0)], self.row_hi[t - 1])
        return rows


def prepare(frame: pd.DataFrame, *, freq: str, by: tuple[str, ...], rules, tz: str,
            vocab: dict, window: pd.Timedelta) -> tuple[Run | None, list[str]]:
    """The :class:`Run` of ``frame`` (None when it has no timestamped mention) and the
    ``by`` columns it had to skip because the frame lacks them."""
    ts = pd.to_datetime(frame["timestamp"], utc=True)
    ns = pd.DatetimeIndex(ts).as_unit("ns").asi8
    pos = np.flatnonzero(ts.notna().to_numpy())
    skipped = [d for d in by if d != "all" and d not in frame.columns]
    if len(pos) == 0:
        return None, skipped
    order = pos[np.argsort(ns[pos], kind="stable")]
    used = [*USED_COLUMNS, *[d for d in by if d != "all"]]
    sub = frame[[c for c in dict.fromkeys(used) if c in frame.columns]].iloc[order]
    ns = ns[order]
    grid, bins = make_grid(ts.iloc[order], freq, tz)
    n = len(sub)

    dims, topic_labels = [], {}
    for d in by:
        if d == "all":
            dims.append(("all", np.zeros(n, dtype=np.int64), ["all"]))
        elif d in sub.columns:
            codes, uniques = pd.factorize(sub[d], sort=True)
            dims.append((d, codes.astype(np.int64), [str(u) for u in uniques]))
            if d == "topic" and "topic_label" in sub.columns:
                first = sub.groupby(sub["topic"].astype("string"), observed=True)["topic_label"].first()
                topic_labels = {str(k): (None if pd.isna(v) else str(v)) for k, v in first.items()}
    for name, mask in rule_masks(frame, rules):  # rules may use any column: match on the input
        dims.append((f"rule:{name}", np.where(mask[order], 0, -1).astype(np.int64), [name]))
    segments = [(d if d == "all" or d.startswith("rule:") else f"{d}:{label}", i, code)
                for i, (d, _, labels) in enumerate(dims) for code, label in enumerate(labels)]

    text_codes, text_uniques, folded = fold_texts(sub["text"])
    texts = text_uniques[text_codes]
    labels = sentiment_labels(sub)
    if labels is not None:
        neg = (labels == "negative").to_numpy(dtype=bool)
        has_sentiment = bool(labels.notna().any())
    else:
        neg, has_sentiment = np.zeros(n, dtype=bool), False
    reach = (pd.to_numeric(sub["reach"], errors="coerce").astype("float64").fillna(0.0).to_numpy()
             if "reach" in sub.columns else np.zeros(n))
    threat_hit, threat_cats = match_folded(text_codes, folded, vocab)
    if "author" in sub.columns:
        author_codes, author_uniques = pd.factorize(sub["author"])
        authors = Coded(author_codes, author_uniques)
        # Rows are in time order, so an author's first row is their first mention.
        uniq, first_idx = np.unique(author_codes, return_index=True)
        first_row = np.zeros(len(uniq) + 1, dtype=np.int64)
        first_row[uniq + 1] = first_idx
        first_seen = np.where(author_codes < 0, ns, ns[first_row[author_codes + 1]])
    else:
        authors, first_seen = Coded(np.full(n, -1), []), ns
    platforms = Coded(*pd.factorize(sub["platform"])) if "platform" in sub.columns else None
    edges = np.arange(grid.n)
    run = Run(grid=grid, bins=bins, ns=ns, dims=dims, segments=segments, topic_labels=topic_labels,
              texts=texts, text_codes=text_codes, neg=neg, has_sentiment=has_sentiment,
              reach=reach, large=reach >= LARGE_REACH, threat_hit=threat_hit,
              threat_cats=threat_cats, ids=Column(sub["mention_id"]), authors=authors,
              first_seen=first_seen, platforms=platforms,
              index=TermIndex(texts, mix(ns, text_codes), text_codes), week=max(1, int(window / grid.freq)),
              row_lo=np.searchsorted(bins, edges, side="left"),
              row_hi=np.searchsorted(bins, edges, side="right"))
    return run, skipped
