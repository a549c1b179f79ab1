"""Mentions in and out: ``add`` (idempotent, with its audit row) and ``mentions`` (filters)."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from ..errors import SchemaError, StoreError
from ..schema import MENTION_COLUMNS, OPTIONAL_COLUMNS, PLATFORMS, coerce, validate
from ..windows import parse_window
from . import audit, enrichment
from .sql import now, quote, registered, run, to_frame
from .tables import is_enrichment_column, mentions_table, stored_mention_columns


@dataclasses.dataclass(frozen=True)
class FileCounts:
    """One input file's share of an import, after counting what the store already held."""

    path: str
    read: int
    loaded: int
    rejected: int
    duplicates: int


@dataclasses.dataclass(frozen=True)
class AddResult:
    """What :meth:`Store.add` stored: ``read == loaded + rejected + duplicates``.

    ``loaded`` (also ``added``) counts the mentions this import stored;
    ``duplicates`` those already in the store or repeated in the input. ``files``
    gives the same counts per input file when a loader's report named them.
    The caller's ``LoadReport`` is never changed.
    """

    import_id: str
    read: int
    loaded: int
    rejected: int
    duplicates: int
    files: tuple[FileCounts, ...] = ()

    @property
    def added(self) -> int:
        return self.loaded

    def __str__(self) -> str:
        return (f"import {self.import_id}: {self.read:,} read, {self.loaded:,} stored, "
                f"{self.rejected:,} rejected, {self.duplicates:,} duplicates")


@dataclasses.dataclass(frozen=True)
class PreparedAdd:
    """An import checked and converted, ready for one transaction."""

    import_id: str
    started: pd.Timestamp
    incoming: pa.Table
    enrichment: pa.Table | None
    n_input: int
    n_repeated: int
    repeated_sources: list
    report: object
    paths: list[str]
    digests: list
    rejects: pd.DataFrame | None

    @property
    def nbytes(self) -> int:
        return self.incoming.nbytes + (self.enrichment.nbytes if self.enrichment else 0)


def _sha256(path: Path) -> str | None:
    try:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    except OSError:
        return None


def prepare_add(frame: pd.DataFrame, report=None,
                source_files: Sequence[str | os.PathLike] | None = None) -> PreparedAdd:
    """Check ``frame`` (and the report) and convert it; nothing touches the store yet."""
    started = now()
    if not isinstance(frame, pd.DataFrame):
        raise SchemaError(f"store.add needs a DataFrame of mentions, got {type(frame).__name__}")
    if "mention_id" not in frame.columns:
        raise SchemaError("store.add needs a 'mention_id' column; load files with "
                          "listening.load or build ids with schema.make_mention_ids",
                          column="mention_id")
    if report is not None and int(report.loaded) != len(frame):
        raise StoreError(f"the report says {report.loaded} mentions were loaded but the frame "
                         f"has {len(frame)} rows; pass the frame that came with the report, "
                         f"or report=None for a frame you changed")
    enrich_cols = [c for c in frame.columns if is_enrichment_column(c)]
    coerced = coerce(frame)
    # DuckDB's TIMESTAMPTZ holds microseconds: truncate here, as make_mention_ids does,
    # rather than let the cast round.
    coerced["timestamp"] = coerced["timestamp"].dt.floor("us")
    repeated = coerced["mention_id"].duplicated(keep="first") & coerced["mention_id"].notna()
    for column, dtype in OPTIONAL_COLUMNS.items():  # null where the frame lacks it
        if column not in coerced.columns:
            coerced[column] = pd.Series(pd.NA, index=coerced.index, dtype=dtype)
    stored = list(stored_mention_columns())
    unique = coerced.loc[~repeated, stored + enrich_cols]
    validate(unique)
    if report is not None:
        files = list(getattr(report, "files", None) or [])
        paths = [str(getattr(f, "path", f)) for f in files]
        digests = [getattr(f, "sha256", None) for f in files]
        rejects = getattr(report, "rejects", None)
    else:
        paths = [str(p) for p in (source_files or [])]
        digests = [_sha256(Path(p)) for p in paths]
        rejects = None
    return PreparedAdd(
        import_id=audit.new_import_id(started), started=started,
        incoming=pa.Table.from_pandas(unique[stored], preserve_index=False),
        enrichment=enrichment.to_table(unique, enrich_cols) if enrich_cols else None,
        n_input=len(frame), n_repeated=int(repeated.sum()),
        repeated_sources=coerced.loc[repeated, "source"].dropna().tolist(),
        report=report, paths=paths, digests=digests, rejects=rejects)


def write_add(con: duckdb.DuckDBPyConnection, job: PreparedAdd) -> AddResult:
    """The import's transaction body: mentions, enrichment, audit row, rejects."""
    with registered(con, "_incoming", job.incoming):
        names = list(stored_mention_columns())
        columns = ", ".join(quote(c) for c in names)
        selected = ", ".join(f"CAST(f.{quote(c)} AS VARCHAR)"
                             if pa.types.is_dictionary(job.incoming.schema.field(c).type)
                             else f"f.{quote(c)}" for c in names)
        inserted = int(run(con, f"INSERT INTO mentions ({columns}, import_id) SELECT "
                                f"{selected}, $id FROM _incoming f ANTI JOIN mentions m "
                                f"ON f.mention_id = m.mention_id", {"id": job.import_id})[0][0])
        dup_sources = []
        if job.paths and job.incoming.num_rows - inserted:
            dup_sources = [r[0] for r in run(
                con, "SELECT f.source FROM _incoming f JOIN mentions m ON f.mention_id = "
                     "m.mention_id WHERE m.import_id <> $id", {"id": job.import_id})]
    if job.enrichment is not None:
        enrichment.upsert(con, job.enrichment)
    result = _counts(job, inserted, dup_sources + job.repeated_sources)
    audit.insert_import_row(con, import_id=job.import_id, kind="add", files=job.paths,
                            sha256=job.digests, read=result.read, loaded=result.loaded,
                            rejected=result.rejected, duplicates=result.duplicates, deleted=0,
                            started=job.started, note="")
    if job.rejects is not None and len(job.rejects):
        audit.insert_rejects(con, job.import_id, job.rejects)
    return result


def _counts(job: PreparedAdd, inserted: int, duplicate_sources: list[str]) -> AddResult:
    # Rows already stored, or repeated in the frame, move from loaded to duplicates.
    duplicates = job.n_repeated + job.incoming.num_rows - inserted
    report = job.report
    if report is None:
        return AddResult(job.import_id, job.n_input, inserted, 0, duplicates)
    return AddResult(job.import_id, int(report.read), inserted, int(report.rejected),
                     int(report.duplicates) + duplicates,
                     _file_counts(list(getattr(report, "files", None) or []),
                                  duplicate_sources))


def _file_counts(files: list, duplicate_sources: list[str]) -> tuple[FileCounts, ...]:
    """Per-file counts with the duplicates found by the store moved out of ``loaded``.

    A duplicate is charged to the file its ``source`` (``file#row``) names; when the
    sources do not name the files unambiguously, the loader's counts are kept.
    """
    def get(item, name: str) -> int:
        return int(getattr(item, name, 0) or 0)

    moved = {id(item): 0 for item in files}
    if files and duplicate_sources:
        by_file = pd.Series([s.rsplit("#", 1)[0] for s in duplicate_sources]).value_counts()
        for item in files:
            path = str(getattr(item, "path", ""))
            moved[id(item)] = (int(by_file.get(path, 0))
                               or int(by_file.get(Path(path).name, 0)))
        if sum(moved.values()) != len(duplicate_sources):
            moved = dict.fromkeys(moved, 0)
    return tuple(FileCounts(str(getattr(f, "path", f)), get(f, "read"),
                            get(f, "loaded") - moved[id(f)], get(f, "rejected"),
                            get(f, "duplicates") + moved[id(f)]) for f in files)


def count(store) -> int:
    return int(store._read("SELECT count(*) AS n FROM mentions").column(0)[0].as_py())


def _instant(value: object, *, name: str) -> pd.Timestamp:
    """A UTC instant: a time (naive = UTC) or a window back from now ('24h', 'yesterday').

    Store queries are monitoring queries, so relative windows are anchored on
    the current time (see :mod:`listening.windows`).
    """
    return parse_window(value, anchor=now(), tz="UTC", name=name).start


def _as_list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def select(store, *, since=None, until=None, platform: str | Iterable[str] | None = None,
           language: str | Iterable[str] | None = None, query: str | None = None,
           columns: Sequence[str] | None = None, limit: int | None = None) -> pd.DataFrame:
    """See :meth:`Store.mentions`."""
    enrich = enrichment.stored_columns(store)
    stored = set(store._columns("mentions"))
    available = [*stored_mention_columns(), *enrich, "import_id"]
    if columns is not None:
        columns = _as_list(columns)
        unknown = [c for c in columns if c not in available]
        if unknown:
            raise SchemaError(f"unknown column(s) {', '.join(map(repr, unknown))}; the store "
                              f"has: {', '.join(available)}", column=unknown[0])
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        raise StoreError(f"limit={limit!r} must be a non-negative integer")
    wanted = [*MENTION_COLUMNS, *enrich]
    if columns is not None and query is None:
        wanted = columns
    elif columns is not None:  # the rule may look at any column: select all, trim after
        wanted += [c for c in columns if c not in wanted]
    where, params = [], {}
    if since is not None:
        where.append("m.timestamp >= $since")
        params["since"] = _instant(since, name="since")
    if until is not None:
        where.append("m.timestamp < $until")
        params["until"] = _instant(until, name="until")
    if platform is not None:
        platforms = [p.lower() for p in _as_list(platform)]
        unknown = [p for p in platforms if p not in PLATFORMS]
        if unknown:
            raise StoreError(f"unknown platform(s) {', '.join(map(repr, unknown))}; use "
                             f"one of {', '.join(PLATFORMS)}")
        where.append("list_contains($platforms, m.platform)")
        params["platforms"] = platforms
    if language is not None:
        where.append("list_contains($languages, m.language)")
        params["languages"] = [lang.lower() for lang in _as_list(language)]
    select_list = ", ".join(_select_item(c, enrich, stored) for c in wanted)
    join = (" LEFT JOIN enrichment e ON e.mention_id = m.mention_id"
            if any(c in enrich for c in wanted) else "")
    sql = (f"SELECT {select_list} FROM mentions m{join}"
           + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY m.timestamp, m.mention_id")
    if limit is not None and query is None:
        sql += " LIMIT $limit"
        params["limit"] = limit
    frame = to_frame(store._read(sql, params), timestamps=frozenset({"timestamp"}))
    if query is not None:
        from ..rules import Rule

        hits = Rule.parse(query).match(frame)
        frame = frame[pd.Series(hits, index=frame.index).fillna(False).astype(bool)]
        if limit is not None:
            frame = frame.head(limit)
        frame = frame.reset_index(drop=True)
        if columns is not None:
            frame = frame[columns]
    return frame


def _select_item(column: str, enrich: list[str], stored: set[str]) -> str:
    if column in enrich:
        return f"e.{quote(column)}"
    if column not in stored:
        # declared since this store was written, which is open read-only: null, typed
        sql_type = next(c.sql_type for c in mentions_table().columns if c.name == column)
        return f"CAST(NULL AS {sql_type}) AS {quote(column)}"
    return f"m.{quote(column)}"
