"""Explorer: filter the mentions and see volume, sentiment, topics, voices and posts.

A thin view: the filtering and aggregation live in :class:`._index.FrameIndex`
(computed once per frame), the charts in :mod:`._charts`. The explorer keeps the
filter state, redraws on every change and exposes the frames it drew
(``volume_frame``, ``sentiment_frame``, ``topics_frame``, ``platforms_frame``,
``authors_frames``, ``sov_frame``, ``table_frame``) so it can be tested without a
browser.

What an analyst asks of it: *what changed since last week, who drove it* — the
"compare with previous period" toggle draws the period before on the volume chart and
the share of voice, and says the change in mentions; the panels name the top authors
(by mentions and by reach) and the share of voice of the rules or topics; the table
shows each post once with how many copies and retweets it had; the selection exports
to CSV or Excel (``ls.export``) in one click; filters and period are saved as a named
view in the store and reopened by name.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ._charts import (
    BRUSH,
    LiveChart,
    platform_bars_chart,
    sentiment_share_chart,
    share_of_voice_chart,
    topic_lines_chart,
    volume_brush_chart,
    window_from_brush,
    with_bucket_end,
)
from ._common import (
    chart_widget,
    default_out_dir,
    escape,
    follow_language,
    language_switch,
    local_tz,
    posts_html,
)
from ._index import FREQS, STEPS, Filters, FrameIndex
from ._views import ViewBook

__all__ = ["PAGE_SIZE", "PERIODS", "TIME_ZONES", "Explorer"]

# Canadian zones a provincial unit is asked about, plus UTC (the data's own zone).
TIME_ZONES = ("America/Toronto", "America/Winnipeg", "America/Edmonton", "America/Vancouver",
              "America/Halifax", "America/St_Johns", "UTC")
# Posts per page: a screenful; the table never renders more.
PAGE_SIZE = 20
# Periods ending with the newest mention's local day (days), "all" and hand-picked dates.
PERIODS = {"all": None, "last 7 days": 7, "last 14 days": 14, "last 28 days": 28,
           "custom": None}
TABLE_COLUMNS = ("timestamp", "platform", "author", "text", "copies", "sentiment_label",
                 "topic_label", "rules", "reach", "url")
EXPORT_COLUMNS = ("mention_id", "timestamp", "platform", "author", "language", "text",
                  "sentiment_label", "topic_label", "rules", "reach", "url")
TOP_AUTHORS = 10
# Excel's sheet limit (rows, with the header row).
XLSX_MAX_ROWS = 1_048_575

_WORDS = {
    "en": {"from": "from", "to": "to", "zone": "zone", "per": "per", "period": "period",
           "platform": "platform", "language": "language", "sentiment": "sentiment",
           "topic": "topic", "rule": "rule", "clear": "clear filters", "newer": "newer",
           "older": "older", "compare": "compare with previous period",
           "share_of": "share of voice of", "rules": "rules", "topics": "topics",
           "view_name": "view name", "save_view": "save view", "open_view": "open",
           "views": "views", "export": "export", "periods": {
               "all": "whole period", "last 7 days": "last 7 days",
               "last 14 days": "last 14 days", "last 28 days": "last 28 days",
               "custom": "dates below"},
           "match": "<b>{n}</b> of {total} mentions match{window}",
           "in_window": " in the selected period {lo} – {hi}",
           "period_n": "; {n} in the chosen dates",
           "vs": " — {change} vs the previous period ({prev} mentions, {lo} – {hi})",
           "no_previous": " — no mentions in the previous period ({lo} – {hi})",
           "page": "page {page} of {pages} — {distinct} distinct posts, newest first "
                   "(copies and retweets on one row)",
           "volume": "Mentions per {freq} ({tz}; pale: partial) — drag to select a period",
           "volume_prev": "Mentions per {freq} ({tz}; pale: partial); dashed: previous "
                          "period — drag to select a period",
           "sentiment_t": "Sentiment over time", "topics_t": "Topics over time (top 8 + others)",
           "platforms_t": "Platforms", "sov_t": "Share of voice ({of})",
           "sov_prev": "Share of voice ({of}); black tick: previous period",
           "this": "this period", "previous": "previous period",
           "others": "all other topics", "authors_m": "Top authors by mentions",
           "authors_r": "Top authors by reach",
           "author": "Author", "mentions": "Mentions", "reach": "Reach",
           "exported": "Exported {n} mentions to <code>{path}</code>.",
           "too_many": "{n} mentions do not fit in one Excel sheet (max {max}): filter "
                       "further or export CSV.",
           "nothing": "Nothing to export: no mention matches the filters.",
           "view_saved": "View “{name}” saved — {where}.",
           "view_opened": "View “{name}” opened.",
           "headers": {"copies": "Copies", "rules": "Rules", "sentiment_label": "Sentiment",
                       "topic_label": "Topic"}},
    "fr": {"from": "du", "to": "au", "zone": "fuseau", "per": "par", "period": "période",
           "platform": "plateforme", "language": "langue", "sentiment": "tonalité",
           "topic": "sujet", "rule": "règle", "clear": "effacer les filtres",
           "newer": "plus récents", "older": "plus anciens",
           "compare": "comparer à la période précédente", "share_of": "part de voix des",
           "rules": "règles", "topics": "sujets", "view_name": "nom de la vue",
           "save_view": "enregistrer la vue", "open_view": "ouvrir", "views": "vues",
           "export": "exporter", "periods": {
               "all": "toute la période", "last 7 days": "7 derniers jours",
               "last 14 days": "14 derniers jours", "last 28 days": "28 derniers jours",
               "custom": "dates ci-dessous"},
           "match": "<b>{n}</b> mentions sur {total} correspondent{window}",
           "in_window": " dans la période choisie {lo} – {hi}",
           "period_n": "; {n} sur les dates choisies",
           "vs": " — {change} par rapport à la période précédente ({prev} mentions, "
                 "{lo} – {hi})",
           "no_previous": " — aucune mention dans la période précédente ({lo} – {hi})",
           "page": "page {page} sur {pages} — {distinct} publications distinctes, les plus "
                   "récentes d'abord (copies et partages sur une ligne)",
           "volume": "Mentions par {freq} ({tz}; pâle : partiel) — glissez pour choisir une "
                     "période",
           "volume_prev": "Mentions par {freq} ({tz}; pâle : partiel); pointillés : période "
                          "précédente — glissez pour choisir une période",
           "sentiment_t": "Tonalité dans le temps",
           "topics_t": "Sujets dans le temps (8 principaux + autres)",
           "platforms_t": "Plateformes", "sov_t": "Part de voix ({of})",
           "sov_prev": "Part de voix ({of}); trait noir : période précédente",
           "this": "cette période", "previous": "période précédente",
           "others": "tous les autres sujets", "authors_m": "Principaux auteurs (mentions)",
           "authors_r": "Principaux auteurs (portée)",
           "author": "Auteur", "mentions": "Mentions", "reach": "Portée",
           "exported": "{n} mentions exportées dans <code>{path}</code>.",
           "too_many": "{n} mentions ne tiennent pas dans une feuille Excel (max {max}) : "
                       "filtrez davantage ou exportez en CSV.",
           "nothing": "Rien à exporter : aucune mention ne correspond aux filtres.",
           "view_saved": "Vue « {name} » enregistrée — {where}.",
           "view_opened": "Vue « {name} » ouverte.",
           "headers": {"copies": "Copies", "rules": "Règles", "sentiment_label": "Tonalité",
                       "topic_label": "Sujet"}},
}
# The posts table: the text gets room, times stay on one line, labels are small.
_TABLE_CSS = (
    "<style>.listening-explorer table.posts td{line-height:1.3;padding:3px 6px;"
    "vertical-align:top}"
    ".listening-explorer table.posts td.col-text{min-width:280px}"
    ".listening-explorer .posts-scroll{overflow-x:auto;max-width:100%}"
    ".listening-explorer table.posts td.col-timestamp{white-space:nowrap}"
    ".listening-explorer table.posts td.col-topic_label,"
    ".listening-explorer table.posts td.col-rules,"
    ".listening-explorer table.posts td.col-sentiment_label{font-size:11px;max-width:150px}"
    "</style>")
# Numbers in the authors' tables: right-aligned, apart from their neighbours.
_NUM = "text-align:right;padding:0 0 0 18px"
_FREQ_WORDS = {"fr": {"hour": "heure", "day": "jour", "week": "semaine"}}


def _frame_of(data) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if hasattr(data, "mentions"):
        return data.mentions()
    raise TypeError(f"Explorer takes a mention frame or a store, got {type(data).__name__}")


def _n(value: int, lang: str) -> str:
    text = f"{int(value):,}"
    return text.replace(",", "\u202f") if lang == "fr" else text


def _pct(share: float, lang: str) -> str:
    text = f"{share:+.0%}"
    return text.replace("%", "\u00a0%") if lang == "fr" else text


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:60] or "view"


class Explorer:
    """Linked charts, panels and a table of posts over one mention frame.

    Parameters
    ----------
    data : DataFrame or Store
        Mentions (enriched or not); a store is read once with ``store.mentions()``
        and also keeps the named views.
    tz : str, optional
        Time zone of the charts' time axis and of the date filters (default:
        :func:`listening.widgets._common.local_tz`, Toronto unless ``LISTENING_TZ``).
    freq : {"hour", "day", "week"}
    page_size : int
        Posts per table page.
    store : Store, path or None
        Where named views are saved (default: the store ``data`` is, if it is one;
        otherwise views are kept for this session only).
    out_dir : path, optional
        Folder of the exports (default: the project's ``out/``).
    lang : {"en", "fr"}, optional
        Labels' language; sets the EN/FR switch shared by every widget.

    Examples
    --------
    >>> ex = Explorer(frame)                    # doctest: +SKIP
    >>> ex.platform.value = ("x",)              # doctest: +SKIP
    >>> ex.volume_frame["mentions"].sum() == ex.matches   # doctest: +SKIP
    True
    """

    def __init__(self, data, *, tz: str | None = None, freq: str = "day",
                 page_size: int = PAGE_SIZE, store=None, out_dir=None,
                 lang: str | None = None) -> None:
        import ipywidgets as w

        from ..errors import check_option

        check_option("freq", freq, list(FREQS))
        tz = tz or local_tz()
        self.index = FrameIndex(_frame_of(data))
        self.views = ViewBook(store if store is not None
                              else data if hasattr(data, "_write") else None)
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.page_size = page_size
        self.page = 0
        self.window: tuple[pd.Timestamp, pd.Timestamp] | None = None
        self.exported: Path | None = None
        self._quiet = False
        first, last = self._date_bounds(tz)

        def pick(key: str) -> w.SelectMultiple:
            options = self.index.options(key)
            longest = max((len(o) for o in options), default=8)
            # wide enough for the longest label (topic labels are three phrases)
            return w.SelectMultiple(options=options, rows=min(6, max(2, len(options))),
                                    layout=w.Layout(width=f"{min(440, 110 + 7 * longest)}px"),
                                    style={"description_width": "initial"})

        self.period = w.Dropdown(options=list(PERIODS), value="all",
                                 layout=w.Layout(width="260px"),
                                 style={"description_width": "initial"})
        self.since = w.DatePicker(value=first, layout=w.Layout(width="230px"),
                                  style={"description_width": "initial"})
        self.until = w.DatePicker(value=last, layout=w.Layout(width="230px"),
                                  style={"description_width": "initial"})
        self.freq = w.ToggleButtons(options=list(FREQS), value=freq,
                                    style={"description_width": "initial",
                                           "button_width": "96px"})
        zones = list(TIME_ZONES) if tz in TIME_ZONES else [tz, *TIME_ZONES]
        self.tz = w.Dropdown(options=zones, value=tz, layout=w.Layout(width="260px"),
                             style={"description_width": "initial"})
        self.compare = w.Checkbox(value=False, indent=False, layout=w.Layout(width="auto"))
        self.share_of = w.ToggleButtons(options=["rule", "topic"],
                                        value="rule" if self.index.rule_names else "topic",
                                        style={"description_width": "initial",
                                               "button_width": "90px"})
        self.platform = pick("platform")
        self.language = pick("language")
        self.sentiment = pick("sentiment")
        self.topic = pick("topic")
        self.rule = pick("rule")
        self.reset = w.Button(icon="times")
        self.prev_page = w.Button(icon="arrow-left")
        self.next_page = w.Button(icon="arrow-right")
        self.view_name = w.Text(layout=w.Layout(width="280px"),
                                style={"description_width": "initial"})
        self.save_view = w.Button(icon="bookmark")
        self.view_list = w.Dropdown(options=[], layout=w.Layout(width="260px"),
                                    style={"description_width": "initial"})
        self.open_view = w.Button(icon="folder-open")
        self.export_csv = w.Button(icon="download", description="CSV")
        self.export_xlsx = w.Button(icon="download", description="Excel")
        self.message = w.HTML()
        self.status = w.HTML()
        self.page_label = w.HTML()
        self.table = w.HTML()
        self.authors = w.HTML()
        self.volume_chart = chart_widget()
        self.sentiment_chart = chart_widget()
        self.topics_chart = chart_widget()
        self.platforms_chart = chart_widget()
        self.sov_chart = chart_widget()
        self._live = {name: LiveChart(getattr(self, f"{name}_chart"))
                      for name in ("volume", "sentiment", "topics", "platforms", "sov")}

        for control in (self.since, self.until):
            control.observe(self._on_dates, names="value")
        for control in (self.freq, self.platform, self.language, self.sentiment, self.topic,
                        self.rule, self.compare, self.share_of):
            control.observe(self._on_filter, names="value")
        self.period.observe(self._on_period, names="value")
        self.tz.observe(self._on_tz, names="value")
        self.reset.on_click(self._on_reset)
        self.prev_page.on_click(lambda _: self._turn(-1))
        self.next_page.on_click(lambda _: self._turn(+1))
        self.save_view.on_click(lambda _: self.save(self.view_name.value))
        self.open_view.on_click(lambda _: self.view_list.value and self.open(self.view_list.value))
        self.export_csv.on_click(lambda _: self.export("csv"))
        self.export_xlsx.on_click(lambda _: self.export("xlsx"))
        picks = [c for c in (self.platform, self.language, self.sentiment, self.topic, self.rule)
                 if c.options]
        self.widget = w.VBox([
            w.HBox([language_switch(), self.view_list, self.open_view, self.view_name,
                    self.save_view], layout=w.Layout(flex_flow="row wrap")),
            w.HBox([self.period, self.since, self.until, self.tz],
                   layout=w.Layout(flex_flow="row wrap")),
            w.HBox([self.freq, self.compare, self.reset], layout=w.Layout(flex_flow="row wrap")),
            w.HBox(picks, layout=w.Layout(flex_flow="row wrap")),
            self.status, self.volume_chart, self.sentiment_chart, self.topics_chart,
            w.HBox([self.authors], layout=w.Layout(flex_flow="row wrap")),
            self.share_of, self.sov_chart, self.platforms_chart,
            w.HBox([self.prev_page, self.next_page, self.page_label, self.export_csv,
                    self.export_xlsx], layout=w.Layout(flex_flow="row wrap")),
            self.message, self.table,
        ])
        self.widget.add_class("listening-explorer")
        self.lang = follow_language(lang, self._on_language)
        with self._hold():
            self._label()
        self._fill_views()
        self.refresh()

    # --------------------------------------------------------------- state
    @property
    def words(self) -> dict:
        return _WORDS[self.lang]

    def _label(self) -> None:
        """(Re)label every control in the chosen language."""
        words = self.words
        for name in ("period", "since", "until", "tz", "platform", "language",
                     "sentiment", "topic", "rule", "view_name", "view_list", "share_of"):
            key = {"since": "from", "until": "to", "tz": "zone", "freq": "per",
                   "view_list": "views"}.get(name, name)
            getattr(self, name).description = words[key]
        period, share_of = self.period.value, self.share_of.value
        self.period.options = [(words["periods"][k], k) for k in PERIODS]
        self.share_of.options = [(words["rules"], "rule"), (words["topics"], "topic")]
        self.period.value, self.share_of.value = period, share_of
        freq = self.freq.value
        self.freq.options = [(f"{words['per']} {_FREQ_WORDS.get(self.lang, {}).get(k, k)}", k)
                             for k in FREQS]
        self.freq.value = freq
        self.freq.description = ""   # "per day" on the buttons: a label above them wraps
        self.compare.description = words["compare"]
        self.reset.description = words["clear"]
        self.prev_page.description = words["newer"]
        self.next_page.description = words["older"]
        self.save_view.description = words["save_view"]
        self.open_view.description = words["open_view"]

    def _on_language(self, lang: str) -> None:
        self.lang = lang
        with self._hold():
            self._label()
        self.refresh()

    def _date_bounds(self, tz: str) -> tuple[dt.date | None, dt.date | None]:
        if self.index.n == 0:
            return None, None
        ts = pd.DatetimeIndex(self.index.ts[[0, -1]].view("datetime64[ns]"), tz="UTC")
        local = ts.tz_convert(tz)
        return local[0].date(), local[1].date()

    @property
    def filters(self) -> Filters:
        """The current filter state (UTC bounds; ``until`` is the end of the chosen day)."""
        return self._filters(self.since.value, self.until.value, window=self.window)

    def _filters(self, since, until, *, window=None) -> Filters:
        tz = self.tz.value

        def start_of(day):
            return None if day is None else pd.Timestamp(day).tz_localize(tz).tz_convert("UTC")

        return Filters(
            since=start_of(since),
            until=None if until is None else start_of(until + dt.timedelta(days=1)),
            platforms=tuple(self.platform.value), languages=tuple(self.language.value),
            sentiments=tuple(self.sentiment.value), topics=tuple(self.topic.value),
            rules=tuple(self.rule.value), window=window)

    def previous_filters(self) -> Filters | None:
        """The same filters over the period just before (same number of days)."""
        since, until = self.since.value, self.until.value
        first, last = self._date_bounds(self.tz.value)
        since, until = since or first, until or last
        if since is None or until is None:
            return None
        days = (until - since).days + 1
        return self._filters(since - dt.timedelta(days=days), since - dt.timedelta(days=1))

    def spec(self) -> dict:
        """The current view: filters, period, granularity, zone, comparison (JSON-ready)."""
        custom = self.period.value == "custom"
        return {"period": self.period.value,
                "since": str(self.since.value) if custom and self.since.value else None,
                "until": str(self.until.value) if custom and self.until.value else None,
                "platform": list(self.platform.value), "language": list(self.language.value),
                "sentiment": list(self.sentiment.value), "topic": list(self.topic.value),
                "rule": list(self.rule.value), "freq": self.freq.value, "tz": self.tz.value,
                "compare": bool(self.compare.value), "share_of": self.share_of.value}

    # ------------------------------------------------------------- events
    class _Hold:
        def __init__(self, explorer) -> None:
            self.explorer = explorer

        def __enter__(self):
            self.explorer._quiet = True

        def __exit__(self, *exc):
            self.explorer._quiet = False

    def _hold(self):
        """Change several controls with one redraw (events inside are ignored)."""
        return self._Hold(self)

    def _on_filter(self, change=None) -> None:
        if self._quiet:
            return
        self.page = 0
        self.window = None  # the volume chart is redrawn, which clears the brush
        self.refresh()

    def _on_dates(self, change=None) -> None:
        if self._quiet:
            return
        with self._hold():
            self.period.value = "custom"
        self._on_filter()

    def _period_dates(self, period: str) -> tuple[dt.date | None, dt.date | None]:
        first, last = self._date_bounds(self.tz.value)
        days = PERIODS.get(period)
        if days is None or last is None:
            return first, last
        return max(first, last - dt.timedelta(days=days - 1)), last

    def _on_period(self, change) -> None:
        if self._quiet or change["new"] == "custom":
            return
        with self._hold():
            self.since.value, self.until.value = self._period_dates(change["new"])
        self._on_filter()

    def _on_tz(self, change) -> None:
        """A new zone: a named period, or dates covering the whole data, still do."""
        old_first, old_last = self._date_bounds(change["old"])
        with self._hold():
            if self.period.value != "custom":
                self.since.value, self.until.value = self._period_dates(self.period.value)
            else:
                first, last = self._date_bounds(change["new"])
                if self.since.value == old_first:
                    self.since.value = first
                if self.until.value == old_last:
                    self.until.value = last
        self._on_filter()

    def _on_reset(self, _=None) -> None:
        with self._hold():  # one redraw, not one per control
            for control in (self.platform, self.language, self.sentiment, self.topic,
                            self.rule):
                control.value = ()
            self.period.value = "all"
            self.since.value, self.until.value = self._date_bounds(self.tz.value)
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
        last = max(0, (self.distinct - 1) // self.page_size)
        self.page = min(max(self.page + step, 0), last)
        self._draw_table(self.index.positions(self.filters))

    # ------------------------------------------------------------- views and exports
    def _fill_views(self, keep: str | None = None) -> None:
        names = self.views.names()
        with self._hold():
            self.view_list.options = names
            self.view_list.value = keep if keep in names else (names[0] if names else None)

    def save(self, name: str) -> str:
        """Save the current filters and period as the view ``name`` (in the store)."""
        from ..errors import OptionError

        try:
            name = self.views.save(name, self.spec())
        except OptionError as exc:
            self.message.value = f"<em>{escape(exc)}</em>"
            raise
        self._fill_views(keep=name)
        self.message.value = self.words["view_saved"].format(
            name=escape(name), where=escape(self.views.ref.describe()))
        return name

    def open(self, name: str) -> None:
        """Reopen the view saved as ``name``: its filters, period, zone and toggles."""
        spec = self.views.load(name)
        with self._hold():
            if spec.get("tz") in self.tz.options:
                self.tz.value = spec["tz"]
            for key in ("platform", "language", "sentiment", "topic", "rule"):
                control = getattr(self, key)
                control.value = tuple(v for v in spec.get(key, ()) if v in control.options)
            if spec.get("freq") in FREQS:
                self.freq.value = spec["freq"]
            if spec.get("share_of") in ("rule", "topic"):
                self.share_of.value = spec["share_of"]
            self.compare.value = bool(spec.get("compare", False))
            period = spec.get("period", "all")
            period = period if period in PERIODS else "all"
            self.period.value = period
            if period == "custom":
                self.since.value = dt.date.fromisoformat(spec["since"]) if spec.get("since") \
                    else self._date_bounds(self.tz.value)[0]
                self.until.value = dt.date.fromisoformat(spec["until"]) if spec.get("until") \
                    else self._date_bounds(self.tz.value)[1]
            else:
                self.since.value, self.until.value = self._period_dates(period)
            self.view_name.value = name
        self._on_filter()
        self.message.value = self.words["view_opened"].format(name=escape(name))

    def selection(self) -> pd.DataFrame:
        """Every mention the filters (and brush) select, oldest first, with a ``rules`` column."""
        rows = self.index.positions(self.filters)
        frame = self.index.frame
        out = frame.iloc[rows][[c for c in EXPORT_COLUMNS if c in frame.columns]]
        if "sentiment" in self.index.codes and "sentiment_label" not in out.columns:
            codes = self.index.codes["sentiment"][rows]  # from sentiment_labels(frame)
            names = np.asarray([*self.index.names["sentiment"], None], dtype=object)
            out = out.assign(sentiment_label=names[codes])  # code -1: the None at the end
        if self.index.rule_names:
            out = out.assign(rules=self.index.rules_column(rows))
        return out.reset_index(drop=True)

    def export(self, fmt: str = "csv", path=None) -> Path | None:
        """Write the selection with ``ls.export`` (``csv`` or ``xlsx``) to ``out/``; the path."""
        from ..errors import check_option
        from ..exporting import export

        check_option("fmt", fmt, ["csv", "xlsx"])
        selection = self.selection()
        words = self.words
        if selection.empty:
            self.message.value = f"<em>{words['nothing']}</em>"
            return None
        if fmt == "xlsx" and len(selection) > XLSX_MAX_ROWS:
            self.message.value = "<em>" + words["too_many"].format(
                n=_n(len(selection), self.lang), max=_n(XLSX_MAX_ROWS, self.lang)) + "</em>"
            return None
        if path is None:
            lo, hi = self.since.value, self.until.value
            name = _slug(self.view_name.value.strip() or "mentions")
            path = (self.out_dir or default_out_dir()) / f"{name}_{lo}_{hi}.{fmt}"
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.exported = export(selection, path)
        self.message.value = words["exported"].format(n=_n(len(selection), self.lang),
                                                      path=escape(self.exported))
        return self.exported

    # ------------------------------------------------------------- drawing
    def refresh(self, *, volume: bool = True) -> None:
        """Recompute every aggregate from the current filters and redraw."""
        freq, tz, lang, words = self.freq.value, self.tz.value, self.lang, self.words
        freq_word = _FREQ_WORDS.get(lang, {}).get(freq, freq)
        filters = self.filters
        selected = self.index.positions(filters)
        previous = self.previous_filters() if self.compare.value else None
        prev_rows = None if previous is None else self.index.positions(previous)
        if volume:
            whole = (selected if filters.window is None
                     else self.index.positions(filters, window=False))
            frame = self._trim(self.index.volume(whole, freq=freq, tz=tz),
                               filters.since, filters.until)
            frame = frame.assign(previous=np.nan if prev_rows is None
                                 else self._shifted(prev_rows, previous, frame))
            frame = with_bucket_end(frame, freq)
            newest = self._newest()
            self.volume_frame = frame.assign(
                partial=False if newest is None else frame["end"] > self._local(newest))
            title = words["volume_prev" if prev_rows is not None else "volume"].format(
                freq=freq_word, tz=tz)
            self._live["volume"].update(
                ("volume", freq, tz), lambda d: volume_brush_chart(d, freq=freq, tz=tz),
                self.volume_frame, title=title)
            self.volume_chart.selections.observe(self._on_brush, names=[BRUSH])
        # the other time charts zoom on the brushed period when there is one
        lo, hi = filters.window if filters.window is not None else (filters.since, filters.until)
        # shares and lines over a bucket the period or the data only partly cover read as
        # a collapse (or a 100% spike): those charts show whole buckets only
        self.sentiment_frame = self._whole(
            self.index.sentiment_over_time(selected, freq=freq, tz=tz), lo, hi)
        self.topics_frame = self._whole(
            self.index.topics_over_time(selected, freq=freq, tz=tz, others=words["others"]),
            lo, hi)
        self.platforms_frame = self.index.platforms(selected)
        self._live["sentiment"].update(
            ("sentiment", freq), lambda d: sentiment_share_chart(d, freq=freq),
            self.sentiment_frame, title=words["sentiment_t"])
        self._live["topics"].update(
            ("topics", freq), lambda d: topic_lines_chart(d, freq=freq), self.topics_frame,
            title=words["topics_t"])
        self._live["platforms"].update(
            ("platforms",), platform_bars_chart, self.platforms_frame,
            height=max(40, 18 * len(self.platforms_frame)), title=words["platforms_t"])
        self._draw_panels(selected, prev_rows)
        self._draw_status(selected, prev_rows, previous)
        self._draw_table(selected)

    def _shifted(self, prev_rows: np.ndarray, previous: Filters, current: pd.DataFrame):
        """Previous-period counts moved onto this period's buckets (same offset from start)."""
        freq, tz = self.freq.value, self.tz.value
        before = self._trim(self.index.volume(prev_rows, freq=freq, tz=tz),
                            previous.since, previous.until)
        if before.empty or current.empty:
            return np.full(len(current), np.nan)
        counts = before["mentions"].to_numpy()
        out = np.full(len(current), np.nan)
        k = min(len(counts), len(current))
        out[:k] = counts[:k]
        return out

    def _draw_panels(self, selected: np.ndarray, prev_rows: np.ndarray | None) -> None:
        words, lang = self.words, self.lang
        self.authors_frames = {by: self.index.top_authors(selected, by=by, n=TOP_AUTHORS)
                               for by in ("mentions", "reach")}
        tables = []
        for by, title in (("mentions", words["authors_m"]), ("reach", words["authors_r"])):
            top = self.authors_frames[by]
            body = "".join(
                f"<tr><td>{escape(a)}</td><td style='{_NUM}'>{_n(m, lang)}</td>"
                f"<td style='{_NUM}'>{'' if pd.isna(r) else _n(r, lang)}</td></tr>"
                for a, m, r in top.itertuples(index=False))
            tables.append(
                f"<div style='margin-right:24px'><b>{escape(title)}</b>"
                f"<table class='listening-authors'><thead><tr><th>{words['author']}</th>"
                f"<th style='{_NUM}'>{words['mentions']}</th>"
                f"<th style='{_NUM}'>{words['reach']}</th></tr></thead>"
                f"<tbody>{body}</tbody></table></div>")
        self.authors.value = "<div style='display:flex;flex-wrap:wrap'>" + "".join(tables) \
            + "</div>"
        of = self.share_of.value
        sov = self.index.share_of_voice(selected, of=of)
        if prev_rows is not None and not sov.empty:
            before = self.index.share_of_voice(prev_rows, of=of)
            sov = sov.assign(previous_share=sov["name"].map(
                dict(zip(before["name"], before["share"]))).astype(float))
        if not sov.empty:  # names with no mention in either period say nothing
            seen = sov["mentions"] > 0
            if "previous_share" in sov.columns:
                seen |= sov["previous_share"].fillna(0) > 0
            sov = sov[seen].reset_index(drop=True)
        self.sov_frame = sov
        title = words["sov_prev" if prev_rows is not None else "sov_t"].format(
            of=words["rules" if of == "rule" else "topics"])
        self._live["sov"].update(
            ("sov", self.lang), lambda d: share_of_voice_chart(
                d, current=words["this"], previous=words["previous"]),
            sov.reindex(columns=["name", "mentions", "share", "previous_share"]),
            title=title, height=max(40, 20 * len(sov)))

    def _draw_status(self, selected, prev_rows, previous) -> None:
        words, lang = self.words, self.lang
        self.matches = len(selected)
        window = ""
        if self.window is not None:
            lo, hi = (self._local(t).strftime("%Y-%m-%d %H:%M") for t in self.window)
            window = words["in_window"].format(lo=lo, hi=hi)
        text = words["match"].format(n=_n(self.matches, lang), total=_n(self.index.n, lang),
                                     window=window)
        self.previous_matches = None
        if prev_rows is not None:
            self.previous_matches = len(prev_rows)
            lo = self._local(previous.since).strftime("%Y-%m-%d")
            hi = (self._local(previous.until) - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
            # the period is compared with the one before, never a brushed part of it
            period_n = self.matches
            if self.window is not None:
                period_n = len(self.index.positions(self.filters, window=False))
                text += words["period_n"].format(n=_n(period_n, lang))
            if len(prev_rows):
                change = _pct(period_n / len(prev_rows) - 1, lang)
                text += words["vs"].format(change=change, prev=_n(len(prev_rows), lang),
                                           lo=lo, hi=hi)
            else:
                text += words["no_previous"].format(lo=lo, hi=hi)
        self.status.value = text + "."

    def _trim(self, data: pd.DataFrame, lo, hi) -> pd.DataFrame:
        """Rows of time buckets overlapping ``lo``..``hi`` (UTC; None = open)."""
        if data.empty:
            return data
        step = STEPS[self.freq.value]
        times = data["time"].to_numpy(dtype="datetime64[ns]")
        keep = np.ones(len(data), dtype=bool)
        if lo is not None:
            keep &= times + step.to_timedelta64() > self._local(lo).to_datetime64()
        if hi is not None:
            keep &= times < self._local(hi).to_datetime64()
        return data if keep.all() else data[keep].reset_index(drop=True)

    def _whole(self, data: pd.DataFrame, lo, hi) -> pd.DataFrame:
        """Rows of buckets that the period ``lo``..``hi`` and the data cover at least half
        of (a last hour of a day is not a day: its shares and counts would read as a spike
        or a collapse); a subset of :meth:`_trim`'s."""
        if data.empty:
            return data
        step = STEPS[self.freq.value]
        starts = data["time"].to_numpy(dtype="datetime64[ns]")
        ends = starts + step.to_timedelta64()
        newest = self._newest()
        stops = [self._local(t).to_datetime64() for t in (hi, newest) if t is not None]
        first = np.maximum(starts, self._local(lo).to_datetime64()) if lo is not None else starts
        last = np.minimum(ends, min(stops)) if stops else ends
        covered = (last - first) / step.to_timedelta64()
        keep = covered >= 0.5
        return data if keep.all() else data[keep].reset_index(drop=True)

    def _newest(self) -> pd.Timestamp | None:
        """The newest mention's time (UTC), or None for an empty frame."""
        return pd.Timestamp(int(self.index.ts[-1]), tz="UTC") if self.index.n else None

    def _local(self, ts: pd.Timestamp) -> pd.Timestamp:
        return ts.tz_convert(self.tz.value).tz_localize(None)

    def _draw_table(self, selected) -> None:
        words, lang = self.words, self.lang
        self.matches = len(selected)
        rows, self.distinct = self.index.collapsed_rows(selected, page=self.page,
                                                        page_size=self.page_size)
        labels = self.index.labels_of(rows.index.to_numpy())
        if "rules" in labels:  # rule names wrap in a narrow column
            labels["rules"] = [r.replace("_", " ") for r in labels["rules"]]
        shown = rows.assign(**labels)
        shown = shown.assign(timestamp=shown["timestamp"].dt.tz_convert(self.tz.value)
                             .dt.strftime("%Y-%m-%d %H:%M"))
        self.table_frame = shown.loc[:, [c for c in ("mention_id", *TABLE_COLUMNS)
                                         if c in shown.columns]]
        pages = max(1, -(-self.distinct // self.page_size))
        self.page_label.value = words["page"].format(page=self.page + 1, pages=_n(pages, lang),
                                                     distinct=_n(self.distinct, lang))
        self.prev_page.disabled = self.page == 0
        self.next_page.disabled = self.page + 1 >= pages
        from ..report import posts_table_html

        self.table.value = (posts_html(shown.iloc[:0], lang=lang) if shown.empty else
                            _TABLE_CSS + "<div class='posts-scroll'>" + posts_table_html(
                                self.table_frame, TABLE_COLUMNS, lang=lang, tz=self.tz.value,
                                max_rows=len(shown), headers=words["headers"]) + "</div>")

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
