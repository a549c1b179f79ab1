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

from listening.ingest import load

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
    ident = "dup" if kind == "duplicate" else f"id{k}"
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
    rows = [(kind, _row(k, "duplicate" if kind == "first_duplicate" else kind,
                        draw(TEXT), draw(BAD_TIMES)))
            for k, kind in enumerate(kinds)]
    return rows


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
    assert (got["mention_id"], got["author"], got["text"]) == \
        ("m1", "@voisin", "Bonjour, la 401 est fermée")
    assert got["timestamp"] == pd.Timestamp("2026-11-01T10:00:00Z")
