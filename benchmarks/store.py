"""Speed of the DuckDB mention store: add (with its proven backup), reads, purge, backup.

Run: ``.venv/bin/python benchmarks/store.py [n_mentions] [--baseline REF]``
(default 1,000,000). Uses the seeded demo stream (the store's speed does not
depend on the text's origin). Writes benchmarks/results/store.json and store.md.

Targets (issue 15): ``store.add`` of 1M mentions within 1.2x of the code before the
backup check (``--baseline REF`` loads ``listening/store.py`` as it was at git
``REF``, e.g. the commit before the store package, and times both, interleaved,
best of two, on a fresh store and on one already holding 1M); a purge of a
1M-mention store, rebuild of the store and its backups included, in <= 60 s and
<= 4 GB (peak RSS of the process that purges, measured in a child process).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

import listening as ls

RESULTS = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parent.parent
ROUNDS = 2  # interleaved rounds per implementation; the best is kept (a shared machine)
# main before the store package (listening/store.py, backup copied before each import)
BASELINE_REF = "9579a2b"
PURGE_SECONDS, PURGE_GB, ADD_RATIO = 60, 4, 1.2

PURGER = r"""
import json, resource, sys, time
import listening as ls
path, older_than = sys.argv[1], sys.argv[2]
started = time.perf_counter()
with ls.open_store(path) as store:
    opened = time.perf_counter()
    result = store.purge(older_than)
done = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux
print(json.dumps({"seconds": round(done - opened, 3), "open_seconds": round(opened - started, 3),
                  "removed": result.removed, "backups": len(result.backups),
                  "peak_rss_mb": round(peak, 1)}))
"""


def _timed(label: str, results: dict, fn):
    start = time.perf_counter()
    value = fn()
    results[label] = round(time.perf_counter() - start, 3)
    print(f"{label:<52} {results[label]:>8.3f} s", flush=True)
    return value


def _baseline(ref: str):
    """``listening/store.py`` as it was at git ``ref``, as the module ``listening._store_<ref>``."""
    source = subprocess.run(["git", "-C", str(REPO), "show", f"{ref}:listening/store.py"],
                            capture_output=True, text=True, check=True).stdout
    folder = Path(tempfile.mkdtemp(prefix="store-baseline-"))
    file = folder / "store_baseline.py"
    file.write_text(source, encoding="utf-8")
    name = f"listening._store_{ref.replace('-', '_')[:12]}"
    spec = importlib.util.spec_from_file_location(name, file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _adds(open_store, frame: pd.DataFrame, second: pd.DataFrame, folder: Path) -> tuple:
    path = folder / "add.duckdb"
    with open_store(path) as store:
        start = time.perf_counter()
        assert store.add(frame).loaded == len(frame)
        fresh = time.perf_counter() - start
        start = time.perf_counter()
        assert store.add(second).loaded == len(second)
        into_full = time.perf_counter() - start
    for leftover in folder.iterdir():
        leftover.unlink()
    return fresh, into_full


def main(n: int = 1_000_000, baseline: str | None = None) -> dict:
    results: dict = {"n_mentions": n, "cpus": os.cpu_count(),
                     "load_average_1min_at_start": round(os.getloadavg()[0], 1)}
    frame, _ = _timed("demo.generate", results, lambda: ls.demo.generate(n_mentions=n, seed=0))
    n = results["n_mentions"] = len(frame)
    second = frame.assign(mention_id=frame["mention_id"] + "-2")  # another 1M, all new
    implementations = {"listening.store": ls.open_store}
    if baseline:
        try:
            implementations[f"baseline {baseline}"] = _baseline(baseline).open_store
            results["baseline_ref"] = baseline
        except (OSError, subprocess.CalledProcessError) as exc:
            print(f"no baseline: git show {baseline}:listening/store.py failed ({exc})")
            baseline = None
    best: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for round_ in range(ROUNDS):
            for label, open_store in implementations.items():
                fresh, into_full = _adds(open_store, frame, second, folder)
                print(f"round {round_ + 1} {label:<32} add {n:,} fresh {fresh:7.3f} s, "
                      f"into a {n:,} store {into_full:7.3f} s", flush=True)
                old = best.setdefault(label, [fresh, into_full])
                best[label] = [min(old[0], fresh), min(old[1], into_full)]
        for label, (fresh, into_full) in best.items():
            results[f"add (fresh store) [{label}]"] = round(fresh, 3)
            results[f"add (into a {n:,} store) [{label}]"] = round(into_full, 3)
        if baseline:
            base = best[f"baseline {baseline}"]
            results["add ratio fresh (target <= 1.2)"] = round(best["listening.store"][0]
                                                               / base[0], 3)
            results["add ratio into full store (target <= 1.2)"] = round(
                best["listening.store"][1] / base[1], 3)

        path = folder / "bench.duckdb"
        with ls.open_store(path) as store:
            _timed("add (fresh store, for the reads)", results, lambda: store.add(frame))
            again = _timed("add again (all duplicates)", results, lambda: store.add(frame))
            assert again.duplicates == n, again
            out = _timed("mentions() all rows", results, store.mentions)
            assert len(out) == n
            _timed("mentions(since='7D' of demo, platform)", results, lambda: store.mentions(
                since=frame["timestamp"].max() - pd.Timedelta("7D"), platform=["x", "reddit"]))
            _timed("mentions(columns=[timestamp, platform])", results,
                   lambda: store.mentions(columns=["timestamp", "platform"]))
            scored = frame[["mention_id"]].assign(sentiment=0.1, sentiment_label="neutral")
            _timed("add_enrichment (2 columns, all rows)", results,
                   lambda: store.add_enrichment(scored, ["sentiment", "sentiment_label"]))
            _timed("mentions() with enrichment", results, store.mentions)
            store.save_triage("bench", "new")
            _timed("backup() (copy, read back whole, rotate)", results, store.backup)
            results["file_mb"] = round(path.stat().st_size / 2**20, 1)
            results["backup_mb"] = round(store.backup_path.stat().st_size / 2**20, 1)
        _timed("open_store(read_only=True)", results,
               lambda: ls.open_store(path, read_only=True).close())
        _timed("check_store (store and 3 backups read back)", results,
               lambda: ls.store.check_store(path))

        # purge about half: everything older than the demo's median time
        median = frame["timestamp"].sort_values().iloc[len(frame) // 2]
        hours = int((pd.Timestamp.now(tz="UTC") - median) / pd.Timedelta("1h"))
        with ls.open_store(path, read_only=True) as store:
            plan = _timed("purge dry run (plan)", results,
                          lambda: store.purge(f"{hours}h", dry_run=True))
        done = subprocess.run([sys.executable, "-c", PURGER, str(path), f"{hours}h"],
                              capture_output=True, text=True, check=True)
        purge = json.loads(done.stdout.strip().splitlines()[-1])
        # the cutoff moves with the clock between the plan and the purge: a few more may go
        assert 0 < plan.mentions <= purge["removed"]["mentions"] < plan.mentions * 1.01, purge
        results["purge: mentions removed"] = purge["removed"]["mentions"]
        results[f"purge (rebuild + {purge['backups']} backups rebuilt + new backup)"] = (
            purge["seconds"])
        results["purge peak RSS (child process), MB"] = purge["peak_rss_mb"]
        results[f"purge within {PURGE_SECONDS} s and {PURGE_GB} GB"] = (
            purge["seconds"] <= PURGE_SECONDS and purge["peak_rss_mb"] <= PURGE_GB * 1024)
        print(f"{'purge':<52} {purge['seconds']:>8.3f} s, peak RSS "
              f"{purge['peak_rss_mb']:,.0f} MB, removed {purge['removed']['mentions']:,}")
    _write(results)
    return results


def _write(results: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "store.json").write_text(json.dumps(results, indent=2) + "\n")
    n, load = results["n_mentions"], results["load_average_1min_at_start"]
    command = "`.venv/bin/python benchmarks/store.py" + (
        f" --baseline {results['baseline_ref']}`" if "baseline_ref" in results else "`")
    lines = ["# Store benchmark", "",
             (f"{n:,} demo mentions, {command}; {results['cpus']} CPUs, load average {load} "
              "at start (a shared machine: compare runs at similar load)."), "",
             "| step | value |", "|---|---|"]
    context = {"n_mentions", "cpus", "load_average_1min_at_start", "baseline_ref"}
    for key, value in results.items():
        if key in context:
            continue
        unit = ("MB" if "MB" in key or key.endswith("_mb") else "" if isinstance(value, bool)
                or "ratio" in key or "removed" in key else "s")
        lines.append(f"| {key} | {value} {unit} |".replace("  |", " |"))
    (RESULTS / "store.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--baseline", default=BASELINE_REF,
                        help=f"git ref whose listening/store.py to time as well (default "
                             f"{BASELINE_REF}; 'none' to skip)")
    args = parser.parse_args()
    main(args.n, None if args.baseline == "none" else args.baseline)
