"""Trends: tidy, zero-filled aggregates over time, the frames charts and widgets draw.

Every function takes a mention frame and returns a new, small, tidy frame (one row
per time bin x group), computed with numpy/pandas group operations only, so a
million mentions aggregate in well under a second.

Time bins
---------
``time`` is always the UTC instant a bin starts (``datetime64[ns, UTC]``), so
frames from different functions join on it. Every bin between the first and last
mention (or ``start``/``end`` when given) is present, with zero counts when empty.

``tz`` (e.g. ``"America/Toronto"``) is for display: it adds ``time_local``, the
same instant in that zone. Alignment depends on the bin width:

* bins of a day or longer (``"1D"``, ``"7D"``, ``"W"``, ``"MS"``) start at *local*
  midnight in ``tz``: "per day" means the analyst's calendar day, so a day
  around a DST change lasts 23 or 25 hours;
* shorter bins (``"15min"``, ``"1h"``, ``"6h"``) stay aligned to UTC. For zones
  whose offset is a whole number of hours (all of Canada but Newfoundland)
  hourly bins coincide with local hours anyway.

Reusable pieces: :func:`term_counts` (document frequency of analysed terms, with
the analyzer of :mod:`listening.tokens` shared with the topic model) and
:func:`term_log_odds` (Monroe et al. 2008) are used by ``top_terms`` and by the
threat detector's "emerging terms".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import OptionError, check_option
from .schema import require_columns
from .sentiment.labels import sentiment_labels
from .tokens import STOP_WORD_LANGUAGES, build_analyzer, count_matrix, distinct_texts
from .windows import latest, parse_window

__all__ = [
    "sentiment_over_time",
    "share_of_voice",
    "term_counts",
    "term_log_odds",
    "top_authors",
    "top_terms",
    "topics_over_time",
    "volume",
]

# Monroe et al. (2008) use the whole corpus as the informative prior; a pseudo-count
# total of this share of the combined counts shrinks rare terms without letting the
# prior outweigh a real burst.
PRIOR_SHARE = 0.1
_DAY = pd.Timedelta(days=1)
_AUTHOR_SORT = ("reach", "mentions", "engagement")


# --------------------------------------------------------------------------- bins
def _offset(freq: str):
    try:
        return pd.tseries.frequencies.to_offset(freq)
    except ValueError as exc:
        raise OptionError(f"freq={freq!r} is not a pandas frequency; use e.g. '15min', '1h', "
                          "'1D', '7D', 'W' or 'MS'", name="freq", value=freq,
                          allowed="a pandas frequency") from exc


def _is_daily_or_longer(offset) -> bool:
    try:
        return pd.Timedelta(offset) >= _DAY
    except ValueError:  # non-fixed offsets: W, MS, QS...
        return True


def _floor_naive(values: pd.Series, offset) -> pd.Series:
    """Floor naive datetimes to bin starts (fixed widths from the epoch, else periods)."""
    try:
        pd.Timedelta(offset)
        return values.dt.floor(offset)
    except ValueError:
        return values.dt.to_period(offset).dt.start_time


def _naive_range(first: pd.Timestamp, last: pd.Timestamp, offset) -> pd.DatetimeIndex:
    try:
        pd.Timedelta(offset)
        return pd.date_range(first, last, freq=offset)
    except ValueError:
        return pd.period_range(first, last, freq=offset).start_time


def _localize(naive, tz: str):
    return naive.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")


def _time_bins(timestamps: pd.Series, *, freq: str, tz: str | None,
               start=None, end=None) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """Bin index of each row (-1 outside ``start``/``end``) and the bin starts (UTC)."""
    offset = _offset(freq)
    ts = pd.to_datetime(timestamps, utc=True)
    local = tz not in (None, "UTC") and _is_daily_or_longer(offset)
    zone = tz if local else "UTC"
    wall = ts.dt.tz_convert(zone).dt.tz_localize(None)
    bins = _floor_naive(wall, offset)
    bounds = []
    for value, fallback in ((start, bins.min()), (end, bins.max())):
        if value is None:
            bounds.append(fallback)
            continue
        stamp = pd.Timestamp(value)
        stamp = stamp.tz_localize(zone) if stamp.tzinfo is None else stamp
        naive = stamp.tz_convert(zone).tz_localize(None)
        bounds.append(_floor_naive(pd.Series([naive]), offset).iloc[0])
    if pd.isna(bounds[0]) or pd.isna(bounds[1]) or bounds[1] < bounds[0]:
        return np.full(len(ts), -1), pd.DatetimeIndex([], tz="UTC")
    naive_range = pd.DatetimeIndex(_naive_range(bounds[0], bounds[1], offset)).as_unit("ns")
    row_bins = bins.dt.as_unit("ns").to_numpy(dtype="datetime64[ns]").view("i8")
    codes = np.searchsorted(naive_range.asi8, row_bins)
    inside = bins.notna().to_numpy() & (codes < len(naive_range))
    inside &= naive_range.asi8[np.minimum(codes, len(naive_range) - 1)] == row_bins
    utc = _localize(naive_range, zone).tz_convert("UTC") if local else \
        naive_range.tz_localize("UTC")
    return np.where(inside, codes, -1), pd.DatetimeIndex(utc).as_unit("ns")


def _groups(frame: pd.DataFrame, by) -> tuple[list[str], np.ndarray, pd.DataFrame]:
    """Group code of each row (-1 when a ``by`` value is missing) and the groups."""
    cols = [] if by is None else [by] if isinstance(by, str) else list(by)
    if not cols:
        return cols, np.zeros(len(frame), dtype=np.int64), pd.DataFrame(index=[0])
    grouped = frame.groupby(cols, observed=True, sort=True, dropna=True)
    codes = grouped.ngroup().to_numpy()
    keys = grouped.size().index.to_frame(index=False)
    for c in cols:
        keys[c] = keys[c].astype(frame[c].dtype)
    return cols, np.where(np.isnan(codes.astype(float)), -1, codes).astype(np.int64), keys


def _grid(frame: pd.DataFrame, *, freq: str, by, tz: str | None, start, end, stage: str):
    require_columns(frame, ["timestamp", *([] if by is None else [by] if isinstance(by, str)
                                           else list(by))], stage=stage)
    bin_code, starts = _time_bins(frame["timestamp"], freq=freq, tz=tz, start=start, end=end)
    cols, group_code, keys = _groups(frame, by)
    ok = (bin_code >= 0) & (group_code >= 0)
    cell = np.where(ok, bin_code * len(keys) + group_code, -1)
    return cell, starts, cols, keys


def _frame(starts: pd.DatetimeIndex, cols: list[str], keys: pd.DataFrame, tz: str | None,
           columns: dict[str, np.ndarray]) -> pd.DataFrame:
    n_bins, n_groups = len(starts), len(keys)
    out = {"time": np.repeat(starts, n_groups)}
    if tz is not None:
        out["time_local"] = pd.DatetimeIndex(out["time"]).tz_convert(tz)
    for c in cols:
        out[c] = np.tile(keys[c].to_numpy(), n_bins)
    result = pd.DataFrame(out)
    for c in cols:
        result[c] = result[c].astype(keys[c].dtype)
    for name, values in columns.items():
        result[name] = values
    return result


def _sum(cell: np.ndarray, size: int, weights: np.ndarray | None = None) -> np.ndarray:
    ok = cell >= 0
    w = None if weights is None else weights[ok]
    return np.bincount(cell[ok], weights=w, minlength=size)


# ------------------------------------------------------------------------ volume
def volume(frame: pd.DataFrame, *, freq: str = "1h", by: str | Sequence[str] | None = None,
           tz: str | None = None, start=None, end=None) -> pd.DataFrame:
    """Mentions per time bin (and group), zero-filled.

    Needs ``timestamp`` (and the ``by`` columns). Returns ``time`` (UTC bin
    start), ``time_local`` (when ``tz``), the ``by`` columns, ``mentions`` (int64).
    Rows whose ``by`` value is missing are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"timestamp": pd.to_datetime(
    ...     ["2026-11-02 13:10", "2026-11-02 15:40", "2026-11-02 15:50"], utc=True)})
    >>> volume(f, freq="1h")["mentions"].tolist()
    [1, 0, 2]
    """
    cell, starts, cols, keys = _grid(frame, freq=freq, by=by, tz=tz, start=start, end=end,
                                     stage="trends.volume")
    size = len(starts) * len(keys)
    return _frame(starts, cols, keys, tz, {"mentions": _sum(cell, size).astype(np.int64)})


def sentiment_over_time(frame: pd.DataFrame, *, freq: str = "1D",
                        by: str | Sequence[str] | None = None, tz: str | None = None,
                        start=None, end=None) -> pd.DataFrame:
    """Sentiment per time bin (and group), zero-filled.

    Needs ``timestamp`` and ``sentiment``; labels come from
    :func:`listening.sentiment.labels.sentiment_labels` (the frame's
    ``sentiment_label``, else the tuned per-language thresholds). Returns ``time``, [``time_local``], the
    ``by`` columns, ``mentions``, ``scored`` (mentions with a score),
    ``mean_sentiment`` (NaN for a bin with no scored mention: no data is not
    neutral), ``negative``, ``neutral``, ``positive`` (counts) and
    ``negative_share`` (of scored; NaN when none).
    """
    require_columns(frame, ["sentiment"], stage="trends.sentiment_over_time")
    cell, starts, cols, keys = _grid(frame, freq=freq, by=by, tz=tz, start=start, end=end,
                                     stage="trends.sentiment_over_time")
    size = len(starts) * len(keys)
    score = pd.to_numeric(frame["sentiment"], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan)
    scored = ~np.isnan(score)
    label = sentiment_labels(frame).astype("object").to_numpy()
    cs = np.where(scored, cell, -1)
    n_scored = _sum(cs, size)
    total = _sum(cs, size, np.where(scored, score, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n_scored > 0, total / np.maximum(n_scored, 1), np.nan)
    columns = {"mentions": _sum(cell, size).astype(np.int64),
               "scored": n_scored.astype(np.int64), "mean_sentiment": mean}
    for name in ("negative", "neutral", "positive"):
        columns[name] = _sum(np.where(label == name, cell, -1), size).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        columns["negative_share"] = np.where(n_scored > 0, columns["negative"] /
                                             np.maximum(n_scored, 1), np.nan)
    return _frame(starts, cols, keys, tz, columns)


def topics_over_time(model, frame: pd.DataFrame, *, freq: str = "1D",
                     by: str | Sequence[str] | None = "platform", tz: str | None = None,
                     start=None, end=None) -> pd.DataFrame:
    """Mentions per time bin, group and topic (``other`` included), zero-filled.

    Uses the frame's ``topic``/``topic_label`` when present (e.g. after
    :func:`listening.enrich`), else assigns with ``model``. Returns ``time``,
    [``time_local``], the ``by`` columns, ``topic`` (Int64), ``topic_label``,
    ``mentions`` and ``share`` (of the bin's mentions in that group; 0 when the
    bin is empty).
    """
    if "topic" not in frame.columns or "topic_label" not in frame.columns:
        frame = model.assign(frame)
    topics = model.describe()[["topic", "label"]]
    ids = topics["topic"].to_numpy(dtype=np.int64)
    labels = topics["label"].to_numpy(dtype=object)
    cell, starts, cols, keys = _grid(frame, freq=freq, by=by, tz=tz, start=start, end=end,
                                     stage="trends.topics_over_time")
    topic = frame["topic"].astype("Int64").to_numpy(dtype=np.float64, na_value=np.nan)
    order = np.argsort(ids)
    pos = np.searchsorted(ids[order], np.nan_to_num(topic, nan=-(2**62)).astype(np.int64))
    pos = np.minimum(pos, len(ids) - 1)
    known = ids[order][pos] == topic
    tcode = np.where(known, order[pos], -1)
    k = len(ids)
    cells = np.where((cell >= 0) & (tcode >= 0), cell * k + tcode, -1)
    counts = _sum(cells, len(starts) * len(keys) * k).reshape(-1, k)
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(totals > 0, counts / np.maximum(totals, 1), 0.0)
    base = _frame(starts, cols, keys, tz, {})
    out = base.loc[base.index.repeat(k)].reset_index(drop=True)
    out["topic"] = pd.array(np.tile(ids, len(base)), dtype="Int64")
    out["topic_label"] = pd.array(np.tile(labels, len(base)), dtype="string")
    out["mentions"] = counts.ravel().astype(np.int64)
    out["share"] = share.ravel()
    return out


# ---------------------------------------------------------------- share of voice
def _fold(texts: pd.Series) -> pd.Series:
    """Lower-case and strip diacritics, vectorised (Arrow-backed when available)."""
    s = texts.astype("string").fillna("").str.lower().str.normalize("NFKD")
    return s.str.replace("[\u0300-\u036f]", "", regex=True)


def _matches(frame: pd.DataFrame, spec, folded: pd.Series | None) -> np.ndarray:
    if isinstance(spec, str):
        from .rules import Rule  # imported here: rules is a sibling stage, loaded on demand

        return Rule.parse(spec).match(frame).fillna(False).to_numpy(dtype=bool)
    if hasattr(spec, "match") and not isinstance(spec, (list, tuple, set, frozenset)):
        return spec.match(frame).fillna(False).to_numpy(dtype=bool)
    terms = [t for t in spec if isinstance(t, str) and t.strip()]
    if not terms:
        raise OptionError(f"a term list must hold at least one non-empty string, got {spec!r}",
                          name="rules_or_terms", value=spec)
    hit = np.zeros(len(frame), dtype=bool)
    for term in terms:
        needle = _fold(pd.Series([term.strip()])).iloc[0]
        hit |= folded.str.contains(needle, regex=False).to_numpy(dtype=bool)
    return hit


def share_of_voice(frame: pd.DataFrame, rules_or_terms: Mapping[str, object], *,
                   freq: str | None = None, by: str | Sequence[str] | None = None,
                   tz: str | None = None, start=None, end=None) -> pd.DataFrame:
    """Mentions matching each named rule or term list, and their share of voice.

    Parameters
    ----------
    rules_or_terms : dict
        name -> a rule query string (``'"road closure" OR collision*'``, parsed by
        :meth:`listening.rules.Rule.parse`), a ``Rule``, or a list of plain terms.
        Terms match as case- and accent-insensitive substrings of ``text`` (no
        regular expressions; ``"opp"`` also matches ``"opposition"`` — use a rule
        for word boundaries).
    freq : str, optional
        Without it, one row per name; with it, per time bin (zero-filled).

    Returns
    -------
    DataFrame with [``time``, ``time_local``, ``by`` columns,] ``name``,
    ``mentions``, ``share`` (of the mentions matching any name in the same bin and
    group: a mention matching two names counts for both, so shares are of the
    matches) and ``share_of_all`` (of all mentions in the bin and group).
    """
    if not isinstance(rules_or_terms, Mapping) or not rules_or_terms:
        raise OptionError("rules_or_terms must be a non-empty dict of name -> rule query or "
                          f"list of terms, got {rules_or_terms!r}", name="rules_or_terms",
                          value=rules_or_terms)
    require_columns(frame, ["text"], stage="trends.share_of_voice")
    needs_fold = any(not isinstance(v, str) and not hasattr(v, "match")
                     for v in rules_or_terms.values())
    folded = _fold(frame["text"]) if needs_fold else None
    names = list(rules_or_terms)
    hits = np.column_stack([_matches(frame, rules_or_terms[n], folded) for n in names])
    if freq is None:
        cols, group_code, keys = _groups(frame, by)
        starts = None
        cell = group_code
    else:
        cell, starts, cols, keys = _grid(frame, freq=freq, by=by, tz=tz, start=start, end=end,
                                         stage="trends.share_of_voice")
    n_cells = len(keys) * (1 if starts is None else len(starts))
    k = len(names)
    counts = np.column_stack([_sum(np.where(hits[:, j], cell, -1), n_cells) for j in range(k)])
    totals = _sum(cell, n_cells)[:, None]
    matched = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(matched > 0, counts / np.maximum(matched, 1), 0.0)
        share_all = np.where(totals > 0, counts / np.maximum(totals, 1), 0.0)
    if starts is None:
        base = keys.loc[keys.index.repeat(k)].reset_index(drop=True)[cols]
    else:
        base = _frame(starts, cols, keys, tz, {})
        base = base.loc[base.index.repeat(k)].reset_index(drop=True)
    base["name"] = pd.array(np.tile(np.asarray(names, dtype=object), n_cells), dtype="string")
    base["mentions"] = counts.ravel().astype(np.int64)
    base["share"] = share.ravel()
    base["share_of_all"] = share_all.ravel()
    return base


# ------------------------------------------------------------------- top authors
def top_authors(frame: pd.DataFrame, *, by: str = "reach", n: int = 20) -> pd.DataFrame:
    """The ``n`` authors with the most reach, mentions or engagement.

    Needs ``author``; uses ``reach``, ``likes``/``shares``/``comments``,
    ``platform``, ``timestamp``, ``sentiment`` when present. Returns ``author``,
    ``mentions``, ``reach`` (the author's largest reported reach: reach is an
    audience size, so summing it over posts would count followers twice),
    ``engagement`` (likes + shares + comments summed), ``platform`` (most used),
    ``first_seen``, ``last_seen``, ``mean_sentiment`` (when scored).
    """
    check_option("by", by, _AUTHOR_SORT)
    require_columns(frame, ["author"], stage="trends.top_authors")
    author = frame["author"].astype("string")
    work = pd.DataFrame({"author": author})
    work["reach"] = (pd.to_numeric(frame["reach"], errors="coerce") if "reach" in frame.columns
                     else np.nan)
    engagement = 0
    for c in ("likes", "shares", "comments"):
        if c in frame.columns:
            engagement = engagement + pd.to_numeric(frame[c], errors="coerce").fillna(0)
    work["engagement"] = engagement
    agg = {"mentions": ("author", "size"), "reach": ("reach", "max"),
           "engagement": ("engagement", "sum")}
    if "timestamp" in frame.columns:
        work["timestamp"] = frame["timestamp"]
        agg.update(first_seen=("timestamp", "min"), last_seen=("timestamp", "max"))
    if "sentiment" in frame.columns:
        work["sentiment"] = pd.to_numeric(frame["sentiment"], errors="coerce")
        agg["mean_sentiment"] = ("sentiment", "mean")
    work = work[author.notna().to_numpy()]
    out = work.groupby("author", sort=True).agg(**agg)
    if "platform" in frame.columns:
        plat = (pd.DataFrame({"author": author, "platform": frame["platform"].astype("string")})
                [author.notna().to_numpy()].value_counts(sort=True).reset_index()
                .drop_duplicates("author").set_index("author")["platform"])
        out["platform"] = plat.reindex(out.index).astype("string")
    out = out.reset_index()
    out["mentions"] = out["mentions"].astype(np.int64)
    out["reach"] = out["reach"].astype("Int64")
    out["engagement"] = out["engagement"].astype(np.int64)
    out = out.sort_values([by, "author"], ascending=[False, True], kind="stable",
                          na_position="last")
    return out.head(n).reset_index(drop=True)


# --------------------------------------------------------------------- top terms
def term_counts(texts: pd.Series, *, languages: Sequence[str] = STOP_WORD_LANGUAGES,
                ngram_range: tuple[int, int] = (1, 2)) -> pd.Series:
    """Document frequency of each term: in how many of ``texts`` it occurs.

    The analyzer is :func:`listening.tokens.build_analyzer` (the topic model's),
    run once per distinct text; retweets count as separate mentions (volume is
    what an emerging term is about). Returns an int64 Series indexed by term,
    largest first.
    """
    codes, uniques = distinct_texts(texts)
    if len(uniques) == 0:
        return pd.Series(dtype=np.int64, name="mentions")
    counts, vocab = count_matrix(uniques, build_analyzer(languages=tuple(languages),
                                                         ngram_range=ngram_range))
    counts.data[:] = 1.0
    copies = np.bincount(codes, minlength=len(uniques)).astype(np.float64)
    df = np.asarray(counts.T @ copies).ravel().astype(np.int64)
    terms = np.empty(len(vocab), dtype=object)
    for term, i in vocab.items():
        terms[i] = term
    out = pd.Series(df, index=pd.Index(terms, name="term"), name="mentions")
    return out.sort_values(ascending=False, kind="stable")


def term_log_odds(counts_now: Mapping[str, int] | pd.Series,
                  counts_ref: Mapping[str, int] | pd.Series, *,
                  prior: Mapping[str, float] | pd.Series | None = None,
                  prior_size: float | None = None) -> pd.DataFrame:
    """Log-odds ratio of each term between two corpora, informative Dirichlet prior.

    Monroe, Colaresi & Quinn (2008), "Fightin' Words", eq. 16-22: for term w,
    ``delta = log((y_now + a_w) / (n_now + a0 - y_now - a_w))
    - log((y_ref + a_w) / (n_ref + a0 - y_ref - a_w))`` with variance
    ``1 / (y_now + a_w) + 1 / (y_ref + a_w)`` and ``z = delta / sqrt(variance)``.
    Positive ``z`` means over-represented *now*; |z| > 1.96 is the usual cut.

    Parameters
    ----------
    counts_now, counts_ref : Series or dict, term -> count
    prior : Series or dict, optional
        Background term counts (default: ``counts_now + counts_ref``), rescaled
        to total ``prior_size``.
    prior_size : float, optional
        a0, the prior's total pseudo-count (default ``PRIOR_SHARE`` x the combined
        count).

    Returns
    -------
    DataFrame ``term, count_now, count_ref, log_odds, z``, sorted by ``z`` descending.

    >>> out = term_log_odds({"fire": 30, "road": 10}, {"fire": 2, "road": 40})
    >>> out["term"].tolist()
    ['fire', 'road']
    """
    now = pd.Series(counts_now, dtype=np.float64)
    ref = pd.Series(counts_ref, dtype=np.float64)
    terms = now.index.union(ref.index)
    y_now = now.reindex(terms, fill_value=0.0).to_numpy()
    y_ref = ref.reindex(terms, fill_value=0.0).to_numpy()
    base = (pd.Series(prior, dtype=np.float64).reindex(terms, fill_value=0.0).to_numpy()
            if prior is not None else y_now + y_ref)
    a0 = float(prior_size) if prior_size is not None else PRIOR_SHARE * float(base.sum())
    if base.sum() <= 0 or a0 <= 0:
        raise OptionError("the prior needs positive counts; got an empty corpus or "
                          "prior_size <= 0", name="prior_size", value=prior_size)
    alpha = base / base.sum() * a0
    alpha = np.maximum(alpha, 1e-3)  # a term unseen in the prior still gets a tiny pseudo-count
    a0 = alpha.sum()
    n_now, n_ref = y_now.sum(), y_ref.sum()
    delta = (np.log((y_now + alpha) / (n_now + a0 - y_now - alpha))
             - np.log((y_ref + alpha) / (n_ref + a0 - y_ref - alpha)))
    z = delta / np.sqrt(1.0 / (y_now + alpha) + 1.0 / (y_ref + alpha))
    out = pd.DataFrame({"term": pd.array(np.asarray(terms, dtype=object), dtype="string"),
                        "count_now": y_now.astype(np.int64), "count_ref": y_ref.astype(np.int64),
                        "log_odds": delta, "z": z})
    return out.sort_values(["z", "term"], ascending=[False, True], kind="stable"
                           ).reset_index(drop=True)


def top_terms(frame: pd.DataFrame, *, since, vs=None, n: int = 20, min_count: int = 3,
              tz: str | None = None,
              languages: Sequence[str] = STOP_WORD_LANGUAGES) -> pd.DataFrame:
    """Terms over-represented since ``since`` compared with a baseline.

    Parameters
    ----------
    since : window
        Start of the recent window: a time (naive values are read in ``tz``,
        default UTC) or a window relative to the newest mention of ``frame``
        (``"7D"``, ``"yesterday"``; see :func:`listening.windows.parse_window`).
    vs : None, timestamp-like or DataFrame
        Baseline: ``None`` = every mention before ``since``; a timestamp = mentions
        from then until ``since``; a DataFrame = those mentions.
    n : int
        Rows returned.
    min_count : int
        A term must occur in at least this many recent mentions.

    Returns
    -------
    DataFrame ``term, count_now, count_ref, rate_now, rate_ref`` (per 1,000
    mentions), ``log_odds, z``, the ``n`` terms with the largest positive ``z``.
    """
    require_columns(frame, ["timestamp", "text"], stage="trends.top_terms")
    zone = tz or "UTC"

    def stamp(value):
        t = pd.Timestamp(value)
        return (t.tz_localize(zone) if t.tzinfo is None else t).tz_convert("UTC")

    ts = pd.to_datetime(frame["timestamp"], utc=True)
    start = parse_window(since, anchor=latest(ts), tz=zone, name="since").start
    recent = frame[(ts >= start).to_numpy()]
    if isinstance(vs, pd.DataFrame):
        require_columns(vs, ["text"], stage="trends.top_terms (vs)")
        baseline = vs
    elif vs is None:
        baseline = frame[(ts < start).to_numpy()]
    else:
        baseline = frame[((ts >= stamp(vs)) & (ts < start)).to_numpy()]
    columns = ["term", "count_now", "count_ref", "rate_now", "rate_ref", "log_odds", "z"]
    if len(recent) == 0 or len(baseline) == 0:
        return pd.DataFrame({c: pd.Series(dtype="string" if c == "term" else
                                          "int64" if c.startswith("count") else "float64")
                             for c in columns})
    now = term_counts(recent["text"], languages=languages)
    ref = term_counts(baseline["text"], languages=languages)
    out = term_log_odds(now, ref)
    out = out[(out["count_now"] >= min_count) & (out["z"] > 0)].head(n).reset_index(drop=True)
    out["rate_now"] = out["count_now"] / len(recent) * 1000
    out["rate_ref"] = out["count_ref"] / len(baseline) * 1000
    return out[columns]
