"""Keyed pseudonyms for author handles and mention ids, wherever they are written.

A handle becomes ``anon_`` plus the first 16 hex digits of HMAC-SHA256(secret,
normalised handle). The same handle gives the same token in every export made
with the same secret (so analysts can still follow one account across files),
while without the secret nobody can recompute the token from a list of
candidate handles, as they could with a plain hash. The secret lives in the
store (``listening.store.open_store().secret()``) and is never written out.

What is replaced (each form has a test in ``tests/test_pseudonymise.py``):

* the whole value of the author columns (``author``, ``author_id``,
  ``author_name``, ``username``, ``screen_name``, ``handle``, ``user``):
  ``@jane``, ``u/jane``, ``Jane Doe``;
* in every other text column (and in lists of text, e.g. an alert's terms):
  ``@handle`` and full-width ``＠handle`` mentions, with the characters the
  row's platform allows in a handle (X: letters, digits, ``_``; Instagram,
  Facebook, TikTok: also ``.``; YouTube, Reddit, Bluesky, Mastodon and the rest:
  also ``.`` and ``-``), Mastodon's ``@user@server``, Reddit's ``u/name``,
  ``/u/name`` and ``r/u_name``;
* handles inside web addresses, in text and in the ``url`` column, with or
  without ``https://``: ``twitter.com/<h>``, ``x.com/<h>``, ``mobile.twitter.com/<h>``
  (and ``?screen_name=``, ``?user_id=``, ``?via=``, ``?related=``),
  ``reddit.com/user/<h>``, ``reddit.com/u/<h>``, ``reddit.com/r/u_<h>``, ``youtube.com/@<h>``,
  ``/user/<h>``, ``/c/<h>``, ``/channel/<id>``, ``instagram.com/<h>``,
  ``threads.net/@<h>``, ``tiktok.com/@<h>``, ``facebook.com/<h>`` and
  ``profile.php?id=<n>``, ``linkedin.com/in/<h>``, ``bsky.app/profile/<h>``,
  any path segment starting with ``@`` on any site (Mastodon servers, Medium),
  and any path segment or query value equal to the row's own author;
* every id in ``mention_id`` and in the id-list columns (``mention_ids``,
  ``example_ids``, ``representative_ids``) becomes ``k:`` plus 16 hex digits of
  a keyed HMAC (:func:`keyed_id`): ids made by hashing platform, author, time
  and text (``h:...``) could otherwise be recomputed from candidate handles,
  and platform ids or ids that are URLs lead straight back to the account.

What is not: a person's name or handle written as plain words inside a post
("thanks Jane Doe", "erin_w was there") - finding those is named-entity
recognition, which this module does not do - and the post itself: a
pseudonymised ``url`` still leads to the public post, where the platform shows
its author. Leave the ``url`` column out of the export (``columns=``) when the
reader must not be able to look posts up.

Accounts on the allow-list (official and media accounts, from
``listening/resources/accounts.yaml``) stay readable everywhere.
Finding the forms is :mod:`listening.handles`'s job; this module keys them.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
from collections.abc import Callable, Iterable
from functools import lru_cache

import numpy as np
import pandas as pd

from .accounts import institutional_accounts
from .errors import OptionError
from .handles import CANDIDATE, HandleRewriter, handle_key, is_missing

__all__ = [
    "AUTHOR_COLUMNS",
    "ID_COLUMNS",
    "ID_PREFIX",
    "MIN_SECRET_BYTES",
    "TOKEN_PREFIX",
    "default_allow_list",
    "handle_key",
    "key_id",
    "keyed_id",
    "pseudonym",
    "pseudonymise_frame",
    "pseudonymise_text",
]

TOKEN_PREFIX = "anon_"
# Keyed mention ids; "k:" never starts a source's id nor a hash id ("h:", schema.py).
ID_PREFIX = "k:"
# 16 hex digits = 64 bits: collisions stay improbable (< 1e-7) below a million accounts.
TOKEN_HEX = 16
# RFC 2104 recommends a key at least as long as the hash output (32 bytes for
# SHA-256); 16 bytes is the floor we accept from callers.
MIN_SECRET_BYTES = 16
# Columns whose whole value is a person's handle, name or account id.
AUTHOR_COLUMNS = ("author", "author_id", "author_name", "username", "screen_name",
                  "handle", "user")
# Columns holding mention ids (one per cell, or a list per cell).
ID_COLUMNS = ("mention_id", "mention_ids", "example_ids", "representative_ids")
# About 2 s of work: below this many rows a progress bar would only flicker.
PROGRESS_ROWS = 100_000
# Columns never scanned for handles: vocabularies and the provenance of rows.
_SKIP = {"source", "platform", "language", "country", "sentiment_label"}

@lru_cache(maxsize=1)
def _default_allow() -> frozenset[str]:
    return frozenset().union(*institutional_accounts().values())


def default_allow_list() -> frozenset[str]:
    """Normalised handles of the official and media accounts kept readable by default."""
    return _default_allow()


def _check_secret(secret: bytes) -> bytes:
    if not isinstance(secret, (bytes, bytearray)):
        raise TypeError(f"secret must be bytes, got {type(secret).__name__}")
    if len(secret) < MIN_SECRET_BYTES:
        raise OptionError(f"secret is {len(secret)} bytes; use at least {MIN_SECRET_BYTES} "
                          "(listening.store.open_store().secret() gives 32)", name="secret",
                          value=f"{len(secret)} bytes", allowed=f"at least {MIN_SECRET_BYTES} bytes")
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


def keyed_id(mention_id: object, secret: bytes) -> str | None:
    """The keyed id that replaces ``mention_id`` in pseudonymised outputs (None stays None).

    ``k:`` plus 16 hex digits of HMAC-SHA256(secret, ``"mention_id\\x1f" + id``):
    the same id gives the same keyed id in every output made with the same
    secret (so a brief's examples can be found in an export), and the prefix in
    the message keeps it from ever equalling a handle's token.

    >>> keyed_id("h:0123456789abcdef", b"k" * 32).startswith("k:")
    True
    """
    if is_missing(mention_id):
        return None
    return _id_keyer(_check_secret(secret))(mention_id)


def _id_keyer(secret: bytes) -> Callable[[object], str]:
    """:func:`keyed_id` for one secret, with the HMAC key schedule done once."""
    base = hmac.new(secret, b"mention_id\x1f", hashlib.sha256)

    def key(mention_id: object) -> str:
        h = base.copy()
        h.update(str(mention_id).encode("utf-8", "surrogatepass"))
        return ID_PREFIX + h.hexdigest()[:TOKEN_HEX]

    return key


def key_id(secret: bytes) -> str:
    """A short fingerprint of the secret (not the secret) so provenance can tell keys apart."""
    return hmac.new(_check_secret(secret), b"listening key id", hashlib.sha256).hexdigest()[:8]


class _Tokens:
    """The tokens of one frame: remembers them and counts each replacement by kind."""

    def __init__(self, secret: bytes, allowed: frozenset[str]):
        self.secret, self.allowed = secret, allowed
        self.tokens: dict[str, str] = {}
        self.counts = {"authors": 0, "mentions": 0, "urls": 0, "ids": 0}

    def token(self, key: str) -> str:
        if key not in self.tokens:
            self.tokens[key] = pseudonym(key, self.secret)
        return self.tokens[key]

    def replace(self, key: str, kind: str) -> str | None:
        """The token for ``key``, or None if it is allow-listed or empty."""
        if not key or key in self.allowed:
            return None
        self.counts[kind] += 1
        return self.token(key)


def _is_text(series: pd.Series) -> bool:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return not pd.api.types.is_numeric_dtype(dtype.categories.dtype)
    if isinstance(dtype, pd.ArrowDtype):
        import pyarrow as pa

        kind = dtype.pyarrow_dtype
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        return (pa.types.is_string(kind) or pa.types.is_large_string(kind)
                or pa.types.is_list(kind) or pa.types.is_large_list(kind))
    return isinstance(dtype, pd.StringDtype) or dtype == object


def _map_cells(series: pd.Series, fix: Callable[[str, int], str], rows: np.ndarray) -> pd.Series:
    """Apply ``fix(text, row)`` to the strings of ``series`` at ``rows`` (lists element-wise)."""
    from tqdm.auto import tqdm

    values = series.astype(object).to_numpy(copy=True)
    for i in tqdm(rows, desc=f"pseudonymising {series.name}", unit="row", leave=False,
                  disable=len(rows) < PROGRESS_ROWS):
        value = values[i]
        if isinstance(value, str):
            values[i] = fix(value, i)
        elif isinstance(value, (list, tuple, np.ndarray)):
            values[i] = [fix(v, i) if isinstance(v, str) else v for v in value]
    return _like(series, values)


def _like(series: pd.Series, values: np.ndarray | list) -> pd.Series:
    """``values`` as a Series with ``series``'s index and, where it can hold them, its dtype."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.Series(values, index=series.index, dtype=object).astype("category")
    if isinstance(dtype, (pd.StringDtype, pd.ArrowDtype)):
        with contextlib.suppress(TypeError, ValueError, ArithmeticError, ImportError):
            return pd.Series(values, index=series.index, dtype=dtype)
    if not all(isinstance(v, str) or is_missing(v) for v in values):
        return pd.Series(values, index=series.index, dtype=object)  # lists stay lists
    return pd.Series(values, index=series.index, dtype="string")


def _ids(series: pd.Series, secret: bytes, counts: dict) -> pd.Series:
    keyer = _id_keyer(secret)

    def one(value: object) -> object:
        if isinstance(value, (list, tuple, np.ndarray)):
            return [one(v) for v in value]
        if is_missing(value):
            return None
        counts["ids"] += 1
        return keyer(value)

    values = series.astype(object).tolist()
    mapped = [one(v) for v in values]
    if any(isinstance(v, list) for v in mapped):
        return pd.Series(mapped, index=series.index, dtype=object)
    return pd.Series(mapped, index=series.index, dtype="string")


def pseudonymise_text(text: str, *, secret: bytes, allow: Iterable[str] | None = None,
                      platform: str | None = None, author: str | None = None) -> str:
    """Replace the handles in one string (a chart title, an alert's why) like the frame does.

    >>> out = pseudonymise_text("see x.com/erin_w/status/1 via @erin_w", secret=b"s" * 32)
    >>> "erin_w" in out, out.count("anon_")
    (False, 2)
    """
    tokens = _Tokens(_check_secret(secret), _allowed(allow))
    own = handle_key(author)
    return HandleRewriter(tokens.replace).text(
        text, platform, "" if own in tokens.allowed else own)


def _allowed(allow: Iterable[str] | None) -> frozenset[str]:
    return default_allow_list() if allow is None else frozenset(handle_key(a) for a in allow)


def pseudonymise_frame(frame: pd.DataFrame, *, secret: bytes,
                       allow: Iterable[str] | None = None) -> pd.DataFrame:
    """Replace handles with keyed tokens and ids with keyed ids; return a new frame.

    Parameters
    ----------
    frame : DataFrame
        Any frame (mentions, alerts, topic summaries). Uses the author columns
        (:data:`AUTHOR_COLUMNS`, replaced whole), the id columns
        (:data:`ID_COLUMNS`, keyed), ``url`` and every other text or list-of-text
        column (handles in mentions and web addresses, see the module
        docstring); ``platform`` picks the handle characters per row and
        ``author`` is looked for in the row's own addresses. Absent columns are
        skipped; numbers, times and the vocabulary columns (``platform``,
        ``language``, ``country``, ``source``, ``sentiment_label``) are kept.
    secret : bytes
        The HMAC key (at least 16 bytes), e.g. ``open_store().secret()``.
    allow : iterable of str, optional
        Handles kept readable. ``None`` uses :func:`default_allow_list`; ``[]``
        pseudonymises everyone.

    Returns
    -------
    DataFrame
        A copy; ``attrs["listening"]["pseudonymisation"]`` counts what was
        replaced (``authors``, ``mentions`` in text, ``urls`` segments, ``ids``).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"author": ["@jane", "@OPP_News"],
    ...                   "text": ["hi @OPP_News", "RT @jane: road closed"],
    ...                   "url": ["https://x.com/jane/status/1", None]})
    >>> out = pseudonymise_frame(f, secret=b"s" * 32)
    >>> out["author"][1], "jane" in out["text"][1], "jane" in out["url"][0]
    ('@OPP_News', False, False)
    """
    tokens = _Tokens(_check_secret(secret), _allowed(allow))
    rewrite = HandleRewriter(tokens.replace)
    out = frame.copy()
    n = len(out)

    own = [""] * n
    if "author" in out.columns:
        own = [("" if k in tokens.allowed else k)
               for k in map(handle_key, out["author"].astype(object))]
    platforms = (out["platform"].astype(object).to_numpy() if "platform" in out.columns
                 else [None] * n)

    for column in out.columns:
        series = out[column]
        if column in _SKIP or series.isna().all():
            continue
        if column in ID_COLUMNS:
            out[column] = _ids(series, tokens.secret, tokens.counts)
        elif column in AUTHOR_COLUMNS:
            out[column] = _authors(series, tokens)
        elif not _is_text(series):
            continue  # numbers, times, booleans
        elif column == "url":
            rows = np.flatnonzero(series.notna().to_numpy()) if n else np.array([], dtype=int)
            out[column] = _map_cells(series, lambda t, i: rewrite.url(t, own[i]), rows)
        else:
            rows = _candidate_rows(series)
            out[column] = _map_cells(
                series, lambda t, i: rewrite.text(t, platforms[i], own[i]), rows)
    meta = dict(out.attrs.get("listening", {}) or {})
    meta["pseudonymisation"] = dict(tokens.counts)
    out.attrs["listening"] = meta
    return out


def _candidate_rows(series: pd.Series) -> np.ndarray:
    if isinstance(series.dtype, pd.ArrowDtype) and "list" in str(series.dtype.pyarrow_dtype):
        return np.flatnonzero(series.notna().to_numpy())
    if series.dtype == object:
        return np.flatnonzero(series.notna().to_numpy())  # lists, mixed: look at every cell
    text = series.astype("string")
    return np.flatnonzero(text.str.contains(CANDIDATE, na=False).to_numpy())


def _authors(series: pd.Series, tokens: _Tokens) -> pd.Series:
    """Each author value replaced whole (numbers too: an ``author_id`` is an account)."""
    values = series.astype(object)
    mapping = {}
    for value in pd.unique(values.dropna()):
        key = handle_key(value)
        mapping[value] = value if (not key or key in tokens.allowed) else tokens.token(key)
    changed = [v for v, t in mapping.items() if t != v]
    tokens.counts["authors"] += int(values.isin(changed).sum())
    return values.map(mapping, na_action="ignore").astype("string")
