"""Threat board: the alerts of ``detect_threats`` with their evidence and a triage log.

Each alert shows why it fired, a sparkline of the mentions carrying its terms, the
example posts, and a triage form (status, owner, note). Decisions are written to the
store (``store.save_triage``), which keeps every change, so a colleague opening the
notebook tomorrow sees the current status and who set it: the unit's
issues-management log.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..threats.registry import signal_title
from ..threats.titles import alert_titles, topic_names
from ._charts import _wall
from ._common import (
    StoreRef,
    chart_widget,
    escape,
    follow_language,
    language_switch,
    local_tz,
    posts_html,
)

__all__ = ["SEVERITY_ORDER", "STATUSES", "ThreatBoard"]

# Statuses of the issues-management log (the store enforces the same list).
STATUSES = ("new", "acknowledged", "escalated", "closed")
# Most severe first when severities are words.
SEVERITY_ORDER = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
# Sparkline: hourly mentions from this long before the alert to this long after it.
SPARK_BEFORE = pd.Timedelta(hours=48)
SPARK_AFTER = pd.Timedelta(hours=24)
EXAMPLES_SHOWN = 8
_SHOW = ("all open", "all", *STATUSES)
# The usual range drawn behind the sparkline: hours before the alert, 5%-95% of a
# Poisson count around their median.
BAND_QUANTILES = (0.05, 0.95)

_WORDS = {
    "en": {"show": "show", "status": "status", "owner": "owner", "note": "note",
           "owner_hint": "who follows it up", "note_hint": "what was decided, what next",
           "save": "save triage", "alerts": "alerts", "examples": "Example posts",
           "log": "Triage log", "no_log": "No triage yet.", "by": "by", "none": "No alerts to show.",
           "pick": "Select an alert first.", "saved": "Saved: {status} — {where}.",
           "severity": "severity {n}/10", "terms": "terms",
           "spark": "Mentions with the alert's terms per hour ({tz}); grey: usual range "
                    "(48 h before)", "time": "time", "mentions": "mentions",
           "usual": "usual range", "start": "alert start",
           "show_options": {"all open": "all open", "all": "all", "new": "new",
                            "acknowledged": "acknowledged", "escalated": "escalated",
                            "closed": "closed"},
           "facts": {"segment": "segment", "signals": "signals", "observed": "observed",
                     "expected": "expected", "score": "score", "mentions": "mentions",
                     "dup_share": "copies", "new_author_share": "new authors",
                     "author_concentration": "author concentration",
                     "coordination": "coordination"},
           "all_mentions": "all mentions"},
    "fr": {"show": "afficher", "status": "statut", "owner": "responsable", "note": "note",
           "owner_hint": "qui assure le suivi", "note_hint": "ce qui a été décidé, la suite",
           "save": "enregistrer", "alerts": "alertes", "examples": "Exemples de publications",
           "log": "Journal de suivi", "no_log": "Aucun suivi pour l'instant.", "by": "par",
           "none": "Aucune alerte à afficher.", "pick": "Choisissez d'abord une alerte.",
           "saved": "Enregistré : {status} — {where}.", "severity": "gravité {n}/10",
           "terms": "termes",
           "spark": "Mentions avec les termes de l'alerte par heure ({tz}); gris : plage "
                    "habituelle (48 h avant)", "time": "heure", "mentions": "mentions",
           "usual": "plage habituelle", "start": "début de l'alerte",
           "show_options": {"all open": "toutes les ouvertes", "all": "toutes",
                            "new": "nouvelles", "acknowledged": "prises en compte",
                            "escalated": "remontées", "closed": "fermées"},
           "facts": {"segment": "segment", "signals": "signaux", "observed": "observé",
                     "expected": "attendu", "score": "score", "mentions": "mentions",
                     "dup_share": "copies", "new_author_share": "nouveaux auteurs",
                     "author_concentration": "concentration des auteurs",
                     "coordination": "coordination"},
           "all_mentions": "toutes les mentions"},
}
_STATUS_WORDS = {"en": {s: s for s in STATUSES},
                 "fr": {"new": "nouvelle", "acknowledged": "prise en compte",
                        "escalated": "remontée", "closed": "fermée"}}
def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    try:
        return [v for v in value if v is not None and not (isinstance(v, float) and np.isnan(v))]
    except TypeError:
        return [] if pd.isna(value) else [value]


def _severity_rank(severity: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(severity):
        return severity.astype(float)
    return severity.astype("string").str.lower().map(SEVERITY_ORDER).astype(float).fillna(-1)


def _severity_text(value, lang: str = "en") -> str:
    """``severity 8/10`` for detect_threats' 1-10 scale, the word in capitals otherwise."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not pd.isna(value):
        return _WORDS[lang]["severity"].format(n=int(value))
    return str(value).upper()


class ThreatBoard:
    """Alerts sorted by severity, with evidence and triage.

    Parameters
    ----------
    alerts : DataFrame
        From :func:`listening.detect_threats`; needs ``alert_key``, ``severity``
        (1-10, or words low/medium/high/critical), ``why``; uses ``segment, start,
        end, signals, observed, expected, score, mentions, terms, example_ids`` and
        the coordination measures (``dup_share, new_author_share,
        author_concentration``) when present.
    frame : DataFrame
        The mentions the alerts were found in (for the sparkline and the examples).
    store : Store, path or None
        Where triage decisions are saved and read from.
    tz : str, optional
        Zone of every time shown (default :func:`listening.widgets._common.local_tz`).
    lang : {"en", "fr"}, optional
        Labels' language; sets the EN/FR switch shared by every widget (the French
        ``why_fr`` sentence is shown in French).
    """

    def __init__(self, alerts: pd.DataFrame, frame: pd.DataFrame, *, store=None,
                 tz: str | None = None, lang: str | None = None) -> None:
        import ipywidgets as w

        from ..schema import require_columns

        require_columns(alerts, ["alert_key", "severity", "why"], stage="ThreatBoard")
        self.frame = frame
        self.store = StoreRef(store)
        order = alerts.assign(_rank=_severity_rank(alerts["severity"]))
        sort = ["_rank"] + (["score"] if "score" in alerts.columns else [])
        self.alerts = (order.sort_values(sort, ascending=False, kind="stable")
                       .drop(columns="_rank").reset_index(drop=True))
        self._memory: list[dict] = []  # triage rows when there is no store
        self._by_id = (pd.Series(np.arange(len(frame)), index=frame["mention_id"].astype("string"))
                       if "mention_id" in frame.columns else pd.Series(dtype=int))
        self._by_id = self._by_id[~self._by_id.index.duplicated()]
        self._lower_text = None
        self.tz = tz or local_tz()
        self._titles: dict[str, str] = {}

        self.show = w.Dropdown(options=_SHOW, value="all open", description="show")
        self.select = w.Select(options=[], rows=min(10, max(3, len(self.alerts))),
                               layout=w.Layout(width="100%"))
        self.summary = w.HTML()
        self.detail = w.HTML()
        self.spark = chart_widget()
        self.examples = w.HTML()
        self.status = w.Dropdown(options=STATUSES, value="new", description="status")
        self.owner = w.Text(description="owner", placeholder="who follows it up")
        self.note = w.Textarea(description="note", placeholder="what was decided, what next",
                               layout=w.Layout(width="60%"))
        self.save = w.Button(description="save triage", icon="save", button_style="primary")
        self.saved = w.HTML()
        self.history = w.HTML()
        self.show.observe(lambda _: self._fill_list(), names="value")
        self.select.observe(lambda _: self._draw_alert(), names="value")
        self.save.on_click(lambda _: self.save_triage())
        self.widget = w.VBox([
            w.HBox([language_switch(), self.summary]), self.show, self.select, self.detail,
            self.spark, self.examples,
            w.HBox([self.status, self.owner]), self.note, w.HBox([self.save, self.saved]),
            self.history])
        self.widget.add_class("listening-threat-board")
        self.lang = follow_language(lang, self._on_language)
        self._label()
        self._fill_list()

    def _label(self) -> None:
        words = self.words
        show = self.show.value
        self.show.options = [(words["show_options"][k], k) for k in _SHOW]
        self.show.value = show
        status = self.status.value
        self.status.options = [(_STATUS_WORDS[self.lang][k], k) for k in STATUSES]
        self.status.value = status
        for name in ("show", "status", "owner", "note"):
            getattr(self, name).description = words[name]
        self.owner.placeholder, self.note.placeholder = words["owner_hint"], words["note_hint"]
        self.save.description = words["save"]

    def _on_language(self, lang: str) -> None:
        self.lang = lang
        self._titles.clear()
        self._label()
        self._fill_list()

    @property
    def words(self) -> dict:
        return _WORDS[self.lang]

    def title(self, alert_key: str) -> str:
        """The alert's title: what, where, since when
        (:func:`listening.threats.titles.alert_titles`, the brief's titles too)."""
        if not self._titles:  # every alert at once: the topic names are read once
            words = alert_titles(self.alerts, lang=self.lang, frame=self.frame, tz=self.tz,
                                 topic_names=topic_names(self.frame, lang=self.lang))
            self._titles = dict(zip(self.alerts["alert_key"], words["title"].astype(str)))
        if alert_key not in self._titles:
            self._row(alert_key)  # says which keys the board has
        return self._titles[alert_key]

    # ------------------------------------------------------------------ data
    def triage_frame(self) -> pd.DataFrame:
        """Latest triage row per alert (``alert_key, status, owner, note, at``)."""
        if self.store.persistent:
            return self.store.call("triage")
        if not self._memory:
            return pd.DataFrame(columns=["alert_key", "status", "owner", "note", "at"])
        rows = pd.DataFrame(self._memory)
        return rows.drop_duplicates("alert_key", keep="last").reset_index(drop=True)

    @property
    def board(self) -> pd.DataFrame:
        """Alerts, most severe first, with their current ``status``, ``owner`` and ``note``."""
        triage = self.triage_frame()[["alert_key", "status", "owner", "note"]]
        out = self.alerts.merge(triage, on="alert_key", how="left")
        return out.assign(status=out["status"].fillna("new"),
                          owner=out["owner"].fillna(""), note=out["note"].fillna(""))

    def examples_frame(self, alert_key: str) -> pd.DataFrame:
        """The example posts of an alert, in the order the detector gave them."""
        row = self._row(alert_key)
        ids = [str(i) for i in _as_list(row.get("example_ids"))][:EXAMPLES_SHOWN]
        positions = self._by_id.reindex(ids).dropna().astype(int).to_numpy()
        return self.frame.iloc[positions]

    def sparkline_frame(self, alert_key: str) -> pd.DataFrame:
        """Hourly mentions with any of the alert's terms around it.

        Columns ``timestamp, count`` and the usual range ``expected, low, high``
        (median hour of the 48 hours before the alert, and a 5-95% Poisson band).
        """
        row = self._row(alert_key)
        start = pd.Timestamp(row.get("start", self.frame["timestamp"].min()))
        end = pd.Timestamp(row.get("end", start)) if pd.notna(row.get("end")) else start
        lo, hi = start - SPARK_BEFORE, end + SPARK_AFTER
        ts = self.frame["timestamp"]
        near = (ts >= lo) & (ts < hi)
        terms = [str(t).lower() for t in _as_list(row.get("terms")) if str(t).strip()]
        if terms:
            if self._lower_text is None:
                self._lower_text = self.frame["text"].astype("string").str.lower()
            has = pd.Series(False, index=self.frame.index)
            for term in terms:  # literal substrings: terms are never used as regexes
                has |= self._lower_text.str.contains(term, regex=False).fillna(False)
            near &= has
        hours = pd.date_range(lo.floor("h"), hi.ceil("h"), freq="h")
        counts = ts[near].dt.floor("h").value_counts().reindex(hours, fill_value=0)
        out = pd.DataFrame({"timestamp": hours, "count": counts.to_numpy()})
        # the usual range: a Poisson count around the median hour before the alert
        from scipy.stats import poisson

        usual = float(out.loc[out["timestamp"] < start.floor("h"), "count"].median())
        usual = 0.0 if np.isnan(usual) else usual
        low, high = (float(poisson.ppf(q, usual)) if usual > 0 else 0.0
                     for q in BAND_QUANTILES)
        return out.assign(expected=usual, low=low, high=high)

    def _row(self, alert_key: str) -> pd.Series:
        match = self.alerts[self.alerts["alert_key"] == alert_key]
        if match.empty:
            raise KeyError(f"no alert with alert_key {alert_key!r}; the board has "
                           f"{len(self.alerts)} alerts")
        return match.iloc[0]

    # --------------------------------------------------------------- actions
    def save_triage(self, alert_key: str | None = None) -> None:
        """Save the form (status, owner, note) for ``alert_key`` (default: the selected alert)."""
        key = alert_key or self.select.value
        if key is None:
            self.saved.value = f"<em>{escape(self.words['pick'])}</em>"
            return
        status, owner, note = self.status.value, self.owner.value.strip(), self.note.value.strip()
        if self.store.persistent:
            self.store.call("save_triage", key, status, owner, note)
        else:
            self._memory.append({"alert_key": key, "status": status, "owner": owner, "note": note,
                                 "at": pd.Timestamp.now(tz="UTC")})
        self._fill_list(keep=key)
        self.saved.value = escape(self.words["saved"].format(
            status=_STATUS_WORDS[self.lang][status], where=self.store.describe()))

    # ---------------------------------------------------------------- drawing
    def _fill_list(self, keep: str | None = None) -> None:
        board = self.board
        words, lang = self.words, self.lang
        counts = board["status"].value_counts()
        self.summary.value = (f"<b>{len(board)}</b> {words['alerts']} — " + ", ".join(
            f"{escape(_STATUS_WORDS[lang][s])}: {int(counts.get(s, 0))}" for s in STATUSES))
        show = self.show.value
        if show == "all open":
            board = board[board["status"] != "closed"]
        elif show != "all":
            board = board[board["status"] == show]
        options = []
        for row in board.itertuples(index=False):
            signal = getattr(row, "signal", "")
            signal = signal_title(signal, lang) if isinstance(signal, str) else ""
            label = " · ".join(x for x in (
                f"[{_severity_text(row.severity, lang)}] {self.title(row.alert_key)}",
                signal, _STATUS_WORDS[lang].get(row.status, row.status)) if x)
            options.append((label, row.alert_key))
        keys = [k for _, k in options]
        current = keep if keep in keys else (
            self.select.value if self.select.value in keys else None)
        self.select.options = options
        self.select.value = current if current is not None else (keys[0] if keys else None)
        self._draw_alert()

    def _draw_alert(self) -> None:
        key = self.select.value
        if key is None:
            self.detail.value = f"<p><em>{escape(self.words['none'])}</em></p>"
            self.examples.value = ""
            self.history.value = ""
            return
        row = self.board.set_index("alert_key").loc[key]
        words, lang = self.words, self.lang
        facts = []
        for column in ("segment", "signals", "observed", "expected", "score", "mentions",
                       "dup_share", "new_author_share", "author_concentration", "coordination"):
            if column in row.index and not (np.isscalar(row[column]) and pd.isna(row[column])):
                value = row[column]
                if column.endswith("_share") or column == "author_concentration":
                    value = f"{float(value):.0%}"
                elif isinstance(value, float):
                    value = f"{value:,.2f}" if not float(value).is_integer() \
                        else f"{int(value):,}"
                elif isinstance(value, (int, np.integer)):
                    value = f"{int(value):,}"
                elif not isinstance(value, str) and np.ndim(value) == 1:
                    value = ", ".join(signal_title(str(v), lang) for v in value)
                facts.append(f"<b>{escape(words['facts'].get(column, column))}</b>: "
                             f"{escape(value)}")
        terms = ", ".join(str(t) for t in _as_list(row.get("terms")))
        why = row.get("why_fr") if lang == "fr" and isinstance(row.get("why_fr"), str) \
            else row["why"]
        self.detail.value = (
            f"<h4>{escape(_severity_text(row['severity'], lang))} — "
            f"{escape(self.title(key))}</h4>"
            f"<p>{escape(why)}</p><p>{' · '.join(facts)}</p>"
            + (f"<p><b>{words['terms']}</b>: {escape(terms)}</p>" if terms else ""))
        self.spark_frame = self.sparkline_frame(key)
        self.spark.chart = self._spark_chart(self.spark_frame, row)
        self.examples.value = (f"<h5>{escape(words['examples'])}</h5>"
                               + posts_html(self.examples_frame(key), tz=self.tz, lang=lang))
        self.status.value = row["status"]
        self.owner.value = row["owner"]
        self.note.value = row["note"]
        self.saved.value = ""
        self.history.value = self._history_html(key)

    def _history_html(self, key: str) -> str:
        if self.store.persistent:
            log = self.store.call("triage", history=True)
        else:
            log = pd.DataFrame(self._memory, columns=["alert_key", "status", "owner", "note", "at"])
        log = log[log["alert_key"] == key]
        words = self.words
        if log.empty:
            return f"<p><em>{escape(words['no_log'])}</em></p>"
        items = "".join(
            f"<li>{escape(pd.Timestamp(r.at).tz_convert(self.tz).strftime('%Y-%m-%d %H:%M'))}"
            f": <b>{escape(_STATUS_WORDS[self.lang].get(r.status, r.status))}</b> "
            f"{words['by']} {escape(r.owner) or '—'} — {escape(r.note)}</li>"
            for r in log.itertuples(index=False))
        return (f"<h5>{escape(words['log'])} ({escape(self.tz)})</h5><ul>{items}</ul>")

    def _spark_chart(self, data: pd.DataFrame, row: pd.Series):
        """Hourly counts with a local time axis, the usual range and the alert's start."""
        import altair as alt

        words = self.words
        local = data["timestamp"].dt.tz_convert(self.tz).dt.tz_localize(None)
        plot = data.assign(time=_wall(local))
        x = alt.X("time:T", title=None, scale=alt.Scale(type="utc"),
                  axis=alt.Axis(format="%b %d %H:%M", labelAngle=0, tickCount=6))
        band = (alt.Chart().mark_area(color="#bdbdbd", opacity=0.5)
                .encode(x=x, y=alt.Y("low:Q", title=words["mentions"]), y2="high:Q"))
        line = (alt.Chart().mark_line(color="#d62728", strokeWidth=1.5)
                .encode(x=x, y="count:Q",
                        tooltip=[alt.Tooltip("time:T", format="%Y-%m-%d %H:%M",
                                             formatType="utc", title=words["time"]),
                                 alt.Tooltip("count:Q", title=words["mentions"]),
                                 alt.Tooltip("expected:Q", title=words["usual"])]))
        layers = [band, line]
        start = row.get("start")
        if start is not None and pd.notna(start):
            at = pd.Timestamp(start).tz_convert(self.tz).tz_localize(None)
            mark = pd.DataFrame({"time": _wall(pd.Series([at]))})
            layers.append(alt.Chart(mark).mark_rule(color="#333333", strokeDash=[3, 3])
                          .encode(x=x))
        return (alt.layer(*layers, data=plot, title=alt.Title(
                    words["spark"].format(tz=self.tz), fontSize=11, anchor="start"))
                .properties(width=560, height=110))

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
