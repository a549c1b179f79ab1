"""Topic quality on unseen crisis events (CrisisLexT26), leave-events-out.

Data: ../shared/data/crisislext26/_derived/crisislext26_labeled_with_timestamps.csv
(27,933 labelled tweets from 26 crises of 2012-13, Olteanu et al. CSCW 2015; see
that folder's SOURCE.md). The event a tweet was collected for is its label.

Protocol (issue 16.1): the 26 events, sorted by name, are split in two halves by
alternation: even positions are the TUNING events, odd positions the REPORTING
events (listed in the output). A "stream" is a mix of 6 events of one half
(``N_STREAMS`` windows over a seeded shuffle, so every event is in one) — a month of
mentions about a handful of incidents, what an analyst fits topics on. Settings of
``listening.topics`` (the "other" threshold, the candidate k of "auto", min_df) were
chosen on the tuning streams only (``SEARCH``; rule: the best mean NMI among the
settings leaving at most 15% of on-topic tweets in "other" on every stream;
``--tune-only`` reruns the search, ``--tune`` reruns it then reports); the reporting
figure is measured once, with the shipped settings, on the reporting streams.
``TOPICS_EVAL_CODE=<checkout>`` measures another checkout (the "before" row).

Measured per stream, with ``ls.fit_topics(frame, n_topics="auto", seed=0)`` and
``model.assign(frame)``:

* NMI between the topic (the "other" topic counted as one more cluster) and the
  event, over all tweets of the stream;
* the share of on-topic tweets (informativeness "Related ...") left in "other".

Baseline, on the same reporting streams: scikit-learn ``TfidfVectorizer()``
(defaults) + ``NMF(init="nndsvda")`` at every k of ``BASELINE_KS``, each tweet to its
top topic; the baseline is credited with its best fixed k (the k with the best mean
NMI over the reporting streams — chosen on the reporting data itself, which favours
the baseline).

Run: ``python benchmarks/topics_eval.py`` (writes benchmarks/results/topics.json and
topics.md, with the search table of topics_search.json and the before row of
topics_before.json when present).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import normalized_mutual_info_score

ROOT = Path(__file__).resolve().parents[1]
# TOPICS_EVAL_CODE=/path/to/another/checkout measures that checkout's topics with
# the same protocol (the "before" figure); results then go to topics_before.*.
CODE = os.environ.get("TOPICS_EVAL_CODE")
sys.path.insert(0, CODE or str(ROOT))

import listening as ls
from listening.text import detect_language
from listening.topics import model as topic_model

DATA = ROOT.parent / "shared" / "data" / "crisislext26" / "_derived" / \
    "crisislext26_labeled_with_timestamps.csv"
RESULTS = ROOT / "benchmarks" / "results"
SEED = 0
EVENTS_PER_STREAM = 6
N_STREAMS = 4
LABELS_SHOWN = 15
BASELINE_KS = (4, 6, 8, 10, 12, 14, 16, 20, 25, 30)
# The settings searched with --tune (module constants of listening.topics.model):
# the "other" threshold and min_df on the finer candidate grid, and the coarser
# candidate grid of the previous release at one point.
FINE = (4, 5, 6, 8, 10, 12, 15, 20, 30, 40)
COARSE = (5, 10, 15, 20, 30, 40, 50)
GRID = ["MIN_SIMILARITY", "MIN_DF", "AUTO_CANDIDATES"]
SEARCH = [dict(zip(GRID, values)) for values in
          [(m, d, FINE) for d in (2, 3) for m in (0.03, 0.05, 0.08)]
          + [(0.03, d, FINE) for d in (4, 5)]
          + [(0.05, 2, COARSE), (0.03, 3, COARSE)]]
# Rule applied to the search: the best mean NMI on the tuning streams among the
# settings that leave at most 15% of on-topic tweets in "other" on every stream.
SEARCH_FILE = RESULTS / "topics_search.json"


def load() -> pd.DataFrame:
    raw = pd.read_csv(DATA, dtype={"tweet_id": str})
    frame = pd.DataFrame({
        "mention_id": raw["tweet_id"].astype("string"),
        "timestamp": pd.to_datetime(raw["created_at_utc"], utc=True),
        "text": raw["text"].astype("string"),
        "event": raw["event"].astype("string"),
        "on_topic": raw["informativeness"].str.startswith("Related").to_numpy(),
    })
    frame["language"] = detect_language(frame["text"])
    return frame


def split_events(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    events = sorted(frame["event"].unique())
    return events[0::2], events[1::2]


def streams(frame: pd.DataFrame, events: list[str]) -> list[tuple[list[str], pd.DataFrame]]:
    """``N_STREAMS`` mixes of ``EVENTS_PER_STREAM`` events: windows over a seeded
    shuffle of ``events`` (taken as a ring), so every event is in at least one."""
    order = np.random.default_rng(SEED).permutation(events).tolist()
    step = -(-len(order) // N_STREAMS)
    out = []
    for i in range(N_STREAMS):
        chosen = sorted((order * 2)[i * step:i * step + EVENTS_PER_STREAM])
        out.append((chosen, frame[frame["event"].isin(chosen)].reset_index(drop=True)))
    return out


def nmi(labels, clusters) -> float:
    return float(normalized_mutual_info_score(labels, clusters))


def ours(stream: pd.DataFrame) -> dict:
    t = time.perf_counter()
    model = ls.fit_topics(stream, n_topics="auto", seed=SEED,
                          min_similarity=topic_model.MIN_SIMILARITY)
    seconds = time.perf_counter() - t
    topic = model.assign(stream)["topic"].to_numpy(dtype=np.int64)
    other = topic == -1
    return {"nmi": nmi(stream["event"], topic), "k": len(model.topic_ids_),
            "other_on_topic": float(other[stream["on_topic"].to_numpy()].mean()),
            "other_all": float(other.mean()), "fit_seconds": seconds, "model": model}


def baseline(stream: pd.DataFrame) -> dict[int, float]:
    x = TfidfVectorizer().fit_transform(stream["text"].fillna("").tolist())
    out = {}
    for k in BASELINE_KS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            w = NMF(n_components=k, init="nndsvda", random_state=SEED, max_iter=300).fit_transform(x)
        out[k] = nmi(stream["event"], w.argmax(axis=1))
    return out


@contextlib.contextmanager
def settings(values: dict):
    old = {name: getattr(topic_model, name) for name in values}
    for name, v in values.items():
        setattr(topic_model, name, v)
    try:
        yield
    finally:
        for name, v in old.items():
            setattr(topic_model, name, v)


def summary(runs: list[dict]) -> dict:
    return {"nmi": round(float(np.mean([r["nmi"] for r in runs])), 4),
            "nmi_min": round(float(np.min([r["nmi"] for r in runs])), 4),
            "other_on_topic": round(float(np.mean([r["other_on_topic"] for r in runs])), 4),
            "other_on_topic_max": round(float(np.max([r["other_on_topic"] for r in runs])), 4),
            "k": [r["k"] for r in runs]}


def tune(tuning: list) -> list[dict]:
    """Every setting of ``SEARCH`` on the tuning streams (mean NMI, mean/max other).

    Settings already in ``SEARCH_FILE`` are not measured again (a fit is
    deterministic); delete the file to redo them all.
    """
    done = json.loads(SEARCH_FILE.read_text()) if SEARCH_FILE.exists() else []
    table = []
    for setting in SEARCH:
        known = [row for row in done if all(
            row[n] == (list(v) if isinstance(v, tuple) else v) for n, v in setting.items())]
        if known:
            table.append(known[0])
            continue
        with settings(setting):
            runs = [ours(s) for _, s in tuning]
        row = {**setting, **summary(runs)}
        print("tune", json.dumps(row), flush=True)
        table.append(row)
    return table


def label_sample(model) -> list[dict]:
    d = model.describe()
    if "language" not in d.columns:  # a checkout from before topic languages
        d["language"] = "und"
    return d[["topic", "label", "language", "size"]].to_dict("records")


def main(do_tune: bool) -> dict:
    frame = load()
    tune_events, report_events = split_events(frame)
    tuning, reporting = streams(frame, tune_events), streams(frame, report_events)
    out: dict = {"data": str(DATA.relative_to(ROOT.parent)), "seed": SEED,
                 "machine": platform.platform(), "tuning_events": tune_events,
                 "reporting_events": report_events,
                 "settings": {name: getattr(topic_model, name) for name in GRID}}
    if do_tune:
        search = tune(tuning)
        RESULTS.mkdir(parents=True, exist_ok=True)
        SEARCH_FILE.write_text(json.dumps(search, indent=1) + "\n")
        if do_tune == "only":
            return out
    if SEARCH_FILE.exists() and not CODE:
        out["search"] = json.loads(SEARCH_FILE.read_text())
    tuning_runs = [ours(s) for _, s in tuning]
    out["tuning"] = summary(tuning_runs)
    reporting_runs = [ours(s) for _, s in reporting]
    out["reporting"] = summary(reporting_runs)
    out["reporting_streams"] = [
        {"events": ev, "n_tweets": len(s), "nmi": round(r["nmi"], 4), "k": r["k"],
         "other_on_topic": round(r["other_on_topic"], 4), "fit_seconds": round(r["fit_seconds"], 2)}
        for (ev, s), r in zip(reporting, reporting_runs)]
    if CODE:  # the "before" run: the baseline is in the main run
        return out
    per_k = [baseline(s) for _, s in reporting]
    mean_k = {k: float(np.mean([b[k] for b in per_k])) for k in BASELINE_KS}
    best_k = max(mean_k, key=lambda k: (mean_k[k], -k))
    out["baseline"] = {"best_k": best_k, "nmi": round(mean_k[best_k], 4),
                       "nmi_per_k": {str(k): round(v, 4) for k, v in mean_k.items()},
                       "nmi_per_stream_at_best_k": [round(b[best_k], 4) for b in per_k]}
    out["labels"] = {"events": reporting[0][0], "topics": label_sample(reporting_runs[0]["model"])}
    # Labels of a second stream with the French-speaking event (Lac-Mégantic, about
    # 290 French tweets), the one whose fit has the most topics.
    megantic = [i for i, (ev, _) in enumerate(reporting)
                if "2013_Lac_Megantic_train_crash" in ev and i != 0]
    if megantic:
        i = max(megantic, key=lambda j: (reporting_runs[j]["k"], -j))
        out["labels_with_french"] = {"events": reporting[i][0],
                                     "topics": label_sample(reporting_runs[i]["model"])}
    return out


def write(out: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "topics_before" if CODE else "topics"
    out["code"] = CODE or str(ROOT)
    (RESULTS / f"{name}.json").write_text(json.dumps(out, indent=2, default=str) + "\n")
    t, r = out["tuning"], out["reporting"]
    b = out.get("baseline")
    before = RESULTS / "topics_before.json"
    before = json.loads(before.read_text()) if before.exists() and not CODE else None
    lines = [
        "# Topics on unseen crisis events (CrisisLexT26, leave-events-out)", "",
        (f"Measured by `python benchmarks/topics_eval.py` on {out['machine']}, code in "
         f"`{out['code']}`."), "",
        f"Tuning events: {', '.join(out['tuning_events'])}.", "",
        f"Reporting events: {', '.join(out['reporting_events'])}.", "",
        (f"{N_STREAMS} streams of {EVENTS_PER_STREAM} events per half; NMI with the event "
         "label, the \"other\" topic counted as a cluster; settings "
         f"{out['settings']}."), "",
        "| figure | NMI (mean / worst stream) | other, share of on-topic tweets (mean / worst) | k per stream |",
        "|---|---|---|---|",
        (f"| tuning streams (settings chosen here) | {t['nmi']} / {t['nmi_min']} | "
         f"{t['other_on_topic']:.1%} / {t['other_on_topic_max']:.1%} | {t['k']} |"),
        (f"| **reporting streams** | **{r['nmi']}** / {r['nmi_min']} | "
         f"**{r['other_on_topic']:.1%}** / {r['other_on_topic_max']:.1%} | {r['k']} |")]
    if before:
        p = before["reporting"]
        lines.append(f"| reporting streams, code before this change (`{before['code']}`, "
                     f"`benchmarks/results/topics_before.md`) | {p['nmi']} / {p['nmi_min']} | "
                     f"{p['other_on_topic']:.1%} / {p['other_on_topic_max']:.1%} | {p['k']} |")
    if b:
        lines += [(f"| baseline on the reporting streams: TfidfVectorizer + NMF, best fixed k = "
                   f"{b['best_k']} | {b['nmi']} | 0 (no other topic) | {b['best_k']} |"), "",
                  f"Baseline NMI per k: {b['nmi_per_k']}."]
    lines += ["", "Reporting streams:", ""]
    lines += [f"- {s['events']}: NMI {s['nmi']}, k {s['k']}, other {s['other_on_topic']:.1%} "
              f"({s['n_tweets']} tweets, fit {s['fit_seconds']} s)"
              for s in out["reporting_streams"]]
    for key in ("labels", "labels_with_french"):
        if key in out:
            lines += ["", f"Labels, reporting stream {out[key]['events']}:", ""]
            shown = out[key]["topics"]
            if len(shown) > LABELS_SHOWN + 1:
                lines.append(f"(the {LABELS_SHOWN} largest of {len(shown) - 1} topics, then other)")
                lines.append("")
                shown = shown[:LABELS_SHOWN] + shown[-1:]
            lines += [f"- {x['topic']}: {x['label']} ({x['language']}, {x['size']} tweets)"
                      for x in shown]
    if "search" in out:
        lines += ["", "Settings search on the tuning streams:", "",
                  "| " + " | ".join(GRID) + " | NMI | other (mean / max) | k |",
                  "|" + "---|" * (len(GRID) + 3)]
        lines += ["| " + " | ".join(str(row[n]) for n in GRID) +
                  f" | {row['nmi']} | {row['other_on_topic']:.1%} / "
                  f"{row['other_on_topic_max']:.1%} | {row['k']} |" for row in out["search"]]
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tune", action="store_true",
                        help="rerun the settings search on the tuning streams first")
    parser.add_argument("--tune-only", action="store_true",
                        help="only the settings search (writes topics_search.json)")
    args = parser.parse_args()
    result = main("only" if args.tune_only else args.tune)
    if args.tune_only:
        sys.exit(0)
    write(result)
    print(json.dumps({k: result.get(k) for k in ("tuning", "reporting", "baseline")}, indent=2))
