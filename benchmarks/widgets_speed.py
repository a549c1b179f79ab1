"""How fast the explorer redraws after a filter change, with a million mentions in the store.

    .venv/bin/python benchmarks/widgets_speed.py            # 1,000,000 mentions
    .venv/bin/python benchmarks/widgets_speed.py --n 100000 # a quicker check

Builds a store in a temporary folder with ``n`` demo mentions (``ls.demo.generate``)
and enrichment columns (sentiment, sentiment_label, topic, topic_label and eight rule
columns). The enrichment is *synthetic* (seeded random values with the shape of the
real ones): scoring a million texts is the pipeline benchmark's business, and the
explorer's cost depends only on the columns' shape, not on how they were computed.
The explorer then reads the store once and every filter change of a fixed script
(platform, language, sentiment, topic, rule, date range, granularity, time zone,
brush, page, compare with the previous period, share of voice of rules / topics, named
period) is timed: aggregates, the five Altair charts (JupyterChart specs built), the
top-authors and share-of-voice panels and the table page (copies collapsed, with
sentiment, topic and rule columns). Target: median ≤ 200 ms.

Results: ``benchmarks/results/widgets.json`` and ``widgets.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"
TARGET_MS = 200
RULES = ["road_closures", "police_impersonation_scam", "arrest_video", "wildfire_evacuation",
         "missing_persons", "protests", "threats_against_officers", "misinformation"]
TOPICS = [f"topic {i} · term{i}a · term{i}b" for i in range(12)]


def synthetic_enrichment(frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(frame)
    s = np.round(np.clip(rng.normal(0.0, 0.45, n), -1, 1), 4)
    label = np.where(s < -0.05, "negative", np.where(s > 0.05, "positive", "neutral"))
    topic = rng.integers(0, len(TOPICS), n)
    cols = {"mention_id": frame["mention_id"], "sentiment": s, "sentiment_label": label,
            "topic": topic, "topic_label": np.asarray(TOPICS, dtype=object)[topic]}
    for i, rule in enumerate(RULES):
        cols[f"rule_{rule}"] = rng.random(n) < 0.01 * (i + 1)
    return pd.DataFrame(cols)


def build_store(path: Path, n: int) -> dict:
    import listening as ls

    t0 = time.perf_counter()
    frame, _ = ls.demo.generate(n_mentions=n, days=28, seed=0)
    t1 = time.perf_counter()
    enrichment = synthetic_enrichment(frame)
    with ls.open_store(path) as store:
        store.add(frame)
        t2 = time.perf_counter()
        store.add_enrichment(enrichment, [c for c in enrichment.columns if c != "mention_id"])
    t3 = time.perf_counter()
    return {"generate_s": t1 - t0, "store_add_s": t2 - t1, "store_enrichment_s": t3 - t2}


def script(ex) -> list[tuple[str, callable]]:
    """The filter changes timed, in order (each is one user action)."""
    days = sorted({ex.since.value + dt.timedelta(days=i)
                   for i in range((ex.until.value - ex.since.value).days + 1)})
    first_time = ex.volume_frame["time"].iloc[len(ex.volume_frame) // 3]
    return [
        ("platform = x", lambda: setattr(ex.platform, "value", ("x",))),
        ("platform = x, facebook", lambda: setattr(ex.platform, "value", ("x", "facebook"))),
        ("language = fr", lambda: setattr(ex.language, "value", ("fr",))),
        ("sentiment = negative", lambda: setattr(ex.sentiment, "value", ("negative",))),
        ("topic = one", lambda: setattr(ex.topic, "value", (TOPICS[3],))),
        ("rule = two", lambda: setattr(ex.rule, "value", (RULES[1], RULES[2]))),
        ("language = all", lambda: setattr(ex.language, "value", ())),
        ("from = day 8", lambda: setattr(ex.since, "value", days[7])),
        ("to = day 21", lambda: setattr(ex.until, "value", days[20])),
        ("granularity = hour", lambda: setattr(ex.freq, "value", "hour")),
        ("granularity = week", lambda: setattr(ex.freq, "value", "week")),
        ("granularity = day", lambda: setattr(ex.freq, "value", "day")),
        ("time zone = UTC", lambda: setattr(ex.tz, "value", "UTC")),
        ("time zone = Toronto", lambda: setattr(ex.tz, "value", "America/Toronto")),
        ("brush 3 days", lambda: ex.brush(first_time, first_time + pd.Timedelta(days=3))),
        ("next page", lambda: ex.next_page.click()),
        ("compare with previous period", lambda: setattr(ex.compare, "value", True)),
        ("share of voice = topics", lambda: setattr(ex.share_of, "value", "topic")),
        ("period = last 7 days", lambda: setattr(ex.period, "value", "last 7 days")),
        ("share of voice = rules", lambda: setattr(ex.share_of, "value", "rule")),
        ("compare off", lambda: setattr(ex.compare, "value", False)),
        ("sentiment = all", lambda: setattr(ex.sentiment, "value", ())),
        ("topic = all", lambda: setattr(ex.topic, "value", ())),
        ("rule = all", lambda: setattr(ex.rule, "value", ())),
        ("clear filters", lambda: ex.reset.click()),
    ]


def run(n: int, repeats: int) -> dict:
    import listening as ls
    from listening.widgets import Explorer

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        setup = build_store(path, n)
        t0 = time.perf_counter()
        with ls.open_store(path, read_only=True) as store:
            frame = store.mentions()
        t1 = time.perf_counter()
        ex = Explorer(frame)
        t2 = time.perf_counter()
        setup |= {"store_read_s": t1 - t0, "explorer_init_s": t2 - t1, "mentions": len(frame)}
        timings: dict[str, list[float]] = {}
        cpu: list[float] = []
        for _ in range(repeats):
            ex.reset.click()
            for name, action in script(ex):
                start, start_cpu = time.perf_counter(), time.process_time()
                action()
                timings.setdefault(name, []).append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
        # the first change of a granularity / zone computes that bucketing once (cached):
        # report it apart from the steady-state figures
        all_ms = [ms for values in timings.values() for ms in values]
        per_action = {k: {"median_ms": statistics.median(v), "max_ms": max(v)}
                      for k, v in timings.items()}
    return {
        "n_mentions": n, "repeats": repeats, "setup": setup,
        "refresh_median_ms": statistics.median(all_ms),
        "refresh_p90_ms": float(np.percentile(all_ms, 90)),
        "refresh_max_ms": max(all_ms), "refresh_cpu_median_ms": statistics.median(cpu),
        "target_median_ms": TARGET_MS,
        "meets_target": statistics.median(all_ms) <= TARGET_MS,
        "per_action": per_action,
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(),
                    "cpus": os.cpu_count(), "pandas": pd.__version__, "numpy": np.__version__},
        "when": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
    }


def write(result: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "widgets.json").write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    s = result["setup"]
    machine = result["machine"]
    header = (f"Measured {result['when']} on {machine['cpus']} CPUs ({machine['platform']}), "
              f"`benchmarks/widgets_speed.py --n {result['n_mentions']}`.")
    store_line = (f"- store read once (`store.mentions()`): {s['store_read_s']:.1f} s; explorer "
                  f"set-up (sort, category codes, first draw): {s['explorer_init_s']:.1f} s")
    verdict = "met" if result["meets_target"] else "NOT met"
    refresh_line = (f"- **filter change → every chart and the table redrawn: median "
                    f"{result['refresh_median_ms']:.0f} ms**, p90 {result['refresh_p90_ms']:.0f} "
                    f"ms, max {result['refresh_max_ms']:.0f} ms (target: median ≤ {TARGET_MS} "
                    f"ms — {verdict}); {result['repeats']} rounds of "
                    f"{len(result['per_action'])} actions")
    cpu_line = (f"- CPU time per change (this process only, so independent of other load on "
                f"the machine): median {result['refresh_cpu_median_ms']:.0f} ms")
    lines = [
        "# Explorer refresh speed", "", header, "",
        f"- mentions in the store: **{s['mentions']:,}** (demo stream, synthetic enrichment)",
        store_line, refresh_line, cpu_line, "",
        "| action | median ms | max ms |",
        "|---|---:|---:|",
        *[f"| {k} | {v['median_ms']:.0f} | {v['max_ms']:.0f} |"
          for k, v in result["per_action"].items()],
        "",
        ("The max of a granularity or time-zone change includes computing that bucketing "
         "the first time (it is cached afterwards)."),
        "",
    ]
    (RESULTS / "widgets.md").write_text("\n".join(lines), "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="mentions in the store")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of the action script")
    args = parser.parse_args()
    result = run(args.n, args.repeats)
    write(result)
    print((RESULTS / "widgets.md").read_text("utf-8"))


if __name__ == "__main__":
    main()
