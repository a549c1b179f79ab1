"""Altair chart builders for the brief and the notebook widgets.

Every builder takes an *aggregated* tidy frame (a few hundred rows at most: one
row per time bin, platform, topic or label, never raw mentions) and returns an
Altair chart, so notebooks, widgets and the brief draw the same pictures and a
test can check a chart through ``chart.to_dict()``. Builders are pure: they do not
modify their input and do no I/O. ``to_svg`` and ``to_png`` render a chart
offline with ``vl-convert`` (Vega-Lite is bundled in it, and external data URLs
are refused), for the HTML, Markdown and PDF briefs.

Builders and the frames they take:

================  =================================================================
builder           columns of ``data``
================  =================================================================
volume_chart      ``timestamp``, ``count`` (+ optional ``color`` column, e.g. platform)
sentiment_chart   ``group``, ``label``, ``share``, ``low``, ``high``
                  (the shape of ``listening.sentiment.sentiment_summary``)
topics_chart      ``topic_label``, ``count`` (+ optional ``previous``)
platform_chart    ``platform``, ``count``
forecast_chart    ``timestamp``, ``forecast``, ``lo80``, ``hi80``, ``lo95``, ``hi95``
                  (one segment and metric of ``listening.forecasting.forecast``),
                  optional ``history`` frame with ``timestamp``, ``count``
sparkline         ``timestamp``, ``count``
================  =================================================================

Builders that draw a band or error bars under a line return ``alt.LayerChart``;
the others return ``alt.Chart``. Both have ``to_dict()`` and render the same way.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from .errors import RendererMissingError
from .schema import require_columns

__all__ = [
    "DISPLAY_TZ",
    "MAX_ROWS",
    "forecast_chart",
    "platform_chart",
    "print_ready",
    "sentiment_chart",
    "sparkline",
    "to_png",
    "to_svg",
    "topics_chart",
    "volume_chart",
]

# Charts are drawn from aggregates: more rows than this means raw mentions were
# passed by mistake (Altair's own default limit is 5,000 rows).
MAX_ROWS = 5_000
# Times are shown in the organisation's zone (Ontario); the brief and widgets agree.
DISPLAY_TZ = "America/Toronto"
# Sizes for a one-page brief, in CSS pixels (1 px = 0.75 pt printed): the whole chart,
# axes included, is WIDTH wide (it fits Letter and A4 between 12 mm margins without
# scaling), so FONT_SIZE px prints at FONT_SIZE * 0.75 pt (11 px: 8.25 pt).
WIDTH, HEIGHT = 680, 150
HALF_WIDTH = 335
FONT_SIZE = 11
SENTIMENT_COLORS = {"negative": "#c0392b", "neutral": "#95a5a6", "positive": "#27ae60"}
# d3 locales vl-convert knows, per brief language.
_LOCALES = {"en": "en-CA", "fr": "fr-CA"}


def _words(lang: str) -> dict:
    """The chart words of ``lang`` (axis titles, legends) from the template strings."""
    from .report.strings import strings

    return strings(lang)


def print_ready(chart, *, width: int = WIDTH):
    """The chart for print: whole chart ``width`` px wide (axes and legend included) and readable printed text."""
    return chart.properties(
        width=width, autosize=alt.AutoSizeParams(type="fit-x", contains="padding")
    ).configure_axis(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE).configure_legend(
        labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE, orient="top"
    ).configure_title(fontSize=FONT_SIZE + 1).configure_text(fontSize=FONT_SIZE)


def _check(data: pd.DataFrame, columns: list[str], *, stage: str) -> None:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{stage} needs an aggregated pandas DataFrame, got {type(data).__name__}")
    require_columns(data, columns, stage=stage)
    if len(data) > MAX_ROWS:
        raise ValueError(f"{stage} got {len(data):,} rows; charts are drawn from aggregates "
                         f"(at most {MAX_ROWS:,} rows): aggregate first, e.g. with "
                         "listening.trends.volume(frame, freq='1D')")


def _local_times(values: pd.Series, tz: str) -> pd.Series:
    """Wall-clock times in ``tz`` without a zone, so every renderer shows the same hours."""
    times = pd.to_datetime(values, utc=True)
    return times.dt.tz_convert(tz).dt.tz_localize(None)


def _plain(data: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A copy with only ``columns``, categoricals as strings (Vega has no category type)."""
    out = data[columns].copy()
    for c in columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype("string")
    return out


def volume_chart(data: pd.DataFrame, *, x: str = "timestamp", y: str = "count",
                 color: str | None = None, title: str = "", tz: str = DISPLAY_TZ,
                 width: int = WIDTH, height: int = HEIGHT, lang: str = "en") -> alt.Chart:
    """Mentions over time: a line per ``color`` value (or one line).

    Parameters
    ----------
    data : DataFrame
        Needs ``x`` (times) and ``y`` (counts); ``color`` if given (e.g. ``platform``).

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"timestamp": pd.date_range("2026-11-01", periods=3, tz="UTC"),
    ...                      "count": [3, 5, 4]})
    >>> volume_chart(data).to_dict()["mark"]["type"]
    'line'
    """
    cols = [x, y] + ([color] if color else [])
    _check(data, cols, stage="volume_chart")
    plot = _plain(data, cols).assign(**{x: _local_times(data[x], tz)})
    w = _words(lang)
    enc = {"x": alt.X(f"{x}:T", title=None, axis=alt.Axis(format="%e %b")),
           "y": alt.Y(f"{y}:Q", title=w["axis_mentions"]),
           "tooltip": [alt.Tooltip(f"{x}:T", title=w["axis_time"]),
                       alt.Tooltip(f"{y}:Q", title=w["axis_mentions"])]}
    if color:
        enc["color"] = alt.Color(f"{color}:N", title=None)
        enc["tooltip"].append(alt.Tooltip(f"{color}:N"))
    return (alt.Chart(plot, title=title or alt.Undefined, width=width, height=height)
            .mark_line(point=len(plot) <= 31, interpolate="monotone").encode(**enc))


def sentiment_chart(data: pd.DataFrame, *, title: str = "", width: int = WIDTH,
                    height: int | None = None, lang: str = "en") -> alt.LayerChart:
    """Sentiment shares per group with their intervals (bars plus error bars).

    ``data`` has the shape of ``sentiment_summary``: ``group, label, share, low, high``
    (shares in 0..1). With one label (e.g. negative only) a row is a group; labels
    are shown in ``lang``.
    """
    w = _words(lang)
    names = {label: w[f"sentiment_{label}"] for label in SENTIMENT_COLORS}
    cols = ["group", "label", "share", "low", "high"]
    _check(data, cols, stage="sentiment_chart")
    plot = _plain(data, cols)
    # One row per group and label ("x · negative"); the label alone when there is
    # one group. Offsets (yOffset) would misplace the error bars in their bands.
    order = {label: i for i, label in enumerate(SENTIMENT_COLORS)}
    plot = plot.assign(_order=plot["label"].map(order).fillna(len(order)))
    plot = plot.sort_values(["group", "_order"], kind="stable").drop(columns="_order")
    one = plot["group"].nunique() <= 1
    one_label = plot["label"].nunique() <= 1 and not one
    shown = plot["label"].astype("string").map(lambda v: names.get(v, v))
    plot["row"] = (shown if one else plot["group"].astype("string") if one_label else
                   plot["group"].astype("string") + " · " + shown)
    plot["label_shown"] = shown
    height = height or max(60, 20 * len(plot))
    base = alt.Chart(plot, width=width, height=height).encode(
        y=alt.Y("row:N", title=None, sort=None))
    bars = base.mark_bar().encode(
        x=alt.X("share:Q", title=w["axis_share_negative"] if one_label or (
            one and set(plot["label"]) == {"negative"}) else None,
            axis=alt.Axis(format="%", tickCount=5),  # printed at 8 pt: more labels collide
                scale=alt.Scale(domain=[0, max(0.05, min(1.0, float(plot["high"].max()) * 1.15))])),
        color=alt.Color("label_shown:N", title=None,
                        legend=None if one or one_label else alt.Legend(),
                        scale=alt.Scale(domain=[names[k] for k in SENTIMENT_COLORS],
                                        range=list(SENTIMENT_COLORS.values()))),
        tooltip=["group:N", "label_shown:N", alt.Tooltip("share:Q", format=".1%"),
                 alt.Tooltip("low:Q", format=".1%"), alt.Tooltip("high:Q", format=".1%")])
    errors = base.mark_rule(color="black", strokeWidth=2).encode(x="low:Q", x2="high:Q")
    return alt.layer(bars, errors, title=title or alt.Undefined)


def topics_chart(data: pd.DataFrame, *, label: str = "topic_label", count: str = "count",
                 previous: str | None = "previous", title: str = "", width: int = WIDTH,
                 top: int = 10, lang: str = "en") -> alt.Chart:
    """Topics as horizontal bars, largest first; a tick shows the previous period if given."""
    cols = [label, count] + ([previous] if previous and previous in data.columns else [])
    _check(data, [label, count], stage="topics_chart")
    w = _words(lang)
    plot = _plain(data, cols).sort_values(count, ascending=False, kind="stable").head(top)
    base = alt.Chart(plot, width=width, height=max(60, 22 * len(plot))).encode(
        y=alt.Y(f"{label}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=200)))
    bars = base.mark_bar(color="#2c6fbb").encode(
        x=alt.X(f"{count}:Q", title=w["axis_mentions"]),
        tooltip=[alt.Tooltip(f"{label}:N", title=w["topic"]),
                 alt.Tooltip(f"{count}:Q", title=w["axis_mentions"])]
        + ([alt.Tooltip(f"{previous}:Q", title=w["tooltip_previous"])] if len(cols) == 3 else []))
    if len(cols) == 3:
        ticks = base.mark_tick(color="black", thickness=2).encode(x=f"{previous}:Q")
        return alt.layer(bars, ticks, title=title or alt.Undefined)
    return bars.properties(title=title) if title else bars


def platform_chart(data: pd.DataFrame, *, platform: str = "platform", count: str = "count",
                   title: str = "", width: int = WIDTH, lang: str = "en") -> alt.Chart:
    """Mentions per platform, horizontal bars, largest first."""
    _check(data, [platform, count], stage="platform_chart")
    plot = _plain(data, [platform, count])
    return (alt.Chart(plot, title=title or alt.Undefined, width=width,
                      height=max(60, 22 * len(plot)))
            .mark_bar(color="#5b7083")
            .encode(y=alt.Y(f"{platform}:N", sort="-x", title=None),
                    x=alt.X(f"{count}:Q", title=_words(lang)["axis_mentions"]),
                    tooltip=[f"{platform}:N", f"{count}:Q"]))


def forecast_chart(data: pd.DataFrame, *, history: pd.DataFrame | None = None,
                   title: str = "", tz: str = DISPLAY_TZ, width: int = WIDTH,
                   height: int = HEIGHT, lang: str = "en") -> alt.LayerChart:
    """A forecast line with its 80% and 95% bands, after the observed history.

    ``data`` is one segment and metric of ``forecast(...)``: ``timestamp, forecast,
    lo80, hi80, lo95, hi95``. ``history`` (optional): ``timestamp, count``. The legend
    (observed, forecast) and axis are in ``lang``.
    """
    cols = ["timestamp", "forecast", "lo80", "hi80", "lo95", "hi95"]
    _check(data, cols, stage="forecast_chart")
    w = _words(lang)
    observed, predicted = w["legend_observed"], w["legend_forecast"]
    plot = _plain(data, cols)
    if history is not None and len(history):
        # the dashed line starts from the last observed point, so the eye follows it on
        last = history.sort_values("timestamp").iloc[-1]
        bridge = {c: float(last["count"]) for c in cols[1:]}
        plot = pd.concat([pd.DataFrame([{"timestamp": last["timestamp"], **bridge}]), plot],
                         ignore_index=True)
    plot = plot.assign(timestamp=_local_times(plot["timestamp"], tz), series=predicted)
    x = alt.X("timestamp:T", title=None, axis=alt.Axis(format="%e %b"))
    color = alt.Color("series:N", title=None,
                      scale=alt.Scale(domain=[observed, predicted], range=["#333333", "#2c6fbb"]))
    base = alt.Chart(plot)
    layers = [
        base.mark_area(opacity=0.15, color="#2c6fbb").encode(x=x, y="lo95:Q", y2="hi95:Q"),
        base.mark_area(opacity=0.3, color="#2c6fbb").encode(x=x, y="lo80:Q", y2="hi80:Q"),
        base.mark_line(strokeDash=[5, 3]).encode(
            x=x, y=alt.Y("forecast:Q", title=w["axis_mentions"]), color=color,
            tooltip=[alt.Tooltip("timestamp:T", title=w["axis_time"]),
                     alt.Tooltip("forecast:Q", title=predicted, format=",.0f"),
                     alt.Tooltip("lo80:Q", format=",.0f"), alt.Tooltip("hi80:Q", format=",.0f")]),
    ]
    if history is not None and len(history):
        _check(history, ["timestamp", "count"], stage="forecast_chart(history=...)")
        past = _plain(history, ["timestamp", "count"]).assign(
            timestamp=_local_times(history["timestamp"], tz), series=observed)
        layers.insert(0, alt.Chart(past).mark_line().encode(
            x=x, y=alt.Y("count:Q", title=w["axis_mentions"]), color=color,
            tooltip=[alt.Tooltip("timestamp:T", title=w["axis_time"]),
                     alt.Tooltip("count:Q", title=observed)]))
    return alt.layer(*layers, title=title or alt.Undefined).properties(width=width, height=height)


def sparkline(data: pd.DataFrame, *, x: str = "timestamp", y: str = "count",
              tz: str = DISPLAY_TZ, width: int = 120, height: int = 28) -> alt.Chart:
    """A tiny line without axes, for tables of alerts and topics."""
    _check(data, [x, y], stage="sparkline")
    plot = _plain(data, [x, y]).assign(**{x: _local_times(data[x], tz)})
    return (alt.Chart(plot, width=width, height=height)
            .mark_line(color="#333333", strokeWidth=1.2)
            .encode(x=alt.X(f"{x}:T", axis=None), y=alt.Y(f"{y}:Q", axis=None))
            .configure_view(strokeWidth=0))


def _converter():
    try:
        import vl_convert
    except ImportError as exc:  # pragma: no cover - vl-convert is a dependency
        raise RendererMissingError(
            "rendering charts needs vl-convert-python: pip install vl-convert-python") from exc
    return vl_convert


def to_svg(chart, *, lang: str = "en") -> str:
    """Render ``chart`` to an SVG string offline (numbers and dates in ``lang``'s locale).

    ``allowed_base_urls=[]`` refuses any external data URL, so rendering never
    touches the network: charts carry their (aggregated) data inline.
    """
    vlc = _converter()
    locale = _LOCALES.get(lang, "en-CA")
    return vlc.vegalite_to_svg(chart.to_dict(), allowed_base_urls=[], format_locale=locale,
                               time_format_locale=locale)


def to_png(chart, *, lang: str = "en", scale: float = 2.0) -> bytes:
    """Render ``chart`` to PNG bytes offline (see :func:`to_svg`)."""
    vlc = _converter()
    locale = _LOCALES.get(lang, "en-CA")
    return vlc.vegalite_to_png(chart.to_dict(), scale=scale, allowed_base_urls=[],
                               format_locale=locale, time_format_locale=locale)
