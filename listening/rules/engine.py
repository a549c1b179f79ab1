"""Evaluate a parsed rule over a :class:`TokenIndex`: vectorised, no text scans.

Each node becomes a boolean array. Text conditions are computed once per
*distinct* text and spread to rows at the end (or when combined with a field
filter, which is a row condition). Phrases and NEAR work on the sorted ordinals
of the index:

* phrase ``"w1 w2 .. wk"``: starts ``s`` of ``w1`` such that ``s + i`` is an
  occurrence of ``w(i+1)`` and ``s + k - 1`` is still in the same text;
* ``A NEAR/n B``: at most ``n`` words lie *between* an occurrence of A and one of
  B (B after A, or, unordered NEAR only, A after B). Words are counted across
  punctuation and line breaks. So ``NEAR/0`` means adjacent and
  ``fraud NEAR/3 officer`` matches "fraud by a fake officer" (three words
  between). This is how the vendors whose rules analysts paste here count:
  Brandwatch's ``Summer NEAR/1f Holiday`` captures "Summer sun holiday" and
  ``NEAR/0f`` is an adjacent pair (community.brandwatch.com, "Boolean explained:
  proximity operators"); Lucene's phrase slop, which Talkwalker's ``"a b"~n``
  follows, is "the number of other words permitted between words in query
  phrase" (Lucene ``PhraseQuery.setSlop``; ``"quick fox"~1`` matches "quick brown
  fox"); Oracle Endeca's NEAR/ONEAR take "the maximum number of words between the
  two terms". Meltwater's help pages on NEAR were not found to check.

Every step is a sort, a binary search or a gather over posting lists, so the
cost is linear (times a log) in the number of occurrences of the rule's words,
whatever the wildcards (those are resolved against the vocabulary first).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .index import TokenIndex
from .parser import And, Field, Near, Node, Not, Or, Words

__all__ = ["evaluate", "prefetch", "words_in"]


def words_in(node: Node) -> list[Words]:
    """Every term and phrase in ``node`` (including those under NOT and NEAR)."""
    if isinstance(node, Words):
        return [node]
    if isinstance(node, Near):
        return words_in(node.left) + words_in(node.right)
    if isinstance(node, (And, Or)):
        return [w for child in node.children for w in words_in(child)]
    if isinstance(node, Not):
        return words_in(node.child)
    return []


def prefetch(nodes, index: TokenIndex) -> None:
    """Load the posting lists of every word of ``nodes`` in one pass over the index."""
    words = [word for node in nodes for unit in words_in(node) for word in unit.words]
    index.resolve(words)
    ids = [index.word_ids(word) for word in words]
    if ids:
        index.prefetch(np.concatenate(ids))


def evaluate(node: Node, index: TokenIndex, frame: pd.DataFrame) -> np.ndarray:
    """Row mask (numpy bool, one per row of ``frame``) of the rows ``node`` matches."""
    level, mask = _eval(node, index, frame)
    return index.to_rows(mask) if level == "text" else mask


def _eval(node: Node, index: TokenIndex, frame: pd.DataFrame) -> tuple[str, np.ndarray]:
    if isinstance(node, Words):
        starts, _ = _occurrences(node, index)
        return "text", index.text_mask(starts)
    if isinstance(node, Near):
        return "text", _near(node, index)
    if isinstance(node, Field):
        return "row", index.field_mask(frame, node)
    if isinstance(node, Not):
        level, mask = _eval(node.child, index, frame)
        return level, ~mask
    parts = [_eval(child, index, frame) for child in node.children]
    if any(level == "row" for level, _ in parts):
        arrays = [index.to_rows(m) if level == "text" else m for level, m in parts]
        level = "row"
    else:
        arrays = [m for _, m in parts]
        level = "text"
    combine = np.logical_and if isinstance(node, And) else np.logical_or
    return level, combine.reduce(arrays)


def _contains(sorted_values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    if sorted_values.size == 0:
        return np.zeros(wanted.shape, dtype=bool)
    at = np.minimum(np.searchsorted(sorted_values, wanted), sorted_values.size - 1)
    return sorted_values[at] == wanted


def _occurrences(node: Node, index: TokenIndex) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) ordinals of every occurrence of a term, phrase or OR-group."""
    if isinstance(node, Or):
        pairs = [_occurrences(child, index) for child in node.children]
        starts = np.concatenate([s for s, _ in pairs])
        ends = np.concatenate([e for _, e in pairs])
        order = np.argsort(starts, kind="stable")
        return starts[order], ends[order]
    first, *rest = node.words
    starts = index.ordinals(index.word_ids(first))
    for offset, word in enumerate(rest, start=1):
        if starts.size == 0:
            break
        starts = starts[_contains(index.ordinals(index.word_ids(word)), starts + offset)]
    ends = starts + (len(node.words) - 1)
    if rest and starts.size:
        same_text = ends < index.token_offsets[index.text_of(starts) + 1]
        starts, ends = starts[same_text], ends[same_text]
    return starts, ends


def _follows(ends: np.ndarray, starts: np.ndarray, between: int,
             index: TokenIndex) -> np.ndarray:
    """Text ids where some ``starts`` follows one of ``ends`` with at most ``between``
    words in between (positions ``end + 1 .. end + between + 1``)."""
    if ends.size == 0 or starts.size == 0:
        return np.zeros(0, dtype=np.int64)
    texts = index.text_of(ends)
    last = index.token_offsets[texts + 1] - 1
    lo = ends + 1
    hi = np.minimum(ends + between + 1, last)
    found = np.searchsorted(starts, hi, side="right") > np.searchsorted(starts, lo, side="left")
    return texts[found & (lo <= hi)]


def _near(node: Near, index: TokenIndex) -> np.ndarray:
    a_starts, a_ends = _occurrences(node.left, index)
    b_starts, b_ends = _occurrences(node.right, index)
    mask = np.zeros(index.n_texts, dtype=bool)
    mask[_follows(a_ends, b_starts, node.distance, index)] = True
    if not node.ordered:
        mask[_follows(b_ends, a_starts, node.distance, index)] = True
    return mask
