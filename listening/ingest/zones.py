"""Time-zone abbreviations written after a time, and the user's ``tz_names=``.

Exports write the dashboard's zone after a time (CrowdTangle:
``2021-07-05 18:02:45 BRT``). :func:`zone_readings` turns the table shipped in
``resources/mappings/_time_zones.yaml`` plus the user's ``tz_names`` into one
lookup: abbreviation -> a fixed offset (``"-03:00"``) or an IANA zone
(``"Asia/Kolkata"``, whose offset on that date is used). Abbreviations with
several readings (``IST``: India, Ireland or Israel) are known as ambiguous and
are rejected with a reason that names ``tz_names``, as are unknown ones.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import yaml

from ..errors import OptionError

__all__ = ["ambiguous_abbreviations", "check_tz", "known_offsets", "unreadable_reason",
           "zone_readings"]

_OFFSET = re.compile(r"[+-](?:0\d|1[0-4]):[0-5]\d")
_ABBREVIATION = re.compile(r"[A-Za-z]{1,6}")


@lru_cache(maxsize=1)
def _table() -> dict:
    folder = resources.files("listening") / "resources" / "mappings"
    return yaml.safe_load((folder / "_time_zones.yaml").read_text(encoding="utf-8"))


def known_offsets() -> dict[str, str]:
    """Abbreviation -> fixed UTC offset, from the shipped table (upper case keys)."""
    return {str(k).upper(): str(v) for k, v in _table()["offsets"].items()}


def ambiguous_abbreviations() -> dict[str, str]:
    """Abbreviation -> the readings it has (for reject reasons)."""
    return {str(k).upper(): str(v) for k, v in _table()["ambiguous"].items()}


def check_tz(name: str, value: object) -> str:
    """``value`` if it is an IANA time-zone name, else :class:`OptionError`."""
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(str(value))
        if not isinstance(value, str) or not value:
            raise ValueError
    except (KeyError, ValueError, TypeError, OSError):
        raise OptionError(f"{name}={value!r} is not a time-zone name; use an IANA name such "
                          "as 'America/Toronto' or 'UTC'", name=name, value=value) from None
    return value


def zone_readings(tz_names: dict | None) -> dict[str, str]:
    """The abbreviation lookup for one load: the shipped offsets, then ``tz_names``.

    Each ``tz_names`` value is an IANA zone (``"Asia/Kolkata"``) or a fixed offset
    (``"+05:30"``); keys are abbreviations (letters only), compared upper-cased.
    Raises :class:`OptionError` naming the bad entry.

    >>> zone_readings({"ist": "Asia/Kolkata"})["IST"], zone_readings(None)["BRT"]
    ('Asia/Kolkata', '-03:00')
    """
    readings = known_offsets()
    if tz_names is None:
        return readings
    if not isinstance(tz_names, dict):
        raise OptionError(f"tz_names={tz_names!r} is not accepted; give a dict such as "
                          "{'IST': 'Asia/Kolkata'} (abbreviation -> IANA zone or '+05:30')",
                          name="tz_names", value=tz_names)
    for key, value in tz_names.items():
        if not isinstance(key, str) or not _ABBREVIATION.fullmatch(key):
            raise OptionError(f"tz_names key {key!r} is not a time-zone abbreviation (1 to 6 "
                              "letters, e.g. 'IST')", name="tz_names", value=key)
        if isinstance(value, str) and _OFFSET.fullmatch(value):
            readings[key.upper()] = value
        else:
            readings[key.upper()] = check_tz(f"tz_names[{key!r}]", value)
    return readings


def unreadable_reason(abbreviation: str) -> str:
    """Why a time carrying ``abbreviation`` cannot be read, and what to pass."""
    key = abbreviation.upper()
    ambiguous = ambiguous_abbreviations()
    if key in ambiguous:
        return (f"has the time-zone abbreviation {key}, which is ambiguous ({ambiguous[key]}); "
                f"say which one the export means with tz_names={{'{key}': '<IANA zone>'}}, "
                "e.g. 'Asia/Kolkata'")
    return (f"has the time-zone abbreviation {key}, which this loader does not know; say "
            f"what it means with tz_names={{'{key}': '<IANA zone or +hh:mm>'}}")
