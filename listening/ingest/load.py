"""Load mention exports into a validated mention frame, accounting for every record.

``load(path_or_paths, *, platform=None, tz="UTC", mapping=None, progress=None)``
returns ``(frame, report)``. ``frame`` passes :func:`listening.schema.validate`;
``report`` is a :class:`~listening.ingest.accounting.LoadReport` whose counts obey
``read == loaded + rejected + duplicates`` for the whole load and for each file.

Decisions (each one tested in ``tests/test_ingest*.py``):

Files
    * Formats by extension, checked against the content: ``.csv .tsv .txt``
      (delimited text), ``.xlsx .xlsm``, ``.json``, ``.jsonl .ndjson``,
      ``.parquet .pq``. A file whose content contradicts its extension (an XLSX
      named ``.csv``, CSV named ``.xlsx``), binary garbage, a 0-byte or
      whitespace-only file, a JSON *counts* response, and a file where no column
      holds the time or the text raise :class:`~listening.errors.MentionDataError`
      naming the file and the problem (and listing the columns found). A ``.json``
      file holding one document per line is read as JSONL.
    * Directories are searched recursively, globs expanded; there only
      ``.csv .tsv .xlsx .xlsm .json .jsonl .ndjson .parquet .pq`` files are taken
      (``.txt`` only when named explicitly, so READMEs are not read as data);
      hidden files and Excel lock files (``~$...``) are skipped. One unusable file
      stops the load with its name: nothing is skipped silently.
    * A **header-only** CSV/XLSX (or a JSON ``[]``, or an API page with no tweets)
      is valid and loads 0 rows; its header must still map (so a wrong export is
      caught even when empty).
    * Encodings: BOMs (UTF-8, UTF-16, UTF-32), BOM-less UTF-16 (Meltwater writes
      it), UTF-8; otherwise Windows-1252 when the result reads as Western text
      (the usual non-UTF-8 English/French export), else charset-normalizer's
      guess, else Latin-1. Mojibake (UTF-8 that was double-encoded somewhere
      upstream) is loaded as written: the loader cannot know what was meant.
      NUL characters are removed; ``\r\n`` inside quoted text becomes ``\n``.
    * Delimiter: ``,`` ``;`` tab or ``|``, whichever splits the header and gives
      the most records the header's width. Up to 20 preamble lines above the
      header (Brandwatch's report details: lines with two non-empty fields or
      fewer) are skipped and noted.
    * Duplicate header names: the first column of that name is used; later ones
      are renamed ``"name [duplicate 2]"`` and, like every column no mapping field
      uses (unknown headers), dropped from the frame and listed in the report's
      ``ignored_columns``.
    * XLSX: first worksheet only (others noted); size and compression ratio are
      checked before parsing (zip bombs), parts declaring XML entities are
      refused and openpyxl parses through defusedxml (billion laughs), external
      links are not followed (noted), numbers longer than Excel's 15 digits are
      noted (tweet ids stored as numbers have lost digits). Cell dates are naive
      and take ``tz``.

Records
    * ``read`` counts records: CSV data rows (blank lines are not records),
      XLSX non-empty rows below the header, JSONL non-blank lines (an API page
      line counts each tweet in it; a line holding ``[]`` or a page without
      tweets counts 0), JSON records, Parquet rows.
    * Rejected, never guessed: rows with the wrong number of fields, an unclosed
      quote (that line is rejected and reading resumes on the next line), broken
      JSON lines, empty text, missing/unparseable/impossible/ambiguous
      timestamps, timestamps more than a day in the future, and texts that are
      only a mapping's placeholder (Reddit's ``[removed]``/``[deleted]``). Each
      reject has the 1-based physical line where the record starts (the CSV
      header is line 1 when there is no preamble; the sheet row for XLSX; the
      element's line for a JSON array, the record number inside other JSON
      documents), the column at fault, a sentence, and the raw text (capped at
      2,000 characters). A record with several problems is one reject with all
      its reasons.
    * Duplicates: a ``mention_id`` seen earlier in the same load (any file)
      counts as a duplicate; the first occurrence is kept. Cross-load duplicates
      are the store's business.
    * Counts (likes, shares, comments, reach) that are not non-negative numbers
      become missing; they do not reject the row. Thousands separators are allowed.

Values
    * Timestamps: see :mod:`listening.ingest.timestamps` (ISO-8601 with or without
      offset, ``Z``, epoch seconds/milliseconds, vendor formats; naive times are in
      ``tz``; at DST changes non-existent local times shift forward one hour and
      ambiguous ones take the earlier instant). Stored as UTC.
    * Text: kept whole (never truncated, surrounding spaces kept),
      NFC-normalised, NUL removed; X API v2 text has its HTML entities
      (``&amp;``) unescaped, as the API escapes them.
    * ``source`` is ``"<file>#<line>"`` (the physical line / sheet row / record
      number), ``<file>`` being the file name (or its path relative to the folder
      loaded when two files share a name).
    * ``mention_id``: the source's id; rows without one get
      :func:`listening.schema.make_mention_ids`.
    * ``platform``: the source's value when it names a platform (vocabulary in
      ``resources/mappings/_vocabulary.yaml``, e.g. ``Twitter`` -> ``x``), else the
      mapping's fixed platform, else the ``platform=`` argument, else ``other``.
    * ``language``: the source's value normalised to ISO 639-1 (``en-US`` ->
      ``en``, ``French`` -> ``fr``); missing or "unknown" values (``und``, X's
      ``zxx``/``qme``/...) are detected from the text (its first
      :data:`DETECT_CHARS` characters) with :func:`listening.text.detect_language`.
    * Unused source columns are dropped from the frame and listed per file in
      ``report.files[i].ignored_columns`` (``report.ignored_columns`` by path).
"""

from __future__ import annotations

import glob
import html
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from .. import schema
from ..errors import MentionDataError
from ..text import detect_language, normalize_series
from .accounting import FileLoad, LoadReport, rejects_frame
from .mappings import Mapping, apply_mapping, detect_mapping, get_mapping, vocabulary
from .readers import FORMATS, RawTable, read_file
from .timestamps import parse_timestamps

__all__ = ["load"]

# Extensions picked up when a folder or glob is loaded (.txt only when named).
FOLDER_EXTENSIONS = tuple(ext for ext in FORMATS if ext != ".txt")
_STRING = pd.StringDtype("pyarrow")
# Language detection reads the start of each text: a paragraph decides the language
# as well as a whole article does, and a 10 MB post would otherwise take seconds.
DETECT_CHARS = 1000


def _expand(path_or_paths) -> list[Path]:
    items = [path_or_paths] if isinstance(path_or_paths, (str, os.PathLike)) \
        else list(path_or_paths)
    if not items:
        raise MentionDataError("no path given to load")
    files: list[Path] = []
    for item in items:
        text = os.fspath(item)
        path = Path(text).expanduser()
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and _wanted(p))
            if not found:
                raise MentionDataError(f"{path}: no mention files in this folder (looked for "
                                       f"{', '.join(FOLDER_EXTENSIONS)})", path=str(path))
            files += found
        elif path.is_file():
            files.append(path)
        elif glob.has_magic(text):
            found = sorted(Path(p) for p in glob.glob(os.path.expanduser(text), recursive=True)
                           if Path(p).is_file() and _wanted(Path(p)))
            if not found:
                raise MentionDataError(f"{text}: the pattern matches no mention file",
                                       path=text)
            files += found
        else:
            raise MentionDataError(f"{path}: no such file or folder", path=str(path))
    unique = list(dict.fromkeys(p.resolve() for p in files))
    return unique


def _wanted(path: Path) -> bool:
    name = path.name
    return (path.suffix.lower() in FOLDER_EXTENSIONS and not name.startswith(".")
            and not name.startswith("~$"))


def _labels(files: list[Path]) -> list[str]:
    names = [p.name for p in files]
    if len(set(names)) == len(names):
        return names
    root = Path(os.path.commonpath([str(p.parent) for p in files]))
    return [p.relative_to(root).as_posix() for p in files]


def _lookup(values: pd.Series, table) -> pd.Series:
    """Map each distinct value once (fast on a million rows with few distinct values)."""
    codes, uniques = pd.factorize(values)
    mapped = np.array([table(u) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype=object)


def _platform_of(value) -> str | None:
    """A platform name for a source value; vendor codes such as ``SOCIALMEDIA_TWITTER``
    or ``BLOG_OTHER`` are tried part by part."""
    key = str(value).strip().lower()
    vocab = vocabulary()["platforms"]
    for candidate in (key, *key.replace("-", "_").split("_")):
        if candidate in schema.PLATFORMS:
            return candidate
        if candidate in vocab:
            return vocab[candidate]
    return None


def _language_of(value) -> str | None:
    vocab = vocabulary()
    key = str(value).strip().lower().replace("_", "-")
    if not key or key in vocab["unknown_languages"]:
        return None
    if key in vocab["languages"]:
        return vocab["languages"][key]
    head = key.split("-", 1)[0]
    if head in vocab["languages"]:
        return vocab["languages"][head]
    if len(head) == 2 and head.isalpha() and head.isascii():
        return head
    return None


def _counts(values: pd.Series) -> pd.Series:
    stripped = values.str.strip()
    plain = stripped.str.fullmatch(r"[0-9]{1,18}") | (stripped == "")
    if bool(plain.all()):  # the usual case: plain digits, converted in Arrow
        return stripped.where(stripped != "").astype("int64[pyarrow]").astype("Int64")
    cleaned = values.str.replace(",", "", regex=False).str.replace(" ", "", regex=False)
    number = pd.to_numeric(cleaned.astype(object).where(cleaned != "", None), errors="coerce")
    number = number.where(number >= 0)
    return number.round().astype("Int64")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _blank_to_na(values: pd.Series) -> pd.Series:
    stripped = values.str.strip()
    return stripped.where(stripped != "", None).astype(_STRING)


def _require(mapping: Mapping, values: dict, raw: RawTable, path: Path) -> None:
    for target in ("timestamp", "text"):
        if target not in values:
            looked = ", ".join(mapping.candidates(target)) or "(none named)"
            found = ", ".join(map(str, raw.frame.columns[:60])) or "none"
            raise MentionDataError(
                f"{path}: mapping {mapping.name!r} finds no {target} column (looked for "
                f"{looked}); columns found: {found}. Pass mapping={{'{target}': '<column>', "
                "...}} to name it.", path=str(path))


def _to_mentions(raw: RawTable, mapping: Mapping, *, path: Path, label: str, tz: str,
                 platform: str | None) -> tuple[pd.DataFrame, list[dict], list[str]]:
    """Map one file's records; return candidate mentions, rejects and ignored columns."""
    values, sources, ignored = apply_mapping(mapping, raw.frame)
    _require(mapping, values, raw, path)
    index = raw.frame.index
    text = values["text"]
    # NFC and NUL removal change nothing in plain ASCII: normalise only the other rows.
    touch = (~text.str.isascii().fillna(True)
             | text.str.contains("\x00", regex=False).fillna(False))
    if touch.all():
        text = normalize_series(text)
    elif touch.any():
        text = text.where(~touch, normalize_series(text[touch]))
    if mapping.unescape_html:
        escaped = text.str.contains("&", regex=False).fillna(False)
        if escaped.any():
            text = text.where(~escaped, text[escaped].map(html.unescape).astype(_STRING))
    stripped = text.str.strip()
    empty = (stripped == "").fillna(True).to_numpy(dtype=bool)
    placeholder = np.zeros(len(text), dtype=bool)
    if mapping.empty_values:
        placeholder = stripped.isin(list(mapping.empty_values)).fillna(False).to_numpy(dtype=bool)
        empty = empty | placeholder
    stamps, why = parse_timestamps(values["timestamp"], tz=tz)
    bad_time = stamps.isna().to_numpy()
    rejects = []
    bad = np.flatnonzero(empty | bad_time)
    if len(bad):
        raws = raw.raw(bad)
        for k, pos in enumerate(bad):
            reasons, columns = [], []
            if bad_time[pos]:
                reason = why.iloc[pos] or "is missing"
                reasons.append(reason if reason.startswith("timestamp") else
                               f"timestamp {reason}")
                columns.append(sources.get("timestamp") or "timestamp")
            if placeholder[pos]:
                reasons.append(f"text is only the placeholder {stripped.iloc[pos]!r} "
                               "(deleted or removed content)")
            elif empty[pos]:
                reasons.append("text is empty")
            if empty[pos]:
                columns.append(sources.get("text") or "text")
            rejects.append({"source": label, "line": int(raw.lines[pos]),
                            "column": ", ".join(columns),
                            "reason": _sentence("; ".join(reasons)), "raw": raws[k]})
    keep = ~(empty | bad_time)
    out = pd.DataFrame(index=index)
    out["timestamp"] = stamps
    out["text"] = text
    for target in ("author", "url", "country"):
        out[target] = _blank_to_na(values[target]) if target in values else \
            pd.Series(None, index=index, dtype=_STRING)
    for target in ("likes", "shares", "comments", "reach"):
        out[target] = _counts(values[target]) if target in values else \
            pd.Series(pd.NA, index=index, dtype="Int64")
    plat = pd.Series(None, index=index, dtype=object)
    if "platform" in values:
        plat = _lookup(values["platform"], _platform_of)
    fallback = mapping.platform or platform or "other"
    out["platform"] = plat.fillna(fallback).astype(str)
    out["language"] = _lookup(values["language"], _language_of) if "language" in values \
        else pd.Series(None, index=index, dtype=object)
    out["source"] = (label + "#" + pd.Series(raw.lines, index=index).astype(str)).astype(_STRING)
    out = out[keep]
    ids = _blank_to_na(values["mention_id"][keep]) if "mention_id" in values else \
        pd.Series(None, index=out.index, dtype=_STRING)
    missing = ids.isna()
    if missing.any():
        made = schema.make_mention_ids(out["platform"][missing], out["author"][missing],
                                       out["timestamp"][missing], out["text"][missing])
        ids = ids.where(~missing, made)
    out["mention_id"] = ids.astype(_STRING)
    return out, rejects, ignored


def load(path_or_paths, *, platform: str | None = None, tz: str = "UTC",
         mapping=None, progress: bool | None = None) -> tuple[pd.DataFrame, LoadReport]:
    """Load mention files (CSV, XLSX, JSON, JSONL, Parquet, folders, globs).

    Parameters
    ----------
    path_or_paths : str, Path, or iterable of them
        Files, folders (searched recursively) or glob patterns.
    platform : str, optional
        Platform for records whose source does not say (one of
        :data:`listening.schema.PLATFORMS`); default ``"other"``.
    tz : str
        IANA time zone of naive timestamps (default ``"UTC"``).
    mapping : str, dict, or path to a YAML file, optional
        Force a mapping (a registered/built-in name, a table, or a YAML file)
        instead of recognising each file's source from its columns.
    progress : bool, optional
        Show a tqdm progress bar over files; default: only when loading several.

    Returns
    -------
    (frame, report)
        A mention frame (all :data:`listening.schema.MENTION_COLUMNS`, validated)
        and a :class:`LoadReport`.

    Raises
    ------
    MentionDataError
        A file cannot be used at all (see the module docstring for the cases).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "m.csv").write_text(
    ...     "id,created_at,author,text\\n"
    ...     "1,2026-03-01T12:00:00Z,@opp,Highway 401 closed\\n"
    ...     "2,not a date,@jane,Is it open yet?\\n"
    ...     "1,2026-03-01T12:00:00Z,@opp,Highway 401 closed\\n")
    >>> frame, report = load(folder / "m.csv", platform="x")
    >>> report.read, report.loaded, report.rejected, report.duplicates
    (3, 1, 1, 1)
    >>> int(report.rejects.loc[0, "line"]), report.rejects.loc[0, "reason"]
    (3, "Timestamp 'not a date' is not a date or time this loader knows")
    """
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(tz)
    except (KeyError, ValueError, TypeError, OSError):
        raise MentionDataError(f"tz={tz!r} is not a time-zone name; use an IANA name such as "
                               "'America/Toronto' or 'UTC'") from None
    if platform is not None and platform not in schema.PLATFORMS:
        raise MentionDataError(f"platform={platform!r} is not one of "
                               f"{', '.join(schema.PLATFORMS)}")
    forced = get_mapping(mapping) if mapping is not None else None
    files = _expand(path_or_paths)
    labels = _labels(files)
    show = len(files) > 1 if progress is None else bool(progress)
    iterator: Iterable = zip(files, labels)
    if show:
        from tqdm.auto import tqdm

        iterator = tqdm(list(iterator), desc="loading files", unit="file",
                        disable=None if progress is None else False)
    frames, reports, rejects = [], [], []
    for number, (path, label) in enumerate(iterator):
        raw, digest = read_file(path, label=label)
        for r in raw.rejects:
            r["source"] = label
        entry = FileLoad(path=str(path), sha256=digest, format=raw.format, mapping=None,
                         read=raw.read, rejected=len(raw.rejects), encoding=raw.encoding,
                         delimiter=raw.delimiter, notes=list(raw.notes))
        file_rejects = list(raw.rejects)
        if len(raw.frame.columns) == 0:
            entry.notes.append("no records")
        else:
            chosen = forced or detect_mapping(raw.frame.columns, path=path)
            entry.mapping = chosen.name
            mentions, bad, ignored = _to_mentions(raw, chosen, path=path, label=label, tz=tz,
                                                  platform=platform)
            mentions["_file"] = number
            frames.append(mentions)
            file_rejects += bad
            entry.rejected += len(bad)
            entry.ignored_columns = ignored
        rejects += sorted(file_rejects, key=lambda r: (r["line"] is None, r["line"] or 0))
        reports.append(entry)
    frame = pd.concat(frames, ignore_index=True) if frames else None
    if frame is not None and len(frame):
        dup = frame["mention_id"].duplicated(keep="first").to_numpy()
        per_file = np.bincount(frame["_file"].to_numpy()[dup], minlength=len(reports))
        frame = frame[~dup]
    else:
        per_file = np.zeros(len(reports), dtype=int)
    for entry, dups in zip(reports, per_file):
        entry.duplicates = int(dups)
        entry.loaded = entry.read - entry.rejected - entry.duplicates
    if frame is None or frame.empty:
        result = schema.empty_frame()
    else:
        frame = frame.drop(columns="_file").reset_index(drop=True)
        need = frame["language"].isna()
        if need.any():
            texts = frame.loc[need, "text"].str.slice(0, DETECT_CHARS)
            frame.loc[need, "language"] = detect_language(texts).astype(object).to_numpy()
        result = schema.coerce(frame[list(schema.MENTION_COLUMNS)])
    schema.validate(result)
    report = LoadReport(read=sum(f.read for f in reports), loaded=len(result),
                        rejected=len(rejects),
                        duplicates=sum(f.duplicates for f in reports),
                        rejects=rejects_frame(rejects), files=reports)
    return result, report.check()
