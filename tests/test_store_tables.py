"""The store's SQL schema comes from listening.schema; a worklog table is one declaration."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from test_store import make_frame

from listening import schema
from listening.store import open_store, tables, worklog
from listening.store import sql as sql_module


def stored_columns(path, table: str) -> dict[str, tuple[str, bool]]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute("SELECT column_name, data_type, is_nullable FROM duckdb_columns() "
                           "WHERE table_name = ? ORDER BY column_index", [table]).fetchall()
    return {name: (data_type, nullable) for name, data_type, nullable in rows}


def test_mentions_table_is_the_mention_schema(tmp_path):
    path = tmp_path / "s.duckdb"
    open_store(path).close()
    columns = stored_columns(path, "mentions")
    assert list(columns) == [*schema.MENTION_COLUMNS, *schema.OPTIONAL_COLUMNS, "import_id"]
    required = {name for name, (_, nullable) in columns.items() if not nullable}
    assert required == set(schema.REQUIRED_COLUMNS)
    assert columns["timestamp"][0] == "TIMESTAMP WITH TIME ZONE"
    assert columns["likes"][0] == "BIGINT" and columns["platform"][0] == "VARCHAR"
    enrichment = stored_columns(path, "enrichment")
    assert list(enrichment) == ["mention_id", "updated"]  # the rest come when first stored
    assert tables.ENRICHMENT_SQL_TYPES == {"sentiment": "DOUBLE", "sentiment_label": "VARCHAR",
                                           "topic": "BIGINT", "topic_label": "VARCHAR"}
    with pytest.raises(TypeError, match="no SQL type for dtype .*complex"):
        tables.sql_type("complex128")


def test_a_column_added_to_the_schema_flows_through(tmp_path, monkeypatch):
    """E.g. ingest's ``platform_raw``: nullable, new stores get it, old ones gain it."""
    old_store = tmp_path / "old.duckdb"
    with open_store(old_store) as store:
        store.add(make_frame(4, prefix="before"))
    monkeypatch.setitem(schema.MENTION_COLUMNS, "platform_raw", schema.STRING_DTYPE)

    with open_store(old_store, read_only=True) as store:  # cannot add it: reads it as null
        out = store.mentions()
        assert out["platform_raw"].isna().all() and out["platform_raw"].dtype == "string"
        assert list(store.mentions(columns=["mention_id", "platform_raw"]).columns) == [
            "mention_id", "platform_raw"]
    frame = make_frame(3, prefix="after").assign(platform_raw=["Twitter", "X (formerly)", None])
    with open_store(old_store) as store:  # read-write: the column is added, old rows null
        store.add(frame)
        out = store.mentions().set_index("mention_id")
        assert out.loc["after0", "platform_raw"] == "Twitter"
        assert pd.isna(out.loc["after2", "platform_raw"])
        assert out.loc[[f"before{k}" for k in range(4)], "platform_raw"].isna().all()
    assert stored_columns(old_store, "mentions")["platform_raw"] == ("VARCHAR", True)

    new_store = tmp_path / "new.duckdb"
    with open_store(new_store) as store:
        store.add(frame)
        assert list(store.mentions()["platform_raw"].fillna("-")) == [
            "Twitter", "X (formerly)", "-"]
        assert store.purge("365D").mentions == 0


def test_every_declared_table_says_what_a_purge_keeps():
    for table in tables.all_tables():
        assert table.keep.strip(), table.name
    names = [t.name for t in tables.all_tables()]
    assert names[0] == "mentions" and len(names) == len(set(names))


def test_a_worklog_table_is_one_declaration(tmp_path, monkeypatch):
    """A monitoring loop's outbox: declared once, created, written, purged with its posts."""
    outbox = tables.Table("outbox", (
        tables.Column("message_id", "VARCHAR", True), tables.Column("body", "VARCHAR"),
        tables.Column("attempts", "BIGINT"), tables.Column("at", "TIMESTAMPTZ", True),
    ), keep='"at" >= $cutoff')
    monkeypatch.setattr(tables, "WORKLOG", (*tables.WORKLOG, outbox))
    path = tmp_path / "s.duckdb"
    now = pd.Timestamp.now(tz="UTC").floor("s")
    with open_store(path) as store:
        store.add(make_frame(3, start=now - pd.Timedelta("2D")))
        rows = pd.DataFrame({"message_id": ["m-old", "m-new"],
                             "body": ["alert about zqoldpost", "alert about today"],
                             "attempts": [3, 0], "at": [now - pd.Timedelta("400D"), now]})
        store._write("queue messages", lambda con: worklog.append(con, outbox, rows))
        latest = worklog.latest(store, outbox, key="message_id", order="at",
                                columns=outbox.column_names)
        assert list(latest["message_id"]) == ["m-old", "m-new"]
        assert latest["at"].dtype == "datetime64[ns, UTC]"
        store.backup()
        result = store.purge("365D")
        assert result.removed["outbox"] == 1
        assert list(worklog.latest(store, outbox, key="message_id", order="at",
                                   columns=["message_id"])["message_id"]) == ["m-new"]
    for file in tmp_path.iterdir():
        assert b"zqoldpost" not in file.read_bytes(), file.name


def test_the_store_clock_is_one_function(tmp_path, monkeypatch):
    when = pd.Timestamp("2030-01-02 03:04:05", tz="UTC")
    monkeypatch.setattr(sql_module, "CLOCK", lambda: when)
    with open_store(tmp_path / "s.duckdb") as store:
        result = store.add(make_frame(2, start="2029-12-31 12:00"))
        store.save_triage("k", "new")
        assert result.import_id.startswith("20300102T030405Z-")
        assert store.imports()["finished"].iloc[0] == when
        assert store.triage()["at"].iloc[0] == when
        assert len(store.mentions(since="2D")) == 2  # anchored on the store's now


def test_platform_raw_is_kept_and_returned_when_asked(tmp_path):
    frame = pd.DataFrame({"mention_id": ["a", "b"], "timestamp": ["2026-11-01", "2026-11-02"],
                          "platform": ["other", "x"], "author": ["@a", "@b"],
                          "text": ["one", "two"], "source": ["f#1", "f#2"], "language": "en",
                          "platform_raw": ["myspace", None]})
    with open_store(tmp_path / "s.duckdb") as store:
        store.add(frame)
        assert "platform_raw" not in store.mentions().columns  # the schema's columns by default
        got = store.mentions(columns=["mention_id", "platform", "platform_raw"])
    assert got["platform_raw"].tolist()[0] == "myspace" and pd.isna(got["platform_raw"][1])
