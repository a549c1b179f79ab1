"""Read one file into a :class:`RawTable`: the source's own fields, one row per record.

A reader knows formats, not sources: it decodes bytes, finds records and their
physical line numbers, and rejects records whose *shape* is wrong (wrong number
of fields, an unclosed quote, a broken JSON line). Turning fields into mentions is
:mod:`listening.ingest.mappings`' job. This module holds what every format
shares (the table, format sniffing, decoding) and the Parquet reader; CSV is in
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

__all__ = ["FORMATS", "MAX_RAW_CHARS", "RawTable", "cap", "decode", "read_file", "sniff_format"]

# Extension -> format. ``.txt`` and ``.tsv`` are delimited text like ``.csv``.
FORMATS: dict[str, str] = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".parquet": "parquet", ".pq": "parquet",
}
# The raw text kept per reject: enough to recognise and fix the record.
MAX_RAW_CHARS = 2000
# Share of control characters above which "text" is binary garbage.
_BINARY_SHARE = 0.05

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


def cap(text: str, limit: int = MAX_RAW_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit} more characters]"


def reject_row(label: str, line: int | None, column: str | None, reason: str, raw: str) -> dict:
    return {"source": label, "line": line, "column": column, "reason": reason, "raw": cap(raw)}


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


_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32-le"),
         (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe", "utf-16-le"),
         (b"\xfe\xff", "utf-16-be"))


def unicode_signature(data: bytes) -> tuple[str | None, int]:
    """``(encoding, bom_length)`` from a byte-order mark or BOM-less UTF-16's NUL pattern."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, len(bom)
    sample = data[:4096]
    even, odd = sample[0::2], sample[1::2]
    if len(sample) >= 4:
        if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.1 * len(even):
            return "utf-16-le", 0
        if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.1 * len(odd):
            return "utf-16-be", 0
    return None, 0


def is_utf8(data: bytes) -> bool:
    """True if ``data`` is valid UTF-8 (checked by Arrow, without building a str)."""
    import pyarrow as pa

    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64).tobytes())
    array = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        array.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def decode(data: bytes, path: Path) -> tuple[str, str]:
    """Decode ``data``: BOMs, BOM-less UTF-16, UTF-8, else a legacy encoding.

    Returns ``(text, encoding)``. Raises :class:`MentionDataError` for binary data.
    """
    encoding, skip = unicode_signature(data)
    data = data[skip:]
    if encoding is not None:
        try:
            text = data.decode(encoding.replace("-sig", ""))
        except UnicodeDecodeError as exc:
            raise MentionDataError(
                f"{path}: starts like {encoding} but byte {exc.start} cannot be decoded as "
                f"{encoding}; re-save the file as UTF-8", path=str(path)) from None
    else:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = _decode_legacy(data)
    refuse_binary(text, path)
    return text, encoding


def utf8_bytes(data: bytes, path: Path) -> tuple[bytes, str]:
    """The file's content as UTF-8 bytes (BOM removed) and its original encoding.

    UTF-8 input, the usual case, is validated and returned without decoding it.
    """
    encoding, skip = unicode_signature(data)
    if encoding in (None, "utf-8-sig") and is_utf8(data[skip:]):
        body = data[skip:]
        refuse_binary(body[:65536].decode("utf-8", errors="ignore"), path)
        return body, encoding or "utf-8"
    text, encoding = decode(data, path)
    return text.encode("utf-8"), encoding


# Non-ASCII characters typical of English/French (and other Western) text in
# Windows-1252: accented Latin letters are checked by range, these by list.
_WESTERN_PUNCTUATION = set("’‘“”–—…€«»°±·©®™§ºª\xa0•×÷¿¡")
# Share of non-ASCII characters that must look Western to accept Windows-1252.
_WESTERN_SHARE = 0.9


def _looks_western(text: str) -> bool:
    odd = [ch for ch in text if ord(ch) > 127]
    if not odd:
        return True
    good = sum(1 for ch in odd if (ch.isalpha() and ord(ch) < 0x250) or ch in _WESTERN_PUNCTUATION)
    return good >= _WESTERN_SHARE * len(odd)


def _decode_legacy(data: bytes) -> tuple[str, str]:
    """Not UTF-8: Windows-1252 when the result reads as Western text (the usual case for
    English/French exports), else charset-normalizer's guess, else Latin-1."""
    try:
        text = data.decode("cp1252")
        if _looks_western(text[:1 << 20]):
            return text, "cp1252"
    except UnicodeDecodeError:
        pass
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:1 << 20]).best()
        if best is not None:
            return data.decode(best.encoding), best.encoding
    except (UnicodeDecodeError, LookupError, ImportError):
        pass
    return data.decode("latin-1"), "latin-1"


def refuse_binary(text: str, path: Path) -> None:
    sample = text[:65536]
    if not sample:
        return
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\n\r\x0c")
    if controls > _BINARY_SHARE * len(sample):
        raise MentionDataError(
            f"{path}: looks like binary data, not text ({controls} control characters in "
            f"the first {len(sample)}); export the mentions as CSV, XLSX or JSON",
            path=str(path))


def read_parquet(path: Path, data: bytes, *, label: str) -> RawTable:
    """A Parquet file; nested struct columns are flattened with ``.``; line = row number."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
        while any(pa.types.is_struct(f.type) for f in table.schema):
            table = table.flatten()
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
                    len(frame))


def _isna(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def read_file(path: Path, *, label: str) -> tuple[RawTable, str]:
    """Read ``path`` by its (checked) format. Returns the table and the file's SHA-256."""
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
    reader = {"csv": read_delimited, "xlsx": read_xlsx, "json": read_json,
              "jsonl": read_jsonl, "parquet": read_parquet}[fmt]
    return reader(path, data, label=label), digest
