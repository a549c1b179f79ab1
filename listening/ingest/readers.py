"""Read one file into a :class:`RawTable`: the source's own fields, one row per record.

A reader knows formats, not sources: it decodes bytes, finds records and their
physical line numbers, and rejects records whose *shape* is wrong (wrong number
of fields, an unclosed quote, a broken JSON line). Turning fields into mentions is
:mod:`listening.ingest.mappings`' job. This module holds what every format
shares (the table, reject and note rows, format sniffing) and the Parquet reader;
bytes become text in :mod:`~listening.ingest.encodings`; CSV is in
:mod:`~listening.ingest.delimited`, JSON in :mod:`~listening.ingest.documents`,
XLSX in :mod:`~listening.ingest.workbooks`.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import MentionDataError
from .encodings import FALLBACK_ENCODING, FALLBACK_ERRORS, Decoding

__all__ = ["FORMATS", "MAX_RAW_CHARS", "RawTable", "cap", "fallback_file_notes", "fallback_notes",
           "note_row", "read_file", "reject_row", "sniff_format"]

# Extension -> format. ``.txt`` and ``.tsv`` are delimited text like ``.csv``.
FORMATS: dict[str, str] = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".parquet": "parquet", ".pq": "parquet",
}
# The raw text kept per reject: enough to recognise and fix the record.
MAX_RAW_CHARS = 2000

_MAGIC = (
    (b"PK\x03\x04", "a zip archive (an XLSX workbook is one)"),
    (b"PAR1", "a Parquet file"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xd0\xcf\x11\xe0", "an old Excel 97-2003 (.xls) or other OLE file"),
)


@dataclass
class RawTable:
    """One file's records before mapping.

    ``frame`` holds the source fields (nested JSON keys joined with ``.``), one
    row per record; ``lines`` the 1-based physical line (CSV, JSONL), sheet row
    (XLSX) or row number (Parquet, JSON arrays) where each record starts;
    ``raw(positions)`` the raw text of those records. ``rejects`` are records
    refused for their shape; ``read`` counts every record found, refused or not.
    ``records`` numbers each record inside its JSON document or JSONL line (None
    for other formats); ``changes`` are value-level notes (rows of
    ``report.notes``: a line decoded with the fallback encoding, a bytes value,
    a record that is not a mention); ``not_mentions`` counts records that are
    not mentions (not part of ``read``).
    """

    frame: pd.DataFrame
    lines: np.ndarray
    raw: Callable[[Sequence[int]], list[str]]
    format: str
    read: int
    rejects: list[dict] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)
    records: np.ndarray | None = None
    changes: list[dict] = field(default_factory=list)
    not_mentions: int = 0


def cap(text: str, limit: int = MAX_RAW_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit} more characters]"


def reject_row(label: str, line: int | None, column: str | None, reason: str, raw: str,
               record: int | None = None) -> dict:
    return {"source": label, "line": line, "column": column, "reason": reason, "raw": cap(raw),
            "record": record}


def note_row(label: str, line: int | None, column: str | None, value, action: str,
             record: int | None = None) -> dict:
    """A row of ``report.notes``: what the file said (``value``) and what was done."""
    shown = None if value is None else cap(str(value), _NOTE_VALUE_CHARS)
    return {"source": label, "line": line, "record": record, "column": column,
            "value": shown, "action": action}


# A note shows this much of the value it is about.
_NOTE_VALUE_CHARS = 300


def header_names(fields: list[str]) -> list[str]:
    """Clean header names; blanks and repeats get names that no mapping uses."""
    names, seen = [], {}
    for k, name in enumerate(fields, start=1):
        name = name.replace("\ufeff", "").replace("\x00", "").strip()
        if not name:
            name = f"[unnamed column {k}]"
        key = name.lower()
        if key in seen:
            seen[key] += 1
            name = f"{name} [duplicate {seen[key]}]"
        else:
            seen[key] = 1
        names.append(name)
    return names



def dump_json(value) -> str:
    """``value`` as JSON text for display (``repr`` if it cannot be encoded)."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return repr(value)[:MAX_RAW_CHARS]


def arrow_strings(dtype):
    import pyarrow as pa

    if dtype == pa.string() or dtype == pa.large_string():
        return pd.StringDtype("pyarrow")
    return None



# --------------------------------------------------------------------------- sniffing

def _magic(data: bytes) -> str | None:
    for signature, what in _MAGIC:
        if data.startswith(signature):
            return what
    return None


def sniff_format(path: Path, data: bytes) -> str:
    """The format to read ``path`` as; refuse files whose content contradicts the name."""
    suffix = path.suffix.lower()
    fmt = FORMATS.get(suffix)
    if fmt is None:
        raise MentionDataError(
            f"{path}: files ending in {suffix or '(no extension)'!r} are not supported; "
            f"use one of {', '.join(sorted(FORMATS))}", path=str(path))
    if not data:
        raise MentionDataError(f"{path}: the file is empty (0 bytes)", path=str(path))
    what = _magic(data)
    if fmt == "xlsx" and not data.startswith(b"PK\x03\x04"):
        found = what or ("text" if _looks_text(data[:4096]) else "not a zip archive")
        raise MentionDataError(
            f"{path}: named {suffix} but it is not an Excel workbook (found {found}); "
            "if it is CSV text, rename it to .csv", path=str(path))
    if fmt == "parquet" and not data.startswith(b"PAR1"):
        raise MentionDataError(
            f"{path}: named {suffix} but it is not a Parquet file (no 'PAR1' signature)",
            path=str(path))
    if fmt in ("csv", "json", "jsonl") and what is not None:
        hint = {"a zip archive (an XLSX workbook is one)": "rename it to .xlsx if it is a workbook",
                "a Parquet file": "rename it to .parquet"}.get(what, "export it as CSV or JSON")
        raise MentionDataError(
            f"{path}: named {suffix} but it is {what}, not text; {hint}", path=str(path))
    return fmt


def _looks_text(sample: bytes) -> bool:
    try:
        sample.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:  # a cut multi-byte character at the end is fine
        return exc.start >= len(sample) - 3


def fallback_notes(label: str, lines: list[tuple[int, str]], fallback: str | None) -> list[dict]:
    """``report.notes`` rows for the lines decoded with the fallback encoding."""
    name = {"cp1252": "Windows-1252"}.get(fallback or FALLBACK_ENCODING, fallback)
    return [note_row(label, line, None, text,
                     f"decoded as {name} (this line is not valid UTF-8; the rest of the "
                     "file is)") for line, text in lines]


def fallback_file_notes(lines: list[tuple[int, str]]) -> list[str]:
    """The file-level note on lines decoded with the fallback (none when there are none)."""
    if not lines:
        return []
    note = (f"{len(lines)} line(s) were not valid UTF-8 (the rest of the file is) and were "
            "decoded as Windows-1252; see report.notes")
    return [note]



def read_parquet(path: Path, data: bytes, *, label: str) -> RawTable:
    """A Parquet file; nested struct columns are flattened with ``.``; line = row number."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
        while any(pa.types.is_struct(f.type) for f in table.schema):
            table = table.flatten()
        notes, changes = [], []
        for k, f in enumerate(table.schema):
            if pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type):
                column, fell = _bytes_as_text(table.column(k))
                table = table.set_column(k, f.name, column)
                notes.append(f"column {f.name!r} holds bytes; decoded them as UTF-8 text")
                changes += [note_row(label, row + 1, f.name, text,
                                     "decoded as Windows-1252 (these bytes are not UTF-8)")
                            for row, text in fell]
        frame = table.to_pandas(types_mapper=arrow_strings)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise MentionDataError(f"{path}: not a readable Parquet file ({exc})",
                               path=str(path)) from None
    frame.columns = [str(c) for c in frame.columns]
    frame = frame.reset_index(drop=True)

    def raw(positions: Sequence[int]) -> list[str]:
        return [cap(dump_json({k: (None if _isna(v) else str(v)) for k, v in
                           frame.iloc[p].items()})) for p in positions]

    return RawTable(frame, np.arange(1, len(frame) + 1, dtype=np.int64), raw, "parquet",
                    len(frame), notes=notes, changes=changes)


def _bytes_as_text(column):
    """A binary Arrow column as strings: UTF-8, else (value by value) the fallback."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        return pc.cast(column, pa.large_string()), []
    except pa.ArrowInvalid:
        values, fell = [], []
        for row, value in enumerate(column.to_pylist()):
            if value is None:
                values.append(None)
                continue
            try:
                values.append(value.decode("utf-8"))
            except UnicodeDecodeError:
                text = value.decode(FALLBACK_ENCODING, errors=FALLBACK_ERRORS)
                values.append(text)
                fell.append((row, text))
        return pa.chunked_array([pa.array(values, type=pa.large_string())]), fell


def _isna(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def read_file(path: Path, *, label: str, decoding: Decoding | None = None
              ) -> tuple[RawTable, str]:
    """Read ``path`` by its (checked) format. Returns the table and the file's SHA-256.

    ``decoding`` imposes the text decoding chosen for a whole file (the streaming
    loader passes it for each chunk); default: chosen from this file's bytes.
    """
    from .delimited import read_delimited
    from .documents import read_json, read_jsonl
    from .workbooks import read_xlsx

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MentionDataError(f"{path}: cannot be read ({exc.strerror or exc})",
                               path=str(path)) from None
    digest = hashlib.sha256(data).hexdigest()
    fmt = sniff_format(path, data)
    if fmt in ("xlsx", "parquet"):
        reader = {"xlsx": read_xlsx, "parquet": read_parquet}[fmt]
        return reader(path, data, label=label), digest
    reader = {"csv": read_delimited, "json": read_json, "jsonl": read_jsonl}[fmt]
    return reader(path, data, label=label, decoding=decoding), digest
