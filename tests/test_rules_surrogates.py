"""Any ``str`` gives a rule or a RuleSyntaxError, lone surrogates included (#15.6)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listening.errors import RuleSyntaxError
from listening.rules import Rule, parse_query

# Every code point, surrogates (category Cs) included: st.text() leaves them out.
ANY_CHAR = st.characters(exclude_categories=())
FRAME = pd.DataFrame({"text": ["fire near Kenora", "a\ufffdb", "rien"]})


@pytest.mark.parametrize("query", ["a\ud800b", "\udfff", "fire AND \ud83d", "\"smoke \udc00\""])
def test_lone_surrogates_are_syntax_errors_that_can_be_printed(query):
    with pytest.raises(RuleSyntaxError, match="half of a UTF-16 pair") as err:
        Rule.parse(query)
    assert query[err.value.position] in "\ud800\udfff\ud83d\udc00"
    str(err.value).encode("utf-8")  # the caret message itself is printable
    with pytest.raises(RuleSyntaxError):
        parse_query(query)


def test_characters_beyond_the_bmp_are_not_taken_for_surrogates():
    frame = pd.DataFrame({"text": ["fire near Kenora", "\U0002070e \U0001f692", "rien"]})
    assert Rule.parse("\U0002070e OR kenora").match(frame).tolist() == [True, True, False]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(ANY_CHAR, max_size=60),
                 st.lists(st.sampled_from(["fire", "AND", "OR", "NOT", "(", ")", "\"", "\ud800",
                                           "\udc00", "é", "*"]), max_size=12).map(" ".join)))
def test_any_text_gives_a_rule_or_a_syntax_error(query):
    try:
        rule = Rule.parse(query)
    except RuleSyntaxError as err:
        assert 0 <= err.position <= len(query) + 1 and err.expected
        str(err).encode("utf-8")
        return
    assert rule.match(FRAME).dtype == bool
