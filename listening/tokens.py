"""Social-text analyzer shared by topics and trends.

A small composition in the style of scikit-learn's ``build_analyzer``: nltk's
``TweetTokenizer`` splits a post into tokens (it keeps ``#hashtags``, ``@handles``,
URLs, emoticons and emoji whole), then a filter keeps the tokens that carry
meaning:

* URLs and web domains are dropped (``https://t.co/x``, ``x.com``);
* ``@handles`` are dropped (they name who is talking, not what about);
* ``#hashtags`` are kept as terms, with their ``#``, lower-cased;
* French elisions are split (``l'autoroute`` -> ``autoroute``, ``qu'il`` -> ``il``);
* numbers: a bare 2-4 digit number is kept (``401``, ``911``, ``2026``: in Ontario a
  highway number *is* the topic); single digits, longer digit runs (phone numbers,
  ids), decimals, times and fractions are dropped;
* stop words (English and French lists in ``listening/resources/stopwords/``),
  punctuation, emoticons, emoji and one-letter tokens are dropped;
* tokens are accent-folded (``sécurité`` -> ``securite``) so both spellings count
  as one term (``fold=False`` keeps the accents: the topic model uses it to show
  the most common spelling in labels).

Bigrams are built from adjacent kept word tokens (not hashtags), as scikit-learn
does after stop-word removal.

>>> analyzer = build_analyzer()
>>> analyzer("RT @OPP_News: Highway 401 closed near Kingston https://t.co/x #ONHwys")
['highway', '401', 'closed', 'kingston', '#onhwys', 'highway 401', '401 closed', 'closed kingston']
>>> analyzer("Fermeture de l'autoroute 401 à Kingston")
['fermeture', 'autoroute', '401', 'kingston', 'fermeture autoroute', 'autoroute 401', '401 kingston']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from importlib import resources
from itertools import pairwise

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .text import RETWEET_PREFIX, fold_accents

__all__ = [
    "STOP_WORD_LANGUAGES",
    "build_analyzer",
    "build_tokenizer",
    "count_matrix",
    "distinct_texts",
    "load_stop_words",
]

# Languages the organisation publishes in (DESIGN.md: bilingual English/French).
STOP_WORD_LANGUAGES: tuple[str, ...] = ("en", "fr")
# A bare number is a term only at this many digits: highway numbers (401, 417),
# 911 and years; single digits are counts ("3 hours") and longer runs are ids.
NUMBER_DIGITS = (2, 4)
# French elided prefixes split off a token at the apostrophe.
ELISIONS = frozenset({"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu",
                      "puisqu", "quoiqu", "presqu"})
_DOMAIN = re.compile(r"^[\w.-]+\.[a-z]{2,13}/?$")
_HAS_WORD = re.compile(r"[^\W_]")
_NUMBER = re.compile(r"^[+-]?\d+(?:[.,:/-]\d+)*[+-]?$")


@lru_cache(maxsize=8)
def load_stop_words(languages: tuple[str, ...] = STOP_WORD_LANGUAGES) -> frozenset[str]:
    """The stop words of ``languages``, lower-cased and accent-folded.

    Read from ``listening/resources/stopwords/<code>.txt`` (one word a line,
    ``#`` comments). Raises ``ValueError`` naming the available files when a
    language has no list.
    """
    folder = resources.files("listening").joinpath("resources/stopwords")
    available = sorted(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".txt"))
    words: set[str] = set()
    for code in languages:
        if code not in available:
            raise ValueError(f"no stop word list for language {code!r}; available: "
                             f"{', '.join(available)} (add resources/stopwords/{code}.txt)")
        for line in folder.joinpath(f"{code}.txt").read_text("utf-8").splitlines():
            line = line.strip().lower()
            if line and not line.startswith("#"):
                words.add(fold_accents(line.replace("\u2019", "'")))
    return frozenset(words)


def build_tokenizer() -> Callable[[str], list[str]]:
    """nltk's ``TweetTokenizer`` with letter runs cut to three ("sooooo" -> "sooo").

    Case is kept: the analyzer lower-cases the whole text first, which is faster
    than the tokenizer's own per-token lower-casing (that one spares emoticons
    such as ``:D``, which the analyzer drops anyway).
    """
    from nltk.tokenize import TweetTokenizer

    tokenizer = TweetTokenizer(preserve_case=True, reduce_len=True, match_phone_numbers=False)
    return tokenizer.tokenize


def _keep(token: str, stop: frozenset[str], fold: bool) -> str | None:
    """The term a token contributes, or None. ``token`` is lower-case."""
    first = token[0]
    if first == "@":
        return None
    if first == "#":
        body = token[1:].strip("_-'")
        if fold:
            body = fold_accents(body)
        return "#" + body if len(body) >= 2 and _HAS_WORD.search(body) else None
    if token.startswith(("http:", "https:", "www.")) or "/" in token or _DOMAIN.match(token):
        return None
    if "'" in token:
        head, _, rest = token.partition("'")
        if head in ELISIONS and rest:
            token = rest
    if not _HAS_WORD.search(token):
        return None  # punctuation, emoticons, emoji
    if _NUMBER.match(token):
        return token if token.isdigit() and NUMBER_DIGITS[0] <= len(token) <= NUMBER_DIGITS[1] \
            else None
    folded = fold_accents(token)
    if len(folded) < 2 or folded in stop or folded.strip("'-_") in stop:
        return None
    return folded if fold else token


def build_analyzer(*, languages: Sequence[str] = STOP_WORD_LANGUAGES,
                   ngram_range: tuple[int, int] = (1, 2),
                   extra_stop_words: Iterable[str] = (),
                   fold: bool = True) -> Callable[[str], list[str]]:
    """A callable ``str -> list[str]`` of terms (unigrams, then bigrams).

    Parameters
    ----------
    languages : sequence of str
        Stop word lists to apply (files in ``resources/stopwords``).
    ngram_range : (int, int)
        ``(1, 1)`` for words only, ``(1, 2)`` for words and bigrams, ``(2, 2)``
        for bigrams only.
    extra_stop_words : iterable of str
        More words to drop (e.g. the organisation's own name).
    fold : bool, default True
        Accent-fold the terms. Stop words are matched folded either way.

    The callable can be passed to scikit-learn as ``CountVectorizer(analyzer=...)``.
    """
    lo, hi = ngram_range
    if not (1 <= lo <= hi <= 2):
        raise ValueError(f"ngram_range must be (1, 1), (1, 2) or (2, 2), got {ngram_range!r}")
    stop = load_stop_words(tuple(languages)) | frozenset(
        fold_accents(w.lower()) for w in extra_stop_words)
    tokenize = build_tokenizer()

    def analyze(text: str) -> list[str]:
        if not isinstance(text, str) or not text:
            return []
        text = RETWEET_PREFIX.sub("", text).replace("\u2019", "'").lower()
        terms = []
        for token in tokenize(text):
            kept = _keep(token, stop, fold)
            if kept is not None:
                terms.append(kept)
        out = terms if lo == 1 else []
        if hi == 2:
            words = [t for t in terms if t[0] != "#"]
            out = out + [a + " " + b for a, b in pairwise(words)]
        return out

    return analyze


def distinct_texts(texts: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Factorise posts so each distinct text is analysed once.

    A leading ``RT @handle:`` is removed first, so a retweet shares its
    original's code. Returns ``(codes, uniques)``: ``uniques[codes[i]]`` is row
    ``i``'s text (empty string for missing text).
    """
    cleaned = texts.astype("string").fillna("").str.replace(RETWEET_PREFIX, "", regex=True)
    codes, uniques = pd.factorize(cleaned)
    return codes, np.asarray(uniques, dtype=object)


def count_matrix(texts: Sequence[str], analyzer: Callable[[str], list[str]], *,
                 vocabulary: dict[str, int] | None = None,
                 ) -> tuple[sp.csr_matrix, dict[str, int]]:
    """Term counts of ``texts`` as a CSR matrix (documents x terms).

    With ``vocabulary`` (term -> column) unknown terms are ignored; without it
    the vocabulary is built from the texts in order of first appearance (an order
    fixed by the input, never by string hashing). Returns ``(matrix, vocabulary)``.

    Kept instead of scikit-learn's ``CountVectorizer`` (issue 20.6) because it is
    faster on the same term lists: on the 36,588 distinct texts of 1M demo
    mentions, 0.06 s against 0.42 s when the vocabulary is learnt and 0.11 s
    against 0.30 s with a fixed vocabulary (best of 3), identical counts
    (``benchmarks/topics_speed.py``, "vectorizers"). ``CountVectorizer`` builds a
    per-document dict and sorts the vocabulary; this appends column indices.
    """
    grow = vocabulary is None
    vocab: dict[str, int] = {} if grow else vocabulary
    indices: list[int] = []
    indptr = [0]
    for text in texts:
        for term in analyzer(text):
            col = vocab.get(term)
            if col is None:
                if not grow:
                    continue
                col = vocab[term] = len(vocab)
            indices.append(col)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float64)
    matrix = sp.csr_matrix((data, np.asarray(indices, dtype=np.int64), np.asarray(indptr)),
                           shape=(len(indptr) - 1, len(vocab)))
    matrix.sum_duplicates()
    return matrix, vocab
