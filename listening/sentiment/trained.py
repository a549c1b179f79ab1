"""Trained sentiment classifiers: TF-IDF and lexicon features, logistic regression.

``train_sentiment(texts, labels, language="en")`` fits a scikit-learn pipeline:

* word TF-IDF (unigrams and bigrams; hashtags and @handles kept as tokens),
* character TF-IDF (2-5-grams inside word boundaries: robust to spelling,
  elongation and French accents),
* the four VADER scores of the language (:func:`vader_features`),
* token-level lexicon features: per lexicon of the language, counts, sums and
  extremes of positive and negative word valences, negation-aware
  (:class:`~listening.sentiment.lexicon_features.LexiconFeatures`),

then a multinomial logistic regression with balanced class weights. The label
is the most probable class after optional *decision offsets* (added to the
log-probabilities of negative, neutral, positive; chosen by cross-validation
in ``benchmarks/_sentiment_data.choose_model_settings`` and kept only when
their CV figure beats the plain argmax); ``sentiment`` is P(positive) - P(negative).

Why this recipe: on the shipped training tweets it beat the earlier linear SVM
with sigmoid calibration (and no lexicon features) by about 0.02 macro recall in
English and macro-F1 in French, averaged over five cross-validation seeds
(``benchmarks/sentiment_eval.py`` reports the seed spread), and it needs no
calibration folds. Models saved by that earlier recipe still load: its types
stay on :data:`TRUSTED_TYPES`.

Models are saved with ``skops`` (no pickle): :func:`load_sentiment_model` loads a
file only if every type in it is on :data:`TRUSTED_TYPES`, and says which types
are not otherwise.

Shipped models: ``data/models/sentiment_en.skops`` and ``sentiment_fr.skops`` in
the repository (trained by ``benchmarks/train_sentiment_models.py``; see
``data/models/MODEL_CARD.md``). They are found relative to the repository (this
package is installed in editable mode from it), or in the folder named by the
``LISTENING_MODELS`` environment variable, which wins when set. A package
installed elsewhere without the repository needs that variable or an explicit
``model=`` / path.
"""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from ..errors import ModelError, NotFittedError
from ..schema import SENTIMENT_LABELS
from .rulesets import check_language, rule_set, supported_languages
from .scoring import vader_features
from .vader import FEATURE_NAMES

__all__ = [
    "MODEL_FORMAT",
    "TRUSTED_TYPES",
    "SentimentModel",
    "VaderFeatures",
    "default_model_path",
    "load_sentiment_model",
    "resolve_models",
    "train_sentiment",
]

MODEL_FORMAT = "listening-sentiment/1"
# Repository layout: listening/sentiment/trained.py -> <repo>/data/models
REPO_MODEL_DIR = Path(__file__).resolve().parents[2] / "data" / "models"
# Hyper-parameters: chosen by 5-fold CV (five seeds) on the shipped training sets;
# C in {0.5, 1, 2} and the lexicon weight in {0.25, 0.5, 1} were compared.
DEFAULT_C = 1.0
WORD_MAX_FEATURES = 20_000
# Words seen once still count: on a few thousand tweets, min_df=2 drops most of the
# vocabulary that carries sentiment (+0.004 macro recall, five CV seeds).
WORD_MIN_DF = 1
CHAR_MAX_FEATURES = 30_000
# VADER's 4 scores sit next to ~50k TF-IDF columns of unit-norm rows; this weight
# lets the classifier use them without needing huge coefficients.
VADER_WEIGHT = 4.0
# The lexicon features are log-scaled counts and valences (~0-2); this weight
# brings them to the scale of the TF-IDF columns.
LEXICON_WEIGHT = 0.5
# Fewer examples of a label than this cannot be cross-validated or tell a label
# from noise; train_sentiment refuses them with the count.
MIN_PER_LABEL = 5
# saga reaches the same (convex) optimum as lbfgs on these ~50k sparse columns
# 10x faster here (4.5 s against 56 s on 2,409 tweets), which makes choosing
# settings by nested cross-validation affordable; its sample order is seeded.
SOLVER = "saga"
# Iterations: ~50k sparse columns on a few thousand texts converge in
# a few hundred; the margin keeps an analyst's larger set from warning.
MAX_ITER = 5000
# "balanced" weighs classes by inverse frequency: social data has few negative
# posts next to many neutral ones, and the metrics that matter (macro recall /
# F1) weigh every class equally.
DEFAULT_CLASS_WEIGHT = "balanced"
# Integer labels accepted by train_sentiment: the TweetEval / XLM-T convention.
INT_LABELS = {0: "negative", 1: "neutral", 2: "positive"}
# Every type a saved model may contain; anything else in a file refuses to load.
TRUSTED_TYPES: list[str] = [
    "listening.sentiment.trained.VaderFeatures",
    "listening.sentiment.lexicon_features.LexiconFeatures",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.Pipeline",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    # The earlier recipe (linear SVM, sigmoid calibration), so its files still load.
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.svm._classes.LinearSVC",
    "sklearn.frozen._frozen.FrozenEstimator",
    "builtins.dict", "builtins.list", "builtins.tuple", "builtins.str", "builtins.int",
    "builtins.float", "builtins.bool", "builtins.NoneType",
    "numpy.ndarray", "numpy.dtype", "numpy.float64", "numpy.int64", "numpy.int32",
    "numpy.float32", "numpy.str_",
    "scipy.sparse._csr.csr_matrix",
]


class VaderFeatures(TransformerMixin, BaseEstimator):
    """Transformer: texts -> VADER compound, pos, neg, neu (learns nothing).

    Parameters
    ----------
    language : str
        A language with a rule set (``"en"``, ``"fr"``; see
        :func:`listening.sentiment.rulesets.supported_languages`).
    weight : float
        Multiplier on the four scores (see :data:`VADER_WEIGHT`).
    """

    def __init__(self, language: str = "en", weight: float = VADER_WEIGHT) -> None:
        self.language = language
        self.weight = weight

    def fit(self, X, y=None):
        self.n_features_out_ = len(FEATURE_NAMES)
        return self

    def transform(self, X):
        return vader_features(list(X), language=self.language) * self.weight

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"vader_{n}" for n in FEATURE_NAMES], dtype=object)


def _as_texts(texts: Iterable[str] | pd.Series) -> list[str]:
    values = texts.tolist() if isinstance(texts, pd.Series) else list(texts)
    return ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in values]


def _as_labels(labels) -> np.ndarray:
    values = labels.tolist() if isinstance(labels, pd.Series) else list(labels)
    out = []
    for i, v in enumerate(values):
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool) and int(v) in INT_LABELS:
            out.append(INT_LABELS[int(v)])
        elif isinstance(v, str) and v.strip().lower() in SENTIMENT_LABELS:
            out.append(v.strip().lower())
        else:
            raise ValueError(f"label {v!r} at position {i} is not a sentiment label; use "
                             f"{', '.join(SENTIMENT_LABELS)} (or 0/1/2 in that order)")
    return np.asarray(out, dtype=object)


def _check_offsets(offsets) -> tuple[float, float, float]:
    values = tuple(float(v) for v in offsets)
    if len(values) != len(SENTIMENT_LABELS) or not np.isfinite(values).all():
        raise ValueError(f"offsets must be three finite numbers (negative, neutral, positive), "
                         f"got {offsets!r}")
    return values  # type: ignore[return-value]


class SentimentModel:
    """A trained three-class sentiment classifier for one language.

    Parameters
    ----------
    language : str
        A language with a rule set (``"en"``, ``"fr"``; see
        :func:`listening.sentiment.rulesets.supported_languages`).
        Language of the training texts (chooses the VADER rules and lexicons).
    C : float
        Inverse regularisation strength of the logistic regression.
    class_weight : "balanced" or None
        See :data:`DEFAULT_CLASS_WEIGHT`.
    vader_weight, lexicon_weight : float
        Multipliers on the VADER scores and on the lexicon features.
    offsets : three floats
        Decision offsets added to the log-probabilities of negative, neutral,
        positive before the argmax that gives the label (default 0, 0, 0).

    Attributes (after ``fit``)
    --------------------------
    pipeline_ : sklearn Pipeline
    classes_ : ndarray of str, ``("negative", "neutral", "positive")``
    n_train_ : int
    trained_at_ : str, ISO 8601 UTC time of fitting
    metadata_ : dict, free-form facts saved with the model (data, CV metrics)
    """

    def __init__(self, language: str = "en", *, C: float = DEFAULT_C,
                 class_weight: str | None = DEFAULT_CLASS_WEIGHT,
                 vader_weight: float = VADER_WEIGHT,
                 lexicon_weight: float = LEXICON_WEIGHT,
                 offsets: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> None:
        self.language = language
        self.offsets = _check_offsets(offsets)
        self.C = C
        self.class_weight = class_weight
        self.vader_weight = vader_weight
        self.lexicon_weight = lexicon_weight

    def build_features(self):
        """The (unfitted) feature union of the recipe: word and character TF-IDF, VADER, lexicons."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import FeatureUnion

        from .lexicon_features import LexiconFeatures

        return FeatureUnion([
            ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=WORD_MIN_DF,
                                     sublinear_tf=True, max_features=WORD_MAX_FEATURES,
                                     token_pattern=r"(?u)[#@]?\w[\w']*", dtype=np.float64)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2,
                                     sublinear_tf=True, max_features=CHAR_MAX_FEATURES,
                                     dtype=np.float64)),
            ("vader", VaderFeatures(self.language, weight=self.vader_weight)),
            ("lexicons", LexiconFeatures(self.language, weight=self.lexicon_weight)),
        ])

    def build_classifier(self, C: float | None = None):
        """The (unfitted) logistic regression of the recipe (``C`` defaults to the model's)."""
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=self.C if C is None else C, class_weight=self.class_weight,
                                  max_iter=MAX_ITER, solver=SOLVER, random_state=0)

    def _build(self):
        from sklearn.pipeline import Pipeline

        return Pipeline([("features", self.build_features()),
                         ("classifier", self.build_classifier())])

    def fit(self, texts, labels, *, sample_weight=None) -> SentimentModel:
        """Fit on texts and their labels (negative/neutral/positive or 0/1/2). Returns self.

        ``sample_weight`` (one non-negative number per text) weighs texts in the
        classifier, e.g. less for labels borrowed from a related task; texts
        with weight 0 still shape the vocabulary.
        """
        check_language(self.language)
        x, y = _as_texts(texts), _as_labels(labels)
        if len(x) != len(y):
            raise ValueError(f"{len(x)} texts but {len(y)} labels; give one label per text")
        present = set(y.tolist())
        if present != set(SENTIMENT_LABELS):
            missing = ", ".join(sorted(set(SENTIMENT_LABELS) - present))
            raise ValueError(f"every label needs examples; none for: {missing}")
        counts = pd.Series(y).value_counts()
        if counts.min() < MIN_PER_LABEL:
            raise ValueError(f"label {counts.idxmin()!r} has {counts.min()} example(s); "
                             f"label at least {MIN_PER_LABEL} texts of each kind")
        pipeline = self._build()
        if sample_weight is None:
            pipeline.fit(x, y)
        else:
            weights = np.asarray(sample_weight, dtype=float)
            if weights.shape != (len(x),) or (weights < 0).any() or not np.isfinite(weights).all():
                raise ValueError(f"sample_weight needs one finite, non-negative number per text "
                                 f"({len(x)}), got shape {weights.shape}")
            pipeline.fit(x, y, classifier__sample_weight=weights)
        for name in ("word", "char"):
            # stop_words_ lists every dropped term: large, only for introspection.
            vec = pipeline.named_steps["features"].named_transformers[name]
            if hasattr(vec, "stop_words_"):
                del vec.stop_words_
            # numpy int64 values would each become a separate array in the skops
            # file (tens of thousands of them); plain ints go into its JSON schema.
            vec.vocabulary_ = {term: int(i) for term, i in vec.vocabulary_.items()}
        self.pipeline_ = pipeline
        self.classes_ = np.asarray(pipeline.classes_, dtype=object)
        self.n_train_ = len(x)
        self.trained_at_ = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self.metadata_ = getattr(self, "metadata_", {})
        return self

    def _check(self) -> None:
        if not hasattr(self, "pipeline_"):
            raise NotFittedError("this SentimentModel is not fitted yet; call fit(texts, labels) "
                                 "or use listening.train_sentiment / load_sentiment_model")

    def predict_proba(self, texts) -> pd.DataFrame:
        """Probability of each label: DataFrame with columns negative, neutral, positive."""
        self._check()
        proba = self.pipeline_.predict_proba(_as_texts(texts))
        frame = pd.DataFrame(proba, columns=list(self.classes_))
        return frame[list(SENTIMENT_LABELS)]

    def predict(self, texts) -> pd.Categorical:
        """Most probable label of each text."""
        return self.score(texts, return_codes=False, labels=True)

    def score(self, texts, *, return_codes: bool = False, labels: bool = False):
        """P(positive) - P(negative) per text (-1..1); with ``return_codes`` also the label codes."""
        proba = self.predict_proba(texts).to_numpy()
        codes = (np.log(np.clip(proba, 1e-12, None)) + np.asarray(self.offsets)).argmax(axis=1)
        if labels:
            return pd.Categorical.from_codes(codes, categories=list(SENTIMENT_LABELS))
        s = proba[:, 2] - proba[:, 0]
        return (s, codes) if return_codes else s

    def save(self, path: str | Path) -> Path:
        """Write the model to ``path`` (a ``.skops`` file); returns the path."""
        import skops.io as sio

        self._check()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"format": MODEL_FORMAT, "language": self.language, "C": float(self.C),
                   "offsets": [float(v) for v in self.offsets],
                   "n_train": int(self.n_train_), "trained_at": self.trained_at_,
                   "metadata": dict(self.metadata_), "pipeline": self.pipeline_}
        sio.dump(payload, path, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
        return path

    def __repr__(self) -> str:
        state = f", n_train={self.n_train_}" if hasattr(self, "n_train_") else ", unfitted"
        return f"SentimentModel(language={self.language!r}, C={self.C}{state})"


def train_sentiment(texts, labels, *, language: str = "en", C: float = DEFAULT_C,
                    metadata: Mapping | None = None, sample_weight=None,
                    offsets: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> SentimentModel:
    """Fit a :class:`SentimentModel` on labelled texts (e.g. an analyst's own mentions).

    Parameters
    ----------
    texts : sequence or Series of str
    labels : sequence or Series
        ``negative`` / ``neutral`` / ``positive`` (any case), or 0 / 1 / 2.
    language : str
        A language with a rule set (``"en"``, ``"fr"``; see
        :func:`listening.sentiment.rulesets.supported_languages`).
        Language of the texts: chooses the VADER rule set used as features.
    C : float
        Regularisation of the logistic regression (default :data:`DEFAULT_C`).
    metadata : dict, optional
        Facts to keep with the model (data source, metrics); saved by ``save``.
    sample_weight : sequence of float, optional
        Weight of each text in the classifier (default: all 1).
    offsets : three floats, optional
        Decision offsets (negative, neutral, positive) added to the
        log-probabilities before the label's argmax (default: none).

    Examples
    --------
    >>> texts = ["great job", "thank you so much", "love it", "awful", "terrible service",
    ...          "worst day", "road open", "meeting at 3", "report filed"] * 3
    >>> labels = ["positive"] * 3 + ["negative"] * 3 + ["neutral"] * 3
    >>> model = train_sentiment(texts, labels * 3)   # doctest: +SKIP
    >>> model.predict(["thank you, great job"]).tolist()   # doctest: +SKIP
    ['positive']
    """
    model = SentimentModel(language, C=C, offsets=offsets)
    model.metadata_ = dict(metadata or {})
    return model.fit(texts, labels, sample_weight=sample_weight)


def load_sentiment_model(path: str | Path) -> SentimentModel:
    """Load a model written by :meth:`SentimentModel.save`, trusting only :data:`TRUSTED_TYPES`."""
    import skops.io as sio

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"no sentiment model at {str(path)!r}; train one with "
                         "listening.train_sentiment(...).save(path) or check the path")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # a corrupt or non-skops file
        raise ModelError(f"{str(path)!r} is not a skops model file ({exc})") from exc
    refused = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if refused:
        raise ModelError(f"{str(path)!r} contains types that are not trusted: "
                         f"{', '.join(refused)}; it was not written by listening or was "
                         "tampered with, so it is not loaded")
    payload = sio.load(path, trusted=[t for t in untrusted if t in TRUSTED_TYPES])
    if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
        raise ModelError(f"{str(path)!r} is not a listening sentiment model "
                         f"(expected format {MODEL_FORMAT!r})")
    model = SentimentModel(payload["language"], C=payload["C"],
                           offsets=tuple(payload.get("offsets", (0.0, 0.0, 0.0))))
    model.pipeline_ = payload["pipeline"]
    model.classes_ = np.asarray(model.pipeline_.classes_, dtype=object)
    model.n_train_ = int(payload["n_train"])
    model.trained_at_ = payload["trained_at"]
    model.metadata_ = dict(payload["metadata"])
    return model


def default_model_path(language: str) -> Path:
    """Where the shipped model for ``language`` lives (``$LISTENING_MODELS`` or data/models)."""
    folder = Path(os.environ["LISTENING_MODELS"]) if os.environ.get("LISTENING_MODELS") \
        else REPO_MODEL_DIR
    return folder / f"sentiment_{language}.skops"


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime: float) -> SentimentModel:
    return load_sentiment_model(path)


def resolve_models(model=None) -> dict[str, SentimentModel]:
    """Turn score_sentiment's ``model`` argument into ``{language: SentimentModel}``."""
    if model is None:
        found = {}
        for lang in supported_languages():
            path = default_model_path(lang)
            if not path.is_file() and not rule_set(lang).shipped_model:
                continue  # a language added as a rule set only: rules, no model
            if not path.is_file():
                raise ModelError(
                    f"the shipped {lang} sentiment model is missing ({path}); run "
                    "`python benchmarks/train_sentiment_models.py` in the repository, set "
                    "LISTENING_MODELS to the folder holding sentiment_<lang>.skops, or pass model=")
            found[lang] = _load_cached(str(path), path.stat().st_mtime)
        return found
    if isinstance(model, SentimentModel):
        model._check()
        return {model.language: model}
    if isinstance(model, (str, Path)):
        loaded = load_sentiment_model(model)
        return {loaded.language: loaded}
    if isinstance(model, Mapping):
        out = {}
        for lang, m in model.items():
            m = load_sentiment_model(m) if isinstance(m, (str, Path)) else m
            if not isinstance(m, SentimentModel):
                raise TypeError(f"model for {lang!r} must be a SentimentModel or a path, "
                                f"got {type(m).__name__}")
            out[lang] = m
        return out
    raise TypeError("model must be None, a SentimentModel, a path, or a dict of them; "
                    f"got {type(model).__name__}")
