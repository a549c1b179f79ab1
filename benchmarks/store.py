"""Speed of the DuckDB mention store: add (fresh and all-duplicate), mentions(), filters, backup.

Run: ``.venv/bin/python benchmarks/store.py [n_mentions]`` (default 1,000,000). Uses the
seeded demo stream (the store's speed does not depend on the text's origin). Writes
benchmarks/results/store.json and store.md.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import listening as ls

RESULTS = Path(__file__).resolve().parent / "results"


def _timed(label: str, results: dict, fn):
    start = time.perf_counter()
    value = fn()
    results[label] = round(time.perf_counter() - start, 3)
    print(f"{label:<40} {results[label]:>7.3f} s", flush=True)
    return value


def main(n: int = 1_000_000) -> dict:
    results: dict = {"n_mentions": n, "cpus": os.cpu_count(),
                     "load_average_1min_at_start": round(os.getloadavg()[0], 1)}
    frame, _ = _timed("demo.generate", results, lambda: ls.demo.generate(n_mentions=n, seed=0))
    n = results["n_mentions"] = len(frame)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        with ls.open_store(path) as store:
            added = _timed("add (fresh store)", results, lambda: store.add(frame))
            assert added.loaded == n, added
            again = _timed("add again (all duplicates)", results, lambda: store.add(frame))
            assert again.duplicates == n, again
            out = _timed("mentions() all rows", results, store.mentions)
            assert len(out) == n
            _timed("mentions(since='7D' of demo, platform)", results, lambda: store.mentions(
                since=frame["timestamp"].max() - __import__("pandas").Timedelta("7D"),
                platform=["x", "reddit"]))
            _timed("mentions(columns=[timestamp, platform])", results,
                   lambda: store.mentions(columns=["timestamp", "platform"]))
            scored = frame[["mention_id"]].assign(sentiment=0.1, sentiment_label="neutral")
            _timed("add_enrichment (2 columns, all rows)", results,
                   lambda: store.add_enrichment(scored, ["sentiment", "sentiment_label"]))
            _timed("mentions() with enrichment", results, store.mentions)
            results["file_mb"] = round(path.stat().st_size / 2**20, 1)
        results["backup_mb"] = round(Path(str(path) + ".bak").stat().st_size / 2**20, 1)
        _timed("open_store(read_only=True)", results,
               lambda: ls.open_store(path, read_only=True).close())
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "store.json").write_text(json.dumps(results, indent=2) + "\n")
    load = results["load_average_1min_at_start"]
    lines = ["# Store benchmark", "",
             (f"{n:,} demo mentions, `.venv/bin/python benchmarks/store.py`; "
             f"{results['cpus']} CPUs, load average {load} at start (a shared machine: "
             "compare runs at similar load)."), "", "| step | value |", "|---|---|"]
    context = {"n_mentions", "cpus", "load_average_1min_at_start"}
    lines += [f"| {k} | {v} {'MB' if k.endswith('_mb') else 's'} |"
              for k, v in results.items() if k not in context]
    (RESULTS / "store.md").write_text("\n".join(lines) + "\n")
    return results


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
