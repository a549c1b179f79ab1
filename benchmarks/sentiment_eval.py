"""Accuracy of listening's sentiment methods on tweets no setting was chosen on.

Run: ``.venv/bin/python benchmarks/sentiment_eval.py`` (about 8 minutes; the English outer
folds run in two processes; ``--language en|fr`` re-measures one language).
Writes ``benchmarks/results/sentiment.json`` and ``sentiment.md``.

Every figure is printed twice: the **CV figure** (cross-validation inside the
training data, where the settings were chosen) and the **reporting figure** (on
tweets that neither a setting nor a model saw), each with per-class recall.
Settings are chosen by the same code that ships them (``_sentiment_data.py``).

French (metric: macro-F1, XLM-T's)
----------------------------------
Training data: ``xlmt_sentiment/french/train`` (1,839 tweets). Reporting:
``xlmt_sentiment/french/val`` (324), untouched: the rule thresholds are tuned
on train (their CV figure: 5-fold, each fold labelled with thresholds tuned on
the others); the trained recipe's C is chosen by 3-fold CV on train, the model
is fitted on train and scored on val. The shipped French thresholds and model
are exactly these (``train_sentiment_models.py``).

English (metric: macro-averaged recall, TweetEval's)
----------------------------------------------------
Reporting set: ``tweeteval/sentiment/val`` (2,000). Every other English
three-class tweet we have is a copy of a val tweet (xlmt english: 1,430 of
train and all of val), except 409 xlmt train tweets that are all negative; the
emotion tweets (``tweeteval/emotion``, negative/positive only) have no neutral
class. So no English training set disjoint from val can teach "neutral", and
val cannot be both the whole training set and untouched. The English figures
are therefore **nested cross-fitted**: the English union (val ∪ xlmt english,
2,409 tweets) is split into 5 outer folds; for each, every setting (rule
thresholds; C and the emotion tweets' weight) is chosen by cross-validation on
the other 4 folds only, a model is fitted on them (plus the emotion tweets) and
the held-out fold is labelled. The reporting figure is on the 2,000 val tweets
so labelled: none was seen by the thresholds, the settings or the model that
labelled it. The CV figure is the inner cross-validated figure of the chosen
settings, averaged over the outer folds. The shipped English thresholds and
model are the same choice made on the whole union (plus emotion tweets).

Decision offsets (trained path, both languages): added to the model's
log-probabilities of negative, neutral, positive before the argmax; chosen on
the inner out-of-fold probabilities and kept only when their own
cross-validated figure beats the plain argmax (``choose_model_settings``).
Both CV figures are printed.

Baselines: the ``vaderSentiment`` and ``vaderSentiment-fr`` packages as shipped,
labels at their authors' thresholds (±0.05): no settings, so scored on the
reporting sets directly.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sentiment_data import (
    CV_FOLDS,
    CV_SEED,
    VADER_THRESHOLDS,
    choose_model_settings,
    choose_thresholds,
    decide,
    english_extra,
    english_training,
    fit_predict_grid,
    french_training,
    label_at,
    macro_scores,
    read_split,
)

from listening.sentiment import polarity
from listening.sentiment.labels import DEFAULT_THRESHOLDS

RESULTS = Path(__file__).resolve().parent / "results"
ENGLISH_VAL = "tweeteval/sentiment/val"
OUTER_JOBS = 2


def vader_package_scores(texts: list[str], language: str) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fuzzywuzzy's "slow SequenceMatcher" notice
        if language == "en":
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
        else:
            from vaderSentiment_fr.vaderSentiment import SentimentIntensityAnalyzer
        analyzer = SentimentIntensityAnalyzer()
        return np.array([analyzer.polarity_scores(t)["compound"] for t in texts])


def _mean_cv(rows: list[dict]) -> dict:
    keys = [k for k in rows[0] if k != "n"]
    return {**{k: round(float(np.mean([r[k] for r in rows])), 4) for k in keys},
            "n": int(np.mean([r["n"] for r in rows]))}  # texts per inner CV


def english() -> dict:
    from sklearn.model_selection import StratifiedKFold

    val = read_split("tweeteval/sentiment", "val")
    data = english_training()
    extra = english_extra(exclude=data["text"])
    x, y = data["text"].to_numpy(object), data["label"].to_numpy(object)
    in_val = (data["source"] == ENGLISH_VAL).to_numpy()
    out: dict = {"reporting_set": ENGLISH_VAL, "n_reporting": len(val), "n_union": len(data),
                 "n_extra": len(extra), "metric": "macro_recall"}
    out["vaderSentiment_baseline"] = macro_scores(
        val["label"], label_at(vader_package_scores(val["text"].tolist(), "en"), VADER_THRESHOLDS))
    scores = polarity(data["text"], language="en")
    out["rules_vader_thresholds"] = macro_scores(y[in_val], label_at(scores[in_val], VADER_THRESHOLDS))
    rules_oof = np.empty(len(y), dtype=object)
    model_oof = np.empty(len(y), dtype=object)
    started = time.perf_counter()
    outer = StratifiedKFold(CV_FOLDS, shuffle=True, random_state=CV_SEED)

    def outer_fold(k, tr, te):
        rules = choose_thresholds(scores[tr], y[tr], "macro_recall")
        model = choose_model_settings(x[tr], y[tr], language="en", extra=extra,
                                      name="macro_recall")
        setting = (model["setting"]["C"], model["setting"]["extra_weight"])
        (result,) = fit_predict_grid(x[tr], y[tr], [x[te]], language="en", extra=extra,
                                     grid=[setting])
        print(f"  en outer fold {k}: thresholds {rules['thresholds']}, {model['setting']}, "
              f"offsets {model['offsets']} ({time.perf_counter() - started:.0f} s)", flush=True)
        return (te, label_at(scores[te], rules["thresholds"]), rules,
                decide(result[setting][0], model["offsets"]), model)

    # The outer folds are independent (seeded): two processes, same figures as one.
    folds = Parallel(n_jobs=OUTER_JOBS)(delayed(outer_fold)(k, tr, te)
                                         for k, (tr, te) in enumerate(outer.split(x, y)))
    rules_cv, model_cv, model_cv_argmax, chosen = [], [], [], []
    for k, (te, rule_labels, rules, model_labels, model) in enumerate(folds):
        rules_oof[te], model_oof[te] = rule_labels, model_labels
        rules_cv.append(rules["cv"])
        model_cv.append(model["cv"])
        model_cv_argmax.append(model["cv_argmax"])
        chosen.append({"fold": k, "thresholds": rules["thresholds"], **model["setting"],
                       "offsets": model["offsets"], "cv_by_setting": model["cv_by_setting"]})
    out["rules_cv"] = _mean_cv(rules_cv)
    out["rules_reporting"] = macro_scores(y[in_val], rules_oof[in_val])
    out["trained_cv"] = _mean_cv(model_cv)
    out["trained_cv_argmax"] = _mean_cv(model_cv_argmax)
    out["trained_reporting"] = macro_scores(y[in_val], model_oof[in_val])
    out["outer_folds"] = chosen
    whole = choose_thresholds(scores, y, "macro_recall")
    out["recommended_thresholds"] = whole["thresholds"]
    out["shipped_thresholds"] = DEFAULT_THRESHOLDS["en"]
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


def french() -> dict:
    train, val = french_training(), read_split("xlmt_sentiment/french", "val")
    y_train, y_val = train["label"].to_numpy(object), val["label"].to_numpy(object)
    out: dict = {"reporting_set": "xlmt_sentiment/french/val", "n_reporting": len(val),
                 "n_train": len(train), "metric": "macro_f1"}
    out["vaderSentiment_fr_baseline"] = macro_scores(
        y_val, label_at(vader_package_scores(val["text"].tolist(), "fr"), VADER_THRESHOLDS))
    train_scores = polarity(train["text"], language="fr")
    val_scores = polarity(val["text"], language="fr")
    out["rules_vader_thresholds"] = macro_scores(y_val, label_at(val_scores, VADER_THRESHOLDS))
    rules = choose_thresholds(train_scores, y_train, "macro_f1")
    out["rules_cv"] = rules["cv"]
    out["recommended_thresholds"] = rules["thresholds"]
    out["rules_reporting"] = macro_scores(y_val, label_at(val_scores, rules["thresholds"]))
    out["shipped_thresholds"] = DEFAULT_THRESHOLDS["fr"]
    started = time.perf_counter()
    model = choose_model_settings(train["text"], y_train, language="fr", extra=None,
                                  name="macro_f1")
    setting = (model["setting"]["C"], model["setting"]["extra_weight"])
    (result,) = fit_predict_grid(train["text"], y_train, [val["text"]], language="fr",
                                 extra=None, grid=[setting])
    out["trained_cv"] = model["cv"]
    out["trained_cv_argmax"] = model["cv_argmax"]
    out["trained_offsets"] = model["offsets"]
    out["trained_setting"] = model["setting"]
    out["trained_cv_by_setting"] = model["cv_by_setting"]
    out["trained_reporting"] = macro_scores(y_val, decide(result[setting][0], model["offsets"]))
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


def markdown(results: dict) -> str:
    en, fr = results["english"], results["french"]

    def row(name, m, note=""):
        return (f"| {name} | {m['macro_recall']:.4f} | {m['macro_f1']:.4f} | "
                f"{m['recall_negative']:.3f} / {m['recall_neutral']:.3f} / "
                f"{m['recall_positive']:.3f} | {m['n']} | {note} |")

    head = ["| method | macro recall | macro F1 | recall neg / neu / pos | n | note |",
            "|---|---|---|---|---|---|"]
    folds = "; ".join(f"{tuple(f['thresholds'])}, C={f['C']}, w={f['extra_weight']}, "
                      f"offsets {tuple(f['offsets'])}" for f in en["outer_folds"])
    lines = [
        "# Sentiment accuracy", "",
        f"Measured {results['date']} by `benchmarks/sentiment_eval.py` (protocol in its docstring).",
        ("CV = cross-validated inside the training data, where settings were chosen; "
         "reporting = tweets no setting or model saw."), "",
        "## English: tweeteval sentiment/val, macro recall (targets: rules >= 0.60, trained >= 0.65)",
        "", *head,
        row("vaderSentiment package (baseline)", en["vaderSentiment_baseline"], "±0.05, no settings"),
        row("rules, ±0.05", en["rules_vader_thresholds"], "no settings"),
        row("rules, CV figure", en["rules_cv"], "inner 5-fold CV, mean of the outer folds"),
        row("**rules, reporting**", en["rules_reporting"], "nested: thresholds chosen without the fold"),
        row("trained, CV figure, plain argmax", en["trained_cv_argmax"],
            "inner 3-fold CV, mean of the outer folds"),
        row("trained, CV figure", en["trained_cv"],
            "the same with the decision offsets chosen by CV"),
        row("**trained, reporting**", en["trained_reporting"],
            f"nested: settings and model without the fold; + {en['n_extra']:,} emotion tweets"),
        "", ("Settings chosen per outer fold (thresholds, C, emotion weight, decision offsets "
             f"on the log-probabilities of neg / neu / pos): {folds}."),
        (f"Thresholds chosen on the whole union (shipped): {tuple(en['recommended_thresholds'])}; "
         f"labels.py has {tuple(en['shipped_thresholds'])}."),
        "", "## French: xlmt_sentiment french/val, macro F1 (targets: rules >= 0.62, trained >= 0.65)",
        "", *head,
        row("vaderSentiment-fr package (baseline)", fr["vaderSentiment_fr_baseline"], "±0.05, no settings"),
        row("rules, ±0.05", fr["rules_vader_thresholds"], "no settings"),
        row("rules, CV figure", fr["rules_cv"],
            f"5-fold on french/train; thresholds {tuple(fr['recommended_thresholds'])}"),
        row("**rules, reporting**", fr["rules_reporting"], "thresholds tuned on french/train"),
        row("trained, CV figure, plain argmax", fr["trained_cv_argmax"],
            f"3-fold on french/train; chosen C={fr['trained_setting']['C']}"),
        row("trained, CV figure", fr["trained_cv"],
            f"the same with the decision offsets chosen by CV: {tuple(fr['trained_offsets'])}"),
        row("**trained, reporting**", fr["trained_reporting"], "fitted on french/train"),
        "", (f"Shipped French thresholds (labels.py): {tuple(fr['shipped_thresholds'])}; "
             f"this run recommends {tuple(fr['recommended_thresholds'])}."),
    ]
    return "\n".join(lines) + "\n"


def _quick() -> None:
    """Smoke run: a few hundred tweets per set and one setting (figures meaningless)."""
    import _sentiment_data as data

    global english_training, french_training, read_split, english_extra

    def head(fn):
        def reader(*args, **kwargs):
            return fn(*args, **kwargs).sample(frac=1, random_state=0).head(300).reset_index(drop=True)
        return reader

    english_training, french_training = head(data.english_training), head(data.french_training)
    read_split, english_extra = head(data.read_split), head(data.english_extra)
    data.C_GRID, data.EXTRA_WEIGHT_GRID = (1.0,), (0.0, 0.2)


def main() -> dict:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run on a few hundred tweets")
    parser.add_argument("--language", choices=("both", "en", "fr"), default="both",
                        help="re-measure one language and keep the other's figures from "
                             "sentiment.json (each language's protocol is self-contained)")
    args = parser.parse_args()
    if args.quick:
        _quick()
    previous = {}
    if args.language != "both":
        previous = json.loads((RESULTS / "sentiment.json").read_text(encoding="utf-8"))
    results = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "quick": args.quick,
               "french": french() if args.language != "en" else previous["french"],
               "english": english() if args.language != "fr" else previous["english"]}
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not args.quick:
        (RESULTS / "sentiment.json").write_text(json.dumps(results, indent=2) + "\n",
                                                encoding="utf-8")
        (RESULTS / "sentiment.md").write_text(markdown(results), encoding="utf-8")
    print(markdown(results))
    return results


if __name__ == "__main__":
    main()
