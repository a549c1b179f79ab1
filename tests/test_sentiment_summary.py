"""ls.sentiment_summary: label shares per group with seeded bootstrap intervals."""

import numpy as np
import pandas as pd
import pytest

import listening as ls
from listening.errors import SchemaError


@pytest.fixture
def labelled():
    rng = np.random.default_rng(1)
    n = 1000
    platform = np.where(np.arange(n) < 800, "x", "news")
    label = np.where(platform == "x",
                     rng.choice(["negative", "neutral", "positive"], n, p=[0.3, 0.5, 0.2]),
                     rng.choice(["negative", "neutral", "positive"], n, p=[0.1, 0.8, 0.1]))
    label = pd.Series(label, dtype="object")
    label.iloc[::97] = None  # unscored mentions are left out
    return pd.DataFrame({"platform": platform, "language": "en",
                         "sentiment_label": label.astype("category")})


def test_tidy_shares_and_intervals(labelled):
    before = labelled.copy(deep=True)
    out = ls.sentiment_summary(labelled, by="platform")
    pd.testing.assert_frame_equal(labelled, before)
    assert list(out.columns) == ["group", "label", "share", "low", "high", "n"]
    assert len(out) == 6 and set(out["group"]) == {"x", "news"}
    sums = out.groupby("group")["share"].sum()
    assert np.allclose(sums, 1.0)
    assert (out["low"] <= out["share"]).all() and (out["share"] <= out["high"]).all()
    scored = labelled["sentiment_label"].notna()
    assert out.groupby("group")["n"].first().to_dict() == \
        labelled[scored].groupby("platform").size().to_dict()
    x_neg = out[(out.group == "x") & (out.label == "negative")].iloc[0]
    expected = (labelled[scored & (labelled.platform == "x")]["sentiment_label"] == "negative").mean()
    assert x_neg["share"] == pytest.approx(expected)
    # binomial standard error at n ~ 790, p ~ 0.3 is ~1.6 points: the 95% interval is ~±3.2
    assert x_neg["high"] - x_neg["low"] == pytest.approx(2 * 1.96 * np.sqrt(0.3 * 0.7 / 792), abs=0.01)


def test_seeded_and_reproducible(labelled):
    a = ls.sentiment_summary(labelled, by="platform", seed=7)
    b = ls.sentiment_summary(labelled, by="platform", seed=7)
    c = ls.sentiment_summary(labelled, by="platform", seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert not a["low"].equals(c["low"])


def test_overall_and_several_columns(labelled):
    overall = ls.sentiment_summary(labelled)
    assert overall["group"].unique().tolist() == ["all"]
    assert overall["n"].iloc[0] == labelled["sentiment_label"].notna().sum()
    multi = ls.sentiment_summary(labelled, by=["platform", "language"])
    assert set(multi["group"]) == {"x / en", "news / en"}


def test_errors(labelled):
    with pytest.raises(SchemaError, match="sentiment_label"):
        ls.sentiment_summary(labelled.drop(columns="sentiment_label"))
    with pytest.raises(SchemaError, match="'region'"):
        ls.sentiment_summary(labelled, by="region")
    bad = labelled.assign(sentiment_label="angry")
    with pytest.raises(ValueError, match="'angry'"):
        ls.sentiment_summary(bad)
