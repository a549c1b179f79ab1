"""Speed of monitoring rules: 20 realistic rules over 1M mentions (target <= 5 s, 2 cores).

Two data sets:

* ``demo``: ``listening.demo.generate(n_mentions=1_000_000)`` (the issue's target);
  its template texts repeat a lot, which the index exploits (one entry per
  distinct text).
* ``real_distinct``: real crisis tweets from CrisisLexT26
  (../shared/data/crisislext26, 27,933 labelled tweets) resampled to the same
  size, each row made distinct with a handle and a link, so the tokenizer sees
  one million different texts (the worst case for the index build).

For each: index build (``TokenIndex.build``), then ``match_rules`` of the 20 rules
on that index, and the total; the best of ``--repeats`` runs of each phase.
Per-rule figures come from a separate pass (each rule alone, on an index whose
cached posting lists, vocabulary look-ups and field columns were dropped first).
Results: benchmarks/results/rules_speed.{json,md}.

Run: ``.venv/bin/python benchmarks/rules_speed.py [--n 1000000] [--repeats 2]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

import listening as ls
from listening.rules import Rule, TokenIndex, match_rules

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results"
TARGET_SECONDS = 5.0

# Twelve more rules an OPP-like social media unit runs daily, on top of the eight
# in data/rules/ (20 in all), in the style analysts paste from Brandwatch.
EXTRA_RULES = {
    "Impaired driving": '(impaired OR drunk OR ivre OR "facultés affaiblies" OR DUI) '
                        'NEAR/6 (driver* OR driving OR conducteur* OR conduite OR crash*)',
    "RIDE checks": '{RIDE} OR #RIDE OR "contrôle RIDE"',
    "Stunt driving": '"stunt driving" OR "street racing" OR "course de rue" '
                     'OR "grand excès de vitesse" OR speeding',
    "Winter roads": '(snow* OR icy OR whiteout OR neige OR enneig* OR verglas) '
                    'AND (highway* OR road* OR autoroute* OR route*)',
    "Property crime": '"break in*" OR cambriol* OR stolen OR volé* OR "broke into"',
    "French language service": '(français OR french OR francophone*) NEAR/5 '
                               '(service* OR détachement OR "pas normal" OR bilingual)',
    "Praise": '(thank* OR merci OR bravo OR "well done" OR kudos) AND (officer* OR police* '
              'OR OPP OR PPO OR policier* OR "search team" OR équipe)',
    "Response time": '("call back" OR waited OR attente OR "nobody cares" OR '
                     '"personne ne répond" OR "no one answered") AND NOT platform:news',
    "Water and trail safety": 'boat* OR "life jacket" OR snowmobile* OR motoneige* '
                              'OR "gilet de sauvetage" OR (ice NEAR/3 thin)',
    "Accountability": 'SIU OR UES OR accountab* OR transparen* OR bodycam* OR "body camera*"',
    "Official accounts": '@OPP_News OR @OPP_GTATraffic OR @OPP_CR OR author:OPP* OR site:opp.ca',
    "Speed enforcement": '("speed trap" OR radar OR "photo radar") AND NOT '
                         '("press release" OR communiqué) AND (lang:en OR lang:fr)',
}


def rules() -> list[Rule]:
    library = ls.load_rules(ROOT / "data" / "rules")
    extra = [Rule.parse(q, name=name) for name, q in EXTRA_RULES.items()]
    return library + extra


def demo_frame(n: int) -> pd.DataFrame:
    frame, _ = ls.demo.generate(n_mentions=n, seed=0)
    return frame


def real_frame(n: int) -> pd.DataFrame:
    path = SHARED_DATA / "crisislext26" / "_derived" / "crisislext26_labeled_with_timestamps.csv"
    tweets = pd.read_csv(path, usecols=["text"])["text"].dropna().to_numpy()
    rng = np.random.default_rng(0)
    pick = tweets[rng.integers(0, len(tweets), n)]
    handles = rng.integers(0, 200_000, n)
    text = [f"{t} @user{h} https://t.co/{i:x}" for i, (t, h) in enumerate(zip(pick, handles))]
    platforms = np.array(["x", "facebook", "news", "reddit", "instagram"])
    return pd.DataFrame({
        "text": pd.array(text, dtype="string"),
        "platform": pd.Categorical(platforms[rng.integers(0, 5, n)],
                                   categories=ls.schema.PLATFORMS),
        "language": pd.Categorical(np.where(rng.random(n) < 0.3, "fr", "en")),
        "author": pd.array([f"@user{h}" for h in handles], dtype="string"),
        "url": pd.array([f"https://x.com/user{h}/status/{i}" for i, h in enumerate(handles)],
                        dtype="string"),
        "country": pd.array(["CA"] * n, dtype="string"),
    })


def measure(frame: pd.DataFrame, rule_list: list[Rule], repeats: int) -> dict:
    builds, matches, totals = [], [], []
    for _ in range(repeats):
        start = time.perf_counter()
        index = TokenIndex.build(frame)
        built = time.perf_counter()
        out = match_rules(frame, rule_list, index=index)
        done = time.perf_counter()
        builds.append(built - start)
        matches.append(done - built)
        totals.append(done - start)
    per_rule = []
    for rule in rule_list:
        index.forget()                       # as if each rule met a fresh index
        start = time.perf_counter()
        hits = rule.match(frame, index=index)
        per_rule.append({"rule": rule.name, "hits": int(hits.sum()),
                         "seconds": round(time.perf_counter() - start, 4)})
    return {
        "rows": len(frame), "distinct_texts": index.n_texts, "tokens": int(index.occ_raw.size),
        "vocabulary": len(index.folded_vocab),
        "build_seconds": round(min(builds), 3), "match_20_rules_seconds": round(min(matches), 3),
        "total_seconds": round(min(totals), 3), "all_totals": [round(t, 3) for t in totals],
        "meets_target": min(totals) <= TARGET_SECONDS,
        "hits_per_rule": {r.column: int(out[r.column].sum()) for r in rule_list},
        "per_rule_first_pass": per_rule,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    rule_list = rules()
    assert len(rule_list) == 20, len(rule_list)
    results = {"n_rules": len(rule_list), "target_seconds": TARGET_SECONDS,
               "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                           "load_average_at_start": os.getloadavg()}}
    for name, make in (("demo", demo_frame), ("real_distinct", real_frame)):
        start = time.perf_counter()
        frame = make(args.n)
        print(f"{name}: {len(frame):,} rows generated in {time.perf_counter() - start:.1f}s")
        results[name] = measure(frame, rule_list, args.repeats)
        r = results[name]
        print(f"  build {r['build_seconds']}s + 20 rules {r['match_20_rules_seconds']}s = "
              f"{r['total_seconds']}s (distinct texts {r['distinct_texts']:,}, "
              f"tokens {r['tokens']:,})")
        del frame
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "rules_speed.json").write_text(json.dumps(results, indent=2, default=str))
    (RESULTS / "rules_speed.md").write_text(report(results, args.n))
    print(f"wrote {RESULTS / 'rules_speed.md'}")


def report(results: dict, n: int) -> str:
    load = tuple(round(x, 2) for x in results["machine"]["load_average_at_start"])
    intro = (f"Target: index build + matching <= {TARGET_SECONDS:.0f} s on 2 cores. "
             f"Machine: {results['machine']['cpus']} CPUs, load average at start {load} "
             "(shared with other jobs). Best of the repeats.")
    lines = [f"# Rules speed: {results['n_rules']} rules over {n:,} mentions", "", intro, "",
             ("| data | rows | distinct texts | tokens | build s | 20 rules s | total s "
              "| target met |"),
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for name in ("demo", "real_distinct"):
        r = results[name]
        lines.append(f"| {name} | {r['rows']:,} | {r['distinct_texts']:,} | {r['tokens']:,} | "
                     f"{r['build_seconds']} | {r['match_20_rules_seconds']} | "
                     f"{r['total_seconds']} | {'yes' if r['meets_target'] else 'no'} |")
    for name in ("demo", "real_distinct"):
        lines += ["", f"## Per rule, alone, with the index caches emptied ({name})", "",
                  "| rule | hits | seconds |", "|---|---:|---:|"]
        lines += [f"| {p['rule']} | {p['hits']:,} | {p['seconds']} |"
                  for p in results[name]["per_rule_first_pass"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
