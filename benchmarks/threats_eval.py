"""Evaluation of ``listening.detect_threats``: recall, delay, false alerts, real-data delays, speed.

(a) Seeded ``listening.demo`` streams (28 days, 20,000 mentions, several seeds):
    * recall of the injected incidents and the delay from onset to the end of the
      first alerting bin (target: every incident within 2 bins);
    * false alerts on incident-free streams (``incidents=None``) and outside the
      incident windows of the other streams (target: <= 1 per 7 days per segment),
      counted with the per-run cap off so the cap cannot hide them;
    * the same with ``sentiment_label`` from ``listening.score_sentiment`` when that
      stage is importable (the negative-surge signal needs it).
(b) CrisisLexT26 (real tweets, 2012-2013), leave-events-out: onset delays at 1-hour and
    15-minute bins from when the trailing hour first holds 20% of the event's busiest hour,
    alerts before the onset, and alerts per day on off-topic streams; each event alone and
    inside a steady stream of other events' tweets. Settings are chosen on every other event
    (name order, from the first: the tuning events) and reported on the others; both printed.
(c) Speed on 1,000,000 demo mentions (batch over 28 days, and online with since="24h"), this
    tree and the main checkout's code in the same run (CPU seconds, best of 3).

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/threats_eval.py [--seeds 5] [--skip-speed]``.
Writes benchmarks/results/threats.json and threats.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from listening.demo import HOUR_PROFILE, generate
from listening.schema import coerce
from listening.threats import detect_threats
from listening.windows import DEFAULT_TZ

RESULTS = ROOT / "benchmarks" / "results"
DATA = ROOT.parent / "shared" / "data" / "crisislext26"
N_MENTIONS = 20_000
DAYS = 28
FREQ = pd.Timedelta("1h")
# An alert "is about" an incident when it starts between one bin before the onset and
# the incident's end; alerts starting outside every such window are false alerts.
MATCH_BEFORE = pd.Timedelta("1h")
# CrisisLexT26 burst onset: the first hour with this share of the peak hour (and this many tweets).
BURST_SHARE = 0.2
BURST_MIN = 10


def _sentiment():
    try:
        from listening import score_sentiment
    except (ImportError, AttributeError):
        return None
    return score_sentiment


def _evaluate_stream(frame: pd.DataFrame, truth: pd.DataFrame, label: str) -> dict:
    alerts = detect_threats(frame, max_alerts=None)
    segments = alerts.attrs["segments"]
    weeks = DAYS / 7
    rows, matched = [], np.zeros(len(alerts), dtype=bool)
    for inc in truth.itertuples():
        lo, hi = inc.onset - MATCH_BEFORE, inc.end
        hit = (alerts["start"] >= lo) & (alerts["start"] <= hi)
        matched |= hit.to_numpy()
        first = alerts[hit].sort_values("start").head(1)
        if len(first):
            a = first.iloc[0]
            delay = (a["start"] + FREQ - inc.onset) / FREQ
            rows.append({"stream": label, "incident": inc.incident, "detected": True,
                         "delay_bins": float(delay), "within_2_bins": bool(delay <= 2),
                         "signal": a["signal"], "severity": int(a["severity"]), "segment": a["segment"],
                         "related": len(a["related"]), "why": a["why"]})
        else:
            rows.append({"stream": label, "incident": inc.incident, "detected": False,
                         "delay_bins": None, "within_2_bins": False})
    false = alerts[~matched]
    # Segment-episodes: an alert plus the segments folded into it.
    false_seg_episodes = int(len(false) + false["related"].map(len).sum()) if len(false) else 0
    # Hours covered by incidents (onset to end + cooldown) are not incident-free.
    covered = sum(((inc.end + pd.Timedelta("6h")) - (inc.onset - MATCH_BEFORE)) / pd.Timedelta("7D")
                  for inc in truth.itertuples())
    free_weeks = max(weeks - covered, 1e-9)
    return {"incidents": rows, "alerts": len(alerts), "false_alerts": len(false),
            "false_segment_episodes": false_seg_episodes, "segments": int(segments),
            "incident_free_weeks": round(free_weeks, 2),
            "false_alerts_per_week": round(len(false) / free_weeks, 3),
            "false_per_week_per_segment": round(false_seg_episodes / free_weeks / segments, 4),
            "false_examples": false["why"].head(5).tolist(),
            "false_max_severity": int(false["severity"].max()) if len(false) else 0}


def demo_eval(seeds: int) -> dict:
    out = {"with_incidents": [], "incident_free": [], "with_sentiment": []}
    score = _sentiment()
    for seed in range(seeds):
        frame, truth = generate(n_mentions=N_MENTIONS, days=DAYS, seed=seed)
        out["with_incidents"].append(_evaluate_stream(frame, truth, f"seed{seed}"))
        quiet, none = generate(n_mentions=N_MENTIONS, days=DAYS, seed=seed, incidents=None)
        out["incident_free"].append(_evaluate_stream(quiet, none, f"seed{seed}-quiet"))
        quarter = detect_threats(quiet, freq="15min", max_alerts=None)
        out.setdefault("incident_free_15min", []).append(
            {"stream": f"seed{seed}-quiet", "alerts": len(quarter), "why": quarter["why"].head(5).tolist()})
        if score is not None and seed < 2:
            t0 = time.perf_counter()
            scored = score(frame)
            res = _evaluate_stream(scored, truth, f"seed{seed}+sentiment")
            res["sentiment_seconds"] = round(time.perf_counter() - t0, 1)
            out["with_sentiment"].append(res)
        print(f"seed {seed} done", flush=True)
    incidents = [r for s in out["with_incidents"] for r in s["incidents"]]
    detected = [r for r in incidents if r["detected"]]
    quiet = out["incident_free"]
    busy = out["with_incidents"]
    out["summary"] = {
        "seeds": seeds, "n_mentions": N_MENTIONS, "days": DAYS,
        "incidents": len(incidents), "detected": len(detected),
        "recall": round(len(detected) / max(len(incidents), 1), 3),
        "within_2_bins": sum(r["within_2_bins"] for r in incidents),
        "median_delay_bins": float(np.median([r["delay_bins"] for r in detected])) if detected else None,
        "max_delay_bins": float(max(r["delay_bins"] for r in detected)) if detected else None,
        "incident_free_false_per_week_per_segment": round(
            sum(s["false_segment_episodes"] for s in quiet)
            / sum(s["incident_free_weeks"] * s["segments"] for s in quiet), 4),
        "incident_free_false_alerts_per_week": round(
            sum(s["false_alerts"] for s in quiet) / sum(s["incident_free_weeks"] for s in quiet), 3),
        "outside_incidents_false_per_week_per_segment": round(
            sum(s["false_segment_episodes"] for s in busy)
            / sum(s["incident_free_weeks"] * s["segments"] for s in busy), 4),
        "max_false_per_segment_per_week_any_stream": max(
            s["false_per_week_per_segment"] for s in quiet + busy),
        "incident_free_alerts_per_day_1h": round(sum(s["alerts"] for s in quiet) / (seeds * DAYS), 3),
        "incident_free_alerts_per_day_15min": round(
            sum(s["alerts"] for s in out["incident_free_15min"]) / (seeds * DAYS), 3),
    }
    return out


# --- (b) CrisisLexT26 onsets, leave-events-out ----------------------------------------------

ONSET_SHARE = 0.2        # the onset: the trailing hour's volume first reaches 20% of its peak
ONSET_MIN = 10
TARGET_MINUTES = {"1h": 75, "15min": 30}
FREQS = ("1h", "15min")
# The background variant: the event's tweets over [onset - 4 days, onset + 2 days] plus tweets of
# the other events (off-topic for it), at BACKGROUND_SHARE of the event's peak hour per hour.
BACKGROUND_SHARE = 0.2
BACKGROUND_BEFORE, BACKGROUND_AFTER = pd.Timedelta("4D"), pd.Timedelta("2D")
OFF_TOPIC_DAYS = 14


def _event_frame(event_dir: Path, texts: pd.DataFrame) -> pd.DataFrame | None:
    files = list(event_dir.glob("*-tweetids_entire_period.csv"))
    if not files:
        return None
    ids = pd.read_csv(files[0], dtype=str, skipinitialspace=True)
    ids.columns = [c.strip() for c in ids.columns]
    tid = ids["Tweet-ID"].str.strip().str.strip('"')
    ms = (tid.astype("int64").to_numpy() >> 22) + 1288834974657  # Twitter snowflake -> Unix ms
    frame = pd.DataFrame({"mention_id": tid, "timestamp": pd.to_datetime(ms, unit="ms", utc=True)})
    text = texts.set_index("tweet_id")["text"]
    # Only the labelled tweets have a text; the others count in the volume only.
    frame["text"] = frame["mention_id"].map(text).fillna(".")
    frame["platform"] = "x"
    frame["source"] = files[0].name
    return coerce(frame.drop_duplicates("mention_id"))


def _onset(frame: pd.DataFrame) -> tuple[pd.Timestamp, int]:
    """The first tweet at which the trailing hour holds ONSET_SHARE of the busiest hour."""
    ts = frame["timestamp"].sort_values()
    hour = pd.Series(1.0, index=pd.DatetimeIndex(ts)).rolling("60min").sum()
    peak = float(hour.max())
    return hour.index[int(np.argmax(hour.to_numpy() >= max(ONSET_MIN, ONSET_SHARE * peak)))], int(peak)


def _with_background(frame: pd.DataFrame, onset: pd.Timestamp, peak: int, pool: pd.DataFrame,
                     seed: int) -> pd.DataFrame:
    """The event's tweets around the onset inside a steady stream of other events' tweets:
    texts drawn at random, times with the demo's hour-of-day rhythm in the detector's
    default zone (the pool's own times of day carry other events' bursts)."""
    lo, hi = onset.floor("D") - BACKGROUND_BEFORE, onset.floor("D") + BACKGROUND_AFTER
    own = frame[(frame["timestamp"] >= lo) & (frame["timestamp"] < hi)]
    rng = np.random.default_rng(seed)
    n = int(BACKGROUND_SHARE * peak * (hi - lo) / pd.Timedelta("1h"))
    pick = pool.iloc[rng.integers(0, len(pool), n)]
    hours = pd.date_range(lo, hi, freq="1h", inclusive="left")
    weight = HOUR_PROFILE[hours.tz_convert(DEFAULT_TZ).hour]
    when = hours[rng.choice(len(hours), n, p=weight / weight.sum())] \
        + pd.to_timedelta(rng.integers(0, 3_600 * 10**9, n), unit="ns")
    bg = pd.DataFrame({"mention_id": [f"bg{seed}-{i}" for i in range(n)],
                       "timestamp": when, "text": pick["text"].to_numpy(),
                       "platform": "x", "source": "background"})
    return coerce(pd.concat([own, coerce(bg)], ignore_index=True))


def _off_topic(labelled: pd.DataFrame, events: list[str], seed: int) -> pd.DataFrame:
    """Tweets labelled 'Not related'/'Not applicable' of ``events``, each at its time of day on a
    random day of an OFF_TOPIC_DAYS-day window: an off-topic stream with a real daily rhythm."""
    off = labelled[labelled["event"].isin(events)
                   & labelled["informativeness"].isin(["Not related", "Not applicable"])]
    rng = np.random.default_rng(seed)
    ts = pd.to_datetime(off["created_at_utc"], utc=True)
    tod = (ts - ts.dt.floor("D")).to_numpy()
    start = pd.Timestamp("2013-03-04", tz="UTC")
    when = start + pd.to_timedelta(rng.integers(0, OFF_TOPIC_DAYS, len(off)), unit="D") + tod
    return coerce(pd.DataFrame({"mention_id": off["tweet_id"].to_numpy(), "timestamp": when,
                                "text": off["text"].to_numpy(), "platform": "x", "source": "off-topic"}))


def _delay(frame: pd.DataFrame, onset: pd.Timestamp, freq: str) -> dict:
    alerts = detect_threats(frame, by=("all",), freq=freq, max_alerts=None)
    step = pd.Timedelta(freq)
    before = alerts[alerts["end"] <= onset]
    after = alerts[alerts["end"] > onset].sort_values("start")
    out = {"alerts_before_onset": len(before), "delay_min": None, "signal": None}
    if len(after):
        a = after.iloc[0]
        out.update(delay_min=round((a["start"] + step - onset) / pd.Timedelta("1min")),
                   signal=a["signal"], signals=list(a["signals"]))
    return out


@contextmanager
def _settings(name: str):
    """Candidate settings of the onset study (``shipped`` = the package's defaults)."""
    from listening.threats import registry

    saved = {k: getattr(registry, k) for k in ("BURST_MIN_RATIO", "BURST_VOLUME_SCORE", "scan_windows")}
    spec = None
    try:
        if name == "no_term_burst":
            spec = registry.unregister_signal("term_burst")
        elif name == "no_window_scan":
            registry.scan_windows = lambda freq: (1,)
        elif name == "burst_ratio_3":
            registry.BURST_MIN_RATIO = 3.0
        elif name == "burst_gate_1":
            registry.BURST_VOLUME_SCORE = 1.0
        yield
    finally:
        for k, v in saved.items():
            setattr(registry, k, v)
        if spec is not None:
            registry.register_signal(spec)


# "shipped" first: on a tie it is kept.
SETTINGS = ("shipped", "no_term_burst", "no_window_scan", "burst_ratio_3", "burst_gate_1")


def _study(events: dict, labelled: pd.DataFrame, names: list[str], setting: str) -> dict:
    rows = []
    with _settings(setting):
        for name in names:
            frame, onset, peak, pool = events[name]
            mixed = _with_background(frame, onset, peak, pool, seed=len(name))
            for variant, f in (("alone", frame), ("with_background", mixed)):
                for freq in FREQS:
                    rows.append({"event": name, "variant": variant, "freq": freq,
                                 "onset": onset.isoformat(), **_delay(f, onset, freq)})
        off = _off_topic(labelled, names, seed=1)
        days = (off["timestamp"].max() - off["timestamp"].min()) / pd.Timedelta("1D")
        off_rate = {freq: round(len(detect_threats(off, freq=freq, by=("all",), max_alerts=None)) / days, 3)
                    for freq in FREQS}
    return {"setting": setting, "rows": rows, "off_topic_alerts_per_day": off_rate,
            "off_topic_tweets": len(off), "summary": _summarise(rows, off_rate)}


def _summarise(rows: list[dict], off_rate: dict) -> dict:
    out = {}
    for variant in ("alone", "with_background"):
        for freq in FREQS:
            sel = [r for r in rows if r["variant"] == variant and r["freq"] == freq]
            d = [r["delay_min"] for r in sel]
            missed = [r["event"] for r in sel if r["delay_min"] is None or r["delay_min"] > TARGET_MINUTES[freq]]
            out[f"{variant}/{freq}"] = {
                "events": len(sel), "over_target": len(missed), "over_target_events": missed,
                "median_delay_min": float(np.median([x for x in d if x is not None])) if any(
                    x is not None for x in d) else None,
                "max_delay_min": max((x for x in d if x is not None), default=None),
                "no_alert": sum(x is None for x in d),
                "alerts_before_onset": sum(r["alerts_before_onset"] for r in sel),
                "events_with_2plus_before_onset": sum(r["alerts_before_onset"] >= 2 for r in sel)}
    out["cost"] = (sum(v["over_target"] for k, v in out.items() if k != "cost")
                   + sum(v["events_with_2plus_before_onset"] for k, v in out.items() if k != "cost")
                   + sum(max(0.0, r - 1.0) * 10 for r in off_rate.values()))
    return out


def _median_sum(summary: dict) -> float:
    return sum(v["median_delay_min"] or 0.0 for k, v in summary.items() if k != "cost")


def crisis_eval(settings: tuple[str, ...] = SETTINGS) -> dict:
    """Onset delays, leave-events-out: settings are chosen on the TUNING events (every other
    event in name order, from the first) and reported on the others."""
    if not DATA.is_dir():
        return {"error": f"{DATA} not found"}
    labelled = pd.read_csv(DATA / "_derived" / "crisislext26_labeled_with_timestamps.csv",
                           dtype={"tweet_id": str})
    labelled["timestamp"] = pd.to_datetime(labelled["created_at_utc"], utc=True)
    events = {}
    for event_dir in sorted(p for p in DATA.iterdir() if p.is_dir() and not p.name.startswith("_")):
        frame = _event_frame(event_dir, labelled[labelled["event"] == event_dir.name])
        if frame is None:
            continue
        onset, peak = _onset(frame)
        pool = labelled[labelled["event"] != event_dir.name][["timestamp", "text"]]
        events[event_dir.name] = (frame, onset, peak, pool)
    names = sorted(events)
    tuning, reporting = names[0::2], names[1::2]
    tuned = {}
    for setting in settings:
        tuned[setting] = _study(events, labelled, tuning, setting)
        print(f"tuning {setting}: cost {tuned[setting]['summary']['cost']}", flush=True)
    # Fewest misses (events over target, events with 2+ alerts before onset, off-topic streams
    # over 1 alert/day), then the shortest median delays, then the order of SETTINGS.
    best = min(settings, key=lambda k: (tuned[k]["summary"]["cost"], _median_sum(tuned[k]["summary"]),
                                        settings.index(k)))
    report = _study(events, labelled, reporting, best)
    out = {"tuning_events": tuning, "reporting_events": reporting, "chosen": best,
           "chosen_is_shipped_default": best == "shipped", "tuning": tuned, "report": report}
    if best != "shipped":
        out["report_shipped"] = _study(events, labelled, reporting, "shipped")
    return out


def _cpu_run(tree: Path, n: int) -> dict:
    code = ("import json, time, sys\n"
            "from listening.demo import generate\nfrom listening.threats import detect_threats\n"
            f"frame, _ = generate(n_mentions={n}, days={DAYS}, seed=0)\n"
            "detect_threats(frame)\nout = {}\n"
            "for label, kw in (('batch', {}), ('online_24h', {'since': '24h'})):\n"
            "    cpu, wall = [], []\n"
            "    for _ in range(3):\n"
            "        t0, w0 = time.process_time(), time.perf_counter(); a = detect_threats(frame, **kw)\n"
            "        cpu.append(time.process_time() - t0); wall.append(time.perf_counter() - w0)\n"
            "    out[label] = {'cpu_s': round(min(cpu), 2), 'wall_s': round(min(wall), 2), 'alerts': len(a)}\n"
            "print(json.dumps(out))\n")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def speed(main_tree: Path | None = None) -> dict:
    """Seconds on 1,000,000 demo mentions, this tree and (same run) the main checkout's code:
    CPU seconds of the process (less sensitive to other jobs on a shared machine) and wall."""
    main_tree = main_tree or ROOT.parent / "main"
    out = {"n_mentions": 1_000_000, "cpus": os.cpu_count(), "load_average_1min": round(os.getloadavg()[0], 1)}
    out["this_tree"] = _cpu_run(ROOT, 1_000_000)
    if (main_tree / "listening").is_dir() and main_tree.resolve() != ROOT.resolve():
        out["main"] = _cpu_run(main_tree, 1_000_000)
        out["ratio_cpu"] = {k: round(out["this_tree"][k]["cpu_s"] / max(out["main"][k]["cpu_s"], 1e-9), 2)
                            for k in ("batch", "online_24h")}
    out["batch_28_days_seconds"] = out["this_tree"]["batch"]["wall_s"]
    out["online_since_24h_seconds"] = out["this_tree"]["online_24h"]["wall_s"]
    return out


def _crisis_markdown(c: dict) -> list[str]:
    lines = ["", "## (b) CrisisLexT26 onsets (real tweets), leave-events-out", ""]
    if "error" in c:
        return lines + [c["error"]]
    method = ("Onset: the first tweet at which the trailing hour holds 20% of the event's busiest hour. "
              "Delay: from the onset to the end of the first alerting bin (negative: an alert already "
              "open). `alone`: the event's collection (volume of every collected tweet, text for the "
              "labelled ones); `with_background`: its tweets from 4 days before to 2 days after the onset "
              "inside a steady stream of other events' tweets at 20% of its busiest hour per hour (demo "
              "hour-of-day rhythm). Off-topic: 'Not related'/'Not applicable' tweets of the split's "
              f"events over {OFF_TOPIC_DAYS} days, at their own time of day.")
    split = (f"Settings chosen on the **tuning events** ({', '.join(c['tuning_events'])}) and reported "
             f"on the **reporting events** ({', '.join(c['reporting_events'])}). Chosen: `{c['chosen']}` "
             f"({'the package defaults' if c['chosen_is_shipped_default'] else 'NOT the package defaults'}).")
    header = ("| split | setting | stream | bins | events over target | median / max delay (min) | "
              "alerts before onset (events with 2+) | off-topic alerts/day |")
    lines += [method, "", split, "", header, "|---|---|---|---|---|---|---|---|"]
    studies = [("tuning", k, v) for k, v in c["tuning"].items()] + [("reporting", c["chosen"], c["report"])]
    if "report_shipped" in c:
        studies.append(("reporting", "shipped", c["report_shipped"]))
    for split, name, st in studies:
        for key, v in st["summary"].items():
            if key == "cost":
                continue
            variant, freq = key.split("/")
            over = f"{v['over_target']}/{v['events']} (target <= {TARGET_MINUTES[freq]} min)"
            if v["over_target_events"]:
                over += ": " + ", ".join(e.split("_", 1)[1] for e in v["over_target_events"])
            lines.append(f"| {split} | {name} | {variant} | {freq} | {over} | {v['median_delay_min']} / "
                         f"{v['max_delay_min']} | {v['alerts_before_onset']} ({v['events_with_2plus_before_onset']}) | "
                         f"{st['off_topic_alerts_per_day'][freq]} |")
    lines += ["", "Reporting events, chosen setting:", "",
              "| event | stream | bins | onset (UTC) | delay (min) | alerts before onset | first signal |",
              "|---|---|---|---|---|---|---|"]
    for r in c["report"]["rows"]:
        lines.append(f"| {r['event']} | {r['variant']} | {r['freq']} | {r['onset'][:16]} | {r['delay_min']} | "
                     f"{r['alerts_before_onset']} | {r['signal']} |")
    return lines


def _markdown(res: dict) -> str:
    s = res["demo"]["summary"]
    lines = ["# Emerging-threat detection: evaluation", "",
             "Measured by `benchmarks/threats_eval.py` (default settings of `detect_threats`, "
             "per-run cap off when counting false alerts).", "",
             "## (a) Demo streams with injected incidents", "",
             f"{s['seeds']} seeds x {s['n_mentions']:,} mentions over {s['days']} days, segments "
             "all/platform/language (no sentiment or topics unless stated).", "",
             "| measure | value | target |", "|---|---|---|",
             f"| incidents detected | {s['detected']}/{s['incidents']} (recall {s['recall']}) | all |",
             f"| detected within 2 bins of onset | {s['within_2_bins']}/{s['incidents']} | all |",
             f"| delay onset -> end of first alerting bin (median / max, bins) | "
             f"{s['median_delay_bins']} / {s['max_delay_bins']} | <= 2 |",
             f"| false segment-episodes per 7 days per segment, incident-free streams | "
             f"{s['incident_free_false_per_week_per_segment']} | <= 1 |",
             f"| false alerts (rows, after folding) per 7 days, incident-free streams | "
             f"{s['incident_free_false_alerts_per_week']} | |",
             f"| false segment-episodes per 7 days per segment, outside incident windows | "
             f"{s['outside_incidents_false_per_week_per_segment']} | <= 1 |",
             f"| worst stream: false per 7 days per segment | "
             f"{s['max_false_per_segment_per_week_any_stream']} | <= 1 |",
             f"| alerts per day, incident-free streams, 1-hour / 15-minute bins | "
             f"{s['incident_free_alerts_per_day_1h']} / {s['incident_free_alerts_per_day_15min']} | <= 1 |", "",
             "| stream | incident | detected | delay (bins) | signal | severity | why |",
             "|---|---|---|---|---|---|---|"]
    for stream in res["demo"]["with_incidents"] + res["demo"]["with_sentiment"]:
        for r in stream["incidents"]:
            lines.append(f"| {r['stream']} | {r['incident']} | {r['detected']} | {r.get('delay_bins')} | "
                         f"{r.get('signal', '')} | {r.get('severity', '')} | "
                         f"{str(r.get('why', '')).replace('|', '/')} |")
    if res["demo"]["with_sentiment"]:
        lines += ["", "With `score_sentiment` (seeds 0-1): false alerts outside incidents per stream: "
                  + ", ".join(str(s["false_alerts"]) for s in res["demo"]["with_sentiment"]) + "."]
    examples = [e for st in res["demo"]["incident_free"] for e in st["false_examples"]]
    if examples:
        lines += ["", "False alerts on incident-free streams (all of them, up to 5 per stream):", ""]
        lines += [f"- {e}" for e in examples]
    lines += _crisis_markdown(res["crisis"])
    if "speed" in res:
        sp = res["speed"]
        lines += ["", "## (c) Speed", "",
                  f"{sp['n_mentions']:,} demo mentions over {DAYS} days, {sp['cpus']} cores shared (load "
                  f"average {sp['load_average_1min']}), best of 3, CPU seconds of the process (wall in "
                  "brackets); the main checkout's code measured in the same run.", "",
                  "| run | this tree | main | ratio (CPU) |", "|---|---|---|---|"]
        for k, label in (("batch", "batch, 28 days"), ("online_24h", 'online, `since="24h"`')):
            mine, main = sp["this_tree"][k], sp.get("main", {}).get(k)
            lines.append(f"| {label} | {mine['cpu_s']} s ({mine['wall_s']} s) | "
                         + (f"{main['cpu_s']} s ({main['wall_s']} s) | {sp['ratio_cpu'][k]} |" if main else "n/a | |"))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    res = {"demo": demo_eval(args.seeds), "crisis": crisis_eval()}
    if not args.skip_speed:
        res["speed"] = speed()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "threats.json").write_text(json.dumps(res, indent=2, default=str), encoding="utf-8")
    (RESULTS / "threats.md").write_text(_markdown(res), encoding="utf-8")
    print(json.dumps(res["demo"]["summary"], indent=2))
    print("\n".join(_crisis_markdown(res["crisis"])))
    print(json.dumps(res.get("speed"), indent=2))


if __name__ == "__main__":
    main()
