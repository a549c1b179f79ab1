"""Train the shipped sentiment models and write their model card.

Run: ``.venv/bin/python benchmarks/train_sentiment_models.py`` (a few minutes).
Writes ``data/models/sentiment_en.skops``, ``data/models/sentiment_fr.skops`` and
``data/models/MODEL_CARD.md``.

Training data (../shared/data; label meanings in the SOURCE.md files):

* English: ``tweeteval/sentiment/val`` ∪ ``xlmt_sentiment/english/{train,val}``,
  de-duplicated by text (the xlmt English split re-uses most tweeteval tweets),
  plus the ``tweeteval/emotion`` tweets as negative (anger, sadness) and positive
  (joy, optimism) examples with a weight chosen by cross-validation;
* French: ``xlmt_sentiment/french/train`` only, so ``french/val`` stays untouched
  for ``sentiment_eval.py``.

Settings (C; the emotion tweets' weight; decision offsets) are chosen by 3-fold cross-validation
on the training data with ``_sentiment_data.choose_model_settings``, the code
``sentiment_eval.py`` uses; the card gives that CV figure. Training is
deterministic (seeded folds, seeded solver): re-running gives the same models.
An analyst retrains on their own labelled mentions with
``ls.train_sentiment(texts, labels, language=...)`` and ``model.save(path)``.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from _sentiment_data import (
    INNER_FOLDS,
    choose_model_settings,
    english_extra,
    english_training,
    french_training,
)

import listening as ls
from listening.sentiment import trained

MODELS = ROOT / "data" / "models"
SETS = {
    "en": (english_training, ("tweeteval sentiment/val ∪ xlmt_sentiment english/{train,val}, "
                             "de-duplicated by text, + tweeteval emotion as negative/positive")),
    "fr": (french_training, "xlmt_sentiment french/train (DEFT 2017 tweets)"),
}
METRIC = {"en": "macro_recall", "fr": "macro_f1"}


def train(language: str) -> dict:
    reader, description = SETS[language]
    data = reader()
    extra = english_extra(exclude=data["text"]) if language == "en" else None
    started = time.perf_counter()
    chosen = choose_model_settings(data["text"], data["label"], language=language, extra=extra,
                                   name=METRIC[language])
    cv_seconds = time.perf_counter() - started
    weight = chosen["setting"]["extra_weight"]
    texts, labels = data["text"].tolist(), data["label"].tolist()
    weights = [1.0] * len(texts)
    if extra is not None and weight > 0:
        texts += extra["text"].tolist()
        labels += extra["label"].tolist()
        weights += [weight] * len(extra)
    cv = chosen["cv"]
    counts = data["label"].value_counts()
    metadata = {"data": description, "n_rows_before_dedup": int(data.attrs.get("rows_before_dedup", len(data))),
                "label_conflicts": int(data.attrs.get("label_conflicts", 0)),
                "label_counts": {k: int(v) for k, v in counts.items()},
                "n_extra": 0 if extra is None or weight == 0 else len(extra),
                "extra_weight": weight, "C": chosen["setting"]["C"],
                "offsets": list(chosen["offsets"]),
                "cv_argmax_macro_recall": chosen["cv_argmax"]["macro_recall"],
                "cv_argmax_macro_f1": chosen["cv_argmax"]["macro_f1"],
                "cv_folds": INNER_FOLDS, "cv_macro_recall": cv["macro_recall"],
                "cv_macro_f1": cv["macro_f1"],
                "cv_recall": {c: cv[f"recall_{c}"] for c in ("negative", "neutral", "positive")},
                "cv_by_setting": chosen["cv_by_setting"]}
    model = ls.train_sentiment(texts, labels, language=language, C=chosen["setting"]["C"],
                               metadata=metadata, sample_weight=weights,
                               offsets=chosen["offsets"])
    path = model.save(MODELS / f"sentiment_{language}.skops")
    reloaded = ls.load_sentiment_model(path)
    assert (reloaded.predict(data["text"].head(50)) == model.predict(data["text"].head(50))).all()
    print(f"{language}: {len(texts)} tweets, {chosen['setting']}, CV macro recall "
          f"{cv['macro_recall']:.4f}, macro F1 {cv['macro_f1']:.4f} ({cv_seconds:.0f} s) -> {path} "
          f"({path.stat().st_size / 1e6:.2f} MB)", flush=True)
    return {"language": language, "n": len(texts), "metadata": metadata, "path": path,
            "size_mb": path.stat().st_size / 1e6, "trained_at": model.trained_at_}


def card(rows: list[dict]) -> str:
    today = dt.date.today().isoformat()
    lines = [
        "# Sentiment models shipped with listening", "",
        (f"Trained {today} by `benchmarks/train_sentiment_models.py`; loaded by "
        "`ls.score_sentiment(frame, method=\"model\")` (or `ls.load_sentiment_model(path)`)."), "",
        "## Recipe", "",
        ("scikit-learn pipeline: word TF-IDF (1-2-grams, hashtags and @handles kept, "
        f"min_df={trained.WORD_MIN_DF}, {trained.WORD_MAX_FEATURES:,} terms max) + character "
        f"TF-IDF (2-5-grams within words, {trained.CHAR_MAX_FEATURES:,} max) + the four VADER "
        f"scores of the language (weight {trained.VADER_WEIGHT}) + token-level lexicon features "
        f"(weight {trained.LEXICON_WEIGHT}: per lexicon, counts, sums and extremes of positive "
        "and negative valences and the last one, negation-aware; English: VADER, AFINN-165, "
        "Pattern/TextBlob; French: VADER-fr, Pattern/TextBlob-fr, all read from their pip "
        "packages, see `listening/sentiment/lexicon_features.py`); multinomial logistic "
        f"regression (C chosen by cross-validation, class weights "
        f"{trained.DEFAULT_CLASS_WEIGHT!r}, solver {trained.SOLVER!r}). "
        "Saved with skops; loading trusts only the types listed in "
        "`listening.sentiment.trained.TRUSTED_TYPES`."), "",
        ("`sentiment` = P(positive) − P(negative); `sentiment_label` = the most probable class "
         "after the model's decision offsets (added to the log-probabilities of negative, "
         "neutral, positive; chosen on out-of-fold probabilities and kept only when their "
         "cross-validated figure beats the plain argmax)."), "",
        "## Models", "",
        ("| file | language | training data | tweets | labels (neg/neu/pos) | C, emotion weight | offsets | "
        f"{INNER_FOLDS}-fold CV macro recall | CV macro F1 | CV recall neg/neu/pos | size |"),
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        m = r["metadata"]
        counts = m["label_counts"]
        lines.append(
            f"| `{r['path'].name}` | {r['language']} | {m['data']} | {r['n']:,} | "
            f"{counts.get('negative', 0)}/{counts.get('neutral', 0)}/{counts.get('positive', 0)} | "
            f"{m['C']}, {m['extra_weight']} | {tuple(m['offsets'])} | "
            f"{m['cv_macro_recall']:.4f} | {m['cv_macro_f1']:.4f} | "
            f"{m['cv_recall']['negative']:.3f}/{m['cv_recall']['neutral']:.3f}/"
            f"{m['cv_recall']['positive']:.3f} | {r['size_mb']:.2f} MB |")
    lines += [
        "", "## Intended use and limits", "",
        ("Three-way sentiment of short social posts in English or French. Trained on general "
        "tweets (SemEval-2017, DEFT 2017 politics and current events), not on mentions of a "
        "police service or ministry: expect lower accuracy on domain language (road closures, "
        "arrests, scams are often *reported* neutrally but read as negative). Label a few "
        "hundred mentions of your own, compare the methods on them with "
        "`ls.evaluate_sentiment` (cross-validated) and retrain with `ls.train_sentiment` when "
        "that wins (notebook `06_sentiment_model`). "
        "The XLM-T sets are class-balanced, so the models' priors are flatter than real mention "
        "streams. The card's figures are cross-validated on the training tweets; figures on "
        "tweets no setting saw are in `benchmarks/results/sentiment.md` (French: french/val, "
        "which the French model never saw; English: nested cross-fitting on tweeteval val, "
        "because every English three-class tweet is a tweeteval val tweet)."),
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    MODELS.mkdir(parents=True, exist_ok=True)
    rows = [train("en"), train("fr")]
    (MODELS / "MODEL_CARD.md").write_text(card(rows), encoding="utf-8")
    print(f"wrote {MODELS / 'MODEL_CARD.md'}")


if __name__ == "__main__":
    main()
