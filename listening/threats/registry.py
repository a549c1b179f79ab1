"""Threat signals as data: one registry entry per signal, their sentences in a data file.

An entry (:class:`SignalSpec`) says everything the rest of :mod:`listening.threats`
needs to know about a signal:

* ``name`` - the value of the alert's ``signal`` column;
* ``compute`` - ``compute(ctx) -> Signal | None`` over (segments x bins), given a
  :class:`SignalContext` (the run, the count matrices and their seasonal
  expectations, the signals computed before it and the union of their hot bins);
  ``None`` when the signal does not apply to these mentions (no sentiment, no reach);
* ``value`` - the kind of value it reports: ``"count"``, ``"reach"`` (both printed as
  numbers) or ``"share"`` (printed as a percent, kept to 3 decimals);
* ``quotes`` - which terms its ``why`` sentence quotes: ``"episode"`` (the episode's
  emerging terms), ``"bin"`` (the terms the signal itself found in the peak bin) or
  ``"vocabulary"`` (the threat-vocabulary terms found);
* ``why_key`` / ``title_key`` - its strings in ``resources/threats/signals.yaml``
  (default ``<name>.why`` and ``<name>.title``), English and French;
* ``takes_over`` - signals whose hot bins it claims (``new_topic`` is a volume spike
  of a new topic: where it is hot, ``volume`` is not);
* ``omits`` - parts of the ``why`` sentence its lead already says (``negative_surge``
  omits ``negative_share``).

Signals are computed in registry order. **Adding a signal** is one function, one
:func:`register_signal` call and its strings (in signals.yaml for the package's own
signals, or ``strings={"en": {...}, "fr": {...}}`` in the entry for a signal defined
elsewhere); nothing else changes. :func:`signal_title` gives the few words the Threat
Board and the brief show for a signal ("unusual volume", "volume inhabituel").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from string import Template

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from ..errors import OptionError, check_option
from .signals import (
    NEW_TOPIC_MAX_HISTORY,
    Signal,
    amplification_signal,
    nb_score,
    negative_signal,
    scan_windows,
    threat_signal,
    trailing_sum,
    trailing_window,
    volume_signal,
)

__all__ = [
    "LANGUAGES",
    "SIGNALS",
    "SignalContext",
    "SignalSpec",
    "register_signal",
    "signal_spec",
    "signal_strings",
    "signal_title",
    "unregister_signal",
]

STRINGS = "resources/threats/signals.yaml"
LANGUAGES = ("en", "fr")
VALUE_KINDS = ("count", "reach", "share")
QUOTES = ("episode", "bin", "vocabulary")

# "Warm" bins (volume score >= 3, at least 10 mentions, 1.5x expected) are checked for
# emerging terms; a term with z >= 5 used by a quarter of the bin makes the bin hot.
WARM_SCORE = 3.0
WARM_MIN_COUNT = 10
WARM_RATIO = 1.5
TERMS_SIGNAL_Z = 5.0
TERMS_SIGNAL_MIN = 8
TERMS_SIGNAL_SHARE = 0.25
# Term bursts: bins with some rise (10+ mentions, 1.3x expected, volume score >= 0.5) that
# no other signal made hot are checked for single words far above their recent rate
# (binomial, score >= min_score after the many-words penalty): used by 10% of the bin,
# 8+ mentions, 5x the rate, with 50 pseudo-mentions of prior from all mentions' rate.
# Checked on all mentions only. A topic's or a rule's own words are always frequent in it,
# and while its history is short its background is all mentions (Run.background), against
# which they would look like a burst; a story big enough to matter shows in "all".
BURST_SEGMENTS = ("all",)
BURST_MIN_COUNT = 10
BURST_VOLUME_RATIO = 1.3
BURST_VOLUME_SCORE = 0.5
BURST_PRIOR_DOCS = 50.0
BURST_MIN_DOCS = 8
BURST_MIN_SHARE = 0.1
BURST_MIN_RATIO = 5.0
# Emerging-term checks start this long before `since`, so an episode that began just
# before the window is seen whole.
TERMS_LOOKBACK = pd.Timedelta("2D")


@dataclass
class SignalContext:
    """What a signal's function sees: (segments x bins) matrices of one run.

    ``X`` counts, ``L`` posts by large accounts, ``R`` summed reach, ``K`` mentions
    using threat vocabulary, each with its causal seasonal expectation ``E_*``;
    ``signals`` the signals computed so far (by name), ``hot`` the union of their hot
    bins; ``terms_from`` the first bin where term statistics are worth computing.
    """

    run: object
    X: np.ndarray
    E_X: np.ndarray
    L: np.ndarray
    E_L: np.ndarray
    R: np.ndarray
    E_R: np.ndarray
    K: np.ndarray
    E_K: np.ndarray
    min_score: float
    terms_from: int = 0
    signals: dict = field(default_factory=dict)
    hot: np.ndarray | None = None


@dataclass(frozen=True)
class SignalSpec:
    """One threat signal (see the module docstring)."""

    name: str
    compute: Callable[[SignalContext], Signal | None]
    value: str = "count"
    quotes: str = "episode"
    why_key: str | None = None
    title_key: str | None = None
    takes_over: tuple[str, ...] = ()
    omits: tuple[str, ...] = ()
    strings: Mapping[str, Mapping[str, str]] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise OptionError(f"signal name {self.name!r} must be a word of letters, digits and "
                              "underscores (it is the alert's `signal` value)", name="name",
                              value=self.name)
        if not callable(self.compute):
            raise OptionError(f"signal {self.name!r}: compute must be a function "
                              "compute(ctx) -> Signal | None", name="compute", value=self.compute)
        check_option("value", self.value, VALUE_KINDS)
        check_option("quotes", self.quotes, QUOTES)
        object.__setattr__(self, "why_key", self.why_key or f"{self.name}.why")
        object.__setattr__(self, "title_key", self.title_key or f"{self.name}.title")


SIGNALS: dict[str, SignalSpec] = {}


def register_signal(spec: SignalSpec, *, before: str | None = None) -> SignalSpec:
    """Add ``spec`` to the registry (at the end, or just before the signal ``before``).

    Its strings must exist in English and French, in signals.yaml or in ``spec.strings``.
    Registering a name again replaces the entry in place.
    """
    for lang in LANGUAGES:
        table = {**_packaged(lang), **dict((spec.strings or {}).get(lang, {}))}
        missing = [k for k in (spec.why_key, spec.title_key) if k not in table]
        if missing:
            raise OptionError(f"signal {spec.name!r} has no {lang!r} string for {', '.join(missing)}; "
                              f"add it to listening/{STRINGS} or pass strings={{'{lang}': {{...}}}}",
                              name="strings", value=spec.strings)
    if before is not None:
        check_option("before", before, tuple(SIGNALS))
    if spec.name in SIGNALS or before is None:
        SIGNALS[spec.name] = spec
    else:
        items = list(SIGNALS.items())
        at = [name for name, _ in items].index(before)
        items.insert(at, (spec.name, spec))
        SIGNALS.clear()
        SIGNALS.update(items)
    signal_strings.cache_clear()
    return spec


def unregister_signal(name: str) -> SignalSpec:
    """Remove a signal from the registry (and return its entry)."""
    check_option("signal", name, tuple(SIGNALS))
    spec = SIGNALS.pop(name)
    signal_strings.cache_clear()
    return spec


def signal_spec(name: str) -> SignalSpec:
    """The registry entry of the signal ``name``."""
    return SIGNALS[check_option("signal", name, tuple(SIGNALS))]


@lru_cache(maxsize=4)
def _packaged(lang: str) -> dict[str, str]:
    data = yaml.safe_load(resources.files("listening").joinpath(STRINGS).read_text("utf-8")) or {}
    return {str(k): str(v) for k, v in (data.get(lang) or {}).items()}


@lru_cache(maxsize=4)
def signal_strings(lang: str = "en") -> dict[str, Template]:
    """Every sentence piece in ``lang``: the packaged ones plus the registered signals' own."""
    check_option("lang", lang, LANGUAGES)
    table = dict(_packaged(lang))
    for spec in SIGNALS.values():
        table.update((spec.strings or {}).get(lang, {}))
    return {k: Template(v) for k, v in table.items()}


def signal_title(name: str, lang: str = "en") -> str:
    """A few plain words for a signal: ``signal_title("volume")`` -> ``"unusual volume"``;
    ``lang="fr"`` -> ``"volume inhabituel"``. Unknown names are returned as they are
    (an alert stored before a signal was renamed still shows)."""
    strings = signal_strings(lang)
    spec = SIGNALS.get(name)
    key = spec.title_key if spec is not None else f"{name}.title"
    return strings[key].template if key in strings else str(name)


# --- the package's signals ------------------------------------------------------------------

def _volume(ctx: SignalContext) -> Signal:
    return volume_signal(ctx.X, ctx.E_X, min_score=ctx.min_score, windows=scan_windows(ctx.run.grid.freq))


def _new_topic(ctx: SignalContext) -> Signal | None:
    vol = ctx.signals.get("volume")
    run = ctx.run
    is_topic = np.array([run.dims[i][0] == "topic" for _, i, _ in run.segments])
    if vol is None or not is_topic.any():
        return None
    fresh = vol.hot & is_topic[:, None] & (trailing_sum(ctx.X, run.week) < NEW_TOPIC_MAX_HISTORY)
    return Signal("new_topic", vol.observed, vol.expected, vol.score, fresh)


def _negative(ctx: SignalContext) -> Signal | None:
    run = ctx.run
    if not run.has_sentiment:
        return None
    from .prepare import segment_matrix

    neg = segment_matrix(run.dims, run.bins, run.grid.n, run.neg.astype(np.float64))
    return negative_signal(neg, ctx.X, run.week, min_score=ctx.min_score)


def _amplification(ctx: SignalContext) -> Signal | None:
    if not (ctx.run.reach > 0).any():
        return None
    return amplification_signal(ctx.L, ctx.E_L, ctx.R, ctx.E_R, min_score=ctx.min_score)


def _threat(ctx: SignalContext) -> Signal:
    return threat_signal(ctx.K, ctx.E_K, ctx.X, min_score=ctx.min_score)


def _emerging_terms(ctx: SignalContext) -> Signal | None:
    """Terms new against the segment's previous week, checked only in warm bins not
    already hot (term statistics are the costly part)."""
    vol = ctx.signals.get("volume")
    if vol is None:
        return None
    run, X = ctx.run, ctx.X
    S, T = X.shape
    warm = (vol.score >= WARM_SCORE) & (X >= WARM_MIN_COUNT) \
        & (X >= WARM_RATIO * np.nan_to_num(vol.expected, nan=np.inf)) & ~ctx.hot
    warm[:, :ctx.terms_from] = False
    obs, exp, score = np.zeros((S, T)), np.full((S, T), np.nan), np.zeros((S, T))
    hot = np.zeros((S, T), dtype=bool)
    terms: dict[tuple[int, int], list[str]] = {}
    for s, t in zip(*np.nonzero(warm)):
        found = run.index.emerging(run.seg_rows(s, t, t), run.background(s, t), min_z=TERMS_SIGNAL_Z,
                                   min_docs=max(TERMS_SIGNAL_MIN, int(TERMS_SIGNAL_SHARE * X[s, t])),
                                   top=3)
        if found:
            _, z, count, expected = found[0]
            obs[s, t], exp[s, t] = count, round(expected, 1)
            score[s, t] = min(300.0, -stats.norm.logsf(z) / np.log(10))
            hot[s, t] = True
            terms[(int(s), int(t))] = [f[0] for f in found]
    return Signal("emerging_terms", obs, exp, score, hot, terms=terms)


def _term_burst(ctx: SignalContext) -> Signal | None:
    """Single words far above their rate in the recent past (a gradual onset: the event's
    own words rise long before the volume doubles). Bins shorter than an hour are judged
    on the hour up to them (a quarter holds too few mentions to tell a word's rise)."""
    vol = ctx.signals.get("volume")
    if vol is None:
        return None
    run, X = ctx.run, ctx.X
    S, T = X.shape
    w = max(1, int(pd.Timedelta("1h") / run.grid.freq)) if run.grid.freq < pd.Timedelta("1h") else 1
    Xw, Ew = trailing_window(X, w), trailing_window(np.where(np.isnan(vol.expected), np.nan, vol.expected), w)
    Ew = np.nan_to_num(Ew, nan=np.inf)
    worded = np.array([run.dims[i][0] in BURST_SEGMENTS for _, i, _ in run.segments])
    cand = (np.nan_to_num(Xw) >= BURST_MIN_COUNT) & (Xw >= BURST_VOLUME_RATIO * Ew) \
        & (nb_score(np.nan_to_num(Xw), np.where(np.isinf(Ew), np.nan, Ew)) >= BURST_VOLUME_SCORE) \
        & (X >= np.nan_to_num(vol.expected, nan=np.inf)) & ~ctx.hot & worded[:, None]
    cand[:, :max(ctx.terms_from, w)] = False  # the window needs a past before it
    obs, exp, score = np.zeros((S, T)), np.full((S, T), np.nan), np.zeros((S, T))
    hot = np.zeros((S, T), dtype=bool)
    terms: dict[tuple[int, int], list[str]] = {}
    prior_cache: dict = {}
    for s, t in zip(*np.nonzero(cand)):
        t0 = t - w + 1
        bg = run.background(s, t0)
        everyone = None if run.segments[s][0] == "all" else \
            np.arange(run.row_lo[max(t0 - run.week, 0)], run.row_hi[t0 - 1])
        found = run.index.bursts(run.seg_rows(s, t0, t), bg, everyone, prior_cache=prior_cache,
                                 prior_docs=BURST_PRIOR_DOCS,
                                 min_score=ctx.min_score, min_docs=BURST_MIN_DOCS,
                                 min_share=BURST_MIN_SHARE, min_ratio=BURST_MIN_RATIO)
        if found:
            _, sc, count, expected_count = found[0]
            obs[s, t], exp[s, t], score[s, t] = count, round(expected_count, 1), min(sc, 300.0)
            hot[s, t] = True
            terms[(int(s), int(t))] = [f[0] for f in found]
    return Signal("term_burst", obs, exp, score, hot, terms=terms, window=w)


for _spec in (
    SignalSpec("volume", _volume),
    SignalSpec("new_topic", _new_topic, takes_over=("volume",)),
    SignalSpec("negative_surge", _negative, value="share", omits=("negative_share",)),
    SignalSpec("amplification", _amplification, value="reach"),
    SignalSpec("threat_vocabulary", _threat, quotes="vocabulary"),
    SignalSpec("emerging_terms", _emerging_terms, quotes="bin"),
    SignalSpec("term_burst", _term_burst, quotes="bin"),
):
    register_signal(_spec)
