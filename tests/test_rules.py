"""Rule language: parsing, matching table, errors, safety (fuzz, pathological wildcards)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import listening as ls
from listening.errors import RuleSyntaxError, SchemaError
from listening.rules import Rule, TokenIndex, match_rules
from listening.rules.parser import MAX_DEPTH, MAX_QUERY_CHARS, And, Or, parse_query
from listening.schema import coerce

ROWS = {
    "closure": (("Highway 401 CLOSED westbound near Kingston after a collision. Road closure "
                 "until 6pm #ONHwys"), "x", "en", "@jane", "https://x.com/jane/status/1", "CA"),
    "french": (("L'autoroute 417 est fermée près d'Ottawa. La Sûreté du Québec aide à "
                "l'évacuation"), "facebook", "fr", "Marc Tremblay", "https://www.facebook.com/p/2",
               "CA"),
    "scam": ("SCAM ALERT: someone impersonating an OPP officer asked for gift cards!! @OPP_News",
             "reddit", "en", "u/throwaway", "https://old.reddit.com/r/ontario/3", "US"),
    "near_break": ("The fire\n\nnear the old mill – evacuation\nordered now", "news", "en",
                   "OPP_News", "https://news.opp.ca/release/4", "CA"),
    "hashtag": ("Stay safe everyone #Wildfire #ÉvacuationKenora", "instagram", "en",
                "@OPP_North", "https://www.opp.ca/5", None),
    "handle": ("Thanks @OPP_News and @SQ_Police", "x", "en", "@Fan", "https://notopp.ca/6", "CA"),
    "case": ("BP spill near the river; bp says nothing", "news", "en", "CBC", None, "CA"),
    "wild": ("Organise or organize? Evacuate, evacuated, evacuees", "x", "en-CA", "@w",
             "https://x.com/w/7", None),
    "empty": ("", "x", "und", None, None, None),
    "na": (None, "other", "und", None, None, None),
}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    raw = pd.DataFrame(
        [dict(zip(("text", "platform", "language", "author", "url", "country"), values))
         for values in ROWS.values()], index=pd.Index(list(ROWS), name="key"))
    raw["mention_id"] = [f"m{i}" for i in range(len(raw))]
    raw["timestamp"] = pd.Timestamp("2026-11-01", tz="UTC")
    return coerce(raw)


ALL = set(ROWS)
CASES = [
    # terms, case and accents
    ("closed", {"closure"}),
    ("CLOSED", {"closure"}),
    ("surete", {"french"}),
    ("SÛRETÉ", {"french"}),
    ("fermee", {"french"}),
    ("Québec", {"french"}),
    ("autoroute", {"french"}),          # "L'autoroute": the apostrophe splits words
    ("d'Ottawa", {"french"}),           # a term with an apostrophe is a phrase "d ottawa"
    ("{Sûreté}", {"french"}),
    ("{Surete}", set()),
    ("{sûreté}", set()),
    ('{"Sûreté du Québec"}', {"french"}),
    ("{BP}", {"case"}),
    ("{bp}", {"case"}),
    ("bp", {"case"}),
    # phrases
    ('"road closure"', {"closure"}),
    ('"closure road"', set()),
    ('"Sûreté du Quebec"', {"french"}),
    ("“road closure”", {"closure"}),          # curly quotes
    ("« aide à l'évacuation »", {"french"}),  # French quotes
    ('"cards!! @opp_news"', {"scam"}),        # punctuation inside a phrase is not a word
    # hashtags and handles
    ("#wildfire", {"hashtag"}),
    ("wildfire", {"hashtag"}),               # a plain word also matches the hashtag
    ("#WILDFIRE", {"hashtag"}),
    ("@wildfire", set()),
    ("#evacuation*", {"hashtag"}),
    ("@opp_news", {"scam", "handle"}),
    ("#opp_news", set()),
    ("opp_news", {"scam", "handle"}),
    ("@SQ_Police", {"handle"}),
    ("#onhwys", {"closure"}),
    # wildcards
    ("evacuat*", {"near_break", "french", "wild", "hashtag"}),
    ("evacuation*", {"near_break", "french", "hashtag"}),
    ("organi?e", {"wild"}),
    ("organi?", set()),
    ("evacuee?", {"wild"}),
    ("evacuee*", {"wild"}),                  # * matches zero characters too
    ("evacuat*d", {"wild"}),
    ("e*e*e*s", {"wild"}),
    ("e?acu*", {"near_break", "french", "wild", "hashtag"}),
    ("collision*", {"closure"}),
    ("{Evac*}", {"wild"}),
    ("{evac*}", {"near_break", "wild"}),
    ('"old mil*"', {"near_break"}),          # wildcard inside a phrase
    ('"or organize?"', {"wild"}),            # '?' in a quoted phrase is punctuation
    # NEAR / ONEAR count the words *between* the two sides (Brandwatch, Lucene slop),
    # across punctuation and line breaks: "fire" and "evacuation" have 4 words between
    ("fire NEAR/4 evacuation", {"near_break"}),
    ("fire NEAR/3 evacuation", set()),
    ("evacuation NEAR/0 ordered", {"near_break"}),   # NEAR/0: adjacent
    ("evacuation NEAR/1 ordered", {"near_break"}),
    ("mill NEAR/0 evacuation", {"near_break"}),      # "–" is not a word
    ("evacuation NEAR/4 fire", {"near_break"}),
    ("evacuation NEAR/3 fire", set()),
    ("evacuation ONEAR/4 fire", set()),
    ("fire ONEAR/4 evacuation", {"near_break"}),
    ("ordered NEAR/3f evacuation", set()),
    ("evacuation NEAR/3f ordered", {"near_break"}),
    ("evacuation NEAR/0f ordered", {"near_break"}),
    ('"old mill" NEAR/1 ordered', {"near_break"}),
    ('"old mill" NEAR/0 ordered', set()),
    ("(fire OR smoke) NEAR/4 (evacuation OR shelter)", {"near_break"}),
    ('(smoke OR "the fire") NEAR/4 (shelter OR "evacuation ordered")', {"near_break"}),
    ('(smoke OR "the fire") NEAR/3 (shelter OR "evacuation ordered")', set()),
    ('"fire evacuation"~4', {"near_break"}),
    ('"fire evacuation"~3', set()),
    ("(kingston OR ottawa) NEAR/2 (collision OR fermee)", {"closure", "french"}),
    ("(kingston OR ottawa) NEAR/1 (collision OR fermee)", set()),
    ("closed NEAR/30 ottawa", set()),        # words in different mentions never meet
    # Boolean operators and precedence
    ("scam AND gift", {"scam"}),
    ("scam gift", {"scam"}),                 # implicit AND
    ("scam OR spill", {"scam", "case"}),
    ("officer NOT gift", set()),
    ("officer AND NOT gift", set()),
    ("opp_news -scam", {"handle"}),
    ("NOT closed", ALL - {"closure"}),
    ("NOT NOT closed", {"closure"}),
    ("spill OR scam AND kingston", {"case"}),          # AND binds tighter than OR
    ("(spill OR scam) AND kingston", set()),
    ("kingston OR scam gift", {"closure", "scam"}),
    ("kingston AND closed OR bp", {"closure", "case"}),
    ("-(closed OR scam OR fire) AND near", {"case"}),
    ("and", {"handle"}),                      # lower-case operators are plain words
    ("NEARBY OR ORDERED", {"near_break"}),    # upper-case words that start like operators
    ("near", {"closure", "near_break", "case"}),
    # field filters
    ("platform:news", {"near_break", "case"}),
    ("platform:twitter", {"closure", "handle", "wild", "empty"}),
    ("platform:X", {"closure", "handle", "wild", "empty"}),
    ("lang:fr", {"french"}),
    ("language:en", {"closure", "scam", "near_break", "hashtag", "handle", "case", "wild"}),
    ("site:opp.ca", {"near_break", "hashtag"}),   # subdomains included, notopp.ca not
    ("site:www.opp.ca", {"near_break", "hashtag"}),
    ("site:reddit.com", {"scam"}),
    ("site:https://x.com/anything", {"closure", "wild"}),
    ("country:ca", {"closure", "french", "near_break", "handle", "case"}),
    ("author:@opp_news", {"near_break"}),
    ("author:OPP*", {"near_break", "hashtag"}),
    ('author:"Marc Tremblay"', {"french"}),
    ("closed AND NOT platform:x", set()),
    ("(collision OR spill) AND NOT platform:news", {"closure"}),
    ("(platform:news OR lang:fr) AND (evacuation OR spill)", {"near_break", "case", "french"}),
]


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[q for q, _ in CASES])
def test_match_table(frame, query, expected):
    hits = Rule.parse(query).match(frame)
    assert hits.index.equals(frame.index)
    assert hits.dtype == bool
    assert set(hits[hits].index) == expected


def test_near_counts_the_words_between_as_the_vendors_do():
    """The issue's example: three words between "fraud" and "officer" is NEAR/3."""
    frame = pd.DataFrame({"text": ["fraud by a fake officer", "officer: fraud", "fraud officer",
                                   "fraud reported by a fake police officer"]})
    assert Rule.parse("fraud NEAR/3 officer").match(frame).tolist() == [True, True, True, False]
    assert Rule.parse("fraud NEAR/2 officer").match(frame).tolist() == [False, True, True, False]
    assert Rule.parse("fraud ONEAR/0 officer").match(frame).tolist() == [False, False, True, False]
    assert Rule.parse('"fraud officer"~3').match(frame).tolist() == [True, True, True, False]


def test_every_case_also_matches_through_match_rules(frame):
    rules = [Rule.parse(q, name=f"case {i}") for i, (q, _) in enumerate(CASES)]
    out = match_rules(frame, rules)
    for i, (_, expected) in enumerate(CASES):
        column = out[f"rule_case_{i}"]
        assert set(column[column].index) == expected, CASES[i][0]


def test_precedence_tree_shape():
    tree = parse_query("a OR b AND c")
    assert isinstance(tree, Or) and isinstance(tree.children[1], And)
    assert str(parse_query("a b OR c")) == "a AND b OR c"
    assert str(parse_query("NOT a b")) == "NOT a AND b"


ERRORS = [
    # query, column, expected text
    ("fire AND", 9, "a term or '(' after AND"),
    ("road closure AND OR fire", 18, "a term or '(' after AND"),
    ("(fire OR smoke", 15, "')'"),
    ("fire)", 5, "AND, OR or the end of the query"),
    ('"road closure', 14, "a closing quote"),
    ("NEAR/3 fire", 1, "a term or '(' at the start of the query"),
    ("fire NEAR/x smoke", 10, "'/' and a number after NEAR"),
    ("fire NEAR smoke", 10, "'/' and a number after NEAR"),
    ("fire NEAR/201 smoke", 11, "a number from 0 to"),
    ("fire NEAR/3 (smoke AND ash)", 13, "terms joined by OR inside the group after NEAR/3"),
    ("(fire AND ash) NEAR/3 smoke", 1, "a term, phrase or (terms joined by OR) before NEAR/3"),
    ("fire NEAR/3", 12, "a term, phrase or '(' after NEAR/3"),
    ("a NEAR/2 b NEAR/3 c", 12, "AND, OR or ')' after a NEAR/2 expression"),
    ("*fire", 1, "a letter or digit before '*'"),
    ("fire OR ?moke", 9, "a letter or digit before '?'"),
    ("platform:twitterx", 10, "one of x, facebook"),
    ("fire AND foo:bar", 10, "one of platform:, lang:"),
    ("()", 2, "a term or '(' after '('"),
    ("{Sûreté", 8, "'}'"),
    ("fire AND NOT", 13, "a term or '(' after NOT"),
    ("", 1, "a term or '(' at the start of the query"),
    ("lang:", 6, "a value after 'lang:'"),
    ("fire OR &", 9, "a term"),
    ("https://opp.ca", 1, "site:host"),
    ('"a b c"~3', 1, "two words in the quotes"),
    ("a NEAR/" + "9" * 5000 + " b", 7, "'/' and a number after NEAR"),
    ('"a b"~' + "9" * 5000, 7, "a number from 0 to"),
]


@pytest.mark.parametrize(("query", "column", "expected"), ERRORS, ids=[q[:40] for q, *_ in ERRORS])
def test_syntax_errors_name_column_and_expectation(query, column, expected):
    with pytest.raises(RuleSyntaxError, match="column") as info:
        Rule.parse(query)
    err = info.value
    assert err.column == column
    assert expected in err.expected
    assert f"column {column}" in str(err)
    if query:
        lines = str(err).splitlines()
        # the caret line points under the fault in the echoed query
        assert lines[-1].index("^") - 2 == column - 1
        assert lines[-2].strip() == query.strip()


def test_error_message_example_from_the_issue():
    with pytest.raises(RuleSyntaxError, match=r"expected a term or '\(' after AND.* at column 18"):
        Rule.parse("road closure AND OR fire")


def test_limits_raise_clear_errors():
    with pytest.raises(RuleSyntaxError, match="at most"):
        Rule.parse("fire OR " * (MAX_QUERY_CHARS // 8) + "smoke")
    with pytest.raises(RuleSyntaxError, match="nested more than"):
        Rule.parse("(" * (MAX_DEPTH + 1) + "fire" + ")" * (MAX_DEPTH + 1))
    with pytest.raises(RuleSyntaxError, match="nested more than"):
        Rule.parse("NOT " * (MAX_DEPTH + 1) + "fire")
    assert Rule.parse("(" * 20 + "fire" + ")" * 20).query


_PIECES = ["fire", "évac*", "a?c", '"', "(", ")", "AND", "OR", "NOT", "NEAR/3", "ONEAR/2",
           "NEAR/", "NEAR/3f", "#tag", "@who", "{", "}", "{BP}", "platform:x", "lang:",
           "site:opp.ca", "author:o*", "foo:bar", "*", "?", "-", "~2", "“", "»", ":", "\n",
           "'", "l'eau", "x" * 30, "\x00", "🚓", "é", "\\", "$", "^"]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.lists(st.sampled_from(_PIECES), max_size=25).map(" ".join),
    st.lists(st.sampled_from(_PIECES), max_size=25).map("".join),
    st.text(max_size=200),
))
def test_fuzz_parser_raises_only_rule_syntax_errors(frame, query):
    try:
        rule = Rule.parse(query)
    except RuleSyntaxError as err:
        assert 0 <= err.position <= len(query) + 1
        assert err.expected
        return
    # whatever parses also matches without error and gives a boolean per row
    hits = rule.match(frame)
    assert hits.dtype == bool and len(hits) == len(frame)


def test_pathological_wildcard_over_long_text():
    long_a = "a" * 20_000
    frame = pd.DataFrame({"text": [
        long_a + "b",                       # one huge token that matches
        long_a,                             # same without the final b: must not match
        " ".join(["a"] * 20_000) + " b",    # many short tokens, none matching alone
        "ababababab abab",                  # a short one that matches, one too short
        "aaaaab",
    ]})
    hits = Rule.parse("a*a*a*a*a*b").match(frame)
    assert hits.tolist() == [True, False, False, True, True]
    assert Rule.parse('"a*a*a*a*a*b"').match(frame).tolist() == [True, False, False, True, True]


def test_regex_and_code_characters_are_literal():
    frame = pd.DataFrame({"text": ["a.b and c|d", "ab", "__import__ os"]})
    assert Rule.parse("a.b").match(frame).tolist() == [True, False, False]   # phrase "a b"
    assert Rule.parse('"c|d"').match(frame).tolist() == [True, False, False]
    assert Rule.parse("__import__").match(frame).tolist() == [False, False, True]
    with pytest.raises(RuleSyntaxError):
        Rule.parse(".*")


def test_index_is_built_once_for_many_rules(frame, monkeypatch):
    calls = []
    original = TokenIndex.build.__func__

    def counting(cls, f, **kw):
        calls.append(1)
        return original(cls, f, **kw)

    monkeypatch.setattr(TokenIndex, "build", classmethod(counting))
    fresh = frame.copy()
    rules = [Rule.parse(q, name=f"r{i}") for i, (q, _) in enumerate(CASES[:15])]
    match_rules(fresh, rules)
    Rule.parse("closed").match(fresh)
    Rule.parse("fire NEAR/5 evacuation").match(fresh)
    assert len(calls) == 1
    index = TokenIndex.build(frame)
    assert Rule.parse("closed").match(frame, index=index).sum() == 1
    assert len(calls) == 2


def test_cache_notices_a_different_frame(frame):
    first = frame.copy()
    assert Rule.parse("closed").match(first).sum() == 1
    second = frame.copy()
    second["text"] = second["text"].str.replace("CLOSED", "open")
    assert Rule.parse("closed").match(second).sum() == 0


def test_match_rules_adds_columns_and_keeps_input(frame):
    before = frame.copy()
    rules = [Rule.parse("closed", name="Road closures"),
             Rule.parse("surete", name="Sûreté / SQ!")]
    out = match_rules(frame, rules)
    pd.testing.assert_frame_equal(frame, before)
    assert list(out.columns[-2:]) == ["rule_road_closures", "rule_surete_sq"]
    assert out["rule_surete_sq"].dtype == bool
    assert out.loc["french", "rule_surete_sq"]
    with pytest.raises(ls.errors.RuleFileError, match="rule_road_closures"):
        match_rules(frame, rules + [Rule.parse("x", name="road-closures")])


def test_missing_field_column_is_named():
    with pytest.raises(SchemaError, match="url"):
        Rule.parse("site:opp.ca").match(pd.DataFrame({"text": ["x"]}))


def test_index_from_another_frame_is_refused(frame):
    index = TokenIndex.build(frame.iloc[:3])
    with pytest.raises(ls.errors.MentionDataError, match="TokenIndex.build"):
        Rule.parse("closed").match(frame, index=index)


def test_public_names_are_exported():
    assert ls.Rule is Rule
    assert ls.match_rules is match_rules
    assert callable(ls.load_rules) and callable(ls.backtest)


def test_rows_indexed_without_deduplication_match_the_same(frame, monkeypatch):
    import listening.rules.index as index_module

    monkeypatch.setattr(index_module, "_DEDUPE_SAMPLE", 4)
    monkeypatch.setattr(index_module, "MIN_DUPLICATE_SHARE", 2.0)     # never worth it
    index = TokenIndex.build(frame)
    assert index.n_texts == len(frame)
    rules = [Rule.parse(q, name=f"case {i}") for i, (q, _) in enumerate(CASES)]
    out = match_rules(frame, rules, index=index)
    for i, (query, expected) in enumerate(CASES):
        column = out[f"rule_case_{i}"]
        assert set(column[column].index) == expected, query
    monkeypatch.setattr(index_module, "MIN_DUPLICATE_SHARE", 0.0)     # always worth it
    assert TokenIndex.build(frame).n_texts == len(frame) - 1          # "" and missing


# ---------------------------------------------------------------- reference model
# A slow, obviously-correct matcher (one text at a time, plain Python) checked
# against the vectorised index on random texts and random queries.
_VOCAB = ["fire", "Fire", "feu", "évacuation", "evacuation", "#fire", "@opp", "opp", "road",
          "closed", "fermée", "l'autoroute", "a", "the"]
_SEPARATORS = [" ", "  ", ", ", ".\n", " – ", "! "]


def _reference_tokens(text: str) -> list[tuple[str, str, str]]:
    """(kind, folded body, raw body) of each word, as the index defines them."""
    import re

    from listening.rules.parser import WORD_PATTERN, fold_token

    out = []
    for piece in text.split():
        if piece.startswith(("http://", "https://", "www.")):
            continue
        for tok in re.findall(WORD_PATTERN, piece):
            kind = tok[0] if tok[0] in "#@" else ""
            raw = tok[len(kind):].lstrip("#@")
            out.append((kind, fold_token(raw), raw))
    return out


def _reference_match(node, tokens) -> bool:
    from fnmatch import fnmatchcase

    from listening.rules.parser import And, Near, Not, Or, Words

    def word_at(word, i):
        kind, folded, raw = tokens[i]
        if word.kind and word.kind != kind:
            return False
        return fnmatchcase(raw if word.exact else folded, word.body)

    def spans(n):
        if isinstance(n, Or):
            return [s for c in n.children for s in spans(c)]
        k = len(n.words)
        return [(i, i + k - 1) for i in range(len(tokens) - k + 1)
                if all(word_at(w, i + j) for j, w in enumerate(n.words))]

    if isinstance(node, Words):
        return bool(spans(node))
    if isinstance(node, Near):
        a, b = spans(node.left), spans(node.right)
        # at most `distance` words between: positions 1 .. distance + 1 apart
        return any(1 <= s2 - e1 <= node.distance + 1 or
                   (not node.ordered and 1 <= s1 - e2 <= node.distance + 1)
                   for s1, e1 in a for s2, e2 in b)
    if isinstance(node, Not):
        return not _reference_match(node.child, tokens)
    results = [_reference_match(c, tokens) for c in node.children]
    return all(results) if isinstance(node, And) else any(results)


_terms = st.sampled_from(["fire", "FIRE", "feu", "evacuation", "évac*", "e?acuation", "#fire",
                          "@opp", "opp", "road", "ferm*", "autoroute", "{Fire}", "{fire}",
                          '"road closed"', '"l\'autoroute fermée"', '"fire fire"', "a", "the*"])


def _queries(max_leaves: int = 6):
    near = st.builds(lambda a, b, n, op: f"{a} {op}/{n} {b}", _terms, _terms,
                     st.integers(0, 4), st.sampled_from(["NEAR", "ONEAR"]))
    group = st.lists(_terms, min_size=1, max_size=3).map(lambda ts: "(" + " OR ".join(ts) + ")")
    group_near = st.builds(lambda a, b, n: f"{a} NEAR/{n} {b}", group, group, st.integers(0, 3))
    leaf = st.one_of(_terms, near, group_near)
    return st.recursive(leaf, lambda inner: st.one_of(
        st.builds(lambda a, b, op: f"({a} {op} {b})", inner, inner,
                  st.sampled_from(["AND", "OR", ""])),
        inner.map(lambda q: f"NOT {q}")), max_leaves=max_leaves)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.lists(st.tuples(st.sampled_from(_VOCAB), st.sampled_from(_SEPARATORS)),
                               max_size=12).map(lambda ws: "".join(w + s for w, s in ws)),
                      min_size=1, max_size=8),
       query=_queries())
def test_vectorised_matching_agrees_with_a_reference_model(texts, query):
    rule = Rule.parse(query)
    frame = pd.DataFrame({"text": texts})
    expected = [_reference_match(rule.tree, _reference_tokens(t)) for t in texts]
    assert rule.match(frame, index=TokenIndex.build(frame)).tolist() == expected


def test_cached_index_is_freed_with_its_frame(frame):
    import gc

    from listening.rules import index as index_module

    temporary = frame.copy()
    Rule.parse("closed").match(temporary)
    key = (id(temporary), "text")
    assert key in index_module._CACHE
    del temporary
    gc.collect()
    assert key not in index_module._CACHE
