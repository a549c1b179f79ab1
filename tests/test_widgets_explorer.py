"""Explorer (issue 18.2): table columns and copies, exports, named views, previous period,
top authors and share of voice, topic lines — checked against the library's own
functions (``ls.trends``, ``ls.export``) on the selection, never against the widget."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import listening as ls
from listening.schema import SENTIMENT_LABELS

pytest.importorskip("ipywidgets")
pytest.importorskip("anywidget")

TZ = "America/Toronto"


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    base, _ = ls.demo.generate(n_mentions=4_000, days=21, seed=5)
    rng = np.random.default_rng(1)
    s = np.round(rng.uniform(-1, 1, len(base)), 3)
    label = np.where(s < -0.05, "negative", np.where(s > 0.05, "positive", "neutral"))
    topics = np.array([f"topic {i} · words" for i in range(12)])
    t = rng.integers(0, 12, len(base))
    return base.assign(
        sentiment=s, sentiment_label=pd.Categorical(label, categories=SENTIMENT_LABELS),
        topic=pd.array(t, dtype="Int64"), topic_label=pd.array(topics[t], dtype="string"),
        rule_scam=base["text"].str.contains("scam|arnaque", case=False).astype(bool),
        rule_highway=base["text"].str.contains("highway|autoroute", case=False).astype(bool))


def _selection(ex) -> pd.DataFrame:
    f = ex.filters
    frame = ex.index.frame
    keep = (frame["timestamp"] >= f.since) & (frame["timestamp"] < f.until)
    for column, values in (("platform", f.platforms), ("language", f.languages)):
        if values:
            keep &= frame[column].isin(values)
    return frame[keep]


def test_table_has_sentiment_topic_rule_columns_and_collapses_copies(frame):
    from listening.widgets import Explorer
    from listening.widgets._index import copy_keys

    ex = Explorer(frame, tz=TZ)
    table = ex.table_frame
    for column in ("sentiment_label", "topic_label", "rules", "copies"):
        assert column in table.columns
    html = ex.table.value
    assert ">Sentiment<" in html and ">Topic<" in html and ">Rules<" in html
    assert ">Copies<" in html
    # one row per distinct post: the copies shown add up to the selection over all pages
    keys = copy_keys(frame["text"])
    assert ex.distinct == len(np.unique(keys)) < len(frame)
    assert len(set(copy_keys(table["text"]))) == len(table)  # no post twice on a page
    row = table.iloc[0]
    same = frame[keys == keys[frame.index[frame["mention_id"] == row["mention_id"]][0]]]
    assert row["copies"] == len(same) and row["copies"] >= 1
    # a retweet and a recapitalised copy count as the same post
    assert len(set(copy_keys(pd.Series(["Road closed  near Barrie",
                                        "RT @OPP_News: road closed near barrie"])))) == 1
    # the labels are the mention's own (sentiment_labels owns them)
    mine = frame.set_index("mention_id").loc[table["mention_id"]]
    assert table["sentiment_label"].tolist() == mine["sentiment_label"].astype(str).tolist()
    assert table["topic_label"].tolist() == mine["topic_label"].tolist()
    rules = ["scam" if a else "" for a in mine["rule_scam"]]
    assert [r.split(", ")[0] if r else "" for r in table["rules"]] == [
        "highway" if h else r for r, h in zip(rules, mine["rule_highway"])]


def test_topic_lines_are_top_eight_and_others(frame):
    from listening.widgets import Explorer

    ex = Explorer(frame, tz=TZ)
    names = ex.topics_frame["topic"].unique().tolist()
    assert len(names) == 9 and names[-1] == "all other topics (4)"
    # every mention is in a line, the last day included when the data cover most of it
    local = frame["timestamp"].dt.tz_convert(TZ)
    covered = (local.max() - local.max().normalize()) / pd.Timedelta("1D")
    assert covered >= 0.5
    assert ex.topics_frame.groupby("time")["mentions"].sum().sum() == len(frame)
    # a period ending one hour into a day: that day is left out of the lines (it would read
    # as a collapse), the bars still show it, pale
    day = local.max().normalize()
    lo, hi = (day - pd.Timedelta("2D") + pd.Timedelta("3h")), day + pd.Timedelta("1h")
    whole = ex._whole(ex.index.sentiment_over_time(ex.index.positions(ex.filters), freq="day",
                                                   tz=TZ), lo.tz_convert("UTC"),
                      hi.tz_convert("UTC"))
    kept = sorted(pd.to_datetime(whole["time"]).dt.normalize().unique())
    assert day.tz_localize(None) not in kept and (day - pd.Timedelta("2D")).tz_localize(None) in kept
    assert ex.topics_frame.loc[ex.topics_frame["topic"] == "all other topics (4)", "others"].all()


def test_export_writes_the_selection_with_ls_export(frame, tmp_path):
    from listening.widgets import Explorer

    ex = Explorer(frame, tz=TZ, out_dir=tmp_path)
    ex.platform.value = ("x",)
    ex.view_name.value = "x only"
    ex.export_csv.click()
    path = ex.exported
    assert path.parent == tmp_path and path.suffix == ".csv" and path.name.startswith("x-only_")
    assert path.with_name(path.name + ".provenance.json").exists()   # ls.export's sidecar
    written = pd.read_csv(path, comment="#", dtype=str)
    assert sorted(written["mention_id"]) == sorted(_selection(ex)["mention_id"])
    assert {"sentiment_label", "topic_label", "rules"} <= set(written.columns)
    assert f"{len(written):,} mentions" in ex.message.value
    ex.export_xlsx.click()
    assert ex.exported.suffix == ".xlsx" and ex.exported.exists()
    before = ex.exported
    ex.until.value = ex.since.value - dt.timedelta(days=1)   # an empty period
    assert ex.matches == 0
    assert ex.export("csv") is None and "Nothing to export" in ex.message.value
    assert ex.exported == before


def test_named_views_are_saved_in_the_store_and_reopened(frame, tmp_path):
    from listening.widgets import Explorer

    store = tmp_path / "store.duckdb"
    with ls.open_store(store) as s:
        s.add(frame.drop(columns=[c for c in frame.columns if c not in ls.schema.MENTION_COLUMNS]))
    ex = Explorer(frame, tz=TZ, store=store)
    ex.platform.value = ("x", "facebook")
    ex.language.value = ("fr",)
    ex.period.value = "last 7 days"
    ex.compare.value = True
    ex.save("french x+fb")
    wanted = (ex.filters, ex.matches, ex.since.value, ex.until.value)
    # a new explorer (tomorrow's notebook) opens it by name from the store
    again = Explorer(frame, tz=TZ, store=store)
    assert "french x+fb" in again.view_list.options
    assert again.matches == len(frame)
    again.open("french x+fb")
    assert (again.filters, again.matches, again.since.value, again.until.value) == wanted
    assert again.compare.value and again.period.value == "last 7 days"
    assert "opened" in again.message.value
    with pytest.raises(ValueError, match="no saved view named 'nope'"):
        again.open("nope")
    with pytest.raises(ValueError, match="needs a name"):
        again.save("  ")
    # custom dates are kept as dates
    again.since.value = again.until.value - dt.timedelta(days=2)
    assert again.period.value == "custom"
    again.save("three days")
    third = Explorer(frame, tz=TZ, store=store)
    third.open("three days")
    assert (third.until.value - third.since.value).days == 2
    # without a store, views live in the session and the message says so
    alone = Explorer(frame, tz=TZ)
    alone.save("mine")
    assert alone.view_list.options == ("mine",) and "not saved" in alone.message.value


def test_compare_with_the_previous_period(frame):
    from listening.widgets import Explorer

    ex = Explorer(frame, tz=TZ)
    ex.period.value = "last 7 days"
    assert (ex.until.value - ex.since.value).days == 6
    assert "volume" not in ex.status.value and ex.previous_matches is None
    ex.compare.value = True
    prev = ex.previous_filters()
    local = frame["timestamp"].dt.tz_convert(TZ).dt.date
    lo, hi = ex.since.value - dt.timedelta(days=7), ex.since.value - dt.timedelta(days=1)
    expected = int(((local >= lo) & (local <= hi)).sum())
    assert ex.previous_matches == expected > 0
    assert prev.until == ex.filters.since
    change = ex.matches / expected - 1
    assert f"{change:+.0%} vs the previous period ({expected:,} mentions" in ex.status.value
    # the volume chart carries the previous period, day by day, as a second series
    assert ex.volume_frame["previous"].sum() == expected
    assert "previous_share" in ex.sov_frame.columns
    ex.compare.value = False
    assert ex.volume_frame["previous"].isna().all() and ex.previous_matches is None


def test_top_authors_and_share_of_voice_match_ls_trends(frame):
    from listening.widgets import Explorer

    ex = Explorer(frame, tz=TZ)
    ex.language.value = ("en",)
    selection = _selection(ex)
    for by in ("mentions", "reach"):
        mine = ex.authors_frames[by]
        theirs = ls.trends.top_authors(selection, by=by, n=10)
        assert mine["author"].tolist() == theirs["author"].astype(str).tolist()
        assert mine["mentions"].tolist() == theirs["mentions"].tolist()
        assert mine["reach"].tolist() == theirs["reach"].tolist()
    assert "Top authors by mentions" in ex.authors.value and "Top authors by reach" in ex.authors.value
    rules = {name: selection[f"rule_{name}"].to_numpy() for name in ("highway", "scam")}

    class Hits:  # the rule columns, as trends.share_of_voice takes a rule
        def __init__(self, name):
            self.name = name

        def match(self, f):
            return f[f"rule_{self.name}"]

    theirs = ls.trends.share_of_voice(selection, {n: Hits(n) for n in rules})
    mine = ex.sov_frame.set_index("name").loc[theirs["name"]]
    np.testing.assert_allclose(mine["share"], theirs["share"])
    np.testing.assert_allclose(mine["share_of_all"], theirs["share_of_all"])
    assert mine["mentions"].tolist() == theirs["mentions"].tolist()
    ex.share_of.value = "topic"
    assert len(ex.sov_frame) == 8 and ex.sov_frame["name"].str.startswith("topic").all()
    assert abs(ex.sov_frame["share"].sum() - 1) < 1e-9


def test_select_labels_fit_and_french_labels(frame):
    from listening.widgets import Explorer
    from listening.widgets._common import language_switch

    ex = Explorer(frame, tz=TZ)
    for control in (ex.platform, ex.language, ex.sentiment, ex.topic, ex.rule):
        assert control.style.description_width == "initial"   # the label is never cut
        longest = max(len(o) for o in control.options)
        assert int(control.layout.width.removesuffix("px")) >= 7 * longest
    assert ex.compare.description == "compare with previous period"
    language_switch().value = "fr"
    assert ex.compare.description == "comparer à la période précédente"
    assert "mentions sur" in ex.status.value and "publications distinctes" in ex.page_label.value
    assert ex._live["topics"].spec["title"].startswith("Sujets")
    assert ex.period.value == "all"


# ------------------------------------------------------------ notebooks' tables (18.5)
def test_show_formats_local_times_thousands_shares_and_marks_a_partial_day(frame):
    from listening.widgets import show

    newest = frame["timestamp"].max()
    daily = ls.trends.volume(frame, freq="1D", tz=TZ)
    shown = show(daily, tz=TZ, newest=newest).data
    assert "time" not in shown.columns                      # one clock: the local one
    last_day = newest.tz_convert(TZ).strftime("%Y-%m-%d")
    assert shown["time_local"].iloc[-1] == f"{last_day} (partial)"
    assert not shown["time_local"].iloc[:-1].str.contains("partial").any()
    # a day that ends exactly with the data is complete
    upto = pd.Timestamp(last_day, tz=TZ)
    whole = show(daily.iloc[:-1], tz=TZ, newest=upto - pd.Timedelta(microseconds=1)).data
    assert not whole["time_local"].str.contains("partial").any()
    html = show(pd.DataFrame({"mentions": [12345], "share": [0.1234],
                              "at": [pd.Timestamp("2026-11-02 15:30", tz="UTC")]}),
                tz=TZ).to_html()
    assert "12,345" in html and "12.3%" in html and "2026-11-02 10:30" in html
    assert f"Times in {TZ}" in html


def test_one_zone_from_listening_tz(monkeypatch, frame):
    from listening.widgets import Explorer, local_tz

    monkeypatch.delenv("LISTENING_TZ", raising=False)
    assert local_tz() == "America/Toronto"
    monkeypatch.setenv("LISTENING_TZ", "America/Vancouver")
    assert local_tz() == "America/Vancouver"
    assert Explorer(frame).tz.value == "America/Vancouver"
    monkeypatch.setenv("LISTENING_TZ", "Mars/Olympus")
    with pytest.raises(ValueError, match="not a time zone"):
        local_tz()


def test_sentiment_notebook_keeps_the_method_with_the_best_figure():
    import nbformat

    from listening.widgets import default_out_dir

    book = nbformat.read(ls.__file__.replace("listening/__init__.py",
                                             "notebooks/06_sentiment_model.ipynb"), 4)
    code = "\n".join(c.source for c in book.cells if c.cell_type == "code")
    # the choice follows the printed table; a model is saved only when it wins, in out/
    assert 'idxmax(), "method"]' in code and 'if best.startswith("retrained")' in code
    assert code.index("idxmax") < code.index("train_sentiment") < code.index("model.save(")
    assert "default_out_dir()" in code and '"out/' not in code
    assert default_out_dir().name == "out"


def _fields(spec) -> set[str]:
    """Every data field a Vega-Lite spec encodes (layers included)."""
    out = set()
    for layer in [spec, *spec.get("layer", [])]:
        for channel in layer.get("encoding", {}).values():
            for enc in channel if isinstance(channel, list) else [channel]:
                if isinstance(enc, dict):
                    if "field" in enc:
                        out.add(enc["field"])
                    if isinstance(enc.get("condition"), dict) and "field" in enc["condition"]:
                        out.add(enc["condition"]["field"])
    return out


def test_every_chart_gets_the_fields_it_draws(frame):
    """The charts swap datasets under a template: each field drawn must be in the data."""
    from listening.widgets import Explorer

    ex = Explorer(frame, tz=TZ)
    for step in (lambda: None, lambda: setattr(ex.compare, "value", True),
                 lambda: setattr(ex.period, "value", "last 7 days"),
                 lambda: setattr(ex.freq, "value", "hour"),
                 lambda: setattr(ex.share_of, "value", "topic")):
        step()
        for name, live in ex._live.items():
            rows = live.spec["datasets"]["table"]
            assert rows, name
            missing = _fields(live.spec) - set(rows[0])
            assert not missing, f"{name} chart draws {missing}, absent from its data"


def test_the_last_partial_bucket_is_marked(frame):
    from listening.widgets import Explorer

    ex = Explorer(frame, tz=TZ)
    newest = frame["timestamp"].max().tz_convert(TZ).tz_localize(None)
    volume = ex.volume_frame
    assert volume["partial"].tolist() == (volume["end"] > newest).tolist()
    assert volume["partial"].iloc[-1] and not volume["partial"].iloc[:-1].any()
    assert "pale: partial" in ex._live["volume"].spec["title"]


def test_show_prints_forecast_counts_as_whole_numbers():
    from listening.widgets import show

    html = show(pd.DataFrame({"forecast": [232.24], "lo80": [1200.36], "score": [3.14159]}),
                tz=TZ).to_html()
    assert ">232<" in html and ">1,200<" in html and ">3.14<" in html
    assert "Times in" not in html          # no time column: no zone to name


def test_a_brush_does_not_change_what_is_compared(frame):
    from listening.widgets import Explorer

    ex = Explorer(frame, tz=TZ)
    ex.period.value = "last 7 days"
    ex.compare.value = True
    whole, before = ex.matches, ex.previous_matches
    start = pd.Timestamp(ex.since.value) + pd.Timedelta(days=2)
    ex.brush(start, start + pd.Timedelta(days=1))
    assert 0 < ex.matches < whole and ex.previous_matches == before
    assert f"; {whole:,} in the chosen dates — {whole / before - 1:+.0%} vs" in ex.status.value
