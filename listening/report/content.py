"""What the manager brief says: numbers, alerts, topics, forecast, actions.

:func:`build_brief` aggregates first (counts per period, label, topic and day)
so that a brief over a million mentions takes seconds, then fills a
:class:`Brief` whose strings are already formatted in the chosen language.
Rendering (HTML, Markdown, PDF) is in :mod:`listening.report.render`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from string import Template

import numpy as np
import pandas as pd
import yaml

from ..schema import require_columns
from ..sentiment.labels import sentiment_labels
from .actions import Action, french_typography, load_actions, suggest_actions
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

__all__ = ["Brief", "build_brief", "negative_share", "strings"]

# Alerts shown, evidence posts per alert, topics and rules listed: what fits one page.
TOP_ALERTS = 3
EVIDENCE_PER_ALERT = 3
TOP_TOPICS = 5
TOP_RULES = 6
# The severity the threat board pages at (DESIGN: severity 1-10; 7+ is urgent).
HEADLINE_SEVERITY = 7
# A topic must have this many mentions this period to be called "rising".
MIN_TOPIC_MENTIONS = 5
# Below 5% either way a change is reported as "stable".
STABLE_CHANGE = 0.05
# Bootstrap of the negative share: resamples and seed (reproducible briefs).
BOOTSTRAP_RESAMPLES = 2_000
BOOTSTRAP_SEED = 0
HISTORY_DAYS = 28
EVIDENCE_CHARS = 280
# Terms shown per alert, and in the one-sentence headline.
ALERT_TERMS = 6
HEADLINE_TERMS = 3
_ALL_SEGMENTS = ("all", "total", "overall", "*", "")
_VOLUME_METRICS = ("volume", "mentions", "count", "n")


@lru_cache(maxsize=1)
def _strings() -> dict:
    text = resources.files("listening").joinpath("resources/templates/strings.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def strings(lang: str) -> dict[str, str]:
    """The brief's labels in ``lang`` (French typography applied)."""
    table = _strings()[check_lang(lang)]
    return {k: french_typography(v) if lang == "fr" else v for k, v in table.items()}


@dataclass
class Brief:
    """The content of one manager brief, formatted in ``lang``.

    ``numbers`` rows carry raw values (``current``, ``previous``, ``low``,
    ``high``) next to their formatted text, so tests and widgets can check them.
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


# ---------------------------------------------------------------- aggregates

def _labels(frame: pd.DataFrame) -> pd.Series | None:
    return sentiment_labels(frame)


def _bootstrap(k: int, n: int, rng: np.random.Generator) -> tuple[float, float]:
    """95% interval of a share k/n by resampling the n mentions with replacement.

    Resampling n mentions and counting the negative ones is a Binomial(n, k/n)
    draw, so we draw the counts directly: the same bootstrap, without touching
    a million rows 2,000 times.
    """
    if n == 0:
        return float("nan"), float("nan")
    draws = rng.binomial(n, k / n, BOOTSTRAP_RESAMPLES) / n
    low, high = np.percentile(draws, [2.5, 97.5])
    return float(low), float(high)


def negative_share(labels: pd.Series, *, by: pd.Series | None = None) -> pd.DataFrame:
    """Shares of each sentiment label with 95% bootstrap intervals.

    Returns the shape of ``sentiment_summary``: ``group, label, share, low, high, n``
    (``group`` is ``"all"`` without ``by``). Missing labels are left out of ``n``.
    """
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    keys = pd.Series("all", index=labels.index, dtype="string") if by is None \
        else by.astype("string").fillna("(missing)")
    ok = labels.notna()
    counts = pd.crosstab(keys[ok], labels[ok])
    rows = []
    for group, row in counts.iterrows():
        n = int(row.sum())
        for label in ("negative", "neutral", "positive"):
            k = int(row.get(label, 0))
            low, high = _bootstrap(k, n, rng)
            rows.append({"group": group, "label": label, "share": k / n if n else float("nan"),
                         "low": low, "high": high, "n": n})
    return pd.DataFrame(rows, columns=["group", "label", "share", "low", "high", "n"])


def _daily(times: pd.Series, end: pd.Timestamp) -> pd.DataFrame:
    """Mentions per UTC day over the last HISTORY_DAYS, complete days only."""
    days = times.dt.floor("D")
    counts = days.value_counts().sort_index()
    counts = counts[counts.index > end.floor("D") - pd.Timedelta(days=HISTORY_DAYS)]
    if len(counts) and end < counts.index[-1] + pd.Timedelta(days=1) - pd.Timedelta(seconds=1):
        counts = counts.iloc[:-1]  # the last day is partial: it would show a false drop
    if len(counts) and times.min() > counts.index[0]:
        counts = counts.iloc[1:]
    return pd.DataFrame({"timestamp": counts.index, "count": counts.to_numpy()})


# ---------------------------------------------------------------- sections

def _change_phrase(current: float, previous: float, s: dict, lang: str) -> str:
    if previous == 0:
        return s["from_zero"]
    change = (current - previous) / previous
    pct = fmt_pct(abs(change), lang, digits=0)
    if abs(change) < STABLE_CHANGE:
        return Template(s["stable"]).safe_substitute(pct=fmt_change(current, previous, lang))
    return Template(s["up" if change > 0 else "down"]).safe_substitute(pct=pct)


def _as_list(value) -> list:
    if is_missing(value):
        return []
    if isinstance(value, str):
        return [v for v in re.split(r"[;,|\s]+", value) if v]
    if isinstance(value, (list, tuple, set, np.ndarray, pd.Series)):
        return [v for v in list(value) if v is not None and str(v) != ""]
    return [value]


def _segment_name(segment, topic_names: dict, s: dict) -> str:
    """``all`` -> "all mentions"; ``topic:3`` -> "topic: <its label>"; others as given."""
    if is_missing(segment) or str(segment) in ("", "all"):
        return s["segment_all"]
    text = str(segment)
    kind, _, value = text.partition(":")
    if kind == "topic" and value in topic_names:
        return f"{s['topic'].lower()}: {topic_names[value]}"
    return text


def _alerts(alerts: pd.DataFrame | None, frame: pd.DataFrame, start: pd.Timestamp,
            lang: str, tz: str, s: dict) -> list[dict]:
    if alerts is None or len(alerts) == 0:
        return []
    a = alerts.copy()
    when = next((c for c in ("end", "start") if c in a.columns), None)
    if when is not None:
        a = a[pd.to_datetime(a[when], utc=True) > start]
    order = [c for c in ("severity", "score") if c in a.columns]
    if order:
        a = a.sort_values(order, ascending=False, kind="stable")
    a = a.head(TOP_ALERTS)
    ids = {str(i) for v in a.get("example_ids", pd.Series(dtype=object)) for i in _as_list(v)}
    posts = frame[frame["mention_id"].astype("string").isin(list(ids))] if ids else frame.iloc[:0]
    posts = posts.set_index(posts["mention_id"].astype("string"), drop=False)
    topic_names = {}
    if {"topic", "topic_label"} <= set(frame.columns):
        pairs = frame[["topic", "topic_label"]].dropna().drop_duplicates("topic")
        topic_names = {str(t): str(label) for t, label in zip(pairs["topic"], pairs["topic_label"])}
    out = []
    for row in a.to_dict("records"):
        wanted = [str(i) for i in _as_list(row.get("example_ids"))]
        found = [i for i in wanted if i in posts.index][:EVIDENCE_PER_ALERT]
        missing = [i for i in wanted if i not in posts.index][:EVIDENCE_PER_ALERT]
        all_terms = [str(t) for t in (_as_list(row.get("terms")) if not isinstance(
            row.get("terms"), str) else [row.get("terms")])]
        terms = ", ".join(all_terms[:ALERT_TERMS])
        severity = row.get("severity")
        severity = 0 if is_missing(severity) else int(severity)
        segment = _segment_name(row.get("segment"), topic_names, s)
        evidence = posts.loc[found].copy() if found else posts.iloc[:0].copy()
        if "text" in evidence.columns:
            evidence["text"] = evidence["text"].astype("string").map(
                lambda t: t if len(t) <= EVIDENCE_CHARS else t[:EVIDENCE_CHARS - 1].rstrip() + "…",
                na_action="ignore")
        out.append({
            "severity": severity, "segment": segment, "signal": str(row.get("signal", "") or ""),
            "why": _why(row, lang),
            "terms": terms or "",
            "start": row.get("start"), "start_text": fmt_datetime(row.get("start"), lang, tz),
            **{k: row[k] for k in ("coordination", "dup_share", "new_author_share") if k in row},
            "evidence": evidence, "missing": missing if not found else [],
            "missing_text": Template(s["evidence_missing"]).safe_substitute(
                ids=", ".join(missing)) if missing and not found else "",
            "headline_terms": ", ".join(all_terms[:HEADLINE_TERMS]),
            "terms_text": ", ".join(all_terms),
            "placeholders": {"segment": segment, "terms": terms or segment,
                             "severity": str(severity), "signal": str(row.get("signal", ""))},
        })
    return out


def _topics(cur: pd.DataFrame, prev: pd.DataFrame, lang: str) -> tuple[list[dict] | None, pd.DataFrame]:
    column = "topic_label" if "topic_label" in cur.columns else "topic" if "topic" in cur.columns else None
    if column is None:
        return None, pd.DataFrame()
    now = cur[column].astype("string").value_counts()
    before = prev[column].astype("string").value_counts()
    table = pd.DataFrame({"current": now}).join(pd.DataFrame({"previous": before}), how="outer")
    table = table.fillna(0).astype("int64")
    table.index.name = "topic_label"
    table = table.reset_index()
    top = table.sort_values("current", ascending=False, kind="stable").head(10)
    chart = top.rename(columns={"current": "count"})
    rising = table[(table["current"] >= MIN_TOPIC_MENTIONS) & (table["current"] > table["previous"])]
    rising = rising.assign(gain=rising["current"] - rising["previous"]).sort_values(
        ["gain", "current"], ascending=False, kind="stable").head(TOP_TOPICS)
    rows = [{"label": r.topic_label, "current": int(r.current), "previous": int(r.previous),
             "current_text": fmt_int(r.current, lang), "previous_text": fmt_int(r.previous, lang),
             "change_text": fmt_change(r.current, r.previous, lang)}
            for r in rising.itertuples()]
    return rows, chart


def _rules(cur: pd.DataFrame, prev: pd.DataFrame, lang: str) -> list[dict]:
    rows = []
    for column in cur.columns:
        if isinstance(column, str) and column.startswith("rule_"):
            now = int(cur[column].fillna(False).astype(bool).sum())
            before = int(prev[column].fillna(False).astype(bool).sum())
            if now or before:
                rows.append({"rule": column[len("rule_"):], "current": now, "previous": before,
                             "current_text": fmt_int(now, lang), "previous_text": fmt_int(before, lang),
                             "change_text": fmt_change(now, before, lang)})
    return sorted(rows, key=lambda r: -r["current"])[:TOP_RULES]


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
        else:
            mean = per_time.mean()
            is_share = mean["hi95"] <= 1 and mean["lo95"] >= -1
            fmt = (lambda v: fmt_pct(v, lang)) if is_share and "share" in metric.lower() else \
                (lambda v: fmt_num(v, lang, 2))
            text = Template(s["forecast_other"]).safe_substitute(
                metric=metric, value=fmt(mean["forecast"]), lo80=fmt(mean["lo80"]),
                hi80=fmt(mean["hi80"]))
            lines.append({"metric": metric, "text": text, "total": float(mean["forecast"]),
                          "lo80": float(mean["lo80"]), "hi80": float(mean["hi80"]),
                          "lo95": float(mean["lo95"]), "hi95": float(mean["hi95"])})
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


# ---------------------------------------------------------------- build

def build_brief(frame: pd.DataFrame, *, alerts: pd.DataFrame | None = None,
                forecast: pd.DataFrame | None = None, period: str = "7D", lang: str = "en",
                end: str | pd.Timestamp | None = None, tz: str = "America/Toronto",
                actions: str | None = None, rules=None) -> Brief:
    """Aggregate ``frame`` and assemble the brief's content (see :func:`listening.report.brief`)."""
    from ..charts import forecast_chart, sentiment_chart, topics_chart, volume_chart
    from ..provenance import provenance

    check_lang(lang)
    require_columns(frame, ["mention_id", "timestamp"], stage="brief")
    s = strings(lang)
    span = pd.Timedelta(period)
    if span <= pd.Timedelta(0):
        raise ValueError(f"period must be positive, e.g. '7D', got {period!r}")
    times = pd.to_datetime(frame["timestamp"], utc=True)
    if end is None:
        end_ts = times.max()
        if pd.isna(end_ts):
            raise ValueError("brief needs at least one mention with a timestamp; the frame is empty")
    else:
        end_ts = pd.Timestamp(end)
        end_ts = end_ts.tz_localize(tz).tz_convert("UTC") if end_ts.tzinfo is None else end_ts
    start, prev_start = end_ts - span, end_ts - 2 * span
    in_cur = (times > start) & (times <= end_ts)
    in_prev = (times > prev_start) & (times <= start)
    cur, prev = frame[in_cur], frame[in_prev]
    days = span / pd.Timedelta(days=1)
    days_text = fmt_num(days, lang, 0) if days == int(days) else fmt_num(days, lang, 1)

    numbers = [{"key": "volume", "label": s["volume"], "current": len(cur),
                "previous": len(prev), "current_text": fmt_int(len(cur), lang),
                "previous_text": fmt_int(len(prev), lang),
                "change_text": fmt_change(len(cur), len(prev), lang), "note": ""}]
    labels = _labels(frame)
    neg_share = None
    sentiment_data = pd.DataFrame()
    if labels is not None:
        now = negative_share(labels[in_cur])
        before = negative_share(labels[in_prev])
        neg = now[now["label"] == "negative"]
        neg_prev = before[before["label"] == "negative"]
        share = float(neg["share"].iloc[0]) if len(neg) else float("nan")
        low = float(neg["low"].iloc[0]) if len(neg) else float("nan")
        high = float(neg["high"].iloc[0]) if len(neg) else float("nan")
        share_prev = float(neg_prev["share"].iloc[0]) if len(neg_prev) else float("nan")
        neg_share = None if math.isnan(share) else share
        points = (share - share_prev) * 100
        pts = "–" if math.isnan(points) else (("+" if points > 0 else "−" if points < 0 else "±")
                                            + fmt_num(abs(points), lang, 1)
                                            + (" pts" if lang == "en" else "\u00a0pt"))
        numbers.append({"key": "negative_share", "label": s["negative_share"], "current": share,
                        "previous": share_prev, "low": low, "high": high,
                        "current_text": fmt_pct(share, lang), "previous_text": fmt_pct(share_prev, lang),
                        "change_text": pts,
                        "note": f"{s['interval']}: {fmt_pct(low, lang)}–{fmt_pct(high, lang)}"
                                if lang == "en" else
                                f"{s['interval']}\u00a0: {fmt_pct(low, lang)}–{fmt_pct(high, lang)}"})
        if "platform" in frame.columns:
            top = cur["platform"].astype("string").value_counts().head(5).index
            plat = cur["platform"].astype("string").where(
                cur["platform"].astype("string").isin(top))
            by_platform = negative_share(labels[in_cur][plat.notna()], by=plat[plat.notna()])
            sentiment_data = pd.concat([now, by_platform], ignore_index=True)
        else:
            sentiment_data = now
        # The brief shows the negative share only (one bar per group, with its interval).
        sentiment_data = sentiment_data[sentiment_data["label"] == "negative"]
    else:
        numbers.append({"key": "negative_share", "label": s["negative_share"], "current": None,
                        "previous": None, "current_text": "–", "previous_text": "–",
                        "change_text": "–", "note": s["not_scored"]})
    if "reach" in frame.columns:
        r_now = int(pd.to_numeric(cur["reach"], errors="coerce").sum())
        r_before = int(pd.to_numeric(prev["reach"], errors="coerce").sum())
        numbers.append({"key": "reach", "label": s["reach"], "current": r_now, "previous": r_before,
                        "current_text": fmt_int(r_now, lang), "previous_text": fmt_int(r_before, lang),
                        "change_text": fmt_change(r_now, r_before, lang), "note": s["reach_note"]})

    alert_rows = _alerts(alerts, frame, start, lang, tz, s)
    topic_rows, topic_chart_data = _topics(cur, prev, lang)
    rule_rows = _rules(cur, prev, lang)
    fc_summary, events, fc_chart = _forecast(forecast, end_ts, lang, tz, s)

    change_phrase = _change_phrase(len(cur), len(prev), s, lang)
    common = {"change_phrase": change_phrase, "days": days_text, "volume": fmt_int(len(cur), lang),
              "threshold": str(HEADLINE_SEVERITY)}
    lead = alert_rows[0] if alert_rows else None
    if lead is not None and lead["severity"] >= HEADLINE_SEVERITY:
        headline = Template(s["headline_alert"]).safe_substitute(
            common, severity=str(lead["severity"]), segment=lead["segment"] or "–",
            terms=lead["headline_terms"] or lead["signal"] or "–")
    elif alerts is not None:
        headline = Template(s["headline_quiet"]).safe_substitute(common)
    else:
        headline = Template(s["headline_no_alerts"]).safe_substitute(common)
    volume_change = (len(cur) - len(prev)) / len(prev) if len(prev) else None
    facts = {"negative_share": neg_share, "volume_change": volume_change, "events": events,
             "placeholders": {"negative_share": fmt_pct(neg_share, lang),
                              "volume_change": fmt_change(len(cur), len(prev), lang),
                              "events": ", ".join(f"{e['name']} ({e['date_text']})" for e in events)}}
    rules_table = load_actions(actions)
    suggested = suggest_actions(alert_rows, facts, lang=lang, rules=rules_table)

    history = _daily(times, end_ts)
    charts = {}
    if len(fc_chart):
        charts["volume"] = forecast_chart(fc_chart, history=history, tz="UTC")
    elif len(history):
        charts["volume"] = volume_chart(history, tz="UTC")
    if len(sentiment_data):
        charts["sentiment"] = sentiment_chart(sentiment_data)
    if len(topic_chart_data):
        charts["topics"] = topics_chart(topic_chart_data)

    record = provenance(frame, rules=rules, extra={
        "brief_period": {"start": start.isoformat(), "end": end_ts.isoformat(),
                         "previous_start": prev_start.isoformat()},
        "mentions_this_period": len(cur), "mentions_previous_period": len(prev),
        "alerts_supplied": None if alerts is None else len(alerts),
        "forecast_supplied": forecast is not None,
        "actions_file": str(actions) if actions else "listening/resources/report/actions.yaml"})
    subtitle = Template(s["subtitle"]).safe_substitute(
        start=fmt_datetime(start, lang, tz), end=fmt_datetime(end_ts, lang, tz),
        prev_start=fmt_date(prev_start, lang, tz), prev_end=fmt_date(start, lang, tz))
    return Brief(lang=lang, tz=tz, start=start, end=end_ts, previous_start=prev_start, days=days,
                 headline=headline, subtitle=subtitle, numbers=numbers, alerts=alert_rows,
                 topics=topic_rows, rules=rule_rows, forecast=fc_summary, events=events,
                 actions=suggested, provenance=record, charts=charts, labels=s,
                 frame_columns=tuple(map(str, frame.columns)))


def _why(row, lang: str) -> str:
    """The alert's sentence in the brief's language (``why_fr`` from detect_threats)."""
    for column in (("why_fr", "why") if lang == "fr" else ("why",)):
        value = row.get(column)
        if not is_missing(value) and str(value):
            return str(value)
    return ""
