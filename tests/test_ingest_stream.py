"""listening.ingest.stream: a big CSV/JSONL loaded chunk by chunk equals loading it whole."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from listening.demo import generate
from listening.errors import MentionDataError
from listening.ingest import load, load_to_parquet, stream

CHUNK = 2_000
COMPARED = ["text", "mention_id", "timestamp", "source"]


def _demo_rows() -> pd.DataFrame:
    frame, _ = generate(500, days=7, seed=3)
    frame = frame.drop(columns="source")
    frame["timestamp"] = frame["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    frame = frame.astype({"text": object, "timestamp": object})
    for k in range(0, 500, 37):  # quoted text with embedded newlines and quotes
        frame.loc[k, "text"] = f'Line one "quoted", with comma\nline two\n\nline four {k}'
    frame.loc[[5, 120, 333], "timestamp"] = "not a date"
    frame.loc[[44, 260], "text"] = ""
    # duplicates of early rows spread over later positions (other chunks)
    dups = frame.iloc[[1, 2, 37, 150, 151]].copy()
    parts = [frame.iloc[:200], dups.iloc[:2], frame.iloc[200:400], dups.iloc[2:],
             frame.iloc[400:], dups.iloc[:1]]
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stream")
    rows = _demo_rows()
    csv_path = folder / "big.csv"
    rows.to_csv(csv_path, index=False, encoding="utf-8-sig")
    jsonl_path = folder / "big.jsonl"
    with open(jsonl_path, "w", encoding="utf-8") as out:
        for k, record in enumerate(rows.to_dict(orient="records")):
            clean = {key: (None if pd.isna(v) else v) for key, v in record.items()}
            out.write(json.dumps(clean, ensure_ascii=False, default=str) + "\n")
            if k == 250:
                out.write("{not json\n\n")
    return {"csv": csv_path, "jsonl": jsonl_path}


def _parts(folder) -> pd.DataFrame:
    parts = sorted(folder.glob("part-*.parquet"))
    return pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[COMPARED].sort_values("mention_id").reset_index(drop=True)


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_chunked_load_equals_whole_load(files, tmp_path, kind):
    path = files[kind]
    whole, expected = load(path, platform="x")
    report = load_to_parquet(path, tmp_path / "out", chunk_bytes=CHUNK, platform="x",
                             progress=False)
    assert len(list((tmp_path / "out").glob("part-*.parquet"))) > 10
    got = _parts(tmp_path / "out")
    pd.testing.assert_frame_equal(_sorted(got), _sorted(whole), check_dtype=False)
    assert got["source"].tolist() == whole["source"].tolist()  # file order kept
    counts = ("read", "loaded", "rejected", "duplicates")
    assert [getattr(report, c) for c in counts] == [getattr(expected, c) for c in counts]
    assert expected.duplicates >= 5 and expected.rejected >= 5
    assert report.read == report.loaded + report.rejected + report.duplicates
    columns = ["source", "line", "reason"]
    pd.testing.assert_frame_equal(report.rejects[columns].reset_index(drop=True),
                                  expected.rejects[columns].reset_index(drop=True))
    entry, whole_entry = report.files[0], expected.files[0]
    assert (entry.path, entry.sha256, entry.mapping, entry.format) == \
        (whole_entry.path, whole_entry.sha256, whole_entry.mapping, whole_entry.format)
    assert (entry.encoding, entry.notes) == (whole_entry.encoding, whole_entry.notes)
    assert (entry.read, entry.loaded, entry.rejected, entry.duplicates) == \
        (whole_entry.read, whole_entry.loaded, whole_entry.rejected, whole_entry.duplicates)


def test_each_load_call_sees_one_chunk(files, tmp_path, monkeypatch):
    path = files["csv"]
    sizes, texts = [], []
    real = stream._load

    def spy(chunk_path, **kwargs):
        data = chunk_path.read_bytes()
        sizes.append(len(data))
        texts.append(data)
        return real(chunk_path, **kwargs)

    monkeypatch.setattr(stream, "_load", spy)
    load_to_parquet(path, tmp_path / "out", chunk_bytes=CHUNK, progress=False)
    total = path.stat().st_size
    assert len(sizes) > 10
    # the first chunk holds the records the delimiter is chosen from; the rest ~chunk_bytes
    assert sizes[0] < total / 5
    assert max(sizes[1:]) <= 2 * CHUNK
    header = path.read_bytes().split(b"\n", 1)[0].removeprefix(b"\xef\xbb\xbf")
    assert texts[0].startswith(b"\xef\xbb\xbf" + header)
    assert all(t.startswith(header + b"\n") for t in texts[1:])


def test_refuses_other_formats_and_used_folders(files, tmp_path):
    xlsx = tmp_path / "m.xlsx"
    xlsx.write_bytes(b"PK\x03\x04")
    with pytest.raises(MentionDataError, match="convert the file to CSV or JSONL"):
        load_to_parquet(xlsx, tmp_path / "out")
    parquet = tmp_path / "m.parquet"
    parquet.write_bytes(b"PAR1")
    with pytest.raises(MentionDataError, match="engine='dask'"):
        load_to_parquet(parquet, tmp_path / "out")
    utf16 = tmp_path / "m16.csv"
    utf16.write_bytes("id,created_at,text\n1,2026-03-01,x\n".encode("utf-16"))
    with pytest.raises(MentionDataError, match="re-save it as UTF-8"):
        load_to_parquet(utf16, tmp_path / "out")
    load_to_parquet(files["jsonl"], tmp_path / "used", progress=False)
    with pytest.raises(MentionDataError, match="already holds part"):
        load_to_parquet(files["jsonl"], tmp_path / "used", progress=False)


def test_errors_name_the_original_file(tmp_path):
    empty = tmp_path / "blank.csv"
    empty.write_text("\n\n  \n")
    with pytest.raises(MentionDataError, match=str(empty).replace("\\", "\\\\")):
        load_to_parquet(empty, tmp_path / "out", progress=False)


def test_preamble_unclosed_quote_and_crlf_read_as_whole(tmp_path):
    rows = "".join(f'{k},2026-03-01T12:{k % 60:02d}:00Z,"post {k}\r\nmore",@a\r\n'
                   for k in range(150))
    again = "".join(f"{k},2026-03-01T12:00:00Z,again {k},@a\r\n" for k in range(150))
    text = ("Report,Brandwatch\r\nDate,2026\r\n\r\nid,created_at,text,author\r\n" + rows
            + again + '900,2026-03-01T12:00:00Z,"never closed,@b\r\n'
            + again  # the same posts again (a generic file's ids are its own: by content)
            + "".join(f"{k},2026-03-01T12:00:00Z,x{k},@c,extra\r\n" for k in range(3)))
    path = tmp_path / "vendor.csv"
    path.write_bytes(text.encode())
    whole, expected = load(path)
    report = load_to_parquet(path, tmp_path / "out", chunk_bytes=400, progress=False)
    got = _parts(tmp_path / "out")
    assert got["source"].tolist() == whole["source"].tolist()
    assert got["text"].tolist() == whole["text"].tolist()
    assert (report.read, report.loaded, report.rejected, report.duplicates) == \
        (expected.read, expected.loaded, expected.rejected, expected.duplicates)
    assert report.duplicates == 150 and report.rejected == 4 and report.loaded == 300
    assert report.rejects["line"].tolist() == expected.rejects["line"].tolist()
    assert sorted(report.files[0].notes) == sorted(expected.files[0].notes)
