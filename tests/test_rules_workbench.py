"""Rule workbench behaviour (#18.4): cleared chart, "saved" by the button, plain YAML,
filters that can never match, and the NEAR help."""

from __future__ import annotations

import pandas as pd
import pytest

from listening import demo
from listening.rules import dead_filters

pytest.importorskip("ipywidgets")


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return demo.generate(n_mentions=1_500, days=7, seed=11)[0]



def test_invalid_rule_clears_the_previous_chart(frame, tmp_path):
    from listening.widgets import RuleWorkbench

    wb = RuleWorkbench(frame, folder=tmp_path, query="scam OR arnaque")
    assert wb.chart.chart.to_dict()["mark"]["type"] == "line"
    assert wb.figures.value and wb.examples.value
    wb.query.value = "scam OR ("
    assert wb.error is not None
    spec = wb.chart.chart.to_dict()
    assert spec["mark"]["type"] != "line"          # the old hits line is gone
    assert wb.figures.value == wb.examples.value == wb.near_misses.value == ""
    assert wb.hits_frame.empty


def test_saved_appears_by_the_button_and_goes_when_the_rule_changes(frame, tmp_path):
    from listening.widgets import RuleWorkbench

    wb = RuleWorkbench(frame, folder=tmp_path, query="scam OR fraude")
    row = wb.widget.children[-1]
    assert wb.save in row.children and wb.saved in row.children
    assert wb.save_rule() is None and "name" in wb.saved.value
    wb.name.value = "Phone scams"
    path = wb.save_rule()
    assert "saved" in wb.saved.value and "Phone scams" in wb.saved.value
    text = path.read_text(encoding="utf-8")
    assert "&id" not in text and "*id" not in text          # no YAML anchors
    wb.query.value = "scam OR fraude OR arnaque"
    assert wb.saved.value == ""


def test_a_filter_that_can_never_match_says_so(frame, tmp_path):
    from listening.widgets import RuleWorkbench

    assert set(frame["language"]) == {"en", "fr"}
    wb = RuleWorkbench(frame, folder=tmp_path, query="scam AND lang:es")
    assert "lang:es matches no mention" in wb.warnings.value
    assert "en (" in wb.warnings.value and "fr (" in wb.warnings.value
    wb.query.value = "scam AND lang:fr"
    assert wb.warnings.value == ""
    wb.query.value = "scam AND NOT lang:es"        # a NOT of a dead filter excludes nothing
    assert "lang:es" in wb.warnings.value


def test_dead_filters_covers_each_field():
    f = pd.DataFrame({"text": ["a", "b"], "language": ["en", "fr"], "platform": ["x", "news"],
                      "author": ["@amy", "@bo"], "url": ["https://cbc.ca/1", None],
                      "country": ["CA", "CA"]})
    assert dead_filters("a AND platform:tiktok", f) == [
        "platform:tiktok matches no mention: platform here is x (50%), news (50%)"]
    assert dead_filters("a AND author:c*", f)[0].startswith("author:c* matches no mention")
    assert dead_filters("a AND site:cbc.ca AND country:CA AND author:amy", f) == []
    assert "no link is on that site" in dead_filters("site:opp.ca", f)[0]
    assert "no country column" in dead_filters("country:CA", f.drop(columns="country"))[0]
    assert dead_filters("lang:es", f.iloc[:0]) == []


def test_help_says_near_counts_words_between(frame, tmp_path):
    from listening.widgets import RuleWorkbench

    wb = RuleWorkbench(frame, folder=tmp_path)
    assert "words <b>between</b>" in wb.help.value
    assert "fraud NEAR/3 officer" in wb.help.value


def test_the_workbench_follows_the_shared_language_switch(frame, tmp_path):
    from listening.widgets import RuleWorkbench
    from listening.widgets._common import language_switch

    wb = RuleWorkbench(frame, query="scam", folder=tmp_path)
    assert wb.save.description == "save to library" and "hits in" in wb.message.value
    language_switch().value = "fr"
    assert wb.save.description == "enregistrer" and wb.name.description == "nom"
    assert "résultats sur" in wb.message.value and "Aide sur les requêtes" in wb.help.value
    assert "\u00a0%)" in wb.message.value  # French typography: "7,4 %"
    assert wb.save_rule() is None and "nom" in wb.saved.value
