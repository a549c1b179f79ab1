"""Same input, same alerts: the pipeline gives the same topics and alerts whatever
Python's hash seed (string hashing, hence set and dict iteration order of strings).

The pipeline (demo stream -> score_sentiment -> fit_topics("auto") -> detect_threats)
runs in two subprocesses, under PYTHONHASHSEED=0 and 2, and every column of the
alerts and every topic assignment must agree.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
N_MENTIONS = 40_000

PIPELINE = """
import pickle, sys
import listening as ls
frame, _ = ls.demo.generate(n_mentions={n}, seed=3)
frame = ls.score_sentiment(frame)
model = ls.fit_topics(frame, n_topics="auto", seed=0)
frame = model.assign(frame)
alerts = ls.detect_threats(frame, max_alerts=None)
with open(sys.argv[1], "wb") as f:
    pickle.dump({{"alerts": alerts, "topics": frame[["mention_id", "topic", "topic_label"]]}}, f)
"""


def _start(seed: str, out: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONHASHSEED": seed,
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-c", PIPELINE.format(n=N_MENTIONS), str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _result(proc: subprocess.Popen, out: Path) -> dict:
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    with open(out, "rb") as f:
        return pickle.load(f)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> tuple[dict, dict]:
    tmp = tmp_path_factory.mktemp("hashseed")
    outs = [tmp / "seed0.pkl", tmp / "seed2.pkl"]
    procs = [_start("0", outs[0]), _start("2", outs[1])]  # side by side: two cores
    try:
        return _result(procs[0], outs[0]), _result(procs[1], outs[1])
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_topics_do_not_depend_on_the_hash_seed(two_runs):
    a, b = two_runs
    pd.testing.assert_frame_equal(a["topics"].reset_index(drop=True), b["topics"].reset_index(drop=True))


def test_alerts_do_not_depend_on_the_hash_seed(two_runs):
    a, b = two_runs
    assert len(a["alerts"]) > 0, "the stream should raise alerts, else this test proves nothing"
    pd.testing.assert_frame_equal(a["alerts"].reset_index(drop=True), b["alerts"].reset_index(drop=True))
