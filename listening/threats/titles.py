"""Alerts in an analyst's words: a title, the severity in words and a why sentence.

``detect_threats`` describes an alert with internal names (``threat_vocabulary``,
``topic:21``, ``platform:news``); a manager needs "Evacuations near Kenora, since
Mon 16 Nov 15:00". :func:`alert_titles` writes, for each alert row:

* ``title``: *what* (the threat-vocabulary category the alert's posts use, else
  the monitoring rule they match most, else the topic, else its first terms),
  *where* (the place named most often in its posts, from the gazetteer
  ``listening/resources/report/places.yaml``) and *since when* (its start, in
  ``tz``);
* ``severity_text``: :func:`severity_words`;
* ``why``: one sentence from the alert's own numbers (peak per bin against the
  usual level, mentions so far, near-identical texts, new accounts, where it was
  also seen), every word from the template strings of the language
  (``listening/resources/templates/strings.yaml``).

Signal names come from the threat signal registry
(:func:`listening.threats.registry.signal_title`, strings in
``listening/resources/threats/signals.yaml``), so a new signal needs no edit here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources
from string import Template

import pandas as pd
import yaml

from ..report.formatting import (
    MONTHS_EN,
    MONTHS_FR_SHORT,
    NBSP,
    fmt_int,
    fmt_num,
    fmt_pct,
    is_missing,
    local_time,
)
from ..report.formatting import as_list as _as_list
from ..report.strings import strings

__all__ = ["SEVERITY_BANDS", "alert_titles", "display_segment", "find_place", "severity_words",
           "signal_title", "topic_names"]

# Severity 1-10 (DESIGN) in words: the threat board pages at 7.
SEVERITY_BANDS = ((9, "severity_critical"), (7, "severity_high"), (4, "severity_moderate"),
                  (1, "severity_low"))
# Posts searched for the alert's place and category: its examples plus at most this
# many posts of its window that use its first terms.
MAX_WINDOW_POSTS = 500
# A place must be named by at least this share of the searched posts to be "where".
MIN_PLACE_SHARE = 0.2
# Coordination worth a clause in the why sentence.
DUP_SHARE_SAID = 0.5
NEW_AUTHOR_SHARE_SAID = 0.3
# Platforms and languages named in "also seen on ...".
MAX_SEEN = 3
_BIN_KEYS = {pd.Timedelta("1h"): "per_hour", pd.Timedelta("15min"): "per_quarter",
             pd.Timedelta("1D"): "per_day"}
_DAYS_EN = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_DAYS_FR = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."]


@lru_cache(maxsize=1)
def _places() -> tuple[tuple[str, ...], re.Pattern]:
    text = resources.files("listening").joinpath("resources/report/places.yaml").read_text("utf-8")
    names = tuple(sorted({str(p) for p in (yaml.safe_load(text) or {}).get("places", [])},
                         key=lambda p: (-len(p), p)))
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(n) for n in names) + r")(?![\w-])")
    return names, pattern


def find_place(texts: Sequence[str]) -> str | None:
    """The gazetteer place named in most of ``texts`` (at least 20% of them), or None.

    >>> find_place(["Evacuation order north of Kenora", "Kenora smoke", "stay safe"])
    'Kenora'
    """
    texts = [t for t in texts if isinstance(t, str)]
    if not texts:
        return None
    _, pattern = _places()
    counts: dict[str, int] = {}
    for text in texts:
        for place in set(pattern.findall(text)):
            counts[place] = counts.get(place, 0) + 1
    if not counts:
        return None
    place, n = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return place if n >= MIN_PLACE_SHARE * len(texts) else None


def severity_words(severity, lang: str) -> str:
    """``9`` -> ``"critical"`` / ``"critique"`` (1-3 low, 4-6 moderate, 7-8 high, 9-10 critical).

    A severity already in words (``"critical"``, ``"medium"``: alerts from elsewhere) is
    put in the language's words.
    """
    s = strings(lang)
    if isinstance(severity, str) and not severity.strip().isdigit():
        word = {"medium": "moderate"}.get(severity.strip().lower(), severity.strip().lower())
        return s.get(f"severity_{word}", severity)
    value = 0 if is_missing(severity) else int(severity)
    for floor, key in SEVERITY_BANDS:
        if value >= floor:
            return s[key]
    return s["severity_low"]


def signal_title(name: str, lang: str) -> str:
    """A signal's name in words (``threat_vocabulary`` -> "threat vocabulary").

    The registry's title; a name the registry does not know (an alert stored before a
    signal was renamed) gets the generic words, never the internal name.
    """
    from .registry import SIGNALS
    from .registry import signal_title as registry_title

    if name in SIGNALS:
        return registry_title(name, lang)
    return strings(lang)["signal_other"]


def _list_words(items: list[str], s: dict) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + s["and"] + items[-1]


def topic_names(frame: pd.DataFrame, *, lang: str) -> dict[str, str]:
    """``{"3": label}`` for every topic of ``frame``; the catch-all topic -1 gets the
    language's words for "other subjects" (its label names nothing)."""
    if not {"topic", "topic_label"} <= set(frame.columns):
        return {}
    pairs = frame[["topic", "topic_label"]].dropna().drop_duplicates("topic")
    names = {str(t): str(label) for t, label in zip(pairs["topic"], pairs["topic_label"])}
    if "-1" in names:
        names["-1"] = strings(lang)["topic_other"]
    return names


def display_segment(segment, lang: str, *, topic_names: Mapping[str, str] | None = None,
                    rule_titles: Mapping[str, str] | None = None) -> str:
    """A segment in words: ``all`` -> "all mentions", ``platform:news`` -> "news sites",
    ``language:fr`` -> "French-language posts", ``topic:3`` -> "topic « its label »"."""
    s = strings(lang)
    if is_missing(segment) or str(segment) in ("", "all"):
        return s["segment_all"]
    kind, _, value = str(segment).partition(":")
    if kind == "platform":
        return s["platforms"].get(value, value)
    if kind == "language":
        name = s["languages"].get(value)
        return Template(s["segment_language"]).safe_substitute(language=name) if name else \
            s["segment_other_language"]
    if kind == "topic":
        label = (topic_names or {}).get(value)
        if value == "-1" or label is None:
            return s["segment_topic_other"] if value == "-1" else s["segment_topic_unnamed"]
        return Template(s["segment_topic"]).safe_substitute(topic=label)
    if kind == "rule":
        return (rule_titles or {}).get(value, value.replace("_", " "))
    return s["segment_other"]


def fmt_weekday_time(ts, lang: str, tz: str) -> str:
    """``Mon 16 Nov 15:00`` / ``lun. 16 nov., 15 h`` in ``tz``."""
    t = local_time(ts, tz)
    if t is None:
        return "–"
    if lang == "fr":
        minutes = f"{t.minute:02d}" if t.minute else ""
        return (f"{_DAYS_FR[t.weekday()]} {t.day} {MONTHS_FR_SHORT[t.month - 1]}, "
                f"{t.hour}{NBSP}h{NBSP if minutes else ''}{minutes}").rstrip()
    return f"{_DAYS_EN[t.weekday()]} {t.day} {MONTHS_EN[t.month - 1]} {t.hour:02d}:{t.minute:02d}"


def _alert_posts(row: dict, frame: pd.DataFrame, times: pd.Series) -> list[str]:
    """Texts of the alert's examples, then posts of its window using its first term."""
    if "text" not in frame.columns:
        return []
    ids = [str(i) for i in _as_list(row.get("example_ids"), split=True)]
    texts: list[str] = []
    if ids:
        hit = frame["mention_id"].astype("string").isin(ids).to_numpy(dtype=bool)
        texts += frame["text"][hit].astype("string").dropna().tolist()
    start, end = row.get("start"), row.get("end")
    terms = [str(t) for t in _as_list(row.get("terms"))][:1]
    if not is_missing(start) and not is_missing(end) and terms:
        inside = ((times >= pd.Timestamp(start)) & (times <= pd.Timestamp(end))).to_numpy()
        window = frame["text"][inside].astype("string")
        used = window[window.str.contains(terms[0], case=False, regex=False, na=False)]
        texts += used.head(MAX_WINDOW_POSTS).tolist()
    return texts


def _category(texts: list[str], terms: list[str], vocabulary: dict, lang: str) -> str | None:
    """The threat-vocabulary category used by most of the posts (its label in ``lang``)."""
    from .signals import terms_found

    if not vocabulary:
        return None
    sample = pd.Series(texts + terms, dtype="string")
    best, best_n = None, 0
    for name in sorted(vocabulary):
        n = sum(count for _, count in terms_found(sample, vocabulary, [name]))
        if n > best_n:
            best, best_n = name, n
    if best is None:
        return None
    spec = vocabulary[best]
    return spec["label_fr"] if lang == "fr" else spec["label"]


def _rule_title(row: dict, frame: pd.DataFrame, rule_titles: Mapping[str, str]) -> str | None:
    ids = [str(i) for i in _as_list(row.get("example_ids"), split=True)]
    columns = [c for c in frame.columns if isinstance(c, str) and c.startswith("rule_")]
    if not ids or not columns:
        return None
    hit = frame["mention_id"].astype("string").isin(ids).to_numpy(dtype=bool)
    sums = {c: int(frame.loc[hit, c].fillna(False).astype(bool).sum()) for c in columns}
    column, n = min(sums.items(), key=lambda kv: (-kv[1], kv[0]))
    if n == 0:
        return None
    slug = column[len("rule_"):]
    return rule_titles.get(slug, slug.replace("_", " ").capitalize())


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _seen(row: dict, s: dict) -> str:
    """ "Platforms: news sites and Facebook; languages: English and French." or ""."""
    related = [str(r) for r in _as_list(row.get("related"))]
    segment = str(row.get("segment") or "")
    platforms = [s["platforms"].get(r.split(":", 1)[1], r.split(":", 1)[1])
                 for r in [segment, *related] if r.startswith("platform:")]
    languages = [s["languages"][r.split(":", 1)[1]] for r in [segment, *related]
                 if r.startswith("language:") and r.split(":", 1)[1] in s["languages"]]
    platforms = list(dict.fromkeys(platforms))[:MAX_SEEN]
    languages = list(dict.fromkeys(languages))[:MAX_SEEN]
    parts = []
    if platforms:
        parts.append(Template(s["seen_on"]).safe_substitute(platforms=_list_words(platforms, s)))
    if languages:
        parts.append(Template(s["seen_in"]).safe_substitute(languages=_list_words(languages, s)))
    return (" " + _capital("; ".join(parts)) + ".") if parts else ""


def _number(value, lang: str) -> str:
    if is_missing(value) or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    value = float(value)
    return fmt_int(value, lang) if value >= 10 or value == int(value) else fmt_num(value, lang, 1)


def _why(row: dict, what: str, freq: pd.Timedelta, lang: str, s: dict) -> str:
    signal = str(row.get("signal") or "")
    observed, expected = row.get("observed"), row.get("expected")
    per = s.get(_BIN_KEYS.get(freq, ""), s["per_bin"])
    terms = [str(t) for t in _as_list(row.get("terms"))][:2]
    quoted = _list_words([s["quote_open"] + t + s["quote_close"] for t in terms], s)
    values = {"what": what, "per": per, "terms": quoted, "mentions": _number(row.get("mentions"), lang)}
    from .registry import SIGNALS

    spec = SIGNALS.get(signal)
    if spec is not None and spec.value == "share":
        values.update(observed=fmt_pct(observed, lang, 0), expected=fmt_pct(expected, lang, 0))
        key = f"why_{signal}" if f"why_{signal}" in s else "why_share"
    else:
        ratio = (float(observed) / float(expected) if not is_missing(observed) and
                 not is_missing(expected) and float(expected) > 0 else float("nan"))
        values.update(observed=_number(observed, lang), expected=_number(expected, lang),
                      ratio=fmt_num(ratio, lang, 0 if ratio >= 3 else 1) if math.isfinite(ratio)
                      else "–")
        key = f"why_{signal}" if f"why_{signal}" in s else "why_volume"
        if not math.isfinite(ratio):
            key = "why_no_baseline"
        if not terms and key in ("why_threat_vocabulary", "why_emerging_terms"):
            key = "why_volume"
    text = Template(s[key]).safe_substitute(values)
    if values["mentions"] != "–":
        text += Template(s["why_so_far"]).safe_substitute(values)
    text += "."
    dup, new = row.get("dup_share"), row.get("new_author_share")
    extra = []
    if not is_missing(dup) and float(dup) >= DUP_SHARE_SAID:
        extra.append(Template(s["why_duplicates"]).safe_substitute(share=fmt_pct(dup, lang, 0)))
    if not is_missing(new) and float(new) >= NEW_AUTHOR_SHARE_SAID:
        extra.append(Template(s["why_new_accounts"]).safe_substitute(share=fmt_pct(new, lang, 0)))
    if extra:
        text += " " + _capital(s["and"].join(extra) if len(extra) == 2 else extra[0]) + "."
    return text + _seen(row, s)


def alert_titles(alerts: pd.DataFrame, *, lang: str, frame: pd.DataFrame | None = None,
                 tz: str = "America/Toronto", topic_names: Mapping[str, str] | None = None,
                 rule_titles: Mapping[str, str] | None = None,
                 vocabulary: dict | None = None) -> pd.DataFrame:
    """Analyst titles, severity words and why sentences for ``alerts`` (from detect_threats).

    Parameters
    ----------
    alerts : DataFrame
        Rows of ``detect_threats``; uses ``segment, start, end, signal, severity,
        observed, expected, terms, example_ids, mentions, dup_share,
        new_author_share, related`` when present.
    lang : {"en", "fr"}
    frame : DataFrame, optional
        The mentions, for the posts that name the place and the category.
    tz : str
        Time zone of "since".
    topic_names : dict, optional
        ``{"3": "its label"}`` for ``topic:3`` segments.
    rule_titles : dict, optional
        ``{rule slug: title}`` for rule segments and rule-matched alerts.
    vocabulary : dict, optional
        The threat vocabulary (default: the packaged one).

    Returns
    -------
    DataFrame aligned with ``alerts``: ``title, what, where, since, severity_text,
    signal_text, why``.
    """
    from .signals import load_vocabulary

    s = strings(lang)
    vocabulary = load_vocabulary() if vocabulary is None else vocabulary
    freq = pd.Timedelta(alerts.attrs.get("freq", "1h")) if hasattr(alerts, "attrs") else \
        pd.Timedelta("1h")
    times = (pd.to_datetime(frame["timestamp"], utc=True)
             if frame is not None and "timestamp" in frame.columns else None)
    rows = []
    for row in alerts.to_dict("records"):
        texts = _alert_posts(row, frame, times) if times is not None else []
        terms = [str(t) for t in _as_list(row.get("terms"))]
        what = _category(texts, terms, vocabulary, lang)
        if what is None and frame is not None:
            what = _rule_title(row, frame, rule_titles or {})
        segment = str(row.get("segment") or "all")
        if what is None and segment != "all":
            what = display_segment(segment, lang, topic_names=topic_names,
                                   rule_titles=rule_titles)
            if segment.split(":", 1)[0] in ("platform", "language") and terms:
                # "X" says where, not what: the alert's own words say what
                what = f"{', '.join(terms[:2])} ({what})"
        if what is None:
            what = ", ".join(terms[:2]) or s["segment_all"]
        place = find_place(texts)
        since = fmt_weekday_time(row.get("start"), lang, tz)
        title = _capital(what) + (Template(s["near_place"]).safe_substitute(place=place)
                                  if place else "")
        rows.append({"title": Template(s["alert_title"]).safe_substitute(title=title, since=since),
                     "what": what, "where": place or "", "since": since,
                     "severity_text": severity_words(row.get("severity"), lang),
                     "signal_text": signal_title(str(row.get("signal") or ""), lang),
                     "why": _why(row, what, freq, lang, s)})
    return pd.DataFrame(rows, index=alerts.index,
                        columns=["title", "what", "where", "since", "severity_text",
                                 "signal_text", "why"])
