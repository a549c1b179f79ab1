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
from ..sentiment.labels import sentiment_labels
from ..text import RETWEET_PREFIX
from ..windows import DEFAULT_TZ

__all__ = ["DEFAULT_TZ", "FREQS", "OTHERS", "Filters", "FrameIndex", "copy_keys"]

# Granularities the explorer offers (label -> pandas offset alias); a week starts on
# Monday, as in the unit's weekly reports.
FREQS: dict[str, str] = {"hour": "h", "day": "D", "week": "W-MON"}
# How long one bucket of each granularity lasts (weeks start on Monday).
STEPS: dict[str, pd.Timedelta] = {"hour": pd.Timedelta(hours=1), "day": pd.Timedelta(days=1),
                                  "week": pd.Timedelta(weeks=1)}
# Columns of the table of posts (plus mention_id, for actions on a post).
POST_COLUMNS = ("mention_id", "timestamp", "platform", "author", "text", "reach", "url")
# Topics drawn in "topics over time": more than this many lines are unreadable; the
# rest are summed into one "others" line.
TOP_TOPICS = 8
OTHERS = "all other topics"
_SPACES = __import__("re").compile(r"\s+")


def copy_keys(text: pd.Series) -> np.ndarray:
    """One integer per distinct post: retweets (``RT @x:``) and identical copies share it.

    Case and runs of spaces are ignored, so a copy pasted with another capitalisation
    or line break still counts as the same post.
    """
    raw, uniques = pd.factorize(text.astype("string").fillna(""), sort=False)
    # clean each distinct text once (posts repeat: copies, retweets), then map back
    cleaned = (pd.Series(uniques, dtype="string").str.replace(RETWEET_PREFIX, "", regex=True)
               .str.replace(_SPACES, " ", regex=True).str.strip().str.lower())
    codes, _ = pd.factorize(cleaned, sort=False)
    return codes.astype(np.intp)[raw]


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
        labels = sentiment_labels(f)  # the one owner of a mention's label
        if labels is not None:
            self.names["sentiment"] = list(SENTIMENT_LABELS)
            self.codes["sentiment"] = (pd.Categorical(labels, categories=SENTIMENT_LABELS)
                                       .codes.astype(np.intp))
        if "author" in f.columns:
            self.codes["author"], self.names["author"] = _codes(f["author"])
        reach = (pd.to_numeric(f["reach"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
                 if "reach" in f.columns else np.full(self.n, np.nan))
        self.reach = reach
        self._sel_for, self._sel = None, None
        if "author" in self.codes:  # each author's rows, for their largest reach
            self._author_rows = np.argsort(self.codes["author"], kind="stable")
            self._author_start = np.searchsorted(self.codes["author"][self._author_rows],
                                                 np.arange(len(self.names["author"]) + 1))
        # rows by reach, largest first (missing last): "top authors by reach" walks it
        self._by_reach = np.argsort(np.where(np.isnan(reach), -np.inf, -reach), kind="stable")
        # copies: one key per distinct post, and each key's rows (time order) for the table
        self.copy_key = copy_keys(f["text"])
        self._copy_rows = np.argsort(self.copy_key, kind="stable")
        self._copy_start = np.searchsorted(self.copy_key[self._copy_rows],
                                           np.arange(int(self.copy_key.max(initial=-1)) + 2))
        self.text = f["text"].to_numpy(dtype=object)
        self.rule_names = [c[len("rule_"):] for c in f.columns
                           if c.startswith("rule_") and pd.api.types.is_bool_dtype(f[c])]
        self.rule_hits = {r: f[f"rule_{r}"].to_numpy(dtype=bool, na_value=False)
                          for r in self.rule_names}
        # each row's rules as bits (share of voice: one bincount); 16 rules at most
        self.rule_names = self.rule_names[:16]
        self.rule_bits = np.zeros(self.n, dtype=np.intp)
        for j, r in enumerate(self.rule_names):
            self.rule_bits |= self.rule_hits[r].astype(np.intp) << j
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
                step = STEPS[freq]
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
                         top: int = TOP_TOPICS, others: str = OTHERS) -> pd.DataFrame:
        """Mentions per bucket for the ``top`` largest topics in the selection."""
        _, edges = self.buckets(freq, tz)
        if "topic" not in self.codes:
            return pd.DataFrame({"time": pd.DatetimeIndex([]), "topic": [], "mentions": []})
        nb, names = len(edges), self.names["topic"]
        combined, width = self._combined("topic", freq, tz)
        counts = np.bincount(combined[rows], minlength=nb * width).reshape(nb, width)[:, 1:]
        order = np.argsort(-counts.sum(axis=0), kind="stable")
        keep = [i for i in order[:top] if counts[:, i].sum() > 0]
        rest = [i for i in order[top:] if counts[:, i].sum() > 0]
        series = counts[:, keep]
        labels = [names[i] for i in keep]
        if rest:  # the smaller topics as one line: eight lines and "others" stay readable
            series = np.column_stack([series, counts[:, rest].sum(axis=1)])
            labels.append(f"{others} ({len(rest)})")
        return pd.DataFrame({
            "time": np.repeat(edges.to_numpy(), len(labels)),
            "topic": np.tile(np.array(labels, dtype=object), nb),
            "mentions": series.ravel(),
            "others": np.tile(np.array([False] * len(keep) + [True] * bool(rest)), nb)})

    def platforms(self, rows: np.ndarray) -> pd.DataFrame:
        """Mentions per platform in the selection, largest first (platforms with none left out)."""
        names = self.names["platform"]
        counts = np.bincount(self.codes["platform"][rows] + 1, minlength=len(names) + 1)[1:]
        order = [i for i in np.argsort(-counts, kind="stable") if counts[i] > 0]
        return pd.DataFrame({"platform": [names[i] for i in order],
                             "mentions": counts[order]})

    # ----------------------------------------------------------------- panels
    def top_authors(self, rows: np.ndarray, *, by: str = "mentions", n: int = 10) -> pd.DataFrame:
        """The ``n`` authors of the selection with most mentions, or the largest reach.

        Same meaning as :func:`listening.trends.top_authors` (``reach`` is an author's
        largest reported reach, never a sum; ties by name), on precomputed codes.
        """
        if "author" not in self.codes:
            return pd.DataFrame({"author": [], "mentions": [], "reach": []})
        codes, names = self.codes["author"], self.names["author"]
        counts = np.bincount(codes[rows] + 1, minlength=len(names) + 1)[1:]
        sel = self._selected(rows)
        if by == "mentions":
            cand = np.flatnonzero(counts)
            # most mentions first, then by name (the categories are sorted by name)
            pick = cand[np.lexsort((cand, -counts[cand]))][:n]
            best = np.full(len(pick), np.nan)
            for j, a in enumerate(pick):  # each picked author's rows, selected, largest reach
                mine = self._author_rows[self._author_start[a]:self._author_start[a + 1]]
                reach = self.reach[mine[sel[mine]]]
                if np.isfinite(reach).any():
                    best[j] = np.nanmax(reach)
        else:
            # walk down the reach order (selected rows only) until n distinct authors
            found, start, chunk = [], 0, 4096
            have = np.zeros(len(names), dtype=bool)
            while have.sum() < n and start < self.n:
                part = self._by_reach[start:start + chunk]
                part = part[sel[part] & ~np.isnan(self.reach[part]) & (codes[part] >= 0)]
                first = part[pd.Series(codes[part]).drop_duplicates().index.to_numpy()]
                first = first[~have[codes[first]]]
                have[codes[first]] = True
                found.append(first)
                start, chunk = start + chunk, chunk * 4
            top_rows = np.concatenate(found) if found else np.zeros(0, dtype=np.intp)
            # ties of reach: by name, as trends.top_authors sorts
            order = np.lexsort((codes[top_rows], -self.reach[top_rows]))[:n]
            pick, best = codes[top_rows][order], self.reach[top_rows][order]
        return pd.DataFrame({"author": [names[i] for i in pick],
                             "mentions": counts[pick].astype(np.int64),
                             "reach": pd.array(np.where(np.isnan(best), np.nan, best),
                                               dtype="Float64").round(0).astype("Int64")})

    def _selected(self, rows: np.ndarray) -> np.ndarray:
        """A boolean mask of ``rows`` (kept for the last rows asked: panels share it)."""
        if self._sel_for is not rows:
            self._sel = np.zeros(self.n, dtype=bool)
            self._sel[rows] = True
            self._sel_for = rows
        return self._sel

    def share_of_voice(self, rows: np.ndarray, *, of: str = "rule",
                       top: int = TOP_TOPICS) -> pd.DataFrame:
        """Share of voice of the rules (or the ``top`` topics) in the selection.

        The measure of :func:`listening.trends.share_of_voice` (a mention matching two
        names counts for both; ``share`` of the matches, ``share_of_all`` of the
        selection), computed from precomputed codes so a million mentions take a few
        milliseconds; the tests check both give the same figures. Columns ``name,
        mentions, share, share_of_all``.
        """
        if of == "rule":
            names = list(self.rule_names)
            if not names:
                return pd.DataFrame({"name": [], "mentions": [], "share": [],
                                     "share_of_all": []})
            # one bincount of each row's rule combination, then each rule's rows summed
            combos = np.bincount(self.rule_bits[rows], minlength=1 << len(names))
            bits = np.arange(len(combos))
            counts = np.array([combos[(bits >> j) & 1 == 1].sum() for j in range(len(names))],
                              dtype=np.int64)
        else:
            if "topic" not in self.codes:
                return pd.DataFrame({"name": [], "mentions": [], "share": [],
                                     "share_of_all": []})
            all_counts = np.bincount(self.codes["topic"][rows] + 1,
                                     minlength=len(self.names["topic"]) + 1)[1:]
            order = [i for i in np.argsort(-all_counts, kind="stable")[:top] if all_counts[i]]
            names = [self.names["topic"][i] for i in order]
            counts = all_counts[order].astype(np.int64)
        matched, total = counts.sum(), len(rows)
        return pd.DataFrame({
            "name": pd.array(names, dtype="string"), "mentions": counts,
            "share": counts / matched if matched else np.zeros(len(counts)),
            "share_of_all": counts / total if total else np.zeros(len(counts))})

    def copies(self, rows: np.ndarray) -> tuple[np.ndarray, int]:
        """Copies of each distinct post in the selection, and how many distinct posts."""
        counts = np.bincount(self.copy_key[rows], minlength=len(self._copy_start) - 1)
        return counts, int(np.count_nonzero(counts))

    def collapsed_rows(self, rows: np.ndarray, *, page: int,
                       page_size: int) -> tuple[pd.DataFrame, int]:
        """One page of distinct posts (copies and retweets on one row), newest first.

        Each row is the newest selected post of its copies, with ``copies`` = how many
        selected posts it stands for and ``first_seen`` = when the first of them was
        posted. Returns the page and the number of distinct posts.
        """
        counts, distinct = self.copies(rows)
        want = (page + 1) * page_size
        chunk = max(4 * want, 512)
        newest = rows[::-1]
        while True:
            part = newest[:chunk]
            seen = pd.Series(self.copy_key[part]).drop_duplicates()
            if len(seen) >= want or chunk >= len(newest):
                break
            chunk *= 4
        take = part[seen.index.to_numpy()[page * page_size:want]]
        keys = self.copy_key[take]
        first = np.empty(len(take), dtype=np.int64)
        for j, key in enumerate(keys):  # a page of keys: each one's rows, the first selected
            mine = self._copy_rows[self._copy_start[key]:self._copy_start[key + 1]]
            at = np.searchsorted(rows, mine)
            first[j] = mine[(at < len(rows)) & (rows[np.minimum(at, len(rows) - 1)] == mine)][0]
        page_frame = self.posts.iloc[take].assign(
            copies=counts[keys].astype(np.int64),
            first_seen=pd.DatetimeIndex(self.ts[first].view("datetime64[ns]"), tz="UTC"))
        return page_frame, distinct

    def labels_of(self, positions: np.ndarray) -> dict[str, list]:
        """Sentiment, topic and rule labels of a few rows (a page of the table)."""
        out: dict[str, list] = {}
        for key, column in (("sentiment", "sentiment_label"), ("topic", "topic_label")):
            if key in self.codes:
                names = self.names[key]
                out[column] = [names[c] if c >= 0 else None for c in self.codes[key][positions]]
        if self.rule_names:
            out["rules"] = [", ".join(r for r in self.rule_names if self.rule_hits[r][i])
                            for i in positions]
        return out

    def rules_column(self, rows: np.ndarray) -> np.ndarray:
        """The names of the rules each selected row matches, comma-separated (for exports)."""
        out = np.full(len(rows), "", dtype=object)
        for r in self.rule_names:
            hit = self.rule_hits[r][rows]
            out[hit] = np.where(out[hit] == "", r, out[hit] + ", " + r)
        return out

    def rows(self, rows: np.ndarray, *, page: int, page_size: int) -> tuple[pd.DataFrame, int]:
        """One page of the selected posts, newest first, and the number selected."""
        total = len(rows)
        hi = total - page * page_size
        lo = max(hi - page_size, 0)
        take = rows[lo:max(hi, 0)][::-1]
        return self.posts.iloc[take], total
