"""Load one CSV or JSONL file larger than memory into a folder of Parquet parts.

``load_to_parquet(path, folder, *, chunk_bytes=64 MiB, ...)`` reads the file
incrementally, cuts it at record boundaries into chunks of about
``chunk_bytes``, loads each chunk with :func:`listening.ingest.load` and writes
its mentions to ``folder/part-00000.parquet``, ``part-00001.parquet``, ... The
returned :class:`~listening.ingest.accounting.LoadReport` is the one loading
the whole file would give: the same counts (``read == loaded + rejected +
duplicates``), the same rejects (``source``, physical ``line``, reason), the same
``source`` column (``"<file>#<line>"``) and one per-file entry naming the
original file with the SHA-256 of all its bytes.

The in-memory limit
    :func:`listening.load` (``ls.load``) holds the whole file's bytes and the
    resulting frame in memory at once: about 1.5 KB per mention (the bytes, the
    parsed fields and the mention frame), so a few million mentions need several
    GB. Beyond what fits, call ``load_to_parquet(path, folder)`` and then
    ``ls.enrich(folder + "/*.parquet", engine="dask", output=...)``, which enriches
    partition by partition. This loader holds one chunk at a time (about
    ``chunk_bytes`` of text, and that chunk's frame) plus the set of mention ids
    already seen, about 100 bytes per mention (an id string and its set slot), so
    cross-chunk duplicates are counted as :func:`load` counts them.

Decisions
    * Chunks end at record boundaries, found in the raw bytes: JSONL/NDJSON at
      any newline; CSV (``.csv .tsv .txt``) at a newline outside double quotes
      (quote parity since the record's start; doubled quotes keep parity), with
      the same rule :mod:`~listening.ingest.delimited` uses for an opening quote
      never closed (that single line is a record). Every CSV chunk after the first
      gets the header line(s) prepended; the byte-order mark stays in the first.
    * Results equal the whole-file load for files whose quoting is well formed
      (embedded newlines, doubled quotes, ragged rows, bad values, duplicates,
      preambles, ``\r\n``), and for an unclosed quote not followed by other odd
      quotes. Where quoting is broken and later quotes re-pair the lines, the
      whole-file load reads the *whole file* row by row while each chunk chooses
      its own reader, so recovery can differ; the counts still balance.
    * The first CSV chunk holds at least the records the delimiter and header are
      chosen from (:data:`FIRST_CHUNK_RECORDS`), so it chooses as the whole-file
      load does; a later chunk read with another delimiter, mapping or header
      position raises :class:`~listening.errors.MentionDataError` (raise
      ``chunk_bytes``).
    * The encoding is decided once for the whole file, by a first pass over its
      bytes, with the rule :func:`~listening.ingest.load` uses (UTF-8 with a
      per-line Windows-1252 fallback, or a legacy encoding), and imposed on every
      chunk: each line decodes to the same text as in a whole-file load. The pass
      costs one extra read of the file (blocks validated by Arrow; lines are only
      split when a block is not UTF-8). UTF-16/UTF-32 files cannot be cut at byte
      newlines and are refused: re-save as UTF-8. A file with classic Mac ``\\r``
      line ends is one line, so one chunk.
    * XLSX and JSON documents are refused (convert to CSV/JSONL); Parquet is
      refused too because it is already read partition by partition by
      ``ls.enrich(path, engine="dask")``.
    * ``folder`` is created if needed and must hold no ``part-*.parquet`` already.
      Chunks with no mentions write no part, except that a file with no mentions at
      all writes one empty part, so the folder is always readable as a dataset.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import MentionDataError
from .accounting import FileLoad, LoadReport, notes_frame, rejects_frame
from .delimited import _SNIFF_RECORDS, MAX_RECORD_LINES, _locate_header, sniff_sample
from .encodings import Decoding, DecodingScan, is_utf8, unicode_signature
from .load import _load
from .readers import FORMATS

__all__ = ["CHUNK_BYTES", "FIRST_CHUNK_RECORDS", "load_to_parquet"]

# Default chunk: 64 MiB of text is ~50,000 mentions and ~100 MB of working memory
# in load(), small next to a laptop's RAM and large enough that per-chunk costs vanish.
CHUNK_BYTES = 64 * 2**20
# The whole-file loader chooses the CSV delimiter and header from its first records
# (listening.ingest.delimited's sample); the first chunk always holds them.
FIRST_CHUNK_RECORDS = _SNIFF_RECORDS
_STREAMED = {"csv", "jsonl"}
# File notes whose count is per chunk: the streaming report writes its own total.
_PER_CHUNK_NOTES = ("line(s) were not valid UTF-8",)
_STRING = pd.StringDtype("pyarrow")


def _refuse_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt in _STREAMED:
        return fmt
    if fmt == "parquet":
        raise MentionDataError(
            f"{path}: is already Parquet, which Dask reads partition by partition; enrich it "
            "directly with ls.enrich(path, engine='dask', output=...)", path=str(path))
    raise MentionDataError(
        f"{path}: load_to_parquet streams CSV (.csv .tsv .txt) or JSONL (.jsonl .ndjson) "
        f"files only, not {path.suffix or '(no extension)'!r}; convert the file to CSV or "
        "JSONL (or Parquet, which Dask reads directly), or load it with ls.load",
        path=str(path))


def _csv_records(lines: Iterator[bytes]) -> Iterator[list[bytes]]:
    """Group physical lines into CSV records exactly as ``delimited._split_records`` does."""
    pushed: deque[bytes] = deque()

    def take() -> bytes | None:
        return pushed.popleft() if pushed else next(lines, None)

    while True:
        line = take()
        if line is None:
            return
        if line.count(b'"') % 2 == 0:
            yield [line]
            continue
        group, parity = [line], 1
        while len(group) < MAX_RECORD_LINES:
            following = take()
            if following is None:
                break
            group.append(following)
            parity += following.count(b'"')
            if parity % 2 == 0:
                break
        if parity % 2 == 0:
            yield group
        else:  # never closed: that line alone is a (rejected) record; resume after it
            yield [line]
            pushed.extendleft(reversed(group[1:]))


def _header_lines(first: list[bytes], bom: int) -> slice:
    """The physical lines of the first chunk that hold the header (after any preamble)."""
    data = b"".join(first)[bom:].replace(b"\x00", b"").replace(b"\r\n", b"\n")
    _, header_line, header_record = _locate_header(sniff_sample(data))
    return slice(header_line - 1, header_line + header_record.count("\n"))


# Bytes read at a time by the encoding pass.
_SCAN_BLOCK = 64 * 2**20


def _blocks(path: Path, bom: int) -> Iterator[bytes]:
    """The file after its byte-order mark, in blocks of about :data:`_SCAN_BLOCK` bytes
    that end at a newline (the newline left out)."""
    with open(path, "rb") as handle:
        handle.seek(bom)
        rest = b""
        while block := handle.read(_SCAN_BLOCK):
            block = rest + block
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                rest = block
                continue
            yield block[:cut - 1]
            rest = block[cut:]
        if rest:
            yield rest


def _scan_decoding(path: Path, bom: int) -> Decoding:
    """The whole file's :class:`~listening.ingest.encodings.Decoding`.

    A pass validates the blocks (the usual case, all UTF-8, ends there); only a
    file with a block that is not UTF-8 is read again, line by line, to choose.
    """
    if all(is_utf8(block) for block in _blocks(path, bom)):
        return Decoding("utf-8")
    scan = DecodingScan()
    for block in _blocks(path, bom):
        scan.update(block)
    return scan.result()


def _chunks(path: Path, fmt: str, chunk_bytes: int, digest, bar
            ) -> Iterator[tuple[int, list[bytes]]]:
    """Yield ``(first physical line, lines)`` per chunk, hashing and counting the bytes read."""
    with open(path, "rb") as handle:
        def lines() -> Iterator[bytes]:
            for line in handle:
                digest.update(line)
                if bar is not None:
                    bar.update(len(line))
                yield line

        records: Iterator[list[bytes]] = _csv_records(lines()) if fmt == "csv" else \
            ([line] for line in lines())
        chunk: list[bytes] = []
        size, start, first = 0, 1, True
        for count, record in enumerate(records, start=1):
            chunk += record
            size += sum(len(line) for line in record)
            if size >= chunk_bytes and (not first or fmt != "csv"
                                        or count >= FIRST_CHUNK_RECORDS):
                yield start, chunk
                start += len(chunk)
                chunk, size, first = [], 0, False
        if chunk or first:
            yield start, chunk


def _rebase(message: str, temp: Path, path: Path) -> str:
    return message.replace(str(temp), str(path))


def load_to_parquet(path, folder, *, chunk_bytes: int = CHUNK_BYTES, platform: str | None = None,
                    tz: str = "UTC", date_order: str | None = None,
                    tz_names: dict | None = None, mapping=None,
                    progress: bool | None = None) -> LoadReport:
    """Load one CSV or JSONL file chunk by chunk into ``folder/part-NNNNN.parquet``.

    Parameters
    ----------
    path : str or Path
        One ``.csv``/``.tsv``/``.txt`` or ``.jsonl``/``.ndjson`` file, of any size.
    folder : str or Path
        Output folder (created if missing; must not already hold ``part-*.parquet``).
    chunk_bytes : int
        Approximate bytes of the file loaded at a time (default 64 MiB); a chunk
        ends at the first record boundary past this size.
    platform, tz, date_order, tz_names, mapping
        As for :func:`listening.ingest.load`.
    progress : bool, optional
        tqdm bar over the file's bytes; default: only in a terminal or notebook.

    Returns
    -------
    LoadReport
        The report :func:`listening.ingest.load` gives for the whole file (counts,
        rejects, notes, one file entry with the file's SHA-256). The parts hold the
        mention frame it returns (all :data:`listening.schema.MENTION_COLUMNS`),
        in file order.

    Raises
    ------
    MentionDataError
        The file is not CSV/JSONL, is UTF-16/32, cannot be used at all (as for
        :func:`load`), a chunk reads differently from the first (raise
        ``chunk_bytes``), or ``folder`` already holds parts.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (tmp / "m.csv").write_text("id,created_at,text\\n" + "".join(
    ...     f"{k},2026-03-01T12:00:00Z,post {k}\\n" for k in range(100))
    ...     + "7,bad,x\\n7,2026-03-01T12:00:00Z,post 7\\n")
    >>> report = load_to_parquet(tmp / "m.csv", tmp / "out", chunk_bytes=500, platform="x")
    >>> report.read, report.loaded, report.rejected, report.duplicates
    (102, 100, 1, 1)
    >>> len(list((tmp / "out").glob("part-*.parquet")))
    5
    """
    path = Path(os.fspath(path)).expanduser()
    folder = Path(os.fspath(folder)).expanduser()
    if not path.is_file():
        raise MentionDataError(f"{path}: no such file", path=str(path))
    if int(chunk_bytes) < 1:
        raise MentionDataError(f"chunk_bytes={chunk_bytes!r} must be a positive number of bytes")
    fmt = _refuse_format(path)
    with open(path, "rb") as handle:
        head = handle.read(4096)
    encoding, bom = unicode_signature(head)
    if encoding not in (None, "utf-8-sig"):
        raise MentionDataError(
            f"{path}: is {encoding}, which cannot be cut into chunks at line ends; re-save it as "
            "UTF-8 (or load it whole with ls.load)", path=str(path))
    decoding = _scan_decoding(path, bom)
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.glob("part-*.parquet")):
        raise MentionDataError(f"{folder}: already holds part-*.parquet files; choose an empty "
                               "folder so old parts are not mixed with this load",
                               path=str(folder))
    bar = None
    if progress is None or progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=path.stat().st_size, desc=f"loading {path.name}", unit="B",
                   unit_scale=True, disable=None if progress is None else False)
    digest = hashlib.sha256()
    seen: set[str] = set()
    label = path.name
    entry: FileLoad | None = None
    rejects: list[pd.DataFrame] = []
    notes: list[pd.DataFrame] = []
    header: list[bytes] = []
    written, empty = 0, None
    try:
        with tempfile.TemporaryDirectory(prefix="listening-stream-") as tmp:
            temp = Path(tmp) / path.name  # same name: load() labels records with it
            for number, (start, lines) in enumerate(_chunks(path, fmt, int(chunk_bytes),
                                                            digest, bar)):
                if number > 0 and not any(line.strip() for line in lines):
                    continue  # blank lines only: no records
                if fmt == "csv" and number == 0:
                    where = _header_lines(lines, bom)
                    header = lines[where]
                    if where.start == 0 and header:  # the BOM stays in the first chunk
                        header[0] = header[0][bom:]
                prefix = header if fmt == "csv" and number > 0 else []
                with open(temp, "wb") as out:
                    out.writelines(prefix)
                    if prefix and not prefix[-1].endswith(b"\n"):
                        out.write(b"\n")
                    out.writelines(lines)
                shift = start - 1 - len(prefix)
                del lines
                try:
                    frame, part = _load(temp, platform=platform, tz=tz, date_order=date_order,
                                        tz_names=tz_names, mapping=mapping, progress=False,
                                        decoding=decoding)
                except MentionDataError as exc:
                    raise MentionDataError(_rebase(str(exc), temp, path),
                                           path=str(path)) from None
                chunk = part.files[0]
                if entry is None:
                    entry = FileLoad(path=str(path.resolve()), sha256="", format=chunk.format,
                                     mapping=chunk.mapping, encoding=chunk.encoding,
                                     delimiter=chunk.delimiter,
                                     ignored_columns=list(chunk.ignored_columns))
                else:
                    _same_reading(entry, chunk, start, path)
                for note in chunk.notes:
                    if note not in entry.notes and note != "no records" \
                            and not note.startswith(_PER_CHUNK_NOTES):
                        entry.notes.append(note)
                frame, cross = _drop_seen(frame, seen)
                if shift:
                    frame["source"] = _shift_sources(frame["source"], label, shift)
                if len(part.rejects):
                    fixed = part.rejects.copy()
                    fixed["line"] = fixed["line"] + shift
                    rejects.append(fixed)
                if len(part.notes):  # a header line's note is made once, by the first chunk
                    fixed = part.notes[~(part.notes["line"] <= len(prefix)).fillna(False)].copy()
                    fixed["line"] = fixed["line"] + shift
                    notes.append(fixed)
                entry.not_mentions += chunk.not_mentions
                entry.read += chunk.read
                entry.rejected += chunk.rejected
                entry.duplicates += chunk.duplicates + cross
                entry.loaded += chunk.loaded - cross
                if len(frame):
                    frame.to_parquet(folder / f"part-{written:05d}.parquet", index=False)
                    written += 1
                elif empty is None:
                    empty = frame
                del frame
    finally:
        if bar is not None:
            bar.close()
    assert entry is not None  # the first chunk is always loaded
    entry.sha256 = digest.hexdigest()
    fell = sum(int(n["action"].str.startswith("decoded as").sum()) for n in notes)
    if fell:
        entry.notes.append(f"{fell} line(s) were not valid UTF-8 (the rest of the file is) and "
                           "were decoded as Windows-1252; see report.notes")
    if written == 0 and empty is not None:
        empty.to_parquet(folder / "part-00000.parquet", index=False)
    table = pd.concat(rejects, ignore_index=True) if rejects else rejects_frame([])
    noted = pd.concat(notes, ignore_index=True) if notes else notes_frame([])
    report = LoadReport(read=entry.read, loaded=entry.loaded, rejected=entry.rejected,
                        duplicates=entry.duplicates, rejects=table, files=[entry],
                        notes=noted, not_mentions=entry.not_mentions)
    return report.check()


def _same_reading(entry: FileLoad, chunk: FileLoad, start: int, path: Path) -> None:
    """Refuse a chunk that the loader read differently from the first one."""
    problems = []
    if chunk.delimiter != entry.delimiter:
        problems.append(f"delimiter {chunk.delimiter!r} instead of {entry.delimiter!r}")
    if chunk.mapping is not None and entry.mapping is not None \
            and chunk.mapping != entry.mapping:
        problems.append(f"mapping {chunk.mapping!r} instead of {entry.mapping!r}")
    if entry.mapping is None:
        entry.mapping = chunk.mapping
    if any("above the header" in note for note in chunk.notes):
        problems.append("a preamble above the header")
    for column in chunk.ignored_columns:
        if column not in entry.ignored_columns:
            entry.ignored_columns.append(column)
    if problems:
        raise MentionDataError(
            f"{path}: the chunk starting at line {start} was read with {'; '.join(problems)}, "
            "unlike the start of the file; raise chunk_bytes so the first chunk shows more "
            "records, or pass mapping=...", path=str(path))


def _drop_seen(frame: pd.DataFrame, seen: set[str]) -> tuple[pd.DataFrame, int]:
    """Drop mentions whose id an earlier chunk loaded; remember this chunk's ids."""
    again = np.fromiter((i in seen for i in frame["mention_id"].tolist()), dtype=bool,
                        count=len(frame))
    if again.any():
        frame = frame[~again].reset_index(drop=True)
        cross = int(again.sum())
    else:
        cross = 0
    seen.update(frame["mention_id"].tolist())
    return frame, cross


def _shift_sources(sources: pd.Series, label: str, shift: int) -> pd.Series:
    """``"<label>#<line>"`` with the line moved from the chunk file to the original file."""
    lines = sources.str.slice(len(label) + 1).astype("int64") + shift
    return (label + "#" + lines.astype(str)).astype(sources.dtype)
