"""Altair charts of the explorer, drawn from the aggregated frames of :mod:`._index`.

Times arrive as local wall-clock times (naive). They are sent to Vega-Lite as ISO
strings marked UTC and drawn on a UTC scale, so the axis shows the wall clock of
the chosen time zone whatever the browser's own zone, and the brushed interval
comes back as the same wall-clock times (see :func:`window_from_brush`).
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from ._index import STEPS

__all__ = [
    "BRUSH",
    "SENTIMENT_COLORS",
    "LiveChart",
    "platform_bars_chart",
    "sentiment_share_chart",
    "share_of_voice_chart",
    "topic_lines_chart",
    "volume_brush_chart",
    "window_from_brush",
    "with_bucket_end",
]

BRUSH = "brush"
# Red / grey / green, the convention of listening dashboards (and colour-blind safe
# enough with the labels shown in the legend).
SENTIMENT_COLORS = {"negative": "#d62728", "neutral": "#9e9e9e", "positive": "#2ca02c"}
WIDTH = 620
_TIME_FORMAT = {"hour": "%b %d %H:%M", "day": "%b %d", "week": "%b %d"}


def _wall(times: pd.Series) -> pd.Series:
    """Naive wall-clock times as ISO strings marked UTC (vectorised, no strftime)."""
    values = pd.to_datetime(times).to_numpy(dtype="datetime64[s]")
    return pd.Series(np.char.add(np.datetime_as_string(values, unit="s"), "Z"),
                     index=times.index)


# Ticks on whole buckets: a day chart never labels the same day twice.
_TICKS = {"day": {"interval": "day", "step": 1}, "week": {"interval": "week", "step": 1}}


def _x(freq: str, title: str | None = "time", *, grid: bool = True) -> alt.X:
    tick = _TICKS.get(freq)
    axis = alt.Axis(format=_TIME_FORMAT.get(freq, "%b %d"), grid=grid, labelOverlap="greedy",
                    **({"tickCount": tick} if tick else {}))
    return alt.X("time:T", title=title, scale=alt.Scale(type="utc"), axis=axis)


def with_bucket_end(volume: pd.DataFrame, freq: str) -> pd.DataFrame:
    """``volume`` with ``end`` = each bucket's end: a bar spans its bucket, however many."""
    return volume.assign(end=volume["time"] + STEPS.get(freq, pd.Timedelta(days=1)))


def volume_brush_chart(volume: pd.DataFrame, *, freq: str = "day", tz: str = "",
                       height: int = 140, title: str | None = None,
                       previous_label: str = "previous period") -> alt.LayerChart:
    """Mentions per bucket with an x-interval brush named ``brush``.

    ``volume`` has ``time`` (local, naive) and ``mentions``; an optional ``previous``
    column (the period before, shifted onto this one) is drawn as a dashed line.
    The line layer is always there (empty without ``previous``), so switching the
    comparison on and off keeps one chart shape and the brush. A bucket flagged
    ``partial`` (the data stop before it ends) is drawn pale, so it is not read as a drop.
    """
    if "previous" not in volume.columns:
        volume = volume.assign(previous=np.nan)
    if "end" not in volume.columns:
        volume = with_bucket_end(volume, freq)
    if "partial" not in volume.columns:
        volume = volume.assign(partial=False)
    data = volume.assign(time=_wall(volume["time"]), end=_wall(volume["end"]))
    brush = alt.selection_interval(name=BRUSH, encodings=["x"])
    tooltip = [alt.Tooltip("time:T", format="%Y-%m-%d %H:%M", formatType="utc"),
               alt.Tooltip("mentions:Q", format=","),
               alt.Tooltip("previous:Q", format=",", title=previous_label)]
    bars = (alt.Chart().mark_bar(stroke="white", strokeWidth=0.5)
            .encode(x=_x(freq, None), x2="end:T", y=alt.Y("mentions:Q", title="mentions"),
                    y2=alt.datum(0),
                    # the last bucket, still running when the data stop, in a pale blue
                    color=alt.condition("datum.partial", alt.value("#9ecae1"),
                                        alt.value("#1f77b4")),
                    tooltip=[*tooltip, alt.Tooltip("partial:N", title="partial")])
            .add_params(brush))
    line = (alt.Chart().mark_line(color="#333333", strokeDash=[4, 3], strokeWidth=1.5)
            .encode(x=_x(freq, None), y="previous:Q", tooltip=tooltip))
    return (alt.layer(bars, line, data=data,
                      title=title or f"Mentions per {freq} ({tz}) — drag to select a period")
            .properties(width=WIDTH, height=height))


def sentiment_share_chart(sentiment: pd.DataFrame, *, freq: str = "day",
                          height: int = 120, title: str = "Sentiment over time") -> alt.Chart:
    """Share of negative / neutral / positive mentions per bucket (stacked to 100%)."""
    data = sentiment.assign(time=_wall(sentiment["time"]))
    labels = list(SENTIMENT_COLORS)
    return (alt.Chart(data, title=title)
            .mark_area()
            .encode(x=_x(freq, None),
                    y=alt.Y("share:Q", stack="normalize", title="share",
                            axis=alt.Axis(format="%")),
                    color=alt.Color("sentiment_label:N", title="sentiment",
                                    scale=alt.Scale(domain=labels,
                                                    range=[SENTIMENT_COLORS[x] for x in labels])),
                    order=alt.Order("sentiment_label:N"),
                    tooltip=[alt.Tooltip("time:T", format="%Y-%m-%d %H:%M", formatType="utc"),
                             "sentiment_label:N", alt.Tooltip("mentions:Q", format=",")])
            .properties(width=WIDTH, height=height))


def topic_lines_chart(topics: pd.DataFrame, *, freq: str = "day", height: int = 160,
                      title: str = "Topics over time") -> alt.Chart:
    """Mentions per bucket for each of the largest topics ("others" dashed, in grey)."""
    if "others" not in topics.columns:
        topics = topics.assign(others=False)
    data = topics.assign(time=_wall(topics["time"]))
    return (alt.Chart(data, title=title)
            .mark_line(point=False)
            .encode(x=_x(freq, None), y=alt.Y("mentions:Q", title="mentions"),
                    color=alt.condition("datum.others", alt.value("#9e9e9e"),
                                        alt.Color("topic:N", title="topic",
                                                  scale=alt.Scale(scheme="tableau10"),
                                                  legend=alt.Legend(orient="bottom", columns=2,
                                                                    labelLimit=300))),
                    detail="topic:N",
                    strokeDash=alt.condition("datum.others", alt.value([4, 3]),
                                             alt.value([1, 0])),
                    tooltip=[alt.Tooltip("time:T", format="%Y-%m-%d %H:%M", formatType="utc"),
                             "topic:N", alt.Tooltip("mentions:Q", format=",")])
            .properties(width=WIDTH, height=height))


def share_of_voice_chart(sov: pd.DataFrame, *, height: int | None = None,
                         title: str = "Share of voice", current: str = "this period",
                         previous: str = "previous period") -> alt.LayerChart:
    """Share of voice per name (bars) and, when ``previous_share`` is given, a tick for
    the period before, side by side on one scale."""
    if "previous_share" not in sov.columns:
        sov = sov.assign(previous_share=np.nan)
    y = alt.Y("name:N", sort=alt.EncodingSortField("share", order="descending"), title=None,
              axis=alt.Axis(labelLimit=320))
    tooltip = ["name:N", alt.Tooltip("mentions:Q", format=","),
               alt.Tooltip("share:Q", format=".1%", title=current),
               alt.Tooltip("previous_share:Q", format=".1%", title=previous)]
    bars = (alt.Chart().mark_bar(color="#6a51a3")
            .encode(y=y, x=alt.X("share:Q", title="share of matches", axis=alt.Axis(format="%")),
                    tooltip=tooltip))
    ticks = (alt.Chart().mark_tick(color="#111111", thickness=2, size=14)
             .encode(y=y, x="previous_share:Q", tooltip=tooltip))
    text = (alt.Chart().mark_text(align="left", dx=3, fontSize=10)
            .encode(y=y, x="share:Q", text=alt.Text("share:Q", format=".0%")))
    return (alt.layer(bars, ticks, text, data=sov, title=title)
            .properties(width=WIDTH - 200, height=height or max(40, 20 * len(sov))))


def platform_bars_chart(platforms: pd.DataFrame, *, height: int | None = None,
                        title: str = "Platforms") -> alt.Chart:
    """Mentions per platform in the selection, largest first."""
    return (alt.Chart(platforms, title=title)
            .mark_bar(color="#ff7f0e")
            .encode(y=alt.Y("platform:N", sort="-x", title=None),
                    x=alt.X("mentions:Q", title="mentions"),
                    tooltip=["platform:N", alt.Tooltip("mentions:Q", format=",")])
            .properties(width=WIDTH, height=height or max(40, 18 * len(platforms))))


def _wall_clock(value) -> pd.Timestamp:
    if isinstance(value, (int, float, np.integer, np.floating)):
        return pd.Timestamp(int(value), unit="ms")
    ts = pd.Timestamp(value)
    return ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts


def window_from_brush(value: dict | None, *, tz: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The UTC interval of a brush value ``{"time": [start, end]}`` drawn in zone ``tz``.

    Vega sends the ends as epoch milliseconds (or ISO strings) of the wall-clock
    times the chart shows; an empty or missing brush gives ``None``.
    """
    if not value or "time" not in value or len(value["time"]) != 2:
        return None
    lo, hi = sorted(_wall_clock(v) for v in value["time"])
    localize = {"ambiguous": "NaT", "nonexistent": "shift_forward"}
    lo_utc = lo.tz_localize(tz, **localize)
    hi_utc = hi.tz_localize(tz, **localize)
    if pd.isna(lo_utc) or pd.isna(hi_utc):  # inside the repeated hour of a DST change
        lo_utc, hi_utc = lo.tz_localize(tz, ambiguous=True), hi.tz_localize(tz, ambiguous=False)
    return lo_utc.tz_convert("UTC"), hi_utc.tz_convert("UTC")


def _records(data: pd.DataFrame) -> list[dict]:
    """JSON-ready rows: times as UTC-marked wall-clock strings, NaN/NA as null (numpy only)."""
    out = {}
    for column in data.columns:
        values = data[column].to_numpy()
        if np.issubdtype(values.dtype, np.datetime64):
            seconds = values.astype("datetime64[s]")
            out[column] = np.char.add(np.datetime_as_string(seconds, unit="s"), "Z").tolist()
        elif np.issubdtype(values.dtype, np.floating):
            out[column] = [None if math.isnan(v) else v for v in values.tolist()]
        elif np.issubdtype(values.dtype, np.integer) or values.dtype == bool:
            out[column] = values.tolist()
        else:
            out[column] = [None if v is None or v is pd.NA
                           or (isinstance(v, float) and math.isnan(v)) else str(v)
                           for v in values.tolist()]
    columns = list(out)
    return [dict(zip(columns, row)) for row in zip(*out.values())]


class LiveChart:
    """A JupyterChart redrawn with new data without rebuilding the Altair chart.

    Building an Altair chart and validating its spec costs tens of milliseconds, more
    than aggregating a million mentions; the explorer redraws four charts per filter
    change. So the chart of each *shape* (``key``: chart kind, granularity, zone) is
    built once with Altair, its Vega-Lite spec kept as a template with the data in a
    named dataset, and later redraws only swap that dataset (and ``props`` such as the
    height) in the spec sent to the browser. A chart with selections (the brush) goes
    through ``JupyterChart.chart`` when its shape changes, so Altair registers them.
    """

    DATASET = "table"

    def __init__(self, jchart) -> None:
        self.jchart = jchart
        self._templates: dict[tuple, dict] = {}
        self._selections_ready = False
        self.data: pd.DataFrame | None = None

    def update(self, key: tuple, build, data: pd.DataFrame, **props) -> None:
        """Draw ``data`` with the chart ``build(data)`` would make (built once per ``key``)."""
        self.data = data
        if key not in self._templates:
            chart = build(data)
            if getattr(chart, "params", alt.Undefined) is not alt.Undefined \
                    and not self._selections_ready:
                self.jchart.chart = chart  # registers the selections with JupyterChart
                self._selections_ready = True
                spec = self.jchart.spec
            else:
                spec = chart.to_dict()
            template = {k: v for k, v in spec.items() if k != "datasets"}
            template["data"] = {"name": self.DATASET}
            self._templates[key] = template
        self.jchart.spec = {**self._templates[key], **props,
                            "datasets": {self.DATASET: _records(data)}}

    @property
    def spec(self) -> dict:
        """The Vega-Lite spec drawn last."""
        return self.jchart.spec
