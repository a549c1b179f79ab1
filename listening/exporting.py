"""Safe exports: CSV, XLSX and Parquet, with provenance, pseudonyms and atomic writes.

``export(frame, path)`` writes any frame (mentions, alerts, summaries) in the
format named by the extension:

* ``.csv`` (UTF-8 with a byte-order mark so Excel reads accents) and ``.xlsx``:
  every text cell that a spreadsheet could take for a formula (first character
  ``= + - @``, tab, carriage return, line feed or NUL) is prefixed with ``'``, as
  OWASP's CSV-injection guidance says; lists become ``"a; b"``; times are UTC
  (ISO 8601 in CSV; in XLSX, Excel dates without a zone). XLSX cells are always
  written as strings or numbers, never formulas, and gets a ``provenance`` sheet.
* ``.parquet``: the data exactly as it is (no prefixes), provenance in the file's
  schema metadata under ``listening.provenance``.

Each export also writes ``<file>.provenance.json`` (see :mod:`listening.provenance`).
Files are written to a temporary file in the same folder and moved into place
with ``os.replace``, so an interrupted export never leaves a half-written file
under the final name.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ListeningError, SchemaError, UnsafePathError
from .schema import require_columns

__all__ = [
    "FORMATS",
    "FORMULA_PREFIXES",
    "atomic_path",
    "check_inside",
    "export",
    "neutralise",
    "neutralise_frame",
    "safe_join",
]

# OWASP "CSV Injection": cells beginning with these may be run as formulas.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
FORMATS = (".csv", ".xlsx", ".parquet")
# Excel's sheet limit is 1,048,576 rows including the header.
XLSX_MAX_ROWS = 1_048_575
# Characters XML 1.0 (hence XLSX) cannot hold; shown as U+FFFD in XLSX only.
_XML_ILLEGAL = "[\x00-\x08\x0b\x0c\x0e-\x1f]"
LIST_SEPARATOR = "; "


# ---------------------------------------------------------------- paths and atomic writes

def check_inside(path: str | os.PathLike, root: str | os.PathLike) -> Path:
    """Return ``path`` resolved, or raise :class:`UnsafePathError` if it leaves ``root``."""
    root_resolved = Path(root).resolve()
    target = Path(path)
    target = (target if target.is_absolute() else root_resolved / target).resolve()
    if target != root_resolved and root_resolved not in target.parents:
        raise UnsafePathError(f"{str(path)!r} is outside the folder {str(root_resolved)!r}; "
                              "choose a file name inside it (no '..', no absolute path)")
    return target


def safe_join(folder: str | os.PathLike, name: str) -> Path:
    """``folder / name`` for a *generated* file name, refusing ``..``, separators and absolute names.

    >>> safe_join("out", "brief_volume.png").name
    'brief_volume.png'
    """
    text = str(name)
    if (not text or "\0" in text or text in (".", "..") or Path(text).is_absolute()
            or "/" in text or "\\" in text or Path(text).drive):
        raise UnsafePathError(f"generated file name {text!r} is not a plain file name; "
                              f"refusing to write outside {str(folder)!r}")
    return check_inside(Path(folder) / text, folder)


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``final``; move it onto ``final`` only on success.

    The temporary file lives in the same folder (so ``os.replace`` is atomic on
    the same file system) and is removed if the block raises.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


# ---------------------------------------------------------------- formula injection

def neutralise(value: object) -> object:
    """Prefix a string that a spreadsheet would read as a formula with ``'``; others unchanged.

    >>> neutralise("=1+1"), neutralise("@OPP_News"), neutralise("fine"), neutralise(3)
    ("'=1+1", "'@OPP_News", 'fine', 3)
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _is_texty(series: pd.Series) -> bool:
    return (isinstance(series.dtype, (pd.StringDtype, pd.CategoricalDtype))
            or series.dtype == object)


def _flatten(value: object) -> object:
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        return LIST_SEPARATOR.join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` ready for CSV/XLSX: text neutralised, lists joined, times in UTC.

    Numbers stay numbers; every text cell (string, categorical or object column,
    and the column names) goes through :func:`neutralise`.
    """
    out = {}
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            out[column] = values.dt.tz_convert("UTC")
        elif _is_texty(values):
            if values.dtype == object:
                values = values.map(_flatten, na_action="ignore")
                values = values.map(neutralise, na_action="ignore")
                out[column] = values
            else:
                text = values.astype("string")
                risky = text.str.startswith(FORMULA_PREFIXES).fillna(False)
                out[column] = text.where(~risky, "'" + text)
        else:
            out[column] = values
    result = pd.DataFrame(out, index=frame.index)
    result.columns = [neutralise(str(c)) for c in frame.columns]
    return result


# ---------------------------------------------------------------- writers

def _write_csv(frame: pd.DataFrame, tmp: Path) -> None:
    """CSV with Arrow's writer (about 5x faster than pandas); pandas for odd object columns.

    UTF-8 with a byte-order mark, RFC 4180 line ends ("\r\n"), strings quoted,
    times as ISO 8601 UTC (``2026-11-01T10:00:00.000000Z``).
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv

    safe = neutralise_frame(frame)
    try:
        table = pa.Table.from_pandas(safe, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        # e.g. an object column mixing numbers and text: pandas writes anything.
        # With "\r\n" as terminator the writer quotes cells holding a bare "\r" too.
        safe.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n",
                    date_format="%Y-%m-%dT%H:%M:%S.%fZ")
        return
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type):
            micro = pc.cast(table.column(i), pa.timestamp("us", tz="UTC"), safe=False)
            iso = pc.strftime(micro, format="%Y-%m-%dT%H:%M:%SZ")
            table = table.set_column(i, field.name, iso)
        elif pa.types.is_dictionary(field.type):
            table = table.set_column(i, field.name, pc.cast(table.column(i), pa.string()))
    with open(tmp, "wb") as fh:
        fh.write(b"\xef\xbb\xbf")  # BOM: Excel then reads the file as UTF-8 (accents)
        pa_csv.write_csv(table, fh, pa_csv.WriteOptions(eol="\r\n"))


def _cell_values(series: pd.Series) -> list:
    """Python values openpyxl can store: None for missing, naive UTC datetimes, str/int/float."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        series = series.dt.floor("us")  # Excel/Python datetimes stop at microseconds
        return [None if pd.isna(v) else v.to_pydatetime() for v in series]
    if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
        values = series.astype(object).where(series.notna(), None).tolist()
        return [v.item() if isinstance(v, np.generic) else v for v in values]
    text = series.astype("string").str.replace(_XML_ILLEGAL, "\ufffd", regex=True)
    return text.astype(object).where(text.notna(), None).tolist()


def _write_xlsx(frame: pd.DataFrame, tmp: Path, record: dict) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    if len(frame) > XLSX_MAX_ROWS:
        raise ListeningError(f"{len(frame):,} rows do not fit in one Excel sheet "
                             f"(at most {XLSX_MAX_ROWS:,}); export to .csv or .parquet instead")
    safe = neutralise_frame(frame)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("data")

    def cell(value):
        c = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            c.data_type = "s"  # never a formula, whatever the first character
        return c

    sheet.append([cell(str(c)) for c in safe.columns])
    columns = [_cell_values(safe[c]) for c in safe.columns]
    # openpyxl stores a str as a formula only when it starts with "="; neutralise_frame
    # has prefixed every such cell, so plain values are safe here (and ~3x faster
    # than a WriteOnlyCell per value). A test reads the file back to check.
    for row in zip(*columns):
        sheet.append(row)
    about = book.create_sheet("provenance")
    about.append([cell("field"), cell("value")])
    for key, value in record.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        about.append([cell(key), cell(neutralise(shown))])
    book.save(tmp)


def _write_parquet(frame: pd.DataFrame, tmp: Path, record: dict) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    plain = frame.copy()
    plain.attrs = {}  # attrs are in the provenance record; they need not be JSON-able
    table = pa.Table.from_pandas(plain, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[b"listening.provenance"] = json.dumps(record, ensure_ascii=False).encode("utf-8")
    pq.write_table(table.replace_schema_metadata(meta), tmp)


def _store_secret() -> bytes:
    try:
        from .store import open_store
    except ImportError as exc:
        raise ListeningError("pseudonymising needs a secret: pass secret=<bytes> or install "
                             "the store (listening.store)") from exc
    with open_store() as store:
        return store.secret()


def export(frame: pd.DataFrame, path: str | os.PathLike, *, pseudonymise: bool = False,
           columns: Iterable[str] | None = None, secret: bytes | None = None,
           allow: Iterable[str] | None = None, root: str | os.PathLike | None = None) -> Path:
    """Write ``frame`` to ``.csv``, ``.xlsx`` or ``.parquet`` with a provenance sidecar.

    Parameters
    ----------
    frame : DataFrame
        Any frame: mentions, alerts, summaries. Mention columns are needed only
        to pseudonymise (``author`` and/or text columns).
    path : str or Path
        Output file; the extension picks the format. The sidecar is
        ``<path>.provenance.json``.
    pseudonymise : bool
        Replace author handles, ``@mentions`` in text and handles in URLs by
        keyed tokens (:mod:`listening.pseudonymise`).
    columns : list of str, optional
        Columns to write, in this order (default: all).
    secret : bytes, optional
        HMAC key; default: the store's secret (``open_store().secret()``),
        created on first use. Never written anywhere.
    allow : list of str, optional
        Handles kept readable (default: the official/media allow-list file).
    root : str or Path, optional
        If given, ``path`` must lie inside this folder (:class:`UnsafePathError`
        otherwise): use it when the file name comes from a user.

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> export(pd.DataFrame({"text": ["=1+1"]}), folder / "x.csv").name
    'x.csv'
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"cannot export to {str(path)!r}: the extension must be one of "
                         f"{', '.join(FORMATS)}")
    if root is not None:
        path = check_inside(path, root)
    sidecar = safe_join(path.parent, path.name + ".provenance.json")
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"export needs a pandas DataFrame, got {type(frame).__name__}")
    if columns is not None:
        columns = list(columns)
        require_columns(frame, columns, stage="export(columns=...)")
        frame = frame[columns]
    extra: dict = {"file": path.name, "format": suffix.lstrip("."),
                   "pseudonymised": bool(pseudonymise)}
    if suffix != ".parquet":
        extra["neutralised"] = ("text cells starting with = + - @ tab CR LF NUL "
                                "prefixed with ' (OWASP CSV injection)")
    if pseudonymise:
        from .pseudonymise import default_allow_list, key_id, pseudonymise_frame

        if "author" not in frame.columns and not any(_is_texty(frame[c]) for c in frame.columns):
            raise SchemaError("export(pseudonymise=True) needs an 'author' column or text "
                              f"columns; the frame has: {', '.join(map(str, frame.columns))}",
                              column="author")
        secret = _store_secret() if secret is None else secret
        kept = default_allow_list() if allow is None else {str(a) for a in allow}
        extra.update({"pseudonymisation": "HMAC-SHA256 of the case-folded handle, "
                                          "first 16 hex digits, prefix 'anon_'",
                      "key_id": key_id(secret), "allow_list": sorted(kept)})
    from .provenance import provenance

    # The hash is of the data used (before pseudonymisation), so it matches the store.
    record = provenance(frame, extra=extra)
    if pseudonymise:
        frame = pseudonymise_frame(frame, secret=secret, allow=allow)
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            _write_csv(frame, tmp)
        elif suffix == ".xlsx":
            _write_xlsx(frame, tmp, record)
        else:
            _write_parquet(frame, tmp, record)
    write_text_atomic(sidecar, json.dumps(record, ensure_ascii=False, indent=2) + "\n")
    return path
