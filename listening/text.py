"""Ground-floor text helpers: normalisation, accent folding, language detection.

Everything here is a pure function over strings or string Series, so every later
stage (rules, sentiment, topics) shares one notion of "the same text".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

import pandas as pd

__all__ = [
    "DEFAULT_LANGUAGES",
    "RETWEET_PREFIX",
    "URL",
    "normalize_text",
    "normalize_series",
    "fold_accents",
    "dedupe_key",
    "detect_language",
]

# The organisation publishes in English and French; the others are the languages
# most often seen in Canadian public-safety mentions. Detection is restricted to
# this set because lingua is both faster and more accurate on short posts when it
# chooses among few languages. Anything outside still comes back as its own
# code (never forced into en/fr) or ``und`` when no language is confident.
DEFAULT_LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "pt", "de", "it", "nl", "ar", "zh", "pa")
# Posts shorter than this many letters carry too little signal to name a language.
MIN_LETTERS_FOR_DETECTION = 3

_NUL = "\x00"
_WS = re.compile(r"\s+")
# The one definition of a web address and of a retweet prefix ("RT @handle: "),
# used by language detection, sentiment keys, topics, threats and the response queue.
URL = re.compile(r"https?://\S+|www\.\S+")
RETWEET_PREFIX = re.compile(r"^\s*rt\s+@\w+:?\s*", re.IGNORECASE)
_URL = URL
_RT = RETWEET_PREFIX
_HANDLE = re.compile(r"(?<!\w)@\w+")


def normalize_text(text: str) -> str:
    r"""NFC-normalise ``text`` and remove NUL bytes; keep everything else whole.

    >>> normalize_text("Su\u0302rete\u0301\x00")
    'Sûreté'
    """
    if _NUL in text:
        text = text.replace(_NUL, "")
    return unicodedata.normalize("NFC", text)


def normalize_series(texts: pd.Series) -> pd.Series:
    """:func:`normalize_text` over a Series, preserving missing values and the index."""
    s = texts.astype("string")
    s = s.str.replace(_NUL, "", regex=False)
    return s.str.normalize("NFC")


@lru_cache(maxsize=65536)
def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold_accents(text: str) -> str:
    """Strip diacritics so ``Sûreté`` and ``Surete`` compare equal (case is kept).

    >>> fold_accents("Sûreté du Québec")
    'Surete du Quebec'
    """
    if text.isascii():
        return text
    return _fold(text)


def dedupe_key(texts: pd.Series) -> pd.Series:
    """A key under which retweets and copies of the same post collide.

    Lower-cased, accent-folded, with a leading ``RT @handle:``, URLs and
    whitespace runs removed. Used to score each distinct text once and to keep
    near-duplicates from dominating topics.
    """
    s = texts.astype("string").fillna("")
    s = s.str.replace(_RT, "", regex=True).str.replace(_URL, "", regex=True)
    s = s.str.lower().map(fold_accents, na_action="ignore")
    return s.str.replace(_WS, " ", regex=True).str.strip()


@lru_cache(maxsize=8)
def _detector(languages: tuple[str, ...]):
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [IsoCode639_1.from_str(code) for code in languages]
    return (LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
            .with_preloaded_language_models().build())


def detect_language(texts: Iterable[str] | pd.Series, *,
                    languages: Sequence[str] = DEFAULT_LANGUAGES) -> pd.Series:
    """ISO 639-1 code of each text, ``und`` when it cannot be told.

    Each distinct text is detected once. URLs and @handles are removed first so a
    French post full of English handles is still French.

    Parameters
    ----------
    texts : Series or iterable of str
    languages : sequence of str
        ISO 639-1 codes lingua chooses among (default :data:`DEFAULT_LANGUAGES`).

    Returns
    -------
    Series of category, aligned with ``texts``.

    >>> detect_language(["Fermeture de l'autoroute 401 ce soir", "Highway 401 closed tonight", ""]).tolist()
    ['fr', 'en', 'und']
    """
    series = texts if isinstance(texts, pd.Series) else pd.Series(list(texts), dtype="string")
    cleaned = series.astype("string").fillna("")
    cleaned = cleaned.str.replace(_URL, " ", regex=True).str.replace(_HANDLE, " ", regex=True)
    uniques = pd.unique(cleaned.to_numpy(dtype=object))
    detector = _detector(tuple(sorted(set(languages))))
    codes: dict[str, str] = {}
    to_detect = []
    for text in uniques:
        if sum(ch.isalpha() for ch in text[:200]) < MIN_LETTERS_FOR_DETECTION:
            codes[text] = "und"
        else:
            to_detect.append(text)
    if to_detect:
        found = detector.detect_languages_in_parallel_of(to_detect)
        for text, lang in zip(to_detect, found):
            codes[text] = "und" if lang is None else lang.iso_code_639_1.name.lower()
    result = cleaned.map(codes).astype("category")
    result.index = series.index
    return result
