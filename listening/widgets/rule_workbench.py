"""Rule workbench: type a monitoring rule, see at once what it would have caught.

Every change of the query parses it (``Rule.parse``): a syntax error is shown with
its caret under the fault and the previous rule's chart and tables are cleared; a
valid rule is backtested over the frame (``listening.backtest``) and its hits over
time, figures, example hits and near misses are drawn, with a warning for any field
filter that matches no mention here (``lang:es`` when nothing is in Spanish, see
:func:`listening.rules.dead_filters`). A good rule is saved to the rule library (YAML, ``data/rules``)
with ``save_rule``, where ``enrich`` and the CLI pick it up.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import ListeningError, MentionDataError, RuleSyntaxError
from ..report.formatting import fmt_int, fmt_num, fmt_pct
from ._common import (
    chart_widget,
    escape,
    follow_language,
    language_switch,
    local_tz,
    posts_html,
)

__all__ = ["RuleWorkbench", "default_rules_folder"]

EXAMPLE_COLUMNS = ("timestamp", "platform", "author", "text", "reach", "url")
# The short reference shown under the rule box (the full one: ``help(listening.rules)``).
HELP_HTML = (
    "<details><summary>Query help</summary><ul style='margin:4px 0'>"
    "<li><code>a AND b</code>, <code>a b</code> (AND), <code>a OR b</code>, "
    "<code>NOT a</code> / <code>-a</code>, <code>( … )</code>; operators in capitals</li>"
    "<li><code>\"road closure\"</code> exact phrase; <code>evac*</code> any ending, "
    "<code>organi?e</code> one character</li>"
    "<li><code>a NEAR/n b</code>: at most <i>n</i> words <b>between</b> a and b, either "
    "order (<code>fraud NEAR/3 officer</code> matches “fraud by a fake officer”; "
    "<code>NEAR/0</code> = adjacent), as Brandwatch's NEAR/n and Lucene's "
    "<code>\"a b\"~n</code> count; <code>a ONEAR/n b</code> or <code>NEAR/nf</code>: "
    "a first</li>"
    "<li><code>#tag</code>, <code>@handle</code>, <code>platform:x</code>, "
    "<code>lang:fr</code>, <code>author:…</code>, <code>site:cbc.ca</code>, "
    "<code>country:CA</code>; <code>{BP}</code> exact case and accents</li>"
    "</ul></details>")


HELP_HTML_FR = (
    "<details><summary>Aide sur les requêtes</summary><ul style='margin:4px 0'>"
    "<li><code>a AND b</code>, <code>a b</code> (ET), <code>a OR b</code>, "
    "<code>NOT a</code> / <code>-a</code>, <code>( … )</code>; opérateurs en capitales</li>"
    "<li><code>\"fermeture de route\"</code> expression exacte; <code>évac*</code> toute "
    "fin de mot, <code>organi?e</code> un caractère</li>"
    "<li><code>a NEAR/n b</code> : au plus <i>n</i> mots <b>entre</b> a et b, dans un ordre "
    "ou l'autre (<code>fraude NEAR/3 agent</code> trouve « fraude par un faux agent »; "
    "<code>NEAR/0</code> = côte à côte), comme le NEAR/n de Brandwatch et "
    "<code>\"a b\"~n</code> de Lucene; <code>a ONEAR/n b</code> ou <code>NEAR/nf</code> : "
    "a d'abord</li>"
    "<li><code>#mot-clic</code>, <code>@compte</code>, <code>platform:x</code>, "
    "<code>lang:fr</code>, <code>author:…</code>, <code>site:radio-canada.ca</code>, "
    "<code>country:CA</code>; <code>{BP}</code> casse et accents exacts</li>"
    "</ul></details>")
# Every word the workbench writes, in English and French (the shared EN/FR switch).
_WORDS = {
    "en": {"rule": "rule", "name": "name", "name_hint": "e.g. Road closures", "about": "about",
           "about_hint": "what it is for", "owner": "owner", "severity": "severity",
           "language": "language", "save": "save to library", "help": HELP_HTML,
           "type": "Type a rule, e.g. <code>scam OR fraude</code>.",
           "hits": "<b>{total}</b> hits in {n} mentions ({share}).",
           "per_day": "Hits per day ({tz})", "backtest": "Backtest",
           "examples": "Example hits", "near": "Near misses (not caught)",
           "unparsed": "Nothing to save: the rule does not parse yet.",
           "unnamed": "Give the rule a name before saving.",
           "saved": "✓ saved <b>{name}</b> to {path}",
           "metrics": {"metric": "measure", "value": "value", "mentions": "mentions",
                       "hits": "hits", "hit_rate": "share of mentions hit",
                       "alert_threshold": "alert threshold (hits a day)", "alerts": "alerts",
                       "alerts_per_week": "alerts a week", "precision": "precision",
                       "recall": "recall"}},
    "fr": {"rule": "règle", "name": "nom", "name_hint": "p. ex. Fermetures de routes",
           "about": "objet", "about_hint": "à quoi elle sert", "owner": "responsable",
           "severity": "gravité", "language": "langue", "save": "enregistrer",
           "help": HELP_HTML_FR,
           "type": "Tapez une règle, p. ex. <code>scam OR fraude</code>.",
           "hits": "<b>{total}</b> résultats sur {n} mentions ({share}).",
           "per_day": "Résultats par jour ({tz})", "backtest": "Essai sur l'historique",
           "examples": "Exemples trouvés", "near": "Quasi-résultats (non retenus)",
           "unparsed": "Rien à enregistrer : la règle ne se lit pas encore.",
           "unnamed": "Donnez un nom à la règle avant de l'enregistrer.",
           "saved": "✓ <b>{name}</b> enregistrée dans {path}",
           "metrics": {"metric": "mesure", "value": "valeur", "mentions": "mentions",
                       "hits": "résultats", "hit_rate": "part des mentions trouvées",
                       "alert_threshold": "seuil d'alerte (résultats par jour)",
                       "alerts": "alertes", "alerts_per_week": "alertes par semaine",
                       "precision": "précision", "recall": "rappel"}},
}


def default_rules_folder() -> Path:
    """The project's rule library, ``data/rules`` next to the default store.

    Found like the store (``LISTENING_STORE``, else the project found walking up from
    the working directory), so a notebook in ``notebooks/`` saves where ``enrich``
    and the CLI read.
    """
    from ..store import default_store_path

    return default_store_path().parent / "rules"


def _number(name: str, value, lang: str = "en") -> str:
    """A metric as an analyst reads it, in the language's typography: counts with
    thousands, rates as percentages."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and pd.notna(value):
        if any(word in str(name) for word in ("rate", "precision", "recall", "share")):
            return fmt_pct(value, lang, 1)
        if float(value).is_integer():
            return fmt_int(value, lang)
        return fmt_num(value, lang, 2)
    return str(value)


def _frame_table(frame: pd.DataFrame, names: dict | None = None, lang: str = "en") -> str:
    """A small escaped HTML table of an arbitrary frame (metrics and the like); ``names``
    puts column names and first-column values in words (unknown ones stay as they are)."""
    if frame is None or len(frame) == 0:
        return ""
    names = names or {}
    head = "".join(f"<th>{escape(names.get(c, c))}</th>" for c in frame.columns)
    rows = "".join("<tr>" + "".join(
        f"<td>{escape(names.get(v, v) if i == 0 and isinstance(v, str) else _number(row[0], v, lang))}"
        "</td>" for i, v in enumerate(row)) + "</tr>" for row in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _hits_series(hits: pd.DataFrame) -> pd.DataFrame:
    """``timestamp, count`` from the backtest's hits-over-time frame, whatever it names them."""
    time = "period" if "period" in hits.columns else next(
        (c for c in hits.columns if pd.api.types.is_datetime64_any_dtype(hits[c])), None)
    count = next((c for c in ("hits", "count") if c in hits.columns), None)
    if count is None:
        count = next((c for c in hits.columns if c != time
                      and pd.api.types.is_numeric_dtype(hits[c])), None)
    if time is None or count is None:
        raise MentionDataError(f"backtest hits_over_time has no time/count columns: "
                               f"{list(hits.columns)}")
    return pd.DataFrame({"timestamp": hits[time], "count": hits[count]})


class RuleWorkbench:
    """Write a rule, see its syntax errors or its backtest at once, save it.

    Parameters
    ----------
    frame : DataFrame
        The history to backtest against (mention frame; enrichment optional).
    query : str
        The rule to start with.
    folder : path, optional
        The rule library to save to (default: the project's ``data/rules``).
    tz : str, optional
        Zone of the days in "hits per day" (default: the widgets' zone, Toronto).
    """

    def __init__(self, frame: pd.DataFrame, *, query: str = "", folder=None,
                 tz: str | None = None) -> None:
        import ipywidgets as w

        self.frame = frame
        self.tz = tz or local_tz()
        self.folder = Path(folder) if folder is not None else default_rules_folder()
        self.rule = None
        self.error: Exception | None = None
        self.result = None
        self.hits_frame = pd.DataFrame({"timestamp": [], "count": []})

        self.query = w.Textarea(value=query, placeholder='("road closure" OR collision*) AND '
                                'NOT platform:news', continuous_update=True,
                                layout=w.Layout(width="100%", height="70px"))
        self.name = w.Text()
        self.description = w.Text()
        self.owner = w.Text()
        self.severity = w.BoundedIntText(value=5, min=1, max=10)
        self.language = w.Dropdown(options=["und", "en", "fr", "en+fr"])
        self.save = w.Button(icon="save", button_style="primary")
        self.saved = w.HTML()   # "saved" (or why not) right by the button
        self.help = w.HTML()
        self.message = w.HTML()
        self.warnings = w.HTML()
        self.figures = w.HTML()
        self.chart = chart_widget()
        self.examples = w.HTML()
        self.near_misses = w.HTML()
        self.query.observe(lambda _: self.run(), names="value")
        self.save.on_click(lambda _: self.save_rule())
        self.widget = w.VBox([
            language_switch(), self.query, self.help, self.message, self.warnings, self.figures, self.chart,
            self.examples, self.near_misses,
            w.HBox([self.name, self.description]), w.HBox([self.owner, self.severity,
                                                           self.language]),
            w.HBox([self.save, self.saved])])
        self.widget.add_class("listening-rule-workbench")
        self.lang = "en"
        self._relabel(follow_language(None, self._on_language))

    @property
    def words(self) -> dict:
        return _WORDS[self.lang]

    def _relabel(self, lang: str) -> None:
        self.lang = lang
        words = self.words
        for control, key in ((self.query, "rule"), (self.name, "name"), (self.description, "about"),
                             (self.owner, "owner"), (self.severity, "severity"),
                             (self.language, "language"), (self.save, "save")):
            control.description = words[key]
        self.name.placeholder, self.description.placeholder = words["name_hint"], words["about_hint"]
        self.help.value = words["help"]
        self.run()

    def _on_language(self, lang: str) -> None:
        self._relabel(lang)

    def run(self) -> None:
        """Parse the query and, when valid, backtest it and redraw."""
        from .. import rules

        text = self.query.value
        self.rule, self.error, self.result = None, None, None
        self.saved.value = ""   # a changed rule is not the one saved
        if not text.strip():
            self.message.value = f"<em>{self.words['type']}</em>"
            self._clear()
            return
        try:
            self.rule = rules.Rule.parse(text)
        except RuleSyntaxError as exc:
            self.error = exc
            self.message.value = (f'<pre class="listening-rule-error" style="color:#b00020">'
                                  f"{escape(str(exc))}</pre>")
            self._clear()
            return
        self.result = rules.backtest(self.rule, self.frame)
        dead = rules.dead_filters(self.rule, self.frame)
        self.warnings.value = "".join(
            f'<div class="listening-rule-warning" style="color:#8a5300">⚠ {escape(line)}</div>'
            for line in dead)
        self.hits_frame = self._local_days()
        from ..charts import volume_chart

        total = int(self.hits_frame["count"].sum())
        words, lang = self.words, self.lang
        self.message.value = words["hits"].format(
            total=fmt_int(total, lang), n=fmt_int(len(self.frame), lang),
            share=fmt_pct(total / max(len(self.frame), 1), lang, 1))
        self.chart.chart = volume_chart(self.hits_frame, tz=self.tz,
                                        title=words["per_day"].format(tz=self.tz))
        self.figures.value = f"<h5>{words['backtest']}</h5>" + _frame_table(
            self.result.metrics, words["metrics"], self.lang)
        self.examples.value = f"<h5>{words['examples']}</h5>" + posts_html(
            self.result.examples, EXAMPLE_COLUMNS, tz=self.tz, lang=self.lang)
        near = self.result.near_misses
        self.near_misses.value = (f"<h5>{words['near']}</h5>"
                                  + posts_html(near, ("reason", *EXAMPLE_COLUMNS), tz=self.tz,
                                               lang=self.lang)) if len(near) \
            else ""

    def _local_days(self) -> pd.DataFrame:
        """Hits per local day (the widgets' zone), zero-filled over the frame's period."""
        from ..trends import volume

        if len(self.frame) == 0:
            return _hits_series(self.result.hits_over_time)
        hit = self.rule.match(self.frame).fillna(False).to_numpy(dtype=bool)
        ts = self.frame["timestamp"]
        daily = volume(self.frame[hit], freq="1D", tz=self.tz, start=ts.min(), end=ts.max())
        return pd.DataFrame({"timestamp": daily["time"], "count": daily["mentions"]})

    def _clear(self) -> None:
        """Forget the previous rule's results: figures, chart, examples and warnings."""
        import altair as alt

        self.hits_frame = pd.DataFrame({"timestamp": [], "count": []})
        self.figures.value = self.examples.value = self.near_misses.value = ""
        self.warnings.value = ""
        self.chart.chart = alt.Chart(pd.DataFrame({"x": []})).mark_point()

    def save_rule(self) -> Path | None:
        """Save the current rule with the form's name and metadata; returns the file written."""
        from .. import rules

        if self.rule is None:
            self.saved.value = f"<em>{self.words['unparsed']}</em>"
            return None
        if not self.name.value.strip():
            self.saved.value = f"<em>{self.words['unnamed']}</em>"
            return None
        try:
            rule = rules.Rule.parse(self.query.value, name=self.name.value.strip(),
                                    description=self.description.value.strip(),
                                    owner=self.owner.value.strip(), severity=self.severity.value,
                                    language=self.language.value)
            path = rules.save_rule(rule, self.folder)
        except ListeningError as exc:
            self.saved.value = f'<pre style="color:#b00020">{escape(str(exc))}</pre>'
            return None
        self.saved.value = ('<span class="listening-saved" style="color:#1b5e20">'
                            + self.words["saved"].format(name=escape(rule.name), path=escape(path))
                            + "</span>")
        return Path(path)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
