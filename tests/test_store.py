"""Tests for listening.store: idempotent, atomic imports; filters; audit; triage; secret.

Damage, backups and restore: test_store_damage.py; purge: test_store_purge.py; the
SQL schema generated from listening.schema: test_store_tables.py.
"""

from __future__ import annotations

import dataclasses
import sys
import types
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listening.errors import OptionError, SchemaError, StoreError, StoreLockedError
from listening.schema import MENTION_COLUMNS, coerce, validate
from listening.store import AddResult, FileCounts, default_store_path, open_store
from listening.store import audit as audit_module


def make_frame(n: int = 20, *, start="2026-11-01", freq="1h", prefix="m", file="a.csv",
               seed: int = 0) -> pd.DataFrame:
    """A small valid mention frame: alternating platforms and languages, one post an hour."""
    rng = np.random.default_rng(seed)
    i = np.arange(n)
    return coerce(pd.DataFrame({
        "mention_id": [f"{prefix}{k}" for k in i],
        "timestamp": pd.date_range(start, periods=n, freq=freq, tz="UTC"),
        "platform": np.where(i % 3 == 0, "x", np.where(i % 3 == 1, "reddit", "news")),
        "author": [f"@user{k % 5}" for k in i],
        "text": [f"post {k} about highway closure" if k % 2 else f"publication {k} sur la route"
                 for k in i],
        "url": [None if k % 4 == 0 else f"https://example.ca/{k}" for k in i],
        "language": np.where(i % 2 == 1, "en", "fr"),
        "likes": rng.integers(0, 50, n),
        "reach": [None if k % 5 == 0 else int(k * 100) for k in i],
        "source": [f"{file}#{k + 2}" for k in i],
    }))


@dataclasses.dataclass
class FakeFile:
    path: str
    sha256: str
    read: int
    loaded: int
    rejected: int
    duplicates: int


@dataclasses.dataclass
class FakeReport:
    """Stands in for ingest.LoadReport (attributes the store relies on)."""

    read: int
    loaded: int
    rejected: int
    duplicates: int
    rejects: pd.DataFrame
    files: list


def report_for(frame: pd.DataFrame, *, path="a.csv", rejected=1, duplicates=1) -> FakeReport:
    rejects = pd.DataFrame({"source": [path] * rejected, "line": list(range(90, 90 + rejected)),
                            "column": ["timestamp"] * rejected,
                            "reason": ["cannot parse time"] * rejected,
                            "raw": ["bad,row,'); DROP TABLE mentions; --"] * rejected})
    read = len(frame) + rejected + duplicates
    file = FakeFile(path, "0" * 64, read, len(frame), rejected, duplicates)
    return FakeReport(read, len(frame), rejected, duplicates, rejects, [file])


def expected(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.assign(timestamp=frame["timestamp"].dt.floor("us"))
    return out.sort_values(["timestamp", "mention_id"]).reset_index(drop=True)


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "s.duckdb") as opened:
        yield opened


# ---------------------------------------------------------------- add / mentions


def test_round_trip_keeps_schema_dtypes(store, nasty_frame):
    frame = nasty_frame[nasty_frame["text"].str.strip() != ""]
    before = frame.copy()
    result = store.add(frame)
    assert result == AddResult(result.import_id, len(frame), len(frame), 0, 0)
    pd.testing.assert_frame_equal(frame, before)  # input untouched
    out = store.mentions()
    validate(out)
    for column, dtype in MENTION_COLUMNS.items():
        if column != "language":
            assert out[column].dtype == dtype, column
    assert isinstance(out["language"].dtype, pd.CategoricalDtype)
    pd.testing.assert_frame_equal(out, expected(frame), check_categorical=False)
    texts = set(out["text"])
    assert "😡😡😡" in texts
    assert "<script>alert(1)</script> Police presence downtown tonight" in texts


def test_add_is_idempotent_and_counts_duplicates(store):
    frame = make_frame(30)
    first = store.add(frame)
    assert (first.loaded, first.duplicates) == (30, 0)
    second = store.add(frame)
    assert (second.read, second.loaded, second.duplicates) == (30, 0, 30)
    overlap = pd.concat([make_frame(10), make_frame(5, prefix="new")], ignore_index=True)
    third = store.add(overlap)
    assert (third.loaded, third.duplicates) == (5, 10)
    assert store.count() == 35
    imports = store.imports()
    assert list(imports["loaded"]) == [30, 0, 5]
    assert (imports["read"] == imports["loaded"] + imports["rejected"]
            + imports["duplicates"]).all()


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.lists(st.integers(0, 29), max_size=12), min_size=1, max_size=3))
def test_any_sequence_of_overlapping_imports_stores_the_union(tmp_path_factory, batches):
    pool = make_frame(30)
    with open_store(tmp_path_factory.mktemp("prop") / "s.duckdb") as opened:
        results = [opened.add(pool.iloc[rows]) for rows in batches]
        union = sorted({pool["mention_id"].iloc[r] for rows in batches for r in rows})
        assert sorted(opened.mentions()["mention_id"]) == union
        assert sum(r.loaded for r in results) == len(union)
        for rows, result in zip(batches, results):
            assert result.read == len(rows) == result.loaded + result.duplicates


def test_repeated_ids_within_one_frame_are_stored_once(store):
    frame = make_frame(6)
    doubled = pd.concat([frame, frame.iloc[:2]], ignore_index=True)
    result = store.add(doubled)
    assert (result.read, result.loaded, result.duplicates) == (8, 6, 2)
    assert store.count() == 6


def test_add_rejects_invalid_frames(store):
    with pytest.raises(SchemaError, match="mention_id"):
        store.add(pd.DataFrame({"text": ["hi"]}))
    bad = make_frame(3)
    bad.loc[1, "text"] = pd.NA
    with pytest.raises(SchemaError, match="'text'"):
        store.add(bad)
    assert store.count() == 0 and store.imports().empty


def test_report_counts_are_adjusted_for_mentions_already_stored_in_the_result(store):
    frame = make_frame(10)
    report = report_for(frame)
    result = store.add(frame, report)
    assert (result.read, result.loaded, result.rejected, result.duplicates) == (12, 10, 1, 1)
    rejects = store.rejects(result.import_id)
    assert list(rejects.columns) == ["import_id", "source", "line", "column", "reason", "raw"]
    assert rejects.loc[0, "raw"] == "bad,row,'); DROP TABLE mentions; --"
    assert rejects.loc[0, "line"] == 90

    # The same file again plus four new rows: six of its "loaded" rows are already stored.
    again = pd.concat([make_frame(6), make_frame(4, prefix="n")], ignore_index=True)
    report2 = report_for(again, rejected=2, duplicates=0)
    before = dataclasses.replace(report2, files=[dataclasses.replace(report2.files[0])])
    result2 = store.add(again, report2)
    assert (result2.read, result2.loaded, result2.rejected, result2.duplicates) == (12, 4, 2, 6)
    assert result2.added == 4
    assert result2.files == (FileCounts("a.csv", 12, 4, 2, 6),)
    assert report2 == before  # the caller's report is never changed
    row = store.imports().set_index("import_id").loc[result2.import_id]
    assert row["read"] == row["loaded"] + row["rejected"] + row["duplicates"]
    assert row["files"] == ["a.csv"] and row["sha256"] == ["0" * 64]
    assert len(store.rejects()) == 3 and len(store.rejects(result2.import_id)) == 2


def test_with_the_real_loader(store, tmp_path):
    ingest = pytest.importorskip("listening.ingest")
    first = tmp_path / "first.csv"
    first.write_text("id,created_at,platform,author,text,language\n"
                     "1,2026-11-01T09:00:00Z,x,@a,Highway 401 closed near Kingston,en\n"
                     "2,2026-11-01T10:00:00Z,x,@b,is this call a scam?,en\n"
                     "2,2026-11-01T10:00:00Z,x,@b,is this call a scam?,en\n"
                     "3,not a time,x,@c,bad row,en\n", encoding="utf-8")
    second = tmp_path / "second.csv"
    second.write_text("id,created_at,platform,author,text,language\n"
                      "2,2026-11-01T10:00:00Z,x,@b,is this call a scam?,en\n"
                      "4,2026-11-02T08:00:00Z,facebook,@d,Route 17 fermée,fr\n", encoding="utf-8")
    frame, report = ingest.load(first)
    result = store.add(frame, report)
    assert (result.read, result.loaded, result.rejected, result.duplicates) == (4, 2, 1, 1)
    frame2, report2 = ingest.load([second, first])
    result2 = store.add(frame2, report2)
    assert (report2.loaded, report2.duplicates) == (3, 2)  # the loader's counts, unchanged
    assert (result2.loaded, result2.duplicates) == (1, 4)
    by_file = {Path(f.path).name: (f.loaded, f.duplicates) for f in result2.files}
    assert by_file == {"second.csv": (1, 1), "first.csv": (0, 3)}
    for f in result2.files:  # the loader's invariant holds per file for what was stored
        assert f.read == f.loaded + f.rejected + f.duplicates
    audit = store.imports().set_index("import_id")
    assert audit.loc[result2.import_id, "files"] == [str(second), str(first)]
    assert audit.loc[result2.import_id, "sha256"][1] == report.files[0].sha256
    assert len(store.rejects(result2.import_id)) == 1 and store.count() == 3


def test_report_that_does_not_match_the_frame_is_refused(store):
    frame = make_frame(10)
    with pytest.raises(StoreError, match="report says 10 .* frame has 9 rows"):
        store.add(frame.iloc[:9], report_for(frame))


def test_source_files_are_recorded_with_their_hash(store, tmp_path):
    source = tmp_path / "export.csv"
    source.write_text("id,text\n1,hello\n")
    result = store.add(make_frame(2), source_files=[source, tmp_path / "gone.csv"])
    row = store.imports().set_index("import_id").loc[result.import_id]
    import hashlib
    assert row["files"] == [str(source), str(tmp_path / "gone.csv")]
    assert row["sha256"][0] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert row["sha256"][1] is None
    assert row["version"] == __import__("listening").__version__


@pytest.mark.parametrize("step", ["insert_import_row", "insert_rejects"])
def test_failed_add_leaves_nothing(store, monkeypatch, step):
    store.add(make_frame(5, prefix="base"))
    frame = make_frame(10).assign(sentiment=0.2)
    report = report_for(frame)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full (injected)")

    monkeypatch.setattr(audit_module, step, boom)
    with pytest.raises(RuntimeError, match="injected"):
        store.add(frame, report)
    assert store.count() == 5
    assert len(store.imports()) == 1 and store.rejects().empty
    assert "sentiment" not in store.mentions().columns  # the enrichment's ALTER rolled back too
    assert (report.loaded, report.duplicates) == (10, 1)  # report untouched on failure
    monkeypatch.undo()
    assert store.add(frame, report).loaded == 10
    assert store.count() == 15


def test_newest_backup_holds_every_import_and_older_generations_rotate(store):
    first = store.add(make_frame(4))
    assert store.backup_path == store.path.with_name("s.duckdb.bak.1")
    second = store.add(make_frame(3, prefix="b"))
    with duckdb.connect(str(store.backup_path), read_only=True) as backup:
        assert backup.execute("SELECT count(*) FROM mentions").fetchone()[0] == 7
        assert [r[0] for r in backup.execute("SELECT import_id FROM imports ORDER BY "
                                             "started").fetchall()] == [first.import_id,
                                                                        second.import_id]
    older = store.path.with_name("s.duckdb.bak.2")
    with duckdb.connect(str(older), read_only=True) as backup:
        assert backup.execute("SELECT count(*) FROM mentions").fetchone()[0] == 4
    store.save_triage("k", "new")  # a change since the last backup: saved before the import
    third = store.add(make_frame(2, prefix="c"))
    generations = sorted(p.name for p in store.path.parent.glob("s.duckdb.bak*"))
    assert generations == ["s.duckdb.bak.1", "s.duckdb.bak.2", "s.duckdb.bak.3"]
    with duckdb.connect(str(store.path.with_name("s.duckdb.bak.2")), read_only=True) as bak:
        assert bak.execute("SELECT count(*) FROM triage").fetchone()[0] == 1
        assert bak.execute("SELECT count(*) FROM mentions").fetchone()[0] == 7
    assert third.loaded == 2


# ---------------------------------------------------------------- filters


def test_filters_by_time_platform_language(store):
    frame = make_frame(48, start="2026-11-01")  # two days, one per hour
    store.add(frame)
    day = store.mentions(since="2026-11-01 12:00", until=pd.Timestamp("2026-11-02", tz="UTC"))
    assert len(day) == 12 and day["timestamp"].min() == pd.Timestamp("2026-11-01 12:00", tz="UTC")
    # naive strings are UTC; a Toronto time is converted
    toronto = store.mentions(since=pd.Timestamp("2026-11-01 07:00", tz="America/Toronto"))
    assert toronto["timestamp"].min() == pd.Timestamp("2026-11-01 12:00", tz="UTC")
    assert set(store.mentions(platform="x")["platform"]) == {"x"}
    both = store.mentions(platform=["X", "news"], language="fr")
    assert set(both["platform"]) == {"x", "news"} and set(both["language"]) == {"fr"}
    assert len(store.mentions(limit=5)) == 5
    assert list(store.mentions(columns=["mention_id", "import_id"]).columns) == [
        "mention_id", "import_id"]
    with pytest.raises(StoreError, match="unknown platform.*'twitter'.*use one of x, facebook"):
        store.mentions(platform="twitter")
    with pytest.raises(SchemaError, match="unknown column.*'sentiment'"):
        store.mentions(columns=["sentiment"])


def test_relative_durations(store):
    now = pd.Timestamp.now(tz="UTC").floor("s")
    frame = make_frame(10, start=now - pd.Timedelta("9D 1h"), freq="1D")  # last: 1 h ago
    store.add(frame)
    assert len(store.mentions(since="24h")) == 1
    assert len(store.mentions(since="7D")) == 7
    assert len(store.mentions(since="7d", until="2 days")) == 5
    assert len(store.mentions(since=pd.Timedelta(hours=36))) == 2
    with pytest.raises(OptionError, match="unknown unit .M..*365D"):
        store.mentions(since="1M")
    with pytest.raises(OptionError, match="not a window"):
        store.mentions(since="last tuesday")


def test_query_is_applied_with_the_rules_module(store, monkeypatch):
    store.add(make_frame(10))
    calls = []

    class FakeRule:
        def __init__(self, query):
            self.query = query

        @classmethod
        def parse(cls, query):
            return cls(query)

        def match(self, frame):
            calls.append((self.query, len(frame)))
            return frame["text"].str.contains("highway", regex=False)

    monkeypatch.setitem(sys.modules, "listening.rules", types.SimpleNamespace(Rule=FakeRule))
    hits = store.mentions(query="highway", platform="x", columns=["mention_id", "text"], limit=1)
    assert calls == [("highway", 4)]  # rule saw only the SQL-filtered rows
    assert list(hits.columns) == ["mention_id", "text"] and len(hits) == 1
    assert hits.loc[0, "mention_id"] == "m3"


def test_query_with_the_real_rule_parser(store):
    rules = pytest.importorskip("listening.rules")
    if not hasattr(rules, "Rule"):
        pytest.skip("listening.rules has no Rule yet")
    store.add(make_frame(10))
    hits = store.mentions(query='"highway closure" AND NOT platform:news')
    assert len(hits) > 0
    assert hits["text"].str.contains("highway closure").all()
    assert (hits["platform"] != "news").all()


def test_injection_looking_values_are_only_data(store):
    nasty = "x' OR 1=1; DROP TABLE mentions; --"
    frame = make_frame(3)
    frame.loc[0, "text"] = nasty
    frame.loc[1, "mention_id"] = "id'); DELETE FROM mentions; --"
    store.add(frame)
    assert store.mentions(language=["en' OR '1'='1"]).empty
    with pytest.raises(StoreError, match="unknown platform"):
        store.mentions(platform=nasty)
    with pytest.raises(OptionError, match="not a window"):
        store.mentions(since="2026-01-01'; DROP TABLE mentions; --")
    with pytest.raises(SchemaError, match="unknown column"):
        store.mentions(columns=['text" FROM mentions; DROP TABLE mentions; --'])
    with pytest.raises(SchemaError, match="cannot store enrichment column"):
        store.add_enrichment(frame.assign(**{'rule_x"; DROP': True}), ['rule_x"; DROP'])
    store.save_triage("alert'; DROP TABLE triage; --", "new", owner="o'brien", note=nasty)
    store.mark_handled(["id'); DELETE FROM mentions; --"], by=nasty)
    assert store.count() == 3
    assert nasty in set(store.mentions()["text"])
    assert store.triage().loc[0, "alert_key"] == "alert'; DROP TABLE triage; --"
    assert store.handled().loc[0, "by"] == nasty


# ---------------------------------------------------------------- enrichment


def test_enrichment_upsert_and_join(store):
    frame = make_frame(6)
    store.add(frame)
    scored = frame[["mention_id"]].assign(
        sentiment=[-0.5, 0.0, 0.5, 0.9, -0.9, 0.1],
        sentiment_label=["negative", "neutral", "positive", "positive", "negative", "neutral"],
        rule_scam=[True, False, True, False, False, False])
    before = scored.copy()
    assert store.add_enrichment(scored.iloc[:4], ["sentiment", "sentiment_label",
                                                   "rule_scam"]) == 4
    pd.testing.assert_frame_equal(scored, before)
    out = store.mentions()
    assert out["sentiment"].dtype == "float64" and out["rule_scam"].dtype == "boolean"
    assert out["sentiment_label"].dtype == pd.CategoricalDtype(["negative", "neutral", "positive"])
    assert out["sentiment"].isna().sum() == 2 and out["rule_scam"].isna().sum() == 2
    validate(out)
    # Update one column only: the other stored values stay; unknown ids are skipped.
    topics = pd.DataFrame({"mention_id": ["m0", "m5", "not-stored"], "topic": [3, 4, 5],
                           "sentiment": [0.25, 0.75, 0.0]})
    assert store.add_enrichment(topics, ["topic", "sentiment"]) == 2
    out = store.mentions().set_index("mention_id")
    assert out.loc["m0", "sentiment"] == 0.25 and out.loc["m0", "sentiment_label"] == "negative"
    assert out.loc["m0", "topic"] == 3 and out["topic"].dtype == "Int64"
    assert bool(out.loc["m0", "rule_scam"]) is True and pd.isna(out.loc["m5", "rule_scam"])
    assert out.loc["m5", "sentiment"] == 0.75
    # Without columns: every enrichment column the frame has.
    assert store.add_enrichment(scored.assign(topic=7, text="ignored")) == 6
    assert (store.mentions()["topic"] == 7).all()


def test_enrichment_columns_travel_with_add(store):
    frame = make_frame(4).assign(sentiment=0.3, rule_road=True, unrelated="ignored")
    store.add(frame)
    out = store.mentions()
    assert (out["sentiment"] == 0.3).all() and out["rule_road"].all()
    assert "unrelated" not in out.columns


def test_enrichment_errors_name_the_column(store):
    store.add(make_frame(2))
    with pytest.raises(SchemaError, match="'sentiment_label'.*'angry'"):
        store.add_enrichment(pd.DataFrame({"mention_id": ["m0"], "sentiment_label": ["angry"]}),
                             ["sentiment_label"])
    with pytest.raises(SchemaError, match="'rule_x'.*expected bool"):
        store.add_enrichment(pd.DataFrame({"mention_id": ["m0"], "rule_x": ["yes"]}), ["rule_x"])
    with pytest.raises(SchemaError, match="needs column.*'topic'"):
        store.add_enrichment(pd.DataFrame({"mention_id": ["m0"]}), ["topic"])
    with pytest.raises(SchemaError, match="cannot store enrichment column.*'text'"):
        store.add_enrichment(pd.DataFrame({"mention_id": ["m0"], "text": ["x"]}), ["text"])


# ---------------------------------------------------------------- read-only, lifecycle


def test_read_only_store_refuses_writes(tmp_path):
    path = tmp_path / "ro.duckdb"
    with pytest.raises(StoreError, match="no store at"):
        open_store(path, read_only=True)
    with open_store(path) as writer:
        writer.add(make_frame(3))
        writer.secret()
    with open_store(path, read_only=True) as reader:
        assert reader.count() == 3 and len(reader.mentions()) == 3
        for write in (lambda: reader.add(make_frame(1, prefix="z")),
                      lambda: reader.purge("1D"),
                      lambda: reader.save_triage("a", "new"),
                      lambda: reader.mark_handled(["m0"]),
                      lambda: reader.add_enrichment(pd.DataFrame(
                          {"mention_id": ["m0"], "topic": [1]}), ["topic"])):
            with pytest.raises(StoreError, match="read-only.*open it with open_store"):
                write()
        assert len(reader.secret()) == 32
    with open_store(path, read_only=True) as reader:
        assert reader.count() == 3


def test_read_only_store_without_secret_says_how_to_create_it(tmp_path):
    open_store(tmp_path / "s.duckdb").close()
    with (open_store(tmp_path / "s.duckdb", read_only=True) as reader,
          pytest.raises(StoreError, match="no pseudonymisation secret yet.*read-write")):
        reader.secret()


def test_closed_store_says_so(tmp_path):
    opened = open_store(tmp_path / "s.duckdb")
    opened.close()
    opened.close()
    assert "closed" in repr(opened)
    with pytest.raises(StoreError, match="is closed"):
        opened.count()


def test_same_process_conflicting_modes(tmp_path):
    path = tmp_path / "s.duckdb"
    with (open_store(path),
          pytest.raises(StoreLockedError, match="already open in this process")):
        open_store(path, read_only=True)


def test_default_path(tmp_path, monkeypatch):
    monkeypatch.setenv("LISTENING_STORE", str(tmp_path / "env.duckdb"))
    assert default_store_path() == tmp_path / "env.duckdb"
    monkeypatch.delenv("LISTENING_STORE")
    project = tmp_path / "proj"
    (project / "notebooks").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[project]\nname = "listening"\n')
    monkeypatch.chdir(project / "notebooks")
    assert default_store_path() == project.resolve() / "data" / "listening.duckdb"
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "data").mkdir(parents=True)
    (elsewhere / "pyproject.toml").write_text('[project]\nname = "other"\n')
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_store_path() == tmp_path / "xdg" / "listening" / "listening.duckdb"
    with open_store() as opened:
        assert opened.path == (tmp_path / "xdg" / "listening" / "listening.duckdb").resolve()


# ---------------------------------------------------------------- triage, queue, secret


def test_triage_keeps_history_and_validates_status(store):
    store.save_triage("spike:x:2026-11-01", "new")
    store.save_triage("spike:x:2026-11-01", "acknowledged", owner="jp", note="watching")
    store.save_triage("scam:fr", "escalated", owner="marie")
    store.save_triage("spike:x:2026-11-01", "closed", owner="jp")
    latest = store.triage().set_index("alert_key")
    assert latest.loc["spike:x:2026-11-01", "status"] == "closed"
    assert latest.loc["scam:fr", "owner"] == "marie" and len(latest) == 2
    history = store.triage(history=True)
    assert list(history["status"]) == ["new", "acknowledged", "escalated", "closed"]
    assert history["at"].dtype == "datetime64[ns, UTC]" and history["at"].is_monotonic_increasing
    with pytest.raises(OptionError, match="status='done'.*'new', 'acknowledged', 'escalated' "
                                          "or 'closed'"):
        store.save_triage("scam:fr", "done")
    with pytest.raises(StoreError, match="alert_key"):
        store.save_triage("", "new")


def test_response_queue(store):
    store.add(make_frame(4))
    assert store.mark_handled("m1", by="amy") == 1
    assert store.mark_handled(["m2", "m3", "m2"], by="bo", note="replied") == 2
    store.mark_handled("m1", by="cy", note="follow-up")
    handled = store.handled().set_index("mention_id")
    assert sorted(handled.index) == ["m1", "m2", "m3"]
    assert handled.loc["m1", "by"] == "cy" and handled.loc["m2", "note"] == "replied"
    with pytest.raises(StoreError, match="'nope'.*not in store"):
        store.mark_handled(["m0", "nope"])
    assert "m0" not in set(store.handled()["mention_id"])


def test_secret_is_stable_and_never_shown(tmp_path, capsys):
    path = tmp_path / "s.duckdb"
    with open_store(path) as opened:
        key = opened.secret()
        assert isinstance(key, bytes) and len(key) == 32 and opened.secret() == key
        shown = repr(opened) + str(opened)
    with open_store(path) as reopened:
        assert reopened.secret() == key
    assert key.hex() not in shown and repr(key) not in shown
    assert key.hex() not in capsys.readouterr().out
    with open_store(tmp_path / "other.duckdb") as other:
        assert other.secret() != key


def test_the_versions_behind_stored_enrichment_come_back_with_the_mentions(tmp_path):
    import listening as ls
    from listening.provenance import model_versions

    frame, _ = ls.demo.generate(n_mentions=400, days=3, seed=5)
    enriched = ls.enrich(frame, topics=None)
    assert model_versions(enriched)["sentiment"] != "unknown"
    with ls.open_store(tmp_path / "s.duckdb") as store:
        store.add(frame)
        assert "listening" not in store.mentions().attrs  # nothing enriched yet
        store.add_enrichment(enriched)
        back = store.mentions()
    assert model_versions(back)["sentiment"] == model_versions(enriched)["sentiment"]
