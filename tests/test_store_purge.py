"""A purge that erases (issue 15.2): no purged text or handle left in any file of the folder.

The byte search reads every file beside the store (the store, its backup
generations, a ``.damaged-*`` copy, anything left over) for each purged post's
text and handle, after first checking that the same search finds them before the
purge (a search that cannot find them would prove nothing: DuckDB compresses
long columns, so the stores here are small enough to keep strings verbatim).
"""

from __future__ import annotations

import builtins
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from test_store import FakeReport as Report
from test_store import make_frame

from listening.cli import main
from listening.errors import OptionError, StoreError
from listening.store import check_store, open_store, restore_backup
from listening.store import sql as sql_module

NOW = pd.Timestamp.now(tz="UTC").floor("s")
OLD = [f"zqpurgedtext{k:03d}" for k in range(12)]       # texts of mentions 400 days old
OLD_HANDLES = [f"@zqpurgedhandle{k:03d}" for k in range(12)]
KEPT = [f"zqkepttext{k:03d}" for k in range(8)]          # texts of mentions 10 days old
REJECTED = "zqpurgedreject"                              # a raw line of an old import
NOTE = "zqpurgednote"                                    # an old triage note


def old_and_new() -> tuple[pd.DataFrame, pd.DataFrame]:
    old = make_frame(12, start=NOW - pd.Timedelta("400D"), freq="1D", prefix="old")
    old = old.assign(text=[f"{t} road closed" for t in OLD], author=OLD_HANDLES)
    new = make_frame(8, start=NOW - pd.Timedelta("10D"), freq="1D", prefix="new")
    new = new.assign(text=[f"{t} road open" for t in KEPT])
    return old, new


def at_time(monkeypatch, when: pd.Timestamp) -> None:
    monkeypatch.setattr(sql_module, "CLOCK", lambda: when)


def build(path: Path, monkeypatch) -> dict[str, str]:
    """A store with every kind of trace of old mentions; returns import ids by name."""
    old, new = old_and_new()
    at_time(monkeypatch, NOW - pd.Timedelta("399D"))
    rejects = pd.DataFrame({"source": ["old.csv"], "line": [9], "column": ["timestamp"],
                            "reason": ["cannot parse"],
                            "raw": [f"x,{REJECTED},@zqpurgedhandle001"]})
    first = open_store(path)
    ids = {"old": first.add(old, Report(13, 12, 1, 0, rejects, [])).import_id}
    first.save_triage("spike:x:old", "escalated", owner="amy", note=f"{NOTE} @zqpurgedhandle002")
    first.close()
    monkeypatch.undo()
    with open_store(path) as store:
        new_rejects = rejects.assign(raw="y,zqkeptreject")
        ids["new"] = store.add(new, Report(9, 8, 1, 0, new_rejects, [])).import_id
        store.add_enrichment(pd.concat([old, new])[["mention_id"]].assign(
            topic=3, rule_closure=True, topic_label="road closures"))
        store.mark_handled("old1", by="bo", note="replied to @zqpurgedhandle001")
        store.mark_handled("new1", by="bo", note="replied")
        store.save_triage("spike:x:new", "new", note="zqkeptnote")
        store.secret()
        ids["third"] = store.add(make_frame(3, prefix="late", start=NOW - pd.Timedelta("1D")))
    return ids


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def found(folder: Path, needles: list[str]) -> dict[str, list[str]]:
    contents = folder_bytes(folder)
    return {n: sorted(name for name, data in contents.items() if n.encode() in data)
            for n in needles if any(n.encode() in data for data in contents.values())}


PURGED = [*OLD, *OLD_HANDLES, REJECTED, NOTE]


def test_purge_leaves_no_purged_text_or_handle_in_any_file_of_the_folder(tmp_path,
                                                                          monkeypatch):
    folder = tmp_path / "store"
    path = folder / "s.duckdb"
    build(path, monkeypatch)
    restore_backup(path, generation=1)  # leaves a .damaged-* copy of the store behind
    assert list(folder.glob("s.duckdb.damaged-*"))
    before = found(folder, PURGED)
    assert set(before) == set(PURGED), "the byte search must find them before the purge"
    assert len(before[OLD[0]]) >= 4  # the store, its three generations, the damaged copy

    with open_store(path) as store:
        secret = store.secret()
        result = store.purge("365D")
    assert result.mentions == 12
    # every other table (imports, settings, worklog tables declared since) loses nothing
    assert {t: n for t, n in result.removed.items() if n} == {
        "mentions": 12, "enrichment": 12, "rejects": 1, "triage": 1, "handled": 1}
    assert [p.name for p in result.backups] == ["s.duckdb.bak.1", "s.duckdb.bak.2"]
    assert {p.name for p in result.deleted_files} >= {"s.duckdb.bak.3"}
    assert any(p.name.startswith("s.duckdb.damaged-") for p in result.deleted_files)

    assert found(folder, PURGED) == {}
    kept = found(folder, [*KEPT, "zqkeptreject", "zqkeptnote"])
    assert set(kept) == {*KEPT, "zqkeptreject", "zqkeptnote"}  # the search still sees text
    assert sorted(os.listdir(folder)) == ["s.duckdb", "s.duckdb.bak.1", "s.duckdb.bak.2",
                                          "s.duckdb.bak.3"]
    health = check_store(path)
    assert health.ok and all(g.whole for g, _ in health.generations)
    with open_store(path) as store:
        assert store.count() == 11 and store.secret() == secret
        out = store.mentions()
        assert out["rule_closure"].all() and (out["topic"] == 3).all()
        assert list(store.handled()["mention_id"]) == ["new1"]
        assert list(store.triage()["alert_key"]) == ["spike:x:new"]
        assert list(store.rejects()["raw"]) == ["y,zqkeptreject"]
        audit = store.imports().iloc[-1]
        assert audit["kind"] == "purge" and audit["deleted"] == 12
        assert "365 days" in audit["note"] and audit["import_id"] == result.import_id


def test_dry_run_says_what_would_go_and_changes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "s.duckdb"
    build(path, monkeypatch)
    before = folder_bytes(tmp_path)
    with open_store(path, read_only=True) as store:  # a plan needs no write access
        plan = store.purge("365D", dry_run=True)
    assert folder_bytes(tmp_path) == before
    assert plan.dry_run and plan.mentions == 12 and plan.removed["rejects"] == 1
    assert [p.name for p in plan.backups] == ["s.duckdb.bak.1", "s.duckdb.bak.2"]
    assert [p.name for p in plan.deleted_files] == ["s.duckdb.bak.3"]
    assert str(plan).startswith("purge of mentions before ")
    assert "would remove 12 mentions, 12 enrichment, 1 rejects, 1 triage, 1 handled" in str(plan)
    with open_store(path) as store:
        assert store.purge("365D").removed == plan.removed
        assert store.purge("365D", dry_run=True).mentions == 0


def test_rejects_go_with_an_old_import_or_with_all_of_its_mentions(tmp_path):
    path = tmp_path / "s.duckdb"
    old, new = old_and_new()
    rejects = pd.DataFrame({"source": ["a.csv"], "line": [3], "column": ["text"],
                            "reason": ["empty"], "raw": ["a,"]})
    with open_store(path) as store:
        archive = store.add(old, Report(13, 12, 1, 0, rejects, [])).import_id  # recent import
        recent = store.add(new, Report(9, 8, 1, 0, rejects, [])).import_id     # of old posts
        empty = store.add(new, Report(9, 8, 1, 0, rejects, [])).import_id      # all duplicates
        assert store.purge("365D").removed["rejects"] == 1
        assert set(store.rejects()["import_id"]) == {recent, empty}
        assert archive in set(store.imports()["import_id"])  # the audit log stays


def test_bad_retention_is_refused(tmp_path):
    with open_store(tmp_path / "s.duckdb") as store:
        for bad in ("-5D", "soon", 0):
            with pytest.raises(OptionError, match="older_than"):
                store.purge(bad)
        with pytest.raises(OptionError, match="older_than"):
            store.purge("soon", dry_run=True)


# ---------------------------------------------------------------- the CLI


def test_cli_purge_prints_the_plan_and_asks_first(tmp_path, monkeypatch, capsys):
    path = tmp_path / "s.duckdb"
    build(path, monkeypatch)
    store = ["--store", str(path)]
    assert main([*store, "purge", "--older-than", "365d", "--dry-run"]) == 0
    assert "would remove 12 mentions" in capsys.readouterr().out
    assert main([*store, "purge", "--older-than", "365d"]) == 1  # nobody to answer
    assert "asks for confirmation before changing the store; add --yes" in (
        capsys.readouterr().err)

    class Terminal:
        @staticmethod
        def isatty():
            return True

    monkeypatch.setattr(sys, "stdin", Terminal())
    answers = iter(["n", "oui"])
    monkeypatch.setattr(builtins, "input", lambda prompt: next(answers))
    assert main([*store, "purge", "--older-than", "365d"]) == 1
    assert "nothing purged" in capsys.readouterr().out
    with open_store(path, read_only=True) as opened:
        assert opened.count() == 23
    assert main([*store, "purge", "--older-than", "365d"]) == 0
    assert "purged 12 mentions older than 365d" in capsys.readouterr().out
    assert main([*store, "purge", "--older-than", "365d", "--yes"]) == 0
    assert "nothing older than 365d: nothing to erase" in capsys.readouterr().out


# ---------------------------------------------------------------- SIGKILL mid-purge

PURGER = r"""
import sys, time
import listening.store as st
from listening.store import audit, backups, purge

path, stage = sys.argv[1], sys.argv[2]

def stall(label):
    print(label, flush=True)
    time.sleep(120)

if stage == "journal":  # writing the journal, before anything else changes
    fsync = purge.fsync_file
    def hooked(file):
        if str(file).endswith(".purge.json.tmp"):
            stall("STAGE")
        return fsync(file)
    purge.fsync_file = hooked
elif stage == "rebuilding":  # inside the copy of the store, before its audit row
    insert = audit.insert_import_row
    def hooked(con, **kwargs):
        if kwargs.get("database"):
            stall("STAGE")
        return insert(con, **kwargs)
    audit.insert_import_row = hooked
elif stage == "swapped":  # the store is purged, no backup rebuilt yet
    finish = purge._finish
    def hooked(*args, **kwargs):
        stall("STAGE")
    purge._finish = hooked
elif stage == "generations":  # one backup generation rebuilt, the next one not
    rebuild, done = purge.rebuild, []
    def hooked(con, **kwargs):
        if kwargs["source"] == purge._SOURCE:
            if done:
                stall("STAGE")
            done.append(True)
        return rebuild(con, **kwargs)
    purge.rebuild = hooked
store = st.open_store(path)
print("PURGING", flush=True)
store.purge("365D")
print("DONE", flush=True)
"""


def _kill_purge(path: Path, stage: str, delay: float = 0.0) -> int:
    proc = subprocess.Popen([sys.executable, "-c", PURGER, str(path), stage],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        marker = "STAGE" if stage != "timed" else "PURGING"
        while True:
            line = proc.stdout.readline()
            if not line:
                proc.wait(timeout=60)
                pytest.fail(f"purger exited before {marker}: {proc.stderr.read()}")
            if line.startswith(marker):
                break
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        return proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("stage, delay, outcome", [
    ("journal", 0.0, "untouched"), ("rebuilding", 0.0, "old"), ("swapped", 0.0, "new"), ("generations", 0.0, "new"),
    ("timed", 0.3, "either"), ("timed", 1.0, "either"),
])
def test_purge_killed_at_any_point_leaves_the_old_or_the_new_state(tmp_path, monkeypatch,
                                                                   stage, delay, outcome):
    folder = tmp_path / "store"
    path = folder / "s.duckdb"
    build(path, monkeypatch)
    with open_store(path) as store:  # more rows, so that a timed kill lands mid-way
        store.add(make_frame(3000, prefix="bulk", start=NOW - pd.Timedelta("30D"), freq="5min"))
        before = store.count()
    assert _kill_purge(path, stage, delay) in (-signal.SIGKILL, 0)  # 0: it finished first

    journal = folder / "s.duckdb.purge.json"
    if outcome == "untouched":
        store = open_store(path)  # nothing to say: nothing had changed
    elif outcome == "old":
        with pytest.warns(UserWarning, match="rolled back, nothing was purged. Run it again"):
            store = open_store(path)
    elif outcome == "new":
        with pytest.warns(UserWarning, match="finished a purge that was interrupted"):
            store = open_store(path)
    else:
        pending = journal.is_file()
        with pytest.warns(UserWarning) if pending else contextlib.nullcontext():
            store = open_store(path)
    with store:
        count = store.count()
        kinds = list(store.imports()["kind"])
    assert not journal.exists() and not list(folder.glob("*.tmp*"))
    if outcome in ("old", "untouched"):
        assert count == before and "purge" not in kinds
    elif outcome == "new":
        assert count == before - 12 and kinds.count("purge") == 1
    assert count in (before, before - 12)
    if count == before - 12:  # purged: every file of the folder, backups included
        assert found(folder, PURGED) == {}
    else:
        assert "purge" not in kinds
    health = check_store(path)
    assert health.ok and all(g.whole for g, _ in health.generations)


def test_a_read_only_open_leaves_an_interrupted_purge_alone(tmp_path, monkeypatch):
    path = tmp_path / "s.duckdb"
    build(path, monkeypatch)
    assert _kill_purge(path, "swapped") == -signal.SIGKILL
    with open_store(path, read_only=True) as store:  # already the purged store
        assert store.count() == 11
    assert (tmp_path / "s.duckdb.purge.json").is_file()
    assert "a purge was interrupted" in str(check_store(path))
    with pytest.warns(UserWarning, match="finished a purge"), open_store(path):
        pass
    assert found(tmp_path, PURGED) == {}


def test_purge_of_a_read_only_store_is_refused(tmp_path):
    open_store(tmp_path / "s.duckdb").close()
    with (open_store(tmp_path / "s.duckdb", read_only=True) as store,
          pytest.raises(StoreError, match="cannot purge mentions: .* read-only")):
        store.purge("30D")


def test_a_backup_generation_that_cannot_be_rebuilt_is_deleted(tmp_path, monkeypatch):
    path = tmp_path / "s.duckdb"
    build(path, monkeypatch)
    damaged = tmp_path / "s.duckdb.bak.2"
    os.truncate(damaged, damaged.stat().st_size // 2)
    with open_store(path) as store:
        result = store.purge("365D")
    assert damaged in result.deleted_files and result.mentions == 12
    assert found(tmp_path, PURGED) == {}
    health = check_store(path)
    assert health.ok and all(g.whole for g, _ in health.generations)
