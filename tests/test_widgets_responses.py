"""listening.responses: which posts may need a reply, and in what order."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from listening.errors import SchemaError
from listening.responses import HALF_LIFE_HOURS, response_candidates
from listening.schema import coerce

T0 = pd.Timestamp("2026-11-01T12:00Z")


def _frame(rows: list[dict]) -> pd.DataFrame:
    base = {"platform": "x", "author": "@someone", "reach": 100, "source": "t#1"}
    out = pd.DataFrame([{**base, "mention_id": str(i), "timestamp": T0, **r}
                        for i, r in enumerate(rows)])
    return coerce(out)


def test_finds_each_kind_in_english_and_french():
    f = _frame([
        {"text": "I will kill the officer who did this"},
        {"text": "This is a hoax, the video was cut off on purpose"},
        {"text": "Waited 3 hours, nobody cares"},
        {"text": "Is the detachment open on Sunday?"},
        {"text": "Un faux policier a appelé ma mère, arnaque!"},
        {"text": "Personne ne répond au téléphone, c'est inacceptable"},
        {"text": "Lovely sunset over the lake"},
    ])
    out = response_candidates(f).set_index("mention_id")
    assert set(out.index) == {"0", "1", "2", "3", "4", "5"}
    assert out.loc["0", "response_category"] == "threat"
    assert out.loc["1", "response_category"] == "misinformation"
    assert out.loc["2", "response_category"] == "complaint"
    assert out.loc["3", "response_category"] == "question"
    assert out.loc["4", "response_category"] == "misinformation"
    assert out.loc["5", "response_category"] == "complaint"
    assert "personne ne repond" in out.loc["5", "cues"]


def test_priority_is_reach_times_negativity_times_urgency():
    f = _frame([
        {"text": "Is the road open?", "reach": 100, "sentiment": 0.0},
        {"text": "Is the road open?", "reach": 100_000, "sentiment": 0.0},
        {"text": "Is the road open?", "reach": 100_000, "sentiment": -0.8},
        {"text": "Is the road open?", "reach": 100_000, "sentiment": -0.8,
         "timestamp": T0 - pd.Timedelta(hours=HALF_LIFE_HOURS)},
    ])
    out = response_candidates(f, now=T0).set_index("mention_id")
    p = out["priority"]
    assert p["1"] > p["0"]          # more reach
    assert p["2"] > p["1"]          # more negative
    assert p["3"] == pytest.approx(p["2"] / 2)   # one half-life older
    row = out.loc["2"]
    assert row["priority"] == pytest.approx(row["reach_factor"] * row["negativity"]
                                            * row["urgency"])
    assert out.index.tolist()[0] == "2"
    assert "reach 100,000" in out.loc["2", "reason"] and "question" in out.loc["2", "reason"]


def test_threats_outrank_questions_and_labels_are_used():
    f = _frame([
        {"text": "Where do evacuees go?", "sentiment_label": "neutral"},
        {"text": "Watch your back, we know where you live", "sentiment_label": "negative"},
    ])
    out = response_candidates(f)
    assert out["mention_id"].tolist() == ["1", "0"]
    assert out["negativity"].tolist() == [0.85, 0.5]


def test_retweets_and_own_accounts_are_not_candidates():
    f = _frame([
        {"text": "RT @jane: Is the 401 closed?"},
        {"text": "Is the 401 closed?", "author": "@OPP_News"},
        {"text": "Is the 401 closed?", "author": "@jane"},
    ])
    assert response_candidates(f)["mention_id"].tolist() == ["2"]
    assert response_candidates(f, own_accounts=[])["mention_id"].tolist() == ["1", "2"]


def test_words_match_whole_words_only():
    f = _frame([{"text": "Skill testing at the range today"},   # 'kill' inside a word
                {"text": "A scammer called"}])                     # 'scam*' stem
    assert response_candidates(f)["mention_id"].tolist() == ["1"]


def test_input_unchanged_empty_and_errors():
    f = _frame([{"text": "Is it open?"}, {"text": "Nice"}])
    before = f.copy()
    response_candidates(f)
    pd.testing.assert_frame_equal(f, before)
    none = response_candidates(_frame([{"text": "Nice"}]))
    assert none.empty and {"priority", "reason"} <= set(none.columns)
    with pytest.raises(SchemaError, match="needs column"):
        response_candidates(f.drop(columns="text"))
    with pytest.raises(ValueError, match="unknown categories"):
        response_candidates(f, categories=("rants",))
    only = response_candidates(_frame([{"text": "Is it a scam?"}]), categories=("question",))
    assert only["categories"].tolist() == ["question"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=60), min_size=1, max_size=8))
def test_any_text_is_safe(texts):
    """Regex metacharacters, emoji, empty strings: never an error, always sorted."""
    f = _frame([{"text": t if t.strip() else "x"} for t in texts])
    out = response_candidates(f)
    assert out["priority"].is_monotonic_decreasing
    assert set(out["mention_id"]) <= set(f["mention_id"])
