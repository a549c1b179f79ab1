"""Monitoring rules: Boolean queries, parsed into a tree and matched vectorised.

>>> import listening as ls
>>> rule = ls.Rule.parse('("road closure" OR collision*) AND NOT platform:news')  # doctest: +SKIP
>>> hits = rule.match(frame)                       # doctest: +SKIP
>>> frame = ls.match_rules(frame, ls.load_rules("data/rules"))   # doctest: +SKIP
>>> result = ls.backtest(rule, frame, incidents=truth)           # doctest: +SKIP

Query language (pasted Brandwatch / Talkwalker / Meltwater rules work as is)
---------------------------------------------------------------------------
``fire``            a word; also matches the hashtag ``#fire`` and handle ``@fire``
``"road closure"``  an exact phrase (consecutive words); “curly” and « French »
                    quotes work too; ``"a b"~5`` (Talkwalker, Lucene) means ``a NEAR/5 b``
                    (either order; Lucene charges two extra moves for the reversed
                    order, so it is a little stricter there)
``a AND b``         both; ``AND``, ``OR``, ``NOT`` must be upper case (``and`` is a word)
``a b``             **implicit AND**: adjacent operands are joined with AND
``a OR b``          either
``NOT a``, ``-a``   exclusion; ``a NOT b`` means ``a AND NOT b``
``( ... )``         grouping
``evac*``           wildcard ``*``: any run of word characters (zero or more);
``organi?e``        ``?``: exactly one character. Inside or at the end of a word,
                    never first. In quoted phrases ``*`` is a wildcard but ``?`` is
                    punctuation, so a pasted sentence ending in "?" still matches
``a NEAR/n b``      ``a`` and ``b`` with at most n words *between* them, either
                    order: ``fraud NEAR/3 officer`` matches "fraud by a fake
                    officer"; ``NEAR/0`` means adjacent. This is how Brandwatch's
                    NEAR/n and Lucene's (Talkwalker's) proximity slop count;
``a ONEAR/n b``     ... with ``a`` first (Brandwatch's ``NEAR/nf`` is accepted too).
                    Either side may be a term, phrase or ``(group OR of terms)``
``#tag``, ``@user`` only the hashtag / only the handle
``platform:x``      field filters: ``platform:`` (``twitter`` = ``x``), ``lang:``
``lang:fr``         (alias ``language:``), ``author:`` (``@`` optional, wildcards
``site:cbc.ca``     allowed), ``site:`` (host of the url, subdomains included,
``country:CA``      ``www.`` ignored), ``country:``; values in quotes may hold spaces
``{BP}``            exact case *and* accents for one term or ``{"phrase"}``

Matching is case-insensitive and accent-insensitive by default (``Surete``
matches ``Sûreté``; ``{Sûreté}`` matches only that spelling). Words are runs of
Unicode word characters; punctuation and line breaks separate words, and links
inside the text are not searched (use ``site:``).

Precedence, tightest first: NEAR/ONEAR, NOT, AND (explicit or implicit), OR.
So ``a OR b AND c`` is ``a OR (b AND c)``, as in Brandwatch; use parentheses
when in doubt. Malformed queries raise :class:`listening.errors.RuleSyntaxError`
with the column, what was expected there and a caret under the query.

Safety
------
The query is tokenised and parsed by hand into a tree (:mod:`.parser`); user
text never reaches ``eval``, ``exec``, ``DataFrame.query`` or Python's ``re``.
Wildcards are resolved against the vocabulary of distinct tokens with RE2
(linear time, see :mod:`.index`); queries are capped in length and nesting.

Design decision: columns, not a long table
------------------------------------------
:func:`match_rules` adds **one boolean column per rule**, named ``rule_<slug>``
(the rule name lower-cased, accent-folded, runs of other characters turned into
``_``). DESIGN.md allowed a long ``rule_hits`` table instead; columns keep the
mention frame the single table every stage takes (filters in the explorer are
``frame[frame.rule_x]``), cost one byte per mention per rule, and a long table
is one ``melt`` away.

Public names: :class:`Rule`, :func:`load_rules`, :func:`save_rule`,
:func:`match_rules`, :func:`backtest`, :class:`BacktestResult`, :func:`dead_filters`,
:class:`TokenIndex`.
"""

from __future__ import annotations

from .backtest import BacktestResult, backtest
from .filters import dead_filters
from .index import TokenIndex
from .library import load_rule, load_rules, save_rule
from .parser import parse_query
from .rule import Rule, match_rules, slugify

__all__ = [
    "BacktestResult",
    "Rule",
    "TokenIndex",
    "backtest",
    "dead_filters",
    "load_rule",
    "load_rules",
    "match_rules",
    "parse_query",
    "save_rule",
    "slugify",
]
