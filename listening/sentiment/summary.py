"""Shares of negative / neutral / positive mentions per group, with bootstrap intervals.

So a note can say "31% negative (27–35%)" and mean it: the interval is the
percentile bootstrap over mentions. Resampling ``n`` labelled mentions with
replacement is the same as drawing the three label counts from a multinomial with
the observed shares, which is what we do (exactly, and vectorised over the
resamples).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..schema import SENTIMENT_LABELS, require_columns

__all__ = ["CONFIDENCE", "N_BOOTSTRAP", "sentiment_summary"]

# 2,000 resamples put the Monte Carlo error of a 95% percentile bound well under
# one percentage point for groups of any size (Efron & Tibshirani 1993, ch. 19).
N_BOOTSTRAP = 2000
CONFIDENCE = 0.95


def sentiment_summary(frame: pd.DataFrame, *, by: str | Sequence[str] | None = None,
                      n_boot: int = N_BOOTSTRAP, confidence: float = CONFIDENCE,
                      seed: int = 0) -> pd.DataFrame:
    """Share of each sentiment label per group, with a seeded bootstrap interval.

    Needs column ``sentiment_label`` (from :func:`score_sentiment`) and the
    ``by`` columns. Mentions without a label (unscored languages) are left out
    of both the shares and ``n``.

    Parameters
    ----------
    frame : DataFrame
    by : str or list of str, optional
        Grouping column(s); ``None`` gives one group called ``"all"``. With
        several columns the group name joins their values with ``" / "``.
    n_boot : int
        Bootstrap resamples (default :data:`N_BOOTSTRAP`).
    confidence : float
        Interval coverage (default 0.95: the 2.5th and 97.5th percentiles).
    seed : int
        Seed of the resampling, so the same frame always gives the same bounds.

    Returns
    -------
    DataFrame with columns ``group, label, share, low, high, n``: three rows per
    group (negative, neutral, positive), shares in 0..1.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"platform": ["x", "x", "x", "news"],
    ...                   "sentiment_label": ["negative", "positive", "negative", "neutral"]})
    >>> s = sentiment_summary(f, by="platform")
    >>> s[s.group == "x"][["label", "share", "n"]].to_string(index=False)
    '   label    share  n\\nnegative 0.666667  3\\n neutral 0.000000  3\\npositive 0.333333  3'
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be a positive number of resamples, got {n_boot!r}")
    columns = [] if by is None else [by] if isinstance(by, str) else list(by)
    require_columns(frame, ["sentiment_label", *columns], stage="sentiment_summary")
    labels = frame["sentiment_label"].astype("string")
    bad = labels.notna() & ~labels.isin(SENTIMENT_LABELS)
    if bad.any():
        raise ValueError(f"sentiment_label has value {labels[bad].iloc[0]!r}; "
                         f"expected one of {', '.join(SENTIMENT_LABELS)}")
    keep = labels.notna().to_numpy()
    codes = pd.Categorical(labels[keep], categories=list(SENTIMENT_LABELS)).codes
    if columns:
        parts = [frame.loc[keep, c].astype("string").fillna("<missing>") for c in columns]
        group = parts[0]
        for p in parts[1:]:
            group = group + " / " + p
        group = group.to_numpy(dtype=object)
    else:
        group = np.full(int(keep.sum()), "all", dtype=object)
    rng = np.random.default_rng(seed)
    alpha = (1 - confidence) / 2
    rows = []
    for name in sorted(set(group.tolist()), key=str):
        counts = np.bincount(codes[group == name], minlength=3)
        n = int(counts.sum())
        shares = counts / n
        draws = rng.multinomial(n, shares, size=n_boot) / n
        low, high = np.quantile(draws, [alpha, 1 - alpha], axis=0)
        for i, label in enumerate(SENTIMENT_LABELS):
            rows.append((name, label, shares[i], low[i], high[i], n))
    out = pd.DataFrame(rows, columns=["group", "label", "share", "low", "high", "n"])
    return out.astype({"group": "string", "label": pd.CategoricalDtype(list(SENTIMENT_LABELS)),
                       "share": "float64", "low": "float64", "high": "float64", "n": "int64"})
