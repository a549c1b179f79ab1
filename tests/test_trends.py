"""Tests for listening.trends: tidy, zero-filled aggregates and term statistics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import listening as ls
from listening import trends
from listening.schema import coerce


def _mentions(times, texts=None, **columns) -> pd.DataFrame:
    n = len(times)
    frame = pd.DataFrame({
        "mention_id": [str(i) for i in range(n)],
        "timestamp": pd.to_datetime(times, utc=True),
        "platform": columns.pop("platform", ["x"] * n),
        "text": texts if texts is not None else ["Highway 401 closed"] * n,
        "source": [f"t#{i}" for i in range(n)],
        **columns,
    })
    return coerce(frame)


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    frame, _ = ls.demo.generate(n_mentions=3_000, days=7, seed=2)
    return frame


def test_volume_fills_empty_bins_with_zero():
    f = _mentions(["2026-11-02 13:10", "2026-11-02 16:40", "2026-11-02 16:50"])
    out = trends.volume(f, freq="1h")
    assert out["mentions"].tolist() == [1, 0, 0, 2]
    assert out["time"].tolist() == list(pd.date_range("2026-11-02 13:00", periods=4,
                                                      freq="h", tz="UTC"))
    assert str(out["time"].dtype) == "datetime64[ns, UTC]"
    assert "time_local" not in out.columns


def test_volume_by_group_zero_fills_every_group_and_honours_start_end():
    f = _mentions(["2026-11-02 13:10", "2026-11-02 15:40"], platform=["x", "reddit"])
    out = trends.volume(f, freq="1h", by="platform", start="2026-11-02 12:00",
                        end="2026-11-02 16:00")
    assert len(out) == 5 * 2  # 12h..16h x {x, reddit}
    assert out["mentions"].sum() == 2
    x = out[out["platform"] == "x"].set_index("time")["mentions"]
    assert x[pd.Timestamp("2026-11-02 13:00", tz="UTC")] == 1
    assert x[pd.Timestamp("2026-11-02 15:00", tz="UTC")] == 0
    assert isinstance(out["platform"].dtype, pd.CategoricalDtype)


def test_daily_bins_follow_the_local_calendar_day_across_dst():
    # Toronto leaves daylight time on 2026-11-01; 03:30 UTC on Nov 2 is still Nov 1 locally.
    f = _mentions(["2026-10-31 12:00", "2026-11-01 03:30", "2026-11-01 12:00",
                   "2026-11-02 03:30", "2026-11-02 06:00"])
    out = trends.volume(f, freq="1D", tz="America/Toronto")
    local = out["time_local"]
    assert (local.dt.hour == 0).all()
    assert [d.day for d in local] == [31, 1, 2]
    assert out["mentions"].tolist() == [2, 2, 1]
    # The UTC instant of local midnight moves by an hour after the change.
    assert out["time"].dt.hour.tolist() == [4, 4, 5]
    assert str(local.dt.tz) == "America/Toronto"


def test_hourly_bins_stay_utc_aligned_with_local_display():
    f = _mentions(["2026-11-02 13:10", "2026-11-02 14:20"])
    out = trends.volume(f, freq="1h", tz="America/Toronto")
    assert out["time"].dt.minute.eq(0).all()
    assert out["time_local"].dt.hour.tolist() == [8, 9]


def test_volume_total_matches_and_input_is_unchanged(demo):
    before = demo.copy(deep=True)
    out = trends.volume(demo, freq="6h", by=["platform", "language"])
    assert out["mentions"].sum() == len(demo)
    pd.testing.assert_frame_equal(demo, before)


def test_bad_frequency_is_named():
    f = _mentions(["2026-11-02 13:10"])
    with pytest.raises(ValueError, match="freq='hourly' is not a pandas frequency"):
        trends.volume(f, freq="hourly")


def test_sentiment_over_time_leaves_empty_bins_without_a_mean():
    f = _mentions(["2026-11-02 01:00", "2026-11-02 02:00", "2026-11-04 05:00"],
                  sentiment=[-0.8, 0.6, 0.0])
    out = trends.sentiment_over_time(f, freq="1D")
    assert out["mentions"].tolist() == [2, 0, 1]
    assert out["mean_sentiment"].iloc[0] == pytest.approx(-0.1)
    assert np.isnan(out["mean_sentiment"].iloc[1])
    assert out[["negative", "neutral", "positive"]].iloc[0].tolist() == [1, 0, 1]
    assert out["negative_share"].iloc[0] == pytest.approx(0.5)
    with pytest.raises(ls.errors.SchemaError, match="needs column\\(s\\) 'sentiment'"):
        trends.sentiment_over_time(f.drop(columns="sentiment"))


def test_topics_over_time_counts_every_mention_once(demo):
    model = ls.fit_topics(demo, n_topics=8, seed=0)
    out = trends.topics_over_time(model, demo, freq="1D", by="platform")
    assert out["mentions"].sum() == len(demo)
    assert set(out["topic"].dropna().astype(int)) == set(model.topic_ids_) | {-1}
    sums = out.groupby(["time", "platform"], observed=True)["share"].sum()
    counts = out.groupby(["time", "platform"], observed=True)["mentions"].sum()
    assert np.allclose(sums[counts > 0], 1.0)
    assert (sums[counts == 0] == 0).all()
    # Using the assigned frame gives the same answer as assigning inside.
    same = trends.topics_over_time(model, model.assign(demo), freq="1D", by="platform")
    pd.testing.assert_frame_equal(out, same)


def test_share_of_voice_with_term_lists_is_accent_and_case_insensitive_and_literal():
    f = _mentions(["2026-11-02"] * 5, texts=[
        "SÉCURITÉ routière", "securite first", "wildfire near Kenora",
        "a (weird) [regex] .* text", "nothing here"])
    out = trends.share_of_voice(f, {"safety": ["sécurité"], "fire": ["Wildfire"],
                                    "regex": [".*", "(weird)"]})
    got = out.set_index("name")["mentions"].to_dict()
    assert got == {"safety": 2, "fire": 1, "regex": 1}
    assert out["share"].sum() == pytest.approx(1.0)
    assert out.set_index("name")["share_of_all"]["safety"] == pytest.approx(2 / 5)


def test_share_of_voice_accepts_rule_queries_and_objects(demo):
    class Everything:
        def match(self, frame):
            return pd.Series(True, index=frame.index)

    out = trends.share_of_voice(demo, {"all": Everything(), "scam": "scam OR arnaque"},
                                freq="1D", tz="America/Toronto")
    assert {"time", "time_local", "name", "mentions", "share", "share_of_all"} <= set(out.columns)
    assert out.loc[out["name"] == "all", "mentions"].sum() == len(demo)
    manual = demo["text"].str.contains("scam|arnaque", case=False).sum()
    assert 0 < out.loc[out["name"] == "scam", "mentions"].sum() <= manual
    with pytest.raises(ValueError, match="non-empty dict"):
        trends.share_of_voice(demo, {})


def test_top_authors_ranks_by_reach_without_summing_audiences():
    f = _mentions(["2026-11-02"] * 4, author=["@big", "@big", "@small", "@mid"],
                  reach=[1000, 1000, 10, 500], likes=[1, 2, 50, 0])
    out = trends.top_authors(f, by="reach", n=2)
    assert out["author"].tolist() == ["@big", "@mid"]
    assert out["reach"].tolist() == [1000, 500]
    assert out["mentions"].tolist() == [2, 1]
    assert trends.top_authors(f, by="engagement")["author"].iloc[0] == "@small"
    with pytest.raises(ValueError, match="by=.* is not accepted; use 'reach', 'mentions' or 'engagement'"):
        trends.top_authors(f, by="followers")


def test_term_log_odds_ranks_over_represented_terms_first():
    out = trends.term_log_odds({"fire": 30, "road": 10, "the": 100},
                               {"fire": 2, "road": 40, "the": 100})
    assert out["term"].tolist()[0] == "fire"
    assert out["term"].tolist()[-1] == "road"
    assert out.set_index("term")["z"]["fire"] > 1.96 > out.set_index("term")["z"]["road"]
    swapped = trends.term_log_odds({"fire": 2, "road": 40, "the": 100},
                                   {"fire": 30, "road": 10, "the": 100})
    assert np.allclose(out.set_index("term")["z"].sort_index(),
                       -swapped.set_index("term")["z"].sort_index())


def test_top_terms_finds_the_burst():
    calm = ["Traffic slow on Highway 11 near Barrie", "Nice day at the beach in Orillia",
            "Snow on Highway 17 near Sudbury"] * 30
    burst = ["Wildfire evacuation ordered near Kenora", "Évacuation à Kenora, feu de forêt"] * 15
    times = ["2026-11-01 12:00"] * len(calm) + ["2026-11-03 12:00"] * len(burst)
    f = _mentions(times, texts=calm + burst)
    out = trends.top_terms(f, since="2026-11-03", n=5)
    assert {"kenora", "evacuation"} <= set(out["term"])
    assert (out["z"] > 0).all() and (out["count_now"] >= 3).all()
    assert list(out.columns) == ["term", "count_now", "count_ref", "rate_now", "rate_ref",
                                 "log_odds", "z"]
    empty = trends.top_terms(f, since="2027-01-01")
    assert empty.empty and list(empty.columns) == list(out.columns)


def test_term_counts_count_mentions_not_tokens():
    counts = trends.term_counts(pd.Series(["fire fire fire", "RT @a: fire", "road"]))
    assert counts["fire"] == 2 and counts["road"] == 1


def test_volume_properties_hold_for_any_timestamps():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.integers(0, 40 * 24 * 3600), min_size=1, max_size=60),
           st.sampled_from(["1h", "6h", "1D", "W"]),
           st.sampled_from([None, "America/Toronto"]))
    def check(seconds, freq, tz):
        times = pd.Timestamp("2026-10-20", tz="UTC") + pd.to_timedelta(seconds, unit="s")
        out = trends.volume(_mentions(times), freq=freq, tz=tz)
        assert out["mentions"].sum() == len(seconds)  # every mention in exactly one bin
        assert out["time"].is_monotonic_increasing and out["time"].is_unique
        assert (out["time"] <= times.min()).any() and (out["time"] <= times.max()).all()
        if tz is not None and freq in ("1D", "W"):
            assert (out["time_local"].dt.hour == 0).all()  # local midnights

    check()
