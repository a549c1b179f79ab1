"""Tests for listening.forecasting: ETS forecasts, intervals, calendar, fallbacks, backtest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from listening.demo import generate
from listening.errors import SchemaError
from listening.forecasting import FORECAST_COLUMNS, backtest_forecast, forecast


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    frame, _ = generate(n_mentions=6_000, days=21, seed=5)
    return frame


def _nested(fc: pd.DataFrame) -> bool:
    return bool(((fc["lo95"] <= fc["lo80"]) & (fc["lo80"] <= fc["forecast"])
                 & (fc["forecast"] <= fc["hi80"]) & (fc["hi80"] <= fc["hi95"])).all())


def test_daily_forecast_has_nested_intervals_and_model(demo):
    before = demo.copy(deep=True)
    fc = forecast(demo, horizon="7D")
    pd.testing.assert_frame_equal(demo, before)  # input unchanged
    assert list(fc.columns) == FORECAST_COLUMNS
    assert len(fc) == 7 and set(fc["metric"]) == {"volume"} and set(fc["segment"]) == {"all"}
    assert _nested(fc) and (fc["lo95"] >= 0).all()
    assert "Holt-Winters" in fc.attrs["models"]["all/volume"]
    # Days are local: each forecast bin starts at midnight in Toronto.
    local = fc["timestamp"].dt.tz_convert("America/Toronto")
    assert (local.dt.hour == 0).all() and local.is_monotonic_increasing
    assert fc["timestamp"].iloc[0] > demo["timestamp"].max()
    # The level is about the recent daily volume.
    daily = len(demo) / 21
    assert 0.4 * daily < fc["forecast"].mean() < 1.6 * daily


def test_calendar_events_appear_in_their_bins(demo):
    last = demo["timestamp"].max().tz_convert("America/Toronto").normalize().tz_localize(None)
    cal = pd.DataFrame({"date": [last + pd.Timedelta(days=3), last + pd.Timedelta(days=5, hours=10),
                                 last - pd.Timedelta(days=30)],
                        "event": ["press conference", "court date", "long ago"]})
    fc = forecast(demo, horizon="7D", calendar=cal)
    days = fc["timestamp"].dt.tz_convert("America/Toronto").dt.tz_localize(None).dt.normalize()
    assert fc.loc[days == last + pd.Timedelta(days=3), "events"].tolist() == ["press conference"]
    assert fc.loc[days == last + pd.Timedelta(days=5), "events"].tolist() == ["court date"]
    assert (fc["events"] == "").sum() == 5
    with pytest.raises(SchemaError, match="calendar"):
        forecast(demo, calendar=pd.DataFrame({"when": ["2026-11-30"], "event": ["x"]}))


def test_negative_share_and_segments_when_available(demo):
    frame = demo.assign(sentiment_label=pd.Categorical(
        np.where(np.arange(len(demo)) % 3 == 0, "negative", "neutral"),
        categories=["negative", "neutral", "positive"]))
    fc = forecast(frame, horizon="3D", by="language")
    assert set(fc["metric"]) == {"volume", "negative_share"}
    assert {"all", "language:en", "language:fr"} <= set(fc["segment"])
    share = fc[fc["metric"] == "negative_share"]
    assert share["hi95"].le(1).all() and share["lo95"].ge(0).all()
    assert abs(share.loc[share["segment"] == "all", "forecast"].mean() - 1 / 3) < 0.1
    assert _nested(fc)


def test_hourly_forecast_uses_daily_season(demo):
    fc = forecast(demo, horizon="24h", freq="1h")
    assert len(fc) == 24 and _nested(fc)
    assert "season 24" in fc.attrs["models"]["all/volume"]


def test_short_history_falls_back_and_records_it():
    frame, _ = generate(n_mentions=400, days=10, seed=2, incidents=None)
    fc = forecast(frame, horizon="5D")
    assert "simple exponential smoothing" in fc.attrs["models"]["all/volume"]
    tiny, _ = generate(n_mentions=60, days=3, seed=2, incidents=None)
    fc = forecast(tiny, horizon="2D")
    assert "mean of the last" in fc.attrs["models"]["all/volume"] and _nested(fc)
    empty = forecast(tiny.iloc[:0])
    assert len(empty) == 0 and list(empty.columns) == FORECAST_COLUMNS


def test_backtest_reports_model_and_seasonal_naive(demo):
    bt = backtest_forecast(demo, horizon="3D", freq="1D", folds=2)
    assert list(bt["method"]) == ["model", "seasonal_naive"]
    assert (bt["points"] == 6).all() and (bt["folds"] == 2).all()
    assert bt[["coverage80", "coverage95"]].apply(lambda c: c.between(0, 1)).all().all()
    assert (bt["coverage95"] >= bt["coverage80"]).all()
    assert (bt["mae"] > 0).all() and len(bt.attrs["models"]) == 2
