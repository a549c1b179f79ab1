"""Parse the timestamps found in mention exports into UTC.

One vectorised pass per *kind* of value, so a million ISO-8601 strings cost one
``pandas.to_datetime`` call, not a million ``dateutil`` guesses. Every value that
cannot be read gets a reason a person understands; nothing is guessed.

Accepted forms (first match wins):

* epoch numbers: up to 11 integer digits are **seconds**, 12 to 14 digits are
  **milliseconds** (13 digits covers 2001-2286, 11 digits of seconds reach year
  5138, so the two ranges cannot be confused for real post dates); a decimal part
  is allowed (``1620000000.5``). Longer numbers are rejected.
* ISO-8601 dates and date-times, with ``T`` or a space, optional fractional seconds,
  with an offset (``+02:00``, ``-0500``), ``Z`` or none.
* a trailing time-zone abbreviation (``2021-03-01 12:00:00 EST``, as CrowdTangle
  writes) from :data:`TZ_ABBREVIATIONS`; other abbreviations are rejected, since
  they are ambiguous (``IST`` is India, Ireland or Israel).
* the vendor formats in :data:`EXTRA_FORMATS`, e.g. Meltwater's ``17-Mar-2021 11:12AM``,
  ``Mar 17, 2021 11:12 AM``, RFC 2822 and Twitter v1's ``Wed Oct 10 20:19:24 +0000 2018``.
* slash dates ``dd/mm/yyyy`` or ``mm/dd/yyyy`` (optionally with a time): the order is
  inferred per column from values whose first or second part exceeds 12. When the
  column never says (every part <= 12) the values are rejected as ambiguous rather
  than guessed; when it says both, the values that contradict the majority are rejected.

Naive times (no offset) are wall-clock times in ``tz`` (default UTC):

* **non-existent** local times (the hour skipped when clocks go forward, e.g.
  02:30 on 2026-03-08 in America/Toronto) are read as if the clock had not yet
  moved, i.e. shifted forward by one hour (02:30 EST = 03:30 EDT = 07:30 UTC);
* **ambiguous** local times (the hour repeated when clocks go back, e.g. 01:30 on
  2026-11-01 in America/Toronto) are read as the **earlier** instant, the first
  time the clock showed it (daylight time: 01:30 EDT = 05:30 UTC).

Timestamps more than :data:`FUTURE_TOLERANCE` ahead of now are rejected (a post
cannot come from the future; such values are usually day/month swaps or
placeholder dates). Dates outside what ``datetime64[ns]`` holds (before 1677 or
after 2262) are rejected.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

__all__ = ["EXTRA_FORMATS", "FUTURE_TOLERANCE", "TZ_ABBREVIATIONS", "parse_timestamps"]

# A day of slack for clock skew between the source and this machine: the issue
# asks to reject only what is clearly in the future.
FUTURE_TOLERANCE = pd.Timedelta(days=1)
# Seconds vs milliseconds: see the module docstring.
_MAX_EPOCH_SECONDS_DIGITS = 11
_MAX_EPOCH_MILLIS_DIGITS = 14
# Shift applied to non-existent wall-clock times (the usual DST step).
_NONEXISTENT_SHIFT = timedelta(hours=1)

# Unambiguous abbreviations seen in North American and European exports.
TZ_ABBREVIATIONS: dict[str, str] = {
    "UTC": "+00:00", "GMT": "+00:00", "Z": "+00:00",
    "EST": "-05:00", "EDT": "-04:00", "CST": "-06:00", "CDT": "-05:00",
    "MST": "-07:00", "MDT": "-06:00", "PST": "-08:00", "PDT": "-07:00",
    "AST": "-04:00", "ADT": "-03:00", "NST": "-03:30", "NDT": "-02:30",
    "CET": "+01:00", "CEST": "+02:00", "BST": "+01:00", "WET": "+00:00", "WEST": "+01:00",
}

# strptime formats tried, in order, on values that are neither epoch nor ISO-8601.
EXTRA_FORMATS: tuple[str, ...] = (
    "%d-%b-%Y %I:%M%p",        # Meltwater: 17-Mar-2021 11:12AM
    "%d-%b-%Y %I:%M %p",
    "%d-%b-%Y %H:%M:%S",
    "%d-%b-%Y %H:%M",
    "%d-%b-%Y",
    "%b %d, %Y %I:%M %p",      # Mar 17, 2021 11:12 AM
    "%b %d, %Y %I:%M:%S %p",
    "%b %d, %Y %H:%M",
    "%b %d, %Y",
    "%d %b %Y %H:%M:%S",
    "%d %b %Y %H:%M",
    "%d %b %Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%a, %d %b %Y %H:%M:%S %z",   # RFC 2822
    "%a %b %d %H:%M:%S %z %Y",    # Twitter API v1.1
)

# Patterns are plain strings (not compiled) so pandas hands them to pyarrow's RE2
# engine, which is an order of magnitude faster than Python's re on a million rows.
_EPOCH = r"[0-9]{1,14}(?:\.[0-9]+)?"
_ISO = (r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]{1,9})?)?)?"
        r"[ \t]*(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?")
_ISO_AWARE = r"(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)$"
_ISO_UNUSUAL = r",|[ \t][Z+-]"
_ABBREV = (r"(?P<stamp>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)"
           r"\s+(?P<tz>[A-Za-z]{2,5})")
_TEXT = pd.StringDtype("pyarrow")
_SLASH = (r"(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4})"
          r"(?P<time>\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?)?")


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
    return _in_ns_range(values).astype("datetime64[ns, UTC]")


def _localize(naive: pd.Series, tz: str) -> pd.Series:
    """Naive wall-clock times in ``tz`` -> UTC, with the documented DST treatment."""
    if naive.empty:
        return pd.Series(pd.NaT, index=naive.index, dtype="datetime64[ns, UTC]")
    naive = _in_ns_range(naive).astype("datetime64[ns]")
    if tz in ("UTC", "utc", "Etc/UTC"):
        return naive.dt.tz_localize("UTC")
    # ambiguous=True marks the repeated hour as daylight time, i.e. the earlier instant.
    ambiguous = np.ones(len(naive), dtype=bool)
    local = naive.dt.tz_localize(tz, ambiguous=ambiguous, nonexistent=_NONEXISTENT_SHIFT)
    return local.dt.tz_convert("UTC")


def _parse_epoch(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    integer = text.str.split(".", n=1).str[0]
    digits = integer.str.len()
    number = pd.to_numeric(text, errors="coerce")
    seconds = digits <= _MAX_EPOCH_SECONDS_DIGITS
    millis = (digits > _MAX_EPOCH_SECONDS_DIGITS) & (digits <= _MAX_EPOCH_MILLIS_DIGITS)
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    if seconds.any():
        out[seconds] = pd.to_datetime(number[seconds], unit="s", utc=True, errors="coerce")
    if millis.any():
        out[millis] = pd.to_datetime(number[millis], unit="ms", utc=True, errors="coerce")
    reason = pd.Series(np.where(out.isna(), "is a number too long to be epoch seconds or "
                                "milliseconds", None), index=text.index, dtype=object)
    return out, reason


def _parse_iso(text: pd.Series, tz: str) -> pd.Series:
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
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
            out[naive[naive].index[ok.to_numpy()]] = _localize(parsed[ok], tz)
    return out


def _parse_abbrev(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    parts = text.str.extract("^" + _ABBREV + "$")
    abbrev = parts["tz"].str.upper()
    offset = abbrev.map(TZ_ABBREVIATIONS)
    known = offset.notna()
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    if known.any():
        stamp = parts.loc[known, "stamp"] + offset[known]
        parsed = pd.to_datetime(stamp.str.replace(" ", "T", n=1, regex=False),
                                format="ISO8601", utc=True, errors="coerce")
        out[known] = _to_utc_ns(parsed)
    reason = pd.Series(np.where(known, None, "has a time-zone abbreviation that is not one "
                                "of the unambiguous ones (" + ", ".join(TZ_ABBREVIATIONS)
                                + ")"), index=text.index, dtype=object)
    return out, reason


def _parse_slash(text: pd.Series, tz: str) -> tuple[pd.Series, pd.Series]:
    parts = text.str.extract("^" + _SLASH + "$")
    a = pd.to_numeric(parts["a"]).astype(int)
    b = pd.to_numeric(parts["b"]).astype(int)
    day_first_votes = int((a > 12).sum())
    month_first_votes = int((b > 12).sum())
    reason = pd.Series(None, index=text.index, dtype=object)
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    if day_first_votes == 0 and month_first_votes == 0:
        reason[:] = ("is ambiguous: day/month order cannot be told from this file "
                     "(every part is 12 or less); write dates as ISO 8601, e.g. 2026-04-03")
        return out, reason
    day_first = day_first_votes >= month_first_votes
    day, month = (a, b) if day_first else (b, a)
    time = parts["time"].fillna("").str.strip()
    iso = (parts["y"] + "-" + month.astype(str).str.zfill(2) + "-"
           + day.astype(str).str.zfill(2))
    naive = pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")
    has_time = time != ""
    if has_time.any():
        clock = pd.to_datetime("2000-01-01 " + time[has_time].str.upper(),
                               format="mixed", errors="coerce")
        naive[has_time] = naive[has_time] + (clock - pd.Timestamp("2000-01-01"))
    ok = naive.notna()
    if ok.any():
        out[ok] = _localize(naive[ok], tz)
    order = "dd/mm/yyyy" if day_first else "mm/dd/yyyy"
    reason[~ok] = f"is not a valid date when read as {order} (the order most of the column uses)"
    return out, reason


def _parse_formats(text: pd.Series, tz: str) -> pd.Series:
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
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
                out[ok[ok].index] = _localize(parsed[ok], tz)
        remaining = remaining[~ok.to_numpy()]
    return out


def parse_timestamps(values: pd.Series, *, tz: str = "UTC",
                     now: pd.Timestamp | None = None) -> tuple[pd.Series, pd.Series]:
    """Parse ``values`` into ``datetime64[ns, UTC]``; give a reason for each failure.

    Parameters
    ----------
    values : Series
        Strings, numbers (epoch) or datetimes. Tz-aware datetimes are converted,
        naive ones localised to ``tz``.
    tz : str
        IANA zone for naive times (default ``"UTC"``).
    now : Timestamp, optional
        Reference for the future-date check (default: the current time).

    Returns
    -------
    (timestamps, reasons)
        ``timestamps`` is aligned with ``values`` (NaT where unreadable);
        ``reasons`` holds ``None`` or a sentence fragment ("'31/02/2026' is not a
        valid date ...") for each value.

    >>> ts, why = parse_timestamps(pd.Series(["2026-03-01T12:00:00Z", "1772366400", "soon"]))
    >>> ts.dt.strftime("%Y-%m-%d %H:%M").tolist()[:2], why.tolist()[2]
    (['2026-03-01 12:00', '2026-03-01 12:00'], "'soon' is not a date or time this loader knows")
    """
    index = values.index
    out = pd.Series(pd.NaT, index=index, dtype="datetime64[ns, UTC]")
    reasons = pd.Series(None, index=index, dtype=object)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        out = values.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    elif pd.api.types.is_datetime64_dtype(values.dtype):
        out = _localize(values, tz)
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
        epoch = _subset_match(text, rest, _EPOCH)
        if epoch.any():
            parsed, why = _parse_epoch(text[epoch])
            out[epoch] = parsed
            reasons[epoch] = why
        rest &= ~epoch
        iso = _subset_match(text, rest, _ISO)
        if iso.any():
            out[iso] = _parse_iso(text[iso], tz)
            reasons[iso & out.isna()] = "is not a valid date (no such day or time)"
        rest &= ~iso
        abbrev = _subset_match(text, rest, _ABBREV)
        if abbrev.any():
            parsed, why = _parse_abbrev(text[abbrev])
            out[abbrev] = parsed
            reasons[abbrev] = why.where(why.notna() | parsed.notna(), "is not a valid date")
        rest &= ~abbrev
        slash = _subset_match(text, rest, _SLASH)
        if slash.any():
            parsed, why = _parse_slash(text[slash], tz)
            out[slash] = parsed
            reasons[slash] = why
        rest &= ~slash
        if rest.any():
            out[rest] = _parse_formats(text[rest], tz)
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
    limit = (now if now is not None else pd.Timestamp.now(tz="UTC")) + FUTURE_TOLERANCE
    future = (out > limit).fillna(False)
    if future.any():
        stamps = out[future].dt.strftime("%Y-%m-%d %H:%M UTC")
        reasons[future] = ("'" + stamps.astype(object) + "' is more than a day in the future "
                           "(check the day/month order or the source's clock)")
        out[future] = pd.NaT
    return out, reasons.where(reasons.notna(), None)


def _as_text(value) -> str:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
