"""The store across processes: an import killed with SIGKILL, and two writers at once.

Each test runs the writer in a child process (``python -c``) so that it can be
killed for real; the parent then reopens the store and checks that the import
is there entirely or not at all, and that running it again completes it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from listening.errors import StoreLockedError
from listening.schema import coerce
from listening.store import open_store

N_BIG = 300_000  # large enough that the add takes a good fraction of a second
N_BASE = 1_000

CHILD = r"""
import sys, time
import pandas as pd
import listening.store as st
from listening.store import audit, facade

path, parquet, mode = sys.argv[1:4]
frame = pd.read_parquet(parquet)
if mode == "inside":
    # Stop inside the transaction, after the mentions are inserted, until killed.
    def stall(*args, **kwargs):
        print("INSIDE", flush=True)
        time.sleep(120)
    audit.insert_import_row = stall
store = st.open_store(path)
if mode == "checkpoint":
    # Announce the CHECKPOINT that follows the import's COMMIT.
    run, committed = facade.run, []
    def announce(con, sql, params=None):
        if sql == "COMMIT":
            committed.append(True)
        elif sql == "CHECKPOINT" and committed:
            print("CHECKPOINT", flush=True)
        return run(con, sql, params)
    facade.run = announce
print("ADDING", flush=True)
result = store.add(frame)
print("DONE", result.loaded, flush=True)
store.close()
"""

HOLDER = r"""
import sys
import pandas as pd
import listening.store as st

store = st.open_store(sys.argv[1])
store.add(pd.read_parquet(sys.argv[2]))  # takes a backup first: the lock must survive it
print("OPEN", flush=True)
sys.stdin.readline()
store.close()
print("CLOSED", flush=True)
"""


def big_frame(n: int, *, prefix: str) -> pd.DataFrame:
    """``n`` valid mentions built with vectorised numpy (the demo generator is slower)."""
    rng = np.random.default_rng(7)
    i = np.arange(n)
    ids = np.char.add(prefix, i.astype(str))
    words = np.array(["highway", "closure", "collision", "police", "scam", "route", "fermée",
                      "incendie", "evacuation", "Kingston", "🚧", "#ONroads"])
    text = np.char.add(np.char.add(words[rng.integers(0, 12, n)], " "),
                       np.char.add(words[rng.integers(0, 12, n)], i.astype(str)))
    return coerce(pd.DataFrame({
        "mention_id": ids,
        "timestamp": pd.Timestamp("2026-10-01", tz="UTC")
        + pd.to_timedelta(rng.integers(0, 28 * 86_400, n), unit="s"),
        "platform": np.array(["x", "facebook", "reddit", "news"])[i % 4],
        "author": np.char.add("@user", (i % 5000).astype(str)),
        "text": text,
        "language": np.where(i % 3 == 0, "fr", "en"),
        "likes": rng.integers(0, 1000, n),
        "reach": rng.integers(0, 100_000, n),
        "source": np.char.add("big.csv#", (i + 2).astype(str)),
    }))


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    folder = tmp_path_factory.mktemp("frames")
    big, base = big_frame(N_BIG, prefix="big"), big_frame(N_BASE, prefix="base")
    big.to_parquet(folder / "big.parquet")
    base.to_parquet(folder / "base.parquet")
    return folder / "big.parquet", folder / "base.parquet", big


def _child(script: str, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", script, *map(str, args)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for(proc: subprocess.Popen, marker: str) -> list[str]:
    seen = []
    while True:
        line = proc.stdout.readline()
        if not line:
            proc.wait(timeout=30)
            pytest.fail(f"child exited before {marker!r}: {seen} {proc.stderr.read()}")
        seen.append(line.strip())
        if line.startswith(marker):
            return seen


@pytest.mark.parametrize("mode, delay, outcome", [
    ("inside", 0.0, "none"),        # killed with the mentions inserted but not committed
    ("checkpoint", 0.0, "all"),     # killed while checkpointing a committed import
    ("timed", 0.3, "either"),       # killed at whatever point the add has reached
    ("timed", 0.8, "either"),
])
def test_killed_import_is_all_or_nothing(tmp_path, frames, mode, delay, outcome):
    big_path, base_path, big = frames
    path = tmp_path / "store.duckdb"
    with open_store(path) as store:
        store.add(pd.read_parquet(base_path))

    proc = _child(CHILD, path, big_path, mode)
    try:
        _wait_for(proc, {"inside": "INSIDE", "checkpoint": "CHECKPOINT"}.get(mode, "ADDING"))
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if mode != "timed":
        assert proc.returncode == -signal.SIGKILL

    with open_store(path) as store:
        count = store.count()
        imports = store.imports()
        if outcome != "either":
            expected = N_BASE + (N_BIG if outcome == "all" else 0)
            assert count == expected
        assert count in (N_BASE, N_BASE + N_BIG)
        # the audit row travels with its mentions
        assert len(imports) == (2 if count == N_BASE + N_BIG else 1)
        assert imports["loaded"].sum() == count
        # re-running the import completes it, with the right counts
        result = store.add(big)
        assert result.loaded == N_BASE + N_BIG - count
        assert result.duplicates == N_BIG - result.loaded
        assert store.count() == N_BASE + N_BIG
        day = store.mentions(since="2026-10-05", until="2026-10-06", platform="x")
        day = day[day["mention_id"].str.startswith("big")].reset_index(drop=True)
        expected_rows = big[(big["timestamp"] >= "2026-10-05") & (big["timestamp"] < "2026-10-06")
                            & (big["platform"] == "x")]
        expected_rows = expected_rows.sort_values(["timestamp", "mention_id"])
        pd.testing.assert_frame_equal(day, expected_rows.reset_index(drop=True),
                                      check_categorical=False)


def test_second_writer_gets_a_clear_lock_error(tmp_path, frames):
    _, base_path, _ = frames
    path = tmp_path / "store.duckdb"
    holder = _child(HOLDER, path, base_path)
    try:
        _wait_for(holder, "OPEN")
        with pytest.raises(StoreLockedError,
                           match=rf"store .*store\.duckdb is in use by another process "
                                 rf"\(pid {holder.pid}\) — close the other notebook/CLI or open "
                                 rf"read-only with open_store\(read_only=True\)"):
            open_store(path)
        with pytest.raises(StoreLockedError, match=rf"being written by another process "
                                                   rf"\(pid {holder.pid}\)"):
            open_store(path, read_only=True)
        holder.stdin.write("\n")
        holder.stdin.flush()
        _wait_for(holder, "CLOSED")
        assert holder.wait(timeout=30) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    # no corruption: the holder's import is intact and the store takes a new writer
    with open_store(path) as store:
        assert store.count() == N_BASE
        assert store.add(pd.read_parquet(base_path)).duplicates == N_BASE
        assert len(store.imports()) == 2


def test_readers_share_the_file(tmp_path, frames):
    _, base_path, _ = frames
    path = tmp_path / "store.duckdb"
    with open_store(path) as store:
        store.add(pd.read_parquet(base_path))
    reader = _child("import sys, listening.store as st\n"
                    "s = st.open_store(sys.argv[1], read_only=True)\n"
                    "print('OPEN', s.count(), flush=True)\nsys.stdin.readline()\n", path)
    try:
        assert _wait_for(reader, "OPEN")[-1] == f"OPEN {N_BASE}"
        with open_store(path, read_only=True) as store:
            assert store.count() == N_BASE
        with pytest.raises(StoreLockedError, match="in use by another process"):
            open_store(path)
    finally:
        reader.kill()
        reader.wait()
