"""Rule library: YAML files, validation naming file and field, saving, versions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import yaml

import listening as ls
from listening.errors import RuleFileError, RuleSyntaxError, UnsafePathError
from listening.rules import Rule, load_rule, load_rules, match_rules, save_rule

LIBRARY = Path(__file__).resolve().parents[1] / "data" / "rules"
GOOD = {
    "name": "Road closures",
    "query": '"road closed" OR fermeture*',
    "description": "closures",
    "owner": "traffic desk",
    "severity": 5,
    "language": "en+fr",
    "created": "2026-11-01",
    "updated": "2026-11-02",
}


def write(folder: Path, name: str, data) -> Path:
    path = folder / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True),
                    encoding="utf-8")
    return path


def test_starter_library_loads_and_covers_the_brief():
    rules = ls.load_rules(LIBRARY)
    slugs = {r.slug for r in rules}
    assert {"police_impersonation_scam", "road_closures", "wildfire_and_evacuation",
            "threats_against_officers", "incident_misinformation", "missing_persons",
            "protests_and_blockades"} <= slugs
    for rule in rules:
        assert (LIBRARY / f"{rule.slug}.yaml").exists()      # file name = save_rule's name
        assert rule.language == "en+fr"
        assert 1 <= rule.severity <= 10
        assert rule.description and rule.owner
        assert isinstance(rule.created, dt.date)
        assert len(rule.version) == 12 and int(rule.version, 16) >= 0
        # the version written in the file header is the rule's version
        header = (LIBRARY / f"{rule.slug}.yaml").read_text(encoding="utf-8").splitlines()[0]
        assert header in (f"# version: {rule.version}",) or not header.startswith("#")


def test_starter_library_matches_english_and_french():
    rules = {r.slug: r for r in load_rules(LIBRARY)}
    frame = pd.DataFrame({"text": [
        "SCAM ALERT: someone impersonating an OPP officer demanded gift cards",
        "Arnaque : un faux policier exige des cartes-cadeaux",
        "Fraud prevention tip: police will never ask you to pay with gift cards",
        "Highway 401 westbound CLOSED near Kingston after a collision",
        "L'autoroute 417 est fermée près d'Ottawa",
        "Evacuation order north of Kenora as the wildfire grows",
        "Ordre d'evacuation, le feu de foret progresse",
        "Have you seen this man? Last seen in Orillia #missing",
        "Convoy planning a slow roll on the 401 Saturday",
        "Great photo shoot with the officers today",
        "someone should shoot that cop",
    ]})
    out = match_rules(frame, list(rules.values()))
    assert out["rule_police_impersonation_scam"].tolist()[:3] == [True, True, False]
    assert out["rule_road_closures"].tolist()[3:5] == [True, True]
    assert out["rule_wildfire_and_evacuation"].tolist()[5:7] == [True, True]
    assert out["rule_missing_persons"].iloc[7]
    assert out["rule_protests_and_blockades"].iloc[8]
    assert out["rule_threats_against_officers"].tolist()[9:] == [False, True]


def test_load_rule_reads_fields(tmp_path):
    rule = load_rule(write(tmp_path, "r.yaml", GOOD))
    assert rule.name == "Road closures" and rule.severity == 5
    assert rule.created == dt.date(2026, 11, 1)
    assert rule.column == "rule_road_closures"


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"severity": 11}, "severity", "from 1 to 10"),
    ({"severity": "high"}, "severity", "whole number"),
    ({"severity": True}, "severity", "whole number"),
    ({"language": "english"}, "language", "en\\+fr"),
    ({"created": "yesterday"}, "created", "date"),
    ({"name": "!!!"}, "name", "letter or digit"),
    ({"name": ""}, "name", "missing or empty"),
    ({"query": None}, "query", "missing or empty"),
    ({"serverity": 3}, "serverity", "unknown field"),
    ({"owner": ["a", "b"]}, "owner", "expected text"),
])
def test_invalid_files_name_the_file_and_field(tmp_path, change, field, message):
    path = write(tmp_path, "bad_rule.yaml", {**GOOD, **change})
    with pytest.raises(RuleFileError, match=message) as info:
        load_rules(tmp_path)
    assert info.value.path == str(path)
    assert info.value.field == field
    assert "bad_rule.yaml" in str(info.value)


def test_bad_query_in_file_keeps_position_and_caret(tmp_path):
    write(tmp_path, "q.yaml", {**GOOD, "query": "fire AND (smoke OR"})
    with pytest.raises(RuleSyntaxError, match=r"q\.yaml: field 'query': expected a term") as info:
        load_rules(tmp_path)
    assert info.value.field == "query" and info.value.column == 19
    assert str(info.value).endswith("^")


@pytest.mark.parametrize("text", ["name: [unclosed", "- just\n- a list\n", "",
                                  "!!python/object/apply:os.system ['echo hacked']"])
def test_non_mapping_or_unsafe_yaml_is_refused(tmp_path, text):
    write(tmp_path, "x.yaml", text)
    with pytest.raises(RuleFileError, match="x.yaml"):
        load_rules(tmp_path)


def test_duplicate_columns_across_files(tmp_path):
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, "b.yaml", {**GOOD, "name": "road-closures"})
    with pytest.raises(RuleFileError, match="a.yaml"):
        load_rules(tmp_path)


def test_missing_folder():
    with pytest.raises(RuleFileError, match="does not exist"):
        load_rules("/nonexistent/rules/folder")


def test_save_and_reload_round_trip(tmp_path):
    rule = Rule.parse('("road closure" OR fermé*) AND NOT platform:news', name="Routes fermées",
                      description="Bilingual: « fermé »", owner="desk", severity=4,
                      language="en+fr")
    path = save_rule(rule, tmp_path)
    assert path == (tmp_path / "routes_fermees.yaml").resolve()
    text = path.read_text(encoding="utf-8")
    assert text.startswith(f"# version: {rule.version}\n")
    again = load_rule(path)
    assert (again.name, again.query, again.severity, again.description) == \
        (rule.name, rule.query, rule.severity, rule.description)
    assert again.version == rule.version
    assert again.created == again.updated == dt.datetime.now(dt.UTC).date()
    # the same date twice is written twice, not as a YAML anchor and alias
    assert "&id" not in text and "*id" not in text
    assert text.count(f": {again.created.isoformat()}") == 2
    # saving again keeps created, overwrites in place
    save_rule(again, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["routes_fermees.yaml"]
    with pytest.raises(RuleFileError, match="overwrite=True"):
        save_rule(again, tmp_path, overwrite=False)


@pytest.mark.parametrize("name", ["../../etc/passwd", "/tmp/evil", "a/../../b", "C:\\x"])
def test_save_never_leaves_the_folder(tmp_path, name):
    folder = tmp_path / "rules"
    path = save_rule(Rule.parse("fire", name=name), folder)
    assert path.parent == folder.resolve()
    assert ".." not in path.name and "/" not in path.name


def test_save_refuses_a_name_without_letters(tmp_path):
    with pytest.raises(RuleFileError, match="letter or digit"):
        Rule.parse("fire", name="../..")
    assert UnsafePathError is ls.errors.UnsafePathError


def test_save_does_not_overwrite_another_rule_with_the_same_slug(tmp_path):
    save_rule(Rule.parse("fire", name="Fire watch"), tmp_path)
    with pytest.raises(RuleFileError, match="holds rule 'Fire watch'"):
        save_rule(Rule.parse("smoke", name="fire-watch"), tmp_path)


def test_version_ignores_spacing_but_not_meaning():
    a = Rule.parse("fire   AND\n smoke", name="x")
    assert a.version == Rule.parse("fire AND smoke", name="x").version
    assert a.version != Rule.parse("fire OR smoke", name="x").version
    assert a.version != Rule.parse("fire AND smoke", name="y").version
    assert a.version == a.version.lower()


def test_to_yaml_is_safe_yaml():
    rule = Rule.parse('"a: b" OR {C}', name="Colons: and {braces}")
    data = yaml.safe_load(rule.to_yaml())
    assert data["query"] == rule.query and data["name"] == rule.name
    assert list(data) == ["name", "query", "description", "owner", "severity", "language",
                          "created", "updated"]
