"""Helpers shared by the widgets: safe HTML tables of posts, chart display, demo data."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ..report.tables import escape
from ..schema import MENTION_COLUMNS

__all__ = [
    "DEMO_MENTIONS",
    "LANGUAGES",
    "POST_COLUMNS",
    "StoreRef",
    "chart_widget",
    "default_out_dir",
    "demo_frame",
    "escape",
    "language_switch",
    "local_tz",
    "posts_html",
]

# The demo store the notebooks build when none exists: large enough for every stage
# (topics, threats, forecasts) and small enough to enrich in a few seconds.
DEMO_MENTIONS = 20_000
# What an analyst needs to judge a post and open it.
POST_COLUMNS = ("timestamp", "platform", "author", "text", "reach", "url")


# The languages of the widgets' labels (one switch for all, see :func:`language_switch`).
LANGUAGES = (("EN", "en"), ("FR", "fr"))
_SWITCH = None


def local_tz() -> str:
    """The zone every widget and notebook shows times in: ``LISTENING_TZ``, else Toronto.

    One setting for tables, triage logs and charts (:data:`listening.windows.DEFAULT_TZ`
    when ``LISTENING_TZ`` is not set). An unknown zone name is refused with the fix.
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from ..errors import OptionError
    from ..windows import DEFAULT_TZ

    zone = os.environ.get("LISTENING_TZ", "").strip() or DEFAULT_TZ
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise OptionError(f"LISTENING_TZ={zone!r} is not a time zone; use an IANA name such as "
                          "'America/Toronto' or unset it", name="LISTENING_TZ",
                          value=zone) from exc
    return zone


def language_switch():
    """The EN/FR toggle shared by every widget of this kernel (one place to switch).

    Each widget shows this same control and relabels itself when it changes, so
    the Threat Board, the Response Queue and the Explorer always speak one language.
    """
    global _SWITCH
    if _SWITCH is None:
        import ipywidgets as w

        _SWITCH = w.ToggleButtons(options=LANGUAGES, value="en", description="",
                                  tooltips=["English", "Français"],
                                  style={"button_width": "44px"})
        _SWITCH.add_class("listening-language")
    return _SWITCH


def forget_language_switch() -> None:
    """Drop this kernel's switch: the next widget makes a new one (tests start afresh)."""
    global _SWITCH
    _SWITCH = None


def follow_language(lang: str | None, redraw) -> str:
    """Set the shared switch to ``lang`` (when given), call ``redraw(lang)`` on each change.

    Returns the language now chosen.
    """
    from ..errors import check_option

    switch = language_switch()
    if lang is not None:
        check_option("lang", lang, [code for _, code in LANGUAGES])
        switch.value = lang
    switch.observe(lambda change: redraw(change["new"]), names="value")
    return switch.value


def default_out_dir() -> Path:
    """``out/`` beside the default store's ``data/`` folder: where every widget writes."""
    from ..store import default_store_path

    return default_store_path().parent.parent / "out"


def posts_html(frame: pd.DataFrame, columns=POST_COLUMNS, *, tz: str | None = None,
               lang: str = "en") -> str:
    """An HTML table of posts, every value escaped, only ``http(s)`` links (keep it a page).

    The widgets and the brief show posts the same way:
    :func:`listening.report.posts_table_html` does the escaping.
    """
    from ..report import posts_table_html

    if frame.empty:
        return "<p><em>" + ("Aucune publication." if lang == "fr" else "No posts match.") \
            + "</em></p>"
    return posts_table_html(frame, [c for c in columns if c in frame.columns],
                            tz=tz or local_tz(), max_rows=len(frame), lang=lang)


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "listening"


def offline_charts() -> None:
    """Make ``alt.JupyterChart`` load Vega from a local bundle, not a CDN.

    Altair's ``JupyterChart.enable_offline()`` bundles Vega with vl-convert, which
    takes several seconds per kernel. The bundle depends only on the Altair and
    vl-convert versions, so it is kept in ``~/.cache/listening/`` (``XDG_CACHE_HOME``)
    and read back by the next kernel; anything unexpected falls back to Altair's
    own call.
    """
    import altair as alt

    if getattr(alt.JupyterChart, "_is_offline", False):
        return
    try:
        import vl_convert

        cached = _cache_dir() / (f"jupyterchart-altair{alt.__version__}"
                                 f"-vlc{vl_convert.__version__}.js")
        if cached.is_file():
            alt.JupyterChart._esm = cached.read_text("utf-8")
            alt.JupyterChart._is_offline = True
            return
    except (ImportError, OSError, AttributeError):
        cached = None
    alt.JupyterChart.enable_offline()
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(alt.JupyterChart._esm, "utf-8")
            tmp.replace(cached)  # atomic: a concurrent kernel reads a whole file or none
        except OSError:
            pass  # a read-only home: bundle again next time


def chart_widget(chart=None):
    """An ``alt.JupyterChart`` showing ``chart``; assign ``.chart`` to redraw it.

    Charts draw without internet access (see :func:`offline_charts`). An empty
    chart is used when ``chart`` is None.
    """
    import altair as alt

    offline_charts()
    if chart is None:
        chart = alt.Chart(pd.DataFrame({"x": []})).mark_point()
    # SVG: crisp in screenshots and briefs, and each mark is an element (testable)
    return alt.JupyterChart(chart, embed_options={"renderer": "svg", "actions": False})


def demo_frame(*, n_mentions: int = DEMO_MENTIONS, store_path: str | Path | None = None,
               seed: int = 0, enrich: bool = False) -> pd.DataFrame:
    """The mentions in the default store, building a demo store first when it is empty.

    The store is ``store_path``, else ``LISTENING_STORE``, else the project's
    ``data/listening.duckdb`` (see :func:`listening.open_store`). When it holds no
    mentions, ``ls.demo.generate`` makes ``n_mentions`` and they are added, so every
    notebook runs out of the box. The store is closed again before returning, so
    other notebooks and the CLI can open it.

    With ``enrich=True`` the mentions come back enriched: when some stored mention has
    no sentiment yet, :func:`listening.enrich` runs once over all of them and its
    columns are saved with ``store.add_enrichment``; later calls (the other
    notebooks) read them back instead of enriching again.
    """
    from .. import demo
    from ..store import open_store

    with open_store(store_path) as store:
        frame = store.mentions()
        if len(frame) == 0:
            generated, _ = demo.generate(n_mentions=n_mentions, seed=seed)
            store.add(generated)
            frame = store.mentions()
        if not enrich:
            return frame
        if "sentiment" in frame.columns and frame["sentiment"].notna().all():
            return frame
        from ..pipeline import enrich as run_enrich

        enriched = run_enrich(frame.drop(columns=[c for c in frame.columns
                                                 if c not in MENTION_COLUMNS]))
        keep = [c for c in enriched.columns
                if c in ("sentiment", "sentiment_label", "topic", "topic_label")
                or (c.startswith("rule_") and pd.api.types.is_bool_dtype(enriched[c]))]
        store.add_enrichment(enriched, keep)
        return enriched


class StoreRef:
    """A store the widgets write to: an open ``Store``, a path, or nothing.

    With a path the store is opened for each read or write and closed at once, so a
    notebook left open does not lock the store against colleagues and the CLI
    (DuckDB allows one writer at a time). With ``None`` decisions are kept in
    memory only and the widgets say so.
    """

    def __init__(self, store) -> None:
        self.store = store

    @property
    def persistent(self) -> bool:
        return self.store is not None

    def call(self, method: str, *args, **kwargs):
        if self.store is None:
            raise RuntimeError("no store: decisions are kept in this session only")
        if hasattr(self.store, method):
            return getattr(self.store, method)(*args, **kwargs)
        from ..store import open_store

        with open_store(self.store) as store:
            return getattr(store, method)(*args, **kwargs)

    def describe(self) -> str:
        if self.store is None:
            return "not saved (no store given: pass store= to keep decisions)"
        return f"saved in {getattr(self.store, 'path', self.store)}"
