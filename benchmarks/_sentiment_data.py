"""Labelled tweet sets under /work/shared/data (see their SOURCE.md), and how settings are chosen.

Shared by benchmarks/sentiment_eval.py and benchmarks/train_sentiment_models.py,
so the settings reported and the settings shipped are chosen by the same code.
Files hold one tweet per line and one integer label per line (0 negative,
1 neutral, 2 positive). Some texts carry JSON-style escapes (``\\u2019``) as
literal characters; they are decoded so "isn’t" reads as a word.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
LABELS = {0: "negative", 1: "neutral", 2: "positive"}
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def _decode(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text).strip()


def read_split(folder: str, split: str) -> pd.DataFrame:
    """``text, label, source`` for ``<folder>/<split>_{text,labels}.txt``."""
    base = DATA / folder
    texts = (base / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
    labels = (base / f"{split}_labels.txt").read_text(encoding="utf-8").split()
    if len(texts) != len(labels):
        raise ValueError(f"{base}/{split}: {len(texts)} texts but {len(labels)} labels")
    return pd.DataFrame({"text": [_decode(t) for t in texts],
                         "label": [LABELS[int(x)] for x in labels],
                         "source": f"{folder}/{split}"})


def union(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate and keep each distinct text once (first label wins; conflicts counted)."""
    frame = pd.concat(parts, ignore_index=True)
    conflicts = frame.groupby("text")["label"].nunique()
    out = frame.drop_duplicates("text", keep="first").reset_index(drop=True)
    out.attrs["label_conflicts"] = int((conflicts > 1).sum())
    out.attrs["rows_before_dedup"] = len(frame)
    return out


def english_training() -> pd.DataFrame:
    """tweeteval sentiment/val ∪ xlmt english/{train,val}, de-duplicated by text.

    Every English three-class tweet we have: 1,430 of xlmt english/train's 1,839
    tweets and all of its val are tweeteval val tweets; the other 409 are all
    negative. So there is no English three-class set disjoint from tweeteval val.
    """
    return union([read_split("tweeteval/sentiment", "val"),
                  read_split("xlmt_sentiment/english", "train"),
                  read_split("xlmt_sentiment/english", "val")])


# TweetEval emotion (SemEval-2018 Affect in Tweets): anger and sadness are
# negative, joy and optimism positive. No neutral class, so it only ever adds
# to the two polar classes, with a weight chosen by cross-validation.
EMOTION_TO_SENTIMENT = {0: "negative", 1: "positive", 2: "positive", 3: "negative"}


def english_extra(exclude: pd.Series | None = None) -> pd.DataFrame:
    """tweeteval emotion {train,val,test} as negative/positive tweets, minus ``exclude`` texts."""
    parts = []
    for split in ("train", "val", "test"):
        base = DATA / "tweeteval" / "emotion"
        texts = (base / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
        labels = (base / f"{split}_labels.txt").read_text(encoding="utf-8").split()
        parts.append(pd.DataFrame({"text": [_decode(t) for t in texts],
                                   "label": [EMOTION_TO_SENTIMENT[int(x)] for x in labels],
                                   "source": f"tweeteval/emotion/{split}"}))
    out = union(parts)
    if exclude is not None:
        out = out[~out["text"].isin(set(exclude))].reset_index(drop=True)
    return out


def french_training() -> pd.DataFrame:
    """xlmt french/train: the French set settings are chosen and models trained on."""
    return read_split("xlmt_sentiment/french", "train")


CV_FOLDS = 5
CV_SEED = 0
# Inner folds (choosing settings inside a training part).
INNER_FOLDS = 3
CLASSES = ("negative", "neutral", "positive")
# The trained recipe's settings chosen by cross-validation: the logistic
# regression's C and, in English, the weight of the emotion tweets.
# 4.0 was added when CV chose 2.0, the grid's edge, for French and the shipped English model.
C_GRID = (0.5, 1.0, 2.0, 4.0)
EXTRA_WEIGHT_GRID = (0.0, 0.2)
# Rule thresholds: compound scores in steps of 0.02 (finer steps only fit noise).
THRESHOLD_GRID = np.round(np.arange(-0.6, 0.8001, 0.02), 2)
VADER_THRESHOLDS = (-0.05, 0.05)


def metric(truth, predicted, name: str) -> float:
    """macro_recall (TweetEval's metric) or macro_f1 (XLM-T's) over the three classes."""
    y, p = np.asarray(truth, dtype=object), np.asarray(predicted, dtype=object)
    if name == "macro_recall":
        return float(np.mean([np.mean(p[y == c] == c) for c in CLASSES]))
    f1 = []
    for c in CLASSES:
        tp = np.sum((p == c) & (y == c))
        denom = np.sum(p == c) + np.sum(y == c)
        f1.append(0.0 if denom == 0 else 2 * tp / denom)
    return float(np.mean(f1))


def macro_scores(truth, predicted) -> dict:
    """Macro recall, macro-F1 and each class's recall, rounded to 4."""
    y, p = np.asarray(truth, dtype=object), np.asarray(predicted, dtype=object)
    out = {"macro_recall": round(metric(y, p, "macro_recall"), 4),
           "macro_f1": round(metric(y, p, "macro_f1"), 4), "n": len(y)}
    for c in CLASSES:
        out[f"recall_{c}"] = round(float(np.mean(p[y == c] == c)), 4)
    return out


# ------------------------------------------------------------------ rules
def label_at(scores: np.ndarray, pair) -> np.ndarray:
    return np.where(scores >= pair[1], "positive",
                    np.where(scores <= pair[0], "negative", "neutral")).astype(object)


def tune_thresholds(scores: np.ndarray, truth: np.ndarray, name: str) -> tuple[float, float]:
    """(negative_at_or_below, positive_at_or_above) maximising ``name`` on these texts."""
    y = np.searchsorted(np.array(CLASSES), np.asarray(truth, dtype=str))
    best, pair = -1.0, VADER_THRESHOLDS
    for neg in THRESHOLD_GRID:
        for pos in THRESHOLD_GRID[THRESHOLD_GRID >= neg]:
            pred = np.where(scores >= pos, 2, np.where(scores <= neg, 0, 1))
            if name == "macro_recall":
                m = np.mean([np.mean(pred[y == c] == c) for c in range(3)])
            else:
                m = np.mean([2 * np.sum((pred == c) & (y == c))
                             / max(1, np.sum(pred == c) + np.sum(y == c)) for c in range(3)])
            if m > best + 1e-12:
                best, pair = m, (float(neg), float(pos))
    return pair


def choose_thresholds(scores, truth, name: str, *, folds: int = CV_FOLDS,
                      seed: int = CV_SEED) -> dict:
    """Thresholds chosen on these (training) texts, and their cross-validated figure.

    The figure: each fold labelled with thresholds tuned on the other folds.
    """
    from sklearn.model_selection import StratifiedKFold

    truth = np.asarray(truth, dtype=object)
    oof = np.empty(len(truth), dtype=object)
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=seed).split(scores, truth):
        oof[te] = label_at(scores[te], tune_thresholds(scores[tr], truth[tr], name))
    return {"thresholds": tune_thresholds(scores, truth, name), "cv": macro_scores(truth, oof)}


# ------------------------------------------------------------------ trained recipe
def _grid(extra: pd.DataFrame | None) -> list[tuple[float, float]]:
    weights = EXTRA_WEIGHT_GRID if extra is not None and len(extra) else (0.0,)
    return [(c, w) for c in C_GRID for w in weights]


def fit_predict_grid(x, y, tests, *, language: str, extra: pd.DataFrame | None,
                     grid: list[tuple[float, float]]) -> list[dict]:
    """For each (C, extra_weight) setting, class probabilities for each text list of ``tests``.

    The features are fitted once on ``x`` (plus the extra texts, whatever their
    weight), then one logistic regression per setting: what the shipped recipe
    does for that setting, without refitting the TF-IDF for each. Probabilities
    are (n, 3) arrays in :data:`CLASSES` order; :func:`decide` turns them into labels.
    """
    from listening.sentiment.trained import SentimentModel

    model = SentimentModel(language)
    texts = list(x) + ([] if extra is None else extra["text"].tolist())
    labels = np.concatenate([np.asarray(y, dtype=object),
                             np.asarray([] if extra is None else extra["label"], dtype=object)])
    features = model.build_features()
    X = features.fit_transform(texts, labels)
    X_tests = [features.transform(list(t)) for t in tests]
    out = []
    for c, w in grid:
        weight = np.r_[np.ones(len(x)), np.full(len(texts) - len(x), w)]
        keep = weight > 0
        clf = model.build_classifier(c).fit(X[keep], labels[keep], sample_weight=weight[keep])
        order = [list(clf.classes_).index(k) for k in CLASSES]
        out.append({(c, w): [clf.predict_proba(Xt)[:, order] for Xt in X_tests]})
    return out


# Decision offsets: added to the log-probabilities of (negative, neutral, positive)
# before the argmax (negative's stays 0). Balanced class weights make the argmax
# close to, not at, the best macro-averaged decision; offsets in this grid are
# chosen on out-of-fold probabilities, (0, 0) when nothing beats it.
OFFSET_GRID = np.round(np.arange(-0.5, 0.5001, 0.1), 2)


def decide(proba: np.ndarray, offsets=(0.0, 0.0, 0.0)) -> np.ndarray:
    """Labels from (n, 3) probabilities: argmax of log-probability + offsets."""
    logp = np.log(np.clip(np.asarray(proba, dtype=float), 1e-12, None)) + np.asarray(offsets)
    return np.asarray(CLASSES, dtype=object)[logp.argmax(axis=1)]


def tune_offsets(proba: np.ndarray, truth, name: str) -> tuple[float, float, float]:
    """Offsets from :data:`OFFSET_GRID` maximising ``name``; ties go to the smallest offsets."""
    pairs = sorted(((float(a), float(b)) for a in OFFSET_GRID for b in OFFSET_GRID),
                   key=lambda p: (abs(p[0]) + abs(p[1]), p))
    best, chosen = -1.0, (0.0, 0.0, 0.0)
    for neu, pos in pairs:
        m = metric(truth, decide(proba, (0.0, neu, pos)), name)
        if m > best + 1e-12:
            best, chosen = m, (0.0, neu, pos)
    return chosen


def choose_offsets(proba: np.ndarray, truth, name: str, *, folds: int = CV_FOLDS,
                   seed: int = CV_SEED) -> dict:
    """Offsets chosen on out-of-fold probabilities, and their cross-validated figure."""
    from sklearn.model_selection import StratifiedKFold

    truth = np.asarray(truth, dtype=object)
    oof = np.empty(len(truth), dtype=object)
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=seed).split(proba, truth):
        oof[te] = decide(proba[te], tune_offsets(proba[tr], truth[tr], name))
    return {"offsets": tune_offsets(proba, truth, name), "cv": macro_scores(truth, oof)}


def choose_model_settings(x, y, *, language: str, extra: pd.DataFrame | None, name: str,
                          folds: int = INNER_FOLDS, seed: int = CV_SEED) -> dict:
    """Settings of the trained recipe chosen by ``folds``-fold CV on (x, y) only.

    Returns the chosen ``(C, extra_weight)``, the decision offsets chosen on its
    out-of-fold probabilities, the cross-validated figure (with per-class
    recall) without offsets (``cv_argmax``) and with them (``cv``: offsets
    tuned on other out-of-fold rows than the ones scored), and every setting's CV score.
    """
    from sklearn.model_selection import StratifiedKFold

    x, y = np.asarray(x, dtype=object), np.asarray(y, dtype=object)
    grid = _grid(extra)
    oof = {g: np.zeros((len(y), len(CLASSES))) for g in grid}
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y):
        for result in fit_predict_grid(x[tr], y[tr], [x[te]], language=language, extra=extra,
                                       grid=grid):
            (g, (proba,)), = result.items()
            oof[g][te] = proba
    scores = {g: metric(y, decide(oof[g]), name) for g in grid}
    best = max(grid, key=lambda g: (round(scores[g], 6), -abs(np.log(g[0]))))  # ties: C near 1
    argmax, offsets = macro_scores(y, decide(oof[best])), choose_offsets(oof[best], y, name)
    key = "macro_recall" if name == "macro_recall" else "macro_f1"
    if offsets["cv"][key] <= argmax[key]:  # offsets kept only when their CV figure wins
        offsets = {"offsets": (0.0, 0.0, 0.0), "cv": argmax}
    return {"setting": {"C": best[0], "extra_weight": best[1]},
            "offsets": offsets["offsets"], "cv": offsets["cv"], "cv_argmax": argmax,
            "cv_by_setting": {f"C={g[0]}, extra_weight={g[1]}": round(scores[g], 4) for g in grid}}
