"""CPU instructions to score unique tweets: our rules engine against vaderSentiment.

Run: ``.venv/bin/python benchmarks/sentiment_instructions.py [--n 5000]`` (needs
valgrind; about three minutes). Writes ``benchmarks/results/sentiment_instructions.{json,md}``.

Wall-clock speed on a shared VM swings by up to 40% between runs of the same code
(``sentiment_speed.py`` takes the fastest of several). ``valgrind --tool=callgrind``
counts instructions instead, the same on every run, so this ratio is the steady one.
It is not a time: numpy's vectorised loops do more per instruction than Python's,
so the wall-clock ratio is lower.

Each side runs in its own process twice under callgrind: once set up only
(imports, lexicons, a warm-up) and once set up and scoring the texts; the
difference is the scoring. Ours is a cold engine (empty token memo), as in the
"unique tweets, cold engine" row of ``sentiment_speed.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
# One side's work, run in a child process: "setup" stops before scoring.
CHILD = r"""
import sys
sys.path.insert(0, {here!r})
from sentiment_speed import corpus
texts = corpus()[:{n}]
side, score = sys.argv[1], sys.argv[2] == "score"
if side == "ours":
    from listening.sentiment.vader import VaderEngine
    VaderEngine("en", social_tokens=True).features(texts[:10])  # lexicon parsed, caches warm
    engine = VaderEngine("en", social_tokens=True)
    if score:
        engine.features(texts)
else:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    analyzer = SentimentIntensityAnalyzer()
    if score:
        [analyzer.polarity_scores(t) for t in texts]
"""


def instructions(code: str, side: str, stage: str) -> int:
    run = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                          sys.executable, "-c", code, side, stage],
                         capture_output=True, text=True, check=True)
    match = re.search(r"Collected\s*:\s*(\d+)", run.stderr)
    if not match:
        raise RuntimeError(f"callgrind printed no instruction count for {side}/{stage}")
    return int(match.group(1))


def main() -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="unique tweets to score")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("skipped: valgrind is not installed (Debian: apt-get install valgrind)")
        return None
    code = CHILD.format(here=str(HERE), n=args.n)
    counts = {side: {stage: instructions(code, side, stage) for stage in ("setup", "score")}
              for side in ("ours", "vaderSentiment")}
    work = {side: c["score"] - c["setup"] for side, c in counts.items()}
    results = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "n_texts": args.n,
               "instructions": counts, "scoring_instructions": work,
               "ratio_vaderSentiment_to_ours": round(work["vaderSentiment"] / work["ours"], 2)}
    md = "\n".join([
        "# Sentiment: CPU instructions on unique tweets", "",
        f"Measured {results['date']} by `benchmarks/sentiment_instructions.py --n {args.n}` "
        "(valgrind callgrind; setup subtracted, see the docstring).", "",
        "| side | instructions to score | per tweet |", "|---|---|---|",
        *(f"| {side} | {w:,} | {w / args.n:,.0f} |" for side, w in work.items()), "",
        f"vaderSentiment ÷ ours: **{results['ratio_vaderSentiment_to_ours']}×** "
        "(instructions, not time).", ""])
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "sentiment_instructions.json").write_text(json.dumps(results, indent=2) + "\n",
                                                         encoding="utf-8")
    (RESULTS / "sentiment_instructions.md").write_text(md, encoding="utf-8")
    print(md)
    return results


if __name__ == "__main__":
    main()
