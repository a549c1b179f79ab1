"""Episodes (runs of hot bins), their coordination measures and telling examples.

Coordination is reported as three columns next to every alert (floats in 0..1):

* ``dup_share`` - share of the episode's mentions whose text is a near-duplicate of
  another mention in the episode (same text once retweet prefixes, URLs, handles,
  digits, punctuation, case and accents are removed);
* ``new_author_share`` - share of the mentions posted by authors first seen less than
  :data:`NEW_AUTHOR_DAYS` before the mention (NaN when the data hold less history than
  that before the episode, since then every author looks new);
* ``author_concentration`` - share of the mentions posted by the episode's
  :data:`TOP_AUTHORS` most active authors.

A coordinated push (many fresh accounts posting the same text) shows high values on
the first two; a handful of accounts flooding a tag shows a high third.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd

from ..text import RETWEET_PREFIX, URL, fold_accents

__all__ = ["coordination", "find_episodes", "near_duplicate_keys", "telling_examples"]

NEW_AUTHOR_DAYS = 1
TOP_AUTHORS = 5
# Coordination measures and examples use at most this many mentions of an episode.
MAX_EPISODE_ROWS = 2000
N_EXAMPLES = 5

_STRIP = re.compile(RETWEET_PREFIX.pattern + "|" + URL.pattern + r"|@\w+|\d+|[^\w\s]|_",
                    re.IGNORECASE)
_WS = re.compile(r"\s+")


def find_episodes(hot: np.ndarray, gap: int) -> list[tuple[int, int, int]]:
    """Runs of hot bins per segment: ``[(segment, first_bin, last_bin)]``.

    Hot bins separated by at most ``gap`` cold bins belong to one episode (the
    cooldown): a story that flickers on and off is one alert, not a dozen.
    """
    out = []
    for s in range(hot.shape[0]):
        idx = np.flatnonzero(hot[s])
        if len(idx) == 0:
            continue
        breaks = np.flatnonzero(np.diff(idx) > gap + 1)
        starts = np.concatenate([[0], breaks + 1])
        ends = np.concatenate([breaks, [len(idx) - 1]])
        out.extend((s, int(idx[a]), int(idx[b])) for a, b in zip(starts, ends))
    return out


@lru_cache(maxsize=200_000)
def _key(text: str) -> str:
    return _WS.sub(" ", _STRIP.sub(" ", fold_accents(text.lower()))).strip()


def near_duplicate_keys(texts: np.ndarray) -> np.ndarray:
    """The near-duplicate key of each text (see the module docstring)."""
    return np.asarray([_key(t if isinstance(t, str) else "") for t in texts], dtype=object)


def coordination(rows: np.ndarray, *, texts: np.ndarray, authors: np.ndarray,
                 first_seen: np.ndarray, times: np.ndarray, history_ns: int) -> dict[str, float]:
    """The three coordination measures of an episode's mentions (see module docstring)."""
    if len(rows) == 0:
        return {"dup_share": np.nan, "new_author_share": np.nan, "author_concentration": np.nan}
    if len(rows) > MAX_EPISODE_ROWS:
        rows = rows[np.linspace(0, len(rows) - 1, MAX_EPISODE_ROWS).astype(np.int64)]
    keys = pd.Series(near_duplicate_keys(texts[rows]))
    dup = float((keys.map(keys.value_counts()) >= 2).mean())
    day = NEW_AUTHOR_DAYS * 86_400 * 10**9
    if history_ns < day:
        new = np.nan
    else:
        new = float(np.mean(first_seen[rows] > times[rows] - day))
    counts = pd.Series(authors[rows]).value_counts()
    conc = float(counts.head(TOP_AUTHORS).sum() / len(rows))
    return {"dup_share": round(dup, 3), "new_author_share": new if np.isnan(new) else round(new, 3),
            "author_concentration": round(conc, 3)}


def telling_examples(rows: np.ndarray, *, texts: np.ndarray, ids, reach: np.ndarray,
                     weight: np.ndarray, n: int = N_EXAMPLES) -> list[str]:
    """The most telling mentions: most top-term/threat hits, originals over copies,
    then larger reach; one per near-duplicate text."""
    if len(rows) == 0:
        return []
    if len(rows) > MAX_EPISODE_ROWS:
        keep = np.linspace(0, len(rows) - 1, MAX_EPISODE_ROWS).astype(np.int64)
        rows, weight = rows[keep], weight[keep]
    t = texts[rows]
    is_copy = np.array([isinstance(x, str) and x.startswith("RT @") for x in t])
    order = np.lexsort((rows, -np.log1p(reach[rows]), is_copy, -weight))
    keys = near_duplicate_keys(t[order])
    seen, out = set(), []
    for k, pos in zip(keys, order):
        if k in seen:
            continue
        seen.add(k)
        out.append(int(rows[pos]))
        if len(out) == n:
            break
    return [str(i) for i in ids[np.asarray(out, dtype=np.int64)]] if out else []
