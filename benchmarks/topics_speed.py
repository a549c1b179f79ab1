"""Speed of topics and trends on the demo stream (a benchmark, not a timed test).

Two comparisons are run in the same session (issues 16 and 20.6):

* ``--compare PATH``: the topic fit on the same 1M mentions with the code at PATH
  (e.g. /work/main, the code before a change) and with this tree, alternated in
  fresh subprocesses, best of ``--repeats``; prints the ratio (target <= 1.2x).
* vectorizers: :func:`listening.tokens.count_matrix` / ``topics._nmf.tfidf``
  (home-made; the TF-IDF as it was before it moved to scikit-learn) against scikit-learn's ``CountVectorizer`` / ``TfidfTransformer`` on
  the distinct texts of the 1M stream (what the fit and ``assign`` vectorise), best
  of 3 each, same input, outputs checked equal.

Targets (issue 4): fit on 1M demo mentions in at most 60 s, assign at least
100,000 mentions/s, on a 2-core machine. Trends functions are timed on the same
frame because widgets call them on every filter change.

Assignment is timed on a *second* stream (another seed), i.e. mentions the model
has never seen, so nothing is served from the fit.

Run: ``.venv/bin/python benchmarks/topics_speed.py [n_mentions]`` (default
1,000,000; writes benchmarks/results/topics_speed.json and .md).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import listening as ls
from listening import trends

RESULTS = ROOT / "benchmarks" / "results"


def timed(fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t


def best_of(fn, repeats: int = 3) -> tuple[object, float]:
    times, out = [], None
    for _ in range(repeats):
        out, s = timed(fn)
        times.append(s)
    return out, min(times)


def vectorizer_race(frame) -> dict:
    """Home-made counts and TF-IDF against scikit-learn's, on the same term lists."""
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

    from listening.tokens import build_analyzer, count_matrix, distinct_texts

    _, uniques = distinct_texts(frame["text"])
    analyzer = build_analyzer()
    lists, analyse_s = timed(lambda: [analyzer(t) for t in uniques])

    def identity(terms):
        return terms
    out: dict = {"distinct_texts": len(uniques), "analyse_seconds": round(analyse_s, 2)}
    sk_vec = CountVectorizer(analyzer=identity, dtype=np.float64)
    (sk_counts, sk_fit_s) = best_of(lambda: sk_vec.fit_transform(lists))
    vocab = sk_vec.vocabulary_
    fixed = CountVectorizer(analyzer=identity, vocabulary=vocab, dtype=np.float64)
    sk_fixed, sk_fixed_s = best_of(lambda: fixed.transform(lists))
    out["sklearn_count_build_vocabulary_s"] = round(sk_fit_s, 3)
    out["sklearn_count_fixed_vocabulary_s"] = round(sk_fixed_s, 3)
    df = np.bincount(sk_counts.indices, minlength=sk_counts.shape[1])
    idf = np.log((1.0 + sk_counts.shape[0]) / (1.0 + df)) + 1.0
    transformer = TfidfTransformer(sublinear_tf=True)
    transformer.idf_ = idf
    sk_x, sk_tfidf_s = best_of(lambda: transformer.transform(sk_counts))
    out["sklearn_tfidf_s"] = round(sk_tfidf_s, 3)
    _, ours_s = best_of(lambda: count_matrix(lists, identity))
    ours_fixed, ours_fixed_s = best_of(lambda: count_matrix(lists, identity, vocabulary=vocab)[0])
    out["ours_count_build_vocabulary_s"] = round(ours_s, 3)
    out["ours_count_fixed_vocabulary_s"] = round(ours_fixed_s, 3)
    out["same_counts"] = bool((abs(ours_fixed - sk_fixed) > 0).nnz == 0)
    x, homemade_s = best_of(lambda: homemade_tfidf(sk_counts, idf))
    out["homemade_tfidf_s"] = round(homemade_s, 3)
    out["same_tfidf"] = bool(abs(x - sk_x).max() < 1e-12)
    return out


def homemade_tfidf(counts, idf):
    """The TF-IDF ``topics._nmf.tfidf`` computed before it called scikit-learn (kept
    here only as the reference of the race that decided it)."""
    import numpy as np
    import scipy.sparse as sp

    x = counts.astype(np.float64, copy=True).tocsr()
    np.log(x.data, out=x.data)
    x.data += 1.0
    x = x.multiply(idf[None, :]).tocsr()
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.diags(1.0 / norms) @ x


def compare_fit(n: int, other: str, repeats: int) -> dict:
    """Topic fit (auto) on the same 1M mentions with ``other``'s code and this tree's."""
    import subprocess
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="topics-speed-")) / "frame.parquet"
    frame, _ = ls.demo.generate(n_mentions=n, seed=0)
    frame.to_parquet(path)
    # Wall time and this process's CPU time (all threads): on a machine shared with
    # other jobs the CPU time is the steadier of the two.
    script = ("import sys, time, pandas as pd, listening as ls; f = pd.read_parquet(sys.argv[1]);"
              "t = time.perf_counter(); c = time.process_time();"
              "m = ls.fit_topics(f, n_topics='auto', seed=0);"
              "print(time.perf_counter() - t, time.process_time() - c, len(m.topic_ids_),"
              " ls.__file__)")
    runs: dict = {"before": [], "after": []}
    for _ in range(repeats):
        for name, tree in (("before", other), ("after", str(ROOT))):
            env = {**os.environ, "PYTHONPATH": tree}
            # cwd: the script's own folder would otherwise come first on sys.path.
            done = subprocess.run([sys.executable, "-c", script, str(path)], env=env,
                                  cwd=path.parent, capture_output=True, text=True, check=True)
            seconds, cpu, k, where = done.stdout.split()
            assert where.startswith(tree), (where, tree)
            runs[name].append((round(float(seconds), 2), round(float(cpu), 2), int(k)))
            print(name, runs[name][-1], flush=True)
    before = min(r[0] for r in runs["before"])
    after = min(r[0] for r in runs["after"])
    before_cpu = min(r[1] for r in runs["before"])
    after_cpu = min(r[1] for r in runs["after"])
    return {"before_tree": other, "runs": runs, "before_seconds": before,
            "after_seconds": after, "ratio": round(after / before, 3),
            "before_cpu_seconds": before_cpu, "after_cpu_seconds": after_cpu,
            "cpu_ratio": round(after_cpu / before_cpu, 3)}


def main(n: int) -> dict:
    frame, _ = ls.demo.generate(n_mentions=n, seed=0)
    later, _ = ls.demo.generate(n_mentions=n, seed=1)
    model, fit_s = timed(ls.fit_topics, frame, n_topics="auto", seed=0)
    assigned, assign_s = timed(model.assign, later)
    _, fixed_s = timed(ls.fit_topics, frame, n_topics=20, seed=0)
    out = {
        "n_mentions": n, "cpus": os.cpu_count(), "machine": platform.platform(),
        "fit_auto_seconds": round(fit_s, 2), "chosen_k": len(model.topic_ids_),
        "fit_k20_seconds": round(fixed_s, 2),
        "assign_seconds": round(assign_s, 2),
        "assign_mentions_per_second": round(n / assign_s),
        "other_share_on_new_stream": round(float((assigned["topic"] == -1).mean()), 4),
        "distinct_texts": int(frame["text"].nunique()),
        "trends_seconds": {},
    }
    out["vectorizers"] = vectorizer_race(frame)
    scored = frame.assign(sentiment=(frame["likes"].astype("float64") % 7 - 3) / 3)
    tagged = model.assign(frame)
    for name, call in {
        "volume 1h by platform": lambda: trends.volume(frame, freq="1h", by="platform"),
        "volume 1D tz=America/Toronto": lambda: trends.volume(frame, freq="1D",
                                                              tz="America/Toronto"),
        "sentiment_over_time 1D by language": lambda: trends.sentiment_over_time(
            scored, freq="1D", by="language"),
        "topics_over_time 1D by platform (assigned frame)": lambda: trends.topics_over_time(
            model, tagged, freq="1D", by="platform"),
        "share_of_voice 3 term lists": lambda: trends.share_of_voice(
            frame, {"scam": ["scam", "arnaque", "fraude"], "fire": ["wildfire", "feu"],
                    "401": ["401"]}),
        "top_authors by reach": lambda: trends.top_authors(frame, by="reach"),
        "top_terms last 2 days vs rest": lambda: trends.top_terms(
            frame, since=frame["timestamp"].max() - __import__("pandas").Timedelta("2D")),
    }.items():
        _, s = timed(call)
        out["trends_seconds"][name] = round(s, 2)
    return out


def write(out: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "topics_speed.json").write_text(json.dumps(out, indent=2) + "\n")
    lines = [f"# Topics and trends speed ({out['n_mentions']:,} demo mentions)", "",
             (f"Measured by `python benchmarks/topics_speed.py {out['n_mentions']}"
              + (f" --compare {out['compare']['before_tree']} --repeats "
                 f"{len(out['compare']['runs']['after'])}" if "compare" in out else "")
              + f"` on {out['machine']}, {out['cpus']} CPUs shared with other jobs."), "",
             "| measure | value | target |", "|---|---|---|",
             (f"| fit, n_topics=\"auto\" (chose {out['chosen_k']}) | {out['fit_auto_seconds']} s "
             "| ≤ 60 s |"),
             f"| fit, n_topics=20 | {out['fit_k20_seconds']} s | ≤ 60 s |",
             (f"| assign a new stream | {out['assign_mentions_per_second']:,} mentions/s "
             f"({out['assign_seconds']} s) | ≥ 100,000/s |"), "",
             (f"Distinct texts in the fitted stream: {out['distinct_texts']:,}. The analyzer "
             "(nltk TweetTokenizer) runs once per distinct text, so throughput on a stream "
             "where every text is distinct is bounded by the tokenizer (about 15,000 "
             "texts/s on one core here)."), "", "| trends call | seconds |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in out["trends_seconds"].items()]
    v = out["vectorizers"]
    lines += ["", (f"Vectorizers on the {v['distinct_texts']:,} distinct texts of the stream "
                   f"(analysed once beforehand in {v['analyse_seconds']} s), best of 3:"), "",
              "| step | home-made | scikit-learn | kept |", "|---|---|---|---|",
              (f"| counts, vocabulary learnt | {v['ours_count_build_vocabulary_s']} s | "
               f"{v['sklearn_count_build_vocabulary_s']} s (CountVectorizer) | home-made "
               "`tokens.count_matrix` |"),
              (f"| counts, fixed vocabulary (assign) | {v['ours_count_fixed_vocabulary_s']} s | "
               f"{v['sklearn_count_fixed_vocabulary_s']} s (CountVectorizer) | home-made |"),
              (f"| sublinear TF-IDF, L2 rows | {v['homemade_tfidf_s']} s | {v['sklearn_tfidf_s']} s "
               "(TfidfTransformer) | scikit-learn |"), "",
              f"Same counts: {v['same_counts']}; same TF-IDF: {v['same_tfidf']}."]
    if "compare" in out:
        c = out["compare"]
        lines += ["", (f"Topic fit (auto) on the same {out['n_mentions']:,} mentions, before "
                       f"(`{c['before_tree']}`) and after, alternated in fresh processes, best "
                       f"of {len(c['runs']['after'])}: wall {c['before_seconds']} s before, "
                       f"{c['after_seconds']} s after, ratio **{c['ratio']}**; CPU "
                       f"{c['before_cpu_seconds']} s before, {c['after_cpu_seconds']} s after, "
                       f"ratio **{c['cpu_ratio']}** (target <= 1.2). "
                       f"Runs (wall s, CPU s, k): {c['runs']}.")]
    (RESULTS / "topics_speed.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="topic and trends speed")
    parser.add_argument("n", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--compare", help="another checkout whose topic fit to time (A/B)")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    compared = compare_fit(args.n, args.compare, args.repeats) if args.compare else None
    result = main(args.n)
    if compared:
        result["compare"] = compared
    write(result)
    print(json.dumps(result, indent=2))
