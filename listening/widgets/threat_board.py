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

from ._common import StoreRef, chart_widget, escape, posts_html

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


def _severity_text(value) -> str:
    """``severity 8/10`` for detect_threats' 1-10 scale, the word in capitals otherwise."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not pd.isna(value):
        return f"severity {int(value)}/10"
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
    """

    def __init__(self, alerts: pd.DataFrame, frame: pd.DataFrame, *, store=None) -> None:
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
            self.summary, self.show, self.select, self.detail, self.spark, self.examples,
            w.HBox([self.status, self.owner]), self.note, w.HBox([self.save, self.saved]),
            self.history])
        self.widget.add_class("listening-threat-board")
        self._fill_list()

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
        """Hourly mentions with any of the alert's terms around it (``timestamp, count``)."""
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
        return pd.DataFrame({"timestamp": hours, "count": counts.to_numpy()})

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
            self.saved.value = "<em>Select an alert first.</em>"
            return
        status, owner, note = self.status.value, self.owner.value.strip(), self.note.value.strip()
        if self.store.persistent:
            self.store.call("save_triage", key, status, owner, note)
        else:
            self._memory.append({"alert_key": key, "status": status, "owner": owner, "note": note,
                                 "at": pd.Timestamp.now(tz="UTC")})
        self._fill_list(keep=key)
        self.saved.value = f"Saved: {escape(status)} — {escape(self.store.describe())}."

    # ---------------------------------------------------------------- drawing
    def _fill_list(self, keep: str | None = None) -> None:
        board = self.board
        counts = board["status"].value_counts()
        self.summary.value = (f"<b>{len(board)}</b> alerts — " + ", ".join(
            f"{escape(s)}: {int(counts.get(s, 0))}" for s in STATUSES))
        show = self.show.value
        if show == "all open":
            board = board[board["status"] != "closed"]
        elif show != "all":
            board = board[board["status"] == show]
        options = []
        for row in board.itertuples(index=False):
            start = getattr(row, "start", None)
            when = (pd.Timestamp(start).tz_convert("America/Toronto").strftime("%b %d %H:%M")
                    if start is not None and pd.notna(start) else "")
            signal = getattr(row, "signal", "")
            label = (f"[{_severity_text(row.severity)}] {getattr(row, 'segment', '')}"
                     f"{' · ' + str(signal) if isinstance(signal, str) and signal else ''}"
                     f" · {when} · {row.status}")
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
            self.detail.value = "<p><em>No alerts to show.</em></p>"
            self.examples.value = ""
            self.history.value = ""
            return
        row = self.board.set_index("alert_key").loc[key]
        facts = []
        for column in ("segment", "signals", "observed", "expected", "score", "mentions",
                       "dup_share", "new_author_share", "author_concentration", "coordination"):
            if column in row.index and not (np.isscalar(row[column]) and pd.isna(row[column])):
                value = row[column]
                if isinstance(value, float):
                    value = f"{value:,.2f}"
                elif not isinstance(value, str) and np.ndim(value) == 1:
                    value = ", ".join(map(str, value))
                facts.append(f"<b>{escape(column)}</b>: {escape(value)}")
        terms = ", ".join(str(t) for t in _as_list(row.get("terms")))
        self.detail.value = (
            f"<h4>{escape(_severity_text(row['severity']))} — "
            f"{escape(row.get('segment', key))}</h4>"
            f"<p>{escape(row['why'])}</p><p>{' · '.join(facts)}</p>"
            + (f"<p><b>terms</b>: {escape(terms)}</p>" if terms else ""))
        from ..charts import sparkline

        self.spark_frame = self.sparkline_frame(key)
        self.spark.chart = sparkline(self.spark_frame, width=360, height=50)
        self.examples.value = "<h5>Example posts</h5>" + posts_html(self.examples_frame(key))
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
        if log.empty:
            return "<p><em>No triage yet.</em></p>"
        items = "".join(
            f"<li>{escape(pd.Timestamp(r.at).strftime('%Y-%m-%d %H:%M UTC'))}: "
            f"<b>{escape(r.status)}</b> by {escape(r.owner) or '—'} — {escape(r.note)}</li>"
            for r in log.itertuples(index=False))
        return f"<h5>Triage log</h5><ul>{items}</ul>"

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
