"""Speed of the manager brief and the safe exports at scale.

Run: ``.venv/bin/python benchmarks/report.py [n_mentions]`` (default 1,000,000). Uses
the seeded demo stream with seeded sentiment labels, topic labels and one rule
column added (the brief's speed depends on the frame's size and columns, not on
how the labels were made), plus a hand-built alert and forecast of the shapes
``detect_threats`` and ``forecast`` return. Writes benchmarks/results/report.json
and report.md.

Measured: the data hash, ``build_brief`` (all aggregation), rendering to HTML and
Markdown (charts through vl-convert), the whole ``brief()`` to HTML, and
``export`` to CSV, Parquet and (for at most 200,000 rows) XLSX, plain and
pseudonymised.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import listening as ls
from listening.provenance import data_hash
from listening.report import build_brief, render_html, render_markdown

RESULTS = Path(__file__).resolve().parent / "results"
SECRET = b"benchmark-secret-not-for-real-use"
# openpyxl writes about 10^5 cells a second: a million-row sheet would take minutes
# and Excel users do not open such files; XLSX is timed on a slice.
XLSX_ROWS = 200_000


def _timed(label: str, results: dict, fn):
    """Wall time, and this process's CPU time (robust when the machine is shared)."""
    start, cpu = time.perf_counter(), time.process_time()
    value = fn()
    results[label] = round(time.perf_counter() - start, 3)
    results.setdefault("cpu_seconds", {})[label] = round(time.process_time() - cpu, 3)
    print(f"{label:<44} {results[label]:>8.3f} s wall "
          f"{results['cpu_seconds'][label]:>8.3f} s cpu", flush=True)
    return value


def _enriched(n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame, truth = ls.demo.generate(n_mentions=n, seed=0)
    rng = np.random.default_rng(0)
    score = rng.uniform(-1, 1, len(frame))
    frame["sentiment"] = score
    frame["sentiment_label"] = pd.Categorical(
        np.where(score < -0.05, "negative", np.where(score > 0.05, "positive", "neutral")),
        categories=["negative", "neutral", "positive"])
    labels = np.array([f"topic {i}" for i in range(25)], dtype=object)
    topic = rng.integers(-1, 24, len(frame))
    frame["topic"] = pd.array(topic, dtype="Int64")
    frame["topic_label"] = pd.array(labels[topic + 1], dtype="string")
    frame["rule_scam"] = frame["text"].str.contains("scam", case=False)
    return frame, truth


def _inputs(frame: pd.DataFrame, truth: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    end = frame["timestamp"].max()
    ids = truth.set_index("incident").loc["police_impersonation_scam", "mention_ids"]
    alerts = pd.DataFrame({
        "segment": ["all"], "start": [end - pd.Timedelta("1D")], "end": [end],
        "signal": ["threat_vocabulary"], "observed": [300.0], "expected": [20.0], "score": [12.0],
        "severity": [9], "terms": [["scam", "gift cards"]], "example_ids": [list(ids[:5])],
        "dup_share": [0.6], "new_author_share": [0.55], "why": ["benchmark alert"],
        "alert_key": ["b1"]})
    days = pd.date_range(end.floor("D") + pd.Timedelta("1D"), periods=7, freq="D")
    fc = pd.DataFrame({"segment": "all", "timestamp": days, "metric": "volume",
                       "forecast": 1000.0, "lo80": 800.0, "hi80": 1200.0, "lo95": 700.0,
                       "hi95": 1300.0, "events": None})
    return alerts, fc


def main(n: int = 1_000_000) -> dict:
    results: dict = {"n_mentions": n, "machine": f"{platform.machine()}, "
                     f"{os.cpu_count()} cores, Python {platform.python_version()}"}
    frame, truth = _timed("demo.generate + labels", results, lambda: _enriched(n))
    results["n_mentions"] = len(frame)
    alerts, fc = _inputs(frame, truth)
    # warm-up: imports and the vl-convert engine start once per process (~2 s)
    small = frame.iloc[:2000]
    _timed("warm-up (imports, vl-convert start)", results,
           lambda: render_html(build_brief(small, alerts=alerts, forecast=fc)))
    _timed("data_hash", results, lambda: data_hash(frame))
    content = _timed("build_brief (aggregation)", results,
                     lambda: build_brief(frame, alerts=alerts, forecast=fc))
    _timed("render_html (3 SVG charts)", results, lambda: render_html(content))
    _timed("render_markdown (3 PNG charts)", results, lambda: render_markdown(content))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _timed("brief() -> .html, end to end", results,
               lambda: ls.brief(frame, alerts=alerts, forecast=fc, path=folder / "b.html"))
        _timed("export .csv", results, lambda: ls.export(frame, folder / "f.csv"))
        _timed("export .csv pseudonymised", results,
               lambda: ls.export(frame, folder / "p.csv", pseudonymise=True, secret=SECRET))
        _timed("export .parquet", results, lambda: ls.export(frame, folder / "f.parquet"))
        part = frame.iloc[:XLSX_ROWS]
        results["xlsx_rows"] = len(part)
        _timed(f"export .xlsx ({len(part):,} rows)", results,
               lambda: ls.export(part, folder / "f.xlsx"))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "report.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [f"# Brief and export speed, {results['n_mentions']:,} demo mentions", "",
             (f"Machine: {results['machine']}. Command: "
              f"`.venv/bin/python benchmarks/report.py {n}`."), "",
             ("Wall time is inflated when other jobs share the cores; CPU time is this "
              "process's own (vl-convert's threads included)."), "",
             "| step | wall s | cpu s |", "|---|---:|---:|"]
    lines += [f"| {k} | {v:.3f} | {results['cpu_seconds'][k]:.3f} |"
              for k, v in results.items() if isinstance(v, float)]
    (RESULTS / "report.md").write_text("\n".join(lines) + "\n")
    return results


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
