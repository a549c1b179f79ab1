"""Readers for the labelled tweet sets under /work/shared/data (see their SOURCE.md).

Shared by benchmarks/sentiment_eval.py and benchmarks/train_sentiment_models.py.
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
    """tweeteval sentiment/val ∪ xlmt english/{train,val}, de-duplicated by text."""
    return union([read_split("tweeteval/sentiment", "val"),
                  read_split("xlmt_sentiment/english", "train"),
                  read_split("xlmt_sentiment/english", "val")])


def french_training() -> pd.DataFrame:
    """xlmt french/{train,val}, de-duplicated by text."""
    return union([read_split("xlmt_sentiment/french", "train"),
                  read_split("xlmt_sentiment/french", "val")])


CV_FOLDS = 5
CV_SEED = 0
# The fold split moves a figure by about +-0.005 on ~2,000 tweets, so the
# trained path is also reported over these seeds (seed 0 is the headline).
CV_SEEDS = (0, 1, 2, 3, 4)


def cross_validated_labels(data: pd.DataFrame, *, language: str, seed: int = CV_SEED) -> np.ndarray:
    """Out-of-fold predictions of the shipped model recipe (5-fold, stratified, seeded).

    Every text is predicted by a model that never saw it, so the figures are
    honest for texts the shipped model *was* trained on.
    """
    from listening.sentiment import cross_validated_predictions

    # Plain stratified folds: the sets are de-duplicated by text already.
    return cross_validated_predictions(data["text"].tolist(), data["label"].to_numpy(),
                                       language=language, folds=CV_FOLDS, seed=seed, groups=None)


def macro_scores(truth, predicted) -> dict[str, float]:
    """Macro-averaged recall (TweetEval's metric) and macro-F1 (XLM-T's), rounded to 4."""
    from sklearn.metrics import f1_score, recall_score

    labels = ["negative", "neutral", "positive"]
    return {"macro_recall": round(float(recall_score(truth, predicted, labels=labels,
                                                     average="macro", zero_division=0)), 4),
            "macro_f1": round(float(f1_score(truth, predicted, labels=labels, average="macro",
                                             zero_division=0)), 4),
            "n": len(truth)}
