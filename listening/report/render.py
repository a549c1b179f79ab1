"""Render a :class:`~listening.report.content.Brief` as HTML, Markdown or PDF.

* HTML: one self-contained file, charts inline as SVG (rendered offline by
  vl-convert), print CSS for one or two A4 pages. Jinja2 with autoescape on.
* Markdown: charts as PNG files beside it (``<stem>_<chart>.png``); every value
  is escaped for Markdown and for the HTML that Markdown lets through.
* PDF: the HTML printed by headless Chromium (:func:`find_chromium`).

All files are written atomically; generated file names are checked with
:func:`listening.exporting.safe_join`.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from ..errors import ListeningError, RendererMissingError, check_option
from ..exporting import atomic_path, safe_join, write_bytes_atomic, write_text_atomic
from .content import MIN_CHART_DAYS, MIN_FORECAST_DAYS, MIN_SHARE_MENTIONS, Brief
from .formatting import fmt_datetime, fmt_int
from .layout import plan_first_page
from .tables import is_safe_url, posts_table_html

__all__ = [
    "CHROMIUM_FLAGS",
    "FORMATS",
    "PAPERS",
    "find_chromium",
    "html_to_pdf",
    "md_escape",
    "render_html",
    "render_markdown",
    "write_brief",
]

FORMATS = (".html", ".md", ".pdf")
# Page sizes for print (CSS @page size): North America's Letter by default, or A4.
PAPERS = {"letter": "letter", "a4": "A4"}
# Headless printing without touching the network, the GPU or the user's profile.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-pdf-header-footer")
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Printing a two-page brief takes about a second; allow for a cold, busy machine.
CHROMIUM_TIMEOUT = 120
_CHART_WIDE = {"volume"}
# A provenance version no stage recorded (e.g. a frame read back from the store).
_UNKNOWN = "unknown"
# Characters with a meaning in Markdown (CommonMark + GFM tables/strikethrough).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")
# A value printed at the start of a line must not open a list item: CommonMark needs a
# space (or the end of the line) after "-", "+" or "1." for that, so "+13%" and "23.7%"
# stay as they are.
_MD_BULLET = re.compile(r"^([-+])(?=\s|$)")
_MD_ORDERED = re.compile(r"^(\d+)([.)])(?=\s|$)")


def md_escape(value: object) -> str:
    """Escape text for Markdown: HTML-escaped, Markdown punctuation backslashed, one line.

    >>> print(md_escape("<b>*hi*</b> [x](javascript:y)"))
    &lt;b&gt;\\*hi\\*&lt;/b&gt; \\[x\\](javascript:y)
    """
    if value is None:
        return ""
    if isinstance(value, Markup):
        return str(value)
    text = html.escape(str(value), quote=False)
    text = re.sub(r"\s*[\r\n]+\s*", " ", text)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _MD_BULLET.sub(r"\\\1", text)
    return _MD_ORDERED.sub(r"\1\\\2", text)


def _env(markdown: bool) -> jinja2.Environment:
    loader = jinja2.PackageLoader("listening", "resources/templates")
    if markdown:
        return jinja2.Environment(loader=loader, autoescape=False, finalize=md_escape,
                                  undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)


def _joined(mapping: dict, lang: str, none: str, unknown: str | None = None) -> str:
    if not mapping:
        return none
    if unknown is not None and all(str(v) == _UNKNOWN for v in mapping.values()):
        return ", ".join(mapping) + f" ({unknown})"
    return ", ".join(f"{k} {fmt_int(v, lang) if isinstance(v, int) else v}"
                     for k, v in mapping.items())


def _provenance_text(b: Brief) -> dict[str, str]:
    rec, lang, t = b.provenance, b.lang, b.labels
    period = rec["data_period"]
    platforms = {t["platforms"].get(k, k): v for k, v in rec["sources"].get("platforms", {}).items()}
    files = rec["sources"].get("files", {})
    sources = _joined(platforms, lang, t["none"])
    if files:
        sources += " (" + _joined(files, lang, t["none"]) + ")"
    return {
        "period": f"{fmt_datetime(period['start'], lang, b.tz)} – {fmt_datetime(period['end'], lang, b.tz)}",
        "sources": sources,
        "counts": fmt_int(rec["rows"], lang),
        "rules": _joined(rec["rules"], lang, t["none"], t["models_stored"]),
        "models": _joined(rec["models"], lang, t["none"], t["models_stored"]),
        "actions_file": rec.get("actions_file", ""),
        "generated": rec["generated_at"],
    }


def _context(b: Brief) -> dict:
    from string import Template

    t = b.labels
    days = fmt_int(b.days, b.lang) if b.days == int(b.days) else str(b.days)
    supplied = b.provenance.get("alerts_supplied")
    return {"b": b, "t": t, "p": _provenance_text(b),
            "colon": "\u00a0:" if b.lang == "fr" else ":",
            "previous_label": Template(t["previous_period"]).safe_substitute(days=days),
            "forecast_title": Template(t["forecast"]).safe_substitute(days=days),
            "alerts_none": t["no_alerts"] if supplied is None else t["no_alerts_in_period"],
            "annex_pointer": t["annex_pointer"],
            "methods_note": Template(t["methods_note"]).safe_substitute(days=days),
            "minimums_note": Template(t["minimums_note"]).safe_substitute(
                forecast_days=fmt_int(MIN_FORECAST_DAYS, b.lang),
                chart_days=fmt_int(MIN_CHART_DAYS, b.lang),
                share_mentions=fmt_int(MIN_SHARE_MENTIONS, b.lang))}


def _titles(b: Brief) -> dict[str, str]:
    volume = b.labels["chart_volume"] if b.forecast else b.labels["chart_volume_only"]
    return {"volume": volume, "sentiment": b.labels["chart_sentiment"],
            "topics": b.labels["chart_topics"]}


def _printed(name: str, chart, *, height: int | None = None):
    from ..charts import HALF_WIDTH, WIDTH, print_ready

    if name in _CHART_WIDE and height is not None:
        chart = chart.properties(height=height)
    return print_ready(chart, width=WIDTH if name in _CHART_WIDE else HALF_WIDTH)


def _severity_class(severity: int) -> str:
    return "critical" if severity >= 9 else "high" if severity >= 7 else \
        "moderate" if severity >= 4 else "low"


def render_html(b: Brief, *, paper: str = "letter") -> str:
    """The brief as one self-contained HTML document (charts as inline SVG).

    ``paper`` (``"letter"`` or ``"a4"``) is the page size the browser prints on;
    the first page fits either.
    """
    check_option("paper", paper, PAPERS)
    from ..charts import to_svg

    plan = plan_first_page(b, has_chart="volume" in b.charts)
    alerts = []
    for a in b.alerts:
        table = (Markup(posts_table_html(a["evidence"], lang=b.lang, tz=b.tz, short_times=True))
                 if len(a["evidence"]) else "")
        alerts.append({**a, "table": table, "severity_class": _severity_class(a["severity"])})
    titles = _titles(b)
    # vl-convert writes chart text (labels, titles) as escaped SVG text nodes.
    charts = [{"name": name, "title": titles.get(name, name), "wide": name in _CHART_WIDE,
               "svg": Markup(_strip_xml_header(to_svg(
                   _printed(name, chart, height=plan.chart_height), lang=b.lang)))}
              for name, chart in b.charts.items()]
    return _env(False).get_template("brief.html.j2").render(
        **_context(b), alerts=alerts, charts=charts, paper=PAPERS[paper], plan=plan)


def _strip_xml_header(svg: str) -> str:
    return re.sub(r"^\s*<\?xml[^>]*>\s*", "", svg)


def _md_link(url: object, text: str) -> Markup | str:
    if not is_safe_url(url):
        return ""
    target = quote(str(url), safe=":/?#=&%@+,;~.-_!$'*")
    target = target.replace("(", "%28").replace(")", "%29")
    return Markup(f"([{md_escape(text)}]({target}))")


def render_markdown(b: Brief, *, image_stem: str = "brief") -> tuple[str, dict[str, bytes]]:
    """The brief as Markdown plus its charts as PNG bytes, keyed by file name."""
    from ..charts import to_png

    alerts = []
    for a in b.alerts:
        posts = []
        for row in a["evidence"].to_dict("records"):
            posts.append({"time": fmt_datetime(row.get("timestamp"), b.lang, b.tz),
                          "platform": row.get("platform") or "", "author": row.get("author") or "",
                          "text": row.get("text") or "",
                          "link": _md_link(row.get("url"), b.labels["open"])})
        alerts.append({**a, "posts": posts})
    titles = _titles(b)
    images, charts = {}, []
    for name, chart in b.charts.items():
        file_name = f"{image_stem}_{name}.png"
        images[file_name] = to_png(_printed(name, chart), lang=b.lang)
        alt = md_escape(titles.get(name, name))
        charts.append({"name": name, "title": titles.get(name, name),
                       "image": Markup(f"![{alt}]({quote(file_name)})")})
    text = _env(True).get_template("brief.md.j2").render(**_context(b), alerts=alerts,
                                                          charts=charts)
    return re.sub(r"\n{3,}", "\n\n", text), images


def find_chromium() -> str:
    """Path of a Chromium/Chrome executable (``$LISTENING_CHROMIUM`` first)."""
    override = os.environ.get("LISTENING_CHROMIUM")
    if override:
        if Path(override).is_file() and os.access(override, os.X_OK):
            return override
        raise RendererMissingError(f"LISTENING_CHROMIUM={override!r} is not an executable file")
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise RendererMissingError(
        "writing a PDF brief needs headless Chromium, which was not found; install it with "
        "`apt-get install chromium` (or set LISTENING_CHROMIUM to a Chrome/Chromium binary), "
        "or write the brief as .html and print it from a browser")


def html_to_pdf(html_text: str, pdf_path: str | os.PathLike) -> Path:
    """Print ``html_text`` to ``pdf_path`` with headless Chromium (atomic write)."""
    browser = find_chromium()
    pdf_path = Path(pdf_path)
    with tempfile.TemporaryDirectory(prefix="listening-pdf-") as work:
        page = Path(work) / "brief.html"
        page.write_text(html_text, encoding="utf-8")
        profile = Path(work) / "profile"
        with atomic_path(pdf_path) as tmp:
            command = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                       f"--print-to-pdf={tmp}", page.as_uri()]
            try:
                done = subprocess.run(command, capture_output=True, text=True,
                                      timeout=CHROMIUM_TIMEOUT, check=False)
            except subprocess.TimeoutExpired as exc:
                raise ListeningError(f"Chromium did not finish printing {pdf_path} within "
                                     f"{CHROMIUM_TIMEOUT} s; try again or write .html") from exc
            if done.returncode != 0 or tmp.stat().st_size == 0:
                tail = (done.stderr or "").strip().splitlines()[-3:]
                raise ListeningError(f"Chromium failed to print {pdf_path} (exit {done.returncode}): "
                                     + " | ".join(tail))
    return pdf_path


def write_brief(b: Brief, path: str | os.PathLike, *, paper: str = "letter") -> Path:
    """Write ``b`` to ``path``; the extension (.html, .md, .pdf) picks the format.

    ``paper``: ``"letter"`` or ``"a4"``, the page size of the PDF (and of the HTML
    when printed).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"cannot write a brief to {str(path)!r}: the extension must be one of "
                         f"{', '.join(FORMATS)}")
    if suffix == ".html":
        return write_text_atomic(path, render_html(b, paper=paper))
    if suffix == ".pdf":
        return html_to_pdf(render_html(b, paper=paper), path)
    text, images = render_markdown(b, image_stem=path.stem)
    for name, data in images.items():
        write_bytes_atomic(safe_join(path.parent, name), data)
    return write_text_atomic(path, text)
