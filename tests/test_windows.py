"""listening.windows: one reading of "since 7D", "yesterday" and dates everywhere."""

import datetime as dt

import pandas as pd
import pytest

from listening.errors import OptionError, check_option
from listening.windows import Window, make_grid, parse_duration, parse_window

# A Wednesday afternoon in Toronto (EST, UTC-5).
ANCHOR = pd.Timestamp("2026-11-18 20:00", tz="UTC")


@pytest.mark.parametrize("value, hours", [
    ("24h", 24), ("7D", 168), ("7d", 168), ("90min", 1.5), ("2 weeks", 336), ("3 jours", 72),
    ("2 semaines", 336), (pd.Timedelta(hours=6), 6), (dt.timedelta(days=1), 24),
])
def test_durations_end_at_the_anchor(value, hours):
    window = parse_window(value, anchor=ANCHOR)
    assert window.end == ANCHOR
    assert ANCHOR - window.start == pd.Timedelta(hours=hours)


@pytest.mark.parametrize("value, start, end", [
    ("today", "2026-11-18 05:00", ANCHOR),
    ("aujourd'hui", "2026-11-18 05:00", ANCHOR),
    ("yesterday", "2026-11-17 05:00", "2026-11-18 05:00"),
    ("Hier", "2026-11-17 05:00", "2026-11-18 05:00"),
    ("last week", "2026-11-09 05:00", "2026-11-16 05:00"),
    ("last-week", "2026-11-09 05:00", "2026-11-16 05:00"),
    ("la semaine dernière", "2026-11-09 05:00", "2026-11-16 05:00"),
    ("this week", "2026-11-16 05:00", ANCHOR),
    ("last month", "2026-10-01 04:00", "2026-11-01 04:00"),  # EDT ends on Nov 1
    ("ce mois-ci", "2026-11-01 04:00", ANCHOR),
])
def test_calendar_words_are_local_days(value, start, end):
    window = parse_window(value, anchor=ANCHOR, tz="America/Toronto")
    assert window.start == pd.Timestamp(start, tz="UTC")
    assert window.end == (pd.Timestamp(end, tz="UTC") if isinstance(end, str) else end)


def test_instants_naive_in_tz_and_aware_kept():
    assert parse_window("2026-11-02", anchor=ANCHOR, tz="America/Toronto").start == \
        pd.Timestamp("2026-11-02 05:00", tz="UTC")
    assert parse_window("2026-11-02", anchor=ANCHOR, tz="UTC").start == \
        pd.Timestamp("2026-11-02", tz="UTC")
    aware = pd.Timestamp("2026-11-02 10:00", tz="Europe/Paris")
    assert parse_window(aware, anchor=ANCHOR).start == aware.tz_convert("UTC")


def test_none_is_unbounded_and_needs_no_anchor():
    assert parse_window(None, anchor=None) == Window(None, None)


@pytest.mark.parametrize("value, message", [
    ("a week", "not a window"), ("last-weak", "not a window"), ("1M", "unknown unit 'M'.*365D"),
    ("-5D", "not a window"), ("0h", "positive"), ("", "empty"), (7, "needs a unit"),
    ("2026-13-45", "not a window"),
])
def test_bad_values_say_what_is_accepted(value, message):
    with pytest.raises(OptionError, match=message) as info:
        parse_window(value, anchor=ANCHOR, name="--period")
    assert isinstance(info.value, ValueError)  # OptionError is also a ValueError
    if message == "not a window":
        assert "yesterday" in str(info.value) and "24h" in str(info.value)


def test_relative_window_without_anchor_is_an_error():
    with pytest.raises(OptionError, match="anchor"):
        parse_window("24h", anchor=None)


def test_window_mask_is_half_open():
    ts = pd.Series(pd.to_datetime(["2026-11-17 05:00", "2026-11-18 04:59", "2026-11-18 05:00"],
                                  utc=True))
    window = parse_window("yesterday", anchor=ANCHOR)
    assert window.mask(ts).tolist() == [True, True, False]


def test_parse_duration_is_none_for_dates():
    assert parse_duration("2026-11-02") is None
    assert parse_duration(pd.Timestamp("2026-11-02")) is None


def test_make_grid_refuses_non_durations():
    ts = pd.Series(pd.to_datetime(["2026-11-17 05:00"], utc=True))
    with pytest.raises(OptionError, match="freq"):
        make_grid(ts, "hourly", "UTC")
    grid, idx = make_grid(ts, "15min", "America/Toronto")
    assert grid.per_day == 96 and idx.tolist() == [0]


def test_check_option_lists_every_allowed_value():
    assert check_option("lang", "fr", ("en", "fr")) == "fr"
    with pytest.raises(OptionError, match=r"lang='de' is not accepted; use 'en' or 'fr'\. Add"):
        check_option("lang", "de", ("en", "fr"), hint="Add a rule set first")
    with pytest.raises(OptionError, match="use 'csv', 'xlsx' or 'parquet'"):
        check_option("format", ["x"], ("csv", "xlsx", "parquet"))
