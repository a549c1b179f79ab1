"""Parse the timestamps found in mention exports into UTC.

One vectorised pass per *kind* of value, so a million ISO-8601 strings cost one
``pandas.to_datetime`` call, not a million ``dateutil`` guesses. Every value that
cannot be read gets a reason a person understands; nothing is guessed.

Accepted forms (first match wins):

* **numbers**: epoch seconds or milliseconds (a decimal part is allowed,
  ``1620000000.5``), accepted only inside a plausible window, from
  :data:`EPOCH_WINDOW_START` to :data:`EPOCH_WINDOW_AHEAD` from now. The unit is
  decided **per column**: the reading (seconds or milliseconds) that puts the
  most of the column's numbers in the window; numbers outside it (``0``,
  ``45000``, a microsecond count) are rejected with a reason. In an XLSX
  workbook a third reading competes: spreadsheet **serial dates** (days since
  1899-12-30, the fraction being the time of day, wall-clock time in ``tz``),
  for date cells that lost their date format.
* ISO-8601 dates and date-times, with ``T`` or a space, optional fractional seconds,
  with an offset (``+02:00``, ``-0500``), ``Z`` or none.
* a trailing **time-zone abbreviation** (``2021-07-05 18:02:45 BRT``, as CrowdTangle
  writes the dashboard's zone): the abbreviations of
  ``resources/mappings/_time_zones.yaml`` (North and South America, Europe,
  Africa, Asia, Oceania), overridden and extended by ``tz_names=``
  (``{"IST": "Asia/Kolkata"}`` or ``{"IST": "+05:30"}``). Ambiguous ones (``IST``
  is India, Ireland or Israel) and unknown ones are rejected with a reason that
  names ``tz_names``. See :mod:`listening.ingest.zones`.
* the vendor formats in :data:`EXTRA_FORMATS`, e.g. Meltwater's ``17-Mar-2021 11:12AM``
  and ``17-Mar-21 11:12 AM``, ``Mar 17, 2021 11:12 AM``, RFC 2822 and X API v1.1's
  ``Wed Oct 10 20:19:24 +0000 2018``.
* **day/month dates** ``dd/mm/yyyy`` or ``mm/dd/yyyy`` (``/`` or ``.`` between the
  parts, four- or two-digit year; ``-`` with a four-digit year), optionally with a
  time (``11:00``, ``11:00:24``, ``11:00 PM``). The order is ``date_order``
  (``"dmy"`` or ``"mdy"``) when given; else it is inferred per column from values
  whose first or second part exceeds 12. When the column never says (every
  part <= 12) the values are rejected as ambiguous rather than guessed; when it
  says both, the values that contradict the majority are rejected.
* **two-digit years first**, ``yy-mm-dd`` (``22-09-17 11:00:24``), read in ISO order.

Century rule for two-digit years: ``00``-``68`` are 2000-2068 and ``69``-``99`` are
1969-1999 (the POSIX ``%y`` rule Python and pandas use), so ``17`` is 2017.

Naive times (no offset) are wall-clock times in ``tz`` (default UTC):

* **non-existent** local times (the hour skipped when clocks go forward, e.g.
  02:30 on 2026-03-08 in America/Toronto) are read as if the clock had not yet
  moved, i.e. shifted forward by one hour (02:30 EST = 03:30 EDT = 07:30 UTC);
* **ambiguous** local times (the hour repeated when clocks go back, e.g. 01:30 on
  2026-11-01 in America/Toronto) are read as the **earlier** instant, the first
  time the clock showed it (daylight time: 01:30 EDT = 05:30 UTC).

Both are changes to what the file says, so :func:`read_timestamps` lists them
(``TimeReading.changes``) and the loader puts them in ``report.notes``.

Timestamps more than :data:`FUTURE_TOLERANCE` ahead of now are rejected (a post
cannot come from the future; such values are usually day/month swaps or
placeholder dates). Dates outside what ``datetime64[ns]`` holds (before 1677 or
after 2262) are rejected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import pandas as pd

from ..errors import check_option
from .zones import known_offsets, unreadable_reason, zone_readings

__all__ = ["DATE_ORDERS", "EPOCH_WINDOW_AHEAD", "EPOCH_WINDOW_START", "EXTRA_FORMATS",
           "FUTURE_TOLERANCE", "TZ_ABBREVIATIONS", "TimeReading", "parse_timestamps",
           "read_timestamps"]

# A day of slack for clock skew between the source and this machine: the issue
# asks to reject only what is clearly in the future.
FUTURE_TOLERANCE = pd.Timedelta(days=1)
# Epoch numbers must fall in this window. The issue names 2006 (X's first year); the
# loader also reads Reddit (June 2005) and YouTube (February 2005), so the window opens
# on 2005-01-01 to keep their first year.
EPOCH_WINDOW_START = pd.Timestamp("2005-01-01", tz="UTC")
# ... and close a year after now (scheduled posts, clock skew, time-zone slips).
EPOCH_WINDOW_AHEAD = pd.Timedelta(days=365)
# Orders accepted by date_order= (day-month-year, month-day-year).
DATE_ORDERS: tuple[str, ...] = ("dmy", "mdy")
# Shift applied to non-existent wall-clock times (the usual DST step).
_NONEXISTENT_SHIFT = timedelta(hours=1)
# Spreadsheet serial dates count days from this day (Excel's 1900 date system, whose
# day 60 is the non-existent 1900-02-29: every date after February 1900 lines up).
_SERIAL_BASE = pd.Timestamp("1899-12-30")
# Two-digit years up to this are 20yy, above it 19yy (POSIX %y).
_CENTURY_PIVOT = 68

# The shipped abbreviation table (see zones.py); kept here for callers that import it.
TZ_ABBREVIATIONS: dict[str, str] = known_offsets()

# strptime formats tried, in order, on values that are neither numbers nor ISO-8601.
EXTRA_FORMATS: tuple[str, ...] = (
    "%d-%b-%Y %I:%M%p",        # Meltwater: 17-Mar-2021 11:12AM
    "%d-%b-%Y %I:%M %p",
    "%d-%b-%Y %I:%M:%S %p",
    "%d-%b-%Y %H:%M:%S",
    "%d-%b-%Y %H:%M",
    "%d-%b-%Y",
    "%d-%b-%y %I:%M %p",       # Meltwater's "Alternate Date Format" + "Time": 17-Mar-21 11:12 AM
    "%d-%b-%y %I:%M%p",
    "%d-%b-%y %H:%M",
    "%d-%b-%y",
    "%b %d, %Y %I:%M %p",      # Mar 17, 2021 11:12 AM
    "%b %d, %Y %I:%M:%S %p",
    "%b %d, %Y %H:%M",
    "%b %d, %Y",
    "%B %d, %Y %I:%M %p",      # March 17, 2021 11:12 AM
    "%B %d, %Y",
    "%d %b %Y %H:%M:%S",
    "%d %b %Y %H:%M",
    "%d %b %Y",
    "%d %B %Y %H:%M",
    "%d %B %Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%a, %d %b %Y %H:%M:%S %z",   # RFC 2822
    "%a %b %d %H:%M:%S %z %Y",    # X API v1.1
)

# Patterns are plain strings (not compiled) so pandas hands them to pyarrow's RE2
# engine, which is an order of magnitude faster than Python's re on a million rows.
_NUMBER = r"[0-9]{1,20}(?:\.[0-9]+)?"
_ISO = (r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]{1,9})?)?)?"
        r"[ \t]*(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?")
_ISO_AWARE = r"(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)$"
_ISO_UNUSUAL = r",|[ \t][Z+-]"
_ABBREV = (r"(?P<stamp>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)"
           r"\s+(?P<tz>[A-Za-z]{2,6})")
_CLOCK = r"(?P<time>[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp]\.?[Mm]\.?)?)?"
# day/month dates, year last: 17/09/2022, 17.09.22, 09/17/2022 11:00 PM, 17-09-2022
_DAY_MONTH = (r"(?P<a>\d{1,2})(?:[/.](?P<b>\d{1,2})[/.](?P<y>\d{4}|\d{2})"
              r"|-(?P<b4>\d{1,2})-(?P<y4>\d{4}))" + _CLOCK)
# two-digit year first, ISO order: 22-09-17 11:00:24
_YEAR2_FIRST = r"(?P<y>\d{2})-(?P<m>\d{1,2})-(?P<d>\d{1,2})" + _CLOCK
_TEXT = pd.StringDtype("pyarrow")
_UTC = "datetime64[ns, UTC]"


@dataclass
class TimeReading:
    """What :func:`read_timestamps` made of a column.

    ``stamps`` (UTC, NaT where unreadable) and ``reasons`` (None or a sentence
    fragment) are aligned with the input; ``changes`` maps an index label to
    what was done to a value the file gave differently (a DST shift);
    ``remarks`` are sentences about the whole column (e.g. the epoch unit).
    """

    stamps: pd.Series
    reasons: pd.Series
    changes: dict = field(default_factory=dict)
    remarks: list[str] = field(default_factory=list)


def _subset_match(text: pd.Series, rows: pd.Series, pattern: str) -> pd.Series:
    """``rows & text.str.fullmatch(pattern)``, matching only the rows still open."""
    hit = pd.Series(False, index=text.index)
    if rows.any():
        hit[rows] = text[rows].str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)
    return hit


# What datetime64[ns] can hold; parsed values outside become NaT (and a reason).
_LOWEST, _HIGHEST = pd.Timestamp.min.ceil("s"), pd.Timestamp.max.floor("s")


def _in_ns_range(values: pd.Series) -> pd.Series:
    """``values`` (any datetime unit) with instants ``datetime64[ns]`` cannot hold set to NaT."""
    if values.empty:
        return values
    naive = values.dt.tz_localize(None) if values.dt.tz is not None else values
    ok = (naive >= _LOWEST.tz_localize(None)) & (naive <= _HIGHEST.tz_localize(None))
    return values.where(ok)


def _to_utc_ns(values: pd.Series) -> pd.Series:
    return _in_ns_range(values).astype(_UTC)


class _Reader:
    """One column's parse: the options, and the changes made on the way."""

    def __init__(self, *, tz: str, now: pd.Timestamp, date_order: str | None,
                 readings: dict[str, str], serial_dates: bool) -> None:
        self.tz, self.now, self.date_order = tz, now, date_order
        self.readings, self.serial_dates = readings, serial_dates
        self.changes: dict = {}
        self.remarks: list[str] = []

    # -- wall-clock times

    def localize(self, naive: pd.Series, tz: str | None = None) -> pd.Series:
        """Naive wall-clock times in ``tz`` -> UTC, with the documented DST treatment."""
        tz = tz or self.tz
        if naive.empty:
            return pd.Series(pd.NaT, index=naive.index, dtype=_UTC)
        naive = _in_ns_range(naive).astype("datetime64[ns]")
        if tz in ("UTC", "utc", "Etc/UTC"):
            return naive.dt.tz_localize("UTC")
        # ambiguous=True marks the repeated hour as daylight time, i.e. the earlier instant.
        earlier = np.ones(len(naive), dtype=bool)
        local = naive.dt.tz_localize(tz, ambiguous=earlier, nonexistent=_NONEXISTENT_SHIFT)
        strict = naive.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        moved = strict.isna() & naive.notna()
        if moved.any():
            gap = naive[moved].dt.tz_localize(tz, ambiguous=earlier[moved.to_numpy()],
                                             nonexistent="NaT").isna()
            for label, is_gap in gap.items():
                wall = naive[label].strftime("%Y-%m-%d %H:%M:%S")
                at = local[label]
                read = (f"{at.strftime('%H:%M:%S %Z')} = "
                        f"{at.tz_convert('UTC'):%Y-%m-%d %H:%M:%S} UTC")
                self.changes[label] = (
                    f"{wall} does not exist in {tz} (clocks went forward); read as {read}"
                    if is_gap else
                    f"{wall} happens twice in {tz} (clocks went back); read as the earlier "
                    f"one, {read}")
        return local.dt.tz_convert("UTC")

    # -- numbers

    def numbers(self, text: pd.Series) -> tuple[pd.Series, pd.Series]:
        """Epoch seconds/milliseconds (or XLSX serial dates), the reading chosen per column."""
        number = pd.to_numeric(text, errors="coerce").astype("float64")
        limit = self.now + EPOCH_WINDOW_AHEAD
        lo_s, hi_s = EPOCH_WINDOW_START.timestamp(), limit.timestamp()
        fits = {"s": (number >= lo_s) & (number <= hi_s),
                "ms": (number >= lo_s * 1000) & (number <= hi_s * 1000)}
        if self.serial_dates:
            lo_d = (EPOCH_WINDOW_START.tz_localize(None) - _SERIAL_BASE) / pd.Timedelta(days=1)
            hi_d = (limit.tz_localize(None) - _SERIAL_BASE) / pd.Timedelta(days=1)
            fits["serial"] = (number >= lo_d) & (number <= hi_d)
        counts = {unit: int(mask.sum()) for unit, mask in fits.items()}
        unit = max(counts, key=lambda u: counts[u])  # ties: seconds, then milliseconds
        ok = fits[unit]
        out = pd.Series(pd.NaT, index=text.index, dtype=_UTC)
        if ok.any():
            if unit == "serial":
                days = number[ok]
                naive = _SERIAL_BASE + pd.to_timedelta(days * 86400, unit="s").dt.round("ms")
                out[ok] = self.localize(naive)
            else:
                out[ok] = pd.to_datetime(number[ok], unit=unit, utc=True)
        name = {"s": "epoch seconds", "ms": "epoch milliseconds",
                "serial": "spreadsheet serial dates (days since 1899-12-30)"}[unit]
        if ok.any() and (unit != "s" or self.serial_dates):
            self.remarks.append(f"{int(ok.sum())} number(s) read as {name}")
        window = (f"between {EPOCH_WINDOW_START:%Y} and a year from now, in seconds or "
                  "milliseconds")
        reason = f"is a number, but not a plausible time: epoch times must fall {window}"
        serial_like = (number >= 1) & (number < 100_000)
        if not self.serial_dates:
            why = np.where(serial_like, reason + " (it looks like a spreadsheet serial date, "
                           "which a text file cannot mark as one: export dates as text, "
                           "e.g. 2026-04-03 10:00, or load the XLSX)", reason)
        else:
            why = np.where(serial_like, reason + f"; this column's numbers are read as {name}",
                           reason)
        reasons = pd.Series(np.where(ok, None, why), index=text.index, dtype=object)
        return out, reasons

    # -- ISO 8601 and abbreviations

    def iso(self, text: pd.Series) -> pd.Series:
        out = pd.Series(pd.NaT, index=text.index, dtype=_UTC)
        cleaned = text
        unusual = text.str.contains(_ISO_UNUSUAL, regex=True)
        if unusual.any():  # decimal comma, or a space before the offset
            fixed = (text[unusual].str.replace(",", ".", regex=False)
                     .str.replace(r"\s+([Z+-])", r"\1", regex=True))
            cleaned = text.where(~unusual, fixed)
        aware = cleaned.str.contains(_ISO_AWARE, regex=True) & (cleaned.str.len() > 10)
        if aware.any():
            parsed = pd.to_datetime(cleaned[aware], format="ISO8601", utc=True, errors="coerce")
            out[aware] = _to_utc_ns(parsed)
        naive = ~aware
        if naive.any():
            parsed = pd.to_datetime(cleaned[naive], format="ISO8601", errors="coerce")
            ok = parsed.notna()
            if ok.any():
                out[naive[naive].index[ok.to_numpy()]] = self.localize(parsed[ok])
        return out

    def abbreviated(self, text: pd.Series) -> tuple[pd.Series, pd.Series]:
        parts = text.str.extract("^" + _ABBREV + "$")
        abbrev = parts["tz"].astype(object).str.upper()
        reading = abbrev.map(self.readings)
        out = pd.Series(pd.NaT, index=text.index, dtype=_UTC)
        stamp = parts["stamp"].astype(object).str.replace(" ", "T", n=1, regex=False)
        fixed = reading.str.match(r"[+-]").fillna(False).astype(bool)
        if fixed.any():
            parsed = pd.to_datetime(stamp[fixed] + reading[fixed], format="ISO8601", utc=True,
                                    errors="coerce")
            out[fixed] = _to_utc_ns(parsed)
        zoned = reading.notna() & ~fixed
        for zone in sorted(set(reading[zoned])):
            rows = zoned & (reading == zone)
            naive = pd.to_datetime(stamp[rows], format="ISO8601", errors="coerce")
            ok = naive.notna()
            if ok.any():
                out[naive[ok].index] = self.localize(naive[ok], zone)
        why = [None if isinstance(r, str) else unreadable_reason(a)
               for a, r in zip(abbrev.tolist(), reading.tolist())]
        reasons = pd.Series(why, index=text.index, dtype=object)
        reasons[reasons.isna() & out.isna()] = "is not a valid date"
        return out, reasons

    # -- day/month dates and two-digit years

    def day_month(self, text: pd.Series) -> tuple[pd.Series, pd.Series]:
        parts = text.str.extract("^" + _DAY_MONTH + "$")
        b = parts["b"].fillna(parts["b4"])
        year = _full_year(parts["y"].fillna(parts["y4"]))
        a = pd.to_numeric(parts["a"]).astype(int)
        b = pd.to_numeric(b).astype(int)
        reason = pd.Series(None, index=text.index, dtype=object)
        out = pd.Series(pd.NaT, index=text.index, dtype=_UTC)
        if self.date_order is not None:
            day_first = self.date_order == "dmy"
            why = f"date_order={self.date_order!r}"
        else:
            day_first_votes, month_first_votes = int((a > 12).sum()), int((b > 12).sum())
            if day_first_votes == 0 and month_first_votes == 0:
                reason[:] = ("is ambiguous: day/month order cannot be told from this file "
                             "(every part is 12 or less); say it with date_order='dmy' or "
                             "'mdy', or write dates as ISO 8601, e.g. 2026-04-03")
                return out, reason
            day_first = day_first_votes >= month_first_votes
            why = "the order most of the column uses"
        day, month = (a, b) if day_first else (b, a)
        out, ok = self._assemble(year, month, day, parts["time"], out)
        order = "day/month/year" if day_first else "month/day/year"
        reason[~ok] = f"is not a valid date when read as {order} ({why})"
        return out, reason

    def year_first(self, text: pd.Series) -> tuple[pd.Series, pd.Series]:
        parts = text.str.extract("^" + _YEAR2_FIRST + "$")
        out = pd.Series(pd.NaT, index=text.index, dtype=_UTC)
        out, ok = self._assemble(_full_year(parts["y"]), pd.to_numeric(parts["m"]).astype(int),
                                 pd.to_numeric(parts["d"]).astype(int), parts["time"], out)
        reason = pd.Series(None, index=text.index, dtype=object)
        reason[~ok] = "is not a valid date when read as yy-mm-dd (two-digit year first)"
        return out, reason

    def _assemble(self, year, month, day, time, out):
        iso = (year.astype(str) + "-" + month.astype(str).str.zfill(2) + "-"
               + day.astype(str).str.zfill(2))
        naive = pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")
        time = (time.fillna("").str.strip().str.replace(r"^T", "", regex=True)
                .str.replace(r"([AaPp])\.?([Mm])\.?$", r"\1\2", regex=True))
        has_time = time != ""
        if has_time.any():
            clock = pd.to_datetime("2000-01-01 " + time[has_time].str.upper(),
                                   format="mixed", errors="coerce")
            naive[has_time] = naive[has_time] + (clock - pd.Timestamp("2000-01-01"))
        ok = naive.notna()
        if ok.any():
            out[ok] = self.localize(naive[ok])
        return out, ok

    def formats(self, text: pd.Series) -> pd.Series:
        out = pd.Series(pd.NaT, index=text.index, dtype=_UTC)
        remaining = text.index
        for fmt in EXTRA_FORMATS:
            if len(remaining) == 0:
                break
            values = text[remaining]
            if "%z" in fmt:
                parsed = pd.to_datetime(values, format=fmt, utc=True, errors="coerce")
                ok = parsed.notna()
                out[ok[ok].index] = _to_utc_ns(parsed[ok])
            else:
                parsed = pd.to_datetime(values, format=fmt, errors="coerce")
                ok = parsed.notna()
                if ok.any():
                    out[ok[ok].index] = self.localize(parsed[ok])
            remaining = remaining[~ok.to_numpy()]
        return out


def _full_year(two_or_four: pd.Series) -> pd.Series:
    """Years as int; two-digit ones by the century rule of the module docstring."""
    year = pd.to_numeric(two_or_four).astype(int)
    short = two_or_four.str.len() == 2
    return year.where(~short, np.where(year <= _CENTURY_PIVOT, 2000 + year, 1900 + year))


def read_timestamps(values: pd.Series, *, tz: str = "UTC", now: pd.Timestamp | None = None,
                    date_order: str | None = None, tz_names: dict | None = None,
                    serial_dates: bool = False) -> TimeReading:
    """Parse ``values`` into UTC, with a reason for each failure and a list of changes.

    Parameters
    ----------
    values : Series
        Strings, numbers (epoch) or datetimes. Tz-aware datetimes are converted,
        naive ones localised to ``tz``.
    tz : str
        IANA zone for naive times (default ``"UTC"``).
    now : Timestamp, optional
        Reference for the future-date check and the epoch window (default: the
        current time).
    date_order : {"dmy", "mdy"}, optional
        Order of day and month in ``12/03/2026``-style dates; default: inferred
        per column (ambiguous columns are rejected).
    tz_names : dict, optional
        Abbreviation -> IANA zone or ``"+hh:mm"``, for abbreviations the shipped
        table lacks or marks as ambiguous.
    serial_dates : bool
        Numbers may be spreadsheet serial dates (set for XLSX files).

    Returns
    -------
    TimeReading
    """
    if date_order is not None:
        check_option("date_order", date_order, DATE_ORDERS,
                     hint="'dmy' reads 03/04/2026 as 3 April, 'mdy' as March 4")
    now = now if now is not None else pd.Timestamp.now(tz="UTC")
    reader = _Reader(tz=tz, now=now, date_order=date_order, readings=zone_readings(tz_names),
                     serial_dates=serial_dates)
    index = values.index
    out = pd.Series(pd.NaT, index=index, dtype=_UTC)
    reasons = pd.Series(None, index=index, dtype=object)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        out = values.dt.tz_convert("UTC").astype(_UTC)
    elif pd.api.types.is_datetime64_dtype(values.dtype):
        out = reader.localize(values)
    else:
        if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
            text = values.map(lambda v: "" if pd.isna(v) else
                              (str(int(v)) if float(v).is_integer() else repr(float(v))))
        elif isinstance(values.dtype, pd.StringDtype):
            text = values
        else:
            text = values.map(_as_text, na_action="ignore")
        text = text.astype(_TEXT).fillna("").str.strip()
        empty = text == ""
        rest = ~empty
        steps = ((_NUMBER, reader.numbers), (_ISO, None), (_ABBREV, reader.abbreviated),
                 (_DAY_MONTH, reader.day_month), (_YEAR2_FIRST, reader.year_first))
        for pattern, parse in steps:
            hit = _subset_match(text, rest, pattern)
            if hit.any():
                if parse is None:
                    out[hit] = reader.iso(text[hit])
                    reasons[hit & out.isna()] = "is not a valid date (no such day or time)"
                else:
                    parsed, why = parse(text[hit])
                    out[hit] = parsed
                    reasons[hit] = why
            rest &= ~hit
        if rest.any():
            out[rest] = reader.formats(text[rest])
        failed = out.isna() & ~empty
        if failed.any():  # dates beyond what can be stored get a precise reason
            year = pd.to_numeric(text[failed].str.extract(r"(?<!\d)(\d{4})(?!\d)")[0],
                                 errors="coerce")
            reasons[year[year > _HIGHEST.year - 1].index] = (
                "is more than a day in the future (check the day/month order or the "
                "source's clock)")
            reasons[year[year < _LOWEST.year + 1].index] = "is before 1678, not a post date"
        failed &= reasons.isna()
        reasons[failed] = "is not a date or time this loader knows"
        bad = reasons.notna() & ~empty
        if bad.any():
            shown = text[bad].str.slice(0, 80)
            reasons[bad] = "'" + shown.astype(object) + "' " + reasons[bad]
            out[bad] = pd.NaT
    if out.isna().any():
        missing = out.isna() & reasons.isna()
        reasons[missing] = "timestamp is missing"
    limit = now + FUTURE_TOLERANCE
    future = (out > limit).fillna(False)
    if future.any():
        stamps = out[future].dt.strftime("%Y-%m-%d %H:%M UTC")
        reasons[future] = ("'" + stamps.astype(object) + "' is more than a day in the future "
                           "(check the day/month order or the source's clock)")
        out[future] = pd.NaT
    changes = {k: v for k, v in reader.changes.items() if not pd.isna(out.get(k))}
    return TimeReading(out, reasons.where(reasons.notna(), None), changes, reader.remarks)


def parse_timestamps(values: pd.Series, *, tz: str = "UTC", now: pd.Timestamp | None = None,
                     date_order: str | None = None, tz_names: dict | None = None
                     ) -> tuple[pd.Series, pd.Series]:
    """Parse ``values`` into ``datetime64[ns, UTC]``; give a reason for each failure.

    The two-value form of :func:`read_timestamps` (same parameters).

    Returns
    -------
    (timestamps, reasons)
        ``timestamps`` is aligned with ``values`` (NaT where unreadable);
        ``reasons`` holds ``None`` or a sentence fragment ("'31/02/2026' is not a
        valid date ...") for each value.

    >>> ts, why = parse_timestamps(pd.Series(["2026-03-01T12:00:00Z", "1772366400", "soon"]))
    >>> ts.dt.strftime("%Y-%m-%d %H:%M").tolist()[:2], why.tolist()[2]
    (['2026-03-01 12:00', '2026-03-01 12:00'], "'soon' is not a date or time this loader knows")
    >>> ts, _ = parse_timestamps(pd.Series(["2021-07-05 18:02:45 BRT", "22/09/17 11:00:24"]))
    >>> ts.dt.strftime("%Y-%m-%d %H:%M:%S").tolist()
    ['2021-07-05 21:02:45', '2017-09-22 11:00:24']
    """
    reading = read_timestamps(values, tz=tz, now=now, date_order=date_order, tz_names=tz_names)
    return reading.stamps, reading.reasons


def _as_text(value) -> str:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
