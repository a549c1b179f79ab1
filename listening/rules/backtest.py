"""Back-test a rule over history: volume, examples, near-misses, accuracy, alerts.

Definitions (also shown by the rule workbench):

near-miss
    A mention the rule does **not** match that has some, but not all, of the
    parts the rule requires. The required parts come from the rule's structure:
    the non-NOT operands of an AND, the two sides of a NEAR, and for an OR the
    parts of each alternative (a plain-term alternative has none). At least one
    part with words must be present (a field filter alone never makes a
    near-miss). Ranked by the share of parts present; ``reason`` says what was
    missing, which NOT excluded it, or that a NEAR's sides had too many words between.
alert
    A time bin (``freq``) whose hit count reaches ``alert_threshold``;
    consecutive alerting bins merge into one alert. The alert is *raised at* the
    time of the hit that brought its first bin to the threshold.
detection delay
    For each incident (``onset``..``end``), the first alert overlapping that
    window; delay = raised_at - onset (0 when the rule was already alerting).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import MentionDataError
from ..schema import require_columns
from .engine import evaluate, prefetch, words_in
from .index import TokenIndex
from .parser import And, Near, Not, Or
from .rule import Rule, _index_for

__all__ = ["DEFAULT_EXAMPLES", "MIN_ALERT_HITS", "BacktestResult", "backtest"]

# An alert on fewer than 3 mentions in a bin is noise for a social media desk
# (one angry thread); also the floor of the automatic threshold.
MIN_ALERT_HITS = 3
# Automatic threshold: median + 3 robust standard deviations (1.4826 x MAD) of
# the hits per bin, the usual robust outlier fence.
MAD_TO_SD = 1.4826
ALERT_SDS = 3.0
DEFAULT_EXAMPLES = 20
_SHOW = ("mention_id", "timestamp", "platform", "author", "language", "text", "url", "reach")


@dataclass(frozen=True)
class BacktestResult:
    """Tidy frames describing how a rule would have behaved.

    hits_over_time : period, mentions, hits, share, alert
    examples       : the most-reached distinct hits (mention columns)
    near_misses    : non-hits with some positive terms, plus matched_terms,
                     missing_terms, excluded_by, n_matched, reason
    metrics        : metric, value (mentions, hits, hit_rate, alert_threshold,
                     alerts, alerts_per_week; tp/fp/fn/precision/recall/f1 with
                     labels; incidents_detected, median_delay_hours with incidents)
    incidents      : incident, onset, end, detected, raised_at, delay, delay_hours,
                     hits_in_window (+ incident_mentions, incident_recall when the
                     log lists mention_ids)
    alerts         : start, end, hits, raised_at
    """

    rule: Rule
    hits_over_time: pd.DataFrame
    examples: pd.DataFrame
    near_misses: pd.DataFrame
    metrics: pd.DataFrame
    incidents: pd.DataFrame
    alerts: pd.DataFrame

    def metric(self, name: str) -> float:
        """One value of :attr:`metrics` by name (KeyError lists the names)."""
        found = self.metrics.loc[self.metrics["metric"] == name, "value"]
        if found.empty:
            raise KeyError(f"no metric {name!r}; have {', '.join(self.metrics['metric'])}")
        return float(found.iloc[0])

    def __repr__(self) -> str:
        return (f"BacktestResult(rule={self.rule.name!r}, hits={int(self.metric('hits'))}, "
                f"alerts={int(self.metric('alerts'))})")


def backtest(rule: Rule | str, frame: pd.DataFrame, *, labels=None, incidents=None,
             freq: str = "1D", alert_threshold: int | None = None,
             n_examples: int = DEFAULT_EXAMPLES, index: TokenIndex | None = None
             ) -> BacktestResult:
    """Run ``rule`` over ``frame`` as if it had been live.

    Parameters
    ----------
    rule : Rule or str
        A rule, or a query parsed with :meth:`Rule.parse`.
    frame : DataFrame
        Needs ``timestamp`` and ``text`` (``mention_id`` for label sets and
        incident mention ids); other mention columns are shown when present.
    labels : boolean Series aligned to ``frame``, or iterable of mention_ids, optional
        The mentions that *should* match: adds precision, recall and F1.
    incidents : DataFrame, optional
        An incident log with ``onset`` and ``end`` (e.g. ``demo.generate``'s
        ``truth``); adds detection and delay per incident.
    freq : str
        Fixed bin width for hits over time and alerts (``"1h"``, ``"1D"``,
        ``"7D"``; ``"1W"`` (pandas' ``"W-SUN"``) gives weeks from Sunday,
        ``"W-MON"`` weeks from Monday). Bins are labelled by their start.
    alert_threshold : int, optional
        Hits in a bin that raise an alert; default automatic (module docstring).
    n_examples : int
        Rows in ``examples`` and ``near_misses``.
    index : TokenIndex, optional
        A prebuilt index of ``frame`` (else the cached one).

    Examples
    --------
    >>> frame = pd.DataFrame({"timestamp": pd.to_datetime(["2026-11-01", "2026-11-01",
    ...     "2026-11-02"], utc=True), "text": ["fire near Kenora", "smoke", "fire drill"]})
    >>> result = backtest("fire NOT drill", frame)
    >>> result.hits_over_time["hits"].tolist(), result.near_misses["reason"].tolist()
    ([1, 0], ['excluded by NOT drill'])
    """
    rule = rule if isinstance(rule, Rule) else Rule.parse(rule)
    require_columns(frame, ["timestamp", "text"], stage="backtest")
    index = _index_for(frame, index)
    hits = rule.match(frame, index=index).to_numpy()
    timestamps = pd.to_datetime(frame["timestamp"], utc=True)

    over_time = _hits_over_time(timestamps, hits, freq)
    threshold = alert_threshold if alert_threshold is not None else _auto_threshold(over_time)
    over_time["alert"] = over_time["hits"] >= threshold
    alerts = _alerts(over_time, timestamps[hits], threshold, freq)

    metrics = {"mentions": len(frame), "hits": int(hits.sum()),
               "hit_rate": float(hits.mean()) if len(frame) else math.nan,
               "alert_threshold": threshold, "alerts": len(alerts)}
    span = (over_time["period"].iloc[-1] + pd.Timedelta(freq) - over_time["period"].iloc[0]
            if len(over_time) else pd.Timedelta(0))
    weeks = span / pd.Timedelta("7D")
    metrics["alerts_per_week"] = len(alerts) / weeks if weeks > 0 else math.nan
    if labels is not None:
        metrics |= _accuracy(hits, _label_mask(labels, frame))
    incident_table = _incidents(incidents, alerts, frame, timestamps, hits)
    if incidents is not None:
        metrics["incidents_detected"] = int(incident_table["detected"].sum())
        metrics["median_delay_hours"] = float(incident_table["delay_hours"].median())

    shown = [c for c in _SHOW if c in frame.columns]
    examples = _top(frame.loc[hits, shown], n_examples)
    near = _near_misses(rule, frame, index, hits, shown, n_examples)
    return BacktestResult(
        rule=rule, hits_over_time=over_time, examples=examples, near_misses=near,
        metrics=pd.DataFrame({"metric": list(metrics),
                              "value": [float(v) for v in metrics.values()]}),
        incidents=incident_table, alerts=alerts)


def _hits_over_time(timestamps: pd.Series, hits: np.ndarray, freq: str) -> pd.DataFrame:
    data = pd.DataFrame({"timestamp": timestamps.reset_index(drop=True),
                         "hits": hits.astype(np.int64)})
    # label bins by their start whatever the frequency (pandas labels weekly bins
    # by their end by default), so period + freq is always the bin's end
    grouped = data.groupby(pd.Grouper(key="timestamp", freq=freq, label="left",
                                      closed="left"))["hits"]
    table = pd.DataFrame({"mentions": grouped.size(), "hits": grouped.sum()}).fillna(0)
    table = table.astype({"mentions": "int64", "hits": "int64"}).rename_axis("period").reset_index()
    table["share"] = (table["hits"] / table["mentions"].where(table["mentions"] > 0)).fillna(0.0)
    return table


def _auto_threshold(over_time: pd.DataFrame) -> int:
    counts = over_time["hits"].to_numpy(dtype=float)
    if counts.size == 0:
        return MIN_ALERT_HITS
    median = np.median(counts)
    mad = np.median(np.abs(counts - median))
    return max(MIN_ALERT_HITS, math.ceil(median + ALERT_SDS * MAD_TO_SD * mad))


def _alerts(over_time: pd.DataFrame, hit_times: pd.Series, threshold: int,
            freq: str) -> pd.DataFrame:
    width = pd.Timedelta(freq)
    flags = over_time["alert"].to_numpy()
    run_id = np.cumsum(flags & ~np.r_[False, flags[:-1]])
    sorted_times = np.sort(hit_times.dt.tz_convert(None).to_numpy("datetime64[ns]"))
    rows = []
    for rid in np.unique(run_id[flags]):
        run = over_time[flags & (run_id == rid)]
        start = run["period"].iloc[0]
        lo = np.datetime64(start.tz_convert(None), "ns")
        in_first = sorted_times[(sorted_times >= lo) & (sorted_times < lo + np.timedelta64(width))]
        raised = pd.Timestamp(in_first[min(threshold, len(in_first)) - 1]).tz_localize("UTC") \
            if len(in_first) else start + width
        rows.append({"start": start, "end": run["period"].iloc[-1] + width,
                     "hits": int(run["hits"].sum()), "raised_at": raised})
    table = pd.DataFrame(rows, columns=["start", "end", "hits", "raised_at"])
    return table.astype({"hits": "int64"})


def _label_mask(labels, frame: pd.DataFrame) -> np.ndarray:
    if isinstance(labels, pd.Series) and labels.dtype == bool or \
            isinstance(labels, pd.Series) and str(labels.dtype) == "boolean":
        if not labels.index.equals(frame.index):
            missing = frame.index.difference(labels.index)
            if len(missing):
                raise MentionDataError(f"labels lack {len(missing)} rows of the frame (first: "
                                       f"{missing[0]!r}): align the label Series to frame.index")
            labels = labels.reindex(frame.index)
        return labels.fillna(False).to_numpy(dtype=bool)
    if isinstance(labels, (str, bytes)) or not isinstance(labels, Iterable):
        raise MentionDataError(f"labels must be a boolean Series aligned to the frame or a set of "
                               f"mention_ids, not {type(labels).__name__}")
    require_columns(frame, ["mention_id"], stage="backtest labels")
    ids = {str(x) for x in labels}
    return frame["mention_id"].astype("string").isin(ids).fillna(False).to_numpy(dtype=bool)


def _accuracy(hits: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    tp = int((hits & truth).sum())
    fp = int((hits & ~truth).sum())
    fn = int((~hits & truth).sum())
    precision = tp / (tp + fp) if tp + fp else math.nan
    recall = tp / (tp + fn) if tp + fn else math.nan
    if tp:
        f1 = 2 * precision * recall / (precision + recall)
    else:
        f1 = 0.0 if tp + fp + fn else math.nan
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1}


def _incidents(incidents, alerts: pd.DataFrame, frame: pd.DataFrame, timestamps: pd.Series,
               hits: np.ndarray) -> pd.DataFrame:
    columns = ["incident", "onset", "end", "detected", "raised_at", "delay", "delay_hours",
               "hits_in_window"]
    if incidents is None:
        return pd.DataFrame(columns=columns)
    missing = [c for c in ("onset", "end") if c not in incidents.columns]
    if missing:
        raise MentionDataError(f"incident log lacks column(s) {missing}: expected onset and end "
                               "(e.g. the truth frame of listening.demo.generate)")
    has_ids = "mention_ids" in incidents.columns and "mention_id" in frame.columns
    ids = frame["mention_id"].astype("string") if has_ids else None
    rows = []
    for i, inc in enumerate(incidents.itertuples(index=False)):
        onset = pd.Timestamp(inc.onset).tz_convert("UTC") if pd.Timestamp(inc.onset).tzinfo \
            else pd.Timestamp(inc.onset).tz_localize("UTC")
        end = pd.Timestamp(inc.end).tz_convert("UTC") if pd.Timestamp(inc.end).tzinfo \
            else pd.Timestamp(inc.end).tz_localize("UTC")
        overlapping = alerts[(alerts["start"] < end) & (alerts["end"] > onset)]
        raised = overlapping["raised_at"].iloc[0] if len(overlapping) else pd.NaT
        delay = max(raised - onset, pd.Timedelta(0)) if len(overlapping) else pd.NaT
        window = ((timestamps >= onset) & (timestamps <= end)).to_numpy()
        row = {"incident": getattr(inc, "incident", i), "onset": onset, "end": end,
               "detected": bool(len(overlapping)), "raised_at": raised, "delay": delay,
               "delay_hours": delay / pd.Timedelta("1h") if len(overlapping) else math.nan,
               "hits_in_window": int((hits & window).sum())}
        if has_ids:
            members = ids.isin({str(x) for x in inc.mention_ids}).fillna(False).to_numpy(dtype=bool)
            row["incident_mentions"] = int(members.sum())
            row["incident_recall"] = (float((hits & members).sum() / members.sum())
                                      if members.any() else math.nan)
        rows.append(row)
    return pd.DataFrame(rows)


def _top(rows: pd.DataFrame, n: int) -> pd.DataFrame:
    """Distinct texts, most reached first (then most recent)."""
    rows = rows.drop_duplicates(subset="text")
    keys = [c for c in ("reach", "timestamp") if c in rows.columns]
    if keys:
        rows = rows.sort_values(keys, ascending=False, na_position="last")
    return rows.head(n).reset_index(drop=True)


def _groups(node) -> list[tuple[list, list, Near | None]]:
    """Requirement groups: (required clauses, excluded clauses, the NEAR if any).

    AND -> its non-NOT children are required, its NOT children excluded; NEAR ->
    both sides required; OR -> the groups of each alternative (a single term
    alternative has none). Deeper structure stays whole inside a clause.
    """
    if isinstance(node, Or):
        return [g for child in node.children for g in _groups(child)]
    if isinstance(node, Near):
        return [([node.left, node.right], [], node)]
    if isinstance(node, And):
        required = [c for c in node.children if not isinstance(c, Not)]
        excluded = [c.child for c in node.children if isinstance(c, Not)]
        nears = [c for c in required if isinstance(c, Near)]
        if len(required) == 1 and nears:          # "A NEAR/n B AND NOT C"
            return [([nears[0].left, nears[0].right], excluded, nears[0])]
        return [(required, excluded, None)]
    return []


def _near_misses(rule: Rule, frame: pd.DataFrame, index: TokenIndex, hits: np.ndarray,
                 shown: list[str], n: int) -> pd.DataFrame:
    columns = shown + ["matched_terms", "missing_terms", "excluded_by", "n_matched", "reason"]
    groups = [g for g in _groups(rule.tree) if any(words_in(c) for c in g[0])]
    if not groups:
        return pd.DataFrame(columns=columns)
    prefetch([rule.tree], index)
    best = np.zeros(len(frame))
    choice = np.full(len(frame), -1)
    evaluated = []
    for gi, (required, excluded, _) in enumerate(groups):
        req = np.column_stack([evaluate(c, index, frame) for c in required])
        exc = (np.column_stack([evaluate(c, index, frame) for c in excluded]) if excluded
               else np.zeros((len(frame), 0), dtype=bool))
        textual = np.array([bool(words_in(c)) for c in required])
        some_text = req[:, textual].any(axis=1)
        score = np.where(~hits & some_text, req.sum(axis=1) / len(required), 0.0)
        better = score > best
        best[better], choice[better] = score[better], gi
        evaluated.append((req, exc))
    candidates = np.flatnonzero(choice >= 0)
    if candidates.size == 0:
        return pd.DataFrame(columns=columns)
    table = frame.iloc[candidates][shown].copy()
    table["_score"], table["_row"] = best[candidates], candidates
    table = table.drop_duplicates(subset="text")
    sort = ["_score"] + [c for c in ("reach", "timestamp") if c in table.columns]
    table = table.sort_values(sort, ascending=False, na_position="last").head(n)
    rows = table["_row"].to_numpy()
    leaves = {str(w): w for w in words_in(rule.tree)}
    found = {name: evaluate(w, index, frame)[rows] for name, w in leaves.items()}
    matched, missing, excluded_by, counts, reasons = [], [], [], [], []
    for i, r in enumerate(rows):
        required, excluded, near = groups[choice[r]]
        req, exc = evaluated[choice[r]]
        got = [str(c) for c, flag in zip(required, req[r]) if flag]
        words = [name for c, flag in zip(required, req[r]) if flag
                 for name in dict.fromkeys(str(w) for w in words_in(c)) if found[name][i]]
        lack = [_clause(c) for c, flag in zip(required, req[r]) if not flag]
        excl = [_clause(c) for c, flag in zip(excluded, exc[r]) if flag]
        matched.append(", ".join(words))
        missing.append(", ".join(lack))
        excluded_by.append(", ".join(
            name for c, flag in zip(excluded, exc[r]) if flag
            for name in dict.fromkeys(str(w) for w in words_in(c)) if found[name][i]) or
            ", ".join(excl))
        counts.append(len(got))
        if excl:
            reasons.append(f"excluded by NOT {', '.join(excl)}")
        elif lack:
            reasons.append(f"missing {' and '.join(lack)}")
        elif near is not None:
            order = " in that order" if near.ordered else ""
            words = "word" if near.distance == 1 else "words"
            reasons.append(f"both sides present but more than {near.distance} {words} "
                           f"between them{order}")
        else:
            reasons.append("every part present but not combined as the rule requires")
    table["matched_terms"], table["missing_terms"] = matched, missing
    table["excluded_by"], table["n_matched"], table["reason"] = excluded_by, counts, reasons
    return table[columns].reset_index(drop=True)


def _clause(node) -> str:
    return f"({node})" if isinstance(node, (And, Or, Near)) else str(node)
