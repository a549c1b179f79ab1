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


def _recent_start(days: int) -> pd.Timestamp:
    """A demo start so the stream ends about now: `alerts --since` counts back from now."""
    return (pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=days)).floor("D")


def test_alerts_exit_2_when_severity_reached(store_path, capsys):
    frame, _ = ls.demo.generate(n_mentions=6_000, days=14, seed=5,
                                incidents=["police_impersonation_scam"], start=_recent_start(14))
    with ls.open_store() as store:
        store.add(frame)
    code = main(["alerts", "--since", "14D", "--threshold", "1"])
    out = capsys.readouterr().out
    assert code == 2
    assert "scam" in out.lower()
    written = store_path.parent / "alerts.csv"
    code = main(["alerts", "--since", "14D", "--threshold", "10", "--out", str(written)])
    assert code == (2 if (pd.read_csv(written)["severity"] >= 10).any() else 0)


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


# ------------------------------------------------------------ no traceback, ever
# (argv, words the one-line message must hold). Exit 2: a usage error found while
# reading the options; exit 1: the package refused (store, rule, file).
WRONG = [
    (["export", "x.docx"], "use a file ending in .csv, .xlsx, .parquet"),
    (["brief", "--out", "b.txt"], "use a file ending in .html, .md, .pdf"),
    (["brief", "--period", "a week"], "'a week' is not a window; use a duration"),
    (["alerts", "--since", "3 months"], "write them in days"),
    (["alerts", "--since", ""], "is empty"),
    (["alerts", "--threshold", "11"], "whole number from 1 to 10"),
    (["alerts", "--threshold", "high"], "whole number from 1 to 10"),
    (["alerts", "--out", "alerts.txt"], "use a file ending in .csv"),
    (["alerts", "--freq", "hourly", "--since", "400D"], "freq='hourly' is not accepted"),
    (["brief", "--lang", "es"], "choose from 'en', 'fr'"),
    (["demo", "--n", "0"], "at least 1"),
    (["demo", "--days", "two"], "'two' is not a whole number"),
    (["export", "out.csv", "--since", "soon"], "'soon' is not a window"),
    (["export", "out.csv", "--query", "(fire OR"], "column"),
    (["enrich", "--rules", "/nonexistent/rules"], "does not exist"),
    (["enrich", "--engine", "dask"], "--engine dask needs --input"),
    (["enrich", "--engine", "spark"], "invalid choice: 'spark'"),
    (["ingest"], "required: paths"),
    (["ingest", "/nonexistent/file.csv"], "/nonexistent/file.csv"),
    (["purge"], "required: --older-than"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    ([], "required: COMMAND"),
    (["--store", "/nonexistent/dir/x.duckdb", "alerts"], "/nonexistent/dir/x.duckdb"),
]


@pytest.fixture
def small_store(store_path):
    frame, _ = ls.demo.generate(n_mentions=400, days=3, seed=4, start=_recent_start(3))
    with ls.open_store() as store:
        store.add(frame)
    return store_path


@pytest.mark.parametrize(("argv", "expected"), WRONG, ids=[" ".join(a) or "(none)" for a, _ in WRONG])
def test_a_mistake_is_one_line_and_a_nonzero_exit(small_store, capsys, argv, expected):
    code = main(argv)
    out, err = capsys.readouterr()
    assert code in (1, 2), (code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("listening"), err
    assert expected in lines[0], err
    assert "Traceback" not in out + err


@pytest.mark.parametrize("argv", [["brief", "--out", "b.txt"], ["export", "x.docx"]])
def test_a_mistake_in_a_real_process_has_no_traceback(argv, tmp_path):
    done = subprocess.run([sys.executable, "-m", "listening.cli", *argv], capture_output=True,
                          text=True, cwd=tmp_path,
                          env={**__import__("os").environ,
                               "LISTENING_STORE": str(tmp_path / "s.duckdb")})
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "use a file ending in" in done.stderr


def test_every_option_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, __import__("argparse")._SubParsersAction))
    missing = [f"{name} {'/'.join(action.option_strings) or action.dest}"
               for name, p in [("listening", parser), *sub.choices.items()]
               for action in p._actions
               if action.help in (None, "") and not isinstance(
                   action, (__import__("argparse")._HelpAction,
                            __import__("argparse")._SubParsersAction))]
    assert missing == []


def test_calendar_windows_are_accepted(small_store, tmp_path, capsys):
    """`last-week` and `yesterday` are windows (listening.windows), so they work."""
    assert main(["brief", "--period", "last-week", "--out", str(tmp_path / "b.md")]) == 0
    assert (tmp_path / "b.md").stat().st_size > 0
    assert main(["brief", "--period", "2 days", "--out", str(tmp_path / "c.md")]) == 0
    capsys.readouterr()
    assert main(["alerts", "--since", "yesterday"]) in (0, 2)
    assert "Traceback" not in capsys.readouterr().err


def test_alerts_on_stale_store_says_so_and_offers_since(store_path, capsys):
    frame, _ = ls.demo.generate(n_mentions=500, days=3, seed=2, start="2026-01-05")
    with ls.open_store() as store:
        store.add(frame)
    assert main(["alerts", "--since", "24h"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    newest = frame["timestamp"].max().tz_convert("America/Toronto")
    assert f"the newest mention in the store is from {newest:%Y-%m-%d %H:%M}" in err
    offer = (newest - pd.Timedelta("24h")).strftime("%Y-%m-%d %H:%M")
    assert f'listening alerts --since "{offer}"' in err
    # the offered window reaches the data: alerts are computed, not refused as stale
    assert main(["alerts", "--since", offer]) in (0, 2)
    assert "no mentions since" not in capsys.readouterr().err


def test_enrich_on_a_small_store_scores_and_says_why_topics_were_skipped(store_path, capsys):
    frame, _ = ls.demo.generate(n_mentions=30, days=2, seed=1)
    with ls.open_store() as store:
        store.add(frame)
    assert main(["enrich"]) == 0
    out = capsys.readouterr().out
    assert "enriched 30 mentions in the store: language, sentiment" in out
    assert "topics skipped: 30 mentions with text; topics need at least 50" in out
    with ls.open_store(read_only=True) as store:
        stored = store.mentions()
    assert stored["sentiment"].notna().all() and stored["language"].notna().all()


def test_brief_pseudonymise_hides_private_authors(small_store, tmp_path, capsys):
    with ls.open_store(read_only=True) as store:
        authors = store.mentions(columns=["author"])["author"].dropna().astype(str)
    assert main(["brief", "--out", "plain.md"]) == 0
    plain = (tmp_path / "plain.md").read_text(encoding="utf-8")
    shown = {a for a in authors if a.startswith("@") and a in plain}
    assert main(["brief", "--out", "safe.md", "--pseudonymise"]) == 0
    assert "handles pseudonymised" in capsys.readouterr().out
    safe = (tmp_path / "safe.md").read_text(encoding="utf-8")
    from listening.pseudonymise import default_allow_list

    allowed = {h.lower().lstrip("@") for h in default_allow_list()}
    assert not [a for a in shown if a in safe and a.lower().lstrip("@") not in allowed]
