"""Score mentions: VADER rules (one rule set per language) or a trained model, per language.

``score_sentiment(frame)`` adds ``sentiment`` (float64, -1..1) and
``sentiment_label`` (negative / neutral / positive). Each mention is routed by its
``language`` (detected when the frame has no such column):

* ``en`` -> nltk's VADER rules with the ``vaderSentiment`` lexicon (vectorised, see
  :mod:`listening.sentiment.vader`);
* ``fr`` -> the French rule set with the ``vaderSentiment-fr`` lexicon;
* any other language with a rule set file (see :mod:`listening.sentiment.rulesets`)
  -> its rules;
* ``und`` posts with no letters at all (emoji, emoticons, punctuation) -> the
  English rules: VADER's emoji and emoticon entries do not depend on a language;
* anything else -> ``NaN`` and a missing label, with one warning that counts them
  by language. An English guess on Spanish or Punjabi is worse than no score.

Speed: each distinct *scoring key* is scored once. The key is the text,
NFC-normalised, with a leading ``RT @handle:`` removed and whitespace runs
collapsed, so a retweet gets exactly its original's score. Unique keys are scored
in batches of :data:`BATCH_SIZE`; past :data:`PARALLEL_MIN_TEXTS` unique texts the
batches are spread over the machine's cores (``n_jobs``).
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from ..schema import SENTIMENT_LABELS, require_columns
from ..text import RETWEET_PREFIX, detect_language, normalize_series
from .labels import DEFAULT_THRESHOLDS, label_scores, sentiment_labels
from .rulesets import check_language, supported_languages
from .vader import get_engine

__all__ = [
    "BATCH_SIZE",
    "DEFAULT_THRESHOLDS",
    "PARALLEL_MIN_TEXTS",
    "label_scores",
    "polarity",
    "score_sentiment",
    "sentiment_labels",
    "vader_features",
]

# Unique texts per batch: big enough that numpy's per-call overhead vanishes,
# small enough to keep memory flat (~20 tokens per tweet).
BATCH_SIZE = 50_000
# Below this many unique texts, starting worker processes costs more than it saves
# (one core scores 50-100k distinct tweets/s; see benchmarks/sentiment_speed.py).
PARALLEL_MIN_TEXTS = 200_000
_WS = re.compile(r"\s+")
_LETTER = re.compile(r"[^\W\d_]")


def _resolve_jobs(n_jobs: int | None) -> int:
    if n_jobs is None or n_jobs <= 0:
        return max(1, os.cpu_count() or 1)
    return int(n_jobs)


def _score_chunk(language: str, options: tuple[bool, bool], texts: list[str]) -> np.ndarray:
    return get_engine(language, *options).features(texts)


def vader_features(texts: Iterable[str] | pd.Series, *, language: str = "en",
                   social: bool = True, n_jobs: int | None = 1, progress: bool | None = False,
                   first_occurrence_bug: bool = False) -> np.ndarray:
    """VADER ``compound, pos, neg, neu`` for each text, as an ``(n, 4)`` array.

    Exact duplicates are scored once. Missing texts (None / NA) give NaN rows.
    ``social`` (rule sets with nltk's tokens, i.e. English): tweet-aware tokens - every leading/trailing mark and
    the ``#`` of hashtags stripped, elongations shortened ("goooood"), curly
    apostrophes read as straight ones; ``False`` gives nltk's rules exactly.
    ``n_jobs`` processes are used past :data:`PARALLEL_MIN_TEXTS` unique texts
    (``None`` = all cores). ``first_occurrence_bug`` reproduces nltk's scoring
    of repeated words (see :mod:`listening.sentiment.vader`).
    """
    check_language(language, hint="Or score with method='model'")
    series = texts if isinstance(texts, pd.Series) else pd.Series(list(texts), dtype="object")
    values = series.to_numpy(dtype=object, na_value=None)
    missing = np.array([v is None or (isinstance(v, float) and np.isnan(v)) for v in values],
                       dtype=bool)
    codes, uniques = pd.factorize(pd.Series(values[~missing], dtype="object"))
    uniques = [str(u) for u in uniques]
    scored = np.zeros((len(uniques), 4))
    chunks = [(s, uniques[s:s + BATCH_SIZE]) for s in range(0, len(uniques), BATCH_SIZE)]
    jobs = _resolve_jobs(n_jobs)
    options = (first_occurrence_bug, social)
    from tqdm.auto import tqdm

    bar = tqdm(total=len(uniques), desc=f"sentiment ({language})", unit="text",
               disable=None if progress is None else not progress)
    if jobs > 1 and len(uniques) >= PARALLEL_MIN_TEXTS:
        get_engine(language, *options)  # load once; forked workers inherit it
        with ProcessPoolExecutor(max_workers=min(jobs, len(chunks))) as pool:
            futures = [(s, pool.submit(_score_chunk, language, options, chunk))
                       for s, chunk in chunks]
            for s, future in futures:
                result = future.result()
                scored[s:s + len(result)] = result
                bar.update(len(result))
    else:
        for s, chunk in chunks:
            scored[s:s + len(chunk)] = _score_chunk(language, options, chunk)
            bar.update(len(chunk))
    bar.close()
    out = np.full((len(values), 4), np.nan)
    out[~missing] = scored[codes]
    return out


def polarity(texts: Iterable[str] | pd.Series, *, language: str = "en", social: bool = True,
             n_jobs: int | None = 1) -> np.ndarray:
    """VADER compound score (-1..1) of each text, for one language.

    The building block of :func:`score_sentiment`, the trained models' features
    and the benchmarks. No language routing and no RT stripping: each text is
    scored as given. ``social=False`` gives nltk's English rules exactly (see
    :func:`vader_features`).

    >>> polarity(["Great work, officers!", "Not good at all.", ""], language="en").tolist()
    [0.6588, -0.3412, 0.0]
    >>> float(polarity(["Ce n'est pas bon."], language="fr")[0]) < 0
    True
    """
    return vader_features(texts, language=language, social=social, n_jobs=n_jobs)[:, 0]


def _check_thresholds(thresholds) -> dict[str, tuple[float, float]]:
    if thresholds is None:
        return dict(DEFAULT_THRESHOLDS)
    if isinstance(thresholds, Mapping):
        table = dict(DEFAULT_THRESHOLDS)
        table.update({k: tuple(v) for k, v in thresholds.items()})
    else:
        pair = tuple(thresholds)
        table = {lang: pair for lang in DEFAULT_THRESHOLDS}
    for lang, pair in table.items():
        if (len(pair) != 2 or not -1 <= pair[0] <= pair[1] <= 1):
            raise ValueError(
                f"thresholds for {lang!r} must be (negative_at_or_below, positive_at_or_above) "
                f"with -1 <= negative <= positive <= 1; got {pair!r}")
    return table


def _normalise_codes(values: np.ndarray) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = re.split(r"[-_]", str(v).strip().lower())[0] or "und"
    return out


def _languages(frame: pd.DataFrame, keys: np.ndarray, key_codes: np.ndarray) -> np.ndarray:
    """ISO code per row; work on distinct values only (a language column has a handful)."""
    if "language" in frame.columns:
        codes, uniques = pd.factorize(frame["language"].astype("object"), use_na_sentinel=True)
        table = np.append(_normalise_codes(np.asarray(uniques, dtype=object)), "und")
        return table[codes]  # code -1 (missing) -> the trailing "und"
    detected = detect_language(pd.Series(keys, dtype="string")).astype(object).to_numpy()
    return np.where(key_codes >= 0, np.append(detected, "und")[key_codes], "und")


def _scoring_keys(texts: pd.Series) -> pd.Series:
    s = normalize_series(texts)
    s = s.str.replace(RETWEET_PREFIX, "", regex=True).str.replace(_WS, " ", regex=True).str.strip()
    return s


def score_sentiment(frame: pd.DataFrame, *, method: str = "vader",
                    thresholds: tuple[float, float] | Mapping[str, tuple[float, float]] | None = None,
                    model=None, n_jobs: int | None = None,
                    progress: bool | None = None) -> pd.DataFrame:
    """Add ``sentiment`` (-1..1) and ``sentiment_label`` to a mention frame.

    Needs column ``text``; uses ``language`` when present (ISO 639-1 codes,
    ``en-CA`` style accepted) and detects it otherwise. Returns a new frame; the
    input is not modified.

    Parameters
    ----------
    frame : DataFrame
        Mentions with a ``text`` column.
    method : {"vader", "model"}
        ``"vader"``: the rule-based scorer (English and French). ``"model"``: the
        trained classifiers (see :func:`listening.sentiment.train_sentiment`);
        ``sentiment`` is then P(positive) - P(negative) and the label the most
        probable class.
    thresholds : (float, float) or dict, optional
        Rules path only. ``(negative_at_or_below, positive_at_or_above)`` on the
        compound score, for every language, or a dict ``{language: pair}``.
        Default :data:`DEFAULT_THRESHOLDS` (tuned on held-out tweets).
    model : SentimentModel, dict or path, optional
        Model path only: one model (used for its own language), a dict
        ``{language: model or path}``, or ``None`` for the shipped English and
        French models in ``data/models/``.
    n_jobs : int, optional
        Worker processes for very large frames (``None`` = all cores).
    progress : bool, optional
        Show a progress bar (default: only in a terminal or notebook).

    Returns
    -------
    DataFrame with ``sentiment`` (float64) and ``sentiment_label`` (category:
    negative, neutral, positive) added or replaced. Mentions in a language the
    method does not cover get NaN / missing, with a ``UserWarning`` that counts them.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"text": ["Thank you OPP, great job!", "Route fermée, c'est pas bon",
    ...                               "Carretera cerrada"], "language": ["en", "fr", "es"]})
    >>> out = score_sentiment(frame)  # doctest: +SKIP
    >>> out["sentiment_label"].tolist()  # doctest: +SKIP
    ['positive', 'negative', nan]
    """
    require_columns(frame, ["text"], stage="score_sentiment")
    if method not in ("vader", "model"):
        raise ValueError(f"method must be 'vader' or 'model', got {method!r}")
    table = _check_thresholds(thresholds)
    # Work on distinct raw texts, then on distinct scoring keys: a retweet costs a lookup.
    raw_codes, raw_uniques = pd.factorize(frame["text"].astype("object"), use_na_sentinel=True)
    raw_keys = _scoring_keys(pd.Series(raw_uniques, dtype="string"))
    key_codes_of_raw, keys = pd.factorize(raw_keys.astype("object"))
    keys = np.asarray(keys, dtype=object)
    row_key = np.where(raw_codes >= 0, np.append(key_codes_of_raw, -1)[raw_codes], -1)
    langs = _languages(frame, keys, row_key)
    has_letters = np.array([bool(_LETTER.search(k)) for k in keys], dtype=bool)
    no_letters_row = np.where(row_key >= 0, ~np.append(has_letters, True)[row_key], False)
    langs = np.where((langs == "und") & no_letters_row, "en", langs)
    scores = np.full(len(frame), np.nan)
    labels = np.full(len(frame), -1)
    if method == "vader":
        covered = supported_languages()
    else:
        from .trained import resolve_models

        models = resolve_models(model)
        covered = tuple(models)
    present = row_key >= 0
    for lang in covered:
        mask = (langs == lang) & present
        if not mask.any():
            continue
        distinct, inverse = np.unique(row_key[mask], return_inverse=True)
        texts = pd.Series(keys[distinct], dtype="object")
        if method == "vader":
            s = vader_features(texts, language=lang, n_jobs=n_jobs, progress=progress)[:, 0]
            neg, pos = table.get(lang, DEFAULT_THRESHOLDS.get(lang, (-0.05, 0.05)))
            codes = label_scores(s, negative=neg, positive=pos).codes
        else:
            s, codes = models[lang].score(texts, return_codes=True)
        scores[mask] = s[inverse]
        labels[mask] = np.asarray(codes)[inverse]
    uncovered = pd.Series(langs[present & np.isnan(scores)])
    if len(uncovered):
        counts = uncovered.value_counts()
        detail = ", ".join(f"{k}: {v}" for k, v in counts.items())
        warnings.warn(
            f"{len(uncovered)} mention(s) in languages the {method!r} sentiment method does not "
            f"cover ({detail}) get NaN sentiment; covered: {', '.join(covered)}",
            UserWarning, stacklevel=2)
    return frame.assign(
        sentiment=pd.Series(scores, index=frame.index, dtype="float64"),
        sentiment_label=pd.Series(pd.Categorical.from_codes(labels, categories=list(SENTIMENT_LABELS)),
                                  index=frame.index),
    )

