"""The store's tables, declared once: the SQL schema, what a purge keeps, how to read back.

The mention columns are generated from :data:`listening.schema.MENTION_COLUMNS`
(a column added there, e.g. ``platform_raw``, is a column of the ``mentions``
table: created in new stores, added to existing ones when they are opened
read-write, read as null from an older store opened read-only). Enrichment
columns come from :data:`listening.schema.ENRICHMENT_COLUMNS` plus ``rule_*``.

Adding a worklog table (saved explorer views, a monitoring loop's state...) is
one :class:`Table` in :data:`WORKLOG`: its columns and its ``keep`` condition,
which says which rows survive a retention purge. ``keep`` is required, so a new
table cannot silently hold purged posts; the purge rebuilds every declared table
(and every backup generation) through it. ``open`` creates the table in existing
stores. Write and read it through :mod:`listening.store.worklog`.

``keep`` is a SQL condition on the table's own columns. It may use ``$cutoff``
(the purge's cutoff time) and ``{src}``, the database being rebuilt, e.g.
``'"at" >= $cutoff'`` or :func:`of_kept_mentions`.
"""

from __future__ import annotations

import dataclasses
import re

import pandas as pd

from ..schema import (
    ENRICHMENT_COLUMNS,
    MENTION_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    TIMESTAMP_DTYPE,
)
from .sql import quote

# Bumped when a change is not additive (a new table or a new nullable column is additive).
SCHEMA_VERSION = 1

RULE_COLUMN = re.compile(r"rule_[A-Za-z0-9_]{1,100}")


@dataclasses.dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    not_null: bool = False

    def ddl(self) -> str:
        return f"{quote(self.name)} {self.sql_type}" + (" NOT NULL" if self.not_null else "")


@dataclasses.dataclass(frozen=True)
class Table:
    """A declared table: its columns and which rows a retention purge keeps."""

    name: str
    columns: tuple[Column, ...]
    keep: str
    # Extra columns may be added at run time (enrichment's rule_* columns); a rebuild
    # copies whatever columns the source has.

    def ddl(self, database: str = "") -> str:
        prefix = f"{database}." if database else ""
        body = ", ".join(c.ddl() for c in self.columns)
        return f"CREATE TABLE IF NOT EXISTS {prefix}{self.name} ({body})"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def timestamp_columns(self) -> frozenset[str]:
        return frozenset(c.name for c in self.columns if c.sql_type == "TIMESTAMPTZ")


def sql_type(dtype) -> str:
    """The SQL type storing a pandas dtype of the mention schema."""
    if isinstance(dtype, pd.DatetimeTZDtype) or dtype == TIMESTAMP_DTYPE:
        return "TIMESTAMPTZ"
    if isinstance(dtype, pd.CategoricalDtype) or dtype == "category":
        return "VARCHAR"  # categories vary by store: stored as text, cast back on read
    if isinstance(dtype, pd.StringDtype):
        return "VARCHAR"
    kind = pd.api.types.pandas_dtype(dtype)
    if pd.api.types.is_bool_dtype(kind):
        return "BOOLEAN"
    if pd.api.types.is_integer_dtype(kind):
        return "BIGINT"
    if pd.api.types.is_float_dtype(kind):
        return "DOUBLE"
    raise TypeError(f"no SQL type for dtype {dtype!r}; add one in listening/store/tables.py")


def of_kept_mentions(column: str = "mention_id") -> str:
    """``keep`` for rows about a mention: kept while the mention is."""
    return (f"{quote(column)} IN (SELECT mention_id FROM {{src}}.mentions "
            f"WHERE timestamp >= $cutoff)")


def stored_mention_columns() -> dict[str, object]:
    """Every mention column the store keeps: the schema's, then the loader's optional
    ones (``platform_raw``), which :meth:`Store.mentions` returns when asked for."""
    return {**MENTION_COLUMNS, **OPTIONAL_COLUMNS}


def mention_columns() -> tuple[Column, ...]:
    """The ``mentions`` table's columns, from the mention schema, then ``import_id``."""
    columns = [Column(name, sql_type(dtype), not_null=name in REQUIRED_COLUMNS)
               for name, dtype in stored_mention_columns().items()]
    return (*columns, Column("import_id", "VARCHAR"))


ENRICHMENT_SQL_TYPES: dict[str, str] = {name: sql_type(dtype)
                                        for name, dtype in ENRICHMENT_COLUMNS.items()}


def enrichment_sql_type(column: str) -> str:
    """The SQL type of an enrichment column (``rule_*`` columns are BOOLEAN)."""
    return ENRICHMENT_SQL_TYPES.get(column, "BOOLEAN")


def is_enrichment_column(column: object) -> bool:
    return column in ENRICHMENT_SQL_TYPES or bool(RULE_COLUMN.fullmatch(str(column)))


# Rejects hold raw input lines. A reject goes with its import when the import is
# older than the cutoff, or when the import stored mentions and none survive.
_REJECT_KEEP = (
    "import_id NOT IN (SELECT i.import_id FROM {src}.imports i WHERE i.finished < $cutoff "
    "OR (i.kind = 'add' AND i.loaded > 0 AND NOT EXISTS (SELECT 1 FROM {src}.mentions m "
    "WHERE m.import_id = i.import_id AND m.timestamp >= $cutoff)))")

def mentions_table() -> Table:
    """The ``mentions`` table as the mention schema declares it now."""
    return Table("mentions", mention_columns(), keep="timestamp >= $cutoff")


ENRICHMENT = Table("enrichment", (Column("mention_id", "VARCHAR", True),
                                  Column("updated", "TIMESTAMPTZ")),
                   keep=of_kept_mentions())
IMPORTS = Table("imports", (
    Column("import_id", "VARCHAR", True), Column("kind", "VARCHAR", True),
    Column("files", "VARCHAR[]"), Column("sha256", "VARCHAR[]"), Column("read", "BIGINT"),
    Column("loaded", "BIGINT"), Column("rejected", "BIGINT"), Column("duplicates", "BIGINT"),
    Column("deleted", "BIGINT"), Column("started", "TIMESTAMPTZ"),
    Column("finished", "TIMESTAMPTZ"), Column("version", "VARCHAR"), Column("note", "VARCHAR"),
), keep="true")  # the audit log names files and counts, never a post: it outlives purges
REJECTS = Table("rejects", (
    Column("import_id", "VARCHAR", True), Column("source", "VARCHAR"), Column("line", "BIGINT"),
    Column("column", "VARCHAR"), Column("reason", "VARCHAR"), Column("raw", "VARCHAR"),
), keep=_REJECT_KEEP)

# The worklog: what analysts and the monitoring loop write beside the mentions.
# Declare a new worklog table here (columns + keep) and nowhere else.
TRIAGE = Table("triage", (
    Column("alert_key", "VARCHAR", True), Column("status", "VARCHAR", True),
    Column("owner", "VARCHAR"), Column("note", "VARCHAR"), Column("at", "TIMESTAMPTZ", True),
    Column("seq", "BIGINT", True),
), keep='"at" >= $cutoff')
HANDLED = Table("handled", (
    Column("mention_id", "VARCHAR", True), Column("by", "VARCHAR"), Column("note", "VARCHAR"),
    Column("at", "TIMESTAMPTZ", True),
), keep=of_kept_mentions() + ' AND "at" >= $cutoff')
SETTINGS = Table("settings", (Column("key", "VARCHAR", True), Column("value", "BLOB")),
                 keep="true")  # schema version and the pseudonymisation secret

# Explorer views saved by name (filters + period as JSON): settings, never a post.
VIEWS = Table("views", (
    Column("name", "VARCHAR", True), Column("spec", "VARCHAR", True),
    Column("by", "VARCHAR"), Column("at", "TIMESTAMPTZ", True),
), keep="true")


# Alerts and messages quote example posts (text, handles, ids) up to the watcher's
# history (35 days) older than themselves: a purge removes them until that long after
# the cutoff, so none quotes a purged post (unsent ones too: the purge counts them in
# its result; a message due months ago is stale anyway).
QUOTE_LAG = "INTERVAL 35 DAY"
# watch: the monitoring loop's state (listening.watch). Files seen by content (sha256),
# alerts handed to each route, and the outbox of messages to deliver with their retries.
WATCH_FILES = Table("watch_files", (
    Column("sha256", "VARCHAR", True), Column("path", "VARCHAR", True),
    Column("status", "VARCHAR", True), Column("import_id", "VARCHAR"),
    Column("mentions", "BIGINT"), Column("note", "VARCHAR"), Column("at", "TIMESTAMPTZ", True),
), keep="true")  # file names, hashes and counts, like the audit log: never a post
WATCH_NOTIFIED = Table("watch_notified", (
    Column("incident", "VARCHAR", True), Column("route", "VARCHAR", True),
    Column("alert_key", "VARCHAR"), Column("segments", "VARCHAR[]"),
    Column("start", "TIMESTAMPTZ"), Column("end", "TIMESTAMPTZ"), Column("severity", "BIGINT"),
    Column("due", "TIMESTAMPTZ"), Column("message_id", "VARCHAR"), Column("alert", "VARCHAR"),
    Column("at", "TIMESTAMPTZ", True),
), keep=f'"at" >= $cutoff + {QUOTE_LAG}')
WATCH_OUTBOX = Table("watch_outbox", (
    Column("message_id", "VARCHAR", True), Column("route", "VARCHAR", True),
    Column("channel", "VARCHAR", True), Column("target", "VARCHAR"),
    Column("subject", "VARCHAR"), Column("body", "VARCHAR"), Column("payload", "VARCHAR"),
    Column("status", "VARCHAR", True), Column("attempts", "BIGINT", True),
    Column("next_try", "TIMESTAMPTZ"), Column("last_error", "VARCHAR"),
    Column("created", "TIMESTAMPTZ", True), Column("sent", "TIMESTAMPTZ"),
), keep=f'"created" >= $cutoff + {QUOTE_LAG}')
WORKLOG: tuple[Table, ...] = (TRIAGE, HANDLED, SETTINGS, VIEWS,
                              WATCH_FILES, WATCH_NOTIFIED, WATCH_OUTBOX)


def all_tables() -> tuple[Table, ...]:
    """Every table, in the order a rebuild copies them (mentions first: others refer to it)."""
    return (mentions_table(), ENRICHMENT, IMPORTS, REJECTS, *WORKLOG)
