"""The `listening` command: every command has --help, errors are one line, exit codes mean something."""

import subprocess
import sys

import pandas as pd
import pytest

import listening as ls
from listening.cli import build_parser, main

COMMANDS = ["ingest", "enrich", "alerts", "brief", "export", "purge", "demo"]


@pytest.fixture
def store_path(tmp_path, monkeypatch):
    path = tmp_path / "store.duckdb"
    monkeypatch.setenv("LISTENING_STORE", str(path))
    monkeypatch.chdir(tmp_path)
    return path


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert "usage: listening " + command in capsys.readouterr().out


def test_console_script_lists_commands():
    out = subprocess.run([sys.executable, "-m", "listening.cli", "--help"], capture_output=True,
                         text=True, check=True).stdout
    for command in COMMANDS:
        assert command in out


def test_ingest_prints_report_and_stores(store_path, tmp_path, capsys):
    frame, _ = ls.demo.generate(n_mentions=300, days=3, seed=2)
    good = tmp_path / "mentions.csv"
    raw = frame[["mention_id", "timestamp", "platform", "author", "text"]].astype("string")
    raw.loc[len(raw)] = ["bad-1", "not a date", "x", "@someone", "hello"]
    raw.to_csv(good, index=False)
    assert main(["ingest", str(good), "--rejects", str(tmp_path / "rejects.csv")]) == 0
    out = capsys.readouterr().out
    assert "301" in out and "300" in out
    rejects = pd.read_csv(tmp_path / "rejects.csv")
    assert rejects["line"].tolist() == [302]
    with ls.open_store(read_only=True) as store:
        assert store.count() == 300


def test_ingest_of_unusable_file_is_one_line_error(store_path, tmp_path, capsys):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert main(["ingest", str(empty)]) == 1
    err = capsys.readouterr().err
    assert "empty.csv" in err and "Traceback" not in err


def test_ingest_exits_nonzero_when_nothing_loaded(store_path, tmp_path):
    path = tmp_path / "all_bad.csv"
    path.write_text("id,created_at,text\n1,yesterday-ish,hello\n2,2026-01-01T00:00:00Z,\n")
    assert main(["ingest", str(path)]) == 1


def test_alerts_exit_2_when_severity_reached(store_path, capsys):
    frame, _ = ls.demo.generate(n_mentions=6_000, days=14, seed=5,
                                incidents=["police_impersonation_scam"])
    with ls.open_store() as store:
        store.add(frame)
    code = main(["alerts", "--since", "14D", "--threshold", "1"])
    out = capsys.readouterr().out
    assert code == 2
    assert "scam" in out.lower()
    assert main(["alerts", "--since", "14D", "--threshold", "11"]) == 0


def test_purge_removes_old_mentions(store_path, capsys):
    frame, _ = ls.demo.generate(n_mentions=200, days=2, seed=1, start="2020-01-01")
    with ls.open_store() as store:
        store.add(frame)
    assert main(["purge", "--older-than", "365d", "--yes"]) == 0
    assert "purged 200" in capsys.readouterr().out
    with ls.open_store(read_only=True) as store:
        assert store.count() == 0


def test_export_pseudonymised_from_store(store_path, tmp_path):
    frame, _ = ls.demo.generate(n_mentions=200, days=2, seed=1)
    with ls.open_store() as store:
        store.add(frame)
    assert main(["export", str(tmp_path / "out.csv"), "--pseudonymise"]) == 0
    text = (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
    from listening.demo import MEDIA_ACCOUNTS, OFFICIAL_ACCOUNTS

    ordinary = set(frame["author"]) - set(OFFICIAL_ACCOUNTS) - set(MEDIA_ACCOUNTS)
    assert len(ordinary) > 20
    assert [handle for handle in ordinary if handle in text] == []
    assert any(handle in text for handle in MEDIA_ACCOUNTS)  # allow-listed, still readable


def test_demo_writes_brief_and_exports(store_path, tmp_path):
    assert main(["demo", "--n", "3000", "--days", "7"]) == 0
    for name in ("brief.html", "brief.md", "alerts.csv", "findings.xlsx"):
        assert (tmp_path / "out" / name).stat().st_size > 0
    html = (tmp_path / "out" / "brief.html").read_text(encoding="utf-8")
    assert "Methods and provenance" in html


def test_parser_rejects_unknown_command():
    with pytest.raises(SystemExit):
        build_parser().parse_args(["frobnicate"])
