"""Safe exports: CSV, XLSX and Parquet, with provenance, pseudonyms and atomic writes.

``export(frame, path)`` writes any frame (mentions, alerts, summaries) in the
format named by the extension:

* ``.csv`` and ``.xlsx``: text handled as text whatever its dtype, formulas
  neutralised (CSV: a leading ``'``, per OWASP), XLSX text exact and never a
  formula, times in UTC saying so (:mod:`listening.spreadsheet`);
* ``.parquet``: the data exactly as it is (no prefixes), provenance in the file's
  schema metadata under ``listening.provenance``.

Each export also writes ``<file>.provenance.json`` beside the file (see
:mod:`listening.provenance`). Files are written to a temporary file in the same
folder and moved into place with ``os.replace``, so an interrupted export never
leaves a half-written file under the final name. SECURITY.md says what is
promised and how it is tested.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd

from .errors import ListeningError, SchemaError, UnsafePathError, check_option
from .schema import require_columns
from .spreadsheet import (
    FORMULA_PREFIXES,
    NEUTRALISED_CSV,
    NEUTRALISED_XLSX,
    is_texty,
    neutralise,
    neutralise_frame,
    render_frame,
)
from .spreadsheet import write_csv as _write_csv
from .spreadsheet import write_xlsx as _write_xlsx

__all__ = [
    "FORMATS",
    "FORMULA_PREFIXES",
    "atomic_path",
    "check_inside",
    "export",
    "neutralise",
    "neutralise_frame",
    "render_frame",
    "safe_join",
    "store_secret",
]

FORMATS = (".csv", ".xlsx", ".parquet")
PSEUDONYMISATION_METHOD = ("handles: 'anon_' + first 16 hex digits of HMAC-SHA256(secret, "
                           "NFKC case-folded handle); mention ids: 'k:' + first 16 hex "
                           "digits of HMAC-SHA256(secret, 'mention_id' 0x1F id)")


# ---------------------------------------------------------------- paths and atomic writes

def check_inside(path: str | os.PathLike, root: str | os.PathLike) -> Path:
    """Return ``path`` resolved, or raise :class:`UnsafePathError` if it leaves ``root``.

    A relative ``path`` is taken relative to ``root`` (it is a name *inside* the
    folder, as a user types it); ``root`` itself, if relative, is relative to the
    working directory.

    >>> import os
    >>> check_inside("sub/ok.csv", "out") == (Path(os.getcwd()) / "out/sub/ok.csv").resolve()
    True
    """
    root_resolved = Path(root).resolve()
    target = Path(path)
    target = (target if target.is_absolute() else root_resolved / target).resolve()
    if target != root_resolved and root_resolved not in target.parents:
        raise UnsafePathError(f"{str(path)!r} is outside the folder {str(root_resolved)!r}; "
                              "choose a file name inside it (no '..', no absolute path)")
    return target


def safe_join(folder: str | os.PathLike, name: str) -> Path:
    """``folder / name`` (resolved) for a *generated* file name: no ``..``, separator or drive.

    ``name`` is checked against ``folder`` itself, so a relative ``folder``
    (``out``) gives ``<cwd>/out/name``, never ``out/out/name``.

    >>> safe_join("out", "brief_volume.png") == (Path("out") / "brief_volume.png").resolve()
    True
    """
    text = str(name)
    if (not text or "\0" in text or text in (".", "..") or Path(text).is_absolute()
            or "/" in text or "\\" in text or Path(text).drive):
        raise UnsafePathError(f"generated file name {text!r} is not a plain file name; "
                              f"refusing to write outside {str(folder)!r}")
    return check_inside(text, folder)


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


def _write_parquet(frame: pd.DataFrame, tmp: Path, record: dict) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    plain = frame.copy()
    plain.attrs = {}  # attrs are in the provenance record; they need not be JSON-able
    table = pa.Table.from_pandas(plain, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[b"listening.provenance"] = json.dumps(record, ensure_ascii=False).encode("utf-8")
    pq.write_table(table.replace_schema_metadata(meta), tmp)


def store_secret() -> bytes:
    """The store's pseudonymisation secret (``open_store().secret()``, created on first use)."""
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
        keyed tokens, and mention ids by keyed ids
        (:func:`listening.pseudonymise.pseudonymise_frame`); the sidecar
        counts what was replaced under ``replaced``.
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
    check_option("the export file's extension", suffix, FORMATS,
                 hint=f"Cannot export to {str(path)!r}: name the file .csv (any spreadsheet), "
                      ".xlsx (Excel) or .parquet (data tools)")
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
    if suffix == ".csv":
        extra["neutralised"] = NEUTRALISED_CSV
    elif suffix == ".xlsx":
        extra["neutralised"] = NEUTRALISED_XLSX
    if pseudonymise:
        from .pseudonymise import default_allow_list, key_id

        if not any(is_texty(frame.iloc[:, i]) for i in range(frame.shape[1])):
            raise SchemaError("export(pseudonymise=True) needs an 'author' column or text "
                              f"columns; the frame has: {', '.join(map(str, frame.columns))}",
                              column="author")
        secret = store_secret() if secret is None else secret
        kept = default_allow_list() if allow is None else {str(a) for a in allow}
        extra.update({"pseudonymisation": PSEUDONYMISATION_METHOD,
                      "key_id": key_id(secret), "allow_list": sorted(kept)})
    from .provenance import provenance

    # The hash is of the data used (before pseudonymisation), so it matches the store.
    record = provenance(frame, extra=extra)
    if pseudonymise:
        from .pseudonymise import pseudonymise_frame

        frame = pseudonymise_frame(frame, secret=secret, allow=allow)
        record["replaced"] = frame.attrs["listening"]["pseudonymisation"]
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            _write_csv(frame, tmp, record)
        elif suffix == ".xlsx":
            _write_xlsx(frame, tmp, record)
        else:
            _write_parquet(frame, tmp, record)
    write_text_atomic(sidecar, json.dumps(record, ensure_ascii=False, indent=2) + "\n")
    return path
