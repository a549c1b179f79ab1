"""Widgets without a browser: set a control's value, check the frames and charts drawn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from listening import demo
from listening.schema import SENTIMENT_LABELS, coerce

pytest.importorskip("ipywidgets")
pytest.importorskip("anywidget")  # alt.JupyterChart needs it

XSS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]
TZ = "America/Toronto"


def _enrich_by_hand(frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Deterministic stand-in enrichment, so these tests depend only on the widgets."""
    rng = np.random.default_rng(seed)
    s = np.round(rng.uniform(-1, 1, len(frame)), 3)
    label = np.where(s < -0.05, "negative", np.where(s > 0.05, "positive", "neutral"))
    topics = np.array(["roads · highway", "scam · gift cards", "thanks · officers"])
    t = rng.integers(0, 3, len(frame))
    return frame.assign(
        sentiment=s,
        sentiment_label=pd.Categorical(label, categories=SENTIMENT_LABELS),
        topic=pd.array(t, dtype="Int64"), topic_label=pd.array(topics[t], dtype="string"),
        rule_scam=frame["text"].str.contains("scam", case=False).astype(bool),
        rule_highway=frame["text"].str.contains("highway", case=False).astype(bool))


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    base, _ = demo.generate(n_mentions=3_000, days=14, seed=3)
    last = base["timestamp"].max()
    nasty = coerce(pd.DataFrame({
        "mention_id": ["xss1", "xss2"], "timestamp": [last + pd.Timedelta(minutes=1),
                                                      last + pd.Timedelta(minutes=2)],
        "platform": ["x", "facebook"], "author": ["<b>@evil</b>", "@evil2"],
        "text": XSS, "url": ["javascript:alert(1)", "https://ok.example/?a=<x>"],
        "language": ["en", "en"], "reach": [10, 20], "source": ["t#1", "t#2"]}))
    return _enrich_by_hand(pd.concat([base, nasty], ignore_index=True))


def _local_dates(frame: pd.DataFrame) -> pd.Series:
    return frame["timestamp"].dt.tz_convert(TZ).dt.date


def _chart_rows(jchart) -> int:
    datasets = jchart.spec.get("datasets", {})
    return sum(len(v) for v in datasets.values())


def _assert_escaped(html: str) -> None:
    for bad in XSS:
        assert bad not in html
    assert "<script" not in html.lower()
    assert "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;" in html


# ------------------------------------------------------------------ Explorer
def test_explorer_starts_with_everything(frame):
    from listening.widgets import Explorer

    ex = Explorer(frame)
    assert ex.matches == len(frame)
    assert ex.volume_frame["mentions"].sum() == len(frame)
    assert ex.platforms_frame["mentions"].sum() == len(frame)
    assert len(ex.table_frame) == ex.page_size
    # newest first: the two nasty posts are the latest
    assert ex.table_frame["text"].iloc[0] == XSS[1]
    assert ex.volume_chart.spec["params"][0]["name"] == "brush"
    assert sum(r["mentions"] for r in ex.volume_chart.spec["datasets"]["table"]) == len(frame)


def test_explorer_filters_change_charts_and_table(frame):
    from listening.widgets import Explorer

    ex = Explorer(frame)
    before_rows = _chart_rows(ex.platforms_chart)
    before_table = ex.table.value
    ex.platform.value = ("x",)
    expected = int((frame["platform"] == "x").sum())
    assert ex.matches == expected
    assert ex.volume_frame["mentions"].sum() == expected
    assert ex.platforms_frame["platform"].tolist() == ["x"]
    assert _chart_rows(ex.platforms_chart) < before_rows
    assert ex.table.value != before_table
    assert set(ex.table_frame["platform"].astype(str)) == {"x"}

    ex.language.value = ("fr",)
    ex.sentiment.value = ("negative",)
    mask = ((frame["platform"] == "x") & (frame["language"] == "fr")
            & (frame["sentiment_label"] == "negative"))
    assert ex.matches == int(mask.sum())
    assert ex.sentiment_frame.query("sentiment_label != 'negative'")["mentions"].sum() == 0

    ex.reset.click()
    assert ex.matches == len(frame)


def test_explorer_topic_rule_and_dates(frame):
    from listening.widgets import Explorer

    ex = Explorer(frame)
    ex.topic.value = ("scam · gift cards",)
    assert ex.matches == int((frame["topic_label"] == "scam · gift cards").sum())
    assert set(ex.topics_frame.loc[ex.topics_frame["mentions"] > 0, "topic"]) == {
        "scam · gift cards"}
    ex.topic.value = ()
    ex.rule.value = ("scam", "highway")
    assert ex.matches == int((frame["rule_scam"] | frame["rule_highway"]).sum())
    ex.rule.value = ()

    dates = _local_dates(frame)
    day = sorted(set(dates))[5]
    ex.since.value = day
    ex.until.value = day
    assert ex.matches == int((dates == day).sum())
    assert len(ex.volume_frame) == 1  # one local day per ... the day bucket
    ex.freq.value = "hour"
    assert ex.volume_frame["mentions"].sum() == ex.matches
    assert 23 <= len(ex.volume_frame) <= 25


def test_explorer_granularity_and_time_zone(frame):
    from listening.widgets import Explorer

    ex = Explorer(frame, freq="week")
    weeks = len(ex.volume_frame)
    assert 2 <= weeks <= 4
    assert (ex.volume_frame["time"].dt.day_of_week == 0).all()  # weeks start on Monday
    ex.freq.value = "day"
    toronto = ex.volume_frame.set_index("time")["mentions"]
    ex.tz.value = "UTC"
    utc = ex.volume_frame.set_index("time")["mentions"]
    assert toronto.sum() == utc.sum() == ex.matches
    expected = frame["timestamp"].dt.tz_convert("UTC").dt.floor("D").dt.tz_localize(None) \
        .value_counts().sort_index()
    assert utc[utc > 0].to_dict() == expected.to_dict()
    assert not toronto.reset_index(drop=True).equals(utc.reset_index(drop=True))


def test_explorer_brush_filters_the_other_charts_and_table(frame):
    from listening.widgets import Explorer

    ex = Explorer(frame)
    volume_before = ex.volume_frame.copy()
    first = ex.volume_frame["time"].iloc[3]
    ex.brush(first, first + pd.Timedelta(days=2))
    lo = pd.Timestamp(first).tz_localize(TZ).tz_convert("UTC")
    hi = (pd.Timestamp(first) + pd.Timedelta(days=2)).tz_localize(TZ).tz_convert("UTC")
    inside = (frame["timestamp"] >= lo) & (frame["timestamp"] < hi)
    assert ex.window == (lo, hi)
    assert ex.matches == int(inside.sum())
    pd.testing.assert_frame_equal(ex.volume_frame, volume_before)  # the brushed chart stays
    assert ex.platforms_frame["mentions"].sum() == int(inside.sum())
    assert ex.sentiment_frame["time"].min() >= first
    assert ex.sentiment_frame["time"].max() < first + pd.Timedelta(days=2)
    shown = pd.to_datetime(ex.table_frame["timestamp"])
    assert shown.min() >= first and shown.max() < first + pd.Timedelta(days=2)

    # what the browser sends: epoch milliseconds of the wall-clock times shown
    ms = [int(pd.Timestamp(first).value // 1e6), int((pd.Timestamp(first)
                                                      + pd.Timedelta(hours=12)).value // 1e6)]
    ex.volume_chart._vl_selections = {"brush": {"value": {"time": ms}, "store": []}}
    assert ex.window[1] - ex.window[0] == pd.Timedelta(hours=12)
    # an empty brush (click outside) clears it
    ex.volume_chart._vl_selections = {"brush": {"value": None, "store": []}}
    assert ex.window is None and ex.matches == len(frame)
    # a filter change redraws the volume chart, which clears the brush
    ex.brush(first, first + pd.Timedelta(days=1))
    ex.platform.value = ("facebook",)
    assert ex.window is None
    assert ex.matches == int((frame["platform"] == "facebook").sum())
    # the same period brushed again after the redraw counts again
    ex.brush(first, first + pd.Timedelta(days=1))
    assert ex.window is not None


def test_explorer_pages_the_table(frame):
    from listening.widgets import Explorer

    ex = Explorer(frame, page_size=10)
    assert ex.prev_page.disabled
    first_page = ex.table_frame.copy()
    ex.next_page.click()
    assert ex.page == 1
    assert pd.to_datetime(ex.table_frame["timestamp"]).max() <= \
        pd.to_datetime(first_page["timestamp"]).min()
    assert not ex.table_frame.index.isin(first_page.index).any()
    ex.prev_page.click()
    pd.testing.assert_frame_equal(ex.table_frame, first_page)


def test_explorer_escapes_posts_and_unsafe_links(frame):
    from listening.widgets import Explorer

    ex = Explorer(frame)
    html = ex.table.value
    _assert_escaped(html)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'href="javascript:' not in html
    assert "&lt;b&gt;@evil&lt;/b&gt;" in html


def test_explorer_reads_a_store_and_leaves_the_frame_alone(frame):
    from listening.widgets import Explorer

    class FakeStore:
        def mentions(self):
            return frame

    before = frame.copy()
    shuffled = frame.sample(frac=1.0, random_state=1)
    ex = Explorer(shuffled)
    ex.platform.value = ("news",)
    pd.testing.assert_frame_equal(frame, before)
    assert Explorer(FakeStore()).matches == len(frame)
    with pytest.raises(TypeError, match="mention frame or a store"):
        Explorer([1, 2, 3])
    with pytest.raises(ValueError, match="not accepted; use .hour., .day. or .week."):
        Explorer(frame, freq="minute")


def test_explorer_on_unenriched_frame():
    from listening.widgets import Explorer

    raw, _ = demo.generate(n_mentions=500, days=3, seed=1)
    ex = Explorer(raw)
    assert ex.matches == 500
    assert ex.sentiment.options == () and ex.topic.options == ()
    assert ex.sentiment_frame.empty and ex.topics_frame.empty


# --------------------------------------------------------------- ThreatBoard
@pytest.fixture
def alerts(frame) -> pd.DataFrame:
    scam_ids = frame.loc[frame["rule_scam"], "mention_id"].head(3).tolist()
    start = frame["timestamp"].min() + pd.Timedelta(days=5)
    return pd.DataFrame({
        "alert_key": ["k-low", "k-high", "k-medium"],
        "segment": ["topic:roads", "term:scam", "platform:reddit"],
        "start": [start, start + pd.Timedelta(hours=3), start],
        "end": [start + pd.Timedelta(hours=5)] * 3,
        "signal": ["volume", "volume", "negativity"],
        "observed": [12.0, 80.0, 0.7], "expected": [6.0, 10.0, 0.3],
        "score": [2.1, 9.5, 3.0], "severity": [2, 8, 5],
        "terms": [["highway"], ["scam", "gift cards"], []],
        "example_ids": [[], scam_ids + ["xss1"], []],
        "coordination": [0.0, 0.8, 0.0],
        "why": ["roads up", XSS[0] + " volume x8", "more negative"]})


def test_threat_board_sorts_and_shows_evidence(frame, alerts):
    from listening.widgets import ThreatBoard

    board = ThreatBoard(alerts, frame)
    assert board.alerts["alert_key"].tolist() == ["k-high", "k-medium", "k-low"]
    assert board.select.value == "k-high"
    label = board.select.options[0][0]
    assert label.startswith("[severity 8/10] ") and " · unusual volume · " in label
    # the title says what, where and since when, never the bare segment name
    assert ", since " in board.title("k-high") and "term:scam" not in label
    words = ThreatBoard(alerts.assign(severity=["low", "critical", "medium"]), frame)
    assert words.alerts["alert_key"].tolist() == ["k-high", "k-medium", "k-low"]
    _assert_escaped(board.detail.value)
    examples = board.examples_frame("k-high")
    assert examples["mention_id"].tolist()[-1] == "xss1"
    _assert_escaped(board.examples.value)
    spark = board.spark_frame
    assert spark["count"].sum() > 0
    spec = board.spark.chart.to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks[:2] == ["area", "line"]           # the usual range behind the line
    assert spec["layer"][1]["encoding"]["x"]["axis"]["format"]  # a time axis, not axis=None
    assert (spark["low"] <= spark["expected"]).all() and (spark["expected"] <= spark["high"]).all()
    with pytest.raises(KeyError, match="no alert with alert_key"):
        board.examples_frame("nope")


def test_threat_board_triage_is_kept_in_the_store(frame, alerts, tmp_path):
    from listening import open_store
    from listening.widgets import ThreatBoard

    path = tmp_path / "store.duckdb"
    open_store(path).close()
    board = ThreatBoard(alerts, frame, store=str(path))  # a path: opened per write
    board.select.value = "k-medium"
    board.status.value = "escalated"
    board.owner.value = "Sgt. Roy"
    board.note.value = "Briefed the duty inspector <b>now</b>"
    board.save.click()
    assert "escalated" in board.saved.value
    # a colleague, tomorrow, with the store open in their own session
    with open_store(path) as store:
        again = ThreatBoard(alerts, frame, store=store)
        row = again.board.set_index("alert_key").loc["k-medium"]
        assert (row["status"], row["owner"]) == ("escalated", "Sgt. Roy")
        again.select.value = "k-medium"
        assert again.status.value == "escalated"
        assert "&lt;b&gt;now&lt;/b&gt;" in again.history.value
        again.status.value = "closed"
        again.save_triage()
        assert "k-medium" not in [k for _, k in again.select.options]  # "all open"
        again.show.value = "closed"
        assert [k for _, k in again.select.options] == ["k-medium"]
        assert len(store.triage(history=True)) == 2


def test_threat_board_without_store_keeps_triage_in_memory(frame, alerts):
    from listening.widgets import ThreatBoard

    board = ThreatBoard(alerts, frame)
    board.status.value = "acknowledged"
    board.save.click()
    assert "not saved" in board.saved.value
    assert board.board.set_index("alert_key").loc["k-high", "status"] == "acknowledged"


# ------------------------------------------------------------- RuleWorkbench
def test_rule_workbench_shows_syntax_error_with_caret(frame, tmp_path):
    from listening.errors import RuleSyntaxError
    from listening.widgets import RuleWorkbench

    wb = RuleWorkbench(frame, folder=tmp_path)
    wb.query.value = '("road closure" OR'
    assert isinstance(wb.error, RuleSyntaxError)
    assert "^" in wb.message.value and "<pre" in wb.message.value
    assert wb.hits_frame.empty and wb.examples.value == ""
    wb.query.value = '<script>alert(1)</script> AND ('
    assert "<script>" not in wb.message.value


def test_rule_workbench_backtests_and_saves(frame, tmp_path):
    import listening as ls
    from listening.widgets import RuleWorkbench

    wb = RuleWorkbench(frame, folder=tmp_path, query="scam OR arnaque")
    assert wb.error is None
    expected = int(ls.Rule.parse("scam OR arnaque").match(frame).sum())
    assert expected > 0 and wb.hits_frame["count"].sum() == expected
    assert wb.chart.chart.to_dict()["mark"]["type"] == "line"
    assert "hits" in wb.figures.value
    assert "scam" in wb.examples.value.lower()
    wb.query.value = "scam OR arnaque OR fraude"
    assert wb.hits_frame["count"].sum() >= expected
    assert wb.save_rule() is None and "name" in wb.saved.value
    wb.name.value = "Phone scams"
    wb.owner.value = "analyst"
    path = wb.save_rule()
    assert path is not None and path.exists()
    loaded = ls.load_rules(tmp_path)
    assert [r.name for r in loaded] == ["Phone scams"]
    assert loaded[0].query == "scam OR arnaque OR fraude"


# ------------------------------------------------------------- ResponseQueue
def test_response_queue_ranks_and_marks_handled(frame, tmp_path):
    from listening import open_store
    from listening.widgets import ResponseQueue

    path = tmp_path / "store.duckdb"
    with open_store(path) as store:
        store.add(frame.drop(columns=[c for c in frame.columns if c not in (
            "mention_id", "timestamp", "platform", "author", "text", "url", "language",
            "likes", "shares", "comments", "reach", "country", "source")]))
    q = ResponseQueue(frame, store=str(path))
    queue = q.queue
    assert len(queue) > 0
    assert queue["priority"].is_monotonic_decreasing
    assert len(q.page_frame) == min(q.page_size, len(queue))
    _assert_escaped(q.table.value) if q.page_frame["mention_id"].isin(["xss1", "xss2"]).any() \
        else None
    top = q.page_frame["mention_id"].head(2).tolist()
    q.pick.value = tuple(top)
    q.by.value = "analyst"
    assert q.mark_handled() == 2
    assert not q.queue["mention_id"].isin(top).any()
    # the next shift sees them handled
    q2 = ResponseQueue(frame, store=str(path))
    assert not q2.queue["mention_id"].isin(top).any()
    q2.include_handled.value = True
    assert q2.queue["mention_id"].isin(top).all() or len(q2.queue) > len(q.queue)
    q2.category.value = "question"
    assert q2.queue["categories"].str.contains("question").all()


def test_response_queue_escapes_text():
    from listening.widgets import ResponseQueue

    f = coerce(pd.DataFrame({
        "mention_id": ["1", "2"], "timestamp": pd.to_datetime(["2026-11-01T10:00Z"] * 2),
        "platform": "x", "author": ["@a", "@b"],
        "text": [XSS[0] + " is this a scam call from the police?",
                 XSS[1] + " unacceptable, the police never called back"],
        "reach": [100, 10], "source": "t#1"}))
    q = ResponseQueue(f)
    assert len(q.queue) == 2
    _assert_escaped(q.table.value)
    assert "&lt;img src=x onerror=alert(1)&gt;" in q.table.value
    q.pick.value = ("1",)
    q.mark.click()
    assert q.queue["mention_id"].tolist() == ["2"]


# -------------------------------------------------------------- BriefBuilder
def test_brief_builder_previews_and_writes(frame, alerts, tmp_path):
    from listening.widgets import BriefBuilder

    b = BriefBuilder(frame, alerts, None, out_dir=tmp_path / "out")
    assert b.path.value == str(tmp_path / "out" / "brief.html")
    html = b.show_preview()
    assert "<html" in html.lower()
    assert 'sandbox=""' in b.preview.value and "srcdoc=" in b.preview.value
    # the whole document sits escaped in one attribute: nothing in it can close the tag
    import html as html_lib
    import re

    srcdoc = re.fullmatch(r'<iframe [^>]*srcdoc="([^"]*)"></iframe>', b.preview.value).group(1)
    assert "<" not in srcdoc and html_lib.unescape(srcdoc) == html
    written = b.write()
    assert written == tmp_path / "out" / "brief.html" and written.exists()
    from listening.widgets._common import language_switch

    assert b.lang is language_switch()  # the brief's language is the shared EN/FR switch
    language_switch().value = "fr"
    assert b.write_button.description == "écrire la note" and b.period.value == "last 7 days"
    assert ("7 derniers jours", "last 7 days") in b.period.options
    b.format.value = "md"
    assert b.path.value.endswith("brief.md")
    b.period.value = "last 14 days"
    md = b.write()
    assert md.suffix == ".md" and md.exists()
    assert "Note de veille" in md.read_text("utf-8")
    assert str(md) in b.message.value and "Note écrite" in b.message.value


# ------------------------------------------------- with the real pipeline
@pytest.mark.slow
def test_widgets_on_real_alerts(tmp_path):
    """The threat board and the queue on detect_threats' own output over an enriched stream."""
    import listening as ls
    from listening.widgets import ResponseQueue, ThreatBoard

    raw, _ = demo.generate(n_mentions=4_000, days=14, seed=5)
    enriched = ls.enrich(raw, topics=None)
    found = ls.detect_threats(enriched)
    assert len(found) > 0
    board = ThreatBoard(found, enriched)
    key = board.select.value
    assert key == board.alerts["alert_key"].iloc[0]
    assert board.detail.value and board.examples.value
    assert board.spark_frame["count"].sum() >= 0
    queue = ResponseQueue(enriched)
    assert queue.queue["priority"].is_monotonic_decreasing and len(queue.queue) > 0


def test_threat_board_titles_say_what_where_and_since_when(frame, alerts):
    from listening.threats.titles import alert_titles
    from listening.widgets import ThreatBoard

    board = ThreatBoard(alerts, frame)
    key = board.alerts["alert_key"].iloc[0]
    row = board.alerts.loc[board.alerts["alert_key"] == key]
    expected = alert_titles(row, lang="en", frame=frame, tz=board.tz)["title"].iloc[0]
    assert board.title(key) == expected  # the brief's titles: one owner
    assert ", since " in expected and "topic:" not in expected
    assert "threat_vocabulary" not in board.select.options[0][0]


def test_threat_board_follows_the_shared_language_switch(frame, alerts):
    from listening.widgets import ThreatBoard
    from listening.widgets._common import language_switch

    board = ThreatBoard(alerts.assign(why_fr=["routes", "hausse", "plus négatif"]), frame)
    assert board.save.description == "save triage"
    language_switch().value = "fr"
    assert board.save.description == "enregistrer"
    assert board.select.options[0][0].startswith("[gravité 8/10] ")
    assert "nouvelle" in board.select.options[0][0] and "<p>hausse</p>" in board.detail.value
    assert ("fermées", "closed") in board.show.options
    board.status.value = "escalated"
    board.save_triage()
    assert "Enregistré : remontée" in board.saved.value
    assert "<b>remontée</b> par" in board.history.value
    local = pd.Timestamp.now(tz=TZ).strftime("%Y-%m-%d")
    assert f"Journal de suivi ({TZ})" in board.history.value and local in board.history.value


def test_rule_workbench_counts_hits_per_local_day(frame, tmp_path):
    from listening.widgets import RuleWorkbench

    wb = RuleWorkbench(frame, query="scam", folder=tmp_path, tz=TZ)
    from listening.rules import Rule

    local_days = _local_dates(frame[Rule.parse("scam").match(frame).fillna(False).to_numpy(bool)])
    per_day = wb.hits_frame.assign(day=wb.hits_frame["timestamp"].dt.tz_convert(TZ).dt.date)
    got = per_day.set_index("day")["count"]
    assert got[got > 0].to_dict() == local_days.value_counts().sort_index().to_dict()
    assert f"Hits per day ({TZ})" in str(wb.chart.chart.to_dict()["title"])
