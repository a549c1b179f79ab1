"""A vectorised VADER: nltk's rules, applied to many texts at once with numpy.

nltk's ``SentimentIntensityAnalyzer`` scores one text at a time in pure Python.
This module implements the same rules (booster and dampener words, negation in a
three-word window, "never so", ALL-CAPS emphasis, "but", "least", the special
idioms, "!" and "?" emphasis, the compound normalisation), reusing nltk's
constants (:class:`nltk.sentiment.vader.VaderConstants`) and its lexicon loader,
but over a whole batch:

1. each text is split on whitespace (C speed) and every raw token is mapped once
   per process to an integer type id (a dict lookup; a new type is analysed once:
   punctuation stripped as nltk does, lower-cased, looked up in the lexicon);
2. the per-type facts (valence, booster value, negation, ALL CAPS, ...) are numpy
   arrays, so every rule is an array expression over the sentiment-laden
   positions of the batch, and the sums per text are ``np.bincount``.

English results equal nltk's ``polarity_scores(text)["compound"]`` (after the
emoji step below), with one deliberate fix: nltk finds a token's position with
the first occurrence of that token in the text (originally ``list.index``), so a
repeated word is scored with the neighbours of its first occurrence ("good, not
good" scores the second "good" as un-negated). Here each occurrence is scored
where it stands. ``first_occurrence_bug=True`` restores nltk's behaviour; the
tests and the benchmark use it to show that everything else is identical.

Emoji: like the ``vaderSentiment`` package (and unlike nltk), single-character
emoji are replaced by their text description from the lexicon shipped with
``vaderSentiment`` ("😍" -> "smiling face with heart-eyes"), so they count.

French uses the same machinery with a French rule set (see
``listening/resources/sentiment/french_rules.yaml``): the ``vaderSentiment-fr``
lexicon and emoji descriptions, words matched lower-cased and accent-folded,
tokens split at apostrophes (``n'est`` -> ``n``, ``est``; straight, curly and
modifier apostrophes alike), French boosters (très, trop, vraiment, ...), a
negation window that counts ``ne ... pas`` / ``jamais`` / ``aucun`` / ``rien``
once (not twice, as a naive port of the English rule would), "jamais aussi ..."
as emphasis, and "mais" as "but". The lexicon is matched more widely than a
plain dictionary lookup, each rule measured on ``xlmt_sentiment french/train``
(macro-F1 with re-tuned thresholds, 0.622 -> 0.635):

* a word absent from the lexicon is looked up through its inflections - plural,
  feminine, common verb endings ("crises" -> "crise", "excellente" ->
  "excellent", "abandonnent" -> "abandonne") - unless it is Capitalised (a name:
  "France" is not the feminine of "franc"). A Snowball stemmer was tried and
  rejected: it conflates derived words ("réchauffement" / "réchauffant");
* a short supplement of words the lexicon lacks
  (``french_lexicon_supplement.yaml``, each valence copied from a named lexicon
  synonym) is looked up with the lexicon; ``engine.lexicon`` stays the shipped
  lexicon;
* one-letter tokens (the "s" of "s'accélère", which the lexicon scores +0.8),
  elided "qu" / "jusqu", and prepositions that accent folding turns into
  adjectives ("sur" -> "sûr") are never sentiment words;
* elongations are read as the word they stress ("trooop" -> "trop");
* the lexicon's multi-word entries ("sans espoir", "n'importe", "d'accord") and
  a few idioms with their own valence ("pas mal" positive, "pas terrible"
  negative, "bien sûr" neutral) are joined into one token before the split,
  like the multi-word boosters;
* "plus" / "personne" after "ne" carry the negation further ("il ne peut même
  plus aimer ça").
"""

from __future__ import annotations

import re
import string
import threading
from functools import lru_cache
from importlib import resources
from itertools import chain, repeat

import numpy as np
import pandas as pd
import yaml

from ..errors import ModelError
from ..text import fold_accents
from ._lexicons import load_text_resource, nltk_data_dir

__all__ = [
    "FEATURE_NAMES",
    "SUPPORTED_LANGUAGES",
    "VaderEngine",
    "get_engine",
    "reference_analyzer",
    "translate_emoji",
]

SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "fr")
# Columns of VaderEngine.features: nltk's polarity_scores keys.
FEATURE_NAMES: tuple[str, ...] = ("compound", "pos", "neg", "neu")
EN_LEXICON = "sentiment/listening_vader_en/vader_lexicon.txt"
EN_EMOJI = "sentiment/listening_vader_en/emoji_utf8_lexicon.txt"
FR_LEXICON = "sentiment/listening_vader_fr/fr_lexicon.txt"
FR_EMOJI = "sentiment/listening_vader_fr/emojis_fr.txt"
FR_NO_NEGATE = "sentiment/listening_vader_fr/no_negate.txt"
# Words the French lexicon lacks (in listening/resources/sentiment/).
FR_SUPPLEMENT = "french_lexicon_supplement.yaml"
# A vocabulary of raw tokens grows with every new text; past this size it is
# reset (it is only a memo, rebuilt on demand).
MAX_VOCABULARY = 2_000_000

_EN_PUNCT = frozenset(string.punctuation)
_ELONGATED = re.compile(r"(\w)\1{2,}")
# French tokens also lose typographic quotes, dashes and ellipses at their ends.
_FR_STRIP = string.punctuation + "«»“”‘’…–—¡¿"
# French inflection fallback: an ending is removed only when at least this many
# letters remain - a conservative guard, since in short words the "ending" is
# mostly part of the word ("mars", "bus", "rêver"). On french/train 3 and 4
# rewrite the same words.
FR_MIN_STEM = 4
# A lexicon entry of several words ("sans espoir", "d'accord", "chef-d'oeuvre"),
# as opposed to an emoticon (":'(").
_FR_PHRASE = re.compile(r"[^\W\d_]+(?:[-' ][^\W\d_]+)*[ '][^\W\d_]+")


@lru_cache(maxsize=4)
def _constants():
    from nltk.sentiment.vader import VaderConstants

    return VaderConstants()


def _read_emoji(resource: str) -> dict[str, str]:
    table = {}
    for line in load_text_resource(resource).rstrip("\n").split("\n"):
        parts = line.strip().split("\t")
        if len(parts) >= 2 and len(parts[0]) == 1:
            # vaderSentiment walks the text character by character, so only
            # single-character emoji can ever match; keep exactly those.
            table[parts[0]] = parts[1]
    return table


def _emoji_regex(table: dict[str, str]) -> re.Pattern:
    # Astral-plane characters compile to a linear list in a character class, so
    # merge consecutive code points into ranges (3,500 emoji -> ~200 ranges).
    points = sorted(ord(ch) for ch in table)
    ranges, start, prev = [], points[0], points[0]
    for cp in points[1:] + [-1]:
        if cp != prev + 1:
            ranges.append(re.escape(chr(start)) if start == prev
                          else f"{re.escape(chr(start))}-{re.escape(chr(prev))}")
            start = cp
        prev = cp
    return re.compile("[" + "".join(ranges) + "]")


def translate_emoji(text: str, table: dict[str, str], pattern: re.Pattern) -> str:
    """Replace single-character emoji by their description, as ``vaderSentiment`` does.

    A space is put before a description unless the emoji starts the text or
    follows a space; the result is stripped.
    """
    if text.isascii() or table.keys().isdisjoint(text):
        return text

    def swap(match: re.Match) -> str:
        start = match.start()
        desc = table[match.group(0)]
        return desc if start == 0 or text[start - 1] == " " else " " + desc

    return pattern.sub(swap, text).strip()


# French letters and the accented forms a tweet may write them with (or without).
_FR_ACCENTS = {"a": "àâä", "c": "ç", "e": "éèêë", "i": "îï", "o": "ôö", "u": "ùûü", "y": "ÿ"}


def _phrase_atoms(phrase: str) -> list[str]:
    """Regex pieces of one phrase: accent-insensitive letters, flexible gaps."""
    atoms = []
    for ch in fold_accents(phrase.lower()):
        if ch == " ":
            atoms.append(r"\s+")
        elif ch == "'":
            atoms.append("['’‘ʼ]")
        elif ch in _FR_ACCENTS:
            atoms.append(f"[{ch}{_FR_ACCENTS[ch]}]")
        else:
            atoms.append(re.escape(ch))
    return atoms


def _phrase_regex(phrases: list[str]) -> re.Pattern:
    """One regex matching any of ``phrases``, built as a trie.

    "pas mal", "pas mal de" and "pas terrible" share one "pas " branch: a flat
    alternation of the ~40 phrases is tried phrase by phrase at every position
    of every text, about 3x slower.
    """
    trie: dict = {}
    for phrase in phrases:
        node = trie
        for atom in _phrase_atoms(phrase):
            node = node.setdefault(atom, {})
        node[""] = {}  # a phrase ends here

    def emit(node: dict) -> str:
        branches = [atom + emit(child) for atom, child in node.items() if atom]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 and "" not in node else "(?:" + "|".join(branches) + ")"
        return body + ("?" if "" in node else "")  # a longer phrase may continue a shorter one

    return re.compile(r"(?<!\w)" + emit(trie) + r"(?!\w)", re.IGNORECASE)


_AT_VERY = frozenset({"at", "very"})
_PHRASE_GAPS = re.compile(r"[\s'’‘ʼ]+")


class VaderEngine:
    """VADER rules for one language, vectorised over batches of texts.

    Parameters
    ----------
    language : {"en", "fr"}
    first_occurrence_bug : bool, default False
        Reproduce nltk's scoring of a repeated token at its first occurrence
        (English only; for the agreement tests and benchmark).
    social_tokens : bool, default False
        English only: read tweets' tokens better than nltk does - strip every
        leading and trailing mark ("good...", "(great)", "#happy") when two or
        more characters remain, shorten elongations to a lexicon word
        ("goooood"), read curly apostrophes as straight ones ("isn’t"). This is
        what :func:`listening.score_sentiment` uses; ``False`` is nltk exactly.

    Notes
    -----
    The engine keeps a memo of every raw token it has seen (its "vocabulary";
    reset past :data:`MAX_VOCABULARY` entries) and is safe to share between
    threads. In French a booster that is also a lexicon word ("super") counts
    as a booster before a sentiment word and as a sentiment word otherwise.
    """

    def __init__(self, language: str = "en", *, first_occurrence_bug: bool = False,
                 social_tokens: bool = False) -> None:
        if language not in SUPPORTED_LANGUAGES:
            raise ModelError(f"no VADER rule set for language {language!r}; "
                             f"available: {', '.join(SUPPORTED_LANGUAGES)}")
        self.language = language
        self.first_occurrence_bug = first_occurrence_bug
        self.social_tokens = social_tokens
        c = _constants()
        self.C_INCR, self.N_SCALAR, self.B_DECR = c.C_INCR, c.N_SCALAR, c.B_DECR
        if language == "en":
            # nltk's own loader and parser, on the vaderSentiment lexicon.
            self.lexicon = reference_analyzer().lexicon
            self.boosters = dict(c.BOOSTER_DICT)
            self.negations = frozenset(c.NEGATE)
            self.contrast = frozenset({"but"})
            self.never_words, self.so_this = frozenset({"never"}), frozenset({"so", "this"})
            self.no_negate: frozenset[str] = frozenset()
            self.ne_words = self.ne_closers = frozenset()  # French only
            self.emoji = _read_emoji(EN_EMOJI)
            idioms = dict(c.SPECIAL_CASE_IDIOMS)
            booster_bigrams = {k for k in c.BOOSTER_DICT if " " in k}
            self._phrases = None
        else:
            rules = yaml.safe_load(resources.files("listening.resources.sentiment")
                                   .joinpath("french_rules.yaml").read_text(encoding="utf-8"))
            self.lexicon = {}
            for line in load_text_resource(FR_LEXICON).split("\n"):
                if "->" in line:
                    word, measure = line.strip().rsplit("->", 1)
                    self.lexicon[fold_accents(word.lower())] = float(measure)

            def key(w: str) -> str:  # multi-word entries are matched as one joined token
                return _PHRASE_GAPS.sub("_", fold_accents(w.lower()))

            self.boosters = {key(w): c.B_INCR for w in rules["boosters_up"]}
            self.boosters.update({key(w): c.B_DECR for w in rules["boosters_down"]})
            self.negations = frozenset(key(w) for w in rules["negations"])
            self.contrast = frozenset(key(w) for w in rules["contrast"])
            self.never_words = frozenset({"jamais"})
            self.so_this = frozenset(key(w) for w in rules["never_so"])
            self.no_negate = frozenset(key(w) for w in load_text_resource(FR_NO_NEGATE).split("\n")
                                       if w.strip())
            self.emoji = _read_emoji(FR_EMOJI)
            # Lookups use the shipped lexicon plus the short supplement of words
            # it lacks; self.lexicon itself stays the shipped lexicon.
            supplement = yaml.safe_load(resources.files("listening.resources.sentiment")
                                        .joinpath(FR_SUPPLEMENT).read_text(encoding="utf-8"))
            self.valences = {**{key(w): float(v) for w, v in supplement.items()}, **self.lexicon}
            # Matching rules of french_rules.yaml: words never looked up, the
            # inflection fallback, "ne ... plus", and the idioms, which carry
            # their own negation ("pas terrible") so are never negated again
            # ("ce n'est pas terrible").
            self.not_sentiment = frozenset(w.lower() for w in rules["not_sentiment"])
            self.inflections = tuple((key(end), key(repl or "")) for end, repl in rules["inflections"])
            self.ne_words = frozenset(key(w) for w in rules["ne"])
            self.ne_closers = frozenset(key(w) for w in rules["ne_closers"])
            self.idioms = {key(w): v for w, v in rules["idioms"].items()}
            self.no_negate |= self.idioms.keys()
            # Lexicon entries of several words ("sans espoir", "d'accord") are
            # joined into one token like the multi-word boosters and idioms,
            # else the split at spaces and apostrophes would never let them match.
            lexicon_phrases = [w for w in self.lexicon if _FR_PHRASE.fullmatch(w)]
            self.phrase_lexicon = {key(w): self.lexicon[w] for w in lexicon_phrases}
            # Words an elongation may stand for (lexicon words and rule words).
            self._french_known = (self.valences.keys() | self.boosters.keys() | self.negations
                                  | self.contrast | self.so_this | self.ne_closers)
            idioms, booster_bigrams = {}, set()  # nltk's English idiom tables: unused
            multi = ([w for w in rules["boosters_up"] + rules["boosters_down"] if " " in w]
                     + [w for w in rules["idioms"] if " " in w] + lexicon_phrases)
            self._phrases = _phrase_regex(multi) if multi else None
        self._emoji_re = _emoji_regex(self.emoji)
        # Idiom words get small ids so bigrams/trigrams become integer codes.
        words = sorted({w for phrase in list(idioms) + list(booster_bigrams) for w in phrase.split()})
        self._idiom_words = {w: i for i, w in enumerate(words)}
        k = self._K = len(words) + 1  # last id = "not an idiom word"
        self._pair_val = np.full(k * k, np.nan)
        self._triple_val = np.full(k * k * k, np.nan)
        self._pair_booster = np.zeros(k * k, dtype=bool)
        for phrase, value in idioms.items():
            ids = [self._idiom_words[w] for w in phrase.split()]
            if len(ids) == 2:
                self._pair_val[ids[0] * k + ids[1]] = value
            elif len(ids) == 3:
                self._triple_val[(ids[0] * k + ids[1]) * k + ids[2]] = value
        for phrase in booster_bigrams:
            a, b = (self._idiom_words[w] for w in phrase.split())
            self._pair_booster[a * k + b] = True
        self._lock = threading.Lock()
        self._reset_vocabulary()

    # ------------------------------------------------------------------ types
    def _reset_vocabulary(self) -> None:
        self._vocab: dict[str, int] = {}  # raw token -> type id
        self._norm_ids: dict[str, int] = {}
        self._arrays: dict[str, np.ndarray] = {}
        self._add_types([])  # empty arrays of the right dtypes

    def _normalise(self, raw: str) -> str | None:
        if self.language == "en" and self.social_tokens:
            # Tweets write "good...", "(great)", "#happy": strip every leading and
            # trailing mark (and the hashtag sign) when 2+ characters remain, as the
            # vaderSentiment package does; keep emoticons such as ":)" whole.
            if len(raw) <= 1:
                return None
            if raw[0] in _EN_PUNCT or raw[-1] in _EN_PUNCT:
                if raw.lower() in self.lexicon:  # emoticons such as ":)" or ":-("
                    return raw
                stripped = raw.strip(string.punctuation)
                if len(stripped) < 2:
                    return raw
            else:
                stripped = raw
            if _ELONGATED.search(stripped) and stripped.lower() not in self.lexicon:
                # "goooood" -> "good"; "haaappy" -> "happy"
                for shorter in (_ELONGATED.sub(r"\1\1", stripped), _ELONGATED.sub(r"\1", stripped)):
                    if shorter.lower() in self.lexicon:
                        return shorter
            return stripped
        if self.language == "en":
            # nltk's SentiText: drop 1-character tokens; strip ONE punctuation mark
            # (or a mark run listed in PUNC_LIST) from one end when the rest is a
            # punctuation-free word of 2+ characters; otherwise keep the token whole.
            if len(raw) <= 1:
                return None
            i, j = 0, len(raw)
            while i < j and raw[i] in _EN_PUNCT:
                i += 1
            while j > i and raw[j - 1] in _EN_PUNCT:
                j -= 1
            core = raw[i:j]
            if (i == 0) == (j == len(raw)) or len(core) < 2 or any(ch in _EN_PUNCT for ch in core):
                return raw
            marks = raw[:i] if i else raw[j:]
            return core if marks in _constants().PUNC_LIST else raw
        if fold_accents(raw.lower()) in self.lexicon:  # emoticons such as ":)" stay whole
            return raw
        stripped = raw.strip(_FR_STRIP)
        return stripped or raw

    def _add_types(self, raws: list[str]) -> None:
        """Analyse new raw tokens, column by column (C-level ``map`` over each fact)."""
        n = len(raws)
        normalised = list(map(self._normalise, raws))
        keep = np.fromiter((x is not None for x in normalised), bool, n)
        norms = [x or "" for x in normalised]
        keys = list(map(str.lower, norms))
        if self.language == "fr":
            keys = list(map(self._french_key, map(fold_accents, keys)))
            neg = np.fromiter(map(self.negations.__contains__, keys), bool, n)
            rule_words = keys  # French rule words are matched accent-folded
        else:
            neg = (np.fromiter(map(self.negations.__contains__, keys), bool, n)
                   | np.fromiter(map(str.__contains__, keys, repeat("n't")), bool, n))
            rule_words = norms  # nltk compares "never", "so", "this" case-sensitively
        if self.first_occurrence_bug:  # only nltk's repeated-word lookup needs it
            ids = self._norm_ids
            norm_id = np.fromiter((ids.setdefault(x, len(ids)) for x in norms), np.int64, n)
        else:
            norm_id = np.zeros(n, dtype=np.int64)
        nan = float("nan")

        def has(container) -> np.ndarray:
            return np.fromiter(map(container.__contains__, keys), bool, n)

        def equals(word: str) -> np.ndarray:
            return np.fromiter(map(word.__eq__, keys), bool, n)

        if self.language == "fr":
            valence = np.fromiter(map(self._french_valence, keys, norms), np.float64, n)
        else:
            valence = np.fromiter(map(self.lexicon.get, keys, repeat(nan)), np.float64, n)
        columns = {
            "keep": keep, "in_lex": ~np.isnan(valence), "is_booster": has(self.boosters),
            "upper": np.fromiter(map(str.isupper, norms), bool, n), "neg": neg,
            "kind": equals("kind"), "of": equals("of"), "least": equals("least"),
            "at_very": has(_AT_VERY), "contrast": has(self.contrast),
            "never": np.fromiter(map(self.never_words.__contains__, rule_words), bool, n),
            "so_this": np.fromiter(map(self.so_this.__contains__, rule_words), bool, n),
            "no_negate": has(self.no_negate), "valence": valence,
            "ne": has(self.ne_words), "ne_closer": has(self.ne_closers),
            "booster": np.fromiter(map(self.boosters.get, keys, repeat(0.0)), np.float64, n),
            "norm_id": norm_id,
            "wid": np.fromiter(map(self._idiom_words.get, norms, repeat(self._K - 1)), np.int64, n),
        }
        for name, values in columns.items():
            old = self._arrays.get(name)
            self._arrays[name] = values if old is None else np.concatenate([old, values])

    def _french_key(self, key: str) -> str:
        """An elongated word ("trooop", "géniaaal") read as the known word it stresses."""
        if not _ELONGATED.search(key) or key in self._french_known:
            return key
        for shorter in (_ELONGATED.sub(r"\1\1", key), _ELONGATED.sub(r"\1", key)):
            if shorter in self._french_known:
                return shorter
        return key

    def _french_valence(self, key: str, norm: str) -> float:
        """Valence of one French token type (accent-folded ``key``); NaN if none.

        Lexicon, then joined phrases and idioms, then - for words only - the
        inflection fallback ("crises" -> "crise").
        """
        # "s" of "s'accélère"; "sur" but not "sûr" (the list is matched with accents).
        if len(key) < 2 or norm.lower() in self.not_sentiment:
            return np.nan
        value = self.valences.get(key)
        if value is None:
            value = self.phrase_lexicon.get(key, self.idioms.get(key))
        if value is not None or not key.isalpha():
            return np.nan if value is None else value
        if norm[:1].isupper() and norm[1:].islower():
            return np.nan  # a capitalised unknown word is most often a name ("France")
        for ending, replacement in self.inflections:
            if key.endswith(ending) and len(key) - len(ending) >= FR_MIN_STEM:
                value = self.valences.get(key[:len(key) - len(ending)] + replacement)
                if value is not None:
                    return value
        return np.nan

    # ---------------------------------------------------------------- scoring
    def prepare(self, text: str) -> str:
        """The text the rules see: emoji described, French phrases joined into one token.

        The French phrases are the multi-word boosters ("à peine"), the idioms
        ("pas terrible") and the lexicon's multi-word entries ("sans espoir").
        """
        text = translate_emoji(text, self.emoji, self._emoji_re)
        if self.social_tokens and "’" in text:
            text = text.replace("’", "'")  # "isn’t" negates like "isn't"
        if self._phrases is not None:
            text = self._phrases.sub(lambda m: "_".join(_PHRASE_GAPS.split(m.group(0))), text)
        return text

    def _split(self, text: str) -> list[str]:
        if self.language == "fr":
            return text.replace("'", " ").replace("’", " ").replace("‘", " ").replace("ʼ", " ").split()
        return text.split()

    def features(self, texts: list[str]) -> np.ndarray:
        """``(len(texts), 4)`` array of compound, pos, neg, neu (as nltk rounds them)."""
        if len(self._vocab) > MAX_VOCABULARY:
            with self._lock:
                self._reset_vocabulary()
        n_texts = len(texts)
        out = np.zeros((n_texts, 4))
        if n_texts == 0:
            return out
        if self._phrases is None:  # ASCII needs no emoji or apostrophe work
            prepared = [t if t.isascii() else self.prepare(t) for t in texts]
        else:
            prepared = [self.prepare(t) for t in texts]
        splits = (list(map(str.split, prepared)) if self.language == "en"
                  else [self._split(t) for t in prepared])
        counts = np.fromiter(map(len, splits), dtype=np.int64, count=n_texts)
        tokens = np.fromiter(chain.from_iterable(splits), dtype=object, count=int(counts.sum()))
        # Hash the batch's tokens once in C; dict work is then per distinct token
        # (~1 in 8 of a batch's tokens), not per token.
        codes, distinct = pd.factorize(tokens)
        distinct = distinct.tolist()
        with self._lock:  # Dask's threaded scheduler may share one engine between threads
            vocab = self._vocab
            new = [t for t in distinct if t not in vocab]  # each new type is analysed once
            vocab.update(zip(new, range(len(vocab), len(vocab) + len(new))))
            self._add_types(new)
            type_ids = np.fromiter(map(vocab.__getitem__, distinct), dtype=np.int64,
                                   count=len(distinct))
            A = dict(self._arrays)
        ids = type_ids[codes]
        text_of = np.repeat(np.arange(n_texts), counts)
        keep = A["keep"][ids]
        ids, text_of = ids[keep], text_of[keep]
        n_tok = np.bincount(text_of, minlength=n_texts)
        n = len(ids)
        if n == 0:
            return out
        starts = np.cumsum(n_tok) - n_tok
        pos = np.arange(n) - starts[text_of]
        tlen = n_tok[text_of]
        n_upper = np.bincount(text_of, weights=A["upper"][ids], minlength=n_texts)
        cap_diff = ((n_upper > 0) & (n_upper < n_tok))[text_of]

        def tok(attr: str, where: np.ndarray) -> np.ndarray:
            return A[attr][ids[np.clip(where, 0, n - 1)]]

        # Booster words and the "kind" of "kind of" carry no valence themselves.
        everything = np.arange(n)
        has_next = pos < tlen - 1
        skip = A["is_booster"][ids] | (A["kind"][ids] & has_next & tok("of", everything + 1))
        if self.language == "fr":
            # "super", "extra": a booster before a sentiment word ("super bien"),
            # a sentiment word of its own otherwise ("c'est super").
            skip &= ~(A["in_lex"][ids] & ~(has_next & tok("in_lex", everything + 1)))
        lex = np.flatnonzero(A["in_lex"][ids] & ~skip)
        valence = self._rules(lex, pos[lex], tlen[lex], cap_diff[lex], tok, A["valence"][ids[lex]])
        base = np.zeros(n)
        base[lex] = valence
        if self.first_occurrence_bug:
            key = text_of * (len(self._norm_ids) + 1) + A["norm_id"][ids]
            _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
            base = base[first[inverse]]
        sentiments = self._contrast(base, A["contrast"][ids], text_of, pos, n_texts)
        return self._aggregate(sentiments, text_of, n_tok, prepared, out)

    def _rules(self, lex, p, tlen, cap_diff, tok, v) -> np.ndarray:
        C, N = self.C_INCR, self.N_SCALAR
        v = np.where(tok("upper", lex) & cap_diff, np.where(v > 0, v + C, v - C), v)
        negated_once = np.zeros(len(lex), dtype=bool)
        for k in range(3):
            prev = lex - (k + 1)
            gate = (p > k) & ~tok("in_lex", prev)
            if self.language == "fr":
                gate |= (p > k) & tok("is_booster", prev)
            s = tok("booster", prev)
            s = np.where(v < 0, -s, s)
            caps = tok("is_booster", prev) & tok("upper", prev) & cap_diff
            s = np.where(caps, np.where(v > 0, s + C, s - C), s)
            s = s * (1.0, 0.95, 0.9)[k]
            v = np.where(gate, v + s, v)
            if self.language == "fr":
                negated_once |= (p > k) & (tok("neg", prev) | self._ne_closer(prev, p - k - 1, tok))
                continue
            neg = tok("neg", prev)
            if k == 0:
                factor = np.where(neg, N, 1.0)
            elif k == 1:
                factor = np.where(tok("never", lex - 2) & tok("so_this", lex - 1), 1.5,
                                  np.where(neg, N, 1.0))
            else:
                so = (tok("never", lex - 3) & tok("so_this", lex - 2)) | tok("so_this", lex - 1)
                factor = np.where(so, 1.25, np.where(neg, N, 1.0))
            v = np.where(gate, v * factor, v)
            if k == 2:
                v = self._idioms(v, lex, p, tlen, gate, tok)
        if self.language == "fr":
            # "jamais (été) aussi bon": emphasis, not negation.
            never_so = ((p > 0) & tok("so_this", lex - 1)
                        & (((p > 1) & tok("never", lex - 2)) | ((p > 2) & tok("never", lex - 3))))
            can = ~tok("no_negate", lex)
            return np.where(never_so & can, v * 1.25, np.where(negated_once & can, v * N, v))
        # "least" as negation ("the least fun"), except "at least" / "very least".
        least1 = (p > 0) & ~tok("in_lex", lex - 1) & tok("least", lex - 1)
        flip = least1 & np.where(p > 1, ~tok("at_very", lex - 2), True)
        return np.where(flip, v * N, v)

    @staticmethod
    def _ne_closer(at, p_at, tok) -> np.ndarray:
        """French: is the token at ``at`` (position ``p_at``) a "plus" / "personne" closing a "ne"?"""
        closer = tok("ne_closer", at)
        if not closer.any():
            return closer
        ne = np.zeros_like(closer)
        for d in (1, 2, 3):
            ne |= (p_at >= d) & tok("ne", at - d)
        return closer & ne

    def _idioms(self, v, lex, p, tlen, gate, tok) -> np.ndarray:
        k = self._K
        w = [tok("wid", lex + d) for d in range(-3, 3)]  # w[3] is the word itself

        def pair(a: int) -> np.ndarray:
            return self._pair_val[w[a] * k + w[a + 1]]

        def triple(a: int) -> np.ndarray:
            return self._triple_val[(w[a] * k + w[a + 1]) * k + w[a + 2]]

        # nltk's order: the first of these that is an idiom sets the valence.
        found = np.full(len(lex), np.nan)
        for value in (pair(0), triple(1), pair(1), triple(0), pair(2))[::-1]:
            found = np.where(np.isnan(value), found, value)
        v = np.where(gate & ~np.isnan(found), found, v)
        after1 = np.where(p < tlen - 1, pair(3), np.nan)
        v = np.where(gate & ~np.isnan(after1), after1, v)
        after2 = np.where(p < tlen - 2, triple(3), np.nan)
        v = np.where(gate & ~np.isnan(after2), after2, v)
        bigram = self._pair_booster[w[0] * k + w[1]] | self._pair_booster[w[1] * k + w[2]]
        return np.where(gate & bigram, v + self.B_DECR, v)

    @staticmethod
    def _contrast(sentiments, is_contrast, text_of, pos, n_texts) -> np.ndarray:
        where = np.flatnonzero(is_contrast)
        if len(where) == 0:
            return sentiments
        texts, first = np.unique(text_of[where], return_index=True)
        at = np.full(n_texts, -1)
        at[texts] = pos[where[first]]
        b = at[text_of]
        factor = np.where(b < 0, 1.0, np.where(pos < b, 0.5, np.where(pos > b, 1.5, 1.0)))
        return sentiments * factor

    @staticmethod
    def _aggregate(sentiments, text_of, n_tok, prepared, out) -> np.ndarray:
        n_texts = len(prepared)
        total = np.bincount(text_of, weights=sentiments, minlength=n_texts)
        bangs = np.minimum(np.fromiter(map(str.count, prepared, repeat("!")), np.int64, n_texts), 4)
        qmarks = np.fromiter(map(str.count, prepared, repeat("?")), np.int64, n_texts)
        amp = bangs * 0.292 + np.where(qmarks > 1, np.where(qmarks <= 3, qmarks * 0.18, 0.96), 0.0)
        total = np.where(total > 0, total + amp, np.where(total < 0, total - amp, total))
        compound = total / np.sqrt(total * total + 15)
        pos_sum = np.bincount(text_of, weights=np.where(sentiments > 0, sentiments + 1, 0.0),
                              minlength=n_texts)
        neg_sum = np.bincount(text_of, weights=np.where(sentiments < 0, sentiments - 1, 0.0),
                              minlength=n_texts)
        neu = np.bincount(text_of, weights=(sentiments == 0).astype(float), minlength=n_texts)
        pos_dominant, neg_dominant = pos_sum > -neg_sum, pos_sum < -neg_sum
        pos_sum = np.where(pos_dominant, pos_sum + amp, pos_sum)
        neg_sum = np.where(neg_dominant, neg_sum - amp, neg_sum)
        denom = pos_sum - neg_sum + neu
        has = n_tok > 0
        safe = np.where(has, denom, 1.0)
        out[:, 0] = np.where(has, np.round(compound, 4), 0.0)
        out[:, 1] = np.where(has, np.round(np.abs(pos_sum / safe), 3), 0.0)
        out[:, 2] = np.where(has, np.round(np.abs(neg_sum / safe), 3), 0.0)
        out[:, 3] = np.where(has, np.round(np.abs(neu / safe), 3), 0.0)
        return out


def reference_analyzer():
    """nltk's own ``SentimentIntensityAnalyzer`` on the ``vaderSentiment`` lexicon.

    The correctness reference for the English engine (tests, benchmark). Feed it
    ``get_engine("en").prepare(text)`` so both see the emoji described.
    """
    from nltk.sentiment.vader import SentimentIntensityAnalyzer

    nltk_data_dir()
    return SentimentIntensityAnalyzer(lexicon_file=EN_LEXICON)


@lru_cache(maxsize=8)
def get_engine(language: str, first_occurrence_bug: bool = False,
               social_tokens: bool = False) -> VaderEngine:
    """The process-wide engine for these options (built once; loading takes ~0.2 s)."""
    return VaderEngine(language, first_occurrence_bug=first_occurrence_bug,
                       social_tokens=social_tokens)

