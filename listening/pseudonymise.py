"""Keyed pseudonyms for author handles, in the author column and inside text.

A handle becomes ``anon_`` plus the first 16 hex digits of HMAC-SHA256(secret,
normalised handle). The same handle gives the same token in every export made
with the same secret (so analysts can still follow one account across files),
while without the secret nobody can recompute the token from a list of
candidate handles, as they could with a plain hash. The secret lives in the
store (``listening.store.open_store().secret()``) and is never written out.

What is replaced:

* the whole ``author`` value (``@jane``, ``u/jane``, ``Jane Doe``);
* ``@handle`` and ``u/handle`` mentions in every other text column (``RT @jane: ...``);
* a URL path segment equal to the row's author (``https://x.com/jane/status/1``).

What is not: a person's name written as plain words inside a post ("thanks Jane
Doe") — finding those is named-entity recognition, which this module does not do.

Accounts on the allow-list (official and media accounts, from
``listening/resources/export/allow_list.yaml``) stay readable.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

import pandas as pd
import yaml

__all__ = [
    "MIN_SECRET_BYTES",
    "TOKEN_PREFIX",
    "default_allow_list",
    "handle_key",
    "key_id",
    "pseudonym",
    "pseudonymise_frame",
]

TOKEN_PREFIX = "anon_"
# 16 hex digits = 64 bits: collisions stay improbable (< 1e-7) below a million accounts.
TOKEN_HEX = 16
# RFC 2104 recommends a key at least as long as the hash output (32 bytes for
# SHA-256); 16 bytes is the floor we accept from callers.
MIN_SECRET_BYTES = 16
# "@handle" not preceded by a word character (so e-mail addresses are left alone);
# dots inside handles are allowed (Instagram), not at the end (end of a sentence).
MENTION_RE = re.compile(r"(?<![\w@])@(\w(?:[\w.]*\w)?)")
# Reddit's "u/name" and "/u/name".
REDDIT_RE = re.compile(r"(?<![\w/])/?u/([\w-]+)")
# Columns never scanned for mentions: identifiers and vocabularies.
_SKIP = {"mention_id", "source", "platform", "language", "country", "sentiment_label"}


@lru_cache(maxsize=1)
def _default_allow() -> frozenset[str]:
    text = resources.files("listening").joinpath("resources/export/allow_list.yaml").read_text("utf-8")
    data = yaml.safe_load(text) or {}
    return frozenset(handle_key(h) for group in data.values() for h in (group or []))


def default_allow_list() -> frozenset[str]:
    """Normalised handles of the official and media accounts kept readable by default."""
    return _default_allow()


def handle_key(handle: object) -> str:
    """Normalise a handle: trimmed, case-folded, without a leading ``@``, ``u/`` or ``/u/``.

    >>> handle_key(" @Jane_Doe ")
    'jane_doe'
    >>> handle_key("/u/Throwaway")
    'throwaway'
    """
    if handle is None or handle is pd.NA or (isinstance(handle, float) and math.isnan(handle)):
        return ""
    key = str(handle).strip().casefold()
    for prefix in ("@", "/u/", "u/"):
        if key.startswith(prefix):
            key = key[len(prefix):]
            break
    return key


def _check_secret(secret: bytes) -> bytes:
    if not isinstance(secret, (bytes, bytearray)):
        raise TypeError(f"secret must be bytes, got {type(secret).__name__}")
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"secret is {len(secret)} bytes; use at least {MIN_SECRET_BYTES} "
                         "(listening.store.open_store().secret() gives 32)")
    return bytes(secret)


def pseudonym(handle: object, secret: bytes) -> str:
    """The token for ``handle`` under ``secret`` (empty handle -> empty string).

    >>> pseudonym("@Jane", b"k" * 32) == pseudonym("jane", b"k" * 32)
    True
    """
    key = handle_key(handle)
    if not key:
        return ""
    digest = hmac.new(_check_secret(secret), key.encode("utf-8"), hashlib.sha256).hexdigest()
    return TOKEN_PREFIX + digest[:TOKEN_HEX]


def key_id(secret: bytes) -> str:
    """A short fingerprint of the secret (not the secret) so provenance can tell keys apart."""
    return hmac.new(_check_secret(secret), b"listening key id", hashlib.sha256).hexdigest()[:8]


def _is_text(series: pd.Series) -> bool:
    return (isinstance(series.dtype, pd.StringDtype) or series.dtype == object
            or (isinstance(series.dtype, pd.CategoricalDtype)
                and series.cat.categories.dtype != "int64"))


def pseudonymise_frame(frame: pd.DataFrame, *, secret: bytes,
                       allow: Iterable[str] | None = None) -> pd.DataFrame:
    """Replace handles with keyed tokens; return a new frame.

    Parameters
    ----------
    frame : DataFrame
        Uses ``author`` (replaced whole), ``url`` (path segment equal to the
        author) and every other text column (``@handle`` and ``u/handle``
        mentions). Columns that are absent are skipped.
    secret : bytes
        The HMAC key (at least 16 bytes).
    allow : iterable of str, optional
        Handles kept readable. ``None`` uses :func:`default_allow_list`; ``[]``
        pseudonymises everyone.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"author": ["@jane", "@OPP_News"],
    ...                   "text": ["hi @OPP_News", "RT @jane: road closed"]})
    >>> out = pseudonymise_frame(f, secret=b"s" * 32)
    >>> out["author"][1], "@jane" in out["text"][1]
    ('@OPP_News', False)
    """
    secret = _check_secret(secret)
    allowed = default_allow_list() if allow is None else frozenset(handle_key(a) for a in allow)
    tokens: dict[str, str] = {}

    def token(key: str) -> str:
        if key not in tokens:
            tokens[key] = pseudonym(key, secret)
        return tokens[key]

    def replace_mention(match: re.Match, prefix: str) -> str:
        key = handle_key(match.group(1))
        if key in allowed:
            return match.group(0)
        lead = "/" if match.group(0).startswith("/") else ""
        return lead + prefix + token(key)

    out = frame.copy()
    for column in out.columns:
        if column in _SKIP or column == "author" or not _is_text(out[column]):
            continue
        values = out[column].astype("string")
        has = values.str.contains("@", regex=False, na=False) | values.str.contains(
            "u/", regex=False, na=False)
        if not has.any():
            continue
        fixed = values[has].str.replace(MENTION_RE, lambda m: replace_mention(m, "@"), regex=True)
        fixed = fixed.str.replace(REDDIT_RE, lambda m: replace_mention(m, "u/"), regex=True)
        values = values.copy()
        values[has] = fixed
        out[column] = values

    if "author" in out.columns:
        authors = out["author"].astype("string")
        keys = authors.map(handle_key, na_action="ignore")
        uniques = pd.unique(keys.dropna())
        mapping = {k: (None if not k else token(k)) for k in uniques if k not in allowed}
        keep = keys.isna() | keys.isin(list(allowed))
        out["author"] = authors.where(keep, keys.map(mapping)).astype("string")
        if "url" in out.columns:
            out["url"] = _scrub_urls(out["url"], keys, allowed, token)
    return out


def _scrub_urls(urls: pd.Series, keys: pd.Series, allowed: frozenset, token) -> pd.Series:
    """Replace URL path segments equal to the row's author key (``x.com/jane/status/1``)."""
    values = urls.astype("string")
    result = values.tolist()
    for i, (url, key) in enumerate(zip(result, keys.tolist())):
        if url is None or url is pd.NA or key is None or key is pd.NA or not key or key in allowed:
            continue
        if key not in url.casefold():
            continue
        head, sep, rest = url.partition("://")
        parts = (rest if sep else head).split("/")
        parts = [token(key) if p.lstrip("@").casefold() == key else p for p in parts]
        result[i] = head + sep + "/".join(parts) if sep else "/".join(parts)
    return pd.Series(result, index=urls.index, dtype="string")
