"""Back-testing: hits over time, examples, near-misses, accuracy, alerts and delays."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import listening as ls
from listening.errors import MentionDataError
from listening.rules import Rule, backtest


def small_frame() -> pd.DataFrame:
    times = pd.to_datetime([
        "2026-11-01 10:00", "2026-11-01 11:00", "2026-11-02 09:00", "2026-11-02 09:10",
        "2026-11-02 09:20", "2026-11-02 09:30", "2026-11-03 08:00", "2026-11-03 08:30",
        "2026-11-03 09:00", "2026-11-05 12:00"], utc=True)
    texts = [
        "fire near the mill", "fire drill at school", "wildfire evacuation now",
        "fire and smoke, evacuation ordered", "evacuation centre open", "fire fire fire",
        "fire evacuation update", "fire evacuation shelters", "more fire evacuation news",
        "quiet day",
    ]
    return pd.DataFrame({
        "mention_id": [f"m{i}" for i in range(10)], "timestamp": times, "text": texts,
        "platform": pd.Categorical(["x"] * 10), "reach": range(10),
    })


def test_hits_over_time_examples_and_metrics():
    frame = small_frame()
    before = frame.copy()
    result = backtest(Rule.parse("fire AND evacuation", name="Fire"), frame, freq="1D")
    pd.testing.assert_frame_equal(frame, before)
    hot = result.hits_over_time
    assert list(hot.columns) == ["period", "mentions", "hits", "share", "alert"]
    assert hot["hits"].tolist() == [0, 1, 3, 0, 0]
    assert hot["mentions"].tolist() == [2, 4, 3, 0, 1]
    assert hot["share"].iloc[2] == 1.0
    assert set(result.examples["mention_id"]) == {"m3", "m6", "m7", "m8"}
    assert result.examples["reach"].is_monotonic_decreasing        # most reached first
    assert result.metric("hits") == 4 and result.metric("mentions") == 10
    assert math.isclose(result.metric("hit_rate"), 0.4)


def test_near_misses_are_partial_matches_with_reasons():
    result = backtest("fire AND evacuation NOT drill", small_frame())
    near = result.near_misses.set_index("mention_id")
    # has one required part but not the other
    assert near.loc["m0", "missing_terms"] == "evacuation"
    assert near.loc["m0", "reason"] == "missing evacuation"
    assert near.loc["m4", "matched_terms"] == "evacuation"
    assert "m1" in near.index and near.loc["m1", "missing_terms"] == "evacuation"
    # hits and mentions with none of the terms are never near-misses
    assert not {"m3", "m6", "m9"} & set(near.index)
    excluded = backtest("fire NOT drill", small_frame()).near_misses
    assert excluded["mention_id"].tolist() == ["m1"]
    assert excluded["reason"].iloc[0] == "excluded by NOT drill"
    assert excluded["excluded_by"].iloc[0] == "drill"


def test_near_miss_reports_distance_for_near():
    result = backtest("fire NEAR/1 evacuation", small_frame())
    near = result.near_misses.set_index("mention_id")
    # both present, two words between
    assert "more than 1 word between them" in near.loc["m3", "reason"]
    assert near.loc["m0", "reason"] == "missing evacuation"
    assert backtest("fire", small_frame()).near_misses.empty      # a single term has none


def test_precision_recall_from_series_or_ids():
    frame = small_frame()
    truth_ids = {"m2", "m3", "m6", "m7"}
    by_ids = backtest("fire AND evacuation", frame, labels=truth_ids)
    assert (by_ids.metric("tp"), by_ids.metric("fp"), by_ids.metric("fn")) == (3, 1, 1)
    assert by_ids.metric("precision") == pytest.approx(0.75)
    assert by_ids.metric("recall") == pytest.approx(0.75)
    series = frame["mention_id"].isin(truth_ids)
    by_series = backtest("fire AND evacuation", frame, labels=series)
    pd.testing.assert_frame_equal(by_ids.metrics, by_series.metrics)
    with pytest.raises(MentionDataError, match="labels"):
        backtest("fire", frame, labels=5)


def test_alerts_merge_consecutive_bins_and_delay_to_incidents():
    frame = small_frame()
    incidents = pd.DataFrame({
        "incident": ["evacuation", "nothing"],
        "onset": pd.to_datetime(["2026-11-02 09:00", "2026-11-05 00:00"], utc=True),
        "end": pd.to_datetime(["2026-11-03 12:00", "2026-11-05 23:00"], utc=True),
    })
    result = backtest("evacuation", frame, incidents=incidents, freq="1D", alert_threshold=2)
    # days with >= 2 hits: Nov 2 (3 hits) and Nov 3 (3 hits) -> one merged alert
    assert len(result.alerts) == 1
    alert = result.alerts.iloc[0]
    assert alert["start"] == pd.Timestamp("2026-11-02", tz="UTC")
    assert alert["end"] == pd.Timestamp("2026-11-04", tz="UTC")
    assert alert["hits"] == 6
    # raised when the 2nd hit of Nov 2 arrived (09:10)
    assert alert["raised_at"] == pd.Timestamp("2026-11-02 09:10", tz="UTC")
    table = result.incidents.set_index("incident")
    assert table.loc["evacuation", "detected"]
    assert table.loc["evacuation", "delay"] == pd.Timedelta("10min")
    assert table.loc["evacuation", "delay_hours"] == pytest.approx(1 / 6)
    assert not table.loc["nothing", "detected"]
    assert result.metric("alerts") == 1
    assert result.metric("incidents_detected") == 1
    assert result.metric("alerts_per_week") == pytest.approx(1 / (5 / 7))


def test_automatic_threshold_has_a_floor():
    result = backtest("fire", small_frame(), freq="1D")
    assert result.metric("alert_threshold") >= 3


def test_incident_log_needs_onset_and_end():
    with pytest.raises(MentionDataError, match="onset"):
        backtest("fire", small_frame(), incidents=pd.DataFrame({"start": []}))


def test_backtest_on_demo_data_detects_the_incident():
    frame, truth = ls.demo.generate(n_mentions=6_000, seed=3)
    rules = {r.slug: r for r in ls.load_rules()}
    result = ls.backtest(rules["road_closures"], frame, incidents=truth, freq="1h")
    closure = result.incidents.set_index("incident").loc["highway_401_closure"]
    assert closure["detected"]
    assert closure["delay_hours"] < 3
    assert closure["incident_recall"] > 0.9
    # Outside the incident the demo also carries official warnings, partner alerts and news
    # about the same scam, which the rule rightly matches: score it during the incident.
    incident = truth.set_index("incident").loc["police_impersonation_scam"]
    during = frame[(frame["timestamp"] >= incident["onset"]) & (frame["timestamp"] <= incident["end"])]
    scam = ls.backtest(rules["police_impersonation_scam"], during,
                       labels=set(incident["mention_ids"]))
    assert scam.metric("precision") > 0.9 and scam.metric("recall") > 0.9
    assert {"hits_over_time", "examples", "near_misses", "metrics", "incidents"} <= \
        set(vars(scam))


def test_weekly_bins_are_labelled_by_their_start():
    result = backtest("fire OR evacuation", small_frame(), freq="1W", alert_threshold=2)
    hot = result.hits_over_time
    assert hot["period"].tolist() == [pd.Timestamp("2026-11-01", tz="UTC")]   # a Sunday
    assert hot["hits"].tolist() == [9]
    alert = result.alerts.iloc[0]
    assert (alert["start"], alert["end"]) == (pd.Timestamp("2026-11-01", tz="UTC"),
                                              pd.Timestamp("2026-11-08", tz="UTC"))
    assert alert["raised_at"] == pd.Timestamp("2026-11-01 11:00", tz="UTC")
