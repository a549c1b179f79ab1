"""`make bench`: time and memory of every stage and the whole pipeline, with references.

For each size (default 100k, 300k and 1M demo mentions) a fresh child process
generates the demo stream and measures, stage by stage, wall time, throughput
and peak resident memory (RSS, sampled every 20 ms by a thread), next to the
reference implementation measured in the same run where one exists:

=====================  ==============================================
stage                  reference
=====================  ==============================================
load CSV / Parquet     ``pandas.read_csv`` + ``DataFrame.to_parquet``
sentiment              the ``vaderSentiment`` package on the same texts
topic fit + assign     TF-IDF + KMeans (scikit-learn) on the same texts
=====================  ==============================================

Writes ``benchmarks/results.json`` and ``benchmarks/results.md`` (linked from the
README) with the machine's core count and memory.

Usage: ``python benchmarks/run.py [--sizes 100000 300000 1000000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SIZES = (100_000, 300_000, 1_000_000)
# The reference sentiment analyser is slow: time it on this many texts and report
# texts per second, which is what the ratio compares.
REFERENCE_SENTIMENT_SAMPLE = 20_000
REFERENCE_TOPIC_SAMPLE = 100_000
PIPELINE_STAGES = ("load_parquet", "store_add", "sentiment", "topic_fit", "topic_assign",
                   "rules", "threats", "forecast", "brief")


class PeakRSS:
    """Peak resident memory of this process while the block runs (sampled)."""

    def __init__(self, interval: float = 0.02) -> None:
        import psutil

        self._proc = psutil.Process()
        self.interval = interval

    def __enter__(self):
        self.peak = self._proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, self._proc.memory_info().rss)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)


def measure(results: dict, name: str, n: int, fn, *, reference: str | None = None):
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        value = fn()
        seconds = time.perf_counter() - t0
    results[name] = {"seconds": round(seconds, 3), "rows": n,
                     "rows_per_s": round(n / seconds) if seconds > 0 else None,
                     "peak_rss_mb": round(mem.peak / 2**20), "reference": reference}
    print(f"  {name:<22} {seconds:8.2f} s  {results[name]['rows_per_s'] or 0:>12,} rows/s"
          f"  peak {results[name]['peak_rss_mb']:>6,} MB", flush=True)
    return value


def run_one(n: int) -> dict:
    """Measure every stage on ``n`` demo mentions in this process."""
    import pandas as pd

    import listening as ls
    from listening.rules import match_rules
    from listening.topics import fit_topics

    res: dict = {}
    work = Path(tempfile.mkdtemp(prefix="listening-bench-"))
    frame, _ = measure(res, "generate", n, lambda: ls.demo.generate(n_mentions=n, days=28, seed=0))
    csv, parquet = work / "mentions.csv", work / "mentions.parquet"
    frame.to_csv(csv, index=False)
    frame.to_parquet(parquet, index=False)

    measure(res, "load_csv", n, lambda: ls.load(csv))
    measure(res, "ref_read_csv_to_parquet", n,
            lambda: pd.read_csv(csv).to_parquet(work / "ref.parquet"), reference="load_csv")
    loaded, _ = measure(res, "load_parquet", n, lambda: ls.load(parquet))

    def add():
        with ls.open_store(work / "bench.duckdb") as store:
            return store.add(loaded)
    measure(res, "store_add", n, add)

    scored = measure(res, "sentiment", n, lambda: ls.score_sentiment(loaded))
    sample = loaded["text"].drop_duplicates().head(REFERENCE_SENTIMENT_SAMPLE).tolist()

    def reference_vader():
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        analyzer = SentimentIntensityAnalyzer()
        return [analyzer.polarity_scores(t)["compound"] for t in sample]
    measure(res, "ref_vaderSentiment", len(sample), reference_vader, reference="sentiment")

    model = measure(res, "topic_fit", n, lambda: fit_topics(scored, n_topics="auto", seed=0))
    topical = measure(res, "topic_assign", n, lambda: model.assign(scored))
    k = max(len(model.describe()) - 1, 2)
    texts = scored["text"].head(REFERENCE_TOPIC_SAMPLE).tolist()

    def reference_kmeans():
        from sklearn.cluster import KMeans
        from sklearn.feature_extraction.text import TfidfVectorizer

        x = TfidfVectorizer(min_df=2, max_features=50_000).fit_transform(texts)
        return KMeans(n_clusters=k, n_init=1, random_state=0).fit_predict(x)
    measure(res, "ref_tfidf_kmeans", len(texts), reference_kmeans, reference="topic_fit")

    rules = ls.load_rules(HERE.parent / "data" / "rules")
    res["rules_count"] = len(rules)
    ruled = measure(res, "rules", n, lambda: match_rules(topical, rules))
    alerts = measure(res, "threats", n, lambda: ls.detect_threats(ruled))
    fc = measure(res, "forecast", n, lambda: ls.forecast(ruled, horizon="7D"))
    measure(res, "brief", n, lambda: ls.brief(ruled, alerts=alerts, forecast=fc,
                                               path=work / "brief.html"))
    res["pipeline_seconds"] = round(sum(res[s]["seconds"] for s in PIPELINE_STAGES), 2)
    res["pipeline_peak_rss_mb"] = max(res[s]["peak_rss_mb"] for s in PIPELINE_STAGES)
    return res


def machine() -> dict:
    import psutil

    return {"cores": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "platform": platform.platform()}


def to_markdown(report: dict) -> str:
    sizes = [s for s in report["sizes"]]
    stages = [k for k, v in report["results"][str(sizes[0])].items() if isinstance(v, dict)]
    m = report["machine"]
    lines = [f"# Benchmarks ({report['date']})", "",
             f"Machine: {m['cores']} cores, {m['memory_gb']} GB RAM, Python {m['python']}. "
             f"Command: `{report['command']}`.", "",
             "Seconds per stage (rows/s in brackets); `ref_*` rows are the reference "
             "implementation measured in the same run.", "",
             "| stage | " + " | ".join(f"{s:,}" for s in sizes) + " | peak RSS MB (largest) |",
             "|---|" + "---|" * len(sizes) + "---|"]
    for stage in stages:
        cells = []
        for s in sizes:
            r = report["results"][str(s)][stage]
            cells.append(f"{r['seconds']:.2f} ({r['rows_per_s']:,}/s)")
        peak = report["results"][str(sizes[-1])][stage]["peak_rss_mb"]
        lines.append(f"| {stage} | " + " | ".join(cells) + f" | {peak:,} |")
    lines += ["", "| whole pipeline | " + " | ".join(
        f"{report['results'][str(s)]['pipeline_seconds']:.1f} s, "
        f"{report['results'][str(s)]['pipeline_peak_rss_mb']:,} MB" for s in sizes) + " |", ""]
    big = report["results"][str(sizes[-1])]
    ratios = {
        "sentiment ÷ vaderSentiment (throughput, realistic data with duplicates)":
            big["sentiment"]["rows_per_s"] / big["ref_vaderSentiment"]["rows_per_s"],
        "load CSV ÷ (read_csv + to_parquet) (throughput)":
            big["load_csv"]["rows_per_s"] / big["ref_read_csv_to_parquet"]["rows_per_s"],
        "topic fit ÷ TF-IDF+KMeans (throughput)":
            big["topic_fit"]["rows_per_s"] / big["ref_tfidf_kmeans"]["rows_per_s"],
    }
    lines += [f"Ratios at {sizes[-1]:,} mentions:", ""]
    lines += [f"- {k}: {v:.2f}×" for k, v in ratios.items()]
    lines += ["", "Pipeline = " + " + ".join(PIPELINE_STAGES) + f" (rules: the "
              f"{big.get('rules_count', '?')} rules of data/rules; `benchmarks/rules_speed.py` "
              "times 20). The sentiment and topic references run on fixed samples of "
              f"{REFERENCE_SENTIMENT_SAMPLE:,} and {REFERENCE_TOPIC_SAMPLE:,} texts; "
              "their rows/s is what the ratios compare."]
    if len(sizes) > 1:
        lines += ["", f"Growth from {sizes[0]:,} to {sizes[-1]:,} mentions "
                  f"({sizes[-1] / sizes[0]:.0f}× the rows): time ratio per stage", ""]
        for stage in stages:
            a = report["results"][str(sizes[0])][stage]["seconds"]
            b = report["results"][str(sizes[-1])][stage]["seconds"]
            rows_a = report["results"][str(sizes[0])][stage]["rows"]
            rows_b = report["results"][str(sizes[-1])][stage]["rows"]
            if a > 0 and (rows_a, rows_b) == (sizes[0], sizes[-1]):  # refs run on fixed samples
                lines.append(f"- {stage}: {b / a:.1f}×")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args()
    if args.one:
        Path(args.json).write_text(json.dumps(run_one(args.one)))
        return
    results = {}
    for n in args.sizes:
        print(f"{n:,} mentions", flush=True)
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
            subprocess.run([sys.executable, __file__, "--one", str(n), "--json", tmp.name],
                           check=True)
            results[str(n)] = json.loads(Path(tmp.name).read_text())
    report = {"date": time.strftime("%Y-%m-%d"), "machine": machine(), "sizes": args.sizes,
              "command": "python benchmarks/run.py --sizes " + " ".join(map(str, args.sizes)),
              "results": results}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{out}.json").write_text(json.dumps(report, indent=2))
    Path(f"{out}.md").write_text(to_markdown(report))
    print(to_markdown(report))


if __name__ == "__main__":
    main()
