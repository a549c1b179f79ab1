"""Brief builder: choose the period, language and format, preview, write the manager's note.

A thin form over :func:`listening.brief`, which reports the chosen period and
compares it with the one before. The preview is the HTML brief rendered to a
temporary file and shown in a sandboxed frame (no script in it can run); "write"
puts the brief in the chosen format where the analyst says (default: ``out/``
beside the project's ``data/`` folder).
"""

from __future__ import annotations

import html
import tempfile
from pathlib import Path

import pandas as pd

from ._common import default_out_dir, escape, follow_language, language_switch

__all__ = ["FORMATS", "PERIODS", "BriefBuilder"]

# Periods a manager asks about: the last day, week, fortnight, four weeks (pandas offsets
# as ``ls.brief(period=...)`` takes them).
PERIODS = {"last 24 hours": "1D", "last 7 days": "7D", "last 14 days": "14D",
           "last 28 days": "28D"}
FORMATS = ("html", "md", "pdf")
_WORDS = {
    "en": {"period": "period", "language": "language", "format": "format",
           "path": "write to", "preview": "preview", "write": "write brief",
           "previewed": "Preview of the {period} brief.",
           "written": "Brief written to <code>{path}</code>.",
           "periods": {k: k for k in PERIODS}},
    "fr": {"period": "période", "language": "langue", "format": "format",
           "path": "écrire dans", "preview": "aperçu", "write": "écrire la note",
           "previewed": "Aperçu de la note ({period}).",
           "written": "Note écrite dans <code>{path}</code>.",
           "periods": {"last 24 hours": "dernières 24 heures", "last 7 days": "7 derniers jours",
                       "last 14 days": "14 derniers jours", "last 28 days": "28 derniers jours"}},
}


class BriefBuilder:
    """Build the one-page brief for managers from a form.

    Parameters
    ----------
    frame : DataFrame
        Enriched mentions.
    alerts : DataFrame or None
        From ``detect_threats``.
    forecast : DataFrame or None
        From ``forecast``.
    out_dir : path, optional
        Folder of the written brief (default :func:`default_out_dir`).
    """

    def __init__(self, frame: pd.DataFrame, alerts: pd.DataFrame | None = None,
                 forecast: pd.DataFrame | None = None, *, out_dir=None) -> None:
        import ipywidgets as w

        self.frame = frame
        self.alerts = alerts
        self.forecast = forecast
        self.out_dir = Path(out_dir) if out_dir is not None else default_out_dir()
        self.preview_html = ""
        self.written: Path | None = None
        self.period = w.Dropdown(options=list(PERIODS), value="last 7 days", description="period")
        # the brief's language is the EN/FR switch every widget shares (the form follows it)
        self.lang = language_switch()
        self.format = w.ToggleButtons(options=FORMATS, value="html", description="format",
                                      style={"button_width": "70px"})
        self.path = w.Text(value=str(self.out_dir / "brief.html"), description="write to",
                           layout=w.Layout(width="420px"))
        self.preview_button = w.Button(description="preview", icon="eye")
        self.write_button = w.Button(description="write brief", icon="file",
                                     button_style="primary")
        self.message = w.HTML()
        self.preview = w.HTML()
        self.format.observe(self._on_format, names="value")
        self.preview_button.on_click(lambda _: self.show_preview())
        self.write_button.on_click(lambda _: self.write())
        self.widget = w.VBox([
            w.HBox([self.period, self.lang]), self.format, w.HBox([self.path]),
            w.HBox([self.preview_button, self.write_button]), self.message, self.preview])
        self.widget.add_class("listening-brief-builder")
        self._relabel(follow_language(None, self._relabel))

    def _relabel(self, lang: str) -> None:
        words = _WORDS[lang]
        chosen = self.period.value
        self.period.options = [(words["periods"][k], k) for k in PERIODS]
        self.period.value = chosen
        self.period.description = words["period"]
        self.format.description = words["format"]
        self.path.description = words["path"]
        self.preview_button.description = words["preview"]
        self.write_button.description = words["write"]

    def _render(self, path: Path) -> Path:
        from ..report import brief

        return brief(self.frame, alerts=self.alerts, forecast=self.forecast,
                     period=PERIODS[self.period.value], path=path, lang=self.lang.value)

    # --------------------------------------------------------------- actions
    def _on_format(self, change) -> None:
        current = Path(self.path.value)
        self.path.value = str(current.with_suffix("." + change["new"]))

    def show_preview(self) -> str:
        """Render the brief as HTML and show it; returns the HTML."""
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / "preview.html"
            self._render(target)
            self.preview_html = target.read_text("utf-8")
        # srcdoc is an attribute: escape the whole document; sandbox="" runs no script.
        self.preview.value = (f'<iframe sandbox="" style="width:100%;height:640px;border:1px solid '
                              f'#ccc" srcdoc="{html.escape(self.preview_html, quote=True)}">'
                              "</iframe>")
        words = _WORDS[self.lang.value]
        self.message.value = words["previewed"].format(
            period=escape(words["periods"][self.period.value]))
        return self.preview_html

    def write(self) -> Path:
        """Write the brief to the path in the form; returns the path."""
        target = Path(self.path.value).expanduser()
        target.parent.mkdir(parents=True, exist_ok=True)
        self.written = Path(self._render(target))
        self.message.value = _WORDS[self.lang.value]["written"].format(path=escape(self.written))
        return self.written

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
