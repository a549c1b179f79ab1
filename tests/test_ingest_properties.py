"""Property tests: random CSV/JSONL files with known good and bad records.

Every generated file must satisfy ``read == loaded + rejected + duplicates``;
every bad record must appear in ``rejects`` at the physical line where it starts,
with a reason naming its fault; every good record must load at that line with its
text intact (NFC).
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import unicodedata
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listening.ingest import load, load_to_parquet

# Characters that stress quoting and line tracking, plus accents and emoji.
ALPHABET = st.sampled_from(list("ab é,;\"'\n\t😀ÇüŒ-\u0301"))  # \u0301: combining accent
TEXT = st.text(ALPHABET, min_size=1, max_size=30).filter(lambda t: t.strip())
KINDS = st.sampled_from(["good", "good", "good", "extra_field", "missing_field", "bad_time",
                         "empty_text", "duplicate"])
GOOD_TIME = "2026-11-01T10:{:02d}:00Z"
BAD_TIMES = st.sampled_from(["yesterday", "2026-02-30T10:00:00Z", "2099-01-01", "",
                             "03/04/2026"])

SETTINGS = settings(max_examples=int(__import__("os").environ.get("INGEST_EXAMPLES", 40)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


def _row(k, kind, text, bad_time):
    ident = f"id{k}"
    stamp = bad_time if kind == "bad_time" else GOOD_TIME.format(k % 60)
    body = "" if kind == "empty_text" else text
    fields = [ident, stamp, f"@user{k}", body]
    if kind == "extra_field":
        fields.append("surplus")
    if kind == "missing_field":
        fields = fields[:3]
    return fields


@st.composite
def csv_files(draw):
    n = draw(st.integers(min_value=1, max_value=25))
    kinds = draw(st.lists(KINDS, min_size=n, max_size=n))
    if "duplicate" in kinds:  # the first copy is a good row, later copies are duplicates
        kinds[kinds.index("duplicate")] = "first_duplicate"
    rows = [(kind, _row(k, kind, draw(TEXT), draw(BAD_TIMES))) for k, kind in enumerate(kinds)]
    # a generic file's ids are its own, so a duplicate is the same post again: a copy
    # of the first duplicate row (the other row ids are distinct: "id<k>")
    first = next((fields for kind, fields in rows if kind == "first_duplicate"), None)
    return [(kind, list(first) if kind == "duplicate" else fields) for kind, fields in rows]


@SETTINGS
@given(csv_files())
def test_csv_accounting_and_lines(rows):
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "created_at", "author", "text"])
    starts = []
    line = 2
    for _, fields in rows:
        chunk = io.StringIO(newline="")
        csv.writer(chunk, lineterminator="\n").writerow(fields)
        starts.append(line)
        line += chunk.getvalue().count("\n")
        buffer.write(chunk.getvalue())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.csv"
        path.write_text(buffer.getvalue(), encoding="utf-8")
        frame, report = load(path)
    assert report.read == len(rows)
    assert report.read == report.loaded + report.rejected + report.duplicates
    rejected = dict(zip(report.rejects["line"], report.rejects["reason"]))
    loaded = dict(zip(frame["source"], frame["text"]))
    for (kind, fields), start in zip(rows, starts):
        if kind in ("extra_field", "missing_field"):
            assert "field(s) where the header has 4" in rejected[start]
        elif kind == "bad_time":
            assert rejected[start].startswith("Timestamp")
        elif kind == "empty_text":
            assert "Text is empty" in rejected[start]
        elif kind == "duplicate":
            assert start not in rejected and f"random.csv#{start}" not in loaded
        else:
            assert loaded[f"random.csv#{start}"] == unicodedata.normalize("NFC", fields[3])
    assert report.duplicates == sum(kind == "duplicate" for kind, _ in rows)


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["good", "good", "broken", "scalar", "bad_time",
                                           "empty_text", "blank"]), TEXT),
                min_size=1, max_size=25).filter(lambda rs: any(k != "blank" for k, _ in rs)))
def test_jsonl_accounting_and_lines(records):
    # (a file of blank lines only is refused: tests/test_ingest_corpus.py)
    lines, expected = [], {}
    for k, (kind, text) in enumerate(records):
        record = {"id": f"j{k}", "created_at": GOOD_TIME.format(k % 60), "author": "@a",
                  "text": "" if kind == "empty_text" else text}
        if kind == "bad_time":
            record["created_at"] = "not a time"
        line = json.dumps(record, ensure_ascii=k % 2 == 0)
        if kind == "broken":
            line = line[:-1]
        elif kind == "scalar":
            line = json.dumps(text)
        elif kind == "blank":
            line = "   "
        lines.append(line)
        expected[len(lines)] = (kind, text)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        frame, report = load(path)
    assert report.read == sum(kind != "blank" for kind, _ in records)
    assert report.read == report.loaded + report.rejected + report.duplicates
    rejected = dict(zip(report.rejects["line"], report.rejects["reason"]))
    loaded = dict(zip(frame["source"], frame["text"]))
    for number, (kind, text) in expected.items():
        if kind == "good":
            assert loaded[f"random.jsonl#{number}"] == unicodedata.normalize("NFC", text)
        elif kind == "broken":
            assert "not valid JSON" in rejected[number]
        elif kind == "scalar":
            assert "JSON string" in rejected[number]
        elif kind == "bad_time":
            assert "Timestamp" in rejected[number]
        elif kind == "empty_text":
            assert "Text is empty" in rejected[number]
        else:
            assert number not in rejected and f"random.jsonl#{number}" not in loaded


ALIASES = {
    "timestamp": ["created_at", "Date", "TIMESTAMP", "published_at", " posted_at "],
    "text": ["text", "Content", "MESSAGE", "body", "full_text"],
    "author": ["author", "User", "screen_name", "Username"],
    "mention_id": ["id", "ID", "post_id", "tweet_id"],
}


@settings(SETTINGS, max_examples=20)
@given(st.fixed_dictionaries({k: st.sampled_from(v) for k, v in ALIASES.items()}),
       st.permutations(list(ALIASES)), st.sampled_from([",", ";", "\t"]))
def test_generic_columns_are_recognised_under_any_alias(names, order, delimiter):
    values = {"timestamp": "2026-11-01T10:00:00Z", "text": "Bonjour, la 401 est fermée",
              "author": "@voisin", "mention_id": "m1"}
    header = delimiter.join(names[k] for k in order)
    row = delimiter.join(f'"{values[k]}"' for k in order)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "aliases.csv"
        path.write_text(f"{header}\n{row}\n", encoding="utf-8")
        frame, report = load(path)
    assert report.files[0].mapping == "generic"
    assert report.files[0].delimiter == delimiter
    got = frame.iloc[0]
    assert (got["author"], got["text"]) == ("@voisin", "Bonjour, la 401 est fermée")
    # the id column is recognised, and its file-local ids are replaced by content ids
    assert f"ids in column {names['mention_id'].strip()!r}" in " ".join(report.files[0].notes)
    assert got["mention_id"].startswith("h:")
    assert got["timestamp"] == pd.Timestamp("2026-11-01T10:00:00Z")


# --------------------------------------------------------------------------- issue 14 shapes

FEW = settings(SETTINGS, max_examples=max(5, SETTINGS.max_examples // 3))


def _parts(folder: Path) -> pd.DataFrame:
    return pd.concat([pd.read_parquet(p) for p in sorted(folder.glob("part-*.parquet"))],
                     ignore_index=True)


@st.composite
def reddit_threads(draw):
    """A Reddit thread listing pair with random replies, [deleted] comments and stubs."""
    counter = iter(range(10_000))
    prefix = draw(st.uuids()).hex[:12]  # comment ids differ between threads
    tally = {"comments": 0, "deleted": 0, "stubs": 0, "texts": []}

    def comments(depth):
        children = []
        for _ in range(draw(st.integers(0, 3 if depth < 4 else 0))):
            kind = draw(st.sampled_from(["t1", "t1", "t1", "deleted", "more"]))
            k = f"{prefix}{next(counter)}"
            if kind == "more":
                tally["stubs"] += 1
                children.append({"kind": "more", "data": {
                    "count": draw(st.integers(0, 50)), "id": f"m{k}", "parent_id": "t3_p",
                    "children": [f"m{k}"]}})
                continue
            body = "[deleted]" if kind == "deleted" else draw(TEXT)
            tally["comments"] += 1
            tally["deleted"] += kind == "deleted"
            if kind != "deleted":
                tally["texts"].append(body)
            replies = comments(depth + 1)
            children.append({"kind": "t1", "data": {
                "id": f"c{k}", "name": f"t1_c{k}", "author": f"u{k}", "body": body,
                "created_utc": 1762355100, "subreddit": "kingston", "score": 1,
                "permalink": f"/r/kingston/comments/p/t/c{k}/",
                "replies": {"kind": "Listing", "data": {"children": replies}} if replies else ""}})
        return children

    post = {"kind": "t3", "data": {"id": "p", "name": "t3_p", "title": "A thread", "selftext": "",
                                   "author": "op", "created_utc": 1762354800,
                                   "subreddit": "kingston", "permalink": "/r/kingston/comments/p/t/"}}
    top = comments(0)
    thread = [{"kind": "Listing", "data": {"children": [post]}},
              {"kind": "Listing", "data": {"children": top}}]
    return thread, tally


@FEW
@given(st.lists(reddit_threads(), min_size=1, max_size=4))
def test_reddit_threads_account_for_every_record(threads):
    """found == loaded + rejected + duplicates + not_mentions, whole file and streamed."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "threads.jsonl"  # one thread per line, as a crawler saves them
        path.write_text("\n".join(json.dumps(t, ensure_ascii=False) for t, _ in threads) + "\n",
                        encoding="utf-8")
        frame, report = load(path)
        streamed = load_to_parquet(path, Path(folder) / "out", chunk_bytes=200, progress=False)
        parts = _parts(Path(folder) / "out")
    comments = sum(t["comments"] for _, t in threads)
    stubs = sum(t["stubs"] for _, t in threads)
    deleted = sum(t["deleted"] for _, t in threads)
    # the post of each line, then its comments; the same post id on every line: duplicates
    assert report.read == len(threads) + comments
    assert report.not_mentions == stubs == len(report.notes)
    assert report.read + report.not_mentions == \
        report.loaded + report.rejected + report.duplicates + report.not_mentions
    assert report.rejected == deleted and report.duplicates == len(threads) - 1
    loaded = frame["text"].tolist()
    for _, tally in threads:
        for text in tally["texts"]:
            assert unicodedata.normalize("NFC", text) in loaded
    assert (streamed.read, streamed.loaded, streamed.rejected, streamed.duplicates,
            streamed.not_mentions) == (report.read, report.loaded, report.rejected,
                                       report.duplicates, report.not_mentions)
    assert parts["text"].tolist() == loaded


@FEW
@given(st.lists(st.tuples(st.sampled_from(["good", "good", "bad_time", "empty_text"]), TEXT),
                min_size=1, max_size=20), st.booleans())
def test_twarc2_stream_lines_whole_equals_streamed(lines, cut_last):
    rows = []
    for k, (kind, text) in enumerate(lines):
        tweet = {"id": str(1866000000000000000 + k), "author_id": str(k % 3),
                 "created_at": "soon" if kind == "bad_time" else GOOD_TIME.format(k % 60),
                 "text": "" if kind == "empty_text" else text}
        rows.append(json.dumps({"data": tweet, "includes": {"users": [
            {"id": str(k % 3), "username": f"user{k % 3}"}]},
            "matching_rules": [{"id": "1", "tag": "t"}]}, ensure_ascii=False))
    body = "\n".join(rows) + "\n"
    if cut_last:
        body += rows[-1][: len(rows[-1]) // 2]  # a stream stopped mid-line
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "stream.jsonl"
        path.write_text(body, encoding="utf-8")
        frame, report = load(path)
        streamed = load_to_parquet(path, Path(folder) / "out", chunk_bytes=300, progress=False)
        parts = _parts(Path(folder) / "out")
    assert report.read == len(lines) + cut_last
    assert report.read == report.loaded + report.rejected + report.duplicates
    bad = sum(kind != "good" for kind, _ in lines) + cut_last
    assert report.rejected == bad
    if cut_last:
        assert "cut short" in report.rejects["reason"].iloc[-1]
    assert set(frame["author"]) <= {"user0", "user1", "user2"}
    assert parts["text"].tolist() == frame["text"].tolist()
    assert streamed.rejects[["line", "reason"]].equals(report.rejects[["line", "reason"]])


@FEW
@given(st.lists(st.tuples(st.sampled_from(["utf-8", "utf-8", "utf-8", "cp1252"]),
                          st.sampled_from(["Québec fermé", "élève à l'école", "Déjà – vu",
                                           "Ça roule €5", "plain ascii"])),
                min_size=2, max_size=40))
def test_mostly_utf8_files_decode_alike_whole_and_streamed(rows):
    lines = [b"id,created_at,author,text"]
    for k, (encoding, text) in enumerate(rows):
        lines.append(f"r{k},{GOOD_TIME.format(k % 60)},@u{k},".encode() + text.encode(encoding))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mixed.csv"
        path.write_bytes(b"\n".join(lines) + b"\n")
        frame, report = load(path)
        load_to_parquet(path, Path(folder) / "out", chunk_bytes=150, progress=False)
        parts = _parts(Path(folder) / "out")
    assert parts["text"].tolist() == frame["text"].tolist()
    utf8_lines = sum(e == "utf-8" and not t.isascii() for e, t in rows)
    legacy_lines = sum(e == "cp1252" and not t.isascii() for e, t in rows)
    if 0 < legacy_lines <= utf8_lines:  # mostly UTF-8: every row's text as written, noted
        assert frame["text"].tolist() == [t for _, t in rows]
        assert len(report.notes) == legacy_lines
