"""Evaluation of ``listening.response_queue``: precision at 50, recall, queue size.

(a) Demo streams (20,000 mentions over 28 days) against ``ls.demo.needs_reply``: the
    cue lists (``listening/resources/responses/cues.yaml``) were designed looking at
    seeds 0, 1 and 2 (:data:`DESIGN_SEEDS`); the figures reported are on seeds
    100-109 (:data:`REPORT_SEEDS`), printed next to the design seeds'. Targets: queue
    <= 10% of mentions, precision@50 >= 0.8. Caveat, said in the output too: a new
    seed draws new places, authors, times and mixes, but from the same templates, so
    it measures the queue's exclusions and ranking more than its reading of words.
(b) Hand-written phrasing, labelled with the demo's policy: set 1
    (``responses_phrasing_design.yaml``) was the first cue lists' held-out test
    (precision 0.81, recall 0.35 at commit 340e635) and then used to revise them, so
    it is design data now; set 2 (``responses_phrasing_heldout.yaml``) was written
    after the revised lists were frozen (commit 56d8cd2): the held-out figure.
(c) CrisisLexT26 (real tweets from 26 crises, ../shared/data): no "needs a reply"
    labels exist there, so this only shows what the queue picks from real text: its
    share, and the informativeness, source and type of what it queues against the
    base rates (does it favour eyewitness reports, avoid media and government posts?).

Run: ``.venv/bin/python benchmarks/responses.py [--seeds 10] [--speed]``.
Writes benchmarks/results/responses.json and responses.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from listening.demo import generate, needs_reply  # noqa: E402
from listening.responses import KINDS, response_queue  # noqa: E402
from listening.schema import coerce  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
PHRASING = {"design": ROOT / "benchmarks" / "responses_phrasing_design.yaml",
            "heldout": ROOT / "benchmarks" / "responses_phrasing_heldout.yaml"}
CRISIS = ROOT.parent / "shared" / "data" / "crisislext26" / "_derived" / \
    "crisislext26_labeled_with_timestamps.csv"
N_MENTIONS = 20_000
DAYS = 28
DESIGN_SEEDS = (0, 1, 2)
REPORT_SEEDS = tuple(range(100, 110))
TOP = 50
TARGET_SHARE = 0.10
TARGET_PRECISION_AT_50 = 0.8


def _stream_figures(seed: int) -> dict:
    frame, _ = generate(n_mentions=N_MENTIONS, days=DAYS, seed=seed)
    truth = needs_reply(n_mentions=N_MENTIONS, days=DAYS, seed=seed)
    reason = dict(zip(truth["mention_id"], truth["reason"]))
    queue = response_queue(frame)
    ok = queue["mention_id"].isin(reason).to_numpy()
    top = queue.head(TOP)
    agree = [reason[m] == k for m, k in zip(queue["mention_id"], queue["kind"]) if m in reason]
    misinfo = np.flatnonzero(queue["kind"].to_numpy() == "misinformation")
    recall_by = {r: float(np.mean([m in set(queue["mention_id"]) for m in truth.loc[
        truth["reason"] == r, "mention_id"]])) for r in KINDS if (truth["reason"] == r).any()}
    return {"seed": seed, "mentions": len(frame), "need_reply": len(truth),
            "queue": len(queue), "queue_share": len(queue) / len(frame),
            "precision_at_50": float(ok[:TOP].mean()) if len(top) else 0.0,
            "precision": float(ok.mean()) if len(queue) else 0.0,
            "recall": float(ok.sum() / max(len(truth), 1)),
            "kind_agrees": float(np.mean(agree)) if agree else 0.0,
            "first_misinformation_rank": int(misinfo[0] + 1) if misinfo.size else None,
            "top50_kinds": top["kind"].value_counts().to_dict(),
            "recall_by_reason": recall_by}


def _summary(rows: list[dict]) -> dict:
    keys = ("queue_share", "precision_at_50", "precision", "recall", "kind_agrees")
    out = {k: {"mean": round(float(np.mean([r[k] for r in rows])), 4),
               "min": round(float(np.min([r[k] for r in rows])), 4)} for k in keys}
    out["queue_share"]["max"] = round(float(np.max([r["queue_share"] for r in rows])), 4)
    out["seeds"] = [r["seed"] for r in rows]
    out["first_misinformation_rank_max"] = max(r["first_misinformation_rank"] or 10**9
                                               for r in rows)
    return out


def demo_eval(n_seeds: int) -> dict:
    design = [_stream_figures(s) for s in DESIGN_SEEDS]
    report = [_stream_figures(s) for s in REPORT_SEEDS[:n_seeds]]
    return {"design": {"rows": design, "summary": _summary(design)},
            "report": {"rows": report, "summary": _summary(report)}}


def phrasing_eval(path: Path) -> dict:
    posts = yaml.safe_load(path.read_text(encoding="utf-8"))["posts"]
    t0 = pd.Timestamp("2026-11-20T12:00Z")
    frame = coerce(pd.DataFrame({
        "mention_id": [f"u{i}" for i in range(len(posts))],
        "timestamp": [t0 - pd.Timedelta(minutes=i) for i in range(len(posts))],
        "platform": "x", "author": [p.get("author", f"@person{i}") for i, p in enumerate(posts)],
        "text": [p["text"] for p in posts], "reach": 100, "source": f"{path.name}#1"}))
    label = {f"u{i}": p.get("reply") for i, p in enumerate(posts)}
    queue = response_queue(frame)
    queued = set(queue["mention_id"])
    need = {m for m, r in label.items() if r}
    tp = queued & need
    by_reason = {}
    for reason in KINDS:
        ids = {m for m, r in label.items() if r == reason}
        by_reason[reason] = {"posts": len(ids), "queued": len(ids & queued),
                             "recall": round(len(ids & queued) / max(len(ids), 1), 3)}
    kinds = dict(zip(queue["mention_id"], queue["kind"]))
    return {"posts": len(posts), "need_reply": len(need), "queued": len(queued),
            "precision": round(len(tp) / max(len(queued), 1), 3),
            "recall": round(len(tp) / max(len(need), 1), 3),
            "kind_agrees": round(float(np.mean([kinds[m] == label[m] for m in tp])), 3)
            if tp else None,
            "by_reason": by_reason,
            "false_positives": [posts[int(m[1:])]["text"] for m in sorted(
                queued - need, key=lambda m: int(m[1:]))],
            "missed": [f"{label[m]}: {posts[int(m[1:])]['text']}" for m in sorted(
                need - queued, key=lambda m: int(m[1:]))]}


def crisis_eval() -> dict:
    if not CRISIS.exists():
        return {"skipped": f"{CRISIS} not found"}
    raw = pd.read_csv(CRISIS, dtype={"tweet_id": str})
    frame = coerce(pd.DataFrame({
        "mention_id": raw["tweet_id"], "timestamp": pd.to_datetime(raw["created_at_utc"], utc=True),
        "platform": "x", "text": raw["text"].fillna(""), "source": "crisislext26#" +
        raw.index.astype(str)}))
    queue = response_queue(frame)
    queued = raw.set_index("tweet_id").loc[queue["mention_id"]]
    queued = queued.assign(kind=queue["kind"].to_numpy())

    def shares(col: str, part: pd.DataFrame) -> dict:
        return {k: round(float(v), 3) for k, v in part[col].value_counts(normalize=True).items()}

    institutional = raw["info_source"].isin(["Media", "Government"])
    return {
        "tweets": len(raw), "queued": len(queue), "queue_share": round(len(queue) / len(raw), 4),
        "informative_base": round(float((raw["informativeness"] ==
                                         "Related and informative").mean()), 3),
        "informative_queued": round(float((queued["informativeness"] ==
                                           "Related and informative").mean()), 3),
        "media_or_government_base": round(float(institutional.mean()), 3),
        "media_or_government_queued": round(float(queued["info_source"].isin(
            ["Media", "Government"]).mean()), 3),
        "eyewitness_base": round(float((raw["info_source"] == "Eyewitness").mean()), 3),
        "eyewitness_queued": round(float((queued["info_source"] == "Eyewitness").mean()), 3),
        "kinds": queued["kind"].value_counts().to_dict(),
        "info_type_queued": shares("info_type", queued),
        "info_type_base": shares("info_type", raw),
        "safety_kind_info_type": shares("info_type", queued[queued["kind"] == "safety"]),
        "examples": {k: queued.loc[queued["kind"] == k, "text"].head(3).tolist() for k in KINDS},
    }


def speed() -> dict:
    frame, _ = generate(n_mentions=1_000_000, days=DAYS, seed=0)
    best = []
    for _ in range(2):
        start = time.perf_counter()
        queue = response_queue(frame)
        best.append(time.perf_counter() - start)
    return {"mentions": len(frame), "queued": len(queue), "seconds_best_of_2": round(min(best), 2)}


def _markdown(res: dict) -> str:
    d, r = res["demo"]["design"]["summary"], res["demo"]["report"]["summary"]
    lines = ["# Response queue: evaluation", "",
             "Measured by `benchmarks/responses.py` (`ls.response_queue` with its defaults).", "",
             f"## (a) Demo streams against `ls.demo.needs_reply` ({N_MENTIONS:,} mentions, "
             f"{DAYS} days)", "",
             f"Cue lists designed on seeds {', '.join(map(str, DESIGN_SEEDS))}; reported on "
             f"seeds {r['seeds'][0]}-{r['seeds'][-1]}.", "",
             "| measure | report seeds (mean / worst) | design seeds (mean) | target |",
             "|---|---|---|---|",
             f"| queue share of mentions | {r['queue_share']['mean']:.1%} / "
             f"{r['queue_share']['max']:.1%} | {d['queue_share']['mean']:.1%} | <= 10% |",
             f"| precision@50 | {r['precision_at_50']['mean']:.2f} / "
             f"{r['precision_at_50']['min']:.2f} | {d['precision_at_50']['mean']:.2f} | >= 0.8 |",
             f"| precision (whole queue) | {r['precision']['mean']:.3f} / "
             f"{r['precision']['min']:.3f} | {d['precision']['mean']:.3f} | |",
             f"| recall | {r['recall']['mean']:.3f} / {r['recall']['min']:.3f} | "
             f"{d['recall']['mean']:.3f} | |",
             f"| queue kind = truth reason (true positives) | {r['kind_agrees']['mean']:.3f} | "
             f"{d['kind_agrees']['mean']:.3f} | |",
             f"| worst rank of the first misinformation post | "
             f"{r['first_misinformation_rank_max']} | {d['first_misinformation_rank_max']} | |",
             "",
             "Caveat: a new seed draws new places, authors, times and mixes from the same "
             "templates, so (a) tests the exclusions (news, institutions, retweets) and the "
             "ranking more than the reading of words; (b) and (c) test the words.", "",
             "## (b) Hand-written phrasing", "",
             "Set 2 (`responses_phrasing_heldout.yaml`) was written after the cue lists were "
             "frozen and never used to change them: the held-out figure. Set 1 "
             "(`responses_phrasing_design.yaml`) was the first lists' held-out test "
             "(precision 0.81, recall 0.35) and then used to revise them.", "",
             "| set | posts | need a reply | queued | precision | recall | kind agrees |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name in ("heldout", "design"):
        u = res["phrasing"][name]
        lines.append(f"| {name} | {u['posts']} | {u['need_reply']} | {u['queued']} | "
                     f"{u['precision']:.2f} | {u['recall']:.2f} | {u['kind_agrees']} |")
    u = res["phrasing"]["heldout"]
    lines += ["", "Held-out set by reason:", "", "| reason | posts | queued | recall |",
              "|---|---:|---:|---:|"]
    lines += [f"| {k} | {v['posts']} | {v['queued']} | {v['recall']:.2f} |"
              for k, v in u["by_reason"].items()]
    lines += ["", "Held-out posts queued but needing no reply:",
              *([f"- {t}" for t in u["false_positives"]] or ["- (none)"]),
              "", "Held-out posts missed:", *([f"- {t}" for t in u["missed"]] or ["- (none)"]),
              ""]
    c = res["crisis"]
    lines += ["## (c) CrisisLexT26 (real crisis tweets; no reply labels exist)", ""]
    if "skipped" in c:
        lines += [c["skipped"], ""]
    else:
        lines += [f"{c['queued']:,} of {c['tweets']:,} tweets queued ({c['queue_share']:.1%}).",
                  "", "| share of | all tweets | queued |", "|---|---:|---:|",
                  f"| 'Related and informative' | {c['informative_base']:.1%} | "
                  f"{c['informative_queued']:.1%} |",
                  f"| source Media or Government | {c['media_or_government_base']:.1%} | "
                  f"{c['media_or_government_queued']:.1%} |",
                  f"| source Eyewitness | {c['eyewitness_base']:.1%} | "
                  f"{c['eyewitness_queued']:.1%} |", "",
                  f"Kinds queued: {c['kinds']}.", ""]
    if "speed" in res:
        s = res["speed"]
        lines += ["## Speed", "", f"{s['mentions']:,} demo mentions: {s['seconds_best_of_2']} s "
                  f"(best of 2), {s['queued']:,} queued.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=len(REPORT_SEEDS),
                        help=f"how many of the report seeds to run (at most {len(REPORT_SEEDS)})")
    parser.add_argument("--speed", action="store_true", help="also time 1,000,000 mentions")
    args = parser.parse_args()
    res = {"demo": demo_eval(args.seeds),
           "phrasing": {name: phrasing_eval(path) for name, path in PHRASING.items()},
           "crisis": crisis_eval()}
    if args.speed:
        res["speed"] = speed()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "responses.json").write_text(json.dumps(res, indent=2, default=str),
                                            encoding="utf-8")
    (RESULTS / "responses.md").write_text(_markdown(res), encoding="utf-8")
    print(_markdown(res))


if __name__ == "__main__":
    main()
