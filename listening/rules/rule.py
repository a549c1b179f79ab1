"""The :class:`Rule` value object and :func:`match_rules`."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import yaml

from ..errors import MentionDataError, RuleFileError
from .engine import evaluate, prefetch
from .index import TokenIndex
from .parser import Node, Words, fold_token, parse_query, positive_units

__all__ = ["DEFAULT_SEVERITY", "FIELD_ORDER", "Rule", "match_rules", "slugify"]

# Middle of the 1-10 scale: an unrated rule neither pages anyone nor hides.
DEFAULT_SEVERITY = 5
SEVERITY_RANGE = (1, 10)
MAX_NAME_CHARS = 100
# YAML field order (the order analysts read a rule file in)
FIELD_ORDER = ("name", "query", "description", "owner", "severity", "language", "created",
               "updated")
_LANGUAGE = re.compile(r"[a-z]{2,3}(\+[a-z]{2,3})*")


def slugify(name: str) -> str:
    """``name`` folded to ``[a-z0-9_]`` (column and file names).

    >>> slugify("Évacuation / Wildfire (Kenora)")
    'evacuation_wildfire_kenora'
    """
    return re.sub(r"[^a-z0-9]+", "_", fold_token(name)).strip("_")


def _date(value, name: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise RuleFileError(f"rule field {name!r} is {value!r}: expected a date like "
                            "2026-11-23", field=name, expected="a date YYYY-MM-DD") from None


@dataclass(frozen=True)
class Rule:
    """A named monitoring rule: a parsed Boolean query plus its library metadata.

    Build one with :meth:`parse` (or the constructor, which parses too); the tree
    is in ``rule.tree``. Invalid metadata raises :class:`RuleFileError` naming the
    field; a malformed query raises :class:`RuleSyntaxError`.

    >>> rule = Rule.parse('"road closure" OR fermeture', name="Road closures")
    >>> rule.column, len(rule.version)
    ('rule_road_closures', 12)
    """

    name: str
    query: str
    description: str = ""
    owner: str = ""
    severity: int = DEFAULT_SEVERITY
    language: str = "und"
    created: dt.date | None = None
    updated: dt.date | None = None
    tree: Node = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("name", "query", "description", "owner", "language"):
            if not isinstance(getattr(self, name), str):
                raise RuleFileError(f"rule field {name!r} is {getattr(self, name)!r}: expected "
                                    "text", field=name, expected="text")
        if not slugify(self.name) or len(self.name) > MAX_NAME_CHARS:
            raise RuleFileError(f"rule name {self.name!r}: expected 1 to {MAX_NAME_CHARS} "
                                "characters including a letter or digit", field="name",
                                expected="a name with a letter or digit")
        lo, hi = SEVERITY_RANGE
        if isinstance(self.severity, bool) or not isinstance(self.severity, (int, np.integer)) \
                or not lo <= self.severity <= hi:
            raise RuleFileError(f"rule severity {self.severity!r}: expected a whole number "
                                f"from {lo} to {hi}", field="severity",
                                expected=f"an integer {lo}-{hi}")
        if not _LANGUAGE.fullmatch(self.language):
            raise RuleFileError(f"rule language {self.language!r}: expected ISO 639-1 codes "
                                "joined by '+', e.g. 'en', 'fr' or 'en+fr' ('und' if unknown)",
                                field="language", expected="e.g. en, fr or en+fr")
        object.__setattr__(self, "severity", int(self.severity))
        object.__setattr__(self, "created", _date(self.created, "created"))
        object.__setattr__(self, "updated", _date(self.updated, "updated"))
        object.__setattr__(self, "tree", parse_query(self.query))

    @classmethod
    def parse(cls, text: str, *, name: str | None = None, description: str = "",
              owner: str = "", severity: int = DEFAULT_SEVERITY, language: str = "und",
              created: dt.date | None = None, updated: dt.date | None = None) -> Rule:
        """Parse a query into a rule; ``name`` defaults to ``query_<version>``."""
        if name is None:
            digest = hashlib.sha256(" ".join(str(text).split()).encode(
                "utf-8", "surrogatepass")).hexdigest()[:8]  # parse_query rejects surrogates
            name = f"query_{digest}"
        return cls(name=name, query=text, description=description, owner=owner,
                   severity=severity, language=language, created=created, updated=updated)

    # ------------------------------------------------------------------ identity
    @property
    def slug(self) -> str:
        return slugify(self.name)

    @property
    def column(self) -> str:
        """Column :func:`match_rules` adds: ``rule_<slug>``."""
        return f"rule_{self.slug}"

    @property
    def version(self) -> str:
        """First 12 hex of sha256 over the normalised query and the name.

        The query is normalised by collapsing white space (the meaning of a
        query never depends on spacing), so re-indenting does not bump it.
        """
        normal = " ".join(self.query.split())
        return hashlib.sha256(f"{normal}\n{self.name.strip()}".encode()).hexdigest()[:12]

    @property
    def terms(self) -> list[Words]:
        """Positive terms and phrases (not under NOT), in query order."""
        return positive_units(self.tree)[0]

    @property
    def excluded_terms(self) -> list[Words]:
        """Terms and phrases under a NOT."""
        return positive_units(self.tree)[1]

    # ------------------------------------------------------------------ matching
    def match(self, frame: pd.DataFrame, *, index: TokenIndex | None = None) -> pd.Series:
        """Boolean Series aligned to ``frame.index``: does each mention match?

        Needs ``text``, plus ``platform``/``language``/``author``/``url``/``country``
        when the query filters on them. The token index is built once per frame and
        cached (or pass ``index=TokenIndex.build(frame)``).
        """
        index = _index_for(frame, index)
        prefetch([self.tree], index)
        mask = evaluate(self.tree, index, frame)
        return pd.Series(mask, index=frame.index, name=self.column, dtype=bool)

    # ------------------------------------------------------------------ saving
    def to_dict(self) -> dict:
        """The YAML fields, in :data:`FIELD_ORDER`."""
        return {name: getattr(self, name) for name in FIELD_ORDER}

    def to_yaml(self) -> str:
        """The rule as a YAML document (``yaml.safe_dump``), headed by its version.

        No anchors or aliases: ``created`` and ``updated`` are often the same date
        object, which PyYAML would otherwise write as ``&id001`` / ``*id001``, a
        form analysts editing the file do not recognise.
        """
        body = yaml.dump(self.to_dict(), Dumper=_PlainDumper, sort_keys=False,
                         allow_unicode=True, width=100)
        return f"# version: {self.version}\n{body}"

    def with_dates(self, today: dt.date | None = None) -> Rule:
        """A copy stamped ``updated=today`` (and ``created`` if it had none)."""
        today = today or dt.datetime.now(dt.UTC).date()
        return replace(self, created=self.created or today, updated=today)


class _PlainDumper(yaml.SafeDumper):
    """``yaml.SafeDumper`` that never writes anchors (``&id001``) for repeated values."""

    def ignore_aliases(self, data) -> bool:
        return True


def _index_for(frame: pd.DataFrame, index: TokenIndex | None) -> TokenIndex:
    if index is None:
        return TokenIndex.for_frame(frame)
    if len(index) != len(frame):
        raise MentionDataError(f"index= was built from {len(index)} rows but the frame has "
                               f"{len(frame)}: pass TokenIndex.build(frame) for this frame")
    return index


def match_rules(frame: pd.DataFrame, rules: Rule | Iterable[Rule], *,
                index: TokenIndex | None = None) -> pd.DataFrame:
    """Add one boolean column ``rule_<name>`` per rule (a copy; ``frame`` is unchanged).

    The token index is built once and shared by every rule; the posting lists of
    all the rules' words are gathered in a single pass. Needs ``text`` (and the
    columns of any field filter used).

    >>> frame = pd.DataFrame({"text": ["Highway 401 closed", "Autoroute fermée"]})
    >>> out = match_rules(frame, [Rule.parse("closed OR fermee", name="Closures")])
    >>> out["rule_closures"].tolist()
    [True, True]
    """
    from tqdm.auto import tqdm

    rules = [rules] if isinstance(rules, Rule) else list(rules)
    seen: dict[str, str] = {}
    for rule in rules:
        if not isinstance(rule, Rule):
            raise TypeError(f"match_rules expects Rule objects, got {type(rule).__name__}: "
                            "use Rule.parse(query, name=...) or load_rules(folder)")
        if rule.column in seen:
            raise RuleFileError(f"rules {seen[rule.column]!r} and {rule.name!r} would both write "
                                f"column {rule.column!r}: rename one", field="name",
                                expected="distinct rule names")
        seen[rule.column] = rule.name
    if not rules:
        return frame.copy()
    index = _index_for(frame, index)
    prefetch([rule.tree for rule in rules], index)
    columns = {}
    for rule in tqdm(rules, desc="rules", unit="rule", disable=None, leave=False):
        columns[rule.column] = pd.Series(evaluate(rule.tree, index, frame), index=frame.index,
                                         dtype=bool)
    return frame.assign(**columns)
