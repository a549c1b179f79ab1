"""Chart builders: pure, aggregated input only, offline rendering."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import pytest

from listening import charts
from listening.errors import SchemaError

DAYS = pd.date_range("2026-11-01", periods=7, freq="D", tz="UTC")


@pytest.fixture
def volume() -> pd.DataFrame:
    return pd.DataFrame({"timestamp": DAYS, "count": [3, 5, 4, 6, 7, 8, 2],
                         "platform": pd.Categorical(["x", "facebook"] * 3 + ["x"])})


@pytest.fixture
def summary() -> pd.DataFrame:
    return pd.DataFrame({"group": ["all"] * 3 + ["x"] * 3,
                         "label": ["negative", "neutral", "positive"] * 2,
                         "share": [0.3, 0.5, 0.2, 0.4, 0.4, 0.2],
                         "low": [0.25, 0.45, 0.15, 0.3, 0.3, 0.1],
                         "high": [0.35, 0.55, 0.25, 0.5, 0.5, 0.3], "n": [100] * 3 + [50] * 3})


@pytest.fixture
def fc() -> pd.DataFrame:
    base = np.arange(7, dtype=float) + 10
    return pd.DataFrame({"segment": "all", "timestamp": DAYS + pd.Timedelta(days=7),
                         "metric": "volume", "forecast": base, "lo80": base - 2, "hi80": base + 2,
                         "lo95": base - 4, "hi95": base + 4, "events": None})


def _data(spec: dict) -> list[dict]:
    return next(iter(spec["datasets"].values()))


def test_volume_chart_is_a_line_of_the_aggregate(volume):
    before = volume.copy()
    chart = charts.volume_chart(volume, color="platform")
    spec = chart.to_dict()
    assert isinstance(chart, alt.Chart)
    assert spec["mark"]["type"] == "line"
    assert spec["encoding"]["x"]["field"] == "timestamp"
    assert spec["encoding"]["color"]["field"] == "platform"
    rows = _data(spec)
    assert len(rows) == len(volume)
    # UTC midnight is 19:00 or 20:00 the day before in Toronto (wall time, no zone).
    assert rows[0]["timestamp"].startswith("2026-10-31T20:00:00")
    pd.testing.assert_frame_equal(volume, before)


def test_sentiment_chart_has_bars_and_intervals(summary):
    spec = charts.sentiment_chart(summary).to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["bar", "rule"]
    assert spec["layer"][1]["encoding"]["x"]["field"] == "low"
    assert spec["layer"][1]["encoding"]["x2"]["field"] == "high"
    rows = _data(spec)
    assert {r["row"] for r in rows} >= {"all · negative", "x · positive"}


def test_topics_and_platform_charts_sort_largest_first():
    topics = pd.DataFrame({"topic_label": ["a", "b", "c"], "count": [1, 9, 5],
                           "previous": [2, 3, 4]})
    spec = charts.topics_chart(topics).to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["bar", "tick"]
    assert [r["topic_label"] for r in _data(spec)] == ["b", "c", "a"]
    spec = charts.topics_chart(topics.drop(columns="previous")).to_dict()
    assert spec["mark"]["type"] == "bar"
    platforms = pd.DataFrame({"platform": pd.Categorical(["x", "news"]), "count": [4, 7]})
    spec = charts.platform_chart(platforms).to_dict()
    assert spec["encoding"]["y"]["sort"] == "-x"
    assert {r["platform"] for r in _data(spec)} == {"x", "news"}


def test_forecast_chart_layers_bands_line_and_history(fc, volume):
    spec = charts.forecast_chart(fc, history=volume[["timestamp", "count"]]).to_dict()
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
             for layer in spec["layer"]]
    assert marks == ["line", "area", "area", "line"]
    assert spec["layer"][1]["encoding"]["y"]["field"] == "lo95"
    assert spec["layer"][2]["encoding"]["y2"]["field"] == "hi80"


def test_sparkline_has_no_axes(volume):
    spec = charts.sparkline(volume).to_dict()
    assert spec["encoding"]["x"]["axis"] is None and spec["encoding"]["y"]["axis"] is None
    assert spec["width"] == 120


def test_builders_refuse_raw_mentions_and_name_missing_columns(volume):
    raw = pd.DataFrame({"timestamp": pd.date_range("2026-01-01", periods=charts.MAX_ROWS + 1,
                                                    freq="min", tz="UTC"), "count": 1})
    with pytest.raises(ValueError, match="aggregate first"):
        charts.volume_chart(raw)
    with pytest.raises(SchemaError, match="'count'"):
        charts.sparkline(volume.drop(columns="count"))
    with pytest.raises(TypeError, match="aggregated pandas DataFrame"):
        charts.platform_chart([1, 2])


def test_svg_and_png_render_offline_and_escape_labels():
    topics = pd.DataFrame({"topic_label": ["<script>alert(1)</script>", "ok"], "count": [3, 1]})
    svg = charts.to_svg(charts.topics_chart(topics), lang="fr")
    assert svg.lstrip().startswith("<svg") and "<script" not in svg
    assert "&lt;script&gt;" in svg
    png = charts.to_png(charts.topics_chart(topics))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_rendering_refuses_external_data_urls():
    remote = alt.Chart(alt.Data(url="https://example.com/data.csv")).mark_point().encode(x="a:Q")
    with pytest.raises(Exception, match="(?i)url|denied|allowed|access"):
        charts.to_svg(remote)
