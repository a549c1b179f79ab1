"""Notebook widgets (ipywidgets + Altair): thin views over the public API.

* :class:`Explorer` — filters, linked charts (a brush on the volume chart filters the
  rest) and a paged table of posts;
* :class:`ThreatBoard` — alerts with their evidence and a triage log kept in the store;
* :class:`RuleWorkbench` — type a rule, see its syntax error or its backtest at once, save it;
* :class:`ResponseQueue` — posts that may need a reply, ranked, with mark-as-handled;
* :class:`BriefBuilder` — choose period, language and format, preview and write the brief.

Each widget displays itself in a notebook (the last expression of a cell) and keeps
the frames it drew as attributes, so it can be tested without a browser: set a
control's ``value`` and look at the frames and charts.

:func:`demo_frame` gives the notebooks data out of the box: the default store's
mentions, building a demo store first when it is empty. :func:`show` formats a table
(local times, thousands, percentages, a partial last bin marked); :func:`local_tz` is
the one zone of every widget and notebook (``LISTENING_TZ``, default Toronto);
:func:`language_switch` is the EN/FR toggle all widgets share; :func:`default_out_dir`
is the project's ``out/`` folder, where every export, brief and model goes.
"""

try:
    import ipywidgets  # noqa: F401  (the notebook extra; fail here with the install hint)
except ImportError as exc:  # pragma: no cover - exercised in a core-only install
    raise ImportError("listening.widgets needs the notebook extra: "
                      "pip install 'listening[notebook]'") from exc

from ._common import default_out_dir, demo_frame, language_switch, local_tz, posts_html
from .brief_builder import BriefBuilder
from .explorer import Explorer
from .response_queue import ResponseQueue
from .rule_workbench import RuleWorkbench
from .tables import show
from .threat_board import ThreatBoard

__all__ = [
           "BriefBuilder",
           "Explorer",
           "ResponseQueue",
           "RuleWorkbench",
           "ThreatBoard",
           "default_out_dir",
           "demo_frame",
           "language_switch",
           "local_tz",
           "posts_html",
           "show",
]
