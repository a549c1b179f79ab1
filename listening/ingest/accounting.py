"""The load report: what was read, loaded, rejected and counted as duplicate, per file.

The invariant ``read == loaded + rejected + duplicates`` holds for the whole
report and for every file in it; :meth:`LoadReport.check` asserts it.

Records that are not mentions (Reddit's ``kind == "more"`` stubs: "more comments
exist, not in this file") are not part of ``read``: they are counted in
``not_mentions`` and each is listed in ``notes``. So every record a file holds is
loaded, rejected, a duplicate or not a mention:
``found == read + not_mentions == loaded + rejected + duplicates + not_mentions``.

``notes`` lists every value the loader changed or replaced (and every record that
is not a mention): a frame of :data:`NOTE_COLUMNS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["NOTE_COLUMNS", "REJECT_COLUMNS", "FileLoad", "LoadReport"]

REJECT_COLUMNS: tuple[str, ...] = ("source", "line", "column", "reason", "raw", "record")
NOTE_COLUMNS: tuple[str, ...] = ("source", "line", "record", "column", "value", "action")
# Rows of rejects shown by str(report).
_SHOWN_REASONS = 8
_DTYPES = {"source": "string", "line": "Int64", "record": "Int64", "column": "string",
           "reason": "string", "raw": "string", "value": "string", "action": "string"}


def _frame(rows: list[dict], columns: tuple[str, ...]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame({c: pd.Series([], dtype=_DTYPES[c]) for c in columns})
    frame = pd.DataFrame(rows, columns=list(columns))
    return frame.astype({c: _DTYPES[c] for c in columns})


def empty_rejects() -> pd.DataFrame:
    return _frame([], REJECT_COLUMNS)


def rejects_frame(rows: list[dict]) -> pd.DataFrame:
    """Rejects as a DataFrame with :data:`REJECT_COLUMNS` and stable dtypes.

    ``record`` is the record's 1-based number inside its JSON document or JSONL
    line (so the records of a one-line JSON array are told apart); empty for
    CSV, XLSX and Parquet, whose ``line`` already names one record.
    """
    return _frame(rows, REJECT_COLUMNS)


def empty_notes() -> pd.DataFrame:
    return _frame([], NOTE_COLUMNS)


def notes_frame(rows: list[dict]) -> pd.DataFrame:
    """Notes as a DataFrame with :data:`NOTE_COLUMNS` and stable dtypes."""
    return _frame(rows, NOTE_COLUMNS)


@dataclass
class FileLoad:
    """One file's part of a load."""

    path: str
    sha256: str
    format: str
    mapping: str | None
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    duplicates: int = 0
    encoding: str | None = None
    delimiter: str | None = None
    ignored_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    not_mentions: int = 0


@dataclass
class LoadReport:
    """Accounting of one :func:`listening.load` call.

    Attributes
    ----------
    read, loaded, rejected, duplicates : int
        Mention records found; mentions returned; records refused (see
        ``rejects``); records whose ``mention_id`` had already been loaded in this
        load. ``read == loaded + rejected + duplicates`` always.
    not_mentions : int
        Records found that are not mentions and so not in ``read`` (Reddit's
        "more comments" stubs); each one is a row of ``notes``.
    rejects : DataFrame
        One row per rejected record: ``source`` (file), ``line`` (1-based physical
        line where the record starts; sheet row for XLSX), ``column`` (the field
        at fault, if one), ``reason`` (a sentence), ``raw`` (the record's text,
        capped at a couple of thousand characters), ``record`` (its number inside
        a JSON document or JSONL line).
    notes : DataFrame
        One row per value the loader changed or replaced, and per record that is
        not a mention: ``source``, ``line``, ``record``, ``column``, ``value`` (as the
        file gave it), ``action`` (what was done, in a sentence).
    files : list of FileLoad
        Per file: path, sha256, format, mapping name, the counts, encoding,
        delimiter, ``ignored_columns`` (source columns no mapping field used) and
        ``notes`` (sentences about the whole file).
    """

    read: int = 0
    loaded: int = 0
    rejected: int = 0
    duplicates: int = 0
    rejects: pd.DataFrame = field(default_factory=empty_rejects)
    files: list[FileLoad] = field(default_factory=list)
    notes: pd.DataFrame = field(default_factory=empty_notes)
    not_mentions: int = 0

    @property
    def ignored_columns(self) -> dict[str, list[str]]:
        """Source columns that were not used, by file."""
        return {f.path: list(f.ignored_columns) for f in self.files if f.ignored_columns}

    def check(self) -> LoadReport:
        """Raise AssertionError unless the counts add up, overall and per file."""
        problems = []
        if self.read != self.loaded + self.rejected + self.duplicates:
            problems.append("read != loaded + rejected + duplicates")
        if self.rejected != len(self.rejects):
            problems.append(f"rejected={self.rejected} but {len(self.rejects)} reject rows")
        stubs = int(self.notes["action"].str.startswith("not a mention").fillna(False).sum()) \
            if len(self.notes) else 0
        if self.not_mentions != stubs:
            problems.append(f"not_mentions={self.not_mentions} but {stubs} such notes")
        problems += [f"{f.path}: read != loaded + rejected + duplicates" for f in self.files
                     if f.read != f.loaded + f.rejected + f.duplicates]
        if self.files and (self.read != sum(f.read for f in self.files)
                           or self.not_mentions != sum(f.not_mentions for f in self.files)):
            problems.append("files do not add up to the total")
        if problems:
            raise AssertionError(f"load report does not balance: {'; '.join(problems)}\n{self}")
        return self

    def merge(self, other: LoadReport) -> LoadReport:
        """A new report covering both loads (counts added, rejects and files appended)."""
        parts = [r for r in (self.rejects, other.rejects) if len(r)]
        rejects = pd.concat(parts, ignore_index=True) if parts else empty_rejects()
        parts = [n for n in (self.notes, other.notes) if len(n)]
        notes = pd.concat(parts, ignore_index=True) if parts else empty_notes()
        return LoadReport(read=self.read + other.read, loaded=self.loaded + other.loaded,
                          rejected=self.rejected + other.rejected,
                          duplicates=self.duplicates + other.duplicates,
                          rejects=rejects, files=[*self.files, *other.files], notes=notes,
                          not_mentions=self.not_mentions + other.not_mentions)

    def to_frame(self) -> pd.DataFrame:
        """One row per file (path, format, mapping, read, loaded, rejected, duplicates, sha256,
        encoding, ignored_columns, notes) and a final ``TOTAL`` row."""
        rows = [{"path": f.path, "format": f.format, "mapping": f.mapping or "", "read": f.read,
                 "loaded": f.loaded, "rejected": f.rejected, "duplicates": f.duplicates,
                 "not_mentions": f.not_mentions, "sha256": f.sha256, "encoding": f.encoding or "",
                 "ignored_columns": ", ".join(f.ignored_columns), "notes": "; ".join(f.notes)}
                for f in self.files]
        rows.append({"path": "TOTAL", "format": "", "mapping": "", "read": self.read,
                     "loaded": self.loaded, "rejected": self.rejected,
                     "duplicates": self.duplicates, "not_mentions": self.not_mentions,
                     "sha256": "", "encoding": "", "ignored_columns": "", "notes": ""})
        return pd.DataFrame(rows)

    def notes_summary(self) -> str:
        """One line on ``notes``: how many values were changed, by kind, and the stubs.

        >>> LoadReport().notes_summary()
        'notes: no value was changed'
        """
        if not len(self.notes):
            return "notes: no value was changed"
        stubs = self.notes["action"].str.startswith("not a mention").fillna(False)
        changed = self.notes[~stubs]
        # an action reads "<what was done> (<why>)" or "<what was done>: <details>"; a
        # leading date or time (DST notes: "2026-11-01 01:02:00 happens twice ...") is
        # the value, not the kind of change
        kind = (changed["action"].str.replace(r"^[0-9][0-9:\-T. +]*\s", "", regex=True)
                .str.split(r"\(|: |;", n=1, regex=True).str[0].str.strip()
                .str.replace(r"'[^']*'", "'…'", regex=True)
                .str.replace(r"[0-9]+", "#", regex=True))
        label = (changed["column"].fillna("line") + " " + kind).value_counts(sort=False)
        label = label.sort_values(ascending=False, kind="stable")
        parts = [f"{n} × {what}" for what, n in label.head(3).items()]
        if len(label) > 3:
            parts.append(f"{int(label.iloc[3:].sum())} other")
        text = f"notes: {len(changed)} value(s) changed"
        text += (" (" + "; ".join(parts) + ")") if parts else ""
        if self.not_mentions:
            hidden = self.notes.loc[stubs, "action"].str.extract(r"(\d+) comment")[0]
            more = int(pd.to_numeric(hidden, errors="coerce").fillna(0).sum())
            text += (f"; {self.not_mentions} record(s) not a mention ('more comments' stubs: "
                     f"{more} comment(s) exist, not in the file)")
        return text + "; see report.notes"

    def __str__(self) -> str:
        columns = ["path", "format", "mapping", "read", "loaded", "rejected", "duplicates"]
        if self.not_mentions:
            columns.append("not_mentions")
        table = self.to_frame()[columns]
        lines = [table.to_string(index=False)]
        for f in self.files:
            extra = []
            if f.ignored_columns:
                shown = ", ".join(f.ignored_columns[:10])
                more = f" and {len(f.ignored_columns) - 10} more" if len(f.ignored_columns) > 10 \
                    else ""
                extra.append(f"ignored columns: {shown}{more}")
            extra += f.notes
            if extra:
                lines.append(f"{f.path}: " + "; ".join(extra))
        if len(self.rejects):
            lines.append("rejected records by reason:")
            reasons = (self.rejects["reason"].str.replace(r"'[^']*'", "'…'", regex=True)
                       .value_counts().head(_SHOWN_REASONS))
            for reason, count in reasons.items():
                lines.append(f"  {count:>7}  {reason}")
            first = self.rejects.iloc[0]
            lines.append(f"first: {first['source']} line {first['line']}: {first['reason']}")
        lines.append(self.notes_summary())
        return "\n".join(lines)
