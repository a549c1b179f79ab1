"""The manager brief: numbers, languages, escaping, actions, provenance, PDF."""

from __future__ import annotations

import html
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from listening.errors import ListeningError, RendererMissingError, UnsafePathError
from listening.provenance import data_hash
from listening.report import brief, build_brief, posts_table_html
from listening.report import render as render_module

XSS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]


@pytest.fixture(scope="module")
def scored():
    from listening.demo import generate

    frame, truth = generate(n_mentions=3_000, days=21, seed=2)
    rng = np.random.default_rng(0)
    score = rng.uniform(-1, 1, len(frame))
    frame = frame.assign(sentiment=score, sentiment_label=pd.Categorical(
        np.where(score < -0.05, "negative", np.where(score > 0.05, "positive", "neutral")),
        categories=["negative", "neutral", "positive"]))
    frame["topic_label"] = pd.array(rng.choice(["road closures", "scam calls", XSS[1]],
                                               len(frame)), dtype="string")
    frame["rule_scam"] = frame["text"].str.contains("scam", case=False)
    frame.attrs["listening"] = {"rules": {"scam": "3"}, "models": {"sentiment": "vader-3.3.2"}}
    # an evidence post carrying the XSS payloads
    frame.loc[frame.index[-1], ["text", "author", "url"]] = [XSS[0] + " " + XSS[1], XSS[0],
                                                             "javascript:alert(1)"]
    return frame, truth


def _alerts(frame: pd.DataFrame, truth: pd.DataFrame, severity: int = 8) -> pd.DataFrame:
    end = frame["timestamp"].max()
    scam = truth.set_index("incident").loc["police_impersonation_scam", "mention_ids"]
    return pd.DataFrame({
        "segment": ["all", XSS[0]], "start": [end - pd.Timedelta("2D"), end - pd.Timedelta("1D")],
        "end": [end, end], "signal": ["volume", "negative"], "observed": [120, 40],
        "expected": [20.0, 10.0], "score": [9.1, 4.0], "severity": [severity, 5],
        "terms": [["scam", "gift cards"], ["arrest"]],
        "example_ids": [list(scam[:4]), [frame["mention_id"].iloc[-1]]],
        "coordination": [True, False], "why": ["Scam reports rose sixfold " + XSS[1], XSS[0]],
        "alert_key": ["a1", "a2"]})


def _forecast(frame: pd.DataFrame) -> pd.DataFrame:
    days = pd.date_range(frame["timestamp"].max().floor("D") + pd.Timedelta("1D"), periods=7,
                         freq="D")
    return pd.DataFrame({"segment": "all", "timestamp": days, "metric": "volume",
                         "forecast": 100.0, "lo80": 80.0, "hi80": 120.0, "lo95": 70.0,
                         "hi95": 130.0, "events": [None, "Remembrance Day", None, None, None,
                                                   None, None]})


def _expected(frame: pd.DataFrame, period="7D") -> dict:
    end = frame["timestamp"].max()
    start = end - pd.Timedelta(period)
    cur = frame[(frame["timestamp"] > start) & (frame["timestamp"] <= end)]
    prev = frame[(frame["timestamp"] > start - pd.Timedelta(period))
                 & (frame["timestamp"] <= start)]
    return {"volume": (len(cur), len(prev)),
            "negative_share": ((cur["sentiment_label"] == "negative").mean(),
                               (prev["sentiment_label"] == "negative").mean()),
            "audience": (_audience(cur), _audience(prev))}


def _audience(part: pd.DataFrame) -> int:
    """Each distinct author once, at their largest follower count."""
    return int(part.assign(a=part["author"].str.casefold()).groupby("a")["reach"].max().sum())


@pytest.fixture(scope="module")
def english(scored, tmp_path_factory):
    frame, truth = scored
    folder = tmp_path_factory.mktemp("brief")
    before = frame.copy()
    html_path = brief(frame, alerts=_alerts(frame, truth), forecast=_forecast(frame),
                      path=folder / "brief.html")
    md_path = brief(frame, alerts=_alerts(frame, truth), forecast=_forecast(frame),
                    path=folder / "brief.md")
    pd.testing.assert_frame_equal(frame, before)
    return html_path.read_text(encoding="utf-8"), md_path.read_text(encoding="utf-8"), folder


def test_html_numbers_match_the_frame(scored, english):
    frame, _ = scored
    html, _, _ = english
    expected = _expected(frame)
    for key, (current, previous) in expected.items():
        row = re.search(rf'<tr data-key="{key}">(.*?)</tr>', html, re.DOTALL).group(1)
        values = re.findall(r'data-value="([^"]*)"', row)
        assert float(values[0]) == pytest.approx(current)
        assert float(values[1]) == pytest.approx(previous)
    # the shown text agrees with the raw value
    row = re.search(r'<tr data-key="volume">(.*?)</tr>', html, re.DOTALL).group(1)
    assert f"{expected['volume'][0]:,}" in row
    neg = re.search(r'<tr data-key="negative_share">(.*?)</tr>', html, re.DOTALL).group(1)
    assert f"{100 * expected['negative_share'][0]:.1f}%" in neg
    low, high = (float(x) for x in re.search(r'data-low="([^"]+)" data-high="([^"]+)"', neg).groups())
    assert low < expected["negative_share"][0] < high and high - low < 0.15


def test_markdown_numbers_match_and_charts_are_pngs_beside_it(scored, english):
    frame, _ = scored
    _, md, folder = english
    expected = _expected(frame)
    volume = next(line for line in md.splitlines() if line.startswith("| Mentions |"))
    cells = [c.strip() for c in volume.strip("|").split("|")]
    assert cells[1:3] == [f"{expected['volume'][0]:,}", f"{expected['volume'][1]:,}"]
    audience = next(line for line in md.splitlines() if line.startswith("| Audience of distinct"))
    assert f"{expected['audience'][0]:,}" in audience
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert images and all((folder / name).read_bytes()[:4] == b"\x89PNG" for name in images)


def test_sections_headline_forecast_events_and_actions(english):
    html, md, _ = english
    headline = re.search(r'<p class="headline" id="headline">(.*?)</p>', html, re.DOTALL).group(1)
    assert "(high, 8/10, since" in headline and headline.count(".") == 1
    assert headline.startswith("The main issue this period is scams and impersonation")
    assert 'data-total="700.0"' in html and "560–840" in html  # 7 days x 100, 80% range summed
    assert "Remembrance Day" in html
    assert 'data-action="scam_warning"' in html and 'data-action="escalate"' in html
    assert "Issue a scam warning" in md
    assert "Scam reports rose sixfold" not in html  # the brief writes its own why sentence
    assert "Up to 120 mentions an hour, 6 times the usual 20" in html
    assert html.count('class="alert"') == 2
    assert "Methods and provenance" in html and "Methods and provenance" in md


def test_user_text_is_escaped_everywhere(english):
    html, md, _ = english
    for payload in XSS:
        assert payload not in html, payload
        assert payload not in md, payload
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'href="javascript' not in html and "](javascript" not in md
    assert "<script" not in html.lower()


def test_provenance_footer_traces_the_data(scored, english):
    frame, _ = scored
    html, md, _ = english
    assert f'data-hash="{data_hash(frame)}"' in html
    assert data_hash(frame) in md
    footer = html[html.index('<footer id="provenance">'):]
    assert "scam 3" in footer and "vader-3.3.2" in footer
    assert f"{len(frame):,}" in footer
    assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", footer)  # generation time


def test_french_brief_uses_french_typography(scored, tmp_path):
    frame, truth = scored
    path = brief(frame, alerts=_alerts(frame, truth), forecast=_forecast(frame),
                 path=tmp_path / "note.html", lang="fr")
    html = path.read_text(encoding="utf-8")
    assert '<html lang="fr">' in html and "Chiffres clés" in html and "Mesures proposées" in html
    expected = _expected(frame)
    share = f"{100 * expected['negative_share'][0]:.1f}".replace(".", ",") + "\u00a0%"
    assert share in html
    audience = f"{expected['audience'][0]:,}".replace(",", "\u202f")
    assert audience in html
    assert "Publier une mise en garde contre la fraude" in html
    assert "gravité élevée, 8/10" in html


def test_suggested_actions_follow_the_rules_file(scored, tmp_path):
    frame, truth = scored
    quiet = build_brief(frame, alerts=_alerts(frame, truth, severity=6))
    assert "scam_warning" not in {a.id for a in quiet.actions}
    rules = tmp_path / "actions.yaml"
    rules.write_text("actions:\n  - id: custom\n    scope: brief\n    when: {min_volume_change: -1}\n"
                     "    en: 'Volume $volume_change'\n    fr: 'Volume $volume_change'\n")
    custom = build_brief(frame, actions=rules)
    assert [a.id for a in custom.actions] == ["custom"]
    rules.write_text("actions:\n  - id: bad\n    scope: alert\n    when: {min_sevrity: 7}\n"
                     "    en: x\n    fr: x\n")
    with pytest.raises(ListeningError, match="min_sevrity"):
        build_brief(frame, actions=rules)


def test_minimal_frame_without_enrichment(tmp_path):
    frame = pd.DataFrame({"mention_id": ["1", "2", "3"],
                          "timestamp": pd.to_datetime(["2026-11-01", "2026-11-05", "2026-11-09"],
                                                      utc=True),
                          "text": ["a", "b", "c"]})
    out = brief(frame, path=tmp_path / "b.md")
    md = out.read_text(encoding="utf-8")
    assert "sentiment not scored" in md and "Subjects have not been computed" in md
    assert "No alerts were supplied" in md and "No forecast was supplied" in md
    assert "Only 2 mentions in this period" in md


def test_posts_table_html_escapes_and_links_only_http():
    frame = pd.DataFrame({"timestamp": pd.to_datetime(["2026-11-01T15:00Z"] * 3, utc=True),
                          "author": [XSS[0], "@a", "@b"], "text": [XSS[1], "ok", "ok"],
                          "url": ["https://x.com/a?q=1&r=\"2\"", "javascript:alert(1)",
                                  "data:text/html,<script>alert(1)</script>"]})
    table = posts_table_html(frame, ["timestamp", "author", "text", "url"])
    assert all(p not in table for p in XSS)
    links = re.findall(r"<a [^>]*>", table)
    assert links == [('<a href="https://x.com/a?q=1&amp;r=&quot;2&quot;" '
                      'rel="noopener noreferrer" target="_blank">')]
    assert "javascript:alert(1)" in table  # shown as text, not as a link
    assert "Nov 1, 2026 10:00" in table  # Toronto time


def test_paths_and_formats_are_checked(scored, tmp_path):
    frame, _ = scored
    with pytest.raises(UnsafePathError):
        brief(frame, path="../b.html", root=tmp_path)
    with pytest.raises(ValueError, match=r"'\.html', '\.md' or '\.pdf'"):
        brief(frame, path=tmp_path / "b.docx")
    with pytest.raises(ValueError, match="'letter' or 'a4'"):
        brief(frame, path=tmp_path / "b.html", paper="legal")
    with pytest.raises(TypeError):
        brief(frame, None, None, "7D", tmp_path / "b.html")  # options are keyword-only


def test_missing_renderer_says_how_to_install(scored, tmp_path, monkeypatch):
    frame, _ = scored
    monkeypatch.delenv("LISTENING_CHROMIUM", raising=False)
    monkeypatch.setattr(render_module.shutil, "which", lambda name: None)
    with pytest.raises(RendererMissingError, match="apt-get install chromium"):
        brief(frame, path=tmp_path / "b.pdf")
    assert not (tmp_path / "b.pdf").exists()


@pytest.mark.slow
def test_pdf_has_the_text_on_one_or_two_pages(scored, tmp_path):
    if shutil.which("chromium") is None and shutil.which("chromium-browser") is None:
        pytest.skip("headless Chromium is not installed (apt-get install chromium)")
    if shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None:
        pytest.skip("pdftotext/pdfinfo are not installed (apt-get install poppler-utils)")
    frame, truth = scored
    path = brief(frame, alerts=_alerts(frame, truth), forecast=_forecast(frame),
                 path=tmp_path / "brief.pdf")
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))
    assert 1 <= pages <= 3
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Social listening brief" in text and "Key numbers" in text
    assert f"{_expected(frame)['volume'][0]:,}" in text
    assert "Methods and provenance" in text
    assert [p.name for p in tmp_path.iterdir()] == ["brief.pdf"]  # no temporary files left


def test_actions_use_the_coordination_shares_of_detect_threats(scored):
    frame, truth = scored
    alerts = _alerts(frame, truth).drop(columns="coordination").assign(
        dup_share=[0.62, 0.9], new_author_share=[0.55, float("nan")])
    ids = {a.id for a in build_brief(frame, alerts=alerts).actions}
    assert "coordinated_accounts" in ids
    alerts = alerts.assign(new_author_share=[0.1, float("nan")])
    assert "coordinated_accounts" not in {a.id for a in build_brief(frame, alerts=alerts).actions}


def test_french_number_formats():
    from listening.report.formatting import fmt_change, fmt_date, fmt_datetime, fmt_int, fmt_pct

    assert fmt_int(20000, "fr") == "20\u202f000" and fmt_int(20000, "en") == "20,000"
    assert fmt_pct(0.3125, "fr") == "31,2\u00a0%" and fmt_pct(0.3125, "en") == "31.2%"
    assert fmt_change(112, 100, "fr") == "+12\u00a0%" and fmt_change(0, 0, "en") == "–"
    assert fmt_date("2026-11-01T12:00Z", "fr") == "1er novembre 2026"
    assert fmt_datetime("2026-11-03T19:05Z", "fr") == "3 novembre 2026, 14\u00a0h\u00a005"


@given(st.text(max_size=60))
def test_any_post_text_stays_text_in_html_and_markdown(text):
    from listening.report.render import md_escape

    frame = pd.DataFrame({"text": [text], "url": [text]})
    table = posts_table_html(frame, ["text", "url"])
    cell = re.search(r'<td class="col-text">(.*?)</td>', table, re.DOTALL).group(1)
    assert "<" not in cell and ">" not in cell and html.unescape(cell) == text
    if "<a " in table:
        assert text.startswith(("http://", "https://", "HTTP", "Http"))
    escaped = md_escape(text)
    assert "<" not in escaped and "\n" not in escaped


def test_french_brief_writes_the_why_in_french(scored, tmp_path):
    frame, truth = scored
    alerts = _alerts(frame, truth)
    fr = brief(frame, alerts=alerts, path=tmp_path / "fr.html", lang="fr").read_text("utf-8")
    en = brief(frame, alerts=alerts, path=tmp_path / "en.html", lang="en").read_text("utf-8")
    fr = html.unescape(fr)
    assert "Jusqu'à 120 mentions par heure, soit 6 fois la normale de 20" in fr
    assert "«\u00a0Fraude et usurpation d'identité\u00a0»" in fr and "mentions an hour" not in fr
    assert "Up to 120 mentions an hour" in en and "par heure" not in en
