"""Escaped HTML for user-generated text: tables of posts and safe links.

Everything a user or a platform wrote (text, author, URL, topic labels) goes
through :func:`html.escape` before it reaches HTML; only ``http``/``https`` URLs
become links, opened with ``rel="noopener noreferrer"``. The threat board and
explorer widgets reuse :func:`posts_table_html`.
"""

from __future__ import annotations

import html
import numbers
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

import pandas as pd

from .formatting import fmt_datetime, fmt_int, fmt_short_datetime, is_missing

__all__ = ["DEFAULT_POST_COLUMNS", "escape", "is_safe_url", "posts_table_html", "safe_link"]

DEFAULT_POST_COLUMNS = ("timestamp", "platform", "author", "text", "url")
_HEADERS = {
    "en": {"timestamp": "Time", "platform": "Platform", "author": "Author", "text": "Text",
           "url": "Link", "reach": "Reach", "likes": "Likes", "shares": "Shares",
           "comments": "Comments", "sentiment_label": "Sentiment", "topic_label": "Topic",
           "language": "Language", "mention_id": "ID"},
    "fr": {"timestamp": "Heure", "platform": "Plateforme", "author": "Auteur", "text": "Texte",
           "url": "Lien", "reach": "Portée", "likes": "J'aime", "shares": "Partages",
           "comments": "Commentaires", "sentiment_label": "Tonalité", "topic_label": "Sujet",
           "language": "Langue", "mention_id": "ID"},
}
_LINK_TEXT = {"en": "open", "fr": "ouvrir"}
# Whitespace and control characters have no place in a URL we turn into a link.
_UNSAFE_URL_CHARS = re.compile(r"[\x00-\x20\x7f]")


def escape(value: object) -> str:
    """HTML-escape any value (quotes included); missing values become an empty string."""
    if is_missing(value):
        return ""
    return html.escape(str(value), quote=True)


def is_safe_url(url: object) -> bool:
    """True for absolute ``http(s)://host/...`` URLs without spaces or control characters.

    >>> is_safe_url("https://x.com/a"), is_safe_url("javascript:alert(1)")
    (True, False)
    """
    if not isinstance(url, str) or not url or _UNSAFE_URL_CHARS.search(url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def safe_link(url: object, text: object | None = None) -> str:
    """An ``<a>`` for a safe URL, else the URL as escaped text (never a live link)."""
    label = escape(url if text is None else text)
    if not is_safe_url(url):
        return label
    return (f'<a href="{escape(url)}" rel="noopener noreferrer" target="_blank">'
            f"{label}</a>")


def _cell(column: str, value: object, *, lang: str, tz: str, max_chars: int | None,
          short_times: bool = False) -> str:
    if is_missing(value):
        return ""
    if column == "url":
        # unsafe URLs are shown as text, so the analyst sees what was there
        return safe_link(value, _LINK_TEXT.get(lang, "open")) if is_safe_url(value) else escape(value)
    if isinstance(value, pd.Timestamp):
        return escape((fmt_short_datetime if short_times else fmt_datetime)(value, lang, tz))
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return escape(fmt_int(value, lang))
    text = str(value)
    if max_chars is not None and len(text) > max_chars:
        text = text[:max_chars - 1].rstrip() + "…"
    return escape(text)


def posts_table_html(frame: pd.DataFrame, columns: Sequence[str] = DEFAULT_POST_COLUMNS, *,
                     max_rows: int = 50, lang: str = "en", tz: str = "America/Toronto",
                     max_chars: int | None = None, table_class: str = "posts",
                     headers: dict[str, str] | None = None, short_times: bool = False) -> str:
    """An HTML table of posts with every value escaped and only http(s) links.

    Parameters
    ----------
    frame : DataFrame
        Mentions; columns not in the frame are skipped (so alerts or summaries work).
    columns : list of str
        Columns to show, in order. ``url`` becomes a link when safe; times are shown
        in ``tz``; counts with the language's thousands separator.
    max_rows : int
        At most this many rows (the first ones).
    max_chars : int, optional
        Shorten longer cells (display only) with an ellipsis.
    headers : dict, optional
        Column titles overriding the built-in English/French ones.
    short_times : bool
        Times without the year (``Nov 3 14:05``), for a table inside a dated period.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"text": ["<script>alert(1)</script>"], "url": ["javascript:alert(1)"]})
    >>> "<script>" in posts_table_html(f)
    False
    """
    shown = [c for c in columns if c in frame.columns]
    titles = {**_HEADERS.get(lang, _HEADERS["en"]), **(headers or {})}
    head = "".join(f'<th scope="col">{escape(titles.get(c, c))}</th>' for c in shown)
    rows = []
    for record in frame[shown].head(max_rows).itertuples(index=False, name=None):
        cells = "".join(
            f'<td class="col-{escape(c)}">'
            f"{_cell(c, v, lang=lang, tz=tz, max_chars=max_chars, short_times=short_times)}</td>"
            for c, v in zip(shown, record))
        rows.append(f"<tr>{cells}</tr>")
    return (f'<table class="{escape(table_class)}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")
