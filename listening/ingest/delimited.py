"""CSV and other delimited text, with exact physical line numbers.

Two paths. The fast path hands the bytes to pyarrow's CSV reader and then
*checks* its work: the fields' embedded newlines must add up to the file's
physical line count and no row may have the wrong number of fields. Any file that
fails a check (ragged rows, blank lines, unclosed or stray quotes) is read again
by the careful path, a quote-aware line splitter over Python's ``csv`` module
that keeps every record's start line and raw text. Clean files, the usual case,
never pay for Python-level parsing.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import MentionDataError
from .encodings import Decoding, utf8_bytes
from .readers import (
    RawTable,
    arrow_strings,
    cap,
    fallback_file_notes,
    fallback_notes,
    header_names,
    reject_row,
)

__all__ = ["DELIMITERS", "MAX_RECORD_LINES", "read_delimited"]

# Delimiters tried, in order of preference on ties.
DELIMITERS = (",", ";", "\t", "|")
# Records sampled to choose the delimiter and find the header.
_SNIFF_RECORDS = 50
# A header may follow at most this many preamble lines (Brandwatch writes ~6-10).
_MAX_PREAMBLE = 20
# An opening quote may span at most this many lines before we call it unclosed.
MAX_RECORD_LINES = 10_000
# Bytes sampled to choose the delimiter and find the header (extended to the end of
# the line they stop in, so a header longer than this is never cut).
_SNIFF_BYTES = 1 << 20
# pyarrow block size: large enough for a 10 MB field, small enough to parse in parallel.
_BLOCK_BYTES = 16 << 20
# Ragged rows the fast path rejects itself; more than this and the file is read row by row.
_MAX_FAST_INVALID = 10_000
_NOT_SPACE = re.compile(rb"[^ \t\r\n\x0b\x0c]")


def _split_records(text: str, first_line: int = 1, limit: int | None = None):
    """Yield ``(start_line, record_text, closed)`` for each logical CSV record.

    A record ends at a newline outside double quotes (RFC 4180: a quote inside a
    quoted field is doubled, so quote parity tells inside from outside). An
    opening quote never closed within :data:`MAX_RECORD_LINES` lines, or before
    the end of the file, yields that single line with ``closed=False`` and
    reading resumes on the next line.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    i, n, count = 0, len(lines), 0
    while i < n:
        if limit is not None and count >= limit:
            return
        line = lines[i]
        if line.count('"') % 2 == 0:
            yield first_line + i, line, True
            i += 1
        else:
            j, parity = i + 1, 1
            while j < n and j - i < MAX_RECORD_LINES:
                parity += lines[j].count('"')
                j += 1
                if parity % 2 == 0:
                    break
            if parity % 2 == 0:
                yield first_line + i, "\n".join(lines[i:j]), True
                i = j
            else:
                yield first_line + i, line, False
                i += 1
        count += 1


def _fields(record: str, delimiter: str) -> list[str]:
    """The fields of one record; ValueError if a stray quote makes it span several rows."""
    if record == "":
        return []
    try:
        return next(csv.reader([record], delimiter=delimiter, quotechar='"', doublequote=True,
                               strict=False))
    except csv.Error as exc:
        raise ValueError(str(exc)) from None


def _safe_fields(record: str, delimiter: str) -> list[str]:
    try:
        return _fields(record, delimiter)
    except ValueError:
        return [record]


def _field_count(record: str, delimiter: str) -> int:
    try:
        return len(_fields(record, delimiter))
    except ValueError:
        return 0


def _find_header(sample: list[str], delimiter: str) -> int:
    for k, record in enumerate(sample[:_MAX_PREAMBLE]):
        if sum(1 for f in _safe_fields(record, delimiter) if f.strip()) > 2:
            return k
    return 0


def _locate_header(text: str) -> tuple[str, int, str]:
    """``(delimiter, header's first physical line, header record)`` of a CSV's opening text.

    Shared by the whole-file reader and the streaming loader, so both skip the
    same preamble and read the same header.
    """
    delimiter, header_index = _sniff_dialect(text)
    header_line, header_record = 1, ""
    for line, record, _ in _split_records(text):
        if not record.strip():
            continue
        header_line, header_record = line, record
        if header_index == 0:
            break
        header_index -= 1
    return delimiter, header_line, header_record


def _sniff_dialect(text: str) -> tuple[str, int]:
    """Choose the delimiter and find the header: ``(delimiter, header_index)``.

    The header is the first non-blank record with more than two non-empty
    fields, when one comes within :data:`_MAX_PREAMBLE` records: records above it
    are a preamble (report details that some vendors, e.g. Brandwatch, write
    above the header) and are skipped; otherwise it is the first record. The
    delimiter is the candidate that splits the header into more than one field
    and gives the most records (the header included) the header's width (ties:
    the wider header, then the order of :data:`DELIMITERS`).
    """
    sample = [r for _, r, _ in _split_records(text, limit=_SNIFF_RECORDS)]
    sample = [r for r in sample if r.strip()]
    best = (",", 0, 0, 0)
    for delimiter in DELIMITERS:
        if not sample:
            break
        header = _find_header(sample, delimiter)
        width = _field_count(sample[header], delimiter)
        agree = sum(_field_count(r, delimiter) == width for r in sample[header:])
        if width > 1 and (agree, width) > (best[2], best[3]):
            best = (delimiter, header, agree, width)
    if best[2] == 0:  # no delimiter splits the header: a one-column file
        return ",", _find_header(sample, ",") if sample else 0
    return best[0], best[1]


def sniff_sample(body: bytes) -> str:
    """The opening text the delimiter and header are chosen from: the first
    :data:`_SNIFF_BYTES`, extended to the end of the line they stop in (a header of
    250,000 columns is longer than a MiB and must be read whole)."""
    end = body.find(b"\n", _SNIFF_BYTES)
    return body[:len(body) if end < 0 else end].decode("utf-8", errors="ignore")


def read_delimited(path: Path, data: bytes, *, label: str,
                   decoding: Decoding | None = None) -> RawTable:
    """Read CSV/TSV (any of :data:`DELIMITERS`) with exact physical line numbers.

    Decisions: NUL bytes are removed; ``\\r\\n`` is read as ``\\n`` (also inside
    quoted text); blank lines are not records; a header-only file gives 0 records
    (not an error); the header is the first record after an optional preamble;
    later duplicate header names and blank header names are kept under new names
    (so no mapping uses them) and show up as ignored columns. The file is handled
    as UTF-8 bytes throughout the fast path (a Python str of a large file with one
    emoji costs four bytes a character).
    """
    body, encoding, fell = utf8_bytes(data, path, decoding=decoding)
    notes = fallback_file_notes(fell)
    nuls = body.count(b"\x00")
    if nuls:
        body = body.replace(b"\x00", b"")
        notes.append(f"removed {nuls} NUL character(s)")
    if b"\r" in body:
        body = body.replace(b"\r\n", b"\n")
        if b"\n" not in body:  # classic Mac line ends
            body = body.replace(b"\r", b"\n")
    if _NOT_SPACE.search(body) is None:
        raise MentionDataError(f"{path}: the file holds only whitespace, no header or rows",
                               path=str(path))
    delimiter, header_line, header_record = _locate_header(sniff_sample(body))
    if header_line > 1:
        notes.append(f"skipped {header_line - 1} line(s) above the header")
    columns = header_names(_safe_fields(header_record, delimiter))
    data_line = header_line + header_record.count("\n") + 1
    offset = 0  # byte offset where the data section starts
    for _ in range(data_line - 1):
        offset = body.find(b"\n", offset) + 1
        if offset == 0:
            offset = len(body)
            break
    section = body[offset:]
    table = _fast_csv(section, columns, delimiter, data_line, label)
    if table is None:
        table = _careful_csv(section.decode("utf-8"), columns, delimiter, data_line, label)
    table.encoding, table.delimiter = encoding, delimiter
    table.notes = notes + table.notes
    table.changes = fallback_notes(label, fell, decoding.fallback if decoding else None)
    return table


def _arrow_read(body: bytes, width: int, delimiter: str, *, threads: bool):
    """pyarrow's CSV reader over ``body``; returns ``(table, invalid rows)`` or None."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    invalid = []

    def on_invalid(row):
        invalid.append(row)
        return "skip"

    names = [f"c{k}" for k in range(width)]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(column_names=names, block_size=_BLOCK_BYTES,
                                           use_threads=threads),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"',
                                             double_quote=True, newlines_in_values=True,
                                             ignore_empty_lines=True,
                                             invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowException, ValueError):
        return None
    return table, invalid


def _fast_csv(section: bytes, columns: list[str], delimiter: str, data_line: int,
              label: str) -> RawTable | None:
    """pyarrow's reader, accepted only if its rows account for every physical line.

    Rows with the wrong number of fields are rejected here too: a second,
    single-threaded pass tells their physical lines (pyarrow knows them only
    then), and the valid rows' lines are shifted past them.
    """
    import pyarrow.compute as pc

    body = section.rstrip(b"\n")
    if _NOT_SPACE.search(body) is None:
        return RawTable(pd.DataFrame({c: pd.Series([], dtype="string") for c in columns}),
                        np.zeros(0, dtype=np.int64), lambda rows: [], "csv", 0)
    if body.count(b'"') % 2:
        return None
    width = len(columns)
    result = _arrow_read(body, width, delimiter, threads=True)
    if result is None:
        return None
    table, invalid = result
    if invalid:
        if len(invalid) > _MAX_FAST_INVALID:
            return None
        result = _arrow_read(body, width, delimiter, threads=False)
        if result is None:
            return None
        table, invalid = result
        if any(row.number is None for row in invalid):
            return None
    spans = np.ones(table.num_rows, dtype=np.int64)
    physical = body.count(b"\n") + 1
    bad_spans = [row.text.count("\n") + 1 for row in invalid]
    if physical != table.num_rows + len(invalid):  # some values hold newlines: count them
        for column in table.columns:
            spans += pc.count_substring(column, "\n").to_numpy(zero_copy_only=False)
    if int(spans.sum()) + sum(bad_spans) != physical:
        return None
    # pyarrow numbers invalid rows by record (1-based, valid and invalid together):
    # lay every record out in file order and accumulate their spans into start lines.
    total = table.num_rows + len(invalid)
    is_bad = np.zeros(total, dtype=bool)
    is_bad[[row.number - 1 for row in invalid]] = True
    if is_bad.sum() != len(invalid):
        return None
    all_spans = np.empty(total, dtype=np.int64)
    all_spans[~is_bad] = spans
    all_spans[is_bad] = [span for _, span in sorted(zip([r.number for r in invalid], bad_spans))]
    all_starts = np.concatenate([[0], np.cumsum(all_spans)[:-1]]) if total else all_spans
    starts = all_starts[~is_bad]
    rejects = []
    for row in sorted(invalid, key=lambda r: r.number):
        rejects.append(reject_row(label, data_line + int(all_starts[row.number - 1]), None, (
            f"Row has {row.actual_columns} field(s) where the header has {width}; a "
            f"delimiter ({delimiter!r}) inside an unquoted field, or a missing one, shifts "
            "the values, so the row is not guessed"), row.text))
    frame = table.to_pandas(types_mapper=arrow_strings)
    frame.columns = columns

    def raw(rows: Sequence[int]) -> list[str]:
        if not len(rows):
            return []
        ends = np.flatnonzero(np.frombuffer(body, dtype=np.uint8) == 10)
        line_start = np.concatenate([[0], ends + 1])
        line_end = np.concatenate([ends, [len(body)]])
        out = []
        for r in rows:
            first, last = int(starts[r]), int(starts[r] + spans[r] - 1)
            out.append(cap(body[line_start[first]:line_end[last]].decode("utf-8")))
        return out

    return RawTable(frame, (data_line + starts).astype(np.int64), raw, "csv",
                    table.num_rows + len(invalid), rejects)


def _careful_csv(section: str, columns: list[str], delimiter: str, data_line: int,
                 label: str) -> RawTable:
    """Row by row: every record's start line, raw text and field count checked."""
    csv.field_size_limit(2**31 - 1)
    width = len(columns)
    rows, lines, raws, rejects = [], [], [], []
    found = [r for r in _split_records(section, first_line=data_line) if r[1].strip()]
    read = len(found)  # blank lines are not records
    for line, record, closed in found:
        if not closed:
            rejects.append(reject_row(label, line, None, (
                "Row has an opening quote that is never closed, so the rest of the file would be "
                "read as one field; this line was skipped and reading resumed on the next "
                "line"), record))
    closed = [r for r in found if r[2]]
    # One reader over every record (a reader per record costs more than the parsing).
    reader = csv.reader((record for _, record, _ in closed), delimiter=delimiter,
                        quotechar='"', doublequote=True, strict=False)
    for line, record, _ in closed:
        try:
            fields = next(reader)
        except csv.Error:
            rejects.append(reject_row(label, line, None, (
                "Row is malformed: a quote character inside an unquoted field starts text that "
                "runs over several lines; quote the whole field and double inner quotes"),
                record))
            continue
        if len(fields) != width:
            rejects.append(reject_row(label, line, None, (
                f"Row has {len(fields)} field(s) where the header has {width}; a delimiter "
                f"({delimiter!r}) inside an unquoted field, or a missing one, shifts the "
                "values, so the row is not guessed"), record))
            continue
        rows.append(fields)
        lines.append(line)
        raws.append(record)
    rejects.sort(key=lambda r: r["line"])
    frame = pd.DataFrame(rows, columns=range(width), dtype=pd.StringDtype("pyarrow")) \
        if rows else pd.DataFrame({k: pd.Series([], dtype="string") for k in range(width)})
    frame.columns = columns

    def raw(positions: Sequence[int]) -> list[str]:
        return [cap(raws[p]) for p in positions]

    return RawTable(frame, np.asarray(lines, dtype=np.int64), raw, "csv", read, rejects,
                    notes=["read row by row (the fast reader found irregular rows)"]
                    if rejects else [])
