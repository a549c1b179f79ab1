"""Languages as data: one :class:`RuleSet` per language, read from a YAML file.

The VADER engine (:mod:`listening.sentiment.vader`) knows no language; what it
applies to a text - lexicon, boosters, negations, contrast words, idioms, how
tokens are cut and matched, the inflection and phrase-joining hooks - comes
from the language's rule set. A rule set is a file ``<code>.yaml`` (the file
name is the ISO 639-1 code) in:

* ``listening/resources/sentiment/languages/`` (shipped: ``en``, ``fr``);
* every folder named in the ``LISTENING_SENTIMENT_RULES`` environment variable
  (``os.pathsep``-separated); a file there wins over a shipped one of the same
  code, so an analyst can add or adjust a language without touching code.

:func:`supported_languages` (derived from the files present) is the one list
of languages the rules cover, and :func:`check_language` the one check.

Fields (every one optional except a lexicon source)
---------------------------------------------------
``lexicon``
    ``{resource: <nltk resource>, format: nltk | arrow}`` (a lexicon shipped by a
    pip package, see :mod:`._lexicons`) or ``{words: {word: valence}}`` inline.
``emoji`` / ``no_negate``
    nltk resources: emoji descriptions, words never negated.
``supplement``
    a YAML file next to the rule set, ``{word: valence}``, looked up with the
    lexicon (the lexicon wins).
``from_nltk``
    any of ``boosters``, ``negations``, ``context_idioms``: nltk's
    ``VaderConstants`` tables (English).
``boosters_up`` / ``boosters_down``, ``negations``, ``negation_infixes``,
``contrast``, ``never``, ``never_so``, ``not_sentiment``, ``least``,
``least_exceptions``, ``kind_of``, ``negation_openers`` / ``negation_extenders``
    word lists (see ``en.yaml`` and ``fr.yaml`` for their meaning).
``idioms``
    ``{phrase: valence or null}``: read as one token with its own valence, never
    negated again.
``inflections`` / ``min_stem``
    the inflection hook: ``[[ending, replacement], ...]`` tried in order on a
    word absent from the lexicon when at least ``min_stem`` letters remain.
``join_phrases``
    the phrase-joining hook: multi-word boosters, idioms and lexicon entries are
    joined into one token before the split.
``tokens`` (``nltk`` | ``strip``), ``strip``, ``fold_accents``,
``split_apostrophes``, ``elongation``, ``capitalised_unknown_is_name``,
``boosters_can_be_words``, ``rule_words_case_sensitive``
    how tokens are cut and matched.
``negation_style``
    ``nltk`` (each negator in the three-word window flips, nltk's "never so")
    or ``once`` (a sentence's negation counted once: "ne ... pas").
``shipped_model``
    true when ``data/models/sentiment_<code>.skops`` is part of the repository.
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from ..errors import ModelError, OptionError
from ..text import fold_accents as _fold
from ._lexicons import load_text_resource, nltk_data_dir

__all__ = [
    "RULES_ENV",
    "RuleSet",
    "check_language",
    "load_rule_set",
    "rule_set",
    "rule_set_files",
    "supported_languages",
]

RULES_ENV = "LISTENING_SENTIMENT_RULES"
_CODE = re.compile(r"^[a-z]{2,3}$")
_PHRASE_GAPS = re.compile(r"[\s'’‘ʼ]+")
# A lexicon entry of several words ("sans espoir", "d'accord", "chef-d'oeuvre"),
# as opposed to an emoticon (":'(").
_LEXICON_PHRASE = re.compile(r"[^\W\d_]+(?:[-' ][^\W\d_]+)*[ '][^\W\d_]+")
_FIELDS = {
    "name", "lexicon", "emoji", "no_negate", "supplement", "from_nltk", "shipped_model",
    "tokens", "strip", "fold_accents", "split_apostrophes", "elongation",
    "capitalised_unknown_is_name", "join_phrases", "boosters_can_be_words",
    "rule_words_case_sensitive", "negation_style", "negation_infixes", "boosters_up",
    "boosters_down", "negations", "contrast", "never", "never_so", "not_sentiment",
    "least", "least_exceptions", "kind_of", "inflections", "min_stem", "idioms",
    "negation_openers", "negation_extenders",
}


@dataclass(frozen=True, eq=False)
class RuleSet:
    """Everything the engine needs to know about one language (see the module doc).

    Word keys are as the engine matches them: lower-cased, accent-folded when
    ``fold_accents``, multi-word entries joined with ``_`` when ``join_phrases``.
    """

    language: str
    name: str
    lexicon: Mapping[str, float]          # the lexicon as shipped (keys folded if fold_accents)
    valences: Mapping[str, float]         # lookups: lexicon, supplement, joined phrases, idioms
    emoji: Mapping[str, str]
    boosters: Mapping[str, float]
    negations: frozenset[str]
    negation_infixes: tuple[str, ...]
    contrast: frozenset[str]
    never: frozenset[str]
    never_so: frozenset[str]
    no_negate: frozenset[str]
    not_sentiment: frozenset[str]
    least: frozenset[str]
    least_exceptions: frozenset[str]
    kind_of: tuple[str, str] | None
    negation_openers: frozenset[str]
    negation_extenders: frozenset[str]
    context_idioms: Mapping[str, float]    # nltk's SPECIAL_CASE_IDIOMS (n-grams in context)
    booster_bigrams: frozenset[str]
    phrases: tuple[str, ...]               # joined into one token before the split
    inflections: tuple[tuple[str, str], ...]
    min_stem: int
    tokens: str                            # "nltk" | "strip"
    strip: str
    fold_accents: bool
    split_apostrophes: bool
    elongation: bool
    capitalised_unknown_is_name: bool
    boosters_can_be_words: bool
    rule_words_case_sensitive: bool
    negation_style: str                    # "nltk" | "once"
    shipped_model: bool
    scalars: Mapping[str, float] = field(default_factory=dict)  # B_INCR, B_DECR, C_INCR, N_SCALAR
    source: str = ""

    join_phrases: bool = False

    def key(self, word: str) -> str:
        """A word or phrase as the engine matches it."""
        word = word.lower()
        if self.fold_accents:
            word = _fold(word)
        return _PHRASE_GAPS.sub("_", word) if self.join_phrases else word

    def known_words(self) -> frozenset[str]:
        """Words an elongation may stand for: lexicon and rule words."""
        return frozenset(self.valences.keys() | self.boosters.keys() | self.negations
                         | self.contrast | self.never_so | self.negation_extenders)


def _package_folder() -> Path:
    return Path(str(resources.files("listening.resources.sentiment").joinpath("languages")))


def _folders() -> tuple[str, ...]:
    extra = [p for p in os.environ.get(RULES_ENV, "").split(os.pathsep) if p.strip()]
    return (str(_package_folder()), *extra)


@lru_cache(maxsize=16)
def _discover(folders: tuple[str, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for folder in folders:
        path = Path(folder)
        if not path.is_dir():
            raise ModelError(f"{RULES_ENV} names {folder!r}, which is not a folder; "
                             "point it at folders holding <language>.yaml rule sets")
        for file in sorted(path.glob("*.yaml")):
            if _CODE.match(file.stem):
                found[file.stem] = str(file)  # later folders win
    return dict(sorted(found.items()))


def rule_set_files() -> dict[str, str]:
    """``{language: rule set file}`` for every rule set present, sorted by code."""
    return _discover(_folders())


def supported_languages() -> tuple[str, ...]:
    """The languages the rules cover: one per rule set file present (sorted).

    >>> supported_languages()[:2]
    ('en', 'fr')
    """
    return tuple(rule_set_files())


def check_language(language: object, *, name: str = "language", hint: str = "") -> str:
    """Return ``language`` when a rule set covers it, else raise :class:`OptionError`.

    The one place where a sentiment language is checked.
    """
    languages = supported_languages()
    if language in languages:
        return language  # type: ignore[return-value]
    message = (f"no VADER rules for {name} {language!r}; use one of {', '.join(languages)}, "
               f"or add a rule set <code>.yaml to a folder named in {RULES_ENV}")
    if hint:
        message += f". {hint}"
    raise OptionError(message, name=name, value=language, allowed=languages)


def rule_set(language: str) -> RuleSet:
    """The rule set of ``language`` (loaded once per file version)."""
    path = rule_set_files().get(check_language(language))
    return _load_cached(path, os.path.getmtime(path))


@lru_cache(maxsize=16)
def _load_cached(path: str, mtime: float) -> RuleSet:
    return load_rule_set(path)


def _nltk_constants():
    from nltk.sentiment.vader import VaderConstants

    return VaderConstants()


def _words(spec: dict, name: str, path: str) -> list[str]:
    value = spec.get(name) or []
    if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
        raise ModelError(f"{path}: {name!r} must be a list of words, got {value!r}; quote words "
                         "YAML reads as other types (\"no\", \"yes\", \"on\", \"null\", numbers)")
    return value


def _read_lexicon(spec, path: str) -> dict[str, float]:
    if not isinstance(spec, dict):
        raise ModelError(f"{path}: 'lexicon' must be {{resource: ..., format: nltk|arrow}} "
                         "or {words: {word: valence}}")
    if "words" in spec:
        return {str(w): float(v) for w, v in spec["words"].items()}
    resource, kind = spec.get("resource"), spec.get("format", "nltk")
    if kind == "nltk":  # nltk's own loader and parser (the reference's lexicon)
        from nltk.sentiment.vader import SentimentIntensityAnalyzer

        nltk_data_dir()
        return dict(SentimentIntensityAnalyzer(lexicon_file=resource).lexicon)
    if kind == "arrow":  # "word->valence" lines (vaderSentiment-fr)
        table = {}
        for line in load_text_resource(resource).split("\n"):
            if "->" in line:
                word, measure = line.strip().rsplit("->", 1)
                table[word] = float(measure)
        return table
    raise ModelError(f"{path}: lexicon format must be 'nltk' or 'arrow', got {kind!r}")


def _read_emoji(resource: str | None) -> dict[str, str]:
    if not resource:
        return {}
    table = {}
    for line in load_text_resource(resource).rstrip("\n").split("\n"):
        parts = line.strip().split("\t")
        if len(parts) >= 2 and len(parts[0]) == 1:
            # vaderSentiment walks the text character by character, so only
            # single-character emoji can ever match; keep exactly those.
            table[parts[0]] = parts[1]
    return table


def load_rule_set(path: str | Path) -> RuleSet:
    """Build a :class:`RuleSet` from one YAML file (the file name is the language code)."""
    path = str(path)
    language = Path(path).stem
    try:
        spec = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ModelError(f"cannot read the sentiment rule set {path!r}: {exc}") from exc
    unknown = sorted(set(spec) - _FIELDS)
    if unknown:
        raise ModelError(f"{path}: unknown field(s) {', '.join(unknown)}; "
                         f"known: {', '.join(sorted(_FIELDS))}")
    if "lexicon" not in spec:
        raise ModelError(f"{path}: a rule set needs a 'lexicon'")
    c = _nltk_constants()
    fold = bool(spec.get("fold_accents", False))
    join = bool(spec.get("join_phrases", False))

    def key(w: str) -> str:
        w = w.lower()
        if fold:
            w = _fold(w)
        return _PHRASE_GAPS.sub("_", w) if join else w

    raw_lexicon = _read_lexicon(spec["lexicon"], path)
    lexicon = {(_fold(w.lower()) if fold else w): v for w, v in raw_lexicon.items()}
    from_nltk = set(spec.get("from_nltk") or [])
    boosters: dict[str, float] = dict(c.BOOSTER_DICT) if "boosters" in from_nltk else {}
    boosters.update({key(w): c.B_INCR for w in _words(spec, "boosters_up", path)})
    boosters.update({key(w): c.B_DECR for w in _words(spec, "boosters_down", path)})
    negations = {key(w) for w in _words(spec, "negations", path)}
    if "negations" in from_nltk:
        negations |= set(c.NEGATE)
    context_idioms = dict(c.SPECIAL_CASE_IDIOMS) if "context_idioms" in from_nltk else {}
    idioms = {key(w): v for w, v in (spec.get("idioms") or {}).items()}
    no_negate = set()
    if spec.get("no_negate"):
        no_negate = {key(w) for w in load_text_resource(spec["no_negate"]["resource"]).split("\n")
                     if w.strip()}
    no_negate |= idioms.keys()  # idioms carry their own negation ("pas terrible")
    supplement = {}
    if spec.get("supplement"):
        extra = yaml.safe_load((Path(path).parent / spec["supplement"]).read_text(encoding="utf-8"))
        supplement = {key(w): float(v) for w, v in extra.items()}
    phrases: list[str] = []
    phrase_valences: dict[str, float] = {}
    if join:
        lexicon_phrases = [w for w in lexicon if _LEXICON_PHRASE.fullmatch(w)]
        phrase_valences = {key(w): lexicon[w] for w in lexicon_phrases}
        phrases = ([w for w in _words(spec, "boosters_up", path) + _words(spec, "boosters_down", path)
                    if " " in w] + [w for w in (spec.get("idioms") or {}) if " " in w]
                   + lexicon_phrases)
    # Lookup order: lexicon, then supplement, then joined lexicon phrases, then idioms.
    valences = {**{k: v for k, v in idioms.items() if v is not None}, **phrase_valences,
                **supplement, **lexicon}
    kind_of = tuple(_words(spec, "kind_of", path)) or None
    if kind_of is not None and len(kind_of) != 2:
        raise ModelError(f"{path}: 'kind_of' must name two words, got {list(kind_of)!r}")
    style = spec.get("negation_style", "once")
    if style not in ("nltk", "once"):
        raise ModelError(f"{path}: negation_style must be 'nltk' or 'once', got {style!r}")
    tokens = spec.get("tokens", "strip")
    if tokens not in ("nltk", "strip"):
        raise ModelError(f"{path}: tokens must be 'nltk' or 'strip', got {tokens!r}")
    return RuleSet(
        language=language, name=str(spec.get("name", language)), lexicon=lexicon,
        valences=valences, emoji=_read_emoji(spec.get("emoji")), boosters=boosters,
        negations=frozenset(negations),
        negation_infixes=tuple(_words(spec, "negation_infixes", path)),
        contrast=frozenset(key(w) for w in _words(spec, "contrast", path)),
        never=frozenset(key(w) for w in _words(spec, "never", path)),
        never_so=frozenset(key(w) for w in _words(spec, "never_so", path)),
        no_negate=frozenset(no_negate),
        not_sentiment=frozenset(w.lower() for w in _words(spec, "not_sentiment", path)),
        least=frozenset(_words(spec, "least", path)),
        least_exceptions=frozenset(_words(spec, "least_exceptions", path)),
        kind_of=kind_of,  # type: ignore[arg-type]
        negation_openers=frozenset(key(w) for w in _words(spec, "negation_openers", path)),
        negation_extenders=frozenset(key(w) for w in _words(spec, "negation_extenders", path)),
        context_idioms=context_idioms,
        booster_bigrams=frozenset(k for k in boosters if " " in k) if not join else frozenset(),
        phrases=tuple(phrases),
        inflections=tuple((key(e), key(r or "")) for e, r in (spec.get("inflections") or [])),
        min_stem=int(spec.get("min_stem", 4)),
        tokens=tokens, strip=str(spec.get("strip", string.punctuation)),
        fold_accents=fold, split_apostrophes=bool(spec.get("split_apostrophes", False)),
        elongation=bool(spec.get("elongation", False)),
        capitalised_unknown_is_name=bool(spec.get("capitalised_unknown_is_name", False)),
        boosters_can_be_words=bool(spec.get("boosters_can_be_words", False)),
        rule_words_case_sensitive=bool(spec.get("rule_words_case_sensitive", False)),
        negation_style=style, shipped_model=bool(spec.get("shipped_model", False)),
        scalars={"B_INCR": c.B_INCR, "B_DECR": c.B_DECR, "C_INCR": c.C_INCR,
                 "N_SCALAR": c.N_SCALAR},
        source=path, join_phrases=join,
    )
