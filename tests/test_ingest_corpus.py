"""The malformed-input corpus (tests/corpus/, README.md there) and generated hazards.

Each committed file has its expected outcome below: counts and the physical lines
of its rejects, or the MentionDataError it must raise. The big or binary hazards
(a 10 MB field, zip bomb, billion laughs, external links, random bytes, deep JSON,
wrong extensions) are generated in tmp_path at test time.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from listening.errors import MentionDataError
from listening.ingest import builtin_mappings, load
from listening.schema import validate

CORPUS = Path(__file__).parent / "corpus"
# The generic mapping, but keeping the files' own ids (the generic mapping makes ids
# from the content): the checks below name rows by the id written in the file.
KEEP_IDS = {"fields": builtin_mappings()["generic"].fields}

# file -> (read, loaded, rejected, duplicates, reject lines)
EXPECTED = {
    "utf8.csv": (2, 2, 0, 0, []),
    "utf8_bom.csv": (2, 2, 0, 0, []),
    "cp1252.csv": (3, 3, 0, 0, []),
    "latin1.csv": (2, 2, 0, 0, []),
    "mojibake.csv": (1, 1, 0, 0, []),
    "embedded_newlines.csv": (5, 4, 1, 0, [9]),
    "crlf.csv": (2, 2, 0, 0, []),
    "ragged.csv": (5, 2, 3, 0, [3, 4, 6]),
    "nul_bytes.csv": (2, 2, 0, 0, []),
    "utf16le_bom.csv": (1, 1, 0, 0, []),
    "utf16be_nobom.tsv": (1, 1, 0, 0, []),
    "unclosed_quote.csv": (4, 3, 1, 0, [3]),
    "header_only.csv": (0, 0, 0, 0, []),
    "duplicate_headers.csv": (1, 1, 0, 0, []),
    "unknown_headers.csv": (1, 1, 0, 0, []),
    "bad_dates.csv": (8, 1, 7, 0, [2, 3, 4, 5, 6, 7, 8]),
    "dst_edges.csv": (3, 3, 0, 0, []),
    "mixed_zones.csv": (7, 6, 1, 0, [6]),
    "semicolon_decimal_comma.csv": (2, 2, 0, 0, []),
    "blank_lines.csv": (2, 2, 0, 0, []),
    "duplicates.csv": (3, 2, 0, 1, []),
    "formula_cells.csv": (2, 2, 0, 0, []),
    "broken_lines.jsonl": (6, 2, 4, 0, [2, 4, 5, 7]),
    "pretty_array.json": (2, 1, 1, 0, [3]),
    "ndjson_named.json": (2, 2, 0, 0, []),
}
# file -> regex the MentionDataError message must match
REFUSED = {
    "empty.csv": r"empty.csv: the file is empty",
    "whitespace_only.csv": r"only whitespace",
    "header_only_no_text.csv": r"Columns found: id, created_at, author, likes",
    "no_text_column.csv": r"Columns found: id, when, who, likes",
    "text_named.xlsx": r"named \.xlsx but it is not an Excel workbook",
    "not_json.json": r"not_json.json: not valid JSON",
}


def test_every_corpus_file_has_an_expectation():
    files = {p.name for p in CORPUS.iterdir() if p.name != "README.md"}
    assert files == set(EXPECTED) | set(REFUSED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_accounting(name):
    frame, report = load(CORPUS / name, tz="America/Toronto")
    read, loaded, rejected, duplicates, lines = EXPECTED[name]
    assert (report.read, report.loaded, report.rejected, report.duplicates) == \
        (read, loaded, rejected, duplicates)
    assert report.read == report.loaded + report.rejected + report.duplicates
    assert report.rejects["line"].tolist() == lines
    assert (report.rejects["reason"].str.len() > 10).all()
    assert report.rejects["source"].eq(name).all()
    validate(frame)
    assert len(frame) == loaded


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_corpus_refusals(name):
    with pytest.raises(MentionDataError, match=REFUSED[name]):
        load(CORPUS / name)


def _texts(name, **kwargs):
    frame, _ = load(CORPUS / name, mapping=KEEP_IDS, **kwargs)
    return frame.set_index("mention_id")["text"].to_dict()


def test_encodings_are_decoded_to_the_right_characters():
    assert _texts("cp1252.csv")["w1"] == "La Sûreté n’a pas répondu – encore"
    assert _texts("cp1252.csv")["w2"] == "Amende de 500 € pour excès de vitesse"
    assert _texts("latin1.csv")["l1"] == "Déjà vu à Montréal"
    assert _texts("utf8_bom.csv")["b2"] == "Still loads: café"
    assert _texts("utf16le_bom.csv")["x1"] == "UTF-16 with a BOM: été"
    assert _texts("utf8.csv")["u1"] == "Sûreté du Québec 🚓 on scene"
    # mojibake is loaded as written: the loader cannot know what was meant
    assert _texts("mojibake.csv")["m1"] == "SÃ»retÃ© du QuÃ©bec"
    assert _texts("nul_bytes.csv")["n1"] == "NUL inside text"


def test_quotes_newlines_and_formulas_are_kept_whole():
    texts = _texts("embedded_newlines.csv")
    assert texts["e1"] == "First line\nsecond line\nthird line"
    assert texts["e2"] == 'She said "close the road", then left'
    assert texts["e3"] == "Quoted, with a comma\n\nand a blank line inside"
    assert _texts("crlf.csv")["c1"] == "windows\nline ends"
    assert _texts("formula_cells.csv")["f1"] == '=HYPERLINK("http://evil.example","click")'
    frame, _ = load(CORPUS / "embedded_newlines.csv")
    assert frame["source"].tolist() == [f"embedded_newlines.csv#{k}" for k in (2, 5, 6, 11)]


def test_reject_reasons_and_raw_text():
    _, report = load(CORPUS / "bad_dates.csv")
    by_line = report.rejects.set_index("line")
    assert "not a valid date" in by_line.loc[2, "reason"]
    assert "ambiguous" in by_line.loc[5, "reason"]
    assert "future" in by_line.loc[6, "reason"]
    assert by_line.loc[8, "column"] == "text"
    assert by_line.loc[3, "column"] == "created_at"
    assert by_line.loc[3, "raw"] == "t2,yesterday,@b,not a date"
    _, report = load(CORPUS / "ragged.csv")
    assert report.rejects["reason"].str.contains("5 field").tolist() == [True, False, False]
    _, report = load(CORPUS / "unclosed_quote.csv")
    assert "never closed" in report.rejects["reason"].iloc[0]
    _, report = load(CORPUS / "broken_lines.jsonl")
    assert report.rejects["reason"].str.startswith("Line ").all()


def test_dst_edges_follow_the_documented_rule():
    frame, report = load(CORPUS / "dst_edges.csv", tz="America/Toronto", mapping=KEEP_IDS)
    stamps = frame.set_index("mention_id")["timestamp"]
    # 02:30 does not exist on 2026-03-08: read as 02:30 EST = 07:30 UTC
    assert stamps["s1"] == pd.Timestamp("2026-03-08T07:30:00Z")
    # 01:30 happens twice on 2026-11-01: the earlier (EDT) instant
    assert stamps["s2"] == pd.Timestamp("2026-11-01T05:30:00Z")
    assert stamps["s3"] == pd.Timestamp("2026-07-01T16:00:00Z")
    # both changes are noted, with the value as written
    notes = report.notes.set_index("line")
    assert notes.loc[2, "value"] == "2026-03-08 02:30:00" and notes.loc[2, "column"] == "created_at"
    assert notes.loc[2, "action"].startswith("2026-03-08 02:30:00 does not exist in "
                                             "America/Toronto (clocks went forward)")
    assert "happens twice" in notes.loc[3, "action"] and "earlier" in notes.loc[3, "action"]
    assert len(notes) == 2


def test_mixed_zones_and_epochs():
    frame, report = load(CORPUS / "mixed_zones.csv", tz="America/Toronto", mapping=KEEP_IDS)
    stamps = frame.set_index("mention_id")["timestamp"]
    assert stamps[["z1", "z2", "z3"]].eq(pd.Timestamp("2026-11-01T10:00:00Z")).all()
    assert stamps["z4"] == pd.Timestamp(1761991200, unit="s", tz="UTC")
    assert stamps["z6"] == stamps["z7"] == pd.Timestamp("2026-11-01T15:00:00Z")
    # the column's numbers are epoch seconds: a millisecond value in it is not guessed
    assert "z5" not in stamps.index
    assert "not a plausible time" in report.rejects["reason"].iloc[0]


def test_duplicate_and_unknown_headers_are_listed():
    frame, report = load(CORPUS / "duplicate_headers.csv")
    assert frame["text"].iloc[0] == "first text column wins"
    assert report.files[0].ignored_columns == ["text [duplicate 2]"]
    frame, report = load(CORPUS / "unknown_headers.csv")
    assert report.files[0].ignored_columns == ["Sentiment Score", "Internal Tag",
                                               "[unnamed column 7]"]
    assert "Sentiment Score" not in frame.columns


# --------------------------------------------------------------------------- generated

def test_ten_megabyte_field_is_kept_whole(tmp_path):
    big = ("Long post about the 401. " * 420_000)[:10_000_000]
    path = tmp_path / "big_field.csv"
    path.write_text(f'id,created_at,text\n1,2026-11-01T10:00:00Z,"{big}"\n2,2026-11-01T10:01:00Z,'
                    'after\n', encoding="utf-8")
    frame, report = load(path)
    assert report.loaded == 2
    assert frame["text"].iloc[0] == big  # whole, trailing space included
    assert frame["source"].tolist() == ["big_field.csv#2", "big_field.csv#3"]


def _xlsx_bytes(rows) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _rewrite(data: bytes, changes: dict[str, bytes]) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, changes.pop(info.filename, source.read(info)))
        for name, content in changes.items():
            target.writestr(name, content)
    return out.getvalue()


ROWS = [["id", "created_at", "text"], ["1", "2026-11-01T10:00:00Z", "from a workbook"]]


def test_xlsx_zip_bomb_is_refused_before_parsing(tmp_path):
    bomb = _rewrite(_xlsx_bytes(ROWS), {"xl/worksheets/sheet2.xml": b" " * (64 << 20)})
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(bomb)
    assert path.stat().st_size < 1 << 20
    with pytest.raises(MentionDataError, match="zip bomb"):
        load(path)


def test_xlsx_billion_laughs_is_refused(tmp_path):
    data = _xlsx_bytes(ROWS)
    member = "xl/worksheets/sheet1.xml"  # openpyxl writes inline strings here
    strings = zipfile.ZipFile(io.BytesIO(data)).read(member).decode()
    if strings.startswith("<?xml"):
        strings = strings.split("?>", 1)[1]
    assert "from a workbook" in strings
    entities = "".join(f'<!ENTITY lol{k} "{f"&lol{k - 1};" * 10}">' for k in range(1, 10))
    evil = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">' + entities + "]>"
            + strings.replace("from a workbook", "&lol9;"))
    path = tmp_path / "laughs.xlsx"
    path.write_bytes(_rewrite(data, {member: evil.encode()}))
    with pytest.raises(MentionDataError, match="billion laughs"):
        load(path)


def test_xlsx_external_links_are_ignored_with_a_note(tmp_path):
    data = _rewrite(_xlsx_bytes(ROWS), {
        "xl/externalLinks/externalLink1.xml":
            b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'})
    path = tmp_path / "links.xlsx"
    path.write_bytes(data)
    frame, report = load(path)
    assert frame["text"].tolist() == ["from a workbook"]
    assert any("external workbooks" in n for n in report.files[0].notes)


def test_xlsx_long_numeric_ids_get_a_note(tmp_path):
    path = tmp_path / "ids.xlsx"
    path.write_bytes(_xlsx_bytes([["id", "created_at", "text"],
                                  [1860000000000000999, "2026-11-01T10:00:00Z", "tweet"]]))
    _, report = load(path)
    assert any("15 digits" in n for n in report.files[0].notes)


def test_corrupt_xlsx_is_refused(tmp_path):
    path = tmp_path / "corrupt.xlsx"
    path.write_bytes(_xlsx_bytes(ROWS)[:300])
    with pytest.raises(MentionDataError, match="corrupt.xlsx: not a readable XLSX"):
        load(path)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("workbook.csv", "xlsx", r"named \.csv but it is a zip archive"),
    ("random.csv", os.urandom(4096), r"binary|cannot tell"),
    ("image.json", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, r"a PNG image"),
    ("table.parquet", b"id,text\n1,x\n", r"not a Parquet file"),
    ("data.jsonl", b"\x00\x01\x02\x03\x04\x05" * 200, r"binary"),
])
def test_wrong_extensions_and_garbage(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(_xlsx_bytes(ROWS) if content == "xlsx" else content)
    with pytest.raises(MentionDataError, match=message):
        load(path)


def test_deeply_nested_json_line_is_rejected_not_crashing(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    path = tmp_path / "deep.jsonl"
    path.write_text('{"id": "1", "created_at": "2026-11-01T10:00:00Z", "text": "ok"}\n'
                    f'{{"id": "2", "created_at": "2026-11-01T10:00:00Z", "text": {deep}}}\n')
    _, report = load(path)
    assert (report.loaded, report.rejected) == (1, 1)
    assert "nested too deeply" in report.rejects["reason"].iloc[0]
    assert report.rejects["raw"].str.len().iloc[0] < 3000  # capped for display


def test_openpyxl_parses_through_defusedxml():
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True


def test_empty_json_documents(tmp_path):
    (tmp_path / "blank.jsonl").write_text("\n  \n")
    with pytest.raises(MentionDataError, match="only whitespace"):
        load(tmp_path / "blank.jsonl")
    (tmp_path / "none.json").write_text("[]")
    frame, report = load(tmp_path / "none.json")
    assert (len(frame), report.read) == (0, 0)
    assert report.files[0].notes[-1] == "no records"
    validate(frame)
