"""DESIGN.md's public API, called exactly as DESIGN.md writes it, on demo data.

If a name or a keyword that DESIGN.md promises stops working, this file fails
before a notebook or a user does.
"""

from __future__ import annotations

import inspect

import pandas as pd
import pytest

import listening as ls
from listening.store import Store


@pytest.fixture(scope="module")
def frame():
    frame, _truth = ls.demo.generate(n_mentions=3_000, days=21, seed=0)
    return frame


def test_the_design_calls_run_end_to_end(frame, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "demo.csv"
    frame.to_csv(path, index=False)
    loaded, report = ls.load(path, platform=None, tz="UTC", date_order=None, tz_names=None)
    assert report.read == report.loaded + report.rejected + report.duplicates
    assert {"source", "line", "column", "reason", "raw"} <= set(report.rejects.columns)
    assert isinstance(report.notes, pd.DataFrame)

    store = ls.open_store(tmp_path / "store.duckdb")
    try:
        store.add(loaded)
        store.add(loaded)  # idempotent
        stored = store.mentions(since=None, until=None, platform=None, language=None, query=None)
        assert len(stored) == loaded["mention_id"].nunique()
    finally:
        store.close()

    scored = ls.score_sentiment(frame)
    model = ls.fit_topics(scored, n_topics="auto")
    scored = model.assign(scored)
    assert {"label", "size"} <= set(model.describe().columns)

    rule = ls.Rule.parse('("road closure" OR collision*) AND NOT platform:news')
    assert rule.match(scored).dtype == bool
    ls.backtest(rule, scored, labels=None)

    alerts = ls.detect_threats(scored, freq="1h")
    for column in ("segment", "start", "end", "signal", "observed", "expected", "score",
                   "severity", "terms", "why"):
        assert column in alerts.columns
    fc = ls.forecast(scored, horizon="7D")
    out = ls.brief(scored, alerts=alerts, forecast=fc, path="out/brief.html")
    assert (tmp_path / "out" / "brief.html").exists(), out
    ls.export(scored, "out/findings.xlsx", pseudonymise=True)
    assert (tmp_path / "out" / "findings.xlsx").exists()

    ls.sentiment_summary(scored, by="platform")
    ls.fit_topics(scored, previous=model)
    ls.trends.volume(scored, freq="1h", by=None)
    queue = ls.response_queue(scored)
    assert "reason" in queue.columns
    assert {"mention_id", "reason"} <= set(ls.demo.needs_reply(n_mentions=3_000, days=21,
                                                               seed=0).columns)


@pytest.mark.parametrize("function", [ls.detect_threats, ls.forecast, ls.brief,
                                      Store.mentions],
                         ids=["detect_threats", "forecast", "brief", "Store.mentions"])
def test_options_after_the_frame_are_keyword_only(function):
    parameters = list(inspect.signature(function).parameters.values())
    first_option = 2 if parameters[0].name == "self" else 1
    positional = [p.name for p in parameters[first_option:]
                  if p.kind not in (p.KEYWORD_ONLY, p.VAR_KEYWORD)]
    assert positional == [], f"pass these by keyword only: {positional}"


def test_the_error_family():
    errors = ls.errors
    for name in ("MentionDataError", "SchemaError", "RuleSyntaxError", "StoreError",
                 "OptionError", "NotFittedError"):
        assert issubclass(getattr(errors, name), errors.ListeningError)
    assert issubclass(errors.StoreLockedError, errors.StoreError)
    assert issubclass(errors.OptionError, ValueError)
