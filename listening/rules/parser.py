"""Tokenise and parse a monitoring-rule query into a small tree.

A hand-written lexer and recursive-descent parser: user text only ever becomes
node objects (:class:`Words`, :class:`Near`, :class:`Field`, :class:`And`,
:class:`Or`, :class:`Not`); nothing is evaluated, executed or compiled as a
regular expression here. Grammar, loosest binding first::

    query     := or_expr END
    or_expr   := and_expr ("OR" and_expr)*
    and_expr  := unary (["AND"] unary)*          # adjacent operands: implicit AND
    unary     := ("NOT" | "-") unary | near_expr
    near_expr := primary [("NEAR/n" | "ONEAR/n" | "NEAR/nf") primary]
    primary   := term | "phrase" ["~n"] | {exact} | field:value | "(" or_expr ")"

Limits keep parsing bounded on any input: :data:`MAX_QUERY_CHARS` characters and
:data:`MAX_DEPTH` levels of parentheses / NOT.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import RuleSyntaxError
from ..schema import PLATFORMS
from ..text import fold_accents, normalize_text

__all__ = [
    "FIELDS",
    "MAX_DEPTH",
    "MAX_NEAR",
    "MAX_QUERY_CHARS",
    "And",
    "Field",
    "Near",
    "Node",
    "Not",
    "Or",
    "Word",
    "Words",
    "fold_token",
    "parse_query",
    "positive_units",
]

# Brandwatch caps a query at 4,096 characters and Talkwalker at a few thousand;
# 20,000 leaves room for long bilingual rules while bounding parse time.
MAX_QUERY_CHARS = 20_000
# Nesting deeper than this is never written by hand; it bounds recursion.
MAX_DEPTH = 64
# Proximity beyond a few dozen words is no longer "near"; vendors cap it similarly.
MAX_NEAR = 200

# field name as typed (lower case) -> canonical field
FIELDS: dict[str, str] = {
    "platform": "platform", "lang": "lang", "language": "lang", "author": "author",
    "site": "site", "country": "country",
}
# what vendors call platforms that the schema spells differently
PLATFORM_ALIASES: dict[str, str] = {"twitter": "x", "fb": "facebook", "ig": "instagram",
                                    "yt": "youtube", "bsky": "bluesky"}

# A word of text: optional # or @ then word characters. The same pattern (plus
# the wildcard characters) splits query terms, so both sides agree on words.
WORD_PATTERN = r"[#@]?\w+"
_QUERY_WORD = re.compile(r"[#@]?[\w*?]+")
_PHRASE_WORD = re.compile(r"[#@]?[\w*]+")   # '?' in a quoted phrase is punctuation
_NEAR = re.compile(r"(O?NEAR)/(\d{1,6})(f?)")
_FIELD = re.compile(r"([A-Za-z_]+):(.*)", re.DOTALL)
_QUOTES = {'"': '"”', "“": '”"', "„": '“”"', "«": "»"}
_STOP = set(' \t\r\n\f\v()"“”„«»{}')


def fold_token(token: str) -> str:
    """Lower-case and strip accents: the key of the default (insensitive) mode."""
    return fold_accents(token.lower())


# ---------------------------------------------------------------------------- nodes
@dataclass(frozen=True)
class Word:
    """One word pattern: ``body`` (folded unless ``exact``), ``kind`` '', '#' or '@'."""

    body: str
    kind: str = ""
    exact: bool = False

    @property
    def wildcard(self) -> bool:
        return "*" in self.body or "?" in self.body


@dataclass(frozen=True)
class Words:
    """A term (one word) or an exact phrase (consecutive words)."""

    words: tuple[Word, ...]
    source: str = field(default="", compare=False)
    pos: int = field(default=0, compare=False)

    def __str__(self) -> str:
        return self.source


@dataclass(frozen=True)
class Near:
    """``left`` and ``right`` with at most ``distance`` words *between* them
    (``ordered``: left first). ``NEAR/0`` is an adjacent pair; see :mod:`.engine`."""

    left: Node
    right: Node
    distance: int
    ordered: bool = False
    pos: int = field(default=0, compare=False)

    def __str__(self) -> str:
        op = "ONEAR" if self.ordered else "NEAR"
        return f"{_group(self.left)} {op}/{self.distance} {_group(self.right)}"


@dataclass(frozen=True)
class Field:
    """A metadata filter such as ``platform:x`` or ``site:cbc.ca``."""

    name: str
    value: str
    pos: int = field(default=0, compare=False)

    def __str__(self) -> str:
        value = f'"{self.value}"' if re.search(r'[\s()"]', self.value) else self.value
        return f"{self.name}:{value}"


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]
    pos: int = field(default=0, compare=False)

    def __str__(self) -> str:
        return " AND ".join(_group(c) if isinstance(c, Or) else str(c) for c in self.children)


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]
    pos: int = field(default=0, compare=False)

    def __str__(self) -> str:
        return " OR ".join(str(c) for c in self.children)


@dataclass(frozen=True)
class Not:
    child: Node
    pos: int = field(default=0, compare=False)

    def __str__(self) -> str:
        return f"NOT {_group(self.child) if isinstance(self.child, (And, Or)) else self.child}"


Node = Words | Near | Field | And | Or | Not


def _group(node: Node) -> str:
    return f"({node})" if isinstance(node, (And, Or, Near)) else str(node)


def positive_units(node: Node, *, negated: bool = False) -> tuple[list[Words], list[Words]]:
    """The rule's terms and phrases split into (positive, negated) lists.

    Terms inside a NEAR count as positive terms on their own; field filters are
    not terms. Used for near-misses in :func:`listening.rules.backtest`.
    """
    pos: list[Words] = []
    neg: list[Words] = []
    if isinstance(node, Words):
        (neg if negated else pos).append(node)
    elif isinstance(node, Near):
        for child in (node.left, node.right):
            p, n = positive_units(child, negated=negated)
            pos += p
            neg += n
    elif isinstance(node, (And, Or)):
        for child in node.children:
            p, n = positive_units(child, negated=negated)
            pos += p
            neg += n
    elif isinstance(node, Not):
        p, n = positive_units(node.child, negated=not negated)
        pos += p
        neg += n
    return pos, neg


# ---------------------------------------------------------------------------- lexer
@dataclass
class _Tok:
    kind: str          # TERM PHRASE EXACT FIELD LPAREN RPAREN AND OR NOT NEAR END
    text: str
    pos: int
    value: object = None


def _error(query: str, pos: int, message: str, expected: str) -> RuleSyntaxError:
    if "at column" not in message:
        message = f"{message} at column {pos + 1}"
    return RuleSyntaxError(message, query=query, position=pos, expected=expected)


def _read_quoted(query: str, start: int) -> tuple[str, int]:
    """Text between the quote at ``start`` and its closing quote; index after it."""
    closers = _QUOTES[query[start]]
    i = start + 1
    while i < len(query) and query[i] not in closers:
        i += 1
    if i >= len(query):
        raise _error(query, len(query), f"unclosed phrase: expected a closing quote at column "
                     f"{len(query) + 1} for the phrase opened at column {start + 1}",
                     "a closing quote")
    return query[start + 1:i], i + 1


def _lex(query: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch == "(":
            toks.append(_Tok("LPAREN", ch, i))
            i += 1
        elif ch == ")":
            toks.append(_Tok("RPAREN", ch, i))
            i += 1
        elif ch in _QUOTES:
            text, j = _read_quoted(query, i)
            tok = _Tok("PHRASE", query[i:j], i, text)
            m = re.match(r"~(\d{1,6})", query[j:])
            if m:
                tok.value = (text, int(m.group(1)))
                j += m.end()
            toks.append(tok)
            i = j
        elif ch in "”»":
            raise _error(query, i, f"unexpected closing quote {ch!r}",
                         "an opening quote before it")
        elif ch == "{":
            j = query.find("}", i + 1)
            if j < 0:
                raise _error(query, len(query), f"unclosed '{{': expected '}}' at column "
                             f"{n + 1} to close the exact-case term opened at column {i + 1}",
                             "'}'")
            toks.append(_Tok("EXACT", query[i:j + 1], i, query[i + 1:j]))
            i = j + 1
        elif ch == "}":
            raise _error(query, i, "unexpected '}'", "a '{' before it")
        elif ch == "-" and i + 1 < n and (query[i + 1] == "(" or query[i + 1] in _QUOTES
                                          or query[i + 1].isalnum() or query[i + 1] in "#@{") \
                and (i == 0 or query[i - 1].isspace() or query[i - 1] == "("):
            toks.append(_Tok("NOT", "-", i))       # Talkwalker / Google style exclusion
            i += 1
        else:
            j = i
            while j < n and query[j] not in _STOP:
                j += 1
            toks.append(_classify(query, query[i:j], i))
            i = j
            if toks[-1].kind == "FIELD" and toks[-1].value[1] == "":
                if i < n and query[i] in _QUOTES:
                    text, i = _read_quoted(query, i)
                    toks[-1].value = (toks[-1].value[0], text.strip())
                if not toks[-1].value[1]:
                    name = toks[-1].text
                    raise _error(query, i, f"empty field filter: expected a value after "
                                 f"'{name}'", f"a value after '{name}'")
    toks.append(_Tok("END", "", n))
    return toks


def _classify(query: str, lexeme: str, pos: int) -> _Tok:
    if lexeme in ("AND", "OR", "NOT"):
        return _Tok(lexeme, lexeme, pos)
    if lexeme in ("NEAR", "ONEAR") or lexeme.startswith(("NEAR/", "ONEAR/")):
        m = _NEAR.fullmatch(lexeme)
        if not m:
            op = "ONEAR" if lexeme.startswith("O") else "NEAR"
            raise _error(query, pos + len(op), f"malformed {lexeme!r}: expected '/' and a "
                         f"number of words after {op} (e.g. {op}/5)",
                         f"'/' and a number after {op}")
        distance = int(m.group(2))
        if not 0 <= distance <= MAX_NEAR:
            raise _error(query, pos + len(m.group(1)) + 1, f"{lexeme}: expected a number of "
                         f"words from 0 to {MAX_NEAR}", f"a number from 0 to {MAX_NEAR}")
        ordered = m.group(1) == "ONEAR" or m.group(3) == "f"
        return _Tok("NEAR", lexeme, pos, (distance, ordered))
    m = _FIELD.fullmatch(lexeme)
    if m:
        name = m.group(1).lower()
        if name in FIELDS:
            return _Tok("FIELD", m.group(1) + ":", pos, (FIELDS[name], m.group(2)))
        if m.group(2).startswith("//"):
            raise _error(query, pos, f"web address {lexeme!r} is not a term: use "
                         "site:host to filter on the mention's url", "site:host")
        if not m.group(1).startswith("_"):
            allowed = ", ".join(f"{f}:" for f in FIELDS)
            raise _error(query, pos, f"unknown field '{m.group(1)}:'",
                         f"one of {allowed}")
    return _Tok("TERM", lexeme, pos)


# ---------------------------------------------------------------------------- words
def _words(query: str, text: str, pos: int, *, phrase: bool, exact: bool) -> Words:
    pattern = _PHRASE_WORD if phrase else _QUERY_WORD
    words: list[Word] = []
    for m in pattern.finditer(text):
        raw = m.group()
        kind = raw[0] if raw[0] in "#@" else ""
        body = raw[len(kind):]
        if body.strip("*?") == "":
            raise _error(query, pos + m.start(), f"{raw!r} has no letters or digits: expected "
                         "a word before the wildcard", "a letter or digit")
        if body[0] in "*?":
            raise _error(query, pos + m.start() + len(kind), f"a wildcard cannot start a word "
                         f"({raw!r}): expected a letter or digit before {body[0]!r}",
                         f"a letter or digit before {body[0]!r}")
        if not exact:
            body = fold_token(body)
        words.append(Word(body, kind, exact))
    if not words:
        raise _error(query, pos, f"{text!r} has no letters or digits to match: expected a term",
                     "a term")
    source = f'"{text}"' if phrase else text
    return Words(tuple(words), source=f"{{{source}}}" if exact else source, pos=pos)


# ---------------------------------------------------------------------------- parser
_PRIMARY = {"TERM", "PHRASE", "EXACT", "FIELD", "LPAREN"}


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.toks = _lex(query)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def _after(self) -> str:
        if self.i == 0:
            return "at the start of the query"
        prev = self.toks[self.i - 1]
        shown = prev.text if prev.kind in ("AND", "OR", "NOT", "NEAR") else repr(prev.text)
        return f"after {shown}"

    def fail(self, message: str, expected: str, pos: int | None = None) -> RuleSyntaxError:
        return _error(self.query, self.tok.pos if pos is None else pos, message, expected)

    def expect_operand(self) -> None:
        if self.tok.kind in _PRIMARY or self.tok.kind == "NOT":
            return
        what = "end of the query" if self.tok.kind == "END" else repr(self.tok.text)
        raise self.fail(f"expected a term or '(' {self._after()}, found {what}",
                        f"a term or '(' {self._after()}")

    def parse(self) -> Node:
        self.expect_operand()
        node = self.or_expr()
        if self.tok.kind != "END":
            if self.tok.kind == "RPAREN":
                raise self.fail("unexpected ')' with no '(' open: expected AND, OR or the end "
                                "of the query", "AND, OR or the end of the query")
            raise self.fail(f"unexpected {self.tok.text!r}: expected AND, OR or the end of the "
                            "query", "AND, OR or the end of the query")
        return node

    def or_expr(self) -> Node:
        start = self.tok.pos
        children = [self.and_expr()]
        while self.tok.kind == "OR":
            self.i += 1
            self.expect_operand()
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else Or(tuple(children), pos=start)

    def and_expr(self) -> Node:
        start = self.tok.pos
        children = [self.unary()]
        while True:
            if self.tok.kind == "AND":
                self.i += 1
                self.expect_operand()
            elif not (self.tok.kind in _PRIMARY or self.tok.kind == "NOT"):
                break
            children.append(self.unary())
        return children[0] if len(children) == 1 else And(tuple(children), pos=start)

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"query nested more than {MAX_DEPTH} levels deep: expected fewer "
                            "parentheses or NOTs", f"at most {MAX_DEPTH} levels of nesting")

    def unary(self) -> Node:
        if self.tok.kind == "NOT":
            start = self.tok.pos
            self.i += 1
            self.expect_operand()
            self.enter()
            child = self.unary()
            self.depth -= 1
            return Not(child, pos=start)
        return self.near_expr()

    def near_expr(self) -> Node:
        left = self.primary()
        if self.tok.kind != "NEAR":
            return left
        near = self.tok
        distance, ordered = near.value
        if not _proximity_ok(left):
            raise self.fail(f"{near.text} needs a term, phrase or (terms joined by OR) on its "
                            f"left, found {_describe(left)}",
                            f"a term, phrase or (terms joined by OR) before {near.text}",
                            pos=left.pos)
        self.i += 1
        if self.tok.kind not in ("TERM", "PHRASE", "EXACT", "LPAREN"):
            what = "end of the query" if self.tok.kind == "END" else repr(self.tok.text)
            raise self.fail(f"expected a term, phrase or '(' after {near.text}, found {what}",
                            f"a term, phrase or '(' after {near.text}")
        right = self.primary()
        if not _proximity_ok(right):
            raise self.fail(f"{near.text} needs a term, phrase or (terms joined by OR) on its "
                            f"right, found {_describe(right)}",
                            f"terms joined by OR inside the group after {near.text}",
                            pos=right.pos)
        if self.tok.kind == "NEAR":
            raise self.fail(f"{near.text} cannot be chained with {self.tok.text}: expected AND, "
                            "OR or ')' (combine NEAR expressions with AND)",
                            f"AND, OR or ')' after a {near.text} expression")
        return Near(left, right, distance, ordered, pos=left.pos)

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind == "LPAREN":
            self.i += 1
            self.enter()
            self.expect_operand()
            node = self.or_expr()
            if self.tok.kind != "RPAREN":
                raise self.fail(f"expected ')' at column {self.tok.pos + 1} to close the '(' "
                                f"opened at column {tok.pos + 1}", "')'")
            self.depth -= 1
            self.i += 1
            return _with_pos(node, tok.pos)
        self.i += 1
        if tok.kind == "TERM":
            return _words(self.query, tok.text, tok.pos, phrase=False, exact=False)
        if tok.kind == "PHRASE":
            if isinstance(tok.value, tuple):
                return _tilde(self.query, tok)
            return _words(self.query, tok.value, tok.pos + 1, phrase=True, exact=False)
        if tok.kind == "EXACT":
            inner = tok.value
            stripped = inner.strip()
            offset = tok.pos + 1 + (len(inner) - len(inner.lstrip()))
            if stripped[:1] in _QUOTES:
                end = next((k for k in range(1, len(stripped))
                            if stripped[k] in _QUOTES[stripped[0]]), -1)
                if end < 0 or stripped[end + 1:].strip():
                    raise _error(self.query, offset + (len(stripped) if end < 0 else end + 1),
                                 "expected one quoted phrase then '}' in an exact-case group",
                                 "a closing quote then '}'")
                return _words(self.query, stripped[1:end], offset + 1, phrase=True, exact=True)
            if not stripped or re.search(r"\s", stripped):
                raise _error(self.query, offset, "expected one term or one \"phrase\" between "
                             "'{' and '}'", "one term or one \"phrase\"")
            return _words(self.query, stripped, offset, phrase=False, exact=True)
        if tok.kind == "FIELD":
            return _field(self.query, tok)
        raise self.fail(f"unexpected {tok.text!r}", "a term or '('")  # pragma: no cover


def _with_pos(node: Node, pos: int) -> Node:
    if isinstance(node, (And, Or)):
        return type(node)(node.children, pos=pos)
    return node


def _tilde(query: str, tok: _Tok) -> Node:
    text, distance = tok.value
    words = _words(query, text, tok.pos + 1, phrase=True, exact=False)
    if len(words.words) != 2:
        raise _error(query, tok.pos, f"'\"...\"~{distance}' proximity needs exactly two words: "
                     "expected two words in the quotes, or use NEAR/n between groups",
                     "two words in the quotes")
    if not 0 <= distance <= MAX_NEAR:
        raise _error(query, tok.pos + len(text) + 3, f"~{distance}: expected a number of words "
                     f"from 0 to {MAX_NEAR}", f"a number from 0 to {MAX_NEAR}")
    a, b = (Words((w,), source=w.body, pos=tok.pos) for w in words.words)
    return Near(a, b, distance, False, pos=tok.pos)


def _field(query: str, tok: _Tok) -> Field:
    name, value = tok.value
    value_pos = tok.pos + len(tok.text)
    value = normalize_text(value).strip()
    if name == "platform":
        key = PLATFORM_ALIASES.get(value.lower(), value.lower())
        if key not in PLATFORMS:
            raise _error(query, value_pos, f"unknown platform {value!r}: expected one of "
                         f"{', '.join(PLATFORMS)}", f"one of {', '.join(PLATFORMS)}")
        value = key
    elif name == "site":
        value = value.lower().removeprefix("https://").removeprefix("http://")
        value = value.removeprefix("www.").split("/")[0]
        if not re.fullmatch(r"[\w.-]+", value):
            raise _error(query, value_pos, f"site:{value!r} is not a host name: expected a "
                         "host such as cbc.ca", "a host such as cbc.ca")
    elif name == "author":
        value = value.removeprefix("@")
        if value[:1] in ("*", "?"):
            raise _error(query, value_pos, "a wildcard cannot start an author: expected a "
                         "letter or digit first", "a letter or digit")
    if not value:
        raise _error(query, value_pos, f"empty field filter: expected a value after "
                     f"'{tok.text}'", f"a value after '{tok.text}'")
    return Field(name, value, pos=tok.pos)


def _proximity_ok(node: Node) -> bool:
    if isinstance(node, Words):
        return True
    if isinstance(node, Or):
        return all(_proximity_ok(c) for c in node.children)
    return False


def _describe(node: Node) -> str:
    return {And: "an AND group", Or: "a group containing AND/NOT", Not: "a NOT",
            Field: "a field filter", Near: "a NEAR expression"}.get(type(node), "an expression")


_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_query(query: str) -> Node:
    """Parse ``query`` into a tree; raise :class:`RuleSyntaxError` if it is malformed.

    >>> str(parse_query('fire OR smoke evacuation'))
    'fire OR smoke AND evacuation'
    """
    if not isinstance(query, str):
        raise RuleSyntaxError(f"a rule query must be text, not {type(query).__name__}",
                              expected="a query string")
    if len(query) > MAX_QUERY_CHARS:
        raise RuleSyntaxError(f"query is {len(query):,} characters long: expected at most "
                              f"{MAX_QUERY_CHARS:,} (split it into several rules)",
                              query=query[:80], position=min(len(query), 80),
                              expected=f"at most {MAX_QUERY_CHARS:,} characters")
    lone = _SURROGATE.search(query)
    if lone is not None:
        # Half of a UTF-16 pair (e.g. from a JSON "\ud83d" without its partner) is
        # not text: it cannot be encoded, printed or matched. Shown as U+FFFD.
        raise _error(_SURROGATE.sub("\ufffd", query), lone.start(),
                     f"character U+{ord(lone.group()):04X} is half of a UTF-16 pair, not "
                     "text (the query was probably damaged when copied); retype it",
                     "text without lone surrogates")
    return _Parser(normalize_text(query)).parse()
