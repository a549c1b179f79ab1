"""Emerging threats: what is blowing up, why, and how sure we are.

``detect_threats(frame)`` bins mentions in time, for every segment (all mentions,
each topic, platform, language and monitoring rule), and compares each bin with a
causal seasonal baseline (:mod:`.baseline`). The signals of the registry
(:mod:`.registry`; functions in :mod:`.signals` and :mod:`.emerging`) mark bins as
hot: ``volume``, ``new_topic``, ``negative_surge``, ``amplification``,
``threat_vocabulary``, ``emerging_terms`` and ``term_burst``. Hot bins of a segment
merge into episodes (:mod:`.episodes`), and each episode becomes one alert row with
a severity, the terms and mentions that explain it, coordination measures and a
plain ``why`` sentence in English and French (:mod:`.explain`, sentences in
``resources/threats/signals.yaml``). A new signal is one function, one
:func:`register_signal` entry and its strings; :func:`signal_title` names a signal
for people ("unusual volume").

Same input, same alerts: every ranking breaks its ties on the term, segment or time,
never on set or dict order of strings (``tests/test_determinism.py`` runs the pipeline
under two hash seeds).

Online use: every number depends only on bins before it, so
``detect_threats(history_until_now, since="24h")`` returns the alerts a batch run
over the whole period returns for that window (episodes still going on at the end
of the data have the end, peak and totals seen so far).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..schema import require_columns
from ..windows import parse_window
from .baseline import DEFAULT_TZ, MODE_NAMES, seasonal_expectation
from .episodes import coordination, find_episodes, telling_examples
from .explain import (
    DEFAULT_PAGE_SEVERITY,
    THREAT_SHARE_FOR_WEIGHT,
    format_alerts,
    severity,
    why_sentence,
)
from .prepare import Run, prepare, segment_matrix
from .registry import (
    SIGNALS,
    TERMS_LOOKBACK,
    SignalContext,
    SignalSpec,
    register_signal,
    signal_spec,
    signal_strings,
    signal_title,
    unregister_signal,
)
from .signals import MIN_SCORE, Signal, load_vocabulary, terms_found

__all__ = [
    "ALERT_COLUMNS",
    "DEFAULT_BY",
    "DEFAULT_PAGE_SEVERITY",
    "Signal",
    "SignalContext",
    "SignalSpec",
    "detect_threats",
    "format_alerts",
    "load_vocabulary",
    "register_signal",
    "signal_title",
    "unregister_signal",
]

DEFAULT_BY = ("all", "topic", "platform", "language")
# Hot bins closer than this belong to one episode; a story that flickers for an
# afternoon is one alert.
DEFAULT_COOLDOWN = "6h"
# Per-run cap on alerts returned (most severe kept); analysts of vendor suites complain
# of being flooded, and 20 is what fits on one screen of the threat board.
DEFAULT_MAX_ALERTS = 20
# The background of term and negative-share comparisons: the previous week.
BASELINE_WINDOW = pd.Timedelta("7D")
# Example mentions are picked among at most this many of an episode's mentions.
MAX_EXAMPLE_ROWS = 1000

ALERT_COLUMNS = ["alert_key", "segment", "start", "end", "signal", "signals", "observed",
                 "expected", "score", "severity", "terms", "example_ids", "dup_share",
                 "new_author_share", "author_concentration", "mentions", "baseline", "related",
                 "why", "why_fr"]


def _empty(attrs: dict) -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype=object) for c in ALERT_COLUMNS})
    for c in ("start", "end"):
        out[c] = pd.Series(dtype="datetime64[ns, UTC]")
    for c in ("observed", "expected", "score", "dup_share", "new_author_share", "author_concentration"):
        out[c] = pd.Series(dtype="float64")
    out["severity"] = pd.Series(dtype="int64")
    out["mentions"] = pd.Series(dtype="int64")
    out.attrs.update(attrs)
    return out


def _parse_since(since, latest: pd.Timestamp, tz: str) -> pd.Timestamp | None:
    # Analysis windows are anchored on the newest mention (same input, same alerts).
    return parse_window(since, anchor=latest, tz=tz, name="since").start


def _round(value: float, signal: str) -> float:
    """Shares to 3 decimals, counts under 100 to 1 decimal, larger numbers to units:
    the precision the ``why`` sentence prints, so its numbers equal the columns."""
    if np.isnan(value) or signal_spec(signal).value == "share":
        return round(value, 3)
    return round(value, 1) if abs(value) < 100 else float(round(value))


def _fold_related(episodes: list[dict], topic_labels: dict[str, str | None]) -> list[dict]:
    """Fold episodes that are the same story seen in several segments.

    An episode overlapping in time with an already kept one and sharing one of its
    terms (or where either has no emerging terms to tell them apart) is folded into
    it (its segment is listed in ``related``). The ``all`` segment is kept first, then by score, so one incident gives one alert that says
    where else it shows, instead of one alert per platform and language. The sentence
    names those segments in words ("news sites", "the subject “road closures”"), never
    by their ids; ``topic_labels`` are the run's topic names (``Run.topic_labels``).
    """
    from .titles import display_segment

    order = sorted(episodes, key=lambda r: (r["segment"] != "all", -r["score"], r["start"], r["segment"]))
    kept: list[dict] = []
    for r in order:
        terms = set(r["terms"])
        parent = next((k for k in kept if k["start"] < r["end"] and r["start"] < k["end"]
                       and (terms & set(k["terms"]) or not terms or not k["terms"])), None)
        if parent is None:
            r["related"] = []
            kept.append(r)
        else:
            parent["related"].append(r["segment"])
    for k in kept:
        if k["related"]:
            more = len(k["related"]) - 4
            for col, lang in (("why", "en"), ("why_fr", "fr")):
                words = signal_strings(lang)
                listed = ", ".join(display_segment(seg, lang, topic_names=topic_labels)
                                   for seg in k["related"][:4])
                tail = words["also_in"].substitute(segments=listed)
                if more > 0:
                    tail += words["also_in_more"].substitute(more=more)
                k[col] = k[col][:-1] + tail + "."
    return kept


def detect_threats(frame: pd.DataFrame, *, freq: str = "1h",
                   by: Iterable[str] = DEFAULT_BY, rules=None, since=None,
                   tz: str = DEFAULT_TZ, cooldown: str = DEFAULT_COOLDOWN,
                   max_alerts: int | None = DEFAULT_MAX_ALERTS, vocabulary=None,
                   min_score: float = MIN_SCORE) -> pd.DataFrame:
    """Emerging-threat alerts, one row per episode of hot bins in a segment.

    Every option after the frame is keyword-only (``detect_threats(frame, freq="15min")``).

    Parameters
    ----------
    frame : DataFrame
        Mentions. Needs ``mention_id``, ``timestamp``, ``text``; uses ``platform``,
        ``language``, ``author``, ``reach``, ``topic``/``topic_label`` and
        ``sentiment_label`` (or ``sentiment``) when present.
    freq : str
        Time bin (``"1h"``, ``"15min"``, ``"1D"``).
    by : iterable of str
        Segments: ``"all"`` and any column (``topic``, ``platform``, ``language``,
        ``country``...). Columns absent from the frame are skipped (listed in
        ``alerts.attrs["skipped_segments"]``).
    rules : list of Rule, or dict name -> query, optional
        Each rule becomes a segment ``rule:<name>``.
    since : duration string, Timestamp or None
        Report only episodes that reach into the window ``[since, latest mention]``;
        ``"24h"`` means the 24 hours up to the latest mention. Naive times are in ``tz``.
    tz : str
        Time zone of the ``why`` sentences and of local days/hours (default Toronto).
    cooldown : str
        Hot bins closer than this merge into one episode.
    max_alerts : int or None
        Cap on alerts returned (highest severity kept); ``attrs["dropped"]`` counts the rest.
    vocabulary : path or None
        Threat vocabulary YAML (default: the packaged ``threat_terms.yaml``).
    min_score : float
        Hotness threshold, -log10 of the tail probability (default 5).

    Returns
    -------
    DataFrame, most severe first, with columns:

    * ``alert_key`` - stable id: SHA-1 of ``segment|signal|start`` (16 hex digits),
      for storing triage;
    * ``segment`` (``all``, ``platform:x``, ``topic:3``, ``rule:<name>``...),
      ``start``/``end`` (UTC, bin edges of the episode);
    * ``signal`` - the signal that fired first (strongest at the first hot bin);
      ``signals`` - every signal hot during the episode;
    * ``observed``/``expected`` - the lead signal's values in the episode's peak bin
      (counts; a share for ``negative_surge``; summed reach for ``amplification``),
      rounded as the ``why`` sentence prints them; ``score`` - -log10 tail probability;
    * ``severity`` 1-10 (see :mod:`listening.threats.explain`);
    * ``terms`` - emerging terms and threat-vocabulary terms; ``example_ids`` - the
      most telling mentions (``mention_id``);
    * ``dup_share``, ``new_author_share``, ``author_concentration`` - coordination
      measures in 0..1 (see :mod:`listening.threats.episodes`);
    * ``mentions`` in the episode's segment and bins; ``baseline`` - ``seasonal+weekday``,
      ``seasonal``, ``recent`` (short history) or ``none``; ``related`` - segments
      whose episodes were folded into this one (same story);
    * ``why`` - one plain sentence with local times (``tz``); ``why_fr`` - the same in French.

    ``attrs`` hold ``freq``, ``tz``, ``since``, ``history``, ``segments``,
    ``skipped_segments`` and ``dropped`` (alerts over the cap). The input frame is
    not modified.

    Examples
    --------
    >>> import listening as ls
    >>> frame, truth = ls.demo.generate(n_mentions=3_000, days=7, seed=2)
    >>> alerts = detect_threats(frame)
    >>> list(alerts.columns[:4])
    ['alert_key', 'segment', 'start', 'end']
    """
    require_columns(frame, ["mention_id", "timestamp", "text"], stage="detect_threats")
    by = (by,) if isinstance(by, str) else tuple(by)
    vocab = load_vocabulary(vocabulary)
    run, skipped = prepare(frame, freq=freq, by=by, rules=rules, tz=tz, vocab=vocab,
                           window=BASELINE_WINDOW)
    attrs = {"freq": str(freq), "tz": tz, "since": None, "dropped": 0, "skipped_segments": skipped,
             "history": "0 days", "segments": 0 if run is None else len(run.segments)}
    if run is None or not run.segments:
        return _empty(attrs)
    latest = pd.Timestamp(int(run.ns[-1]), tz="UTC")
    since_ts = _parse_since(since, latest, tz)
    attrs.update(since=None if since_ts is None else since_ts.isoformat(),
                 history=str(latest - pd.Timestamp(int(run.ns[0]), tz="UTC")))
    signals, hot, mode = _signals(run, min_score=min_score, since_ts=since_ts)
    gap = max(0, int(pd.Timedelta(cooldown) / run.grid.freq))
    ends = run.grid.ends
    episodes = [_describe(run, s, a, b, signals=signals, hot=hot, mode=mode, vocab=vocab, tz=tz)
                for s, a, b in find_episodes(hot, gap) if since_ts is None or ends[b] > since_ts]
    if not episodes:
        return _empty(attrs)
    alerts = pd.DataFrame(_fold_related(episodes, run.topic_labels))
    alerts = alerts.sort_values(["severity", "score", "start", "segment"],
                                ascending=[False, False, True, True], kind="stable").reset_index(drop=True)
    if max_alerts is not None and len(alerts) > max_alerts:
        attrs["dropped"] = len(alerts) - max_alerts
        alerts = alerts.head(max_alerts).reset_index(drop=True)
    alerts["start"] = pd.to_datetime(alerts["start"], utc=True)
    alerts["end"] = pd.to_datetime(alerts["end"], utc=True)
    alerts = alerts[ALERT_COLUMNS]
    alerts.attrs.update(attrs)
    return alerts


def _signals(run: Run, *, min_score: float, since_ts: pd.Timestamp | None):
    """Every registered signal over (segments x bins), in registry order; returns
    (signals, hot, baseline mode)."""
    grid, dims, bins, T, S = run.grid, run.dims, run.bins, run.grid.n, len(run.segments)
    X = segment_matrix(dims, bins, T)
    L = segment_matrix(dims, bins, T, run.large.astype(np.float64))
    R = segment_matrix(dims, bins, T, run.reach)
    K = segment_matrix(dims, bins, T, run.threat_hit.astype(np.float64))
    E, mode = seasonal_expectation(np.vstack([X, L, R, K]), grid)
    terms_from = 0 if since_ts is None else \
        int(np.searchsorted(grid.starts.asi8, (since_ts - TERMS_LOOKBACK).value, side="left"))
    ctx = SignalContext(run=run, X=X, E_X=E[:S], L=L, E_L=E[S:2 * S], R=R, E_R=E[2 * S:3 * S], K=K,
                        E_K=E[3 * S:], min_score=min_score, terms_from=terms_from,
                        hot=np.zeros((S, T), dtype=bool))
    for spec in list(SIGNALS.values()):
        sig = spec.compute(ctx)
        if sig is None:
            continue
        sig.name = spec.name
        for other in spec.takes_over:
            if other in ctx.signals:
                ctx.signals[other].hot = ctx.signals[other].hot & ~sig.hot
        ctx.signals[spec.name] = sig
        ctx.hot = ctx.hot | sig.hot
    return list(ctx.signals.values()), ctx.hot, mode


def _describe(run: Run, s: int, a: int, b: int, *, signals: list[Signal], hot: np.ndarray,
              mode: np.ndarray, vocab: dict, tz: str) -> dict:
    """The alert row of the episode of segment ``s`` over bins ``a..b``."""
    grid = run.grid
    seg_name = run.segments[s][0]
    lead = max((sig for sig in signals if sig.hot[s, a]), key=lambda sig: sig.score[s, a])
    quotes = signal_spec(lead.name).quotes
    span = slice(a, b + 1)
    p = a + int(np.argmax(np.where(lead.hot[s, span], lead.score[s, span], -1.0)))  # peak bin
    observed = _round(float(lead.observed[s, p]), lead.name)
    expected = _round(float(lead.expected[s, p]), lead.name)
    score = float(np.max(lead.score[s, span]))
    all_rows = run.seg_rows(s, a, b)
    hot_rows = all_rows[hot[s, run.bins[all_rows]]]

    emerging = [t for t, *_ in run.index.emerging(hot_rows, run.background(s, a))]
    cat_names = list(vocab)
    cat_counts = run.threat_cats[hot_rows].sum(axis=0) if len(hot_rows) else np.zeros(len(cat_names))
    share = cat_counts / max(len(hot_rows), 1)
    cats = [cat_names[j] for j in np.argsort(-cat_counts, kind="stable") if share[j] >= THREAT_SHARE_FOR_WEIGHT]
    if quotes == "vocabulary" and not cats and cat_counts.sum():
        cats = [cat_names[int(np.argmax(cat_counts))]]
    threat_terms = [t for t, _ in terms_found(pd.Series(run.texts[hot_rows[:2000]]), vocab, cats)][:3] \
        if cats else []
    terms = list(dict.fromkeys(emerging + threat_terms))[:8]
    lead_terms = (lead.terms or {}).get((s, p)) if quotes == "bin" else None
    if quotes == "vocabulary":
        lead_terms = threat_terms or emerging
    lead_terms = lead_terms or emerging or threat_terms

    neg_share = float(run.neg[hot_rows].mean()) if run.has_sentiment and len(hot_rows) else None
    top_platform = None
    if run.platforms is not None and len(hot_rows):
        vc = pd.Series(run.platforms[hot_rows]).value_counts(normalize=True)
        vc = vc[vc == vc.max()].sort_index()  # ties by name
        top_platform = (str(vc.index[0]), float(vc.iloc[0]))
    coord = coordination(all_rows, texts=run.texts, authors=run.authors, first_seen=run.first_seen,
                         times=run.ns, history_ns=int(grid.starts.asi8[a] - run.ns[0]))
    term_ids = {run.index.vocab.get(t, -1) for t in terms[:5]} - {-1}
    shown = hot_rows if len(hot_rows) <= MAX_EXAMPLE_ROWS else \
        hot_rows[np.linspace(0, len(hot_rows) - 1, MAX_EXAMPLE_ROWS).astype(np.int64)]
    weight = np.array([len(term_ids.intersection(run.index.ids(int(r)).tolist())) for r in shown],
                      dtype=float) + run.threat_hit[shown]
    examples = telling_examples(shown, texts=run.texts, ids=run.ids, reach=run.reach, weight=weight)
    big = hot_rows[run.large[hot_rows]]
    big_names = list(dict.fromkeys(run.authors[big[np.argsort(-run.reach[big], kind="stable")]]))[:3]
    coordinated = bool(coord["dup_share"] >= 0.5 or coord["new_author_share"] >= 0.5)
    sev = severity(ratio=observed / expected if expected and expected > 0 else 10.0, score=score,
                   mentions=len(all_rows), threat_weight=max([vocab[c]["weight"] for c in cats], default=0.0),
                   negative_share=neg_share, coordinated=coordinated)
    baseline = MODE_NAMES[int(mode[p])]
    is_topic = run.dims[run.segments[s][1]][0] == "topic"
    sentence = dict(
        signal=lead.name, segment=seg_name, observed=observed, expected=expected,
        bin_end=grid.ends[p], freq=grid.freq, span=grid.freq * lead.window, tz=tz, terms=lead_terms,
        bin_mentions=len(run.seg_rows(s, p, p)), negative_share=neg_share, platform=top_platform,
        coord=coord, baseline=baseline,
        history=grid.starts[p] - pd.Timestamp(int(run.ns[0]), tz="UTC"), large_accounts=big_names,
        topic_label=run.topic_labels.get(seg_name.split(":", 1)[1]) if is_topic else None,
        days_per_bin=grid.days_per_bin, seasonal_bins=grid.per_day > 1)
    why = why_sentence(**sentence, threat_labels=[vocab[c]["label"] for c in cats])
    why_fr = why_sentence(**sentence, threat_labels=[vocab[c]["label_fr"] for c in cats], lang="fr")
    start = grid.starts[a]
    key = hashlib.sha1(f"{seg_name}|{lead.name}|{start.isoformat()}".encode()).hexdigest()[:16]
    return {"alert_key": key, "segment": seg_name, "start": start, "end": grid.ends[b],
            "signal": lead.name, "signals": [sig.name for sig in signals if sig.hot[s, span].any()],
            "observed": observed, "expected": expected, "score": round(score, 2), "severity": sev,
            "terms": terms, "example_ids": examples, **coord, "mentions": len(all_rows),
            "baseline": baseline, "why": why, "why_fr": why_fr}
