"""Sentiment: VADER rules for English and French, trained classifiers, summaries.

Public names (re-exported by :mod:`listening`):

* :func:`score_sentiment` - add ``sentiment`` and ``sentiment_label`` to a frame;
* :func:`polarity` - VADER compound scores of a plain list of texts;
* :func:`train_sentiment`, :func:`load_sentiment_model`, :class:`SentimentModel`;
* :func:`evaluate_sentiment` - rules, shipped model and a cross-validated retrain,
  scored on an analyst's own labelled mentions;
* :func:`sentiment_summary` - label shares per group with bootstrap intervals.

Modules: ``vader`` (the vectorised rule engine), ``scoring`` (routing by
language, thresholds, caching), ``trained`` (scikit-learn models saved with
skops), ``lexicon_features`` (token-level lexicon features of the trained
models), ``evaluation`` (cross-validated comparison), ``summary`` (bootstrap
shares), ``_lexicons`` (lexicons from the pip packages placed on
``nltk.data.path``).
"""

from __future__ import annotations

from .evaluation import cross_validated_predictions, evaluate_sentiment
from .scoring import DEFAULT_THRESHOLDS, label_scores, polarity, score_sentiment, vader_features
from .summary import sentiment_summary
from .trained import SentimentModel, load_sentiment_model, train_sentiment

__all__ = [
    "DEFAULT_THRESHOLDS",
    "SentimentModel",
    "cross_validated_predictions",
    "evaluate_sentiment",
    "label_scores",
    "load_sentiment_model",
    "polarity",
    "score_sentiment",
    "sentiment_summary",
    "train_sentiment",
    "vader_features",
]
