"""Timestamp parsing: formats, zones, DST edges, epochs, future dates, reasons."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from listening.ingest.timestamps import parse_timestamps

NOW = pd.Timestamp("2026-11-23T12:00:00Z")


def parse(values, tz="UTC"):
    return parse_timestamps(pd.Series(values, dtype=object), tz=tz, now=NOW)


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-03-01T12:00:00Z", "2026-03-01T12:00:00Z"),
    ("2026-03-01T12:00:00.123Z", "2026-03-01T12:00:00.123Z"),
    ("2026-03-01 12:00:00+02:00", "2026-03-01T10:00:00Z"),
    ("2026-03-01 12:00:00 -0500", "2026-03-01T17:00:00Z"),
    ("2026-03-01", "2026-03-01T00:00:00Z"),
    ("1772366400", "2026-03-01T12:00:00Z"),
    ("1772366400000", "2026-03-01T12:00:00Z"),
    ("1772366400.5", "2026-03-01T12:00:00.5Z"),
    ("01-Mar-2026 12:00PM", "2026-03-01T12:00:00Z"),
    ("Mar 1, 2026 12:00 PM", "2026-03-01T12:00:00Z"),
    ("Sun Mar 01 12:00:00 +0000 2026", "2026-03-01T12:00:00Z"),
    ("Sun, 01 Mar 2026 12:00:00 +0000", "2026-03-01T12:00:00Z"),
    ("2026-03-01 07:00:00 EST", "2026-03-01T12:00:00Z"),
    ("2026/03/01 12:00", "2026-03-01T12:00:00Z"),
    ("25/12/2025 08:00", "2025-12-25T08:00:00Z"),
])
def test_formats(value, expected):
    stamps, reasons = parse([value])
    assert reasons.iloc[0] is None
    assert stamps.iloc[0] == pd.Timestamp(expected)


def test_numbers_and_datetimes_are_accepted():
    for numbers in ([1772366400, 1772366460], [1772366400000, 1772366460000]):
        stamps, _ = parse_timestamps(pd.Series(numbers), now=NOW)
        assert stamps.iloc[0] == pd.Timestamp("2026-03-01T12:00:00Z")
    naive = pd.Series(pd.to_datetime(["2026-07-01 12:00"]))
    stamps, _ = parse_timestamps(naive, tz="America/Toronto", now=NOW)
    assert stamps.iloc[0] == pd.Timestamp("2026-07-01T16:00:00Z")
    aware = pd.Series(pd.to_datetime(["2026-07-01 12:00+02:00"]))
    stamps, _ = parse_timestamps(aware, now=NOW)
    assert stamps.iloc[0] == pd.Timestamp("2026-07-01T10:00:00Z")
    stamps, _ = parse([dt.datetime(2026, 7, 1, 12)], tz="America/Toronto")
    assert stamps.iloc[0] == pd.Timestamp("2026-07-01T16:00:00Z")


def test_naive_times_take_the_zone_with_documented_dst_rules():
    stamps, reasons = parse(["2026-03-08 02:30", "2026-11-01 01:30", "2026-01-15 09:00"],
                            tz="America/Toronto")
    assert reasons.isna().all()
    assert stamps.tolist() == [pd.Timestamp("2026-03-08T07:30:00Z"),   # non-existent: +1 h
                               pd.Timestamp("2026-11-01T05:30:00Z"),   # ambiguous: earlier
                               pd.Timestamp("2026-01-15T14:00:00Z")]


@pytest.mark.parametrize(("value", "words"), [
    ("2026-02-30", "not a valid date"),
    ("2026-03-01T24:30:00Z", "not a valid date"),
    ("yesterday", "not a date or time"),
    ("", "missing"),
    (None, "missing"),
    ("03/04/2026", "ambiguous"),
    ("2026-03-01 12:00:00 IST", "abbreviation"),
    ("123456789012345678", "not a plausible time"),
    ("0", "not a plausible time"),
    ("45000", "looks like a spreadsheet serial date"),
    ("2026-03-01 12:00:00 XYZ", "tz_names={'XYZ'"),
    ("2026-11-25T12:00:01Z", "future"),
    ("2262-06-01T00:00:00Z", "future"),
])
def test_unreadable_values_have_reasons(value, words):
    stamps, reasons = parse([value])
    assert pd.isna(stamps.iloc[0])
    assert words in reasons.iloc[0]


def test_a_day_of_clock_skew_is_tolerated():
    stamps, reasons = parse(["2026-11-24T11:59:00Z"])
    assert reasons.iloc[0] is None and stamps.notna().all()


def test_slash_order_is_inferred_per_column_and_contradictions_rejected():
    stamps, reasons = parse(["13/04/2026", "05/06/2026", "04/13/2026"])
    assert stamps.iloc[:2].tolist() == [pd.Timestamp("2026-04-13T00:00Z"),
                                        pd.Timestamp("2026-06-05T00:00Z")]
    assert "day/month/year (the order most of the column uses)" in reasons.iloc[2]
    stamps, _ = parse(["04/13/2026 11:30 PM", "05/06/2026"])
    assert stamps.tolist() == [pd.Timestamp("2026-04-13T23:30Z"), pd.Timestamp("2026-05-06T00:00Z")]


def test_index_is_kept():
    values = pd.Series(["2026-03-01", "bad"], index=[10, 20])
    stamps, reasons = parse_timestamps(values, now=NOW)
    assert stamps.index.tolist() == reasons.index.tolist() == [10, 20]


@settings(max_examples=60, deadline=None)
@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2026, 11, 1)),
       st.sampled_from(["iso_z", "iso_offset", "epoch_s", "epoch_ms", "meltwater", "naive"]))
def test_round_trip_any_instant(moment, style):
    moment = moment.replace(microsecond=0)
    if style.startswith("epoch"):  # epoch numbers are read inside the plausible window
        moment = max(moment, dt.datetime(2005, 1, 1))
    utc = pd.Timestamp(moment, tz="UTC")
    if style == "meltwater":
        utc = utc.floor("min")
    local = utc.tz_convert("America/Toronto")
    text = {
        "iso_z": utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "iso_offset": local.isoformat(),
        "epoch_s": str(int(utc.timestamp())),
        "epoch_ms": str(int(utc.timestamp()) * 1000),
        "meltwater": utc.strftime("%d-%b-%Y %I:%M%p"),
        "naive": utc.strftime("%Y-%m-%d %H:%M:%S"),
    }[style]
    stamps, reasons = parse([text])
    assert reasons.iloc[0] is None, (text, reasons.iloc[0])
    assert stamps.iloc[0] == utc
