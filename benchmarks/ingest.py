"""Speed of the loaders: CSV fast path (also with 1% of values noted), CSV careful path,
JSONL, XLSX, and the real X samples.

Run: ``.venv/bin/python benchmarks/ingest.py [n_rows]`` (default 1,000,000). The
CSV is the seeded demo stream (100k demo mentions tiled to ``n_rows`` with fresh
ids, quoted multi-line texts included) written with ``DataFrame.to_csv``; the
reference is ``pandas.read_csv`` on the same file (no validation, no accounting).
A ragged row is rejected by the fast path (a second single-threaded pass
finds its line); blank lines between rows force the careful, row-by-row path. Writes
benchmarks/results/ingest.json and ingest.md.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

import listening as ls

RESULTS = Path(__file__).resolve().parent / "results"
REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "export_samples" \
    / "twitter_api_v2_twarc"
# Demo mentions generated once and tiled: generating a million takes longer than loading them.
DEMO_BASE = 100_000


def _timed(label: str, results: dict, fn):
    start = time.perf_counter()
    value = fn()
    results[label] = round(time.perf_counter() - start, 3)
    print(f"{label:<44} {results[label]:>8.3f} s", flush=True)
    return value


def _demo_rows(n: int) -> pd.DataFrame:
    base, _ = ls.demo.generate(n_mentions=min(n, DEMO_BASE), seed=0)
    reps = -(-n // len(base))
    frame = pd.concat([base] * reps, ignore_index=True).head(n)
    frame["mention_id"] = [f"bench-{k}" for k in range(len(frame))]
    # a few multi-line texts, so the line tracking is exercised
    frame.loc[frame.index % 1000 == 0, "text"] = frame["text"] + "\nsecond line, \"quoted\""
    return frame.drop(columns="source")


def main(n: int = 1_000_000) -> dict:
    results: dict = {"n_rows": n, "cpus": os.cpu_count(),
                     "load_average_1min_at_start": round(os.getloadavg()[0], 1)}
    frame = _timed("demo rows (setup)", results, lambda: _demo_rows(n))
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "mentions.csv"
        frame.to_csv(csv_path, index=False)
        results["csv_megabytes"] = round(csv_path.stat().st_size / 1e6, 1)
        _timed("reference pandas.read_csv", results, lambda: pd.read_csv(csv_path))
        _, report = _timed("ls.load CSV (fast path)", results, lambda: ls.load(csv_path))
        assert report.loaded == n and report.rejected == 0, str(report)
        results["fast_rows_per_second"] = round(n / results["ls.load CSV (fast path)"])
        # the notes table at work: 1% of the rows carry a count or platform to change
        noted = frame.copy()
        odd = noted.index % 100 == 7
        noted["likes"] = noted["likes"].astype("string").where(~odd, "n/a")
        noted["platform"] = noted["platform"].astype("string").where(~odd, "myspace")
        noted_path = Path(tmp) / "noted.csv"
        noted.to_csv(noted_path, index=False)
        _, report = _timed("ls.load CSV, 1% of rows with changed values (notes)", results,
                           lambda: ls.load(noted_path))
        assert report.loaded == n and len(report.notes) == 2 * int(odd.sum()), str(report)
        results["notes_rows"] = len(report.notes)
        noted_path.unlink()
        with csv_path.open("a", encoding="utf-8") as handle:
            handle.write("ragged,row\n")
        _, report = _timed("ls.load CSV + 1 ragged row (fast path, 2 passes)", results,
                           lambda: ls.load(csv_path))
        assert report.loaded == n and report.rejected == 1, str(report)
        with csv_path.open("a", encoding="utf-8") as handle:
            handle.write("\n\nbench-extra,2026-11-01T10:00:00Z,x,@a,after blank lines,,en,"
                         "0,0,0,0,CA\n")
        _, report = _timed("ls.load CSV + blank lines (careful path)", results,
                           lambda: ls.load(csv_path))
        assert report.rejected == 1 and report.files[0].notes, str(report)
        small = frame.head(100_000)
        jsonl_path = Path(tmp) / "mentions.jsonl"
        small.assign(timestamp=small["timestamp"].astype(str)).to_json(
            jsonl_path, orient="records", lines=True, force_ascii=False)
        _, report = _timed("ls.load JSONL (100k rows)", results, lambda: ls.load(jsonl_path))
        assert report.loaded == len(small)
        xlsx_path = Path(tmp) / "mentions.xlsx"
        small.head(20_000).assign(timestamp=small["timestamp"].head(20_000).dt.tz_localize(None)) \
            .to_excel(xlsx_path, index=False)
        _, report = _timed("ls.load XLSX (20k rows)", results, lambda: ls.load(xlsx_path))
        assert report.loaded == 20_000
    if REAL.is_dir():
        _, report = _timed("ls.load real twarc2 samples (4 files)", results, lambda: ls.load(
            [REAL / name for name in ("brexit.jsonl", "flat.jsonl", "two_tweets.jsonl",
                                      "geo_tweets.jsonl")], progress=False))
        results["real_samples_loaded"] = report.loaded
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ingest.json").write_text(json.dumps(results, indent=2) + "\n")
    setting = (f"`.venv/bin/python benchmarks/ingest.py {n}` on {results['cpus']} cores "
               f"(1-minute load average at start: {results['load_average_1min_at_start']}; "
               "the machine is shared, so timings vary by tens of percent).")
    lines = ["# Loader speed", "", setting, "",
             f"CSV: {n:,} demo mentions, {results['csv_megabytes']} MB.", "",
             "| step | seconds |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in results.items()
              if isinstance(v, float) and k not in ("load_average_1min_at_start", "csv_megabytes")]
    (RESULTS / "ingest.md").write_text("\n".join(lines) + "\n")
    return results


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
