"""Source values -> mention columns, noting every value changed or replaced.

Each function takes the strings a mapping found (``""`` where the source has
nothing) and returns the column plus ``(position, value, action)`` changes, which
the loader turns into rows of ``report.notes``. Plain values cost one vectorised
pass; only the changed rows are visited one by one.

* Counts (likes, shares, comments, reach): whole numbers of 0 or more, thousands
  separators (``1,204``, ``1 204``) allowed. A decimal is rounded (noted); a
  negative number or a value that is not a number is left empty (noted).
* Platform: the source's value when it names a platform (vocabulary in
  ``resources/mappings/_vocabulary.yaml``, e.g. ``Twitter`` -> ``x``); a value
  that names no platform of :data:`listening.schema.PLATFORMS` (``myspace``) or one
  the vocabulary files under ``other`` (``weibo``) is replaced by the mapping's
  platform, the ``platform=`` argument or ``other`` (noted) and kept as written in
  the ``platform_raw`` column.
* Language: ISO 639-1 (``en-US`` -> ``en``, ``French`` -> ``fr``); values that mean
  "unknown" (``und``, X's ``zxx``/``qme``...) are left for detection without a
  note (the source says it does not know); other values it cannot read are
  detected from the text (noted).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema
from .mappings import vocabulary

__all__ = ["counts", "languages", "platforms"]

_STRING = pd.StringDtype("pyarrow")
# Marker for a language value that means "unknown" (detected without a note).
_UNKNOWN = "?"


def _lookup(values: pd.Series, table) -> pd.Series:
    """Map each distinct value once (fast on a million rows with few distinct values)."""
    codes, uniques = pd.factorize(values)
    mapped = np.array([table(u) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype=object)


def counts(values: pd.Series) -> tuple[pd.Series, list[tuple[int, str, str]]]:
    """A count column (Int64) and the changes made to it."""
    stripped = values.str.strip()
    plain = (stripped.str.fullmatch(r"[0-9]{1,18}") | (stripped == "")).to_numpy(dtype=bool)
    digits = plain & (stripped != "").to_numpy(dtype=bool)
    out = stripped.where(digits).astype("int64[pyarrow]").astype("Int64")  # in Arrow
    if plain.all():
        return out, []
    odd = stripped[~plain]  # only these are parsed one by one
    # thousands separators only between groups of three digits: "1,2" is not 12
    grouped = odd.str.fullmatch(r"[0-9]{1,3}(?:[, \u00a0\u202f][0-9]{3})+(?:\.[0-9]+)?")
    grouped = grouped.fillna(False).astype(bool)
    cleaned = odd.where(~grouped, odd.str.replace(r"[, \u00a0\u202f]", "", regex=True))
    number = pd.Series(pd.to_numeric(cleaned.astype(object), errors="coerce"),
                       index=odd.index, dtype="float64")
    valid = number.notna() & (number >= 0) & (number < 2 ** 63)
    rounded = number.where(valid).round()
    out[~plain] = rounded.astype("Int64")
    changes = []
    positions = np.flatnonzero(~plain)
    for pos, value, got, whole in zip(positions, odd.tolist(), number.tolist(),
                                      rounded.tolist()):
        if np.isnan(got):
            changes.append((pos, value, "left empty (not a number)"))
        elif got < 0:
            changes.append((pos, value, "left empty (a count cannot be negative)"))
        elif got >= 2 ** 63:
            changes.append((pos, value, "left empty (too large to be a count)"))
        elif got != whole:
            action = f"rounded to {int(whole)} (counts are whole numbers)"
            changes.append((pos, value, action))
    return out, changes


def _platform_of(value) -> str | None:
    """A platform name for a source value; vendor codes such as ``SOCIALMEDIA_TWITTER``
    or ``BLOG_OTHER`` are tried part by part."""
    key = str(value).strip().lower()
    vocab = vocabulary()["platforms"]
    for candidate in (key, *key.replace("-", "_").split("_")):
        if candidate in schema.PLATFORMS:
            return candidate
        if candidate in vocab:
            return vocab[candidate]
    return None


def platforms(values: pd.Series | None, index: pd.Index, *, fallback: str,
              fallback_from: str) -> tuple[pd.Series, pd.Series, list[tuple[int, str, str]]]:
    """``(platform, platform_raw, changes)``; see the module docstring for the rule."""
    if values is None:
        return (pd.Series(fallback, index=index, dtype=object),
                pd.Series(None, index=index, dtype=_STRING), [])
    plat = _lookup(values, _platform_of)
    stripped = values.str.strip()
    given = (stripped != "").to_numpy(dtype=bool)
    unknown = plat.isna().to_numpy() & given
    other = (plat == "other").to_numpy() & given & \
        (stripped.str.lower() != "other").to_numpy(dtype=bool)
    replaced = unknown | other
    out = plat.fillna(fallback)
    raw = pd.Series(None, index=index, dtype=_STRING)
    changes = []
    if replaced.any():
        raw = stripped.where(replaced, None).astype(_STRING)
        for pos in np.flatnonzero(replaced):
            value = stripped.iloc[pos]
            if unknown[pos]:
                action = (f"set to '{fallback}' ({fallback_from}: the value names no platform "
                          "listening knows; kept in platform_raw)")
            else:
                action = ("set to 'other' (a platform outside listening's list; kept in "
                          "platform_raw)")
            changes.append((pos, value, action))
    return out.astype(str), raw, changes


def _language_of(value) -> str | None:
    vocab = vocabulary()
    key = str(value).strip().lower().replace("_", "-")
    if not key or key in vocab["unknown_languages"]:
        return _UNKNOWN
    if key in vocab["languages"]:
        return vocab["languages"][key]
    head = key.split("-", 1)[0]
    if head in vocab["languages"]:
        return vocab["languages"][head]
    if len(head) == 2 and head.isalpha() and head.isascii():
        return head
    return None


def languages(values: pd.Series) -> tuple[pd.Series, list[tuple[int, str, str]]]:
    """ISO 639-1 codes, None where the text must decide; and the changes noted."""
    codes = _lookup(values, _language_of)
    unreadable = codes.isna().to_numpy()
    action = "detected from the text (not a language listening can read)"
    changes = [(pos, values.iloc[pos].strip(), action) for pos in np.flatnonzero(unreadable)]
    return codes.where(codes != _UNKNOWN, None), changes
