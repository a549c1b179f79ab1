"""A token index of a mention frame, built once and shared by every rule.

Tokenisation
    Each distinct text is split on white space (vectorised, pyarrow), then every
    distinct piece that is not already a single word is cut into words with the
    pattern ``[#@]?\\w+`` (Unicode word characters; ``#tag`` and ``@handle`` stay
    one word). Pieces that are links
    (``http://``, ``https://``, ``www.``) are skipped: a mention's link is searched
    with ``site:``. Punctuation and line breaks separate words but are not words,
    so NEAR counts words across them. A word's *raw* form keeps case and accents
    (for ``{Exact}`` queries); its *folded* form is lower-cased and accent-folded
    with :func:`listening.text.fold_accents` (the default mode).

Layout
    Occurrences are stored in text order as one int32 array of raw-token ids
    (``occ_raw``) with ``token_offsets`` marking where each distinct text starts:
    the global *ordinal* of an occurrence gives both its text and its word
    position, so phrases and NEAR are integer arithmetic on sorted arrays.
    Posting lists (the ordinals of one token) are gathered on demand, many tokens
    in one pass over ``occ_raw``, and cached on the index.

Wildcards
    A wildcard word is matched against the *vocabulary* (distinct tokens, not the
    texts): a vectorised ``starts_with`` narrows it to the tokens sharing the
    literal prefix (a wildcard may not start a word), then RE2
    (``pyarrow.compute``) tests the glob. RE2 runs in time linear in the token
    length for any pattern -- it is an automaton, it never backtracks -- and the
    compiled pattern is a flat sequence of escaped literals and ``.*`` / ``.``
    with no nested quantifiers, so ``a*a*a*a*a*b`` costs the same per character
    as ``fire*``. Python's backtracking ``re`` never sees user text. Matching a
    text is then a lookup of token ids: linear in the text length whatever the
    wildcards.
"""

from __future__ import annotations

import re
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import MentionDataError
from ..schema import require_columns
from .parser import WORD_PATTERN, Field, Word, fold_token

__all__ = ["CACHE_SIZE", "TokenIndex", "glob_mask"]

# Frames whose index is kept for reuse by rule.match(frame): a notebook typically
# works on one frame and a filtered copy; each 1M-mention index holds ~100 MB.
CACHE_SIZE = 3
_WORD = re.compile(WORD_PATTERN)
_LINK_PREFIXES = ("http://", "https://", "www.")
# A piece that is exactly one word (RE2 spelling of WORD_PATTERN's \\w: letters,
# numbers, underscore); anything else is cut by the Python pattern.
_PLAIN_WORD = r"^[#@]?[\p{L}\p{N}_]+$"
_SAMPLE = 32        # rows hashed into a frame's fingerprint
# Index distinct texts only when a sample has at least this share of repeats:
# real streams (retweets, shares) are well above it, unique-text data below.
MIN_DUPLICATE_SHARE = 0.02
_DEDUPE_SAMPLE = 20_000
_CACHE: OrderedDict[tuple, tuple[weakref.ref, TokenIndex]] = OrderedDict()


def _re2_escape(ch: str) -> str:
    return ch if ch.isalnum() or ch == "_" else f"\\x{{{ord(ch):x}}}"


def glob_mask(values, glob: str) -> np.ndarray:
    """Boolean mask of ``values`` (strings) that match ``glob`` as a whole.

    ``*`` is any run of characters, ``?`` exactly one. Compiled for RE2 from
    escaped literals (``\\x{..}`` for anything not alphanumeric), never for
    Python's backtracking ``re``; linear in the length of each value.
    """
    parts = []
    for ch in re.sub(r"\*+", "*", glob):
        parts.append(".*" if ch == "*" else "." if ch == "?" else _re2_escape(ch))
    array = pa.array(list(values), type=pa.large_string())
    if len(array) == 0:
        return np.zeros(0, dtype=bool)
    hit = pc.match_substring_regex(array, "(?s)^" + "".join(parts) + "$")
    return hit.fill_null(False).to_numpy(zero_copy_only=False)


def _drop_dead(key: tuple) -> None:
    entry = _CACHE.get(key)
    if entry is not None and entry[0]() is None:
        del _CACHE[key]


def _fingerprint(frame: pd.DataFrame, column: str) -> tuple:
    n = len(frame)
    if n == 0:
        return (0,)
    take = np.unique(np.linspace(0, n - 1, min(n, _SAMPLE)).astype(np.int64))
    texts = frame[column].iloc[take]
    return (n, hash(tuple(texts.fillna("").astype(str))), hash(tuple(map(str, frame.index[take]))))


@dataclass(eq=False)
class TokenIndex:
    """Words of a frame's ``text`` column, ready for vectorised rule matching.

    Build with :meth:`build` (or let :meth:`for_frame` cache it); the fields are
    arrays described in the module docstring. Rows with the same text share one
    entry (``text_codes`` maps rows to distinct texts).
    """

    n_rows: int
    text_codes: np.ndarray           # row -> distinct text id
    token_offsets: np.ndarray        # distinct text id -> first ordinal (len n_texts + 1)
    occ_raw: np.ndarray              # ordinal -> raw token id
    raw_vocab: pa.Array              # raw id -> token as written (large_string)
    raw_to_folded: np.ndarray        # raw id -> folded id
    folded_vocab: pa.Array           # folded id -> lower-case, accent-folded token
    fingerprint: tuple = ()
    _postings: dict = field(default_factory=dict, repr=False)
    _lookup: dict = field(default_factory=dict, repr=False)
    _columns: dict = field(default_factory=dict, repr=False)
    _words: dict = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ building
    @classmethod
    def build(cls, frame: pd.DataFrame, *, column: str = "text") -> TokenIndex:
        """Tokenise ``frame[column]`` once (missing text counts as empty).

        >>> idx = TokenIndex.build(pd.DataFrame({"text": ["Évacuation à #Kenora", None]}))
        >>> sorted(idx.folded_vocab.to_pylist())
        ['#kenora', 'a', 'evacuation']
        """
        require_columns(frame, [column], stage="rules")
        texts = pc.fill_null(_arrow_strings(frame[column]), "")
        if _worth_deduplicating(texts):
            encoded = pc.dictionary_encode(texts)
            text_codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32)
            texts = encoded.dictionary
        else:
            text_codes = np.arange(len(texts), dtype=np.int32)
        offsets, occ_raw, raw_vocab = _tokenise(texts)
        raw_to_folded, folded_vocab = _fold_vocabulary(raw_vocab)
        return cls(n_rows=len(frame), text_codes=text_codes, token_offsets=offsets,
                   occ_raw=occ_raw, raw_vocab=raw_vocab, raw_to_folded=raw_to_folded,
                   folded_vocab=folded_vocab, fingerprint=_fingerprint(frame, column))

    @classmethod
    def for_frame(cls, frame: pd.DataFrame, *, column: str = "text") -> TokenIndex:
        """The cached index of ``frame``, built on first use.

        The cache is keyed on the frame object, its length and a fingerprint of
        sampled texts; after editing texts in place, call :meth:`build` instead.
        """
        key = (id(frame), column)
        hit = _CACHE.get(key)
        if (hit is not None and hit[0]() is frame
                and hit[1].fingerprint == _fingerprint(frame, column)):
            _CACHE.move_to_end(key)
            return hit[1]
        index = cls.build(frame, column=column)
        _CACHE[key] = (weakref.ref(frame), index)
        weakref.finalize(frame, _drop_dead, key)        # free the index with its frame
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
        return index

    def forget(self) -> None:
        """Drop cached posting lists, word look-ups and field columns (frees memory)."""
        for cache in (self._postings, self._lookup, self._columns, self._words):
            cache.clear()

    def __len__(self) -> int:
        return self.n_rows

    @property
    def n_texts(self) -> int:
        return len(self.token_offsets) - 1

    # ------------------------------------------------------------------ words
    def _vocabulary(self, exact: bool) -> tuple[pa.Array, np.ndarray]:
        """(bodies, kinds) of the raw or folded vocabulary: body without its # or @,
        kind 0 (word), 1 (#hashtag) or 2 (@handle)."""
        if exact not in self._lookup:
            vocab = self.raw_vocab if exact else self.folded_vocab
            first = pc.utf8_slice_codeunits(vocab, 0, 1)
            kinds = (np.asarray(pc.equal(first, "#").fill_null(False), dtype=np.int8)
                     + 2 * np.asarray(pc.equal(first, "@").fill_null(False), dtype=np.int8))
            self._lookup[exact] = (pc.utf8_ltrim(vocab, characters="#@"), kinds)
        return self._lookup[exact]

    def _folded_to_raw(self, folded_ids: np.ndarray) -> np.ndarray:
        if "inverse" not in self._lookup:
            order = np.argsort(self.raw_to_folded, kind="stable")
            bounds = np.searchsorted(self.raw_to_folded[order],
                                     np.arange(len(self.folded_vocab) + 1))
            self._lookup["inverse"] = (order, bounds)
        order, bounds = self._lookup["inverse"]
        parts = [order[bounds[f]:bounds[f + 1]] for f in folded_ids]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)

    def resolve(self, words) -> None:
        """Find the raw-token ids of many words at once (one vocabulary pass per mode).

        Plain words match the word, ``#word`` and ``@word``; ``#word``/``@word``
        only their kind. Exact words look in the raw vocabulary, others in the
        folded one. Wildcard words: tokens starting with the literal prefix,
        then the RE2 glob (module docstring).
        """
        todo = {(w.body, w.kind, w.exact) for w in words} - self._words.keys()
        for exact in (False, True):
            mine = sorted(k for k in todo if k[2] == exact)
            if not mine:
                continue
            bodies, kinds = self._vocabulary(exact)
            plain = sorted({body for body, _, _ in mine if "*" not in body and "?" not in body})
            hits: dict[str, np.ndarray] = {}
            if plain:
                where = pc.index_in(bodies, value_set=pa.array(plain, type=pa.large_string()))
                where = np.asarray(where.fill_null(-1), dtype=np.int64)
                ids = np.flatnonzero(where >= 0)
                groups = where[ids]
                order = np.argsort(groups, kind="stable")
                bounds = np.searchsorted(groups[order], np.arange(len(plain) + 1))
                hits = {b: ids[order[bounds[i]:bounds[i + 1]]] for i, b in enumerate(plain)}
            for body, kind, _ in mine:
                if body in hits:
                    found = hits[body]
                else:
                    prefix = body[:min(body.find(c) if c in body else len(body) for c in "*?")]
                    candidates = np.flatnonzero(np.asarray(pc.starts_with(bodies, prefix)))
                    keep = glob_mask(bodies.take(pa.array(candidates)).to_pylist(), body)
                    found = candidates[keep]
                if kind:
                    found = found[kinds[found] == (1 if kind == "#" else 2)]
                self._words[(body, kind, exact)] = found if exact else self._folded_to_raw(found)

    def word_ids(self, word: Word) -> np.ndarray:
        """Raw-token ids that ``word`` matches (see :meth:`resolve`)."""
        key = (word.body, word.kind, word.exact)
        if key not in self._words:
            self.resolve([word])
        return self._words[key]

    def prefetch(self, raw_ids) -> None:
        """Gather the posting lists of many tokens in one pass over the occurrences."""
        missing = np.array(sorted({int(r) for r in raw_ids} - self._postings.keys()),
                           dtype=np.int64)
        if missing.size == 0:
            return
        wanted = np.zeros(len(self.raw_vocab), dtype=bool)
        wanted[missing] = True
        ordinals = np.flatnonzero(wanted[self.occ_raw])
        ids = self.occ_raw[ordinals]
        order = np.argsort(ids, kind="stable")
        ids, ordinals = ids[order], ordinals[order]
        bounds = np.searchsorted(ids, np.append(missing, len(self.raw_vocab)))
        for i, raw in enumerate(missing):
            self._postings[int(raw)] = ordinals[bounds[i]:bounds[i + 1]]

    def ordinals(self, raw_ids: np.ndarray) -> np.ndarray:
        """Sorted ordinals of every occurrence of the given raw tokens."""
        self.prefetch(raw_ids)
        parts = [self._postings[int(r)] for r in raw_ids]
        if not parts:
            return np.zeros(0, dtype=np.int64)
        return parts[0] if len(parts) == 1 else np.sort(np.concatenate(parts))

    def text_of(self, ordinals: np.ndarray) -> np.ndarray:
        """Distinct-text id of each ordinal."""
        return np.searchsorted(self.token_offsets, ordinals, side="right") - 1

    def text_mask(self, ordinals: np.ndarray) -> np.ndarray:
        mask = np.zeros(self.n_texts, dtype=bool)
        mask[self.text_of(ordinals)] = True
        return mask

    def to_rows(self, text_mask: np.ndarray) -> np.ndarray:
        return text_mask[self.text_codes]

    # ------------------------------------------------------------------ fields
    def field_mask(self, frame: pd.DataFrame, node: Field) -> np.ndarray:
        """Row mask of a field filter (``platform:``, ``lang:``, ``author:``, ``site:``,
        ``country:``). Needs the frame the index was built from."""
        column = {"platform": "platform", "lang": "language", "author": "author",
                  "site": "url", "country": "country"}[node.name]
        require_columns(frame, [column], stage=f"rule filter {node.name}:")
        if len(frame) != self.n_rows:
            raise MentionDataError(f"the token index has {self.n_rows} rows but the frame "
                                   f"has {len(frame)}: rebuild it with TokenIndex.build(frame)")
        codes, uniques = self._column(frame, column, _hosts if node.name == "site" else _factorize)
        value = fold_token(node.value)
        if node.name == "site":
            keep = np.array([u == value or u.endswith("." + value) for u in uniques], dtype=bool)
        elif node.name == "lang":
            keep = np.array([u == value or u.startswith((value + "-", value + "_"))
                             for u in uniques], dtype=bool)
        elif node.name == "author" and ("*" in value or "?" in value):
            keep = glob_mask([u.removeprefix("@") for u in uniques], value)
        elif node.name == "author":
            keep = np.array([u.removeprefix("@") == value for u in uniques], dtype=bool)
        else:
            keep = np.array([u == value for u in uniques], dtype=bool)
        keep = np.append(keep, False)            # code -1 (missing) -> last slot
        return keep[codes]

    def _column(self, frame: pd.DataFrame, column: str, make):
        key = (column, id(frame), make.__name__)
        if key not in self._columns:
            for old in [k for k in self._columns if k[0] == column]:
                del self._columns[old]
            self._columns[key] = make(frame[column])
        return self._columns[key]


def _arrow_strings(values: pd.Series) -> pa.Array:
    """One contiguous arrow large_string array (nulls kept) of a pandas Series."""
    array = pa.array(values.astype("string"), from_pandas=True, type=pa.large_string())
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _factorize(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """(codes, folded distinct values) of a column; missing values get code -1."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
    distinct = pa.array(np.asarray(uniques, dtype=object).astype(str), type=pa.large_string())
    return np.asarray(codes), list(_fold_strings(distinct))


def _fold_strings(values: pa.Array) -> np.ndarray:
    """Lower-case, accent-folded copies (object array): arrow for ASCII, Python otherwise."""
    folded = np.asarray(pc.utf8_lower(values).to_numpy(zero_copy_only=False), dtype=object)
    special = np.flatnonzero(~np.asarray(pc.string_is_ascii(values), dtype=bool))
    if special.size:
        folded[special] = [fold_token(v) for v in values.take(pa.array(special)).to_pylist()]
    return folded


def _hosts(urls: pd.Series) -> tuple[np.ndarray, list[str]]:
    """(codes, distinct hosts) of a url column: lower case, no ``www.``, port or user.

    Vectorised: every url + "///" splits on "/" (at most 3 splits) into exactly
    four pieces, so piece i of row r is flat[4r + i]. The first three pieces
    are dictionary-encoded (few distinct values: schemes, hosts), the host is
    chosen per row with numpy on the codes, and only distinct hosts are
    cleaned in Python. Missing urls get code -1.
    """
    array = _arrow_strings(urls)
    n = len(array)
    padded = pc.binary_join_element_wise(pc.fill_null(array, ""),
                                         pa.scalar("///", pa.large_string()),
                                         pa.scalar("", pa.large_string()))
    flat = pc.split_pattern(padded, "/", max_splits=3).flatten()
    pieces = []
    for i in range(3):
        encoded = pc.dictionary_encode(flat.take(pa.array(np.arange(i, 4 * n, 4))))
        pieces.append((encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64),
                       encoded.dictionary.to_pylist()))
    (first, first_values), (second, second_values), (third, third_values) = pieces
    # "https:" + "" + host, or "" + "" + host ("//host"); otherwise the first piece
    scheme = np.array([v == "" or v.endswith(":") for v in first_values], dtype=bool)
    empty = np.array([v == "" for v in second_values], dtype=bool)
    use_third = scheme[first] & empty[second] if n else np.zeros(0, dtype=bool)
    hosts = sorted({_clean_host(v) for v in first_values + third_values})
    position = {h: i for i, h in enumerate(hosts)}
    first_map = np.array([position[_clean_host(v)] for v in first_values] or [0], dtype=np.int64)
    third_map = np.array([position[_clean_host(v)] for v in third_values] or [0], dtype=np.int64)
    codes = np.where(use_third, third_map[third] if n else third, first_map[first] if n else first)
    codes[np.asarray(array.is_null(), dtype=bool)] = -1
    return codes, hosts


def _clean_host(piece: str) -> str:
    host = piece.rsplit("@", 1)[-1].split("?")[0].split("#")[0].split(":")[0].strip()
    return host.lower().removeprefix("www.")


def _worth_deduplicating(texts: pa.Array) -> bool:
    """Whether rows repeat texts enough (retweets, templates) to index distinct texts.

    Hashing every text costs about as much as splitting it, so a sample decides:
    below :data:`MIN_DUPLICATE_SHARE` repeated texts in it, rows are indexed as is.
    """
    if len(texts) <= _DEDUPE_SAMPLE:
        return True
    rng = np.random.default_rng(0)
    sample = texts.take(pa.array(rng.choice(len(texts), _DEDUPE_SAMPLE, replace=False)))
    distinct = pc.count_distinct(sample).as_py()
    return 1 - distinct / _DEDUPE_SAMPLE >= MIN_DUPLICATE_SHARE


def _fold_vocabulary(raw_vocab: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """(raw id -> folded id, folded vocabulary): lower-case, accents stripped.

    ASCII tokens are lower-cased by arrow; only the others go through
    :func:`listening.text.fold_accents` in Python.
    """
    encoded = pc.dictionary_encode(pa.array(_fold_strings(raw_vocab), type=pa.large_string()))
    return (encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32),
            encoded.dictionary)


def _tokenise(texts: pa.Array) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """(token_offsets, occ_raw, raw_vocab) of an arrow array of distinct texts.

    Texts are split on white space and the distinct pieces classified with
    vectorised arrow kernels: links (no words), plain words such as ``fire`` or
    ``#tag`` (one word: themselves), and the rest (``closed.``, ``l'autoroute``),
    which alone are cut with the Python word pattern. Every piece's words are
    then laid out in text order with numpy (repeat + cumulative sums).
    """
    pieces = pc.utf8_split_whitespace(texts)
    if isinstance(pieces, pa.ChunkedArray):
        pieces = pieces.combine_chunks()
    piece_offsets = pieces.offsets.to_numpy()
    encoded = pc.dictionary_encode(pieces.flatten())
    piece_codes = encoded.indices.to_numpy(zero_copy_only=False)
    distinct = encoded.dictionary
    link = np.zeros(len(distinct), dtype=bool)
    for prefix in _LINK_PREFIXES:
        link |= np.asarray(pc.starts_with(distinct, prefix), dtype=bool)
    plain = np.asarray(pc.match_substring_regex(distinct, _PLAIN_WORD), dtype=bool) & ~link
    plain_ids = np.flatnonzero(plain)
    other_ids = np.flatnonzero(~plain & ~link)
    other_words = [_WORD.findall(p) for p in distinct.take(pa.array(other_ids)).to_pylist()]
    counts = np.zeros(len(distinct), dtype=np.int64)
    counts[plain_ids] = 1
    counts[other_ids] = [len(w) for w in other_words]
    starts = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    # one vocabulary over plain pieces and the words cut from the others
    words = pa.concat_arrays([distinct.take(pa.array(plain_ids)).cast(pa.large_string()),
                              pa.array([w for ws in other_words for w in ws],
                                       type=pa.large_string())])
    vocab = pc.dictionary_encode(words)
    word_ids = vocab.indices.to_numpy(zero_copy_only=False).astype(np.int32)
    flat = np.empty(int(counts.sum()), dtype=np.int32)
    flat[starts[plain_ids]] = word_ids[:len(plain_ids)]
    k = counts[other_ids]
    if k.sum():
        first = np.zeros(len(k), dtype=np.int64)
        np.cumsum(k[:-1], out=first[1:])
        at = np.repeat(starts[other_ids] - first, k) + np.arange(int(k.sum()), dtype=np.int64)
        flat[at] = word_ids[len(plain_ids):]
    k = counts[piece_codes]
    cum = np.zeros(len(k) + 1, dtype=np.int64)
    np.cumsum(k, out=cum[1:])
    token_offsets = cum[piece_offsets]
    total = int(cum[-1])
    if (k == 1).all():               # every piece is exactly one word: no expansion needed
        occ_raw = flat[starts[piece_codes]] if total else np.zeros(0, dtype=np.int32)
    else:
        base = np.repeat(starts[piece_codes] - cum[:-1], k)
        occ_raw = flat[base + np.arange(total, dtype=np.int64)]
    return token_offsets.astype(np.int64), occ_raw.astype(np.int32, copy=False), vocab.dictionary
