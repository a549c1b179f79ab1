"""Topics: social-text-aware TF-IDF + NMF, explicit "other" topic, stable ids across refits.

The work is split in two modules: :mod:`listening.topics.model` (the
``TopicModel`` class, ``fit_topics``, ``load_topics``) and
:mod:`listening.topics._nmf` (TF-IDF, NMF, choosing k, labels, Hungarian matching).
"""

from __future__ import annotations

from .model import MIN_MENTIONS, OTHER_LABEL, OTHER_TOPIC, TopicModel, fit_topics, load_topics

__all__ = [
                    "MIN_MENTIONS",
                    "OTHER_LABEL",
                    "OTHER_TOPIC",
                    "TopicModel",
                    "fit_topics",
                    "load_topics",
]
