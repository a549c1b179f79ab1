"""Running statements and converting results: the store's few primitives over DuckDB."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import duckdb
import pandas as pd
import pyarrow as pa

from ..schema import ENRICHMENT_COLUMNS, MENTION_COLUMNS, OPTIONAL_COLUMNS, TIMESTAMP_DTYPE

_ARROW_TO_PANDAS = {pa.string(): pd.StringDtype(), pa.large_string(): pd.StringDtype(),
                    pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}


def _utc_now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


CLOCK = _utc_now  # what now() asks; tests replace it to move the store's clock


def now() -> pd.Timestamp:
    """The current UTC time: every time the store records or is anchored on."""
    return CLOCK()


def run(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> list[tuple]:
    """Execute one statement with bound parameters and fetch its whole result.

    DuckDB 2 refuses other work on a connection whose last result was not fully
    fetched, so every statement is run to completion here.
    """
    return con.execute(sql, params).fetchall() if params else con.execute(sql).fetchall()


@contextlib.contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> Iterator[None]:
    """``table`` visible to SQL as ``name`` for the block.

    Unregistering never hides the block's own error: in a transaction DuckDB has
    aborted (a damaged block, a full disk), ``unregister`` itself fails.
    """
    con.register(name, table)
    try:
        yield
    finally:
        try:
            con.unregister(name)
        except duckdb.Error:
            pass


def quote(name: str) -> str:
    """A SQL identifier, double-quoted (names come from declarations or checked patterns)."""
    return '"' + str(name).replace('"', '""') + '"'


def to_frame(table: pa.Table, *, timestamps: frozenset[str] = frozenset()) -> pd.DataFrame:
    """Arrow result -> pandas with the mention schema's dtypes for the columns it knows.

    ``timestamps`` names the other TIMESTAMPTZ columns (``at``, ``started``...), which
    come back as UTC nanosecond timestamps like the mention ``timestamp``.
    """
    frame = table.to_pandas(types_mapper=_ARROW_TO_PANDAS.get)
    known = {**MENTION_COLUMNS, **OPTIONAL_COLUMNS, **ENRICHMENT_COLUMNS}
    for column in frame.columns:
        if column in timestamps:
            frame[column] = frame[column].astype(TIMESTAMP_DTYPE)
        elif column in known and frame[column].dtype != known[column]:
            frame[column] = frame[column].astype(known[column])
    return frame
