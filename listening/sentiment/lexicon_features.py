"""Token-level lexicon features for the trained sentiment models.

VADER's four document scores compress a tweet into one number. The trained
models also see, per lexicon, how many positive and negative words a text has,
their summed and extreme valences and the valence of the last one, with a word
negated (``not good``, ``pas bon``) when a negator stands among the three tokens
before it in the same clause. This is the lexicon feature group of the strongest
linear SemEval tweet systems (Mohammad et al., NRC-Canada, 2013); on our training
tweets it adds about 0.02 macro recall in English and macro-F1 in French
(``benchmarks/sentiment_eval.py``).

Lexicons come from pip packages, read from the installed package folders (no
download, nothing executed; XML through ``defusedxml``):

=====  ===========================================  =====================================
lang   lexicon                                      package, file (licence)
=====  ===========================================  =====================================
en     VADER (7,500 words, emoticons)               ``vaderSentiment`` (MIT)
en     AFINN-165 (3,382 words)                      ``afinn``, ``AFINN-en-165.txt`` (ODbL)
en     Pattern adjectives (2,900 forms)             ``textblob``, ``en-sentiment.xml`` (BSD)
fr     VADER-fr (translated VADER lexicon)          ``vaderSentiment-fr`` (MIT)
fr     Pattern adjectives (5,100 inflected forms)   ``textblob-fr``, ``fr-sentiment.xml`` (PDDL)
=====  ===========================================  =====================================

Every valence is put on VADER's -4..4 scale. The transformer learns nothing and
stores only its parameters, so a saved model holds no lexicon: it is read again
from the installed packages when the model is used.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from functools import lru_cache

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from ..errors import ModelError
from ..text import URL, fold_accents
from ._lexicons import package_file
from .rulesets import check_language, rule_set
from .vader import _ELONGATED, get_engine

__all__ = ["LEXICONS", "PER_LEXICON", "LexiconFeatures", "polarity_lexicon"]

# name -> (language, pip import name, file in the package, format, scale to VADER's -4..4)
LEXICONS: dict[str, tuple[str, str, str, str, float]] = {
    "vader_en": ("en", "vaderSentiment", "", "engine", 1.0),
    "afinn_en": ("en", "afinn", "data/AFINN-en-165.txt", "afinn", 4 / 5),  # AFINN: -5..5
    "pattern_en": ("en", "textblob", "en/en-sentiment.xml", "pattern", 4.0),  # Pattern: -1..1
    "vader_fr": ("fr", "vaderSentiment_fr", "", "engine", 1.0),
    "pattern_fr": ("fr", "textblob_fr", "fr-sentiment.xml", "pattern", 4.0),
}
# Per lexicon, in this order: counts of positive and negative words, their summed
# valences, the highest and lowest valence, the valence of the last sentiment word.
PER_LEXICON: tuple[str, ...] = ("n_pos", "n_neg", "sum_pos", "sum_neg", "max", "min", "last")
# Pattern gives many adjectives a polarity near 0 ("13th": 0.0); below this
# absolute value (on Pattern's -1..1 scale) a form carries no sentiment.
PATTERN_MIN_POLARITY = 0.05
# A negator reaches this many tokens ahead (VADER's window), within one clause.
NEGATION_WINDOW = 3
# VADER's N_SCALAR: a negated word keeps 74% of its valence, with the sign flipped.
NEGATION_SCALAR = -0.74
# Tokens: hashtags and words (with inner apostrophes unless the language's rule
# set splits at apostrophes, as French does), or a run of clause-ending marks;
# commas do not end a negation's scope ("not fast, not good").
_TOKEN = re.compile(r"(?u)#?\w[\w']*|[.:;!?]+")
_TOKEN_NO_APOSTROPHE = re.compile(r"(?u)#?\w+|[.:;!?]+")
# Web addresses, and the bare "http" that anonymised tweet sets leave behind.
_URL = re.compile(URL.pattern + r"|\bhttp\b")


def _parse_pattern(text: str) -> dict[str, float]:
    from defusedxml import ElementTree

    values: dict[str, list[float]] = defaultdict(list)
    for word in ElementTree.fromstring(text).iter("word"):
        form, polarity = word.get("form"), word.get("polarity")
        if form and polarity is not None:
            values[form.lower()].append(float(polarity))
    # A form listed with several senses gets their mean polarity.
    means = {form: float(np.mean(v)) for form, v in values.items()}
    return {form: m for form, m in means.items() if abs(m) >= PATTERN_MIN_POLARITY}


def _parse_afinn(text: str) -> dict[str, float]:
    table = {}
    for line in text.splitlines():
        if "\t" in line:
            word, value = line.rsplit("\t", 1)
            table[word.strip().lower()] = float(value)
    return table


@lru_cache(maxsize=len(LEXICONS))
def polarity_lexicon(name: str) -> dict[str, float]:
    """``{word: valence on -4..4}`` of one of :data:`LEXICONS` (French keys accent-folded).

    >>> round(polarity_lexicon("afinn_en")["good"], 2)  # AFINN's 3 of 5
    2.4
    """
    spec = LEXICONS.get(name)
    if spec is None and name.startswith("vader_"):
        # any language with a rule set: the lexicon of its rules
        spec = (check_language(name[len("vader_"):]), "", "", "engine", 1.0)
    if spec is None:
        raise ModelError(f"unknown lexicon {name!r}; known: {', '.join(LEXICONS)}")
    language, package, filename, kind, scale = spec
    if kind == "engine":
        table = dict(get_engine(language).lexicon)
    else:
        text = package_file(package, filename)
        table = _parse_afinn(text) if kind == "afinn" else _parse_pattern(text)
    if rule_set(language).fold_accents:
        table = {fold_accents(w): v for w, v in table.items()}
    return {w: v * scale for w, v in table.items()}


class LexiconFeatures(TransformerMixin, BaseEstimator):
    """Transformer: texts -> per-lexicon counts and valences (learns nothing).

    Parameters
    ----------
    language : str
        A language with a rule set (``"en"``, ``"fr"``; see
        :func:`listening.sentiment.rulesets.supported_languages`).
        Chooses the lexicons (every entry of :data:`LEXICONS` of that language),
        the negators (those of the language's VADER rules) and the tokenisation
        (French: accent-folded, split at apostrophes, so ``n'est`` negates).
    weight : float
        Multiplier on the features, which are ``sign(x) * log(1 + |x|)`` so a
        long text's counts do not dwarf the unit-norm TF-IDF columns.

    Examples
    --------
    >>> f = LexiconFeatures("en").fit(["x"])
    >>> x = f.transform(["good", "not good", "meeting at 3 pm"])
    >>> x.shape
    (3, 21)
    >>> bool(x[0, 0] > 0), bool(x[1, 1] > 0), bool((x[2] == 0).all())  # n_pos, n_neg
    (True, True, True)
    """

    def __init__(self, language: str = "en", weight: float = 0.5) -> None:
        self.language = language
        self.weight = weight

    def _names(self) -> list[str]:
        check_language(self.language)
        names = [name for name, spec in LEXICONS.items() if spec[0] == self.language]
        return names or [f"vader_{self.language}"]  # a rule-set-only language: its own lexicon

    def fit(self, X, y=None) -> LexiconFeatures:
        self.n_features_out_ = len(self._names()) * len(PER_LEXICON)
        return self

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray([f"{lex}_{f}" for lex in self._names() for f in PER_LEXICON],
                          dtype=object)

    def _tokens(self, texts) -> tuple[list[str], np.ndarray]:
        engine = get_engine(self.language)
        rules = engine.rules
        pattern = _TOKEN_NO_APOSTROPHE if rules.split_apostrophes else _TOKEN
        split = []
        for text in texts:
            text = html.unescape(engine.prepare(str(text))).replace("’", "'")
            text = _ELONGATED.sub(r"\1\1", _URL.sub(" ", text.lower()))
            if rules.fold_accents:
                text = fold_accents(text)
            if rules.split_apostrophes:
                text = text.replace("'", " ")
            split.append(pattern.findall(text))
        counts = np.fromiter(map(len, split), dtype=np.int64, count=len(split))
        return [t for tokens in split for t in tokens], counts

    def transform(self, X) -> np.ndarray:
        names = self._names()
        texts = list(X)
        out = np.zeros((len(texts), len(names) * len(PER_LEXICON)))
        tokens, counts = self._tokens(texts)
        if not tokens:
            return out
        # Facts are computed once per distinct token, then indexed per occurrence.
        codes, uniques = pd.factorize(pd.Series(tokens, dtype=object))
        uniques = list(uniques)
        negators = get_engine(self.language).negations  # the rules' own negators
        is_neg = np.fromiter((u in negators or u.endswith("n't") for u in uniques), bool)[codes]
        is_stop = np.fromiter((not (u[0].isalnum() or u[0] in "#_") for u in uniques), bool)[codes]
        text_of = np.repeat(np.arange(len(texts)), counts)
        position = np.arange(len(tokens))
        # Last negator and last clause mark at or before each token, within its text.
        last_neg = np.maximum.accumulate(np.where(is_neg, position, -1))
        last_stop = np.maximum.accumulate(np.where(is_stop, position, -1))
        starts = (np.cumsum(counts) - counts)[text_of]
        negated = ((last_neg >= starts) & (last_neg > last_stop)
                   & (position - last_neg <= NEGATION_WINDOW) & ~is_neg)
        for k, name in enumerate(names):
            lexicon = polarity_lexicon(name)
            valence = np.fromiter((lexicon.get(u.lstrip("#"), lexicon.get(u, np.nan))
                                   for u in uniques), np.float64, len(uniques))[codes]
            valence = np.where(is_neg | is_stop, np.nan, valence)  # negators are not scored
            valence = np.where(negated, valence * NEGATION_SCALAR, valence)
            out[:, k * len(PER_LEXICON):(k + 1) * len(PER_LEXICON)] = _aggregate(
                valence, text_of, len(texts))
        return np.sign(out) * np.log1p(np.abs(out)) * self.weight


def _aggregate(valence: np.ndarray, text_of: np.ndarray, n_texts: int) -> np.ndarray:
    hit = np.flatnonzero(~np.isnan(valence))
    v, t = valence[hit], text_of[hit]
    block = np.zeros((n_texts, len(PER_LEXICON)))
    block[:, 0] = np.bincount(t, weights=v > 0, minlength=n_texts)
    block[:, 1] = np.bincount(t, weights=v < 0, minlength=n_texts)
    block[:, 2] = np.bincount(t, weights=np.where(v > 0, v, 0.0), minlength=n_texts)
    block[:, 3] = np.bincount(t, weights=np.where(v < 0, v, 0.0), minlength=n_texts)
    if len(hit):
        high, low = np.full(n_texts, -np.inf), np.full(n_texts, np.inf)
        np.maximum.at(high, t, v)
        np.minimum.at(low, t, v)
        block[:, 4] = np.where(np.isfinite(high), high, 0.0)
        block[:, 5] = np.where(np.isfinite(low), low, 0.0)
        # Hits are in text order, so a text's last hit is where the next hit's text differs.
        last = np.append(t[1:] != t[:-1], True)
        block[t[last], 6] = v[last]
    return block
