"""How values reach a spreadsheet: text by value, formulas neutralised, CSV and XLSX.

Every column whose values are text, whatever its dtype (object, ``string``,
Arrow ``string``/``large_string``/dictionary, categories, bytes, lists,
durations, decimals...), is rendered as text value by value (:func:`render_frame`);
so are the column names. Real numbers and booleans stay numbers; times are times.

* CSV (UTF-8 with a byte-order mark so Excel reads accents; RFC 4180 quoting,
  "\\r\\n" line ends): following OWASP's "CSV Injection" advice, every text cell
  and column name whose *first* character is ``=``, ``+``, ``-``, ``@``, tab
  (U+0009), carriage return (U+000D), line feed, NUL or a full-width
  ``＝ ＋ － ＠`` gets a leading ``'`` (:func:`neutralise_frame`); the rest of the
  cell is kept as it is: tab, CR and LF are *not* stripped (the apostrophe makes
  them harmless and keeps the text), and cells holding a line break, separator or
  quote are quoted. Lists become ``"a; b"``, bytes are decoded as UTF-8
  (``\\xNN`` for bytes that are not), times are ISO 8601
  (``2026-11-01T10:00:00.000000Z`` for UTC; a naive time has no ``Z``).
* XLSX: text is written *exactly* (``@handle`` stays ``@handle``) as text cells,
  never formula cells; a text that starts like a formula also carries Excel's
  quote-prefix style so it stays text if someone edits the cell. Times are Excel
  dates shown as ``2026-11-01 10:00:00 UTC``, with a note on the header. Sheets
  are named ``data`` and ``provenance``, never from the data. Characters XML
  cannot hold (control characters other than tab/CR/LF) are shown as U+FFFD and
  counted in the provenance record.

SECURITY.md says what is promised and how it is tested.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ListeningError

__all__ = [
    "FORMULA_PREFIXES",
    "is_texty",
    "neutralise",
    "neutralise_frame",
    "render_frame",
    "write_csv",
    "write_xlsx",
]

# Cells beginning with these may be read as formulas. OWASP's "CSV Injection"
# page names = + - @ tab (0x09) and carriage return (0x0D); we add line feed and
# NUL (a cell can start with them too, and some importers drop them and read on)
# and the full-width forms ＝ ＋ － ＠ (U+FF1D, U+FF0B, U+FF0D, U+FF20), which
# Japanese-locale spreadsheets may turn into operators: one apostrophe on rare
# cells costs less than guessing which importer does.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\0",
                    "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Excel's sheet limit is 1,048,576 rows including the header.
XLSX_MAX_ROWS = 1_048_575
# The XLSX sheet names: fixed, never taken from the data.
SHEET_DATA = "data"
SHEET_PROVENANCE = "provenance"
# Characters neither XML 1.0 (hence XLSX) nor UTF-8 (hence CSV) can hold: control
# characters other than tab, line feed and carriage return, and lone surrogates.
# They are shown as U+FFFD and counted in the provenance record.
# (Escapes, not the characters, so Arrow's RE2 reads the control-character part.)
_CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f"
_SURROGATES = r"\ud800-\udfff"
_NOT_XML = re.compile(f"[{_CONTROL}{_SURROGATES}]")
# Lone surrogates cannot be encoded in UTF-8 (CSV); every other character can.
_NOT_UTF8 = re.compile(f"[{_SURROGATES}]")
LIST_SEPARATOR = "; "
# What the provenance record says was done to the cells.
NEUTRALISED_CSV = ("text cells and column names starting with = + - @ tab CR LF NUL or "
                   "full-width ＝ ＋ － ＠ prefixed with ' (OWASP CSV injection)")
NEUTRALISED_XLSX = ("text written exactly as text cells (never formulas); those starting "
                    "with = + - @ tab CR LF NUL or ＝ ＋ － ＠ carry Excel's quote-prefix style")
def neutralise(value: object) -> object:
    """Prefix a string that a spreadsheet would read as a formula with ``'``; others unchanged.

    >>> neutralise("=1+1"), neutralise("@OPP_News"), neutralise("fine"), neutralise(3)
    ("'=1+1", "'@OPP_News", 'fine', 3)
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _column_kind(series: pd.Series) -> str:
    """``"number"``, ``"time"`` or ``"text"``: how a column's values reach a spreadsheet.

    Anything that is not a real number, a boolean or a time is text, whatever
    its dtype (object, ``string``, Arrow strings, categories, bytes, lists,
    durations, periods, decimals): spreadsheets read text, so text is what we
    neutralise.
    """
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "text"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "time"
    if pd.api.types.is_bool_dtype(dtype):
        return "number"
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        return "number"
    return "text"


def is_texty(series: pd.Series) -> bool:
    """Whether the column is written as text (see :func:`_column_kind`)."""
    return _column_kind(series) == "text"


def _text_of(value: object) -> str:
    """One value as the text a spreadsheet shows (lists joined, dicts as JSON, bytes decoded)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        # UTF-8; bytes that are not UTF-8 are shown as \xNN, never dropped
        return bytes(value).decode("utf-8", errors="backslashreplace")
    if isinstance(value, (set, frozenset)):  # sorted: a set's order depends on the hash seed
        return LIST_SEPARATOR.join(sorted(_text_of(v) for v in value))
    if isinstance(value, (list, tuple, np.ndarray)):
        return LIST_SEPARATOR.join("" if _missing(v) else _text_of(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.isoformat()
    return str(value)


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, (float, np.floating)) and bool(np.isnan(value))


def _is_number(value: object) -> bool:
    return (isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating, Decimal))
            and not isinstance(value, np.timedelta64))


def _render_text(series: pd.Series, notes: dict, unwritable: re.Pattern) -> pd.Series:
    """A text column as ``string`` (exact text), or as object when it also holds numbers.

    String-like dtypes take a vectorised path; other columns are rendered value
    by value with :func:`_text_of` (real numbers in an object column stay numbers).
    Characters the file cannot hold (``unwritable``) become U+FFFD, counted in
    ``notes``.
    """
    dtype = series.dtype
    stringy = isinstance(dtype, (pd.StringDtype, pd.CategoricalDtype)) or (
        isinstance(dtype, pd.ArrowDtype) and _arrow_is_string(dtype))
    if stringy and not (isinstance(dtype, pd.CategoricalDtype)
                        and not _all_str(dtype.categories)):
        with contextlib.suppress(UnicodeEncodeError):  # lone surrogates: value by value
            return _clean_strings(series.astype("string"), notes, unwritable)
    rendered = [None if _missing(v) else v if _is_number(v)
                else _clean_text(_text_of(v), notes, unwritable)
                for v in series.astype(object).tolist()]
    if all(v is None or isinstance(v, str) for v in rendered):
        return pd.Series(rendered, index=series.index, dtype="string")
    return pd.Series(rendered, index=series.index, dtype=object)  # numbers stay numbers


def _clean_strings(text: pd.Series, notes: dict, unwritable: re.Pattern) -> pd.Series:
    """Vectorised :func:`_clean_text` over a ``string`` Series."""
    if getattr(text.dtype, "storage", None) == "pyarrow":
        # Arrow holds valid UTF-8 only (no surrogates), and RE2 refuses them in a pattern
        pattern = unwritable.pattern.replace(_SURROGATES, "")
        if pattern == "[]":
            return text
        bad = text.str.contains(pattern, regex=True, na=False)
    else:
        bad = text.str.contains(unwritable.pattern, regex=True, na=False)
    if bad.any():
        notes["cells_with_replaced_characters"] = (
            notes.get("cells_with_replaced_characters", 0) + int(bad.sum()))
        text = text.where(~bad, text[bad].map(lambda v: unwritable.sub("\ufffd", v)))
    return text


def _clean_text(value: str, notes: dict, unwritable: re.Pattern = _NOT_XML) -> str:
    if unwritable.search(value):
        notes["cells_with_replaced_characters"] = notes.get("cells_with_replaced_characters", 0) + 1
        return unwritable.sub("\ufffd", value)
    return value


def _arrow_is_string(dtype: pd.ArrowDtype) -> bool:
    import pyarrow as pa

    kind = dtype.pyarrow_dtype
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or (
        hasattr(pa.types, "is_string_view") and pa.types.is_string_view(kind))


def _all_str(values: pd.Index) -> bool:
    return all(isinstance(v, str) for v in values)


def render_frame(frame: pd.DataFrame, *, notes: dict | None = None,
                 xml: bool = False) -> pd.DataFrame:
    """A copy of ``frame`` as spreadsheets will hold it, before any neutralising.

    Numbers and booleans stay as they are; time zone-aware times are converted
    to UTC (naive times are kept: their zone was never recorded); every other
    column becomes exact text (:func:`_render_text`). Column names become text
    too. Columns are taken by position, so duplicate names are kept.

    Parameters
    ----------
    frame : DataFrame
        Any frame.
    notes : dict, optional
        Filled with what was changed (``cells_with_replaced_characters``) and
        the zone of each time column (``time_zones``).
    xml : bool
        Also replace the control characters XML 1.0 cannot hold (XLSX); lone
        surrogates (not encodable in UTF-8) are always replaced, by U+FFFD.
    """
    unwritable = _NOT_XML if xml else _NOT_UTF8
    notes = {} if notes is None else notes
    zones = notes.setdefault("time_zones", {})
    columns = []
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position]
        name = str(frame.columns[position])
        kind = _column_kind(values)
        if kind == "time":
            if isinstance(values.dtype, pd.ArrowDtype):  # Arrow timestamps -> NumPy
                tz = values.dtype.pyarrow_dtype.tz
                values = values.astype(pd.DatetimeTZDtype("us", tz) if tz else "datetime64[us]")
            if getattr(values.dt, "tz", None) is not None:
                values = values.dt.tz_convert("UTC")
                zones[name] = "UTC"
            else:
                zones[name] = "none recorded"
        elif kind == "text":
            values = _render_text(values, notes, unwritable)
        columns.append(values.rename(position))
    out = pd.concat(columns, axis=1) if columns else pd.DataFrame(index=frame.index)
    out.columns = [_clean_text(str(c), notes, unwritable) for c in frame.columns]
    return out


def neutralise_frame(frame: pd.DataFrame, *, notes: dict | None = None) -> pd.DataFrame:
    """A copy of ``frame`` ready for CSV: text as in :func:`render_frame`, then neutralised.

    Every text cell and every column name that starts with one of
    :data:`FORMULA_PREFIXES` gets a leading ``'`` (OWASP); numbers and times
    are untouched. ``notes`` is filled as by :func:`render_frame`.

    >>> neutralise_frame(pd.DataFrame({"=x": ["=1+1", "ok"], "n": [-1, 2]})).to_dict("list")
    {"'=x": ["'=1+1", 'ok'], 'n': [-1, 2]}
    """
    safe = render_frame(frame, notes=notes)
    for position in range(safe.shape[1]):
        values = safe.iloc[:, position]
        if values.dtype == object:
            safe.isetitem(position, values.map(neutralise))
        elif isinstance(values.dtype, pd.StringDtype):
            risky = values.str.startswith(FORMULA_PREFIXES).fillna(False).astype(bool)
            if risky.any():
                safe.isetitem(position, values.where(~risky, "'" + values))
    safe.columns = [neutralise(c) for c in safe.columns]
    return safe


# ---------------------------------------------------------------- writers

def write_csv(frame: pd.DataFrame, tmp: Path, record: dict) -> None:
    """CSV with Arrow's writer (about 5x faster than pandas); pandas for mixed columns.

    UTF-8 with a byte-order mark, RFC 4180 line ends ("\r\n"), cells holding a
    separator, quote or line break quoted (a quote doubled), times as ISO 8601
    (``2026-11-01T10:00:00.000000Z`` in UTC; naive times without the ``Z``).
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv

    notes: dict = {}
    safe = neutralise_frame(frame, notes=notes)
    record.update({k: v for k, v in notes.items() if v})
    try:
        table = pa.Table.from_pandas(safe, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        # an object column mixing numbers and text: pandas writes anything.
        # With "\r\n" as terminator the writer quotes cells holding a bare "\r" too.
        safe.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n",
                    date_format="%Y-%m-%dT%H:%M:%S.%f")
        return
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type):
            zone = "Z" if field.type.tz else ""
            micro = pc.cast(table.column(i), pa.timestamp("us", tz=field.type.tz), safe=False)
            iso = pc.strftime(micro, format=f"%Y-%m-%dT%H:%M:%S{zone}")
            table = table.set_column(i, field.name, iso)
        elif pa.types.is_dictionary(field.type):
            table = table.set_column(i, field.name, pc.cast(table.column(i), pa.string()))
    with open(tmp, "wb") as fh:
        fh.write(b"\xef\xbb\xbf")  # BOM: Excel then reads the file as UTF-8 (accents)
        pa_csv.write_csv(table, fh, pa_csv.WriteOptions(eol="\r\n"))


# Excel shows these times with their zone in every cell.
_UTC_FORMAT = 'yyyy-mm-dd hh:mm:ss "UTC"'
_NAIVE_FORMAT = "yyyy-mm-dd hh:mm:ss"


def _cell_values(series: pd.Series) -> list:
    """Python values openpyxl can store: None for missing, naive datetimes, str/int/float."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        series = series.dt.floor("us")  # Excel/Python datetimes stop at microseconds
        return [None if pd.isna(v) else v.to_pydatetime() for v in series]
    if series.dtype != object and (pd.api.types.is_bool_dtype(series.dtype)
                                   or pd.api.types.is_numeric_dtype(series.dtype)):
        values = series.astype(object).where(series.notna(), None).tolist()
        return [v.item() if isinstance(v, np.generic) else v for v in values]
    values = series.astype(object).where(series.notna(), None).tolist()
    return [v.item() if isinstance(v, np.generic) else v for v in values]


def write_xlsx(frame: pd.DataFrame, tmp: Path, record: dict) -> None:
    """XLSX: text exactly as it is, always as text cells (never formulas).

    A string cell is written with ``data_type = "s"`` (shared string), so Excel
    never evaluates it; a text that starts like a formula also gets Excel's
    "quote prefix" style (what typing ``'`` does in Excel): shown exactly, and it
    stays text if someone edits the cell. Times are Excel dates shown as
    ``yyyy-mm-dd hh:mm:ss "UTC"``; their header says the zone in a note.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.comments import Comment

    if len(frame) > XLSX_MAX_ROWS:
        raise ListeningError(f"{len(frame):,} rows do not fit in one Excel sheet "
                             f"(at most {XLSX_MAX_ROWS:,}); export to .csv or .parquet instead")
    notes: dict = {}
    safe = render_frame(frame, notes=notes, xml=True)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET_DATA)

    def text_cell(value: str) -> WriteOnlyCell:
        c = WriteOnlyCell(sheet, value=value)
        c.data_type = "s"  # never a formula, whatever the first character
        if value.startswith(FORMULA_PREFIXES):
            c.quotePrefix = True
        return c

    header = []
    for position, name in enumerate(safe.columns):
        c = text_cell(name)
        zone = notes["time_zones"].get(str(frame.columns[position]))
        if zone is not None:
            c.comment = Comment(("Times in UTC (temps universel coordonné)" if zone == "UTC"
                                 else "Time zone not recorded in the data"), "listening")
        header.append(c)
    sheet.append(header)
    columns = []
    for position in range(safe.shape[1]):
        values = _cell_values(safe.iloc[:, position])
        if pd.api.types.is_datetime64_any_dtype(safe.iloc[:, position].dtype):
            utc = isinstance(safe.iloc[:, position].dtype, pd.DatetimeTZDtype)
            values = [_time_cell(sheet, v, _UTC_FORMAT if utc else _NAIVE_FORMAT) for v in values]
        else:
            # openpyxl stores a plain str as a formula when it starts with "=":
            # only strings that start like a formula need a cell object (the rest
            # stay plain values, ~3x faster). A test reads the XML back.
            values = [text_cell(v) if isinstance(v, str) and v.startswith(FORMULA_PREFIXES)
                      else v for v in values]
        columns.append(values)
    for row in zip(*columns):
        sheet.append(row)
    record.update({k: v for k, v in notes.items() if v})
    about = book.create_sheet(SHEET_PROVENANCE)
    about.append([text_cell("field"), text_cell("value")])
    for key, value in record.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        about.append([text_cell(_clean_text(key, {})), text_cell(_clean_text(shown, {}))])
    book.save(tmp)
    if any(safe.iloc[:, i].astype(object).map(lambda v: isinstance(v, str) and "\r" in v).any()
           for i in range(safe.shape[1]) if _column_kind(safe.iloc[:, i]) == "text"):
        _keep_carriage_returns(tmp)


def _keep_carriage_returns(path: Path) -> None:
    """Write each carriage return in the sheets as ``&#13;`` so XML readers keep it.

    openpyxl writes a CR in a cell as it is, and every XML reader (Excel's
    included) turns a raw CR into a line feed (XML 1.0, end-of-line handling);
    a character reference survives. openpyxl emits no CR in markup, so every
    CR it wrote is inside a text node.
    """
    import zipfile

    fixed = path.with_name(path.name + ".cr")
    try:
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                with src.open(info) as fin, dst.open(info, "w") as fout:
                    sheet = info.filename.startswith("xl/") and info.filename.endswith(".xml")
                    while chunk := fin.read(1 << 20):
                        fout.write(chunk.replace(b"\r", b"&#13;") if sheet else chunk)
        os.replace(fixed, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            fixed.unlink()


def _time_cell(sheet, value, number_format: str):
    from openpyxl.cell import WriteOnlyCell

    if value is None:
        return None
    c = WriteOnlyCell(sheet, value=value)
    c.number_format = number_format
    return c
