"""The common changes of docs/ARCHITECTURE.md touch the files the map says, and no code.

A new source format is one YAML file in ``listening/resources/mappings/``: the
loader finds it, tries it in its ``order`` and reads a file of that shape.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest

from listening.ingest import builtin_mappings, load, mappings

SHIPPED = Path(str(resources.files("listening") / "resources" / "mappings"))

NEW_FORMAT = """\
name: pulsar
order: 15
description: A made-up vendor whose export no built-in mapping knows.
platform: x
detect:
  all: [Pulsar Post Date, Pulsar Author]
fields:
  timestamp: Pulsar Post Date
  author: Pulsar Author
  text: Pulsar Content
"""


@pytest.fixture
def mapping_folder(tmp_path, monkeypatch):
    """A copy of the package's resources with room for a new mapping file."""
    root = tmp_path / "pkg"
    shutil.copytree(SHIPPED, root / "resources" / "mappings")
    monkeypatch.setattr(mappings.resources, "files", lambda package: root)
    builtin_mappings.cache_clear()
    yield root / "resources" / "mappings"
    builtin_mappings.cache_clear()


def test_every_shipped_mapping_file_is_a_builtin_mapping_in_a_stable_order():
    files = sorted(p.stem for p in SHIPPED.glob("*.yaml") if not p.name.startswith("_"))
    names = list(builtin_mappings())
    assert sorted(names) == files
    assert names[-1] == "generic"  # it matches almost anything: tried last
    assert names.index("twitter_v2") < names.index("generic")


def test_a_new_source_format_is_one_yaml_file(mapping_folder, tmp_path):
    (mapping_folder / "pulsar.yaml").write_text(NEW_FORMAT, encoding="utf-8")
    names = list(builtin_mappings())
    assert names.index("pulsar") == names.index("twitter_v2") + 1  # order 15: after 10, before 20
    export = tmp_path / "pulsar.csv"
    export.write_text("Pulsar Post Date,Pulsar Author,Pulsar Content\n"
                      "2026-03-04T10:15:00-05:00,erin_w,Road closed near Kenora\n", encoding="utf-8")
    frame, report = load(export)
    assert report.files[0].mapping == "pulsar"
    assert frame.loc[0, "author"] == "erin_w"
    assert str(frame.loc[0, "timestamp"]) == "2026-03-04 15:15:00+00:00"


def test_a_mapping_file_without_an_order_is_refused_with_what_to_add(mapping_folder):
    (mapping_folder / "pulsar.yaml").write_text(NEW_FORMAT.replace("order: 15\n", ""),
                                                encoding="utf-8")
    with pytest.raises(Exception, match="pulsar.yaml: needs an integer `order:`"):
        builtin_mappings()
