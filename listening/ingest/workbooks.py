"""XLSX workbooks, read safely (zip-bomb and XML-entity checks before parsing)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import MentionDataError
from .readers import RawTable, cap, header_names, reject_row

__all__ = ["MAX_XLSX_RATIO", "MAX_XLSX_UNCOMPRESSED", "read_xlsx"]

# A real export of a million mentions is a few hundred MB of XML.
MAX_XLSX_UNCOMPRESSED = 1 << 30          # 1 GiB in total
MAX_XLSX_RATIO = 100                     # uncompressed / compressed, whole archive
_XLSX_RATIO_FROM = 8 << 20               # the ratio matters only past 8 MiB expanded
_EXCEL_DIGITS_LIMIT = 10 ** 15           # Excel stores 15 significant digits
# The header may follow at most this many preamble rows (as in delimited text).
_MAX_PREAMBLE = 20


def read_xlsx(path: Path, data: bytes, *, label: str) -> RawTable:
    """Read the first worksheet of an XLSX workbook, safely.

    The archive's declared sizes are checked before any XML is parsed (zip
    bombs); XML is parsed by openpyxl, which uses defusedxml when it is installed
    (it is a dependency), so entity declarations ("billion laughs") are refused.
    Links to external workbooks are not followed: their cached values are used
    and a note says so. Cell dates are naive wall-clock times (they take ``tz``).
    """
    notes = []
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise MentionDataError(f"{path}: not a readable XLSX workbook ({exc})",
                               path=str(path)) from None
    total = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if total > MAX_XLSX_UNCOMPRESSED or (total > _XLSX_RATIO_FROM and
                                         total / packed > MAX_XLSX_RATIO):
        raise MentionDataError(
            f"{path}: the workbook would expand from {packed:,} to {total:,} bytes "
            f"(ratio {total / packed:,.0f}:1); refusing to open a possible zip bomb. "
            "Re-export the data as CSV", path=str(path))
    for info in infos:  # a DTD can only sit at the start of an XML part
        if info.filename.endswith((".xml", ".rels")) and info.file_size:
            with archive.open(info) as part:
                head = part.read(4096)
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise MentionDataError(
                    f"{path}: the workbook part {info.filename} declares XML entities, as a "
                    "'billion laughs' attack does; refusing to parse it", path=str(path))
    if any(i.filename.startswith("xl/externalLinks/") for i in infos):
        notes.append("links to external workbooks were ignored; the values cached in "
                     "this file were used")
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        from defusedxml import DefusedXmlException
    except ImportError:  # pragma: no cover - defusedxml is a dependency
        DefusedXmlException = ValueError
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True,
                                      keep_links=False)
        sheets = book.worksheets
        if not sheets:
            raise MentionDataError(f"{path}: the workbook has no worksheet", path=str(path))
        sheet = sheets[0]
        if len(sheets) > 1:
            notes.append(f"read the first sheet {sheet.title!r}; "
                         f"{len(sheets) - 1} other sheet(s) ignored")
        sheet.reset_dimensions()
        cells = [(k, tuple(row)) for k, row in
                 enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)]
        book.close()
    except MentionDataError:
        raise
    except Exception as exc:
        cause = exc
        while cause is not None and not isinstance(cause, DefusedXmlException):
            cause = cause.__cause__ or cause.__context__
        if cause is None and not isinstance(exc, (InvalidFileException, zipfile.BadZipFile,
                                                  KeyError, ValueError, TypeError, OSError,
                                                  SyntaxError, IndexError, AttributeError)):
            raise
        if cause is None:
            raise MentionDataError(f"{path}: not a readable XLSX workbook "
                                   f"({type(exc).__name__}: {exc})", path=str(path)) from None
        raise MentionDataError(
            f"{path}: the workbook's XML declares entities ({type(cause).__name__}), as a "
            "'billion laughs' attack does; refusing to parse it", path=str(path)) from None
    rows = [(k, [_cell_text(v) for v in values]) for k, values in cells]
    long_numbers = sum(1 for _, values in cells for v in values
                       if isinstance(v, (int, float)) and not isinstance(v, bool)
                       and abs(v) >= _EXCEL_DIGITS_LIMIT)
    if long_numbers:
        notes.append(f"{long_numbers} numeric cell(s) have more than 15 digits; Excel keeps "
                     "only 15, so long ids (e.g. tweet ids) may have lost their last digits; "
                     "store ids as text")
    rows = [(k, values) for k, values in rows if any(v.strip() for v in values)]
    if not rows:
        raise MentionDataError(f"{path}: the first worksheet is empty", path=str(path))
    widths = [sum(1 for v in values if v.strip()) for _, values in rows[:_MAX_PREAMBLE]]
    start = next((k for k, w in enumerate(widths) if w > 2), 0)
    header_row, header = rows[start]
    while header and not header[-1].strip():
        header = header[:-1]
    if header_row > 1:
        notes.append(f"skipped {header_row - 1} row(s) above the header")
    columns = header_names(header)
    width = len(columns)
    kept, lines, raws, rejects = [], [], [], []
    for k, values in rows[start + 1:]:
        raw_text = ", ".join(v for v in values)
        extra = [v for v in values[width:] if v.strip()]
        if extra:
            rejects.append(reject_row(label, k, None, (
                f"Row has {len(extra)} value(s) to the right of the last header column; the "
                "row is not guessed"), raw_text))
            continue
        values = (values + [""] * width)[:width]
        kept.append(values)
        lines.append(k)
        raws.append(raw_text)
    frame = pd.DataFrame(kept, columns=range(width), dtype=pd.StringDtype("pyarrow")) \
        if kept else pd.DataFrame({k: pd.Series([], dtype="string") for k in range(width)})
    frame.columns = columns
    return RawTable(frame, np.asarray(lines, dtype=np.int64),
                    lambda positions: [cap(raws[p]) for p in positions], "xlsx",
                    len(kept) + len(rejects), rejects, notes=notes)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
