"""Sentiment: VADER rules (one rule set per language), trained classifiers, summaries.

Public names (re-exported by :mod:`listening`):

* :func:`score_sentiment` - add ``sentiment`` and ``sentiment_label`` to a frame;
* :func:`polarity` - VADER compound scores of a plain list of texts;
* :func:`train_sentiment`, :func:`load_sentiment_model`, :class:`SentimentModel`;
* :func:`evaluate_sentiment` - rules, shipped model and a cross-validated retrain,
  scored on an analyst's own labelled mentions;
* :func:`sentiment_summary` - label shares per group with bootstrap intervals.

Modules: ``vader`` (the vectorised, language-neutral rule engine), ``rulesets``
(one :class:`~listening.sentiment.rulesets.RuleSet` per language, read from
``listening/resources/sentiment/languages/<code>.yaml``; the one list of
supported languages), ``scoring`` (routing by
language, thresholds, caching), ``trained`` (scikit-learn models saved with
skops), ``lexicon_features`` (token-level lexicon features of the trained
models), ``evaluation`` (cross-validated comparison), ``summary`` (bootstrap
shares), ``_lexicons`` (lexicons from the pip packages placed on
``nltk.data.path``).
"""

from __future__ import annotations

import importlib

# public name -> submodule; imported on first use, so that counting labels
# (``listening.sentiment.labels``) does not load the VADER engine or scikit-learn.
_EXPORTS: dict[str, str] = {
    "DEFAULT_THRESHOLDS": "labels",
    "label_scores": "labels",
    "sentiment_labels": "labels",
    "polarity": "scoring",
    "score_sentiment": "scoring",
    "vader_features": "scoring",
    "cross_validated_predictions": "evaluation",
    "evaluate_sentiment": "evaluation",
    "sentiment_summary": "summary",
    "SentimentModel": "trained",
    "load_sentiment_model": "trained",
    "train_sentiment": "trained",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'listening.sentiment' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
