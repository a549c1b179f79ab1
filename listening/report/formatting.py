"""Numbers, percentages and dates in English or French typography.

French follows the Office québécois de la langue française: decimal comma,
thin no-break space between thousands (``20 000``), no-break space before ``%``
(``31 %``) and hours written ``14 h 05``. English (Canada): ``20,000``, ``31%``,
``Nov 3, 2026``.
"""

from __future__ import annotations

import math

import pandas as pd

__all__ = [
    "LANGS",
    "MONTHS_EN",
    "MONTHS_FR_SHORT",
    "NBSP",
    "NNBSP",
    "as_list",
    "check_lang",
    "fmt_change",
    "fmt_date",
    "fmt_datetime",
    "fmt_int",
    "fmt_num",
    "fmt_pct",
    "fmt_short_datetime",
    "local_time",
]

LANGS = ("en", "fr")
NBSP = "\u00a0"    # no-break space: before %, :, and inside "14 h 05"
NNBSP = "\u202f"   # narrow no-break space: French thousands separator
_MONTHS_FR = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
              "septembre", "octobre", "novembre", "décembre"]
MONTHS_FR_SHORT = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
                   "oct.", "nov.", "déc."]
MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def check_lang(lang: str) -> str:
    """``lang`` if the brief speaks it (:data:`LANGS`), else :class:`OptionError`."""
    from ..errors import check_option

    return check_option("lang", lang, LANGS)


def is_missing(value) -> bool:
    """True for None, pd.NA, NaN and NaT (scalars only; lists are never missing)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def as_list(value, *, split: bool = False) -> list:
    """A cell that may hold one value or several (a list, array or Series) as a list;
    missing values and empty strings are left out. ``split=True`` reads a string as a
    list separated by ``; , |`` or spaces (ids from a CSV file).

    >>> as_list("a; b,c", split=True), as_list("gift cards")
    (['a', 'b', 'c'], ['gift cards'])
    """
    import re

    import numpy as np

    if is_missing(value):
        return []
    if isinstance(value, str):
        return [v for v in re.split(r"[;,|\s]+", value) if v] if split else [value]
    if isinstance(value, (list, tuple, set, np.ndarray, pd.Series)):
        return [v for v in list(value) if v is not None and str(v) != ""]
    return [value]


def fmt_num(value, lang: str = "en", digits: int = 1) -> str:
    """``1234.5`` -> ``1,234.5`` (en) or ``1 234,5`` (fr); missing -> an en dash.

    >>> fmt_num(1234.5, "fr") == "1\u202f234,5"
    True
    """
    if is_missing(value):
        return "–"
    text = f"{float(value):,.{digits}f}"
    if lang == "fr":
        text = text.replace(",", NNBSP).replace(".", ",")
    return text


def fmt_int(value, lang: str = "en") -> str:
    """``20000`` -> ``20,000`` / ``20 000``."""
    return fmt_num(value, lang, digits=0)


def fmt_pct(share, lang: str = "en", digits: int = 1) -> str:
    """A share in 0..1 as a percentage: ``0.312`` -> ``31.2%`` / ``31,2 %``.

    >>> fmt_pct(0.31, "fr", digits=0) == "31\u00a0%"
    True
    """
    if is_missing(share):
        return "–"
    number = fmt_num(100 * float(share), lang, digits)
    return number + (NBSP + "%" if lang == "fr" else "%")


def fmt_change(current, previous, lang: str = "en") -> str:
    """Relative change with a sign: ``+12%`` / ``+12 %``; ``new`` / ``nouveau`` from zero."""
    if is_missing(current) or is_missing(previous):
        return "–"
    if previous == 0:
        return "–" if current == 0 else ("nouveau" if lang == "fr" else "new")
    change = (float(current) - float(previous)) / float(previous)
    change = round(change, 2)  # the sign of what is shown: +0.3% is "±0%"
    sign = "+" if change > 0 else "−" if change < 0 else "±"
    return sign + fmt_pct(abs(change), lang, digits=0)


def local_time(ts, tz: str) -> pd.Timestamp | None:
    """``ts`` in ``tz`` (a naive time is UTC), or None when missing: every date the brief
    and the alert titles write starts here."""
    if is_missing(ts) or pd.isna(ts):
        return None
    t = pd.Timestamp(ts)
    return (t.tz_localize("UTC") if t.tzinfo is None else t).tz_convert(tz)


def fmt_date(ts, lang: str = "en", tz: str = "America/Toronto") -> str:
    """``Nov 3, 2026`` / ``3 novembre 2026`` in ``tz``."""
    t = local_time(ts, tz)
    if t is None:
        return "–"
    if lang == "fr":
        day = "1er" if t.day == 1 else str(t.day)
        return f"{day} {_MONTHS_FR[t.month - 1]} {t.year}"
    return f"{MONTHS_EN[t.month - 1]} {t.day}, {t.year}"


def fmt_short_datetime(ts, lang: str = "en", tz: str = "America/Toronto") -> str:
    """``Nov 3 14:05`` / ``3 nov. 14 h 05`` in ``tz``: a time within a period already
    dated (the brief's evidence tables), on one line."""
    t = local_time(ts, tz)
    if t is None:
        return "–"
    if lang == "fr":
        return f"{t.day}{NBSP}{MONTHS_FR_SHORT[t.month - 1]} {t.hour}{NBSP}h{NBSP}{t.minute:02d}"
    return f"{MONTHS_EN[t.month - 1]}{NBSP}{t.day} {t.hour:02d}:{t.minute:02d}"


def fmt_datetime(ts, lang: str = "en", tz: str = "America/Toronto") -> str:
    """``Nov 3, 2026 14:05`` / ``3 novembre 2026, 14 h 05`` in ``tz``."""
    t = local_time(ts, tz)
    if t is None:
        return "–"
    if lang == "fr":
        return f"{fmt_date(t, lang, tz)}, {t.hour}{NBSP}h{NBSP}{t.minute:02d}"
    return f"{fmt_date(t, lang, tz)} {t.hour:02d}:{t.minute:02d}"
