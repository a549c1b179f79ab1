"""What the manager brief says: numbers, alerts, subjects, forecast, actions.

:func:`build_brief` aggregates first (counts per period, label, topic and day)
so that a brief over a million mentions takes seconds, then fills a
:class:`Brief` whose strings are already written in the chosen language (every
word from ``listening/resources/templates/strings.yaml``). Rendering (HTML,
Markdown, PDF) is in :mod:`listening.report.render`.

Documented minimums (below them a section says why a number is absent):

* :data:`MIN_FORECAST_DAYS` complete days of history for a forecast;
* :data:`MIN_CHART_DAYS` complete days for the volume chart;
* :data:`MIN_SHARE_MENTIONS` scored mentions for a share of negative mentions
  (per platform too, for the annex chart).
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from string import Template

import numpy as np
import pandas as pd

from ..errors import OptionError
from ..schema import require_columns
from ..sentiment.labels import sentiment_labels
from ..sentiment.summary import sentiment_summary
from .actions import Action, load_actions, suggest_actions
from .formatting import (
    as_list as _as_list,
)
from .formatting import (
    check_lang,
    fmt_change,
    fmt_date,
    fmt_datetime,
    fmt_int,
    fmt_num,
    fmt_pct,
    is_missing,
)
from .strings import strings

__all__ = ["MIN_CHART_DAYS", "MIN_FORECAST_DAYS", "MIN_SHARE_MENTIONS", "Brief", "build_brief",
           "negative_share", "strings"]

# Alerts shown, evidence posts per alert (annex), subjects and rules listed: what fits.
TOP_ALERTS = 3
EVIDENCE_PER_ALERT = 3
TOP_TOPICS = 4
TOP_RULES = 8
# The severity the threat board pages at (DESIGN: severity 1-10; 7+ is urgent).
HEADLINE_SEVERITY = 7
# A subject must have this many mentions this period to be called "rising".
MIN_TOPIC_MENTIONS = 5
# Below 5% either way a change is reported as "held steady".
STABLE_CHANGE = 0.05
# Minimums (module docstring): forecasting needs two weekly cycles, a line three points,
# a share with a useful interval 30 scored mentions (the interval is then under ±18 pts).
MIN_FORECAST_DAYS = 14
MIN_CHART_DAYS = 3
MIN_SHARE_MENTIONS = 30
# Without a severe alert, a rise of the negative share by this much (0.05 = 5 points)
# leads the headline.
HEADLINE_NEGATIVE_RISE = 0.05
# Below this many mentions in the period the headline says there is too little data.
MIN_HEADLINE_MENTIONS = 30
HISTORY_DAYS = 28
EXAMPLE_CHARS = 150
EVIDENCE_CHARS = 280
PLATFORMS_CHARTED = 5
_ALL_SEGMENTS = ("all", "total", "overall", "*", "")
_VOLUME_METRICS = ("volume", "mentions", "count", "n")


@dataclass
class Brief:
    """The content of one manager brief, written in ``lang``.

    ``numbers`` rows carry raw values (``current``, ``previous``, ``last_month``,
    ``low``, ``high``) next to their text, so tests and widgets can check them;
    ``absent`` maps a section to the sentence saying why it has no numbers.
    """

    lang: str
    tz: str
    start: pd.Timestamp
    end: pd.Timestamp
    previous_start: pd.Timestamp
    days: float
    headline: str
    subtitle: str
    numbers: list[dict]
    alerts: list[dict]
    topics: list[dict] | None
    rules: list[dict]
    forecast: dict | None
    events: list[dict]
    actions: list[Action]
    provenance: dict
    charts: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)
    frame_columns: tuple = ()
    absent: dict = field(default_factory=dict)
    share_of_voice: str = ""
    has_last_month: bool = False


# ---------------------------------------------------------------- aggregates

def negative_share(labels: pd.Series, *, by: pd.Series | None = None) -> pd.DataFrame:
    """Shares of each sentiment label with 95% bootstrap intervals.

    :func:`listening.sentiment.summary.sentiment_summary` on ``labels`` (grouped by
    ``by``): ``group, label, share, low, high, n``.
    """
    data = pd.DataFrame({"sentiment_label": labels})
    if by is None:
        return sentiment_summary(data)
    return sentiment_summary(data.assign(group=by.astype("string").fillna("(missing)")),
                             by="group")


def _complete_days(times: pd.Series, end: pd.Timestamp) -> pd.DataFrame:
    """Mentions per UTC day over the last HISTORY_DAYS, complete days only."""
    counts = times.dt.floor("D").value_counts().sort_index()
    counts = counts[counts.index > end.floor("D") - pd.Timedelta(days=HISTORY_DAYS)]
    if len(counts) and end < counts.index[-1] + pd.Timedelta(days=1) - pd.Timedelta(seconds=1):
        counts = counts.iloc[:-1]  # the last day is partial: it would show a false drop
    if len(counts) and times.min() > counts.index[0]:
        counts = counts.iloc[1:]   # so is the first
    return pd.DataFrame({"timestamp": counts.index, "count": counts.to_numpy()})


def _days_of_data(times: pd.Series) -> int:
    """Calendar days (UTC) from the first mention's to the last one's, both counted."""
    if len(times) == 0 or times.isna().all():
        return 0
    return int((times.max().floor("D") - times.min().floor("D")) / pd.Timedelta(days=1)) + 1


def _author_reach(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int] | None:
    """Each mention's author as a code (handles compared case-blind), its reach, and the
    number of authors; None without follower counts."""
    if "reach" not in frame.columns or "author" not in frame.columns:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    reach = pd.to_numeric(frame["reach"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    authors = pa.array(frame["author"].astype("string").array)
    if isinstance(authors, pa.ChunkedArray):
        authors = authors.combine_chunks()
    encoded = pc.dictionary_encode(pc.utf8_lower(authors))
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    reach[codes < 0] = np.nan
    return codes, reach, len(encoded.dictionary)


def _audience(author_reach, mask: np.ndarray) -> tuple[int | None, int]:
    """Sum over distinct authors of their largest follower count, and the authors counted."""
    if author_reach is None:
        return None, 0
    codes, reach, n_authors = author_reach
    ok = mask & ~np.isnan(reach)
    if not ok.any():
        return None, 0
    best = np.full(n_authors, -1.0)
    np.maximum.at(best, codes[ok], reach[ok])
    best = best[best >= 0]
    if best.sum() <= 0:
        return None, 0
    return int(best.sum()), len(best)


def _label_strings(codes: np.ndarray) -> pd.Series:
    """Label codes (-1 missing) as an Arrow-backed string Series, what sentiment_summary reads
    fastest."""
    import pyarrow as pa

    from ..schema import SENTIMENT_LABELS

    array = pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0),
                                           pa.array(list(SENTIMENT_LABELS))).cast(pa.string())
    return pd.Series(pd.arrays.ArrowStringArray(array))


# ---------------------------------------------------------------- sections

def _change(current: float, previous: float | None, s: dict, lang: str, days: str) -> str:
    values = {"volume": fmt_int(current, lang), "days": days}
    if previous is None:
        return Template(s["change_no_history"]).safe_substitute(values)
    if previous == 0:
        return Template(s["change_from_zero"]).safe_substitute(values)
    change = (current - previous) / previous
    key = "change_stable" if abs(change) < STABLE_CHANGE else "change_up" if change > 0 \
        else "change_down"
    return Template(s[key]).safe_substitute(values, pct=fmt_change(current, previous, lang))


def _short(text, limit: int) -> str:
    text = "" if is_missing(text) else " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _negative_rise(numbers: list[dict]) -> float:
    """Change of the negative share on the previous period (0 when either is unknown)."""
    share = next((n for n in numbers if n["key"] == "negative_share"), None)
    if share is None or share["current"] is None or share["previous"] is None:
        return 0.0
    return share["current"] - share["previous"]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _lower_first(text: str) -> str:
    """"Wildfire and evacuation" -> "wildfire and evacuation"; "OPP ..." stays."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _example(evidence: pd.DataFrame, lang: str) -> str:
    """The first example post, in the brief's language when one is."""
    if len(evidence) == 0 or "text" not in evidence.columns:
        return ""
    if "language" in evidence.columns:
        same = evidence[evidence["language"].astype("string") == lang]
        evidence = same if len(same) else evidence
    return _short(evidence["text"].iloc[0], EXAMPLE_CHARS)


def _alerts(alerts: pd.DataFrame | None, frame: pd.DataFrame, start: pd.Timestamp,
            lang: str, tz: str, s: dict, topic_names: dict, rule_titles: dict) -> list[dict]:
    from ..threats.titles import alert_titles

    if alerts is None or len(alerts) == 0:
        return []
    a = alerts
    when = next((c for c in ("end", "start") if c in a.columns), None)
    if when is not None:
        a = a[pd.to_datetime(a[when], utc=True) > start]
    order = [c for c in ("severity", "score") if c in a.columns]
    if order:
        a = a.sort_values(order, ascending=False, kind="stable")
    a = a.head(TOP_ALERTS)
    if len(a) == 0:
        return []
    words = alert_titles(a, lang=lang, frame=frame, tz=tz, topic_names=topic_names,
                         rule_titles=rule_titles)
    ids = {str(i) for v in a.get("example_ids", pd.Series(dtype=object))
           for i in _as_list(v, split=True)}
    posts = frame[frame["mention_id"].astype("string").isin(sorted(ids))] if ids else frame.iloc[:0]
    posts = posts.set_index(posts["mention_id"].astype("string"), drop=False)
    out = []
    for (_, row), (_, w) in zip(a.iterrows(), words.iterrows()):
        row = row.to_dict()
        wanted = [str(i) for i in _as_list(row.get("example_ids"), split=True)]
        found = [i for i in wanted if i in posts.index][:EVIDENCE_PER_ALERT]
        missing = [i for i in wanted if i not in posts.index][:EVIDENCE_PER_ALERT]
        terms = [str(t) for t in _as_list(row.get("terms"))]
        severity = 0 if is_missing(row.get("severity")) else int(row["severity"])
        evidence = posts.loc[found].copy() if found else posts.iloc[:0].copy()
        if "text" in evidence.columns:
            evidence["text"] = evidence["text"].map(lambda t: _short(t, EVIDENCE_CHARS))
        if "platform" in evidence.columns:
            evidence["platform"] = evidence["platform"].astype("string").map(
                lambda p: s["platforms"].get(p, p), na_action="ignore")
        example = _example(evidence, lang)
        subject = w["what"][:1].upper() + w["what"][1:] + (
            Template(s["near_place"]).safe_substitute(place=w["where"]) if w["where"] else "")
        quoted = ", ".join(terms[:4])
        out.append({
            "severity": severity, "severity_text": _capital(w["severity_text"]),
            "severity_words": w["severity_text"], "title": w["title"],
            "subject": subject, "why": w["why"], "signal": str(row.get("signal", "") or ""),
            "signal_text": w["signal_text"],
            "start": row.get("start"), "since": w["since"], "example": example,
            **{k: row[k] for k in ("coordination", "dup_share", "new_author_share") if k in row},
            "evidence": evidence, "missing": missing if not found else [],
            "missing_text": Template(s["evidence_missing"]).safe_substitute(
                ids=", ".join(missing)) if missing and not found else "",
            "terms_text": ", ".join(terms), "segment": subject,
            "placeholders": {"segment": subject if lang == "fr" else _lower_first(subject),
                             "terms": quoted or subject,
                             "severity": str(severity), "signal": w["what"]},
        })
    return out


def _topics(frame: pd.DataFrame, masks: dict, lang: str, names: dict,
            s: dict) -> tuple[list[dict] | None, pd.DataFrame]:
    if "topic" in frame.columns and names:
        topic = frame["topic"].astype("Int64")
        now = topic[masks["current"]].value_counts()
        before = topic[masks["previous"]].value_counts()
        label = lambda t: names.get(str(t), s["segment_topic_unnamed"])
    elif "topic_label" in frame.columns:
        topic = frame["topic_label"].astype("string")
        now = topic[masks["current"]].value_counts()
        before = topic[masks["previous"]].value_counts()
        label = str
    else:
        return None, pd.DataFrame()
    table = pd.DataFrame({"current": now}).join(pd.DataFrame({"previous": before}), how="outer")
    table = table.fillna(0).astype("int64")
    table.index.name = None
    table["topic_label"] = [label(t) for t in table.index]
    table = table.sort_values(["current", "topic_label"], ascending=[False, True], kind="stable")
    chart = table.head(8).rename(columns={"current": "count"}).reset_index(drop=True)
    named = table[table["topic_label"] != s["topic_other"]]
    rising = named[(named["current"] >= MIN_TOPIC_MENTIONS) & (named["current"] > named["previous"])]
    rising = rising.assign(gain=rising["current"] - rising["previous"]).sort_values(
        ["gain", "current", "topic_label"], ascending=[False, False, True], kind="stable")
    rows = [{"label": r.topic_label, "current": int(r.current), "previous": int(r.previous),
             "current_text": fmt_int(r.current, lang), "previous_text": fmt_int(r.previous, lang),
             "change_text": _pct_change(r.current, r.previous, lang, s)}
            for r in rising.head(TOP_TOPICS).itertuples()]
    return rows, chart


def _pct_change(current, previous, lang: str, s: dict) -> str:
    if not is_missing(previous) and previous == 0 and current:
        return s["new"]
    return fmt_change(current, previous, lang)


def _rule_titles(frame: pd.DataFrame, rules) -> dict[str, str]:
    """``{column slug: rule title}``: the rules' own names, else the slug in words."""
    titles = {}
    for rule in rules or []:
        titles[rule.column[len("rule_"):]] = str(rule.name)
    for column in frame.columns:
        if isinstance(column, str) and column.startswith("rule_"):
            slug = column[len("rule_"):]
            titles.setdefault(slug, slug.replace("_", " ").capitalize())
    return titles


def _rules(frame: pd.DataFrame, masks: dict, lang: str, titles: dict, s: dict) -> list[dict]:
    rows = []
    for column in frame.columns:
        if isinstance(column, str) and column.startswith("rule_"):
            hits = frame[column].fillna(False).to_numpy(dtype=bool)
            now = int(hits[masks["current"]].sum())
            before = int(hits[masks["previous"]].sum())
            if now or before:
                rows.append({"rule": titles[column[len("rule_"):]], "current": now,
                             "previous": before, "current_text": fmt_int(now, lang),
                             "previous_text": fmt_int(before, lang),
                             "change_text": _pct_change(now, before, lang, s)})
    return sorted(rows, key=lambda r: (-r["current"], r["rule"]))[:TOP_RULES]


def _forecast(fc: pd.DataFrame | None, end: pd.Timestamp, lang: str, tz: str,
              s: dict) -> tuple[dict | None, list[dict], pd.DataFrame]:
    if fc is None or len(fc) == 0:
        return None, [], pd.DataFrame()
    require_columns(fc, ["timestamp", "metric", "forecast", "lo80", "hi80", "lo95", "hi95"],
                    stage="brief(forecast=...)")
    f = fc.assign(timestamp=pd.to_datetime(fc["timestamp"], utc=True))
    future = f[f["timestamp"] > end]
    f = future if len(future) else f
    if "segment" in f.columns:
        seg = f["segment"].astype("string").fillna("")
        overall = seg.str.lower().isin(_ALL_SEGMENTS)
        f = f[overall] if overall.any() else f
    bounds = ["forecast", "lo80", "hi80", "lo95", "hi95"]
    lines, chart = [], pd.DataFrame()
    metrics = list(dict.fromkeys(f["metric"].astype("string")))
    metrics.sort(key=lambda m: m.lower() not in _VOLUME_METRICS)
    for metric in metrics:
        rows = f[f["metric"].astype("string") == metric]
        per_time = rows.groupby("timestamp")[bounds].sum().sort_index()
        first, last = per_time.index.min(), per_time.index.max()
        if metric.lower() in _VOLUME_METRICS:
            total = per_time.sum()
            text = Template(s["forecast_volume"]).safe_substitute(
                value=fmt_int(total["forecast"], lang), start=fmt_date(first, lang, tz),
                end=fmt_date(last, lang, tz), lo80=fmt_int(total["lo80"], lang),
                hi80=fmt_int(total["hi80"], lang), lo95=fmt_int(total["lo95"], lang),
                hi95=fmt_int(total["hi95"], lang))
            if chart.empty:
                step = per_time.index.to_series().diff().min()
                daily = per_time if pd.isna(step) or step >= pd.Timedelta(days=1) else \
                    per_time.groupby(per_time.index.floor("D")).sum()
                chart = daily.reset_index()
            lines.append({"metric": metric, "text": text, "total": float(total["forecast"]),
                          "lo80": float(total["lo80"]), "hi80": float(total["hi80"]),
                          "lo95": float(total["lo95"]), "hi95": float(total["hi95"])})
        elif "negative" in metric.lower():
            mean = per_time.mean()
            text = Template(s["forecast_negative"]).safe_substitute(
                value=fmt_pct(mean["forecast"], lang, 0), lo80=fmt_pct(mean["lo80"], lang, 0),
                hi80=fmt_pct(mean["hi80"], lang, 0))
            lines.append({"metric": metric, "text": text, "total": float(mean["forecast"]),
                          "lo80": float(mean["lo80"]), "hi80": float(mean["hi80"]),
                          "lo95": float(mean["lo95"]), "hi95": float(mean["hi95"])})
        # other metrics have no words in the brief's languages: they stay in the data
    events: dict[str, pd.Timestamp] = {}
    if "events" in fc.columns:
        src = fc.assign(timestamp=pd.to_datetime(fc["timestamp"], utc=True))
        src = src[src["timestamp"] > end] if (src["timestamp"] > end).any() else src
        for ts, value in zip(src["timestamp"], src["events"]):
            for event in _as_list(value) if not isinstance(value, str) else [value]:
                name = str(event).strip()
                if name and name not in events:
                    events[name] = ts
    event_rows = [{"name": k, "date": v, "date_text": fmt_date(v, lang, "UTC")}
                  for k, v in sorted(events.items(), key=lambda kv: kv[1])]
    return {"lines": lines}, event_rows, chart


def _share_row(labels: pd.Series | None, masks: dict, lang: str, s: dict) -> tuple[dict, float | None]:
    """The "negative mentions" key-number row (sentiment_summary per period)."""
    row = {"key": "negative_share", "label": s["negative_share"], "current": None,
           "previous": None, "last_month": None, "current_text": "–", "previous_text": "–",
           "last_month_text": "–", "change_text": "–", "month_change_text": "–", "note": ""}
    if labels is None:
        row["note"] = s["not_scored"]
        return row, None
    codes = np.asarray(labels.cat.codes)
    shares = {}
    for name, mask in masks.items():
        part = codes[mask]
        n = int((part >= 0).sum())
        if n < MIN_SHARE_MENTIONS:
            if name == "current":
                row["note"] = Template(s["too_few_scored"]).safe_substitute(
                    n=fmt_int(n, lang), min=fmt_int(MIN_SHARE_MENTIONS, lang))
        elif name == "current":  # with its bootstrap interval: sentiment_summary
            summary = sentiment_summary(pd.DataFrame({"sentiment_label": _label_strings(part)}))
            shares[name] = summary[summary["label"] == "negative"].iloc[0]
        else:  # compared periods show the share only: the same count sentiment_summary makes
            shares[name] = {"share": float((part == 0).sum()) / n}
    cur = shares.get("current")
    if cur is None:
        return row, None
    row.update(current=float(cur["share"]), low=float(cur["low"]), high=float(cur["high"]),
               current_text=fmt_pct(cur["share"], lang),
               note=Template(s["interval"]).safe_substitute(low=fmt_pct(cur["low"], lang),
                                                           high=fmt_pct(cur["high"], lang)))
    for name, key in (("previous", "change_text"), ("last_month", "month_change_text")):
        other = shares.get(name)
        if other is not None:
            points = (float(cur["share"]) - float(other["share"])) * 100
            sign = "+" if points > 0.05 else "−" if points < -0.05 else "±"
            row[name] = float(other["share"])
            row[f"{name}_text"] = fmt_pct(other["share"], lang)
            row[key] = f"{sign}{fmt_num(abs(points), lang, 1)}\u00a0{s['points']}"
    return row, float(cur["share"])


def _platform_shares(frame: pd.DataFrame, labels: pd.Series, mask: np.ndarray,
                     s: dict) -> pd.DataFrame:
    """Negative share per platform (platforms with MIN_SHARE_MENTIONS scored mentions),
    from sentiment_summary."""
    if "platform" not in frame.columns:
        return pd.DataFrame()
    codes = np.asarray(labels.cat.codes)[mask]
    platform = frame["platform"][mask].astype("string")
    scored = platform[codes >= 0]
    big = scored.value_counts()
    big = big[big >= MIN_SHARE_MENTIONS].head(PLATFORMS_CHARTED).index
    keep = platform.isin(big).fillna(False).to_numpy(dtype=bool)
    if not keep.any():
        return pd.DataFrame()
    data = pd.DataFrame({"sentiment_label": _label_strings(codes[keep]),
                         "platform": platform[keep].reset_index(drop=True)})
    out = sentiment_summary(data, by="platform")
    out = out[out["label"] == "negative"].copy()
    out["group"] = out["group"].map(lambda p: s["platforms"].get(str(p), str(p)))
    return out


def _share_of_voice(frame: pd.DataFrame, mask: np.ndarray, voices: Mapping | None, lang: str,
                    s: dict) -> str:
    if not voices or not mask.any() or "text" not in frame.columns:
        return ""
    cur = frame.loc[mask, ["text"]]
    from ..trends import share_of_voice

    table = share_of_voice(cur, voices)
    if table["mentions"].sum() == 0:
        return ""
    table = table.sort_values(["mentions", "name"], ascending=[False, True], kind="stable")
    items = [Template(s["sov_item"]).safe_substitute(name=r.name, share=fmt_pct(r.share, lang, 0))
             for r in table.itertuples()]
    return Template(s["sov_line"]).safe_substitute(items=", ".join(items))


def _numbers(frame: pd.DataFrame, masks: dict, labels, lang: str, s: dict) -> tuple[list, float | None]:
    counts = {k: int(m.sum()) for k, m in masks.items()}
    cur, prev = counts["current"], counts["previous"]
    month = counts.get("last_month")
    volume = {"key": "volume", "label": s["volume"], "current": cur, "previous": prev,
              "last_month": month, "current_text": fmt_int(cur, lang),
              "previous_text": fmt_int(prev, lang),
              "last_month_text": fmt_int(month, lang) if month is not None else "–",
              "change_text": _pct_change(cur, prev, lang, s),
              "month_change_text": _pct_change(cur, month, lang, s) if month is not None else "–",
              "note": ""}
    share, neg = _share_row(labels, masks, lang, s)
    rows = [volume, share]
    if "reach" in frame.columns:
        author_reach = _author_reach(frame)
        values = {k: _audience(author_reach, m) for k, m in masks.items()}
        now, authors = values["current"]
        row = {"key": "audience", "label": s["audience"], "current": now,
               "previous": values["previous"][0], "last_month": values.get("last_month", (None,))[0],
               "note": Template(s["audience_note"]).safe_substitute(authors=fmt_int(authors, lang))
               if now else s["no_reach"]}
        for name, change in (("current", None), ("previous", "change_text"),
                             ("last_month", "month_change_text")):
            value = row[name]
            row[f"{name}_text"] = fmt_int(value, lang) if value else "–"
            if change:
                row[change] = _pct_change(now, value, lang, s) if now and value else "–"
        rows.append(row)
    return rows, neg


# ---------------------------------------------------------------- build

def build_brief(frame: pd.DataFrame, *, alerts: pd.DataFrame | None = None,
                forecast: pd.DataFrame | None = None, period: str = "7D", lang: str = "en",
                end: str | pd.Timestamp | None = None, tz: str = "America/Toronto",
                actions: str | None = None, rules=None,
                voices: Mapping[str, object] | None = None) -> Brief:
    """Aggregate ``frame`` and assemble the brief's content (see :func:`listening.report.brief`)."""
    from ..charts import forecast_chart, sentiment_chart, topics_chart, volume_chart
    from ..provenance import provenance

    check_lang(lang)
    require_columns(frame, ["mention_id", "timestamp"], stage="brief")
    s = strings(lang)
    span = pd.Timedelta(period)
    if span <= pd.Timedelta(0):
        raise OptionError(f"period must be a positive duration such as '7D', got {period!r}",
                          name="period", value=period)
    times = pd.to_datetime(frame["timestamp"], utc=True)
    if end is None:
        end_ts = times.max()
        if pd.isna(end_ts):
            raise OptionError("brief needs at least one mention with a timestamp; the frame "
                              "is empty: load mentions first", name="frame", value=len(frame))
    else:
        end_ts = pd.Timestamp(end)
        end_ts = end_ts.tz_localize(tz).tz_convert("UTC") if end_ts.tzinfo is None else end_ts
    start, prev_start = end_ts - span, end_ts - 2 * span
    masks = {"current": ((times > start) & (times <= end_ts)).to_numpy(),
             "previous": ((times > prev_start) & (times <= start)).to_numpy()}
    # no mention at or before the period's start: the data says nothing of the period before
    has_previous = bool(times.min() <= start)
    month_start, month_end = start - pd.DateOffset(months=1), end_ts - pd.DateOffset(months=1)
    has_month = bool(times.min() <= month_start) and month_end <= prev_start
    if has_month:
        masks["last_month"] = ((times > month_start) & (times <= month_end)).to_numpy()
    days = span / pd.Timedelta(days=1)
    days_text = fmt_num(days, lang, 0) if days == int(days) else fmt_num(days, lang, 1)

    # The provenance record hashes every mention (Arrow sorts, outside the GIL): it runs
    # beside the aggregation below and is collected at the end.
    pool = ThreadPoolExecutor(max_workers=1)
    record_job = pool.submit(provenance, frame, rules=rules, extra={
        "brief_period": {"start": start.isoformat(), "end": end_ts.isoformat(),
                         "previous_start": prev_start.isoformat()},
        "mentions_this_period": int(masks["current"].sum()),
        "mentions_previous_period": int(masks["previous"].sum()),
        "alerts_supplied": None if alerts is None else len(alerts),
        "forecast_supplied": forecast is not None,
        "actions_file": str(actions) if actions else "listening/resources/report/actions.yaml"})
    pool.shutdown(wait=False)
    labels = sentiment_labels(frame)
    numbers, neg_share = _numbers(frame, masks, labels, lang, s)
    if not has_previous:
        for row in numbers:
            row.update(previous=None, previous_text="–", change_text="–")
    from ..threats.titles import topic_names as _topic_names

    topic_names = _topic_names(frame, lang=lang)
    rule_titles = _rule_titles(frame, rules)
    alert_rows = _alerts(alerts, frame, start, lang, tz, s, topic_names, rule_titles)
    topic_rows, topic_chart_data = _topics(frame, masks, lang, topic_names, s)
    rule_rows = _rules(frame, masks, lang, rule_titles, s)
    absent: dict[str, str] = {}
    history_days = _days_of_data(times[times <= end_ts])
    if forecast is not None and history_days < MIN_FORECAST_DAYS:
        absent["forecast"] = Template(s["forecast_too_few_days"]).safe_substitute(
            n=fmt_int(history_days, lang), min=fmt_int(MIN_FORECAST_DAYS, lang))
        fc_summary, events, fc_chart = None, [], pd.DataFrame()
    else:
        fc_summary, events, fc_chart = _forecast(forecast, end_ts, lang, tz, s)

    n_cur, n_prev = int(masks["current"].sum()), int(masks["previous"].sum())
    change = _change(n_cur, n_prev if has_previous else None, s, lang, days_text)
    lead = alert_rows[0] if alert_rows else None
    if n_cur < MIN_HEADLINE_MENTIONS:
        headline = Template(s["headline_little_data"]).safe_substitute(volume=fmt_int(n_cur, lang))
    elif lead is not None and lead["severity"] >= HEADLINE_SEVERITY:
        subject = lead["subject"] if lang == "fr" else _lower_first(lead["subject"])
        headline = Template(s["headline_alert"]).safe_substitute(
            subject=subject, severity_text=lead["severity_words"], since=lead["since"],
            severity=str(lead["severity"]), change=change)
    elif _negative_rise(numbers) >= HEADLINE_NEGATIVE_RISE:
        share = next(n for n in numbers if n["key"] == "negative_share")
        headline = Template(s["headline_negative"]).safe_substitute(
            share=share["current_text"], points=share["change_text"], days=days_text,
            change=change)
    elif alerts is not None:
        headline = Template(s["headline_quiet"]).safe_substitute(change=change)
    else:
        headline = Template(s["headline_no_alerts"]).safe_substitute(change=change)
    headline = _capital(headline)
    volume_change = (n_cur - n_prev) / n_prev if n_prev and has_previous else None
    facts = {"negative_share": neg_share, "volume_change": volume_change, "events": events,
             "placeholders": {"negative_share": fmt_pct(neg_share, lang),
                              "volume_change": fmt_change(n_cur, n_prev, lang),
                              "events": ", ".join(f"{e['name']} ({e['date_text']})" for e in events)}}
    suggested = suggest_actions(alert_rows, facts, lang=lang, rules=load_actions(actions))

    history = _complete_days(times, end_ts)
    charts = {}
    if len(history) < MIN_CHART_DAYS:
        absent["volume_chart"] = Template(s["chart_too_few_days"]).safe_substitute(
            n=fmt_int(len(history), lang), min=fmt_int(MIN_CHART_DAYS, lang))
    elif len(fc_chart):
        charts["volume"] = forecast_chart(fc_chart, history=history, tz="UTC", lang=lang)
    else:
        charts["volume"] = volume_chart(history, tz="UTC", lang=lang)
    if labels is not None:
        by_platform = _platform_shares(frame, labels, masks["current"], s)
        if len(by_platform):
            charts["sentiment"] = sentiment_chart(by_platform, lang=lang)
    if len(topic_chart_data):
        charts["topics"] = topics_chart(topic_chart_data, lang=lang)

    record = record_job.result()
    subtitle = Template(s["subtitle"]).safe_substitute(
        start=fmt_datetime(start, lang, tz), end=fmt_datetime(end_ts, lang, tz), days=days_text)
    return Brief(lang=lang, tz=tz, start=start, end=end_ts, previous_start=prev_start, days=days,
                 headline=headline, subtitle=subtitle, numbers=numbers, alerts=alert_rows,
                 topics=topic_rows, rules=rule_rows, forecast=fc_summary, events=events,
                 actions=suggested, provenance=record, charts=charts, labels=s,
                 frame_columns=tuple(map(str, frame.columns)), absent=absent,
                 share_of_voice=_share_of_voice(frame, masks["current"], voices, lang, s),
                 has_last_month=has_month)
