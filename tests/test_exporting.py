"""Safe exports: formula injection, pseudonyms, provenance, atomic writes, paths."""

from __future__ import annotations

import csv
import json
import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from listening import exporting
from listening.demo import MEDIA_ACCOUNTS, OFFICIAL_ACCOUNTS, generate
from listening.errors import SchemaError, UnsafePathError
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


def test_xlsx_cells_are_strings_never_formulas(tmp_path, nasty_frame):
    from openpyxl import load_workbook

    frame = nasty_frame.assign(text=DANGEROUS[:len(nasty_frame)])
    path = export(frame, tmp_path / "findings.xlsx")
    book = load_workbook(path)
    sheet = book["data"]
    header = [c.value for c in sheet[1]]
    text_col = header.index("text")
    seen = 0
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
        value = row[text_col].value
        assert isinstance(value, str) and value.startswith("'")
        seen += 1
    assert seen == len(frame)
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
    allowed = {handle_key(h) for h in [*OFFICIAL_ACCOUNTS, *MEDIA_ACCOUNTS]}
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
        [handle_key(h) for h in [*OFFICIAL_ACCOUNTS, *MEDIA_ACCOUNTS]])
    assert (one["author"][private] != other["author"][private]).all()
    # the same person gets the same token as author and as @mention in a retweet
    rt = demo[demo["text"].str.startswith("RT @")].iloc[0]
    quoted = re.match(r"RT (@\w+):", rt["text"]).group(1)
    if handle_key(quoted) not in {handle_key(h) for h in [*OFFICIAL_ACCOUNTS, *MEDIA_ACCOUNTS]}:
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

    def half_then_fail(frame, tmp):
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
    with pytest.raises(ValueError, match=r"\.csv, \.xlsx, \.parquet"):
        export(demo, tmp_path / "x.json")
    with pytest.raises(SchemaError, match="'nope'"):
        export(demo, tmp_path / "x.csv", columns=["text", "nope"])
    with pytest.raises(ValueError, match="at least 16"):
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
