"""The manager brief: a one-page note of what happened, what is coming, what to do.

>>> import listening as ls
>>> frame, truth = ls.demo.generate(n_mentions=2_000, days=14, seed=1)
>>> ls.brief(frame, path="out/brief.html")          # doctest: +SKIP
PosixPath('out/brief.html')

The brief is built in two steps, both public: :func:`build_brief` aggregates the
frame into a :class:`Brief` (numbers, alerts, topics, forecast, actions,
provenance, charts) and :func:`write_brief` renders it to ``.html``, ``.md`` or
``.pdf``. :func:`brief` does both. :func:`posts_table_html` is the escaped table
of posts the widgets reuse.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ..errors import OptionError, check_option
from ..exporting import check_inside
from .actions import load_actions
from .content import Brief, build_brief, negative_share
from .render import FORMATS, PAPERS, find_chromium, render_html, render_markdown, write_brief
from .tables import is_safe_url, posts_table_html, safe_link

__all__ = [
    "Brief",
    "brief",
    "build_brief",
    "find_chromium",
    "is_safe_url",
    "load_actions",
    "negative_share",
    "posts_table_html",
    "render_html",
    "render_markdown",
    "safe_link",
    "write_brief",
]


def brief(frame: pd.DataFrame, *, alerts: pd.DataFrame | None = None,
          forecast: pd.DataFrame | None = None, period: str | pd.Timedelta = "7D",
          path: str | os.PathLike = "out/brief.html", lang: str = "en",
          end: str | pd.Timestamp | None = None, tz: str = "America/Toronto",
          actions: str | os.PathLike | None = None, rules=None,
          voices: Mapping[str, object] | None = None, paper: str = "letter",
          root: str | os.PathLike | None = None, pseudonymise: bool = False,
          secret: bytes | None = None) -> Path:
    """Write the manager brief for the last ``period`` of ``frame``.

    The first page is the brief a director reads in a minute (headline, key
    numbers against the previous period and the same period last month, top
    alerts in words, trend and forecast, suggested actions, rising subjects); the
    evidence, the annex charts, the monitoring rules and the methods follow on a
    clearly optional annex page. Every word is in ``lang``. Below the documented
    minimums (:data:`~listening.report.content.MIN_FORECAST_DAYS` days of history
    for a forecast, :data:`~listening.report.content.MIN_CHART_DAYS` days for a
    chart, :data:`~listening.report.content.MIN_SHARE_MENTIONS` scored mentions
    for a share) a section says why its numbers are absent.

    Parameters
    ----------
    frame : DataFrame
        Mentions. Needs ``mention_id`` and ``timestamp``; uses when present
        ``sentiment_label`` (or ``sentiment``), ``reach``, ``platform``,
        ``topic_label`` (or ``topic``), ``rule_<name>`` columns and, for the
        evidence posts, ``author``, ``text``, ``url``. Nothing is added or changed.
    alerts : DataFrame, optional
        From ``detect_threats``: ``segment, start, end, signal, severity, score,
        terms, example_ids, coordination, why``. The most severe alerts still
        open in the period are shown with two or three evidence posts.
    forecast : DataFrame, optional
        From ``forecast``: ``segment, timestamp, metric, forecast, lo80, hi80,
        lo95, hi95, events``.
    period : str
        Length of the reported period (a pandas offset such as ``"7D"``); it ends
        at the last mention (or ``end``) and is compared with the period before.
    path : str or Path
        ``.html`` (self-contained), ``.md`` (PNG charts beside it) or ``.pdf``
        (needs headless Chromium).
    lang : {"en", "fr"}
    end : timestamp, optional
        End of the period (default: the last mention's time).
    tz : str
        Time zone of the dates shown (default Eastern).
    actions : path, optional
        An action-rules YAML file (default: ``listening/resources/report/actions.yaml``).
    rules : list of Rule, optional
        The monitoring rules behind ``rule_<name>`` columns: their names title the
        rules table and their versions go in the provenance footer (else
        ``frame.attrs["listening"]["rules"]``).
    voices : dict, optional
        Other organisations or campaigns to compare with: name -> a rule query or a
        list of terms (as :func:`listening.trends.share_of_voice` takes them); adds a
        share-of-voice line under the key numbers.
    paper : {"letter", "a4"}
        Page size of the PDF (and of the HTML when printed); the first page fits both.
    root : path, optional
        If given, ``path`` must lie inside this folder (:class:`UnsafePathError`).
    pseudonymise : bool
        Replace every handle the brief would show (authors, handles in posts and web
        addresses, alert sentences and terms, topic labels) with keyed tokens, as
        :func:`listening.export` does; the institutional accounts of
        ``resources/accounts.yaml`` stay readable. Needs ``secret``.
    secret : bytes, optional
        The pseudonymisation key, ``store.secret()`` (the same tokens as the store's
        pseudonymised exports, so a colleague can match them).

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    check_option("the brief's extension", path.suffix.lower(), FORMATS,
                 hint=f"Cannot write a brief to {str(path)!r}: name it .html (browser), .md "
                      "(Markdown, charts as PNG files beside it) or .pdf (needs Chromium)")
    check_option("paper", paper, PAPERS)
    if root is not None:
        path = check_inside(path, root)
    if path.suffix.lower() == ".pdf":
        find_chromium()  # fail before the work if the renderer is missing
    if pseudonymise:
        if secret is None:
            raise OptionError("brief(pseudonymise=True) needs secret=: pass "
                              "secret=store.secret() (the store's pseudonymisation key)")
        from ..pseudonymise import pseudonymise_frame

        frame = pseudonymise_frame(frame, secret=secret)
        if alerts is not None:
            alerts = pseudonymise_frame(alerts, secret=secret)
    content = build_brief(frame, alerts=alerts, forecast=forecast, period=period, lang=lang,
                          end=end, tz=tz, actions=actions, rules=rules, voices=voices)
    return write_brief(content, path, paper=paper)
