"""Time windows and the time grid: one owner for "since 7D" and for bins.

Every stage, widget and CLI command that takes a window (``since=``,
``until=``, ``--period``) reads it with :func:`parse_window`, and every stage
that bins time (threats, forecasts) uses :func:`make_grid`.

The anchor
----------
A window such as ``"7D"`` or ``"yesterday"`` is relative to an *anchor* that
the caller passes explicitly, never read from the clock here:

* :meth:`listening.store.Store.mentions` anchors on the current time (a
  monitoring query: "the last 24 hours" means up to now);
* :func:`listening.detect_threats`, :func:`listening.brief` and the trends
  functions anchor on the newest mention of the frame they are given, so the
  same frame gives the same result on any day (same input, same output).

Accepted values
---------------
* ``None``: no bound.
* A duration: ``"24h"``, ``"7D"``, ``"90min"``, ``"2 weeks"``, ``"3 jours"``,
  a :class:`pandas.Timedelta` or :class:`datetime.timedelta`: the span that
  ends at the anchor. Months and years are refused (their length varies):
  write ``"30D"`` or ``"365D"``.
* An instant: ``"2026-11-02"``, ``"2026-11-02 15:00"``, a Timestamp or a
  datetime: from that instant to the anchor. Naive values are wall-clock
  times in ``tz``.
* Words, in English or French, for calendar periods in ``tz``: ``today`` /
  ``aujourd'hui``, ``yesterday`` / ``hier``, ``this week`` / ``cette
  semaine``, ``last week`` / ``la semaine dernière`` (the previous Monday to
  Monday), ``this month`` / ``ce mois-ci``, ``last month`` / ``le mois
  dernier``. Hyphens and underscores count as spaces (``last-week``).

A bad value raises :class:`~listening.errors.OptionError` listing these forms.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import OptionError

__all__ = [
    "DEFAULT_TZ",
    "WINDOW_FORMS",
    "Grid",
    "Window",
    "latest",
    "make_grid",
    "parse_duration",
    "parse_window",
]

# Analysts are in Ontario; local-time reasoning (days, hours, `why`, briefs)
# uses this zone unless the caller passes another.
DEFAULT_TZ = "America/Toronto"

# What every "not accepted" message lists.
WINDOW_FORMS = ("a duration ('24h', '7D', '2 weeks'), a date or time ('2026-11-02', "
                "'2026-11-02 15:00'), or today, yesterday, this week, last week, this month, "
                "last month (French: aujourd'hui, hier, cette semaine, la semaine dernière, "
                "ce mois-ci, le mois dernier)")

_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Zéè]+)\s*")
# Units, lower-cased. Months and years are left out on purpose: their length varies.
_UNITS = {
    "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s", "seconde": "s",
    "secondes": "s",
    "min": "min", "mins": "min", "minute": "min", "minutes": "min",
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h", "heure": "h", "heures": "h",
    "d": "D", "day": "D", "days": "D", "j": "D", "jour": "D", "jours": "D",
    "w": "W", "wk": "W", "week": "W", "weeks": "W", "semaine": "W", "semaines": "W",
    "sem": "W",
}
_DAY_NS = 86_400 * 10**9


@dataclass(frozen=True)
class Window:
    """A half-open span ``start <= t < end`` in UTC; either bound may be None (open)."""

    start: pd.Timestamp | None
    end: pd.Timestamp | None

    def mask(self, timestamps: pd.Series) -> np.ndarray:
        """Boolean array: which ``timestamps`` (tz-aware) fall inside the window."""
        ts = pd.to_datetime(timestamps, utc=True)
        keep = np.ones(len(ts), dtype=bool)
        if self.start is not None:
            keep &= (ts >= self.start).to_numpy(dtype=bool, na_value=False)
        if self.end is not None:
            keep &= (ts < self.end).to_numpy(dtype=bool, na_value=False)
        return keep


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.strip().lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\s_\-]+", " ", text.replace("’", "'")).strip()


def parse_duration(value: object, *, name: str = "window") -> pd.Timedelta | None:
    """A positive :class:`pandas.Timedelta` from ``"24h"``, ``"7D"``, ``"2 weeks"``...

    Returns None when ``value`` is not written as a duration (it may be a date).

    >>> parse_duration("7D")
    Timedelta('7 days 00:00:00')
    >>> parse_duration("2 semaines")
    Timedelta('14 days 00:00:00')
    >>> parse_duration("2026-11-02") is None
    True
    """
    if isinstance(value, (pd.Timedelta, dt.timedelta, np.timedelta64)):
        delta = pd.Timedelta(value)
    elif isinstance(value, str):
        match = _DURATION.fullmatch(value)
        if match is None:
            return None
        unit = _UNITS.get(_fold(match.group(2)))
        if unit is None:
            raise OptionError(
                f"{name}={value!r}: unknown unit {match.group(2)!r}; use s, min, h, D or W "
                "(e.g. '24h', '7D'); months and years vary in length, write them in days "
                "('30D', '365D')", name=name, value=value, allowed=WINDOW_FORMS)
        delta = pd.Timedelta(float(match.group(1)), unit=unit)
    else:
        return None
    if delta <= pd.Timedelta(0):
        raise OptionError(f"{name}={value!r} must be a positive duration such as '24h' or '7D'",
                          name=name, value=value, allowed=WINDOW_FORMS)
    return delta


def _local_midnight(anchor: pd.Timestamp, tz: str, *, days: int = 0) -> pd.Timestamp:
    local = anchor.tz_convert(tz).tz_localize(None).normalize() + pd.Timedelta(days=days)
    return local.tz_localize(tz, ambiguous=False, nonexistent="shift_forward").tz_convert("UTC")


def _calendar(word: str, anchor: pd.Timestamp, tz: str) -> Window | None:
    today = _local_midnight(anchor, tz)
    weekday = anchor.tz_convert(tz).weekday()
    month_start_local = anchor.tz_convert(tz).tz_localize(None).normalize().replace(day=1)
    if word in ("today", "aujourd'hui", "aujourdhui"):
        return Window(today, anchor)
    if word in ("yesterday", "hier"):
        return Window(_local_midnight(anchor, tz, days=-1), today)
    if word in ("this week", "cette semaine"):
        return Window(_local_midnight(anchor, tz, days=-weekday), anchor)
    if word in ("last week", "la semaine derniere", "semaine derniere", "previous week"):
        monday = _local_midnight(anchor, tz, days=-weekday)
        return Window(_local_midnight(anchor, tz, days=-weekday - 7), monday)
    if word in ("this month", "ce mois ci", "ce mois"):
        start = month_start_local.tz_localize(tz, nonexistent="shift_forward").tz_convert("UTC")
        return Window(start, anchor)
    if word in ("last month", "le mois dernier", "mois dernier", "previous month"):
        end = month_start_local
        start = (end - pd.Timedelta(days=1)).replace(day=1)
        return Window(start.tz_localize(tz, nonexistent="shift_forward").tz_convert("UTC"),
                      end.tz_localize(tz, nonexistent="shift_forward").tz_convert("UTC"))
    return None


def _anchor(anchor) -> pd.Timestamp:
    if anchor is None or (not isinstance(anchor, str) and pd.isna(anchor)):
        raise OptionError("a relative window needs an anchor time; pass anchor= (e.g. the "
                          "newest mention's timestamp)", name="anchor", value=anchor)
    ts = pd.Timestamp(anchor)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def parse_window(value, *, anchor, tz: str = DEFAULT_TZ, name: str = "since") -> Window:
    """Read a window (a duration, an instant or a calendar word) relative to ``anchor``.

    Parameters
    ----------
    value : str, Timedelta, timedelta, Timestamp, datetime or None
        See the module docstring for every accepted form.
    anchor : Timestamp-like
        The "now" of relative windows (naive = UTC). Passed explicitly by every
        caller: the current time for store queries, the newest mention for
        analysis stages. Unused when ``value`` is None.
    tz : str
        Zone of calendar words and of naive dates (default Eastern time).
    name : str
        The option's name, used in error messages (``"since"``, ``"--period"``).

    Returns
    -------
    Window
        ``start`` and ``end`` in UTC (``end`` is the anchor for durations,
        instants, "today", "this week" and "this month").

    >>> a = pd.Timestamp("2026-11-18 15:00", tz="UTC")
    >>> parse_window("24h", anchor=a).start
    Timestamp('2026-11-17 15:00:00+0000', tz='UTC')
    >>> w = parse_window("yesterday", anchor=a, tz="America/Toronto")
    >>> str(w.start), str(w.end)
    ('2026-11-17 05:00:00+00:00', '2026-11-18 05:00:00+00:00')
    >>> parse_window("la semaine dernière", anchor=a).start
    Timestamp('2026-11-09 05:00:00+0000', tz='UTC')
    """
    if value is None:
        return Window(None, None)
    if isinstance(value, str) and not value.strip():
        raise OptionError(f"{name} is empty; use {WINDOW_FORMS}", name=name, value=value,
                          allowed=WINDOW_FORMS)
    delta = parse_duration(value, name=name)
    if delta is not None:
        at = _anchor(anchor)
        return Window(at - delta, at)
    if isinstance(value, str):
        words = _fold(value)
        if re.search(r"[a-z]", words) and not re.match(r"\d{4}", words):
            window = _calendar(words, _anchor(anchor), tz)
            if window is None:
                raise OptionError(f"{name}={value!r} is not a window; use {WINDOW_FORMS}",
                                  name=name, value=value, allowed=WINDOW_FORMS)
            return window
    if isinstance(value, (bool, int, float, np.number)):
        raise OptionError(f"{name}={value!r} is not a window; a number needs a unit ('24h', "
                          f"'7D'). Use {WINDOW_FORMS}", name=name, value=value,
                          allowed=WINDOW_FORMS)
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError, OverflowError):
        raise OptionError(f"{name}={value!r} is not a window; use {WINDOW_FORMS}",
                          name=name, value=value, allowed=WINDOW_FORMS) from None
    if pd.isna(ts):
        raise OptionError(f"{name}={value!r} is not a time; use {WINDOW_FORMS}",
                          name=name, value=value, allowed=WINDOW_FORMS)
    if ts.tzinfo is None:
        ts = ts.tz_localize(tz, ambiguous=False, nonexistent="shift_forward")
    start = ts.tz_convert("UTC")
    return Window(start, None if anchor is None else _anchor(anchor))


def latest(timestamps: pd.Series) -> pd.Timestamp | None:
    """The newest timestamp (UTC), the anchor of analysis stages; None if there is none."""
    ts = pd.to_datetime(timestamps, utc=True)
    value = ts.max() if len(ts) else pd.NaT
    return None if pd.isna(value) else value


# -- the time grid ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """The bins of a run: ``starts`` (UTC) and what each bin is in local time."""

    starts: pd.DatetimeIndex
    freq: pd.Timedelta
    per_day: int          # bins per local day (1 for daily bins, 0 when freq does not divide a day)
    days_per_bin: int     # >= 1 for daily bins, else 0
    local_day: np.ndarray  # local calendar-day ordinal of each bin
    local_hour: np.ndarray
    weekday: np.ndarray
    tz: str

    @property
    def n(self) -> int:
        return len(self.starts)

    @property
    def ends(self) -> pd.DatetimeIndex:
        if self.days_per_bin:
            local = self.starts.tz_convert(self.tz).tz_localize(None) + pd.Timedelta(days=self.days_per_bin)
            return local.tz_localize(self.tz, ambiguous="NaT", nonexistent="shift_forward").tz_convert("UTC")
        return self.starts + self.freq


def _local_wall_ns(ns: np.ndarray, tz: str) -> np.ndarray:
    idx = pd.DatetimeIndex(ns.astype("datetime64[ns]")).tz_localize("UTC").tz_convert(tz)
    return idx.tz_localize(None).asi8


def make_grid(timestamps: pd.Series, freq: str | pd.Timedelta, tz: str) -> tuple[Grid, np.ndarray]:
    """Bin ``timestamps`` (tz-aware) and return the grid and each row's bin index.

    Sub-daily bins are aligned to the Unix epoch (so the same bin has the same start
    in every run); bins of whole days are local calendar days.
    """
    step = parse_duration(freq, name="freq")
    if step is None:
        raise OptionError(f"freq={freq!r} is not accepted; use a positive duration like '15min', "
                          "'1h' or '1D'", name="freq", value=freq)
    ns = pd.DatetimeIndex(timestamps).as_unit("ns").asi8
    step_ns = step.value
    if step_ns % _DAY_NS == 0:
        k = step_ns // _DAY_NS
        day = _local_wall_ns(ns, tz) // _DAY_NS
        key = day // k
        first = key.min()
        idx = (key - first).astype(np.int64)
        n_bins = int(idx.max()) + 1
        wall = (np.arange(n_bins) + first) * k * _DAY_NS
        starts = (pd.DatetimeIndex(wall.astype("datetime64[ns]"))
                  .tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward").tz_convert("UTC"))
        local_day = (np.arange(n_bins) + first) * k
        grid = Grid(starts=starts, freq=step, per_day=1 if k == 1 else 0, days_per_bin=int(k),
                    local_day=local_day, local_hour=np.zeros(n_bins, dtype=np.int64),
                    weekday=(local_day + 3) % 7, tz=tz)  # 1970-01-01 was a Thursday
        return grid, idx
    key = ns // step_ns
    first = key.min()
    idx = (key - first).astype(np.int64)
    n_bins = int(idx.max()) + 1
    start_ns = (np.arange(n_bins) + first) * step_ns
    starts = pd.DatetimeIndex(start_ns.astype("datetime64[ns]")).tz_localize("UTC")
    wall = _local_wall_ns(start_ns, tz)
    per_day = int(_DAY_NS // step_ns) if _DAY_NS % step_ns == 0 else 0
    local_day = wall // _DAY_NS
    grid = Grid(starts=starts, freq=step, per_day=per_day, days_per_bin=0, local_day=local_day,
                local_hour=(wall % _DAY_NS) // 3_600_000_000_000, weekday=(local_day + 3) % 7, tz=tz)
    return grid, idx
