"""Load mention exports into a validated mention frame, accounting for every record.

``load(path_or_paths, *, platform=None, tz="UTC", date_order=None, tz_names=None,
mapping=None, progress=None)`` returns ``(frame, report)``. ``frame`` passes
:func:`listening.schema.validate`; ``report`` is a
:class:`~listening.ingest.accounting.LoadReport` whose counts obey ``read == loaded
+ rejected + duplicates`` for the whole load and for each file; records that are
not mentions are counted apart (``not_mentions``), and every value changed or
replaced is a row of ``report.notes``.

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
      it), UTF-8. A file that is valid UTF-8 except for some lines (at least as
      many lines hold valid non-ASCII UTF-8 as lines that do not) is UTF-8: each
      line that is not is decoded as Windows-1252 and noted in ``report.notes``.
      Otherwise the file is in a legacy encoding: Windows-1252 when its non-UTF-8
      lines read as Western text (the usual non-UTF-8 English/French export), else
      charset-normalizer's guess, else Latin-1. The choice is made from the whole
      file, so :func:`~listening.ingest.stream.load_to_parquet` decodes every line
      as this loader does. Mojibake (UTF-8 that was double-encoded somewhere
      upstream) is loaded as written: the loader cannot know what was meant.
      NUL characters are removed; ``\\r\\n`` inside quoted text becomes ``\\n``.
    * Delimiter: ``,`` ``;`` tab or ``|``, whichever splits the header and gives
      the most records the header's width, chosen from the first MiB (extended to
      the end of a longer header line). Up to 20 preamble lines above the header
      (Brandwatch's report details: lines with two non-empty fields or fewer) are
      skipped and noted.
    * Duplicate header names: the first column of that name is used; later ones
      are renamed ``"name [duplicate 2]"`` and, like every column no mapping field
      uses (unknown headers), dropped from the frame and listed in the report's
      ``ignored_columns``.
    * XLSX: first worksheet only (others noted); size and compression ratio are
      checked before parsing (zip bombs), parts declaring XML entities are
      refused and openpyxl parses through defusedxml (billion laughs), external
      links are not followed (noted), numbers longer than Excel's 15 digits are
      noted (tweet ids stored as numbers have lost digits). Cell dates are naive
      and take ``tz``; numbers in the time column may be serial dates.
    * Parquet: ``bytes`` columns are decoded as UTF-8 text (noted).

Records
    * ``read`` counts mention records: CSV data rows (blank lines are not
      records), XLSX non-empty rows below the header, JSONL non-blank lines (an
      API page line counts each tweet in it; a line holding ``[]`` or a page
      without tweets counts 0), JSON records (Reddit threads: every post and
      comment, replies at any depth), Parquet rows. Reddit's "more comments"
      stubs are not mentions: ``not_mentions`` counts them, each with a note.
    * Rejected, never guessed: rows with the wrong number of fields, an unclosed
      quote (that line is rejected and reading resumes on the next line), broken
      JSON lines (a cut-off last line of a stream is one reject), empty text, a
      text field holding a JSON object or array, missing/unparseable/impossible/
      ambiguous timestamps, timestamps more than a day in the future, and texts
      that are only a mapping's placeholder (Reddit's ``[removed]``/``[deleted]``).
      Each reject has the 1-based physical line where the record starts (the CSV
      header is line 1 when there is no preamble; the sheet row for XLSX; the
      element's line for a JSON array, the record number inside other JSON
      documents), the record's number inside a JSON document or JSONL line, the
      column at fault, a sentence, and the raw text (capped at 2,000 characters).
      A record with several problems is one reject with all its reasons.
    * Duplicates: a ``mention_id`` seen earlier in the same load (any file)
      counts as a duplicate; the first occurrence is kept. Which ids are global
      and which are only meaningful inside a file: see
      :mod:`listening.ingest.mappings` (generic files get content ids).
      Cross-load duplicates are the store's business.

Values (every change is a row of ``report.notes``: see :mod:`listening.ingest.values`)
    * Timestamps: see :mod:`listening.ingest.timestamps` (ISO-8601 with or without
      offset, ``Z``, epoch seconds/milliseconds within a plausible window, zone
      abbreviations and ``tz_names``, ``date_order``, two-digit years, vendor
      formats; naive times are in ``tz`` or the mapping's own zone; at DST changes
      non-existent local times shift forward one hour and ambiguous ones take the
      earlier instant, both noted). Stored as UTC.
    * Text: kept whole (never truncated, surrounding spaces kept),
      NFC-normalised, NUL removed; X API text has its HTML entities (``&amp;``)
      unescaped, as the API escapes them.
    * Counts that are not whole numbers of 0 or more are rounded or left empty,
      platforms no list knows become the fallback platform (the original is kept
      in ``platform_raw``), unreadable language values are detected: all noted.
    * ``source`` is ``"<file>#<line>"`` (the physical line / sheet row / record
      number), ``<file>`` being the file name (or its path relative to the folder
      loaded when two files share a name).
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
from ..errors import MentionDataError, check_option
from ..text import detect_language, normalize_series
from . import values as convert
from .accounting import FileLoad, LoadReport, notes_frame, rejects_frame
from .encodings import Decoding
from .mappings import Mapping, apply_mapping, detect_mapping, get_mapping
from .readers import FORMATS, RawTable, note_row, read_file
from .timestamps import DATE_ORDERS, read_timestamps
from .zones import check_tz, zone_readings

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


def _structured_text(raw: RawTable, mapping: Mapping) -> tuple[RawTable, dict[int, str]]:
    """JSON text fields holding an object or array: blanked, and said what they hold.

    An object ``{"text": {...}}`` was flattened into ``text.*`` columns; an array
    stayed a list. Either way the record has no text to load, and its reject
    should say so rather than "text is empty".
    """
    held: dict[int, str] = {}
    if raw.format not in ("json", "jsonl") or raw.frame.empty:
        return raw, held
    frame = raw.frame
    lower = {str(c).lower(): c for c in frame.columns}
    for name in mapping.candidates("text"):
        key = name.lower()
        nested = [c for c in frame.columns if str(c).lower().startswith(key + ".")]
        if nested:
            filled = frame[nested].notna().to_numpy()
            for pos in np.flatnonzero(filled.any(axis=1)):
                fields = [str(c)[len(key) + 1:] for c, f in zip(nested, filled[pos]) if f]
                held.setdefault(int(pos), f"{name!r} holds a JSON object (fields "
                                f"{', '.join(fields[:5])}), not text")
        column = lower.get(key)
        if column is not None and frame[column].dtype == object:
            arrays = frame[column].map(lambda v: isinstance(v, (list, dict))).to_numpy(bool)
            if arrays.any():
                if frame is raw.frame:
                    frame = frame.copy()
                for pos in np.flatnonzero(arrays):
                    held.setdefault(int(pos), f"{name!r} holds a JSON array, not text")
                frame[column] = frame[column].where(~arrays, None)
    if frame is not raw.frame:
        raw = RawTable(frame, raw.lines, raw.raw, raw.format, raw.read, raw.rejects,
                       raw.encoding, raw.delimiter, raw.notes, raw.records, raw.changes,
                       raw.not_mentions)
    return raw, held


def _row_numbers(ids: pd.Series) -> bool:
    """True if the ids are only the rows' numbers (1, 2, 3, ... or 0, 1, 2, ... in order)."""
    if len(ids) < 2 or not bool(ids.str.fullmatch(r"[0-9]{1,9}").all()):
        return False
    number = ids.astype("int64[pyarrow]").to_numpy()
    return bool(number[0] in (0, 1) and (np.diff(number) == 1).all())


class _FileNotes:
    """The ``report.notes`` rows of one file."""

    def __init__(self, label: str, raw: RawTable) -> None:
        self.label, self.raw, self.rows = label, raw, list(raw.changes)

    def add(self, changes, column: str | None, *, positions=None) -> None:
        lines, records = self.raw.lines, self.raw.records
        for pos, value, action in changes:
            at = pos if positions is None else positions[pos]
            record = None if records is None else int(records[at])
            self.rows.append(note_row(self.label, int(lines[at]), column, value, action,
                                      record))


def _to_mentions(raw: RawTable, mapping: Mapping, *, path: Path, label: str, tz: str,
                 platform: str | None, date_order: str | None, tz_names: dict | None,
                 notes: _FileNotes, file_notes: list[str]
                 ) -> tuple[pd.DataFrame, list[dict], list[str]]:
    """Map one file's records; return candidate mentions, rejects and ignored columns."""
    raw, held = _structured_text(raw, mapping)
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
    reading = read_timestamps(values["timestamp"], tz=mapping.tz or tz, tz_names=tz_names,
                              date_order=date_order or mapping.date_order,
                              serial_dates=raw.format == "xlsx")
    stamps, why = reading.stamps, reading.reasons
    time_column = sources.get("timestamp") or "timestamp"
    file_notes += [f"{time_column}: {remark}" for remark in reading.remarks]
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
                columns.append(time_column)
            if placeholder[pos]:
                reasons.append(f"text is only the placeholder {stripped.iloc[pos]!r} "
                               "(deleted or removed content)")
            elif empty[pos] and pos in held:
                reasons.append(f"text is missing: {held[pos]}; map one of its fields, e.g. "
                               "mapping={'text': '<field>'}")
            elif empty[pos]:
                reasons.append("text is empty")
            if empty[pos]:
                columns.append(sources.get("text") or "text")
            rejects.append({"source": label, "line": int(raw.lines[pos]),
                            "column": ", ".join(columns),
                            "reason": _sentence("; ".join(reasons)), "raw": raws[k],
                            "record": None if raw.records is None else int(raw.records[pos])})
    keep = ~(empty | bad_time)
    changed = [(index.get_loc(k), action) for k, action in reading.changes.items()]
    notes.add([(pos, values["timestamp"].iloc[pos], action) for pos, action in changed
               if keep[pos]], time_column)
    out = pd.DataFrame(index=index)
    out["timestamp"] = stamps
    out["text"] = text
    for target in ("author", "url", "country"):
        out[target] = _blank_to_na(values[target]) if target in values else \
            pd.Series(None, index=index, dtype=_STRING)
    if keep.all():  # the usual case: no copy
        kept, sub = None, values
    else:
        kept = np.flatnonzero(keep)
        out = out[keep]
        sub = {target: series[keep] for target, series in values.items()}
    for target in ("likes", "shares", "comments", "reach"):
        if target in sub:
            out[target], changes = convert.counts(sub[target].reset_index(drop=True))
            out[target] = out[target].set_axis(out.index)
            notes.add(changes, sources.get(target) or target, positions=kept)
        else:
            out[target] = pd.Series(pd.NA, index=out.index, dtype="Int64")
    fallback = mapping.platform or platform or "other"
    fallback_from = (f"the {mapping.name} mapping's platform" if mapping.platform else
                     "the platform= argument" if platform else "no platform= given")
    plat, plat_raw, changes = convert.platforms(
        sub["platform"].reset_index(drop=True) if "platform" in sub else None,
        pd.RangeIndex(len(out)), fallback=fallback, fallback_from=fallback_from)
    notes.add(changes, sources.get("platform") or "platform", positions=kept)
    out["platform"] = plat.set_axis(out.index)
    out["platform_raw"] = plat_raw.set_axis(out.index)
    if "language" in sub:
        codes, changes = convert.languages(sub["language"].reset_index(drop=True))
        notes.add(changes, sources.get("language") or "language", positions=kept)
        out["language"] = codes.set_axis(out.index)
    else:
        out["language"] = pd.Series(None, index=out.index, dtype=object)
    out["source"] = (label + "#" + pd.Series(raw.lines[keep], index=out.index).astype(str)
                     ).astype(_STRING)
    out["mention_id"] = _mention_ids(sub.get("mention_id"), sources.get("mention_id"), out,
                                     mapping, file_notes)
    return out, rejects, ignored


def _mention_ids(ids: pd.Series | None, column: str | None, out: pd.DataFrame,
                 mapping: Mapping, file_notes: list[str]) -> pd.Series:
    """The source's ids where they are global; content ids elsewhere (see mappings.py)."""
    ids = _blank_to_na(ids) if ids is not None else pd.Series(None, index=out.index, dtype=_STRING)
    scoped = mapping.ids == "file" and (column or "").lower() != "mention_id"
    if ids.notna().any() and (scoped or _row_numbers(ids.dropna())):
        why = ("the generic mapping's ids mean something only inside their file" if scoped
               else "they are only the rows' numbers")
        file_notes.append(f"ids in column {column!r} were not used as mention ids ({why}); "
                          "each mention's id is made from its platform, author, time and text")
        ids = pd.Series(None, index=out.index, dtype=_STRING)
    missing = ids.isna()
    if missing.any():
        made = schema.make_mention_ids(out["platform"][missing], out["author"][missing],
                                       out["timestamp"][missing], out["text"][missing])
        ids = ids.where(~missing, made)
    return ids.astype(_STRING)


def _check_options(*, platform, tz, date_order, tz_names) -> None:
    check_tz("tz", tz)
    if platform is not None:
        check_option("platform", platform, schema.PLATFORMS)
    if date_order is not None:
        check_option("date_order", date_order, DATE_ORDERS,
                     hint="'dmy' reads 03/04/2026 as 3 April, 'mdy' as March 4")
    zone_readings(tz_names)


def load(path_or_paths, *, platform: str | None = None, tz: str = "UTC",
         date_order: str | None = None, tz_names: dict | None = None,
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
        IANA time zone of naive timestamps (default ``"UTC"``); a mapping that
        declares its source's zone (an API documented as UTC) keeps its own.
    date_order : {"dmy", "mdy"}, optional
        Order of day and month in dates such as ``03/04/2026`` or ``03/04/26``;
        default: the mapping's, else inferred per column (a column that never
        tells is rejected as ambiguous).
    tz_names : dict, optional
        What time-zone abbreviations after a time mean, for ambiguous or unknown
        ones: ``{"IST": "Asia/Kolkata"}`` (an IANA zone) or ``{"IST": "+05:30"}``.
    mapping : str, dict, or path to a YAML file, optional
        Force a mapping (a registered/built-in name, a table, or a YAML file)
        instead of recognising each file's source from its columns.
    progress : bool, optional
        Show a tqdm progress bar over files; default: only when loading several.

    Returns
    -------
    (frame, report)
        A mention frame (all :data:`listening.schema.MENTION_COLUMNS`, plus
        ``platform_raw``, validated) and a :class:`LoadReport` (``report.notes``
        lists every value changed or replaced).

    Raises
    ------
    MentionDataError
        A file cannot be used at all (see the module docstring for the cases).
    OptionError
        An option is not accepted (the message lists what is).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "m.csv").write_text(
    ...     "id,created_at,author,text,likes\\n"
    ...     "1860000000000000001,2026-03-01T12:00:00Z,@opp,Highway 401 closed,12\\n"
    ...     "1860000000000000002,not a date,@jane,Is it open yet?,3\\n"
    ...     "1860000000000000001,2026-03-01T12:00:00Z,@opp,Highway 401 closed,12\\n"
    ...     "1860000000000000003,2026-03-01T13:00:00Z,@bob,Open now,lots\\n")
    >>> frame, report = load(folder / "m.csv", platform="x", mapping={
    ...     "mention_id": "id", "timestamp": "created_at", "author": "author",
    ...     "text": "text", "likes": "likes"})
    >>> report.read, report.loaded, report.rejected, report.duplicates
    (4, 2, 1, 1)
    >>> int(report.rejects.loc[0, "line"]), report.rejects.loc[0, "reason"]
    (3, "Timestamp 'not a date' is not a date or time this loader knows")
    >>> report.notes[["line", "column", "value", "action"]].values.tolist()
    [[5, 'likes', 'lots', 'left empty (not a number)']]
    """
    return _load(path_or_paths, platform=platform, tz=tz, date_order=date_order,
                 tz_names=tz_names, mapping=mapping, progress=progress)


def _load(path_or_paths, *, platform, tz, date_order, tz_names, mapping, progress,
          decoding: Decoding | None = None) -> tuple[pd.DataFrame, LoadReport]:
    """:func:`load`, with the text decoding imposed (``load_to_parquet`` passes it)."""
    _check_options(platform=platform, tz=tz, date_order=date_order, tz_names=tz_names)
    forced = get_mapping(mapping) if mapping is not None else None
    files = _expand(path_or_paths)
    labels = _labels(files)
    show = len(files) > 1 if progress is None else bool(progress)
    iterator: Iterable = zip(files, labels)
    if show:
        from tqdm.auto import tqdm

        iterator = tqdm(list(iterator), desc="loading files", unit="file",
                        disable=None if progress is None else False)
    frames, reports, rejects, notes = [], [], [], []
    for number, (path, label) in enumerate(iterator):
        raw, digest = read_file(path, label=label, decoding=decoding)
        for r in raw.rejects:
            r["source"] = label
        entry = FileLoad(path=str(path), sha256=digest, format=raw.format, mapping=None,
                         read=raw.read, rejected=len(raw.rejects), encoding=raw.encoding,
                         delimiter=raw.delimiter, notes=list(raw.notes),
                         not_mentions=raw.not_mentions)
        file_rejects = list(raw.rejects)
        file_notes = _FileNotes(label, raw)
        if len(raw.frame.columns) == 0:
            entry.notes.append("no records")
        else:
            chosen = forced or detect_mapping(raw.frame.columns, path=path)
            entry.mapping = chosen.name
            mentions, bad, ignored = _to_mentions(
                raw, chosen, path=path, label=label, tz=tz, platform=platform,
                date_order=date_order, tz_names=tz_names, notes=file_notes,
                file_notes=entry.notes)
            mentions["_file"] = number
            frames.append(mentions)
            file_rejects += bad
            entry.rejected += len(bad)
            entry.ignored_columns = ignored
        rejects += sorted(file_rejects, key=lambda r: (r["line"] is None, r["line"] or 0,
                                                       r.get("record") or 0))
        notes += sorted(file_notes.rows, key=lambda r: (r["line"] is None, r["line"] or 0,
                                                        r.get("record") or 0))
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
        result = schema.empty_frame().assign(platform_raw=pd.Series(dtype=schema.STRING_DTYPE))
    else:
        frame = frame.drop(columns="_file").reset_index(drop=True)
        need = frame["language"].isna()
        if need.any():
            texts = frame.loc[need, "text"].str.slice(0, DETECT_CHARS)
            frame.loc[need, "language"] = detect_language(texts).astype(object).to_numpy()
        result = schema.coerce(frame[[*schema.MENTION_COLUMNS, "platform_raw"]])
    schema.validate(result)
    report = LoadReport(read=sum(f.read for f in reports), loaded=len(result),
                        rejected=len(rejects),
                        duplicates=sum(f.duplicates for f in reports),
                        rejects=rejects_frame(rejects), files=reports,
                        notes=notes_frame(notes),
                        not_mentions=sum(f.not_mentions for f in reports))
    return result, report.check()
