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

Languages are data: the engine knows no language. Each language is a
:class:`~listening.sentiment.rulesets.RuleSet` read from
``listening/resources/sentiment/languages/<code>.yaml`` (English's from nltk's
constants; French's with the ``vaderSentiment-fr`` lexicon, accent folding,
apostrophe splitting, French boosters, a negation window that counts
``ne ... pas`` once, "jamais aussi" as emphasis, the inflection fallback
"crises" -> "crise", a supplement of words the lexicon lacks, and idioms and
multi-word lexicon entries joined into one token; each of these measured on
``xlmt_sentiment french/train``, see ``fr.yaml``). A new language is a new
file; :func:`listening.sentiment.rulesets.supported_languages` lists them.

Rounding: the four scores are rounded as nltk rounds them (Python's ``round``,
correctly rounded on the binary value), not with ``np.round``, which scales
first and rounds half to even: nltk's neg of "yeah cut happy." is
``round(0.26250000000000000555, 3) = 0.263``, ``np.round`` gives 0.262.
"""

from __future__ import annotations

import re
import string
import threading
from functools import lru_cache
from itertools import chain, repeat

import numpy as np
import pandas as pd

from ..text import fold_accents
from ._lexicons import nltk_data_dir
from .rulesets import RuleSet, rule_set, supported_languages

__all__ = [
    "FEATURE_NAMES",
    "VaderEngine",
    "get_engine",
    "reference_analyzer",
    "translate_emoji",
]

# Columns of VaderEngine.features: nltk's polarity_scores keys.
FEATURE_NAMES: tuple[str, ...] = ("compound", "pos", "neg", "neu")
EN_LEXICON = "sentiment/listening_vader_en/vader_lexicon.txt"
# A vocabulary of raw tokens grows with every new text; past this size it is
# reset (it is only a memo, rebuilt on demand).
MAX_VOCABULARY = 2_000_000

_PUNCT = frozenset(string.punctuation)
_ELONGATED = re.compile(r"(\w)\1{2,}")
_APOSTROPHES = str.maketrans({"'": " ", "’": " ", "‘": " ", "ʼ": " "})


def __getattr__(name: str):
    if name == "SUPPORTED_LANGUAGES":  # kept for callers; the list lives in rulesets
        return supported_languages()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@lru_cache(maxsize=4)
def _constants():
    from nltk.sentiment.vader import VaderConstants

    return VaderConstants()


def _emoji_regex(table: dict[str, str]) -> re.Pattern | None:
    # Astral-plane characters compile to a linear list in a character class, so
    # merge consecutive code points into ranges (3,500 emoji -> ~200 ranges).
    if not table:
        return None
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


_PHRASE_GAPS = re.compile(r"[\s'’‘ʼ]+")


def _round_like_python(values: np.ndarray, digits: int) -> np.ndarray:
    """``round(x, digits)`` for each value, as Python (and so nltk) rounds it.

    ``np.round`` multiplies by 10**digits and rounds half to even, so a value
    whose scaled form lands on .5 (0.2625 -> 262.5) can round the other way
    from Python's correctly rounded ``round`` (0.2625 is 0.26250000000000000555
    in binary, so 0.263). Only such near-ties are re-rounded in Python.
    """
    out = np.round(values, digits)
    scaled = np.abs(values) * 10.0 ** digits
    near_tie = np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6)
    for i in near_tie:
        out[i] = round(float(values[i]), digits)
    return out


class VaderEngine:
    """VADER rules for one language (its :class:`RuleSet`), vectorised over batches of texts.

    Parameters
    ----------
    language : str
        A code of :func:`~listening.sentiment.rulesets.supported_languages`.
    first_occurrence_bug : bool, default False
        Reproduce nltk's scoring of a repeated token at its first occurrence
        (for the agreement tests and benchmark).
    social_tokens : bool, default False
        For rule sets with nltk's tokens (English): read tweets' tokens better
        than nltk does - strip every leading and trailing mark ("good...",
        "(great)", "#happy") when two or more characters remain, shorten
        elongations to a lexicon word ("goooood"), read curly apostrophes as
        straight ones ("isn’t"). This is what :func:`listening.score_sentiment`
        uses; ``False`` is nltk exactly. Other rule sets cut tokens their own way.

    Notes
    -----
    The engine keeps a memo of every raw token it has seen (its "vocabulary";
    reset past :data:`MAX_VOCABULARY` entries) and is safe to share between
    threads. With ``boosters_can_be_words`` (French), a booster that is also a
    lexicon word ("super") counts as a booster before a sentiment word and as a
    sentiment word otherwise.
    """

    def __init__(self, language: str = "en", *, first_occurrence_bug: bool = False,
                 social_tokens: bool = False, rules: RuleSet | None = None) -> None:
        rules = rule_set(language) if rules is None else rules
        self.rules = rules
        self.language = rules.language
        self.first_occurrence_bug = first_occurrence_bug
        self.social_tokens = social_tokens and rules.tokens == "nltk"
        s = rules.scalars
        self.C_INCR, self.N_SCALAR, self.B_DECR = s["C_INCR"], s["N_SCALAR"], s["B_DECR"]
        self.lexicon = rules.lexicon
        self.boosters = rules.boosters
        self.negations = rules.negations
        self.contrast = rules.contrast
        self.emoji = rules.emoji
        self._known = rules.known_words() if rules.elongation else frozenset()
        self._phrases = _phrase_regex(list(rules.phrases)) if rules.phrases else None
        self._emoji_re = _emoji_regex(self.emoji)
        # Idiom words get small ids so bigrams/trigrams become integer codes.
        idioms, booster_bigrams = rules.context_idioms, rules.booster_bigrams
        words = sorted({w for phrase in list(idioms) + list(booster_bigrams) for w in phrase.split()})
        self._idiom_words = {w: i for i, w in enumerate(words)}
        k = self._K = len(words) + 1  # last id = "not an idiom word"
        self._pair_val = np.full(k * k, np.nan)
        self._triple_val = np.full(k * k * k, np.nan)
        self._pair_booster = np.zeros(k * k, dtype=bool)
        for phrase, value in sorted(idioms.items()):
            ids = [self._idiom_words[w] for w in phrase.split()]
            if len(ids) == 2:
                self._pair_val[ids[0] * k + ids[1]] = value
            elif len(ids) == 3:
                self._triple_val[(ids[0] * k + ids[1]) * k + ids[2]] = value
        for phrase in sorted(booster_bigrams):
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
        if self.social_tokens:
            # Tweets write "good...", "(great)", "#happy": strip every leading and
            # trailing mark (and the hashtag sign) when 2+ characters remain, as the
            # vaderSentiment package does; keep emoticons such as ":)" whole.
            if len(raw) <= 1:
                return None
            if raw[0] in _PUNCT or raw[-1] in _PUNCT:
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
        if self.rules.tokens == "nltk":
            # nltk's SentiText: drop 1-character tokens; strip ONE punctuation mark
            # (or a mark run listed in PUNC_LIST) from one end when the rest is a
            # punctuation-free word of 2+ characters; otherwise keep the token whole.
            if len(raw) <= 1:
                return None
            i, j = 0, len(raw)
            while i < j and raw[i] in _PUNCT:
                i += 1
            while j > i and raw[j - 1] in _PUNCT:
                j -= 1
            core = raw[i:j]
            if (i == 0) == (j == len(raw)) or len(core) < 2 or any(ch in _PUNCT for ch in core):
                return raw
            marks = raw[:i] if i else raw[j:]
            return core if marks in _constants().PUNC_LIST else raw
        if self._fold(raw.lower()) in self.lexicon:  # emoticons such as ":)" stay whole
            return raw
        stripped = raw.strip(self.rules.strip)
        return stripped or raw

    def _fold(self, word: str) -> str:
        return fold_accents(word) if self.rules.fold_accents else word

    def _add_types(self, raws: list[str]) -> None:
        """Analyse new raw tokens, column by column (C-level ``map`` over each fact)."""
        r = self.rules
        n = len(raws)
        normalised = list(map(self._normalise, raws))
        keep = np.fromiter((x is not None for x in normalised), bool, n)
        norms = [x or "" for x in normalised]
        keys = list(map(str.lower, norms))
        if r.fold_accents:
            keys = list(map(fold_accents, keys))
        if r.elongation:
            keys = list(map(self._known_key, keys))
        neg = np.fromiter(map(self.negations.__contains__, keys), bool, n)
        for infix in r.negation_infixes:
            neg |= np.fromiter(map(str.__contains__, keys, repeat(infix)), bool, n)
        # nltk compares "never", "so", "this" case-sensitively
        rule_words = norms if r.rule_words_case_sensitive else keys
        if self.first_occurrence_bug:  # only nltk's repeated-word lookup needs it
            ids = self._norm_ids
            norm_id = np.fromiter((ids.setdefault(x, len(ids)) for x in norms), np.int64, n)
        else:
            norm_id = np.zeros(n, dtype=np.int64)

        def has(container) -> np.ndarray:
            return np.fromiter(map(container.__contains__, keys), bool, n)

        kind, of = r.kind_of or ("", "")
        valence = np.fromiter(map(self._valence, keys, norms), np.float64, n)
        columns = {
            "keep": keep, "in_lex": ~np.isnan(valence), "is_booster": has(self.boosters),
            "upper": np.fromiter(map(str.isupper, norms), bool, n), "neg": neg,
            "kind": has({kind} - {""}), "of": has({of} - {""}), "least": has(r.least),
            "at_very": has(r.least_exceptions), "contrast": has(self.contrast),
            "never": np.fromiter(map(r.never.__contains__, rule_words), bool, n),
            "so_this": np.fromiter(map(r.never_so.__contains__, rule_words), bool, n),
            "no_negate": has(r.no_negate), "valence": valence,
            "ne": has(r.negation_openers), "ne_closer": has(r.negation_extenders),
            "booster": np.fromiter(map(self.boosters.get, keys, repeat(0.0)), np.float64, n),
            "norm_id": norm_id,
            "wid": np.fromiter(map(self._idiom_words.get, norms, repeat(self._K - 1)), np.int64, n),
        }
        for name, values in columns.items():
            old = self._arrays.get(name)
            self._arrays[name] = values if old is None else np.concatenate([old, values])

    def _known_key(self, key: str) -> str:
        """An elongated word ("trooop", "géniaaal") read as the known word it stresses."""
        if not _ELONGATED.search(key) or key in self._known:
            return key
        for shorter in (_ELONGATED.sub(r"\1\1", key), _ELONGATED.sub(r"\1", key)):
            if shorter in self._known:
                return shorter
        return key

    def _valence(self, key: str, norm: str) -> float:
        """Valence of one token type (``key`` as matched, ``norm`` as written); NaN if none.

        Lexicon, supplement, joined phrases and idioms, then - for words only -
        the rule set's inflection hook ("crises" -> "crise").
        """
        r = self.rules
        # "s" of "s'accélère"; "sur" but not "sûr" (the list is matched with accents).
        if len(key) < 2 or norm.lower() in r.not_sentiment:
            return np.nan
        value = r.valences.get(key)
        if value is not None or not key.isalpha():
            return np.nan if value is None else value
        if r.capitalised_unknown_is_name and norm[:1].isupper() and norm[1:].islower():
            return np.nan  # a capitalised unknown word is most often a name ("France")
        for ending, replacement in r.inflections:
            if key.endswith(ending) and len(key) - len(ending) >= r.min_stem:
                value = r.valences.get(key[:len(key) - len(ending)] + replacement)
                if value is not None:
                    return value
        return np.nan

    # ---------------------------------------------------------------- scoring
    def prepare(self, text: str) -> str:
        """The text the rules see: emoji described, the rule set's phrases joined into one token.

        The phrases (with ``join_phrases``) are the multi-word boosters ("à
        peine"), the idioms ("pas terrible") and the lexicon's multi-word
        entries ("sans espoir").
        """
        text = translate_emoji(text, self.emoji, self._emoji_re)
        if self.social_tokens and "’" in text:
            text = text.replace("’", "'")  # "isn’t" negates like "isn't"
        if self._phrases is not None:
            text = self._phrases.sub(lambda m: "_".join(_PHRASE_GAPS.split(m.group(0))), text)
        return text

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
        if self.rules.split_apostrophes:
            splits = [t.translate(_APOSTROPHES).split() for t in prepared]
        else:
            splits = list(map(str.split, prepared))
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
        if self.rules.boosters_can_be_words:
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
        once = self.rules.negation_style == "once"
        v = np.where(tok("upper", lex) & cap_diff, np.where(v > 0, v + C, v - C), v)
        negated_once = np.zeros(len(lex), dtype=bool)
        for k in range(3):
            prev = lex - (k + 1)
            gate = (p > k) & ~tok("in_lex", prev)
            if self.rules.boosters_can_be_words:
                gate |= (p > k) & tok("is_booster", prev)
            s = tok("booster", prev)
            s = np.where(v < 0, -s, s)
            caps = tok("is_booster", prev) & tok("upper", prev) & cap_diff
            s = np.where(caps, np.where(v > 0, s + C, s - C), s)
            s = s * (1.0, 0.95, 0.9)[k]
            v = np.where(gate, v + s, v)
            if once:
                negated_once |= (p > k) & (tok("neg", prev) | self._extended(prev, p - k - 1, tok))
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
        if once:
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
    def _extended(at, p_at, tok) -> np.ndarray:
        """Is the token at ``at`` (position ``p_at``) an extender ("plus") closing an opener ("ne")?"""
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
        out[:, 0] = np.where(has, _round_like_python(compound, 4), 0.0)
        out[:, 1] = np.where(has, _round_like_python(np.abs(pos_sum / safe), 3), 0.0)
        out[:, 2] = np.where(has, _round_like_python(np.abs(neg_sum / safe), 3), 0.0)
        out[:, 3] = np.where(has, _round_like_python(np.abs(neu / safe), 3), 0.0)
        return out


def reference_analyzer():
    """nltk's own ``SentimentIntensityAnalyzer`` on the ``vaderSentiment`` lexicon.

    The correctness reference for the English engine (tests, benchmark). Feed it
    ``get_engine("en").prepare(text)`` so both see the emoji described.
    """
    from nltk.sentiment.vader import SentimentIntensityAnalyzer

    nltk_data_dir()
    return SentimentIntensityAnalyzer(lexicon_file=EN_LEXICON)


def get_engine(language: str, first_occurrence_bug: bool = False,
               social_tokens: bool = False) -> VaderEngine:
    """The process-wide engine for these options (built once per rule set; ~0.2 s)."""
    rules = rule_set(language)
    return _engine(rules, first_occurrence_bug, social_tokens)


@lru_cache(maxsize=16)
def _engine(rules: RuleSet, first_occurrence_bug: bool, social_tokens: bool) -> VaderEngine:
    return VaderEngine(rules.language, first_occurrence_bug=first_occurrence_bug,
                       social_tokens=social_tokens, rules=rules)

