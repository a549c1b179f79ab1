"""Nothing changed silently (issue 14, points 8-12): notes, encodings, numbers as times,
and the smaller cases (a header over 1 MiB, one-line JSON arrays, Parquet bytes, a
text field holding an object)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import listening as ls
from listening.cli import main
from listening.ingest import load, load_to_parquet
from listening.schema import validate

FIXTURES = Path(__file__).parent / "fixtures"
UTC = pd.Timestamp


# --------------------------------------------------------------------------- 8 notes

def test_every_changed_value_is_noted_and_platform_raw_kept():
    frame, report = load(FIXTURES / "generic_changed_values.csv")
    validate(frame)
    notes = report.notes
    assert list(notes.columns) == ["source", "line", "record", "column", "value", "action"]
    got = {(r.line, r.column): (r.value, r.action) for r in notes.itertuples()}
    assert got[(2, "likes")] == ("abc", "left empty (not a number)")
    assert got[(3, "likes")] == ("12.7", "rounded to 13 (counts are whole numbers)")
    assert got[(3, "shares")] == ("-4", "left empty (a count cannot be negative)")
    value, action = got[(2, "platform")]
    assert value == "MySpace" and "kept in platform_raw" in action
    assert got[(3, "platform")][0] == "Weibo"
    assert got[(3, "language")] == \
        ("Klingon", "detected from the text (not a language listening can read)")
    assert len(notes) == 6  # "1,204" is a count with a thousands separator, "und" means unknown
    assert frame["likes"].isna().iloc[0]
    assert frame["likes"].iloc[1:].tolist() == [13, 1204]
    assert frame["platform"].astype(str).tolist() == ["other", "other", "x"]
    assert frame["platform_raw"].tolist()[:2] == ["MySpace", "Weibo"]
    assert pd.isna(frame["platform_raw"].iloc[2])
    summary = str(report).splitlines()[-1]
    assert summary.startswith("notes: 6 value(s) changed (") and "see report.notes" in summary


def test_platform_argument_replacement_is_noted(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("id,date,text,platform\n1,2026-11-01,salut,Carrier pigeon\n")
    frame, report = load(path, platform="facebook")
    assert frame["platform"].astype(str).tolist() == ["facebook"]
    assert frame["platform_raw"].tolist() == ["Carrier pigeon"]
    assert "set to 'facebook' (the platform= argument" in report.notes["action"].iloc[0]


def test_cli_ingest_prints_the_notes_summary_and_writes_them(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LISTENING_STORE", str(tmp_path / "store.duckdb"))
    assert main(["ingest", str(FIXTURES / "generic_changed_values.csv"),
                 "--notes", str(tmp_path / "notes.csv")]) == 0
    out = capsys.readouterr().out
    assert "notes: 6 value(s) changed" in out and "notes written to" in out
    assert len(pd.read_csv(tmp_path / "notes.csv")) == 6
    with ls.open_store(read_only=True) as store:  # the store keeps platform_raw
        stored = store.mentions(columns=["mention_id", "platform", "platform_raw"])
    assert sorted(stored["platform_raw"].dropna()) == ["MySpace", "Weibo"]
    assert main(["ingest", str(FIXTURES / "crowdtangle_export_ist.csv"),
                 "--tz-name", "IST=Asia/Kolkata"]) == 0
    assert main(["ingest", str(FIXTURES / "generic.csv"), "--tz-name", "IST"]) == 1
    assert "ABBREVIATION=ZONE" in capsys.readouterr().err


# --------------------------------------------------------------------------- 9 encodings

FRENCH = ["élève à l'école", "Québec: route fermée", "Sûreté du Québec – mise à jour",
          "Déjà vu à Montréal", "Ça roule sur la 40"]


def _mostly_utf8(tmp_path, rows: int, stray: dict[int, bytes]) -> Path:
    lines = [b"id,created_at,author,text"]
    for k in range(rows):
        text = FRENCH[k % len(FRENCH)].encode("utf-8")
        lines.append(f"m{k},2026-11-01T10:00:00Z,@u{k},".encode() + text)
    for k, raw in stray.items():
        lines[k + 1] = f"m{k},2026-11-01T10:00:00Z,@u{k},".encode() + raw
    path = tmp_path / "mostly_utf8.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_one_stray_byte_leaves_a_utf8_file_utf8(tmp_path):
    # 1,000 UTF-8 rows and one with a byte no encoding of the row explains (0x81)
    path = _mostly_utf8(tmp_path, 1000, {500: b"caf\x81 noir"})
    frame, report = load(path)
    assert report.files[0].encoding == "utf-8" and report.loaded == 1000
    texts = dict(zip(frame["source"], frame["text"]))
    assert texts["mostly_utf8.csv#2"] == "élève à l'école"          # not ﾃｩlﾃｨve
    assert texts["mostly_utf8.csv#502"] == "caf\x81 noir"           # Latin-1 for 0x81
    note = report.notes.iloc[0]
    assert note["line"] == 502 and pd.isna(note["column"])
    assert note["value"].endswith("caf\x81 noir")
    assert note["action"].startswith("decoded as Windows-1252")
    assert len(report.notes) == 1


def test_a_windows_1252_line_in_a_utf8_file(tmp_path):
    line = "Québec: pont fermé".encode("cp1252")
    path = _mostly_utf8(tmp_path, 10_000, {9_000: line})
    frame, report = load(path)
    assert report.files[0].encoding == "utf-8"
    texts = frame["text"].tolist()
    assert texts.count("Québec: route fermée") == 2000               # not QuÃĐbec
    assert texts[9_000] == "Québec: pont fermé"
    assert report.notes["line"].tolist() == [9_002]
    assert "1 line(s) were not valid UTF-8" in " ".join(report.files[0].notes)
    # the streaming loader decodes every line as the whole-file load does
    streamed = load_to_parquet(path, tmp_path / "out", chunk_bytes=20_000, progress=False)
    parts = pd.concat([pd.read_parquet(p) for p in sorted((tmp_path / "out").glob("*.parquet"))],
                      ignore_index=True)
    assert parts["text"].tolist() == texts
    assert streamed.notes[["line", "value", "action"]].equals(
        report.notes[["line", "value", "action"]])


def test_a_windows_1252_file_is_still_read_whole_as_windows_1252(tmp_path):
    rows = "".join(f"w{k},2026-11-01T10:00:00Z,@u,{FRENCH[k % 5]}\n" for k in range(50))
    path = tmp_path / "legacy.csv"
    path.write_bytes(("id,created_at,author,text\n" + rows).encode("cp1252"))
    frame, report = load(path)
    assert report.files[0].encoding == "cp1252" and len(report.notes) == 0
    assert frame["text"].iloc[1] == "Québec: route fermée"
    load_to_parquet(path, tmp_path / "out", chunk_bytes=300, progress=False)
    parts = pd.concat([pd.read_parquet(p) for p in sorted((tmp_path / "out").glob("*.parquet"))],
                      ignore_index=True)
    assert parts["text"].tolist() == frame["text"].tolist()


# --------------------------------------------------------------------------- 10 numbers as times

def test_numbers_outside_the_epoch_window_are_rejected(tmp_path):
    path = tmp_path / "numbers.csv"
    path.write_text("id,created_at,text\n1,0,zero\n2,45000,serial in a CSV\n3,46327.5,half day\n"
                    "4,1762351920,epoch seconds\n5,1762351980,epoch seconds\n")
    frame, report = load(path)
    assert frame["timestamp"].tolist() == [UTC("2025-11-05T14:12:00Z"), UTC("2025-11-05T14:13:00Z")]
    reasons = report.rejects.set_index("line")["reason"]
    assert "not a plausible time" in reasons.loc[2]
    assert "looks like a spreadsheet serial date" in reasons.loc[3]
    assert "looks like a spreadsheet serial date" in reasons.loc[4]
    path.write_text("id,created_at,text\n1,1762351920000,ms\n2,1762351920,s in a ms column\n"
                    "3,1762351980000,ms\n")
    frame, report = load(path)
    assert frame["timestamp"].tolist() == [UTC("2025-11-05T14:12:00Z"), UTC("2025-11-05T14:13:00Z")]
    assert report.rejects["line"].tolist() == [3]
    assert "epoch milliseconds" in " ".join(report.files[0].notes)


def test_xlsx_serial_dates_and_date_cells(tmp_path):
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "created_at", "author", "text"])
    sheet.append(["a", 46331.5, "@a", "serial date number"])       # 2026-11-05 12:00
    sheet.append(["b", dt.datetime(2026, 11, 5, 9, 30), "@b", "a date cell"])
    sheet.append(["c", 46331.25, "@c", "another serial"])          # 2026-11-05 06:00
    sheet.append(["d", 12, "@d", "not a date"])
    book.save(tmp_path / "dates.xlsx")
    frame, report = load(tmp_path / "dates.xlsx", tz="America/Toronto")
    # wall-clock times in Toronto, EST (UTC-5) on 2026-11-05
    assert frame["timestamp"].tolist() == [UTC("2026-11-05T17:00:00Z"), UTC("2026-11-05T14:30:00Z"),
                                           UTC("2026-11-05T11:00:00Z")]
    assert report.rejects["line"].tolist() == [5]
    assert "serial dates" in " ".join(report.files[0].notes)


# --------------------------------------------------------------------------- 12 smaller

def test_header_longer_than_a_mebibyte(tmp_path):
    names = ["id", "created_at", "text"] + [f"metric_{k:04d}_" + "x" * 600 for k in range(2000)]
    path = tmp_path / "wide.csv"
    path.write_text(",".join(names) + "\n" + ",".join(["1", "2026-03-01T12:00:00Z", "wide"]
                                                       + [""] * 2000) + "\n")
    assert len(names[-1]) * 2000 > 1 << 20
    _, report = load(path)
    assert (report.read, report.loaded, report.rejected) == (1, 1, 0)
    assert len(report.files[0].ignored_columns) == 2000


def test_one_line_json_array_rejects_carry_the_record_number(tmp_path):
    records = [{"id": f"r{k}", "created_at": "2026-11-01T10:00:00Z", "text": f"t{k}"}
               for k in range(5)]
    records[1]["created_at"] = "soon"
    records[3]["text"] = ""
    (tmp_path / "one_line.json").write_text(json.dumps(records))
    _, report = load(tmp_path / "one_line.json")
    assert report.rejects["line"].tolist() == [1, 1]
    assert report.rejects["record"].tolist() == [2, 4]


def test_parquet_bytes_column_is_text(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"id": ["p1", "p2"], "created_at": ["2026-11-01T10:00:00Z"] * 2,
                      "text": pa.array(["Sûreté".encode(), b"caf\xe9"], type=pa.binary())})
    pq.write_table(table, tmp_path / "bytes.parquet")
    frame, report = load(tmp_path / "bytes.parquet")
    assert frame["text"].tolist() == ["Sûreté", "café"]   # not "b'S\\xc3\\xbb...'"
    assert "holds bytes" in " ".join(report.files[0].notes)
    assert report.notes["line"].tolist() == [2]           # the one that was not UTF-8


def test_text_field_holding_an_object_says_so(tmp_path):
    lines = [{"id": "1", "created_at": "2026-11-01T10:00:00Z", "text": "plain"},
             {"id": "2", "created_at": "2026-11-01T10:00:00Z",
              "text": {"body": "nested", "lang": "en"}},
             {"id": "3", "created_at": "2026-11-01T10:00:00Z", "text": ["a", "list"]}]
    (tmp_path / "objects.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    frame, report = load(tmp_path / "objects.jsonl")
    assert frame["text"].tolist() == ["plain"]
    reasons = report.rejects["reason"].tolist()
    assert "'text' holds a JSON object (fields body, lang), not text" in reasons[0]
    assert "'text' holds a JSON array, not text" in reasons[1]
    assert not any("Text is empty" in r for r in reasons)


def test_integers_beyond_float_precision_keep_every_digit(tmp_path):
    (tmp_path / "ids.jsonl").write_text(
        '{"id_str": "x", "id": 1864000000000000001, "created_at": "Thu Nov 05 14:05:12 +0000 2026",'
        ' "full_text": "hi", "user": {"screen_name": "a"}}\n'
        '{"id": 1864000000000000003, "created_at": "Thu Nov 05 14:05:13 +0000 2026",'
        ' "full_text": "hello", "user": {"screen_name": "b"}}\n')
    frame, _ = load(tmp_path / "ids.jsonl")
    assert frame["mention_id"].tolist() == ["x", "1864000000000000003"]


@pytest.mark.parametrize("option", [{"tz_names": "IST=Asia/Kolkata"}, {"tz": ""}])
def test_bad_zone_options_are_option_errors(option):
    from listening.errors import OptionError

    with pytest.raises(OptionError):
        load(FIXTURES / "generic.csv", **option)


def test_the_summary_names_the_kind_of_change_not_the_value(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("id,date,text\n1,2026-11-01 01:30,fog on 401\n2,2026-11-01 01:45,still fog\n"
                    "3,2026-11-02 09:00,clear\n", encoding="utf-8")
    _, report = load(path, tz="America/Toronto")
    assert report.notes["action"].str.contains("happens twice").sum() == 2
    summary = str(report).splitlines()[-1]
    assert "2 × date happens twice in America/Toronto" in summary, summary
