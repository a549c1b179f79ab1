"""Is a retrained model better? Score every sentiment method on an analyst's own labels.

``evaluate_sentiment(texts, labels, language="en")`` answers the question an
analyst has after labelling a few hundred mentions: should I keep the rules, the
shipped model, or train my own? It scores, on the same labelled texts:

* ``rules`` - ``score_sentiment(method="vader")`` with its default thresholds;
* ``shipped model`` - the model in ``data/models/`` (trained on public tweets,
  never on these texts);
* ``retrained (cross-validated)`` - :func:`train_sentiment`'s recipe, each text
  predicted by a model fitted on the other folds, so the figure is what the
  retrained model will do on mentions it has not seen.

Copies leak across folds: a retweet in the training folds and its original in
the test fold inflate the figure. By default (``groups="copies"``) texts that are
the same post once ``RT @handle:``, case, spacing and Unicode form are ignored
share a fold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import SENTIMENT_LABELS
from .rulesets import check_language

__all__ = ["cross_validated_predictions", "evaluate_sentiment"]

DEFAULT_FOLDS = 5


def _groups(texts: list[str], groups) -> np.ndarray | None:
    if groups is None:
        return None
    if isinstance(groups, str):
        if groups != "copies":
            raise ValueError(f"groups must be 'copies', None or one group per text, got {groups!r}")
        from .scoring import _scoring_keys

        keys = _scoring_keys(pd.Series(texts, dtype="string")).str.casefold()
        return pd.factorize(keys)[0]
    values = np.asarray(groups.tolist() if isinstance(groups, pd.Series) else list(groups),
                        dtype=object)
    if len(values) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(values)} groups; give one group per text")
    return pd.factorize(pd.Series(values, dtype=object))[0]


def _checked(texts, labels, folds: int, groups, language: str):
    """Texts, labels and group codes, or a ValueError that says what to fix."""
    from .trained import _as_labels, _as_texts

    check_language(language)
    x, y = _as_texts(texts), _as_labels(labels)
    if len(x) != len(y):
        raise ValueError(f"{len(x)} texts but {len(y)} labels; give one label per text")
    g = _groups(x, groups)
    counts = pd.Series(y).value_counts().reindex(list(SENTIMENT_LABELS), fill_value=0)
    if counts.min() < folds:
        raise ValueError(f"label {counts.idxmin()!r} has {counts.min()} example(s); "
                         f"{folds}-fold cross-validation needs at least {folds} of each label "
                         "(label more texts or pass a smaller folds=)")
    if g is not None and len(np.unique(g)) < folds:
        raise ValueError(f"only {len(np.unique(g))} distinct groups of texts; "
                         f"{folds}-fold cross-validation needs at least {folds}")
    return x, y, g


def cross_validated_predictions(texts, labels, *, language: str = "en",
                                folds: int = DEFAULT_FOLDS, seed: int = 0,
                                groups="copies") -> np.ndarray:
    """Out-of-fold labels of :func:`train_sentiment`'s recipe on labelled texts.

    Folds are stratified by label and seeded; with ``groups`` (default: copies of
    the same post) a group never spans two folds. Returns an array of
    ``negative`` / ``neutral`` / ``positive``, one per text.
    """
    return _out_of_fold(*_checked(texts, labels, folds, groups, language), language=language,
                        folds=folds, seed=seed)


def _out_of_fold(x: list[str], y: np.ndarray, g: np.ndarray | None, *, language: str,
                 folds: int, seed: int) -> np.ndarray:
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_predict

    from .trained import SentimentModel

    pipeline = SentimentModel(language)._build()
    if g is None:
        cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
        return cross_val_predict(pipeline, x, y, cv=cv)
    cv = StratifiedGroupKFold(folds, shuffle=True, random_state=seed)
    return cross_val_predict(pipeline, x, y, cv=cv, groups=g)


def _row(method: str, truth: np.ndarray, predicted, note: str) -> dict:
    from sklearn.metrics import f1_score, recall_score

    predicted = np.asarray(predicted, dtype=object)
    scored = np.array([p in SENTIMENT_LABELS for p in predicted])
    labels = list(SENTIMENT_LABELS)
    t, p = truth[scored], predicted[scored].astype(str)
    return {"method": method,
            "macro_recall": float(recall_score(t, p, labels=labels, average="macro",
                                               zero_division=0)),
            "macro_f1": float(f1_score(t, p, labels=labels, average="macro", zero_division=0)),
            "accuracy": float(np.mean(t == p)), "n": int(scored.sum()), "note": note}


def evaluate_sentiment(texts, labels, *, language: str = "en", folds: int = DEFAULT_FOLDS,
                       seed: int = 0, groups="copies") -> pd.DataFrame:
    """Macro recall, macro-F1 and accuracy of each sentiment method on labelled texts.

    Parameters
    ----------
    texts : sequence or Series of str
        Mentions in one language, labelled by an analyst.
    labels : sequence or Series
        ``negative`` / ``neutral`` / ``positive`` (any case) or 0 / 1 / 2.
    language : str
        A language with a rule set (``"en"``, ``"fr"``; see
        :func:`listening.sentiment.rulesets.supported_languages`).
    folds, seed : int
        Cross-validation of the retrained recipe (stratified, seeded).
    groups : "copies", None, or one group per text
        Texts of a group share a fold. ``"copies"``: copies of the same post
        (retweets, case and spacing variants); ``None``: every text on its own.

    Returns
    -------
    DataFrame with one row per method: ``method, macro_recall, macro_f1, accuracy,
    n, note``. Macro recall is TweetEval's metric, macro-F1 XLM-T's; both weigh
    each label equally, so a method that calls everything neutral scores low.

    Examples
    --------
    >>> texts = ["thank you, great work", "awful, a disgrace", "road open at 5"] * 10
    >>> labels = ["positive", "negative", "neutral"] * 10
    >>> table = evaluate_sentiment(texts, labels, groups=None)  # doctest: +SKIP
    >>> table["method"].tolist()  # doctest: +SKIP
    ['rules', 'shipped model', 'retrained (cross-validated)']
    """
    from .scoring import score_sentiment
    from .trained import default_model_path

    x, y, g = _checked(texts, labels, folds, groups, language)  # fail before any work
    frame = pd.DataFrame({"text": x, "language": language})
    rows = [_row("rules", y, score_sentiment(frame, progress=False)["sentiment_label"]
                 .astype(object).to_numpy(), "method='vader', default thresholds")]
    shipped = default_model_path(language)
    if shipped.is_file():
        out = score_sentiment(frame, method="model", model=str(shipped), progress=False)
        rows.append(_row("shipped model", y, out["sentiment_label"].astype(object).to_numpy(),
                         f"{shipped.name}, trained on public tweets"))
    oof = _out_of_fold(x, y, g, language=language, folds=folds, seed=seed)
    grouping = ("copies share a fold" if isinstance(groups, str)
                else "plain folds" if groups is None else "given groups share a fold")
    rows.append(_row("retrained (cross-validated)", y, oof,
                     f"{folds}-fold, seed {seed}, {grouping}"))
    return pd.DataFrame(rows)
