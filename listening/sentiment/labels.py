"""A mention's sentiment label: the one place that decides "negative".

Every stage that counts negative, neutral or positive mentions (trends,
forecasts, threats, the brief, the response queue) calls
:func:`sentiment_labels`, so a notebook and the brief always agree. This module
is light on purpose (numpy and pandas only): stages that only count labels do
not pay for the VADER engine or scikit-learn.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import SENTIMENT_LABELS

__all__ = ["DEFAULT_THRESHOLDS", "label_scores", "sentiment_labels"]

# (negative_at_or_below, positive_at_or_above) on the compound score, per language.
# VADER's authors use (-0.05, 0.05). Ours are chosen (English for macro-averaged
# recall, French for macro-F1, grid step 0.02) by benchmarks/sentiment_eval.py
# inside training data only: French on xlmt french/train (french/val untouched:
# macro-F1 0.580 there), English on the English union (tweeteval val ∪ xlmt
# english; no English three-class set is disjoint from tweeteval val), whose
# nested cross-fitted figure on tweeteval val is 0.609. Re-run that script to
# re-tune; other languages' rows use VADER's ±0.05.
DEFAULT_THRESHOLDS: dict[str, tuple[float, float]] = {
    "en": (-0.02, 0.36),
    "fr": (-0.06, 0.06),  # 5-fold CV macro-F1 (XLM-T's metric) on french/train: 0.635
}
def label_scores(scores: np.ndarray | pd.Series, *, negative: float = -0.05,
                 positive: float = 0.05) -> pd.Categorical:
    """negative (score <= ``negative``), positive (>= ``positive``), else neutral; NaN -> missing."""
    s = np.asarray(scores, dtype=float)
    codes = np.where(np.isnan(s), -1, np.where(s >= positive, 2, np.where(s <= negative, 0, 1)))
    return pd.Categorical.from_codes(codes, categories=list(SENTIMENT_LABELS))


def sentiment_labels(frame: pd.DataFrame) -> pd.Series:
    """The sentiment label of each mention: the one place that decides "negative".

    Every stage that counts negative, neutral or positive mentions (trends,
    forecasts, threats, the brief, the response queue) calls this, so a notebook
    and the brief always agree. The frame's ``sentiment_label`` (from
    :func:`score_sentiment` or a trained model) is used when present; otherwise
    ``sentiment`` is labelled with the tuned per-language thresholds of
    :data:`DEFAULT_THRESHOLDS` (rows of other languages: VADER's ±0.05).

    Returns a categorical Series (negative / neutral / positive; missing where
    there is no score) aligned with ``frame``, or None when the frame has
    neither column.

    >>> f = pd.DataFrame({"sentiment": [-0.5, 0.0, 0.5, None], "language": ["en"] * 4})
    >>> sentiment_labels(f).tolist()
    ['negative', 'neutral', 'positive', nan]
    """
    if "sentiment_label" in frame.columns:
        labels = frame["sentiment_label"]
        if isinstance(labels.dtype, pd.CategoricalDtype) and \
                list(labels.cat.categories) == list(SENTIMENT_LABELS):
            return labels
        return labels.astype(pd.CategoricalDtype(list(SENTIMENT_LABELS)))
    if "sentiment" not in frame.columns:
        return None
    scores = pd.to_numeric(frame["sentiment"], errors="coerce").to_numpy(dtype=float,
                                                                         na_value=np.nan)
    codes = np.array(label_scores(scores).codes)
    if "language" in frame.columns:
        langs = frame["language"].astype("string").str.lower().fillna("und").to_numpy(object)
        for lang, (neg, pos) in DEFAULT_THRESHOLDS.items():
            mask = langs == lang
            if mask.any():
                codes[mask] = label_scores(scores[mask], negative=neg, positive=pos).codes
    return pd.Series(pd.Categorical.from_codes(codes, categories=list(SENTIMENT_LABELS)),
                     index=frame.index, name="sentiment_label")
