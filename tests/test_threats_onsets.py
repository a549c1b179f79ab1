"""Gradual onsets (term bursts) and quarter-hour bins (hour-level baseline, windowed volume)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from listening.demo import generate
from listening.threats import (
    SIGNALS,
    detect_threats,
    format_alerts,
    register_signal,
    unregister_signal,
)
from listening.threats.baseline import make_grid, seasonal_expectation
from tests.test_threats import START, TZ, _inject, _stream

ONSET = START + pd.Timedelta("15D 13h")
# The event's own words, a little more each hour: the volume rises ~1.3x, 1.5x, 1.9x...
RAMP = (3, 6, 10, 15, 22, 30, 40)


def _gradual(base: pd.DataFrame) -> pd.DataFrame:
    frame = base
    for h, n in enumerate(RAMP):
        text = (f"Tornado warning near Orillia, take shelter now ({h})" if h % 2 else
                f"A tornado touched down west of Orillia, stay safe everyone ({h})")
        frame = _inject(frame, ONSET + pd.Timedelta(hours=h), n, text, seed=10 + h, minutes=59, prefix=f"t{h}")
    return frame


@pytest.fixture(scope="module")
def gradual() -> pd.DataFrame:
    return _gradual(_stream(21, rate=30, seed=5))


@pytest.fixture
def without_term_burst():
    spec = unregister_signal("term_burst")
    try:
        yield
    finally:
        register_signal(spec)


def _first_hour_after_onset(alerts: pd.DataFrame, freq: str) -> float:
    first = alerts.sort_values("start").iloc[0]
    return (first["start"] + pd.Timedelta(freq) - ONSET.tz_convert("UTC")) / pd.Timedelta("1h")


def test_a_gradual_onset_is_caught_by_its_words_before_the_volume_doubles(gradual):
    alerts = detect_threats(gradual, by=("all",), max_alerts=None)
    assert len(alerts) == 1, format_alerts(alerts)
    row = alerts.iloc[0]
    assert row["signal"] == "term_burst"
    assert "tornado" in row["terms"]
    assert _first_hour_after_onset(alerts, "1h") <= 3  # the hour with 10 of its mentions
    event_words = ("tornado", "touched", "west", "shelter", "warning")
    assert any(f"'{w}'" in row["why"] for w in event_words), row["why"]
    assert "expected from its rate over the stream" in row["why"]
    assert any(f"« {w} »" in row["why_fr"] for w in event_words), row["why_fr"]


def test_without_term_bursts_the_same_onset_is_seen_later(gradual, without_term_burst):
    alerts = detect_threats(gradual, by=("all",), max_alerts=None)
    assert "term_burst" not in SIGNALS
    assert len(alerts) == 0 or _first_hour_after_onset(alerts, "1h") > 3


def test_quarter_bins_see_the_onset_and_say_which_hour(gradual):
    alerts = detect_threats(gradual, by=("all",), freq="15min", max_alerts=None)
    assert len(alerts) == 1, format_alerts(alerts)
    row = alerts.iloc[0]
    assert row["signal"] == "term_burst"
    assert _first_hour_after_onset(alerts, "15min") <= 3
    assert "in the hour to " in row["why"]  # its counts are the hour up to the quarter


@pytest.mark.parametrize("freq", ["1h", "15min"])
def test_incident_free_demo_streams_raise_no_alert(freq):
    for seed in (0, 1):
        quiet, _ = generate(n_mentions=20_000, days=28, seed=seed, incidents=None)
        alerts = detect_threats(quiet, freq=freq, max_alerts=None)
        assert len(alerts) == 0, format_alerts(alerts)


def test_quarter_baseline_is_the_hour_baseline_spread_over_the_hour(gradual):
    ts = gradual["timestamp"]
    hg, hb = make_grid(ts, "1h", TZ)
    qg, qb = make_grid(ts, "15min", TZ)
    H = np.bincount(hb, minlength=hg.n)[None, :].astype(float)
    Q = np.bincount(qb, minlength=qg.n)[None, :].astype(float)
    E_h, mode_h = seasonal_expectation(H, hg)
    E_q, mode_q = seasonal_expectation(Q, qg)
    hour_of = np.searchsorted(hg.starts.asi8, qg.starts.asi8, side="right") - 1
    np.testing.assert_allclose(E_q[0], E_h[0, hour_of] / 4)
    np.testing.assert_array_equal(mode_q, mode_h[hour_of])


def test_one_clearly_abnormal_quarter_alerts_in_that_quarter():
    base = _stream(21, rate=30, seed=6)
    at = START + pd.Timedelta("16D 10h 15min")
    frame = _inject(base, at, 45, "Collision on Highway 11, two lanes closed near Gravenhurst", seed=3,
                    minutes=14)
    alerts = detect_threats(frame, by=("all",), freq="15min")
    assert len(alerts) == 1, format_alerts(alerts)
    assert alerts.iloc[0]["start"] == at.tz_convert("UTC")
    assert "in the 15 minutes to " in alerts.iloc[0]["why"]


def test_topic_segments_raise_no_word_bursts_on_an_incident_free_stream():
    import listening as ls

    quiet, _ = generate(n_mentions=20_000, days=14, seed=2, incidents=None)
    quiet = ls.fit_topics(quiet, n_topics="auto", seed=0).assign(quiet)
    alerts = detect_threats(quiet, by=("all", "topic"), max_alerts=None)
    assert "term_burst" not in set(alerts["signal"]), format_alerts(alerts)


@pytest.mark.parametrize("freq", ["1h", "15min"])
def test_word_bursts_online_equal_batch(gradual, freq):
    cut = (ONSET + pd.Timedelta("12h")).tz_convert("UTC")
    batch = detect_threats(gradual, by=("all",), freq=freq, max_alerts=None)
    online = detect_threats(gradual[gradual["timestamp"] < cut], by=("all",), freq=freq,
                            since=cut - pd.Timedelta("2D"), max_alerts=None)
    cols = ["alert_key", "start", "end", "signal", "observed", "expected", "score", "terms", "why"]
    assert "term_burst" in set(batch["signal"])
    pd.testing.assert_frame_equal(batch[cols].reset_index(drop=True), online[cols].reset_index(drop=True))
