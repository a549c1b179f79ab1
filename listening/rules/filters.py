"""Field filters that can never match the mentions at hand.

``lang:es`` over a frame with no Spanish mention, ``platform:tiktok`` when nothing
came from TikTok: the rule is valid, but the filter selects nothing, so an AND
with it never fires and a NOT of it excludes nothing. The rule workbench shows
these next to the rule so the analyst does not take "0 hits" for "no such posts".
"""

from __future__ import annotations

import pandas as pd

from .index import TokenIndex
from .parser import Field, Near, Node, Not, Words
from .rule import Rule

__all__ = ["dead_filters"]

# The column each filter reads (the same map as TokenIndex.field_mask).
_COLUMN = {"platform": "platform", "lang": "language", "author": "author", "site": "url",
           "country": "country"}
# How many of the values present a message lists: enough to spot a typo, short enough
# to read in one line.
SHOWN_VALUES = 6


def _fields(node: Node) -> list[Field]:
    if isinstance(node, Field):
        return [node]
    if isinstance(node, (Words, Near)):
        return []
    if isinstance(node, Not):
        return _fields(node.child)
    return [f for child in node.children for f in _fields(child)]


def dead_filters(rule: Rule | str, frame: pd.DataFrame, *,
                 index: TokenIndex | None = None) -> list[str]:
    """One sentence per field filter of ``rule`` that matches no mention of ``frame``.

    Parameters
    ----------
    rule : Rule or str
        The rule (a query string is parsed).
    frame : DataFrame
        The mentions the rule runs over. A filter on a column the frame lacks is
        reported too (it cannot match either).
    index : TokenIndex, optional
        A prebuilt index of ``frame`` (otherwise the cached one is used).

    Returns
    -------
    list of str
        E.g. ``"lang:es matches no mention: language here is en (70%), fr (30%)"``;
        empty when every filter matches something, or the frame is empty.

    Examples
    --------
    >>> frame = pd.DataFrame({"text": ["a", "b"], "language": ["en", "fr"]})
    >>> dead_filters("fire AND lang:es", frame)
    ['lang:es matches no mention: language here is en (50%), fr (50%)']
    >>> dead_filters("fire AND lang:fr", frame)
    []
    """
    rule = Rule.parse(rule) if isinstance(rule, str) else rule
    fields = list(dict.fromkeys(_fields(rule.tree)))
    if not fields or len(frame) == 0:
        return []
    index = TokenIndex.for_frame(frame) if index is None else index
    out = []
    for node in fields:
        column = _COLUMN[node.name]
        if column not in frame.columns:
            out.append(f"{node} matches no mention: the mentions have no {column} column")
            continue
        if index.field_mask(frame, node).any():
            continue
        shares = frame[column].astype("string").value_counts(normalize=True, dropna=True)
        if node.name == "site":
            present = "the mentions have no links" if shares.empty else "no link is on that site"
        elif shares.empty:
            present = f"no mention has a {column}"
        else:
            listed = ", ".join(f"{value} ({share:.0%})"
                               for value, share in shares.head(SHOWN_VALUES).items())
            more = f" and {len(shares) - SHOWN_VALUES} more" if len(shares) > SHOWN_VALUES else ""
            present = f"{column} here is {listed}{more}"
        out.append(f"{node} matches no mention: {present}")
    return out
