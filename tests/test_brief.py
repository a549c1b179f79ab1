"""The manager's note (issue 17): one page, wholly in one language, in a manager's words.

Rendered from a relative path (``out/...``, as the demo does) in English and French
as HTML, Markdown and PDF; the PDF checks need headless Chromium and poppler
(``make system-deps``) and skip cleanly without them.
"""

from __future__ import annotations

import html as html_lib
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import listening as ls
from listening.report import brief, build_brief
from listening.report.content import MIN_FORECAST_DAYS, MIN_SHARE_MENTIONS
from listening.report.strings import strings
from listening.threats import registry
from listening.threats.titles import alert_titles, find_place, severity_words, signal_title

# Words of the English brief, its charts and legends that must never show in French.
ENGLISH_WORDS = ["Mentions per day", "share of mentions", "negative", "neutral", "positive",
                 "Severity", "severity", "Forecast", "forecast", "Key numbers", "Top alerts",
                 "Audience", "Potential reach", "Suggested actions", "This period", "Previous",
                 "Change", "observed", "Rising", "Subject", "Annex", "Methods", "Example",
                 "an hour", "near-identical", "Platforms", "languages", "news sites", "English",
                 "French", "times the usual", "since", "critical", "Largest", "mentions so far"]
# Internal names that must not appear above the annex (methods and provenance).
INTERNAL = re.compile(r"topic:-?\d|language:[a-z]|platform:[a-z]|threat_vocabulary|"
                      r"negative_share|new_topic|emerging_terms|\b[a-z]+_[a-z_]+\b|\.ya?ml|"
                      r"listening/|unknown|\btopic -?\d")
# A number escaped for Markdown ("\23.7%", "\+13%") shows its backslash in renderers.
ESCAPED_NUMBER = re.compile(r"\\[+\-−]?\d")


@pytest.fixture(scope="module")
def demo():
    """A month of enriched demo mentions with alerts and a forecast (the demo's pipeline)."""
    frame, truth = ls.demo.generate(n_mentions=6_000, days=28, seed=0)
    frame = ls.enrich(frame)
    alerts = ls.detect_threats(frame)
    return frame, alerts, ls.forecast(frame, horizon="7D"), truth


@pytest.fixture(scope="module")
def rendered(demo, tmp_path_factory):
    """HTML and Markdown in both languages, written from the relative path ``out/``."""
    frame, alerts, fc, _ = demo
    folder = tmp_path_factory.mktemp("briefs")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        out = {}
        for lang in ("en", "fr"):
            for suffix in ("html", "md"):
                path = brief(frame, alerts=alerts, forecast=fc, lang=lang,
                             path=f"out/brief_{lang}.{suffix}")
                assert not path.is_absolute() and str(path).startswith("out")
                out[lang, suffix] = (folder / path).read_text(encoding="utf-8")
    return folder, out


def _visible_text(page: str) -> str:
    """The text a reader sees in an HTML page (SVG chart text included)."""
    page = re.sub(r"<(style|title)[^>]*>.*?</\1>", " ", page, flags=re.DOTALL)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", page))


def _first_page(page: str) -> str:
    return page[page.index('<main id="brief">'):page.index("</main>")]


def _content(frame: pd.DataFrame) -> list[str]:
    """What people and the topic model wrote (posts, authors, subject labels): quoted as is."""
    values = list(frame["text"].astype(str)) + list(frame["author"].astype(str))
    values += list(frame["topic_label"].dropna().astype(str).unique())
    return sorted(set(values), key=len, reverse=True)


def _without_content(text: str, content: list[str]) -> str:
    for value in content:
        if len(value) > 3 and value in text:
            text = text.replace(value, " ")
    return text


# ------------------------------------------------------------------- broken outputs

def test_markdown_from_a_relative_path_has_its_images_beside_it(rendered):
    folder, out = rendered
    assert not (folder / "out" / "out").exists()
    for lang in ("en", "fr"):
        md = out[lang, "md"]
        targets = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
        assert {t.split("_")[-1] for t in targets} == {"volume.png", "sentiment.png", "topics.png"}
        for target in targets:
            image = folder / "out" / target
            assert image.read_bytes()[:4] == b"\x89PNG", target
        links = re.findall(r"(?<!!)\[[^\]]*\]\(([^)]+)\)", md)
        assert links and all(link.startswith("https://") for link in links)


def test_no_backslash_escaped_numbers_in_markdown(rendered):
    _, out = rendered
    for lang in ("en", "fr"):
        md = out[lang, "md"]
        assert not ESCAPED_NUMBER.search(md), ESCAPED_NUMBER.search(md).group(0)
        table = [line for line in md.splitlines() if line.startswith("| Mentions |")]
        assert table and re.search(r"\| [+−±]\d+\s?%", table[0]), table  # a signed change
        share = [line for line in md.splitlines() if re.match(r"\| (Negative|Mentions nég)", line)]
        assert share and re.search(r"\| \d+[.,]\d\s?% \|", share[0]), share  # "29.6%", no "\"


def test_markdown_escaping_still_stops_list_items_and_markup():
    from listening.report.render import md_escape

    assert md_escape("23.7%") == "23.7%" and md_escape("+13%") == "+13%"
    assert md_escape("- item") == "\\- item" and md_escape("1. item") == "1\\. item"
    assert md_escape("*bold* [x](y)") == "\\*bold\\* \\[x\\](y)"


def test_cli_brief_names_rule_versions_and_titles(demo, tmp_path, monkeypatch):
    from listening.cli import _library_rules
    from listening.rules import load_rules

    frame, alerts, fc, _ = demo
    stored = frame.copy()
    stored.attrs = {}  # a frame read back from the store carries no provenance
    rules = _library_rules(None, stored)
    assert {r.column for r in rules} == {c for c in frame.columns if c.startswith("rule_")}
    assert rules and all(r in load_rules("data/rules") for r in rules)
    b = build_brief(stored, alerts=alerts, forecast=fc, rules=rules)
    assert "unknown" not in b.provenance["rules"].values()
    assert {r["rule"] for r in b.rules} <= {r.name for r in rules}  # titles, not slugs


# ------------------------------------------------------------------- French is French

def test_french_brief_has_no_english_words(demo, rendered):
    frame, *_ = demo
    _, out = rendered
    content = _content(frame)
    for suffix in ("html", "md"):
        page = out["fr", suffix]
        text = _visible_text(page) if suffix == "html" else page
        text = _without_content(text, content)
        found = [w for w in ENGLISH_WORDS if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)]
        assert found == [], (suffix, found)
    # the charts' own words (axes, legends) are French too
    svgs = re.findall(r"<svg.*?</svg>", out["fr", "html"], flags=re.DOTALL)
    assert len(svgs) == 3
    chart_text = _without_content(_visible_text(" ".join(svgs)), content)
    assert "mentions négatives" in chart_text and "prévision" in chart_text
    assert not re.search(r"\b(mentions per|observed|forecast|negative|share)\b", chart_text)


def test_english_brief_has_no_french_chart_words(rendered):
    _, out = rendered
    svgs = " ".join(re.findall(r"<svg.*?</svg>", out["en", "html"], flags=re.DOTALL))
    text = _visible_text(svgs)
    assert "observed" in text and "negative mentions" in text
    assert "prévision" not in text and "négatives" not in text


# ------------------------------------------------------------------- a manager's words

@pytest.mark.parametrize("lang", ["en", "fr"])
def test_no_internal_identifiers_above_the_annex(demo, rendered, lang):
    frame, *_ = demo
    _, out = rendered
    content = _content(frame)
    first = _without_content(_visible_text(_first_page(out[lang, "html"])), content)
    assert not INTERNAL.search(first), INTERNAL.search(first).group(0)
    md = out[lang, "md"]
    main = md[:md.index("\n---\n")]
    main = _without_content(re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", main), content)
    assert not INTERNAL.search(main.replace("\\_", "_")), INTERNAL.search(main).group(0)


def test_alert_titles_say_what_where_and_since_when(demo):
    frame, alerts, _, truth = demo
    fire = truth.set_index("incident").loc["wildfire_evacuation"]
    row = alerts[alerts["terms"].map(lambda t: "wildfire" in " ".join(t) or "evacuation"
                                     in " ".join(t))].head(1)
    assert len(row), alerts[["segment", "terms"]]
    words = alert_titles(row, lang="en", frame=frame).iloc[0]
    assert words["what"] == "evacuations" and words["where"] == "Kenora"
    start = pd.Timestamp(row["start"].iloc[0]).tz_convert("America/Toronto")
    assert words["title"] == f"Evacuations near Kenora, since {start:%a} {start.day} {start:%b %H:%M}"
    assert start >= fire["onset"].tz_convert("America/Toronto").floor("h") - pd.Timedelta("1h")
    assert words["severity_text"] == severity_words(row["severity"].iloc[0], "en")
    assert "times the usual" in words["why"] and "topic:" not in words["why"]
    fr = alert_titles(row, lang="fr", frame=frame).iloc[0]
    assert fr["title"].startswith("Évacuations près de Kenora, depuis le ")
    assert "fois la normale" in fr["why"]
    signal = row["signal"].iloc[0]
    assert words["signal_text"] == registry.signal_title(signal, "en") != signal
    assert fr["signal_text"] == registry.signal_title(signal, "fr") != signal
    assert signal_title("renamed_long_ago", "fr") == strings("fr")["signal_other"]


def test_severity_words_and_places():
    assert [severity_words(s, "en") for s in (2, 5, 7, 10)] == ["low", "moderate", "high", "critical"]
    assert severity_words(9, "fr") == "critique"
    assert find_place(["Smoke over Thunder Bay", "Thunder Bay shelter", "ok"]) == "Thunder Bay"
    assert find_place(["nothing here", "nor here", "Kenora once", "x", "y", "z"]) is None


def test_audience_counts_each_author_once_at_their_largest_reach(demo):
    frame, alerts, fc, _ = demo
    b = build_brief(frame, alerts=alerts, forecast=fc)
    row = next(n for n in b.numbers if n["key"] == "audience")
    cur = frame[(frame["timestamp"] > b.start) & (frame["timestamp"] <= b.end)]
    best = cur.assign(a=cur["author"].str.casefold()).groupby("a")["reach"].max()
    assert row["current"] == int(best.sum()) < int(cur["reach"].sum())
    assert f"{len(best):,} authors" in row["note"]


def test_headline_is_one_sentence_that_leads_with_the_worst_alert(demo):
    frame, alerts, fc, _ = demo
    for lang in ("en", "fr"):
        b = build_brief(frame, alerts=alerts, forecast=fc, lang=lang)
        sentence = b.headline
        assert sentence[0].isupper() and sentence.endswith(".")
        assert not re.search(r"[.!?]\s+[A-ZÀ-Ý]", sentence)  # one sentence ("lun. 16" is not an end)
        lead = b.alerts[0]
        if lead["severity"] >= 7:
            assert lead["since"] in sentence and f"{lead['severity']}/10" in sentence


# ------------------------------------------------------------------- honest with little data

def test_small_store_brief_says_why_numbers_are_absent(tmp_path, monkeypatch):
    frame, _ = ls.demo.generate(n_mentions=5, days=2, seed=1)
    frame = ls.enrich(frame, topics=None)
    fc = ls.forecast(frame, horizon="7D")
    assert len(fc)  # the forecast function still answers; the brief must not print it
    monkeypatch.chdir(tmp_path)
    for lang in ("en", "fr"):
        b = build_brief(frame, alerts=ls.detect_threats(frame), forecast=fc, lang=lang)
        assert b.forecast is None and "volume" not in b.charts and "sentiment" not in b.charts
        assert re.search(r"\d of the 14 needed|\d sur les 14 nécessaires", b.absent["forecast"])
        share = next(n for n in b.numbers if n["key"] == "negative_share")
        assert share["current"] is None and f"{MIN_SHARE_MENTIONS}" in share["note"]
        audience = next(n for n in b.numbers if n["key"] == "audience")
        assert audience["current"] and audience["current_text"] != "0"
        md = brief(frame, forecast=fc, lang=lang, path=f"out/small_{lang}.md").read_text("utf-8")
        assert "![" not in md
        assert not re.search(r"About \d|Environ \d|95%|95 %\)", md.split("\n---\n")[0])
    assert MIN_FORECAST_DAYS == 14


# ------------------------------------------------------------------- comparisons

def test_last_month_and_share_of_voice(tmp_path):
    frame, _ = ls.demo.generate(n_mentions=4_000, days=60, seed=3)
    frame = frame.assign(sentiment=np.random.default_rng(0).uniform(-1, 1, len(frame)))
    voices = {"OPP": ["OPP", "PPO"], "Police services": ["police"]}
    b = build_brief(frame, voices=voices)
    assert b.has_last_month
    volume = b.numbers[0]
    month_end = b.end - pd.DateOffset(months=1)
    expected = int(((frame["timestamp"] > b.start - pd.DateOffset(months=1))
                    & (frame["timestamp"] <= month_end)).sum())
    assert volume["last_month"] == expected and volume["month_change_text"] != "–"
    cur = frame[(frame["timestamp"] > b.start) & (frame["timestamp"] <= b.end)]
    sov = ls.trends.share_of_voice(cur, voices).set_index("name")["share"]
    assert f"OPP {100 * sov['OPP']:.0f}%" in b.share_of_voice
    page = brief(frame, voices=voices, path=tmp_path / "b.html").read_text("utf-8")
    assert "Same period last month" in page and 'id="share-of-voice"' in page
    short = build_brief(frame[frame["timestamp"] > b.end - pd.Timedelta("20D")])
    assert not short.has_last_month  # the data does not reach back a month


def test_strings_have_the_same_keys_in_both_languages():
    en, fr = strings("en"), strings("fr")
    assert set(en) == set(fr)
    for key in ("platforms", "languages"):
        assert set(en[key]) == set(fr[key])


# ------------------------------------------------------------------- one page (PDF)

def _pdf_tools() -> None:
    from listening.errors import RendererMissingError
    from listening.report import find_chromium

    try:
        find_chromium()
    except RendererMissingError:
        pytest.skip("headless Chromium is not installed (make system-deps)")
    if shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None:
        pytest.skip("pdftotext/pdfinfo are not installed (apt-get install poppler-utils)")


def _pdf_text(path: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(path),
                           "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.slow
@pytest.mark.parametrize("lang,paper", [("en", "letter"), ("fr", "letter"), ("en", "a4"),
                                        ("fr", "a4")])
def test_pdf_brief_fits_one_page_with_an_optional_annex(demo, tmp_path, monkeypatch, lang, paper):
    _pdf_tools()
    frame, alerts, fc, _ = demo
    monkeypatch.chdir(tmp_path)
    path = brief(frame, alerts=alerts, forecast=fc, lang=lang, paper=paper,
                 path=f"out/brief_{lang}.pdf")
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) == 2
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups()
    assert [round(float(v)) for v in size] == ([612, 792] if paper == "letter" else [595, 842])
    s = strings(lang)
    first, annex = _pdf_text(path, 1), _pdf_text(path, 2)
    for heading in ("title", "alerts", "actions", "rising_topics"):
        assert s[heading] in first, heading
    assert s["annex"].split()[0] in annex.strip().splitlines()[0]  # the annex opens page 2
    assert s["methods"] in annex and s["methods"] not in first
    volume = next(n for n in build_brief(frame, alerts=alerts, forecast=fc, lang=lang).numbers)
    assert volume["current_text"].replace("\u202f", " ") in first.replace("\u202f", " ")
    assert [p.name for p in (tmp_path / "out").iterdir()] == [f"brief_{lang}.pdf"]


def test_chart_text_prints_at_8_points_or_more(rendered):
    """Charts are drawn at their printed size (1 CSS px = 0.75 pt): 11 px text = 8.25 pt."""
    _, out = rendered
    for lang in ("en", "fr"):
        svgs = re.findall(r"<svg[^>]*>", out[lang, "html"])
        widths = [float(re.search(r'width="([\d.]+)"', svg).group(1)) for svg in svgs]
        assert widths and max(widths) <= 703  # A4 between 12 mm margins: never scaled down
        sizes = [float(v) for v in re.findall(r'font-size[=:]\s*"?([\d.]+)px', out[lang, "html"])
                 if v]
        svg_sizes = [float(v) for chunk in re.findall(r"<svg.*?</svg>", out[lang, "html"],
                                                       flags=re.DOTALL)
                     for v in re.findall(r'font-size="([\d.]+)px"', chunk)]
        assert svg_sizes and min(svg_sizes) * 0.75 >= 8, min(svg_sizes)
        assert sizes


# ------------------------------------------------------------------- the demo

@pytest.mark.slow
def test_demo_writes_a_brief_in_each_language(tmp_path, monkeypatch):
    from listening.cli import main

    monkeypatch.setenv("LISTENING_STORE", str(tmp_path / "store.duckdb"))
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--n", "3000", "--days", "21"]) == 0
    en = (tmp_path / "out" / "brief.html").read_text("utf-8")
    fr = (tmp_path / "out" / "brief_fr.html").read_text("utf-8")
    assert '<html lang="en">' in en and '<html lang="fr">' in fr
    assert "Note de veille" in fr and "Social listening brief" in en
    md = (tmp_path / "out" / "brief_fr.md").read_text("utf-8")
    for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md):
        assert (tmp_path / "out" / target).is_file()


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_crowded_brief_keeps_page_one_whole_and_moves_details_to_the_annex(demo, tmp_path, lang):
    """Three open alerts, calendar events, share of voice: page 1 still ends before the annex."""
    _pdf_tools()
    frame, alerts, _, _ = demo
    end = frame["timestamp"].max()
    crowded = alerts.head(3).assign(end=end)
    calendar = pd.DataFrame({"date": [end + pd.Timedelta("2D"), end + pd.Timedelta("4D")],
                             "event": ["Remembrance Day ceremonies", "Council budget vote"]})
    fc = ls.forecast(frame, horizon="7D", calendar=calendar)
    path = brief(frame, alerts=crowded, forecast=fc, lang=lang, path=tmp_path / "b.pdf",
                 voices={"OPP": ["OPP", "PPO"], "RCMP": ["RCMP", "GRC"]})
    s = strings(lang)
    first, second = _pdf_text(path, 1), _pdf_text(path, 2)
    assert s["annex_pointer"].split()[0] in first.strip().splitlines()[-1]  # page 1 is whole
    assert s["annex"].split()[0] in second.strip().splitlines()[0]
    # the annex may run over a page, but no section splits: the methods heading and the
    # provenance's last line share a page
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(
        ["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout).group(1))
    texts = [_pdf_text(path, n) for n in range(1, pages + 1)]
    holding = [n for n, t in enumerate(texts) if s["methods"] in t]
    assert len(holding) == 1 and s["generator"] in texts[holding[0]]
    page = path.with_suffix(".html")
    text = brief(frame, alerts=crowded, forecast=fc, lang=lang, path=page,
                 voices={"OPP": ["OPP", "PPO"], "RCMP": ["RCMP", "GRC"]}).read_text("utf-8")
    for a in build_brief(frame, alerts=crowded, forecast=fc, lang=lang).alerts:
        assert a["title"] in html_lib.unescape(text)  # nothing is dropped


def test_headline_leads_with_a_rise_of_negative_mentions_without_a_severe_alert():
    frame, _ = ls.demo.generate(n_mentions=3_000, days=21, seed=5)
    end = frame["timestamp"].max()
    recent = (frame["timestamp"] > end - pd.Timedelta("7D")).to_numpy()
    rng = np.random.default_rng(1)
    negative = np.where(recent, rng.random(len(frame)) < 0.5, rng.random(len(frame)) < 0.2)
    frame = frame.assign(sentiment_label=pd.Categorical(
        np.where(negative, "negative", "neutral"), categories=["negative", "neutral", "positive"]))
    en = build_brief(frame, alerts=frame.iloc[:0].assign(severity=[], start=[], end=[]))
    assert en.headline.startswith("Negative mentions rose to ") and "pts on the previous" in en.headline
    fr = build_brief(frame, lang="fr")
    assert fr.headline.startswith("Les mentions négatives ont atteint ")


def test_a_pseudonymised_brief_names_nobody_but_institutions(tmp_path, monkeypatch):
    from listening.pseudonymise import default_allow_list

    monkeypatch.chdir(tmp_path)
    frame, _ = ls.demo.generate(n_mentions=3_000, days=21, seed=2)
    frame = ls.score_sentiment(frame)
    alerts = ls.detect_threats(frame)
    secret = b"k" * 32
    people = {a for a in frame["author"].dropna().astype(str) if a.lower().lstrip("@") not in
              {h.lower().lstrip("@") for h in default_allow_list()}}
    plain = brief(frame, alerts=alerts, path="out/plain.md")
    shown = [a for a in people if a in plain.read_text(encoding="utf-8")]
    assert shown, "the plain brief shows some private authors (else this test proves nothing)"
    with pytest.raises(ls.errors.OptionError, match="secret=store.secret"):
        brief(frame, alerts=alerts, path="out/p.md", pseudonymise=True)
    safe = brief(frame, alerts=alerts, path="out/safe.md", pseudonymise=True, secret=secret)
    text = safe.read_text(encoding="utf-8")
    assert not [a for a in shown if a in text]
    html = brief(frame, alerts=alerts, path="out/safe.html", pseudonymise=True, secret=secret)
    assert not [a for a in shown if a in html.read_text(encoding="utf-8")]


@pytest.mark.slow
def test_the_demo_briefs_keep_page_one_whole_and_never_split_an_annex_section(tmp_path,
                                                                               monkeypatch):
    """`make demo`'s own job: page 1 is the brief; the annex may run over two pages on busy
    data, but every section (evidence, charts, rules, methods) stays on one page."""
    _pdf_tools()
    from listening.cli import main

    monkeypatch.setenv("LISTENING_STORE", str(tmp_path / "s.duckdb"))
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == 0
    for lang, name in (("en", "brief.pdf"), ("fr", "brief_fr.pdf")):
        path = tmp_path / "out" / name
        s = strings(lang)
        pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(
            ["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout).group(1))
        texts = [_pdf_text(path, n) for n in range(1, pages + 1)]
        assert s["annex_pointer"].split()[0] in texts[0].strip().splitlines()[-1]
        assert s["annex"].split()[0] in texts[1].strip().splitlines()[0]
        for first, last in ((s["methods"], s["generator"]), (s["rules"], s["change"])):
            holding = [n for n, t in enumerate(texts) if first in t]
            assert holding and last in texts[holding[-1]], (lang, first)
