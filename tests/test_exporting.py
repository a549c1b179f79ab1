"""Safe exports: formula injection, pseudonyms, provenance, atomic writes, paths."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from listening import exporting
from listening.demo import MEDIA_ACCOUNTS, OFFICIAL_ACCOUNTS, PARTNER_ACCOUNTS, generate
from listening.errors import OptionError, SchemaError, UnsafePathError
from listening.exporting import FORMULA_PREFIXES, export, neutralise, safe_join
from listening.provenance import data_hash
from listening.pseudonymise import handle_key, pseudonym

SECRET = b"0123456789abcdef0123456789abcdef"
OTHER_SECRET = b"fedcba9876543210fedcba9876543210"
DANGEROUS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+2", "-2+3", "@SUM(A1:A2)",
             "\tTAB", "\rCR", "\nLF", "\0NUL", "=cmd|' /C calc'!A0"]


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    frame, _ = generate(n_mentions=600, days=3, seed=3)
    return frame


def _alerts() -> pd.DataFrame:
    start = pd.Timestamp("2026-11-01T10:00", tz="UTC")
    return pd.DataFrame({
        "segment": ["all", "platform=x"], "start": [start, start], "end": [start, start],
        "signal": ["volume", "negative"], "observed": [120, 40], "expected": [20.0, 10.0],
        "score": [9.1, 4.0], "severity": [8, 5], "terms": [["scam", "gift cards"], ["=1+1"]],
        "example_ids": [["1", "2"], []], "coordination": [True, False],
        "why": ["=HYPERLINK(\"http://evil\")", "negative share up"], "alert_key": ["a1", "a2"]})


def _csv_rows(path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_csv_neutralises_formula_cells_and_keeps_numbers(tmp_path, nasty_frame):
    frame = nasty_frame.assign(text=DANGEROUS[:len(nasty_frame)])
    before = frame.copy()
    path = export(frame, tmp_path / "mentions.csv")
    rows = _csv_rows(path)
    texts = [r[rows[0].index("text")] for r in rows[1:]]
    assert texts == ["'" + t for t in DANGEROUS[:len(frame)]]
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_PREFIXES), cell
    likes = [r[rows[0].index("likes")] for r in rows[1:]]
    assert likes[0] == "120"  # numbers are not prefixed
    pd.testing.assert_frame_equal(frame, before)


def test_xlsx_cells_are_text_never_formulas_and_exact(tmp_path, nasty_frame):
    from openpyxl import load_workbook

    frame = nasty_frame.assign(text=DANGEROUS[:len(nasty_frame)])
    path = export(frame, tmp_path / "findings.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == ["data", "provenance"]
    sheet = book["data"]
    header = [c.value for c in sheet[1]]
    text_col, author_col = header.index("text"), header.index("author")
    texts, authors = [], []
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
        assert row[text_col].data_type == "s"
        assert row[text_col].quotePrefix == row[text_col].value.startswith(FORMULA_PREFIXES)
        texts.append(row[text_col].value)
        authors.append(row[author_col].value)
    # exact text: no apostrophe added (NUL cannot be held by XML: U+FFFD, counted)
    assert texts == [t.replace("\0", "\ufffd") for t in DANGEROUS[:len(frame)]]
    assert authors == [None if pd.isna(a) or a == "" else a for a in frame["author"].tolist()]
    assert "@jane" in authors
    assert sheet.cell(row=2, column=header.index("likes") + 1).value == 120
    about = {r[0].value: r[1].value for r in book["provenance"].iter_rows(min_row=2)}
    assert about["data_hash"] == data_hash(frame)


def test_parquet_keeps_data_exact(tmp_path, nasty_frame):
    import pyarrow.parquet as pq

    frame = nasty_frame.assign(text=DANGEROUS[:len(nasty_frame)])
    path = export(frame, tmp_path / "mentions.parquet")
    back = pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, frame.reset_index(drop=True), check_dtype=False,
                                  check_categorical=False)
    meta = pq.read_schema(path).metadata
    assert json.loads(meta[b"listening.provenance"])["rows"] == len(frame)


def test_alerts_frame_exports_without_mention_columns(tmp_path):
    path = export(_alerts(), tmp_path / "alerts.csv")
    rows = _csv_rows(path)
    assert rows[0][:3] == ["segment", "start", "end"]
    assert rows[1][rows[0].index("terms")] == "scam; gift cards"
    assert rows[2][rows[0].index("terms")] == "'=1+1"
    assert rows[1][rows[0].index("why")].startswith("'=HYPERLINK")
    assert rows[1][rows[0].index("start")] == "2026-11-01T10:00:00.000000Z"
    side = json.loads((tmp_path / "alerts.csv.provenance.json").read_text())
    assert side["rows"] == 2 and side["pseudonymised"] is False
    assert side["data_period"]["start"].startswith("2026-11-01T10:00")


def _private_keys(frame: pd.DataFrame) -> set[str]:
    allowed = {handle_key(h) for h in [*OFFICIAL_ACCOUNTS, *MEDIA_ACCOUNTS, *PARTNER_ACCOUNTS]}
    return {handle_key(a) for a in frame["author"].dropna()} - allowed - {""}


def test_pseudonymised_export_hides_every_private_handle(tmp_path, demo):
    before = demo.copy()
    path = export(demo, tmp_path / "p.csv", pseudonymise=True, secret=SECRET)
    content = path.read_text(encoding="utf-8-sig")
    keys = _private_keys(demo)
    assert len(keys) > 20
    leaked = [k for k in keys if re.search(rf"(?<![\w]){re.escape(k)}(?![\w])", content, re.IGNORECASE)]
    assert leaked == []
    # official and media accounts stay readable, in the author column and inside retweets
    assert "@OPP_News" in content or any(a in content for a in OFFICIAL_ACCOUNTS)
    assert "anon_" in content
    pd.testing.assert_frame_equal(demo, before)


def test_pseudonyms_are_stable_and_keyed(tmp_path, demo):
    one = pd.read_parquet(export(demo, tmp_path / "a.parquet", pseudonymise=True, secret=SECRET))
    two = pd.read_parquet(export(demo, tmp_path / "b.parquet", pseudonymise=True, secret=SECRET))
    other = pd.read_parquet(export(demo, tmp_path / "c.parquet", pseudonymise=True,
                                   secret=OTHER_SECRET))
    assert one["author"].tolist() == two["author"].tolist()
    private = ~demo["author"].map(handle_key).isin(
        [handle_key(h) for h in [*OFFICIAL_ACCOUNTS, *MEDIA_ACCOUNTS, *PARTNER_ACCOUNTS]])
    assert (one["author"][private] != other["author"][private]).all()
    # the same person gets the same token as author and as @mention in a retweet
    rt = demo[demo["text"].str.startswith("RT @")].iloc[0]
    quoted = re.match(r"RT (@\w+):", rt["text"]).group(1)
    if handle_key(quoted) not in {handle_key(h) for h in [*OFFICIAL_ACCOUNTS, *MEDIA_ACCOUNTS, *PARTNER_ACCOUNTS]}:
        token = pseudonym(quoted, SECRET)
        assert one.loc[demo.index.get_loc(rt.name), "text"].startswith(f"RT @{token}:")
    assert pseudonym("@Jane", SECRET) == pseudonym(" jane", SECRET)


def test_allow_list_can_be_replaced(tmp_path):
    frame = pd.DataFrame({"author": ["@OPP_News", "@jane"], "text": ["hi @jane", "hi @OPP_News"]})
    out = pd.read_parquet(export(frame, tmp_path / "x.parquet", pseudonymise=True,
                                 secret=SECRET, allow=["@jane"]))
    assert out["author"][1] == "@jane" and out["author"][0].startswith("anon_")
    assert out["text"][1] == "hi " + "@" + pseudonym("OPP_News", SECRET)


def test_provenance_sidecar_is_complete_and_never_holds_the_secret(tmp_path, demo):
    path = export(demo, tmp_path / "f.xlsx", pseudonymise=True, secret=SECRET)
    text = (tmp_path / "f.xlsx.provenance.json").read_text()
    side = json.loads(text)
    for key in ("generated_at", "generator", "rows", "columns", "data_period", "sources",
                "rules", "models", "data_hash", "data_hash_method", "file", "format",
                "pseudonymised", "key_id", "allow_list"):
        assert key in side, key
    assert side["pseudonymised"] is True and side["rows"] == len(demo)
    assert side["data_hash"] == data_hash(demo)
    assert sum(side["sources"]["platforms"].values()) == len(demo)
    assert SECRET.decode() not in text and SECRET.hex() not in text
    assert path.exists()


def test_store_secret_is_used_when_none_is_given(tmp_path, monkeypatch):
    pytest.importorskip("listening.store")
    monkeypatch.setenv("LISTENING_STORE", str(tmp_path / "store.duckdb"))
    frame = pd.DataFrame({"author": ["@jane"], "text": ["x"]})
    first = pd.read_parquet(export(frame, tmp_path / "1.parquet", pseudonymise=True))
    second = pd.read_parquet(export(frame, tmp_path / "2.parquet", pseudonymise=True))
    assert first["author"][0] == second["author"][0] != "@jane"


def test_interrupted_write_leaves_no_file(tmp_path, monkeypatch, demo):
    target = tmp_path / "out.csv"

    def half_then_fail(frame, tmp, record):
        tmp.write_text("mention_id,text\n1,half a row")
        raise OSError("disk full")

    monkeypatch.setattr(exporting, "_write_csv", half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        export(demo, target)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind
    # an existing file under the final name survives a failed export intact
    target.write_text("old")
    with pytest.raises(OSError):
        export(demo, target)
    assert target.read_text() == "old"


def test_paths_are_checked(tmp_path):
    with pytest.raises(UnsafePathError, match="outside"):
        export(_alerts(), "../escape.csv", root=tmp_path)
    with pytest.raises(UnsafePathError, match="outside"):
        export(_alerts(), "/etc/evil.csv", root=tmp_path)
    for bad in ("../x.png", "/tmp/x.png", "a/b.png", "..", ""):
        with pytest.raises(UnsafePathError):
            safe_join(tmp_path, bad)
    assert export(_alerts(), "sub/ok.csv", root=tmp_path) == (tmp_path / "sub" / "ok.csv").resolve()


def test_bad_arguments_are_explained(tmp_path, demo):
    with pytest.raises(OptionError, match=r"'\.csv', '\.xlsx' or '\.parquet'"):
        export(demo, tmp_path / "x.json")
    with pytest.raises(SchemaError, match="'nope'"):
        export(demo, tmp_path / "x.csv", columns=["text", "nope"])
    with pytest.raises(OptionError, match="at least 16"):
        export(demo, tmp_path / "x.csv", pseudonymise=True, secret=b"short")
    out = export(demo, tmp_path / "cols.csv", columns=["mention_id", "text"])
    assert _csv_rows(out)[0] == ["mention_id", "text"]


@given(st.text(max_size=30))
def test_neutralise_property(text):
    out = neutralise(text)
    assert out in (text, "'" + text)
    assert not out.startswith(FORMULA_PREFIXES)
    assert (out != text) == text.startswith(FORMULA_PREFIXES)


def test_data_hash_is_the_documented_sha256_and_order_free(nasty_frame):
    import hashlib

    frame = nasty_frame.copy()
    frame.loc[frame.index[2], "timestamp"] = pd.NaT
    ts = frame["timestamp"].dt.as_unit("ns")
    rows = sorted(f"{i}\x1f{'' if pd.isna(t) else t.value}\x1f{x}"
                  for i, t, x in zip(frame["mention_id"], ts, frame["text"]))
    expected = hashlib.sha256("".join(r + "\x1e" for r in rows).encode()).hexdigest()
    assert data_hash(frame) == "sha256:" + expected
    assert data_hash(frame.iloc[::-1]) == data_hash(frame)
    assert data_hash(frame.assign(author="someone else")) == data_hash(frame)
    changed = frame.copy()
    changed.loc[changed.index[0], "text"] = "edited"
    assert data_hash(changed) != data_hash(frame)


def test_csv_of_mixed_object_columns_falls_back_and_stays_safe(tmp_path):
    frame = pd.DataFrame({"mixed": [1, "=2+3", None, {"k": "v"}], "n": [1, 2, 3, 4]})
    rows = _csv_rows(export(frame, tmp_path / "mixed.csv"))
    assert [r[0] for r in rows[1:]] == ["1", "'=2+3", "", '{"k": "v"}']
    assert [r[1] for r in rows[1:]] == ["1", "2", "3", "4"]


# ---------------------------------------------------------------- payloads x dtypes

# Payloads a spreadsheet could run (OWASP's list plus line feed, NUL and the
# full-width forms), and text that must be left alone.
PAYLOADS = ["=cmd|' /C calc'!A0", "=HYPERLINK(\"http://evil.example\",\"x\")", "+1+2", "-2+3",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "\n=1+1", "\uff1d1+1",
            "\uff0b1", "\uff0d1", "\uff20SUM(1)", "@jane"]
HARMLESS = ["ok", "a=b", "'quoted", " =1+1", "", "café 😀"]


def _dtype_columns() -> dict[str, pd.Series]:
    """The same values in every dtype a text column arrives in."""
    import pyarrow as pa

    values = PAYLOADS + HARMLESS
    return {
        "object": pd.Series(values, dtype=object),
        "string": pd.Series(values, dtype="string"),
        "string_pyarrow": pd.Series(values, dtype="string[pyarrow]"),
        "str_default": pd.Series(values),
        "arrow_string": pd.Series(values, dtype=pd.ArrowDtype(pa.string())),
        "arrow_large_string": pd.Series(values, dtype=pd.ArrowDtype(pa.large_string())),
        "arrow_dictionary": pd.Series(values, dtype=pd.ArrowDtype(
            pa.dictionary(pa.int32(), pa.string()))),
        "category": pd.Series(values, dtype="category"),
        "bytes": pd.Series([v.encode() for v in values], dtype=object),
        "arrow_binary": pd.Series([v.encode() for v in values], dtype=pd.ArrowDtype(pa.binary())),
        "list": pd.Series([[v, "x"] for v in values], dtype=object),
        "arrow_list": pd.Series([[v, "x"] for v in values],
                                dtype=pd.ArrowDtype(pa.list_(pa.string()))),
    }


def _expected(column: str) -> list[str]:
    values = PAYLOADS + HARMLESS
    if column.endswith("list"):
        return [v + "; x" for v in values]
    return values


@pytest.fixture(scope="module")
def dtype_frame() -> pd.DataFrame:
    frame = pd.DataFrame(_dtype_columns())
    frame["n"] = range(len(frame))
    frame["=cmd|' /C calc'!A0"] = "column name is a payload"
    return frame


def test_payloads_in_every_dtype_are_inert_in_csv(tmp_path, dtype_frame):
    rows = _csv_rows(export(dtype_frame, tmp_path / "p.csv"))
    header = rows[0]
    assert header[-1] == "'=cmd|' /C calc'!A0"
    for name in _dtype_columns():
        got = [r[header.index(name)] for r in rows[1:]]
        want = ["'" + v if v.startswith(FORMULA_PREFIXES) else v for v in _expected(name)]
        assert got == want, name
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_PREFIXES), cell
    assert [r[header.index("n")] for r in rows[1:3]] == ["0", "1"]


def test_payloads_in_every_dtype_are_text_cells_in_xlsx(tmp_path, dtype_frame):
    import zipfile

    from openpyxl import load_workbook

    path = export(dtype_frame, tmp_path / "p.xlsx")
    sheet = load_workbook(path)["data"]
    header = [c.value for c in sheet[1]]
    assert header[-1] == "=cmd|' /C calc'!A0" and sheet[1][-1].data_type == "s"
    for name in _dtype_columns():
        column = header.index(name) + 1
        cells = [sheet.cell(row=r, column=column) for r in range(2, len(dtype_frame) + 2)]
        got = [c.value if c.value is not None else "" for c in cells]
        assert got == _expected(name), name
        for cell in cells:
            if cell.value is not None:  # "" is written as an empty cell
                assert cell.data_type == "s", (name, cell.value)
            assert cell.quotePrefix == str(cell.value or "").startswith(FORMULA_PREFIXES)
    # the sheet XML itself: no formula element, every payload an inline string
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in xml and "<f " not in xml
    from xml.etree import ElementTree

    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    kinds = {c.get("r"): c.get("t") for c in ElementTree.fromstring(xml).iter(f"{ns}c")}
    for name in _dtype_columns():
        letter = chr(ord("A") + header.index(name))
        for r in range(2, len(PAYLOADS) + 2):  # every payload row, in every dtype
            assert kinds[f"{letter}{r}"] == "inlineStr", (name, r)
    assert "<t>=cmd|' /C calc'!A0</t>" in xml
    assert "&#13;=1+1" in xml  # a carriage return survives XML's line-end handling


def test_xlsx_times_say_their_zone(tmp_path):
    from openpyxl import load_workbook

    frame = pd.DataFrame({
        "timestamp": pd.to_datetime(["2026-11-01T10:00:00-05:00"], utc=True),
        "local": pd.to_datetime(["2026-11-01T10:00"]), "n": [1]})
    path = export(frame, tmp_path / "t.xlsx")
    sheet = load_workbook(path)["data"]
    stamp, local = sheet["A2"], sheet["B2"]
    assert stamp.value == pd.Timestamp("2026-11-01T15:00").to_pydatetime()
    assert stamp.number_format == 'yyyy-mm-dd hh:mm:ss "UTC"'
    assert "UTC" in sheet["A1"].comment.text
    assert "not recorded" in sheet["B1"].comment.text and '"UTC"' not in local.number_format
    side = json.loads((tmp_path / "t.xlsx.provenance.json").read_text())
    assert side["time_zones"] == {"timestamp": "UTC", "local": "none recorded"}
    rows = _csv_rows(export(frame, tmp_path / "t.csv"))
    assert rows[1][:2] == ["2026-11-01T15:00:00.000000Z", "2026-11-01T10:00:00.000000"]


def test_unwritable_characters_are_replaced_and_counted(tmp_path):
    from openpyxl import load_workbook

    frame = pd.DataFrame({"text": pd.Series(["a\x01b", "lone \ud800 surrogate", "fine"],
                                            dtype=object)})
    path = export(frame, tmp_path / "u.xlsx")
    sheet = load_workbook(path)["data"]
    assert [sheet.cell(row=r, column=1).value for r in (2, 3, 4)] == [
        "a\ufffdb", "lone \ufffd surrogate", "fine"]
    assert json.loads((tmp_path / "u.xlsx.provenance.json").read_text())[
        "cells_with_replaced_characters"] == 2
    rows = _csv_rows(export(frame, tmp_path / "u.csv"))
    assert [r[0] for r in rows[1:]] == ["a\x01b", "lone \ufffd surrogate", "fine"]  # CSV holds \x01
    assert json.loads((tmp_path / "u.csv.provenance.json").read_text())[
        "cells_with_replaced_characters"] == 1


def test_sets_are_written_in_a_stable_order(tmp_path):
    frame = pd.DataFrame({"terms": [{"scam", "gift cards", "=x"}]})
    rows = _csv_rows(export(frame, tmp_path / "s.csv"))
    assert rows[1][0] == "'=x; gift cards; scam"


# ---------------------------------------------------------------- relative paths (#17.1)

def test_relative_paths_write_beside_the_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("alerts.csv", "alerts.xlsx", "alerts.parquet"):
        written = export(_alerts(), f"out/{name}")
        assert (tmp_path / "out" / name).is_file()
        assert (tmp_path / "out" / f"{name}.provenance.json").is_file()
        assert Path(written).resolve() == tmp_path / "out" / name
    assert not (tmp_path / "out" / "out").exists()
    assert safe_join("out", "chart.png") == tmp_path / "out" / "chart.png"
    assert safe_join(Path("out") / "deeper", "c.png") == tmp_path / "out" / "deeper" / "c.png"
    # a user-typed name stays relative to the chosen folder
    assert export(_alerts(), "ok.csv", root="out") == tmp_path / "out" / "ok.csv"


def test_cli_export_pseudonymised_from_a_relative_path(tmp_path, monkeypatch, capsys):
    import listening as ls
    from listening.cli import main

    monkeypatch.setenv("LISTENING_STORE", str(tmp_path / "store.duckdb"))
    monkeypatch.chdir(tmp_path)
    frame, _ = ls.demo.generate(n_mentions=150, days=2, seed=2)
    with ls.open_store() as store:
        store.add(frame)
    assert main(["export", "out/p.xlsx", "--pseudonymise"]) == 0
    said = capsys.readouterr().out
    assert "150 mentions written" in said and "150 mention ids keyed" in said
    assert (tmp_path / "out" / "p.xlsx").is_file()
    side = json.loads((tmp_path / "out" / "p.xlsx.provenance.json").read_text())
    assert side["pseudonymised"] is True and side["replaced"]["ids"] == 150
    assert not (tmp_path / "out" / "out").exists()
