"""The load report: what was read, loaded, rejected and counted as duplicate, per file.

The invariant ``read == loaded + rejected + duplicates`` holds for the whole
report and for every file in it; :meth:`LoadReport.check` asserts it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["REJECT_COLUMNS", "FileLoad", "LoadReport"]

REJECT_COLUMNS: tuple[str, ...] = ("source", "line", "column", "reason", "raw")
# Rows of rejects shown by str(report).
_SHOWN_REASONS = 8


def empty_rejects() -> pd.DataFrame:
    return pd.DataFrame({
        "source": pd.Series([], dtype="string"), "line": pd.Series([], dtype="Int64"),
        "column": pd.Series([], dtype="string"), "reason": pd.Series([], dtype="string"),
        "raw": pd.Series([], dtype="string")})


def rejects_frame(rows: list[dict]) -> pd.DataFrame:
    """Rejects as a DataFrame with :data:`REJECT_COLUMNS` and stable dtypes."""
    if not rows:
        return empty_rejects()
    frame = pd.DataFrame(rows, columns=list(REJECT_COLUMNS))
    return frame.astype({"source": "string", "line": "Int64", "column": "string",
                         "reason": "string", "raw": "string"})


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


@dataclass
class LoadReport:
    """Accounting of one :func:`listening.load` call.

    Attributes
    ----------
    read, loaded, rejected, duplicates : int
        Records found; mentions returned; records refused (see ``rejects``);
        records whose ``mention_id`` had already been loaded in this load.
        ``read == loaded + rejected + duplicates`` always.
    rejects : DataFrame
        One row per rejected record: ``source`` (file), ``line`` (1-based physical
        line where the record starts; sheet row for XLSX), ``column`` (the field
        at fault, if one), ``reason`` (a sentence), ``raw`` (the record's text,
        capped at a couple of thousand characters).
    files : list of FileLoad
        Per file: path, sha256, format, mapping name, the four counts, encoding,
        delimiter, ``ignored_columns`` (source columns no mapping field used) and notes.
    """

    read: int = 0
    loaded: int = 0
    rejected: int = 0
    duplicates: int = 0
    rejects: pd.DataFrame = field(default_factory=empty_rejects)
    files: list[FileLoad] = field(default_factory=list)

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
        problems += [f"{f.path}: read != loaded + rejected + duplicates" for f in self.files
                     if f.read != f.loaded + f.rejected + f.duplicates]
        if self.files and self.read != sum(f.read for f in self.files):
            problems.append("files do not add up to the total")
        if problems:
            raise AssertionError(f"load report does not balance: {'; '.join(problems)}\n{self}")
        return self

    def merge(self, other: LoadReport) -> LoadReport:
        """A new report covering both loads (counts added, rejects and files appended)."""
        parts = [r for r in (self.rejects, other.rejects) if len(r)]
        rejects = pd.concat(parts, ignore_index=True) if parts else empty_rejects()
        return LoadReport(read=self.read + other.read, loaded=self.loaded + other.loaded,
                          rejected=self.rejected + other.rejected,
                          duplicates=self.duplicates + other.duplicates,
                          rejects=rejects, files=[*self.files, *other.files])

    def to_frame(self) -> pd.DataFrame:
        """One row per file (path, format, mapping, read, loaded, rejected, duplicates, sha256,
        encoding, ignored_columns, notes) and a final ``TOTAL`` row."""
        rows = [{"path": f.path, "format": f.format, "mapping": f.mapping or "", "read": f.read,
                 "loaded": f.loaded, "rejected": f.rejected, "duplicates": f.duplicates,
                 "sha256": f.sha256, "encoding": f.encoding or "",
                 "ignored_columns": ", ".join(f.ignored_columns), "notes": "; ".join(f.notes)}
                for f in self.files]
        rows.append({"path": "TOTAL", "format": "", "mapping": "", "read": self.read,
                     "loaded": self.loaded, "rejected": self.rejected,
                     "duplicates": self.duplicates, "sha256": "", "encoding": "",
                     "ignored_columns": "", "notes": ""})
        return pd.DataFrame(rows)

    def __str__(self) -> str:
        table = self.to_frame()[["path", "format", "mapping", "read", "loaded", "rejected",
                                 "duplicates"]]
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
        return "\n".join(lines)
