"""Per-bin threat signals, computed for every segment at once on (segments x bins) arrays.

Each signal returns ``observed``, ``expected`` and ``score`` arrays and a boolean
``hot`` array. ``score`` is ``-log10`` of a one-sided tail probability, so 4 means
"a 1-in-10,000 bin under the baseline"; thresholds are named constants below.

* ``volume`` - count vs the seasonal baseline, negative-binomial upper tail
  (variance ``mu + mu**2 / NB_SIZE``: social counts are over-dispersed, so a
  Poisson tail would page on every busy hour of a large segment). A spike must
  also be :data:`MIN_RATIO` times the expectation and :data:`MIN_EXCESS`
  mentions above it, so a 10% rise of a huge segment never alerts. Bins shorter
  than an hour are also judged with the bins just before them, up to an hour
  (:func:`scan_windows`), so a quarter is hot as soon as the evidence is clear.
* ``new_topic`` - a volume spike in a topic segment that had (almost) no mentions
  in the previous week.
* ``negative_surge`` - share of negative mentions (``sentiment_label``) vs the
  pooled share of the previous week (binomial upper tail).
* ``amplification`` - reach-weighted volume: the count of posts by large accounts
  (reach >= :data:`LARGE_REACH`) is far above its baseline *and* the summed reach
  is :data:`AMPLIFICATION_RATIO` times its own.
* ``threat_vocabulary`` - mentions matching the public-safety vocabulary
  (``resources/threat_terms.yaml``) vs their baseline; with no baseline at all
  (a brand-new stream) an absolute floor applies instead.

``emerging_terms`` and ``term_burst`` (single words far above their recent rate: a
gradual onset) look at words; their tests are in :mod:`.emerging`, their entries in
:mod:`.registry`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml
from scipy import stats

from ..errors import MentionDataError
from ..text import fold_accents

__all__ = [
    "Signal",
    "amplification_signal",
    "binom_score",
    "fold_texts",
    "load_vocabulary",
    "match_folded",
    "match_vocabulary",
    "nb_score",
    "negative_signal",
    "scan_windows",
    "term_pattern",
    "terms_found",
    "threat_signal",
    "trailing_sum",
    "trailing_window",
    "volume_signal",
]

# Negative-binomial size: var = mu + mu^2/10, i.e. ~30% extra spread at 100 mentions per bin,
# the over-dispersion typically seen in hourly social-media counts.
NB_SIZE = 10.0
# A bin is hot when its tail probability is below 1e-5 (score 5): about one hot bin per
# segment every 11 years of hourly bins under the baseline - the margin absorbs baseline error.
MIN_SCORE = 5.0
MIN_RATIO = 2.0
MIN_EXCESS = 8
# Sub-hourly bins judged over a longer window must themselves be this far above expected.
QUARTER_RATIO = 1.5
# Expected counts are floored here: an empty night hour still "expects" a little traffic,
# so 3 posts after 0 is not a 1-in-a-million event.
EXPECTED_FLOOR = 1.0
# A topic segment with fewer mentions than this in the previous week is "new".
NEW_TOPIC_MAX_HISTORY = 3
# Negative surge: at least 8 negative mentions, 15 points above the usual share.
NEG_MIN_COUNT = 8
NEG_MIN_JUMP = 0.15
NEG_PRIOR_SHARE = 1 / 3
NEG_PRIOR_WEIGHT = 20
# Amplification: large accounts (follower count / reach) and how much the reach must rise.
LARGE_REACH = 100_000
AMPLIFICATION_RATIO = 3.0
AMPLIFICATION_MIN_POSTS = 3
# Threat vocabulary: minimum matching mentions; with no baseline at all, at least this
# many and this share of the bin.
THREAT_MIN_COUNT = 6
THREAT_ABSOLUTE_COUNT = 10
THREAT_ABSOLUTE_SHARE = 0.3

DEFAULT_VOCABULARY = "resources/threat_terms.yaml"
# pyarrow-backed strings, so the str methods run in Arrow.
_STR = pd.StringDtype("pyarrow")


@dataclass
class Signal:
    """One signal over (segments x bins); ``terms`` maps ``(segment, bin)`` to the terms
    the signal found there, for signals that look at words; ``window`` is how many bins,
    up to and including each bin, its observed and expected values cover."""

    name: str
    observed: np.ndarray
    expected: np.ndarray
    score: np.ndarray
    hot: np.ndarray
    terms: dict | None = None
    window: int = 1


@lru_cache(maxsize=8)
def _read_vocabulary(path: str | None) -> dict:
    if path is None:
        text = resources.files("listening").joinpath(DEFAULT_VOCABULARY).read_text("utf-8")
        where = DEFAULT_VOCABULARY
    else:
        p = Path(path)
        if not p.is_file():
            raise MentionDataError(f"threat vocabulary {path!r} not found; pass a YAML file "
                                   f"shaped like listening/{DEFAULT_VOCABULARY}", path=str(path))
        text, where = p.read_text("utf-8"), str(p)
    data = yaml.safe_load(text) or {}
    cats = data.get("categories")
    if not isinstance(cats, dict) or not cats:
        raise MentionDataError(f"threat vocabulary {where} has no 'categories' mapping", path=where)
    out = {}
    for name, spec in cats.items():
        terms = [str(t) for lang in ("en", "fr") for t in (spec.get(lang) or [])]
        if not terms:
            raise MentionDataError(f"threat vocabulary {where}: category {name!r} lists no "
                                   "'en' or 'fr' terms", path=where)
        out[str(name)] = {"label": str(spec.get("label", name)),
                          "label_fr": str(spec.get("label_fr", spec.get("label", name))), "weight": float(spec.get("weight", 1)),
                          "terms": sorted(set(terms), key=lambda t: (t.lower(), t))}
    return out


def load_vocabulary(path: str | Path | None = None) -> dict:
    """The threat vocabulary: ``{category: {"label", "weight", "terms"}}``.

    ``path=None`` reads the packaged ``listening/resources/threat_terms.yaml``.
    """
    return _read_vocabulary(None if path is None else str(path))


def term_pattern(term: str) -> str:
    r"""A pattern matching ``term`` literally, on word edges, in *folded* text.

    Folded text is lower-case with accents removed (:func:`fold_texts`), so the
    pattern is plain ASCII and runs on the fast DFA path of RE2. Every character
    of the term is escaped; spaces match any whitespace, a hyphen also matches a
    space or nothing, and a trailing ``*`` matches any word ending. User text never
    reaches the pattern unescaped.

    >>> print(term_pattern("fake officer"), term_pattern("évacu*"))
    \bfake\s+officer\b \bevacu\w*
    """
    prefix = term.endswith("*")
    body = fold_accents(term.rstrip("*").strip().lower()).replace("’", "'")
    parts = []
    for ch in body:
        if ch.isspace():
            if not parts or parts[-1] != r"\s+":
                parts.append(r"\s+")
        elif ch == "-":
            parts.append(r"[\s-]?")
        elif ch.isalnum():
            parts.append(ch)
        else:
            parts.append(re.escape(ch))
    return r"\b" + "".join(parts) + (r"\w*" if prefix else r"\b")


def fold_texts(texts: pd.Series) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """Distinct texts: ``(codes, uniques, folded uniques)``; folded is lower-cased and
    accent-folded, ``uniques[codes]`` gives the texts back (missing -> "").

    Each distinct text is folded once, with pyarrow (NFKD, combining marks removed)
    and only where it is not plain ASCII.
    """
    codes, uniques = pd.factorize(texts.astype(_STR).fillna(""))
    arr = pa.array(np.asarray(uniques, dtype=object), type=pa.large_string())
    low = pc.replace_substring(pc.utf8_lower(arr), "’", "'")
    ascii_ = pc.string_is_ascii(low)
    if not pc.all(ascii_).as_py():
        folded = pc.replace_substring_regex(pc.utf8_normalize(low, "NFKD"), r"\p{Mn}+", "")
        low = pc.if_else(ascii_, low, folded)
    return codes, np.asarray(uniques, dtype=object), low


def _alternation(terms: list[str]) -> str:
    return "|".join(term_pattern(t) for t in terms)


def match_vocabulary(texts: pd.Series, vocabulary: dict) -> tuple[np.ndarray, np.ndarray]:
    """Which mentions use threat vocabulary.

    Returns ``(any_match (n,), categories (n, n_categories))`` boolean arrays, in
    the order of ``vocabulary``. Distinct texts are matched once; one pass finds the
    candidates and the per-category passes run only on those.
    """
    codes, _, folded = fold_texts(texts)
    return match_folded(codes, folded, vocabulary)


def match_folded(codes: np.ndarray, folded: pa.Array, vocabulary: dict) -> tuple[np.ndarray, np.ndarray]:
    """:func:`match_vocabulary` on the output of :func:`fold_texts`."""
    all_terms = [t for spec in vocabulary.values() for t in spec["terms"]]
    hit_u = pc.match_substring_regex(folded, _alternation(all_terms)).to_numpy(zero_copy_only=False)
    cats_u = np.zeros((len(folded), len(vocabulary)), dtype=bool)
    cand = np.flatnonzero(hit_u)
    if len(cand):
        sub = folded.take(pa.array(cand))
        for j, spec in enumerate(vocabulary.values()):
            cats_u[cand, j] = pc.match_substring_regex(sub, _alternation(spec["terms"])).to_numpy(
                zero_copy_only=False)
    return hit_u[codes], cats_u[codes]


@lru_cache(maxsize=256)
def _category_pattern(terms: tuple[str, ...]) -> re.Pattern:
    # Longest terms first, so "fake officer" wins over "fake" at the same position.
    return re.compile(_alternation(sorted(terms, key=len, reverse=True)))


def terms_found(texts: pd.Series, vocabulary: dict, categories: list[str], *,
                max_texts: int = 500) -> list[tuple[str, int]]:
    """``(term, mentions)`` for the vocabulary terms of ``categories`` found in ``texts``
    (the ``max_texts`` most frequent distinct texts are searched), most frequent first.
    A ``*`` term is reported as the word actually used ("evacuation" for ``evacuat*``)."""
    counts = texts.astype(_STR).fillna("").value_counts().head(max_texts)
    folded = [fold_accents(t.lower()).replace("’", "'") for t in counts.index]
    found: dict[str, int] = {}
    for name in categories:
        pattern = _category_pattern(tuple(vocabulary[name]["terms"]))
        for t, n in zip(folded, counts.to_numpy()):
            for form in sorted({" ".join(m.group(0).split()) for m in pattern.finditer(t)}):
                found[form] = found.get(form, 0) + int(n)
    # Ties by the term itself: a set's order depends on the hash seed (same input, same terms).
    return sorted(found.items(), key=lambda x: (-x[1], x[0]))


def nb_score(observed: np.ndarray, expected: np.ndarray, size: float = NB_SIZE) -> np.ndarray:
    """``-log10 P(X >= observed)`` for X negative-binomial with mean ``expected``; 0 where unknown."""
    mu = np.where(np.isnan(expected), 1.0, np.maximum(expected, 1e-9))
    p = size / (size + mu)
    with np.errstate(all="ignore"):
        logsf = stats.nbinom.logsf(np.maximum(observed - 1, -1), size, p)
    score = -logsf / np.log(10)
    return np.where(np.isnan(expected) | (observed <= 0), 0.0, np.clip(score, 0, 300))


def binom_score(k: np.ndarray, n: np.ndarray, p0: np.ndarray) -> np.ndarray:
    """``-log10 P(Y >= k)`` for Y ~ Binomial(n, p0); 0 where n == 0."""
    with np.errstate(all="ignore"):
        logsf = stats.binom.logsf(np.maximum(k - 1, -1), n.astype(np.int64), np.clip(p0, 1e-6, 1 - 1e-6))
    return np.where(n > 0, np.clip(-logsf / np.log(10), 0, 300), 0.0)


def scan_windows(freq: pd.Timedelta) -> tuple[int, ...]:
    """Trailing windows (in bins) the volume signal judges for bins shorter than an hour:
    the bin alone, then doubling up to an hour (``15min`` -> 1, 2 and 4 quarters)."""
    per_hour = pd.Timedelta("1h") / pd.Timedelta(freq)
    out, w = [1], 2
    while w <= per_hour:
        out.append(w)
        w *= 2
    return tuple(out)


def trailing_window(X: np.ndarray, w: int) -> np.ndarray:
    """Sum of the ``w`` bins up to and including each bin (NaN propagates)."""
    if w == 1:
        return X
    out = X.copy()
    for k in range(1, w):
        out[:, k:] = out[:, k:] + X[:, :-k]
        out[:, :k] = np.nan
    return out


def volume_signal(X: np.ndarray, E: np.ndarray, *, min_score: float = MIN_SCORE,
                  min_ratio: float = MIN_RATIO, min_excess: float = MIN_EXCESS,
                  windows: tuple[int, ...] = (1,)) -> Signal:
    """Count vs expectation; with ``windows`` (sub-hourly bins, :func:`scan_windows`) a bin
    is also judged with the bins just before it (the last half hour, hour), so a rise
    spread over several quarters is seen at the first quarter where the evidence is
    clear. Each extra window costs ``log10(len(windows))`` of score (several looks at
    the same data), and the bin itself must be :data:`QUARTER_RATIO` times its expectation.
    ``observed``/``expected`` stay the bin's own."""
    exp = np.where(np.isnan(E), np.nan, np.maximum(E, EXPECTED_FLOOR))
    score = nb_score(X, exp)
    hot = (score >= min_score) & (X >= min_ratio * np.nan_to_num(exp, nan=np.inf)) \
        & (X - np.nan_to_num(exp, nan=np.inf) >= min_excess)
    if len(windows) > 1:
        penalty = np.log10(len(windows))
        score = np.maximum(score - penalty, 0.0)
        hot = (score >= min_score) & hot
        E_raw = np.where(np.isnan(E), np.nan, np.maximum(E, 0.0))
        rising = X >= QUARTER_RATIO * np.nan_to_num(exp, nan=np.inf)
        for w in windows[1:]:
            Xw, Ew = trailing_window(X, w), trailing_window(E_raw, w)
            Ew = np.where(np.isnan(Ew), np.nan, np.maximum(Ew, EXPECTED_FLOOR))
            s_w = np.maximum(nb_score(np.nan_to_num(Xw), Ew) - penalty, 0.0)
            h_w = (s_w >= min_score) & rising & (Xw >= min_ratio * np.nan_to_num(Ew, nan=np.inf)) \
                & (Xw - np.nan_to_num(Ew, nan=np.inf) >= min_excess)
            score = np.where(h_w, np.maximum(score, s_w), score)
            hot |= h_w
    return Signal("volume", X, exp, score, hot)


def trailing_sum(X: np.ndarray, window: int) -> np.ndarray:
    """Sum of the ``window`` bins before each bin (causal)."""
    c = np.concatenate([np.zeros((X.shape[0], 1)), np.cumsum(X, axis=1)], axis=1)
    T = X.shape[1]
    t = np.arange(T)
    return c[:, t] - c[:, np.maximum(t - window, 0)]


def negative_signal(neg: np.ndarray, X: np.ndarray, window: int, *,
                    min_score: float = MIN_SCORE) -> Signal:
    n_prev = trailing_sum(X, window)
    k_prev = trailing_sum(neg, window)
    p0 = (k_prev + NEG_PRIOR_SHARE * NEG_PRIOR_WEIGHT) / (n_prev + NEG_PRIOR_WEIGHT)
    with np.errstate(all="ignore"):
        share = np.where(X > 0, neg / np.maximum(X, 1), 0.0)
    score = binom_score(neg, X, p0)
    hot = (score >= min_score) & (neg >= NEG_MIN_COUNT) & (share - p0 >= NEG_MIN_JUMP) \
        & (n_prev >= NEG_PRIOR_WEIGHT)
    return Signal("negative_surge", share, p0, score, hot)


def amplification_signal(large: np.ndarray, E_large: np.ndarray, reach: np.ndarray,
                         E_reach: np.ndarray, *, min_score: float = MIN_SCORE) -> Signal:
    exp_l = np.where(np.isnan(E_large), np.nan, np.maximum(E_large, 0.2))
    score = nb_score(large, exp_l)
    exp_r = np.where(np.isnan(E_reach), np.nan, np.maximum(E_reach, LARGE_REACH / 10))
    hot = (score >= min_score) & (large >= AMPLIFICATION_MIN_POSTS) \
        & (reach >= AMPLIFICATION_RATIO * np.nan_to_num(exp_r, nan=np.inf))
    return Signal("amplification", reach, exp_r, score, hot)


def threat_signal(K: np.ndarray, E_K: np.ndarray, X: np.ndarray, *,
                  min_score: float = MIN_SCORE) -> Signal:
    exp = np.where(np.isnan(E_K), np.nan, np.maximum(E_K, EXPECTED_FLOOR))
    score = nb_score(K, exp)
    relative = (score >= min_score) & (K >= THREAT_MIN_COUNT) \
        & (K >= MIN_RATIO * np.nan_to_num(exp, nan=np.inf))
    absolute = np.isnan(exp) & (K >= THREAT_ABSOLUTE_COUNT) \
        & (K >= THREAT_ABSOLUTE_SHARE * np.maximum(X, 1))
    # With no baseline, the score is how far the count is past the absolute floor.
    score = np.where(np.isnan(exp), np.where(absolute, MIN_SCORE + np.log10(np.maximum(K, 1)
                                                                            / THREAT_ABSOLUTE_COUNT), 0.0), score)
    return Signal("threat_vocabulary", K, exp, score, relative | absolute)
