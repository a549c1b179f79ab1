"""Explorer: filter the mentions and see volume, sentiment, topics, platforms and posts.

A thin view: the filtering and aggregation live in :class:`._index.FrameIndex`
(computed once per frame), the charts in :mod:`._charts`. The explorer keeps the
filter state, redraws on every change and exposes the frames it drew
(``volume_frame``, ``sentiment_frame``, ``topics_frame``, ``platforms_frame``,
``table_frame``) so it can be tested without a browser.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ._charts import (
    BRUSH,
    LiveChart,
    platform_bars_chart,
    sentiment_share_chart,
    topic_lines_chart,
    volume_brush_chart,
    window_from_brush,
)
from ._common import POST_COLUMNS, chart_widget, posts_html
from ._index import DEFAULT_TZ, FREQS, Filters, FrameIndex

__all__ = ["PAGE_SIZE", "TIME_ZONES", "Explorer"]

# Canadian zones a provincial unit is asked about, plus UTC (the data's own zone).
TIME_ZONES = ("America/Toronto", "America/Winnipeg", "America/Edmonton", "America/Vancouver",
              "America/Halifax", "America/St_Johns", "UTC")
# Posts per page: a screenful; the table never renders more.
PAGE_SIZE = 20


def _frame_of(data) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if hasattr(data, "mentions"):
        return data.mentions()
    raise TypeError(f"Explorer takes a mention frame or a store, got {type(data).__name__}")


class Explorer:
    """Linked charts and a table of posts over one mention frame.

    Parameters
    ----------
    data : DataFrame or Store
        Mentions (enriched or not); a store is read once with ``store.mentions()``.
    tz : str
        Time zone of the charts' time axis and of the date filters.
    freq : {"hour", "day", "week"}
    page_size : int
        Posts per table page.

    Examples
    --------
    >>> ex = Explorer(frame)                    # doctest: +SKIP
    >>> ex.platform.value = ("x",)              # doctest: +SKIP
    >>> ex.volume_frame["mentions"].sum() == ex.matches   # doctest: +SKIP
    True
    """

    def __init__(self, data, *, tz: str = DEFAULT_TZ, freq: str = "day",
                 page_size: int = PAGE_SIZE) -> None:
        import ipywidgets as w

        if freq not in FREQS:
            raise ValueError(f"freq must be one of {sorted(FREQS)}, got {freq!r}")
        self.index = FrameIndex(_frame_of(data))
        self.page_size = page_size
        self.page = 0
        self.window: tuple[pd.Timestamp, pd.Timestamp] | None = None
        first, last = self._date_bounds(tz)
        layout = w.Layout(width="210px")

        def pick(label: str, key: str) -> w.SelectMultiple:
            options = self.index.options(key)
            return w.SelectMultiple(options=options, description=label,
                                    rows=min(6, max(2, len(options))),
                                    layout=w.Layout(width="260px"),
                                    style={"description_width": "70px"})

        self.since = w.DatePicker(value=first, description="from", layout=layout)
        self.until = w.DatePicker(value=last, description="to", layout=layout)
        self.freq = w.ToggleButtons(options=list(FREQS), value=freq, description="per")
        zones = list(TIME_ZONES) if tz in TIME_ZONES else [tz, *TIME_ZONES]
        self.tz = w.Dropdown(options=zones, value=tz, description="zone", layout=layout)
        self.platform = pick("platform", "platform")
        self.language = pick("language", "language")
        self.sentiment = pick("sentiment", "sentiment")
        self.topic = pick("topic", "topic")
        self.rule = pick("rule", "rule")
        self.reset = w.Button(description="clear filters", icon="times")
        self.prev_page = w.Button(description="newer", icon="arrow-left")
        self.next_page = w.Button(description="older", icon="arrow-right")
        self.status = w.HTML()
        self.page_label = w.HTML()
        self.table = w.HTML()
        self.volume_chart = chart_widget()
        self.sentiment_chart = chart_widget()
        self.topics_chart = chart_widget()
        self.platforms_chart = chart_widget()
        self._live = {name: LiveChart(getattr(self, f"{name}_chart"))
                      for name in ("volume", "sentiment", "topics", "platforms")}

        for control in (self.since, self.until, self.freq, self.platform,
                        self.language, self.sentiment, self.topic, self.rule):
            control.observe(self._on_filter, names="value")
        self.tz.observe(self._on_tz, names="value")
        self.reset.on_click(self._on_reset)
        self.prev_page.on_click(lambda _: self._turn(-1))
        self.next_page.on_click(lambda _: self._turn(+1))
        picks = [c for c in (self.platform, self.language, self.sentiment, self.topic, self.rule)
                 if c.options]
        self.widget = w.VBox([
            w.HBox([self.since, self.until, self.tz]), w.HBox([self.freq, self.reset]),
            w.HBox(picks, layout=w.Layout(flex_flow="row wrap")),
            self.status, self.volume_chart, self.sentiment_chart, self.topics_chart,
            self.platforms_chart,
            w.HBox([self.prev_page, self.next_page, self.page_label]), self.table,
        ])
        self.widget.add_class("listening-explorer")
        self.refresh()

    # --------------------------------------------------------------- state
    def _date_bounds(self, tz: str) -> tuple[dt.date | None, dt.date | None]:
        if self.index.n == 0:
            return None, None
        ts = pd.DatetimeIndex(self.index.ts[[0, -1]].view("datetime64[ns]"), tz="UTC")
        local = ts.tz_convert(tz)
        return local[0].date(), local[1].date()

    @property
    def filters(self) -> Filters:
        """The current filter state (UTC bounds; ``until`` is the end of the chosen day)."""
        tz = self.tz.value

        def start_of(day):
            return None if day is None else pd.Timestamp(day).tz_localize(tz).tz_convert("UTC")

        until = self.until.value
        return Filters(
            since=start_of(self.since.value),
            until=None if until is None else start_of(until + dt.timedelta(days=1)),
            platforms=tuple(self.platform.value), languages=tuple(self.language.value),
            sentiments=tuple(self.sentiment.value), topics=tuple(self.topic.value),
            rules=tuple(self.rule.value), window=self.window)

    # ------------------------------------------------------------- events
    def _on_filter(self, change=None) -> None:
        self.page = 0
        self.window = None  # the volume chart is redrawn, which clears the brush
        self.refresh()

    def _on_tz(self, change) -> None:
        """A new zone: a date range that covered the whole period still does."""
        old_first, old_last = self._date_bounds(change["old"])
        first, last = self._date_bounds(change["new"])
        for picker, old, new in ((self.since, old_first, first), (self.until, old_last, last)):
            if picker.value == old:
                picker.unobserve(self._on_filter, names="value")
                picker.value = new
                picker.observe(self._on_filter, names="value")
        self._on_filter()

    def _on_reset(self, _=None) -> None:
        first, last = self._date_bounds(self.tz.value)
        controls = (self.platform, self.language, self.sentiment, self.topic, self.rule,
                    self.since, self.until)
        for control in controls:  # one redraw, not one per control
            control.unobserve(self._on_filter, names="value")
        for control in controls[:5]:
            control.value = ()
        self.since.value, self.until.value = first, last
        for control in controls:
            control.observe(self._on_filter, names="value")
        self._on_filter()

    def _on_brush(self, change) -> None:
        value = getattr(change["new"], "value", None)
        window = window_from_brush(value, tz=self.tz.value)
        if window == self.window:  # e.g. the empty brush of a chart just redrawn
            return
        self.window = window
        self.page = 0
        self.refresh(volume=False)

    def brush(self, start, end) -> None:
        """Select ``start``..``end`` (local wall-clock times) as a drag on the volume chart does."""
        ms = [pd.Timestamp(x).tz_localize(None).value // 1_000_000 for x in (start, end)]
        # clear first, as a redraw in the browser does, so the same period again still counts
        self.volume_chart._vl_selections = {BRUSH: {"value": None, "store": []}}
        self.volume_chart._vl_selections = {BRUSH: {"value": {"time": ms}, "store": []}}

    def _turn(self, step: int) -> None:
        last = max(0, (self.matches - 1) // self.page_size)
        self.page = min(max(self.page + step, 0), last)
        self._draw_table(self.index.positions(self.filters))

    # ------------------------------------------------------------- drawing
    def refresh(self, *, volume: bool = True) -> None:
        """Recompute every aggregate from the current filters and redraw."""
        freq, tz = self.freq.value, self.tz.value
        filters = self.filters
        selected = self.index.positions(filters)
        if volume:
            whole = (selected if filters.window is None
                     else self.index.positions(filters, window=False))
            self.volume_frame = self._trim(self.index.volume(whole, freq=freq, tz=tz),
                                           filters.since, filters.until)
            self._live["volume"].update(
                ("volume", freq, tz), lambda d: volume_brush_chart(d, freq=freq, tz=tz),
                self.volume_frame)
            self.volume_chart.selections.observe(self._on_brush, names=[BRUSH])
        # the other time charts zoom on the brushed period when there is one
        lo, hi = filters.window if filters.window is not None else (filters.since, filters.until)
        self.sentiment_frame = self._trim(
            self.index.sentiment_over_time(selected, freq=freq, tz=tz), lo, hi)
        self.topics_frame = self._trim(
            self.index.topics_over_time(selected, freq=freq, tz=tz), lo, hi)
        self.platforms_frame = self.index.platforms(selected)
        self._live["sentiment"].update(
            ("sentiment", freq), lambda d: sentiment_share_chart(d, freq=freq),
            self.sentiment_frame)
        self._live["topics"].update(
            ("topics", freq), lambda d: topic_lines_chart(d, freq=freq), self.topics_frame)
        self._live["platforms"].update(
            ("platforms",), platform_bars_chart, self.platforms_frame,
            height=max(40, 18 * len(self.platforms_frame)))
        self._draw_table(selected)

    def _trim(self, data: pd.DataFrame, lo, hi) -> pd.DataFrame:
        """Rows of time buckets overlapping ``lo``..``hi`` (UTC; None = open)."""
        if data.empty:
            return data
        freq = self.freq.value
        step = pd.Timedelta(weeks=1) if freq == "week" else pd.Timedelta(1, FREQS[freq])
        times = data["time"].to_numpy(dtype="datetime64[ns]")
        keep = np.ones(len(data), dtype=bool)
        if lo is not None:
            keep &= times + step.to_timedelta64() > self._local(lo).to_datetime64()
        if hi is not None:
            keep &= times < self._local(hi).to_datetime64()
        return data if keep.all() else data[keep].reset_index(drop=True)

    def _local(self, ts: pd.Timestamp) -> pd.Timestamp:
        return ts.tz_convert(self.tz.value).tz_localize(None)

    def _draw_table(self, selected) -> None:
        rows, self.matches = self.index.rows(selected, page=self.page, page_size=self.page_size)
        shown = rows.loc[:, [c for c in POST_COLUMNS if c in rows.columns]]
        shown = shown.assign(timestamp=shown["timestamp"].dt.tz_convert(self.tz.value)
                             .dt.strftime("%Y-%m-%d %H:%M"))
        self.table_frame = shown
        pages = max(1, -(-self.matches // self.page_size))
        window = ""
        if self.window is not None:
            lo, hi = (self._local(t).strftime("%Y-%m-%d %H:%M") for t in self.window)
            window = f" in the selected period {lo} – {hi}"
        self.status.value = (f"<b>{self.matches:,}</b> of {self.index.n:,} mentions match"
                             f"{window}.")
        self.page_label.value = f"page {self.page + 1} of {pages:,} (newest first)"
        self.prev_page.disabled = self.page == 0
        self.next_page.disabled = self.page + 1 >= pages
        self.table.value = posts_html(shown)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
