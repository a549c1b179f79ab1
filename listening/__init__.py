"""listening — a social listening workbench for public-sector communications teams.

>>> import listening as ls
>>> frame, report = ls.load("mentions.csv")          # doctest: +SKIP
>>> frame = ls.score_sentiment(frame)                # doctest: +SKIP

The public names below are imported lazily: ``import listening`` stays fast (the
CLI's ``--help`` should not wait for scikit-learn, DuckDB and Altair), and a
notebook pays only for the stages it uses.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> module that defines it (DESIGN.md "Public API"). The functions
# forecast, export and enrich live in modules with other names (forecasting,
# exporting, pipeline): a submodule named like a function would replace that
# function on the package as soon as anything imported the submodule.
_EXPORTS: dict[str, str] = {
    "errors": "listening.errors",
    "schema": "listening.schema",
    "demo": "listening.demo",
    "trends": "listening.trends",
    "validate": "listening.schema",
    "load": "listening.ingest",
    "load_to_parquet": "listening.ingest",
    "LoadReport": "listening.ingest",
    "register_mapping": "listening.ingest",
    "open_store": "listening.store",
    "Store": "listening.store",
    "score_sentiment": "listening.sentiment",
    "train_sentiment": "listening.sentiment",
    "load_sentiment_model": "listening.sentiment",
    "sentiment_summary": "listening.sentiment",
    "evaluate_sentiment": "listening.sentiment",
    "fit_topics": "listening.topics",
    "load_topics": "listening.topics",
    "TopicModel": "listening.topics",
    "Rule": "listening.rules",
    "load_rules": "listening.rules",
    "match_rules": "listening.rules",
    "save_rule": "listening.rules",
    "TokenIndex": "listening.rules",
    "backtest": "listening.rules",
    "dead_filters": "listening.rules",
    "response_queue": "listening.responses",
    "detect_threats": "listening.threats",
    "forecast": "listening.forecasting",
    "backtest_forecast": "listening.forecasting",
    "format_alerts": "listening.threats",
    "enrich": "listening.pipeline",
    "brief": "listening.report",
    "export": "listening.exporting",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'listening' has no attribute {name!r}")
    module = importlib.import_module(module_name)
    value = module if module_name.endswith("." + name) else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
