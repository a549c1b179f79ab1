"""Which posts may need a reply, ranked: the logic behind the response queue.

A post is a *candidate* when it reads as a threat, misinformation (including scams
impersonating the organisation), a complaint or a question, using the editable cues
in ``listening/resources/responses/cues.yaml`` (English and French, matched on whole
words, case- and accent-insensitively). Candidates are ranked by

    priority = reach factor × negativity × urgency

* reach factor = ``log10(10 + reach)``: 1 for an account nobody follows, about 6 for a
  national broadcaster; logarithmic so one big account does not bury every local
  complaint;
* negativity = ``(1 - sentiment) / 2`` (0 for the most positive post, 1 for the most
  negative), or 0.85 / 0.5 / 0.15 from ``sentiment_label``, or 0.5 when the frame has
  no sentiment; floored at ``NEGATIVITY_FLOOR`` so a neutral question still ranks;
* urgency = the weight of the most urgent kind (threat 1, misinformation 0.8,
  complaint 0.6, question 0.5) × ``0.5 ** (age_hours / HALF_LIFE_HOURS)``, the age
  measured back from ``now`` (default: the newest post in the frame).

Retweets (``RT @…``) and the organisation's own posts are never candidates: a reply
goes to the original post.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import yaml

from .schema import require_columns
from .text import RETWEET_PREFIX, fold_accents

__all__ = [
    "CATEGORIES",
    "HALF_LIFE_HOURS",
    "NEGATIVITY_FLOOR",
    "response_candidates",
    "response_cues",
]

# A reply a day late has lost half its value: a unit's service standard is to answer
# public questions within one business day (see the OPP social media manager's job spec).
HALF_LIFE_HOURS = 24.0
# Neutral questions still deserve a place in the queue.
NEGATIVITY_FLOOR = 0.2
# Order used to name the main kind of a post that matches several.
CATEGORIES = ("threat", "misinformation", "complaint", "question")
_LABEL_NEGATIVITY = {"negative": 0.85, "neutral": 0.5, "positive": 0.15}


@lru_cache(maxsize=1)
def response_cues() -> dict:
    """The cue vocabulary (parsed ``cues.yaml``)."""
    text = resources.files("listening").joinpath("resources/responses/cues.yaml") \
        .read_text("utf-8")
    return yaml.safe_load(text)


def _fold(text: str) -> str:
    return fold_accents(text.lower())


def _pattern(phrases: list[str]) -> str:
    """One regex for a list of cue phrases; every phrase is escaped (data, not regex).

    Only ``\\b`` boundaries and a non-capturing group are used, so pandas runs it with
    pyarrow's RE2 engine (fast) and Python's ``re`` gives the same matches on the
    accent-folded text.
    """
    parts = []
    for phrase in sorted({_fold(p) for p in phrases}, key=len, reverse=True):
        body = phrase.rstrip("*")
        regex = re.escape(body)
        if re.match(r"\w", body):
            regex = r"\b" + regex
        if not phrase.endswith("*") and re.search(r"\w$", body):
            regex += r"\b"
        elif phrase.endswith("*"):
            regex += r"\w*"
        parts.append(regex)
    return "(?:" + "|".join(parts) + ")"


def _negativity(frame: pd.DataFrame) -> np.ndarray:
    if "sentiment" in frame.columns:
        s = frame["sentiment"].to_numpy(dtype=float, na_value=0.0)
        neg = (1.0 - np.clip(s, -1, 1)) / 2
    elif "sentiment_label" in frame.columns:
        neg = (frame["sentiment_label"].astype("string").map(_LABEL_NEGATIVITY)
               .fillna(0.5).to_numpy(dtype=float))
    else:
        neg = np.full(len(frame), 0.5)
    return np.maximum(neg, NEGATIVITY_FLOOR)


def _age_text(hours: float) -> str:
    if hours < 1:
        return "under 1 h old"
    if hours < 48:
        return f"{hours:.0f} h old"
    return f"{hours / 24:.0f} days old"


def response_candidates(frame: pd.DataFrame, *, now: pd.Timestamp | str | None = None,
                        own_accounts: list[str] | None = None,
                        categories: tuple[str, ...] = CATEGORIES) -> pd.DataFrame:
    """Posts that may need a reply, highest priority first.

    Parameters
    ----------
    frame : DataFrame
        Needs ``mention_id``, ``timestamp``, ``text``; uses ``author``, ``reach``,
        ``sentiment`` or ``sentiment_label`` when present.
    now : Timestamp, optional
        The moment ages are measured from; default the newest post in ``frame``.
    own_accounts : list of str, optional
        Authors whose posts are never candidates; default ``own_accounts`` in cues.yaml.
    categories : tuple of str
        Kinds of post to look for (any of ``CATEGORIES``).

    Returns
    -------
    DataFrame
        The candidate rows (original index and columns) plus ``response_category``
        (the most urgent kind), ``categories`` (every kind matched, comma-separated),
        ``cues`` (the words that matched), ``reach_factor``, ``negativity``,
        ``urgency``, ``priority`` and ``reason`` (plain text: why it is in the queue),
        sorted by ``priority`` descending. The input is not modified.

    Examples
    --------
    >>> import pandas as pd
    >>> from listening.schema import coerce
    >>> f = coerce(pd.DataFrame({"mention_id": ["1", "2", "3"],
    ...     "timestamp": pd.to_datetime(["2026-11-01T10:00Z"] * 3), "platform": "x",
    ...     "author": ["@a", "@b", "@c"], "text": ["Is the 401 closed?", "Nice day",
    ...     "This is a scam, fake officer"], "reach": [100, 5, 100_000], "source": "t#1"}))
    >>> response_candidates(f)[["mention_id", "response_category"]].to_numpy().tolist()
    [['3', 'misinformation'], ['1', 'question']]
    """
    require_columns(frame, ["mention_id", "timestamp", "text"], stage="response_candidates")
    unknown = sorted(set(categories) - set(CATEGORIES))
    if unknown:
        raise ValueError(f"unknown categories {unknown}; choose from {list(CATEGORIES)}")
    cues = response_cues()
    own = {a.lower() for a in (cues.get("own_accounts", []) if own_accounts is None
                               else own_accounts)}
    text = frame["text"].astype("string").fillna("")
    folded = text.str.lower().map(fold_accents, na_action="ignore")
    eligible = ~text.str.contains(RETWEET_PREFIX, regex=True).to_numpy(dtype=bool, na_value=False)
    if "author" in frame.columns and own:
        eligible &= ~frame["author"].astype("string").str.lower().isin(own) \
            .to_numpy(dtype=bool, na_value=False)

    matched: dict[str, dict[int, list[str]]] = {}  # category -> row position -> cue words
    hit: dict[str, np.ndarray] = {}
    for name in (c for c in CATEGORIES if c in categories):
        spec = cues["categories"][name]
        pattern = _pattern([p for lang in spec["cues"].values() for p in lang])
        hit[name] = folded.str.contains(pattern, regex=True).to_numpy(
            dtype=bool, na_value=False) & eligible
        compiled = re.compile(pattern)
        positions = np.flatnonzero(hit[name])
        matched[name] = {i: sorted(set(compiled.findall(t)))
                         for i, t in zip(positions, folded.iloc[positions].tolist())}
    any_hit = np.zeros(len(frame), dtype=bool)
    for h in hit.values():
        any_hit |= h
    rows = np.flatnonzero(any_hit)
    out = frame.iloc[rows]
    if out.empty:
        extra = {c: pd.Series(dtype=d) for c, d in (
            ("response_category", "string"), ("categories", "string"), ("cues", "string"),
            ("reach_factor", float), ("negativity", float), ("urgency", float),
            ("priority", float), ("reason", "string"))}
        return out.assign(**extra)

    kinds = [[n for n in matched if hit[n][i]] for i in rows]
    weight = np.array([max(cues["categories"][n]["weight"] for n in k) for k in kinds])
    ts = frame["timestamp"]
    reference = pd.Timestamp(now) if now is not None else ts.max()
    if reference.tzinfo is None:
        reference = reference.tz_localize("UTC")
    age_h = ((reference - ts.iloc[rows]).dt.total_seconds() / 3600).clip(lower=0).to_numpy()
    urgency = weight * 0.5 ** (age_h / HALF_LIFE_HOURS)
    reach = (frame["reach"].iloc[rows].to_numpy(dtype=float, na_value=0.0)
             if "reach" in frame.columns else np.zeros(len(rows)))
    reach_factor = np.log10(10 + np.maximum(reach, 0))
    negativity = _negativity(out)
    priority = reach_factor * negativity * urgency

    words = [sorted({w for n in k for w in matched[n][i]} - {"?"})
             for i, k in zip(rows, kinds)]
    reasons = []
    for k, r, neg, age, w in zip(kinds, reach, negativity, age_h, words):
        parts = [" + ".join(k), f"reach {int(r):,}", f"negativity {neg:.2f}", _age_text(age)]
        if w:
            parts.append("cues: " + ", ".join(w[:4]))
        reasons.append(" · ".join(parts))
    out = out.assign(
        response_category=pd.array([k[0] for k in kinds], dtype="string"),
        categories=pd.array([", ".join(k) for k in kinds], dtype="string"),
        cues=pd.array([", ".join(w) for w in words], dtype="string"),
        reach_factor=reach_factor, negativity=negativity, urgency=urgency,
        priority=priority, reason=pd.array(reasons, dtype="string"))
    return out.sort_values("priority", ascending=False, kind="stable")
