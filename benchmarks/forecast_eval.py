"""Evaluation of ``listening.forecast``: rolling-origin backtests against seasonal naive.

(a) Seeded ``listening.demo`` streams (28 days, 20,000 mentions, with and without
    incidents, several seeds): daily volume 7 days ahead (3 folds) and hourly volume
    24 hours ahead (3 folds); MAE, MAPE and the coverage of the 80% / 95% intervals
    for the model ``forecast`` chooses and for seasonal naive, measured in the same call.
(b) CrisisLexT26 (real tweets): the daily volume of each event with at least 15 days
    of tweets, 3 days ahead (2 folds) - crisis volume decays, which tests the trend.
(c) Time of one ``forecast(frame, horizon="7D")`` on 1,000,000 demo mentions.

Run: ``.venv/bin/python benchmarks/forecast_eval.py [--seeds 5] [--skip-speed]``.
Writes benchmarks/results/forecast.json and forecast.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from listening.demo import generate
from listening.forecasting import backtest_forecast, forecast
from listening.schema import coerce

RESULTS = ROOT / "benchmarks" / "results"
DATA = ROOT.parent / "shared" / "data" / "crisislext26"
SETUPS = (("daily, 7 days ahead", "7D", "1D", 3), ("hourly, 24 hours ahead", "24h", "1h", 3))


def _rows(bt: pd.DataFrame, **labels) -> list[dict]:
    return [{**labels, **{k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()},
             "models": bt.attrs["models"]} for r in bt.to_dict("records")]


def demo_eval(seeds: int) -> list[dict]:
    rows = []
    for seed in range(seeds):
        for incidents in ("default", None):
            frame, _ = generate(n_mentions=20_000, days=28, seed=seed, incidents=incidents)
            for name, horizon, freq, folds in SETUPS:
                bt = backtest_forecast(frame, horizon=horizon, freq=freq, folds=folds)
                rows += _rows(bt, seed=seed, incidents=bool(incidents), setup=name)
        print(f"seed {seed} done", flush=True)
    return rows


def crisis_eval() -> list[dict]:
    rows = []
    if not DATA.is_dir():
        return rows
    for event_dir in sorted(p for p in DATA.iterdir() if p.is_dir() and not p.name.startswith("_")):
        files = list(event_dir.glob("*-tweetids_entire_period.csv"))
        if not files:
            continue
        ids = pd.read_csv(files[0], dtype=str, skipinitialspace=True)
        ids.columns = [c.strip() for c in ids.columns]
        tid = ids["Tweet-ID"].str.strip().str.strip('"')
        ms = (tid.astype("int64").to_numpy() >> 22) + 1288834974657  # Twitter snowflake
        frame = coerce(pd.DataFrame({"mention_id": tid, "timestamp": pd.to_datetime(ms, unit="ms", utc=True),
                                     "platform": "x", "text": ".", "source": files[0].name}))
        days = (frame["timestamp"].max() - frame["timestamp"].min()) / pd.Timedelta("1D")
        if days < 15:
            continue
        bt = backtest_forecast(frame, horizon="3D", freq="1D", folds=2, tz="UTC")
        rows += _rows(bt, event=event_dir.name, days=round(days, 1))
    return rows


def _mean(rows: list[dict], key: str, **where) -> float | None:
    vals = [r[key] for r in rows if all(r.get(k) == v for k, v in where.items())
            and r[key] is not None and not (isinstance(r[key], float) and np.isnan(r[key]))]
    return round(float(np.mean(vals)), 3) if vals else None


def summarise(demo: list[dict], crisis: list[dict]) -> list[dict]:
    out = []
    for name, *_ in SETUPS:
        for incidents in (True, False):
            for method in ("model", "seasonal_naive"):
                w = {"setup": name, "incidents": incidents, "method": method}
                out.append({"data": f"demo ({'with' if incidents else 'no'} incidents)", "setup": name,
                            "method": method, **{k: _mean(demo, k, **w) for k in
                                                 ("mae", "mape", "coverage80", "coverage95")}})
    for method in ("model", "seasonal_naive"):
        out.append({"data": f"CrisisLexT26 ({len({r['event'] for r in crisis})} events)",
                    "setup": "daily, 3 days ahead", "method": method,
                    **{k: _mean(crisis, k, method=method) for k in ("mae", "mape", "coverage80", "coverage95")}})
    return out


def speed() -> dict:
    frame, _ = generate(n_mentions=1_000_000, days=28, seed=0)
    t0 = time.perf_counter()
    fc = forecast(frame, horizon="7D")
    daily = time.perf_counter() - t0
    t0 = time.perf_counter()
    forecast(frame, horizon="48h", freq="1h", by="platform")
    hourly = time.perf_counter() - t0
    return {"n_mentions": len(frame), "cpus": os.cpu_count(), "daily_7D_seconds": round(daily, 2),
            "hourly_48h_by_platform_seconds": round(hourly, 2), "model": fc.attrs["models"]["all/volume"]}


def _markdown(res: dict) -> str:
    lines = ["# Forecast evaluation", "",
             "Rolling-origin backtests by `benchmarks/forecast_eval.py`: each fold forecasts the next "
             "horizon from the history before it, with the model `ls.forecast` chooses and with "
             "seasonal naive (the last season repeated, normal intervals from the seasonal "
             "differences), in the same call (`backtest_forecast`). Means over seeds/events and folds.",
             "", "| data | setup | method | MAE | MAPE % | coverage 80% | coverage 95% |",
             "|---|---|---|---|---|---|---|"]
    for r in res["summary"]:
        lines.append(f"| {r['data']} | {r['setup']} | {r['method']} | {r['mae']} | {r['mape']} | "
                     f"{r['coverage80']} | {r['coverage95']} |")
    models = sorted({m.split(", fitted")[0] for r in res["demo"] for m in r["models"]})
    lines += ["", "Models chosen on the demo folds: " + "; ".join(models) + "."]
    if "speed" in res:
        sp = res["speed"]
        lines += ["", f"Speed on {sp['n_mentions']:,} demo mentions ({sp['cpus']} shared cores): "
                  f"`forecast(frame, horizon=\"7D\")` {sp['daily_7D_seconds']} s; hourly 48 h by platform "
                  f"{sp['hourly_48h_by_platform_seconds']} s."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    demo = demo_eval(args.seeds)
    crisis = crisis_eval()
    res = {"summary": summarise(demo, crisis), "demo": demo, "crisis": crisis}
    if not args.skip_speed:
        res["speed"] = speed()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "forecast.json").write_text(json.dumps(res, indent=2, default=str), encoding="utf-8")
    (RESULTS / "forecast.md").write_text(_markdown(res), encoding="utf-8")
    print(_markdown(res))


if __name__ == "__main__":
    main()
