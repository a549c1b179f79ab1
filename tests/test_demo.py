"""The demo generator: seeded, valid, realistic, and honest about its incidents."""

import numpy as np
import pandas as pd
import pytest

import listening as ls
from listening.demo import LOCAL_TZ, generate, write_demo_files


@pytest.fixture(scope="module")
def stream():
    return generate(n_mentions=8_000, days=14, seed=3)


def test_same_seed_same_stream(stream):
    again, truth = generate(n_mentions=8_000, days=14, seed=3)
    pd.testing.assert_frame_equal(stream[0], again)
    other, _ = generate(n_mentions=8_000, days=14, seed=4)
    assert not other["text"].equals(again["text"])


def test_frame_is_a_valid_mention_frame(stream):
    frame, _ = stream
    ls.validate(frame)
    assert frame["timestamp"].is_monotonic_increasing
    assert len(frame) == 8_000


def test_bilingual_multi_platform_with_retweets(stream):
    frame, _ = stream
    french = (frame["language"] == "fr").mean()
    assert 0.2 < french < 0.4
    assert frame["platform"].nunique() >= 6
    retweets = frame["text"].str.startswith("RT @")
    assert 0.03 < retweets.mean() < 0.15
    assert (frame.loc[retweets, "platform"] == "x").all()


def test_reach_is_heavy_tailed(stream):
    frame, _ = stream
    reach = frame["reach"].astype(float)
    assert reach.quantile(0.99) > 50 * reach.median()


def test_nights_quieter_than_days(stream):
    frame, _ = stream
    hour = frame["timestamp"].dt.tz_convert(LOCAL_TZ).dt.hour
    assert (hour.isin([2, 3, 4])).sum() * 4 < (hour.isin([12, 13, 14])).sum()


def test_truth_describes_injected_incidents(stream):
    frame, truth = stream
    assert set(truth["incident"]) == {"highway_401_closure", "police_impersonation_scam",
                                      "arrest_video", "wildfire_evacuation"}
    for row in truth.itertuples():
        hits = frame[frame["mention_id"].isin(row.mention_ids)]
        assert len(hits) == row.n_mentions > 0
        # every incident mention falls at or after the onset, most within its duration
        assert hits["timestamp"].min() >= row.onset
        assert (hits["timestamp"] <= row.end).mean() > 0.7
        # the key terms appear in the incident's texts
        text = hits["text"].str.lower()
        assert any(text.str.contains(term.lower(), regex=False).mean() > 0.3 for term in row.terms)


def test_incident_bursts_at_its_onset(stream):
    frame, truth = stream
    hourly = frame.set_index("timestamp").resample("1h").size()
    for row in truth.itertuples():
        hits = frame.loc[frame["mention_id"].isin(row.mention_ids), "timestamp"]
        first_hours = (hits < row.onset + pd.Timedelta(hours=3)).mean()
        assert first_hours > 0.2, row.incident
        window = hourly[row.onset: row.onset + pd.Timedelta(hours=3)]
        assert window.max() > 1.5 * hourly.median(), row.incident


def test_quiet_stream_has_no_incidents():
    frame, truth = generate(n_mentions=2_000, days=7, seed=0, incidents=None)
    assert truth.empty and len(frame) == 2_000


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="alien_invasion.*not accepted"):
        generate(n_mentions=100, days=2, incidents=["alien_invasion"])
    with pytest.raises(ValueError, match="at least 1"):
        generate(n_mentions=0)


def test_demo_files_in_real_export_shapes(tmp_path, stream):
    frame, _ = stream
    paths = write_demo_files(frame.head(500), tmp_path)
    assert [p.name for p in paths] == ["x_twarc2.jsonl", "reddit_pushshift.ndjson", "meltwater.csv"]
    import json
    page = json.loads(paths[0].read_text(encoding="utf-8").splitlines()[0])
    assert {"data", "includes"} <= set(page) and "users" in page["includes"]
    header = paths[2].read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("Date,Headline,URL,Opening Text,Hit Sentence,Source,Influencer")
    n_rows = sum(len(json.loads(line)["data"]) for line in paths[0].read_text().splitlines())
    n_rows += len(paths[1].read_text().splitlines())
    n_rows += len(pd.read_csv(paths[2]))
    assert n_rows == 500


def test_needs_reply_labels_the_same_stream(stream):
    frame, _ = stream
    truth = ls.demo.needs_reply(n_mentions=8_000, days=14, seed=3)
    assert list(truth.columns) == ["mention_id", "reason"]
    assert truth["mention_id"].is_unique and truth["mention_id"].isin(frame["mention_id"]).all()
    assert set(truth["reason"]) == set(ls.demo.REPLY_REASONS)
    # a few percent of the stream, as in a unit's real mentions
    assert 0.02 < len(truth) / len(frame) < 0.09
    labelled = frame[frame["mention_id"].isin(truth["mention_id"])]
    institutions = {**ls.demo.OFFICIAL_ACCOUNTS, **ls.demo.PARTNER_ACCOUNTS,
                    **ls.demo.MEDIA_ACCOUNTS}
    assert not labelled["author"].isin(list(institutions)).any()
    assert not labelled["text"].str.startswith("RT @").any()
    assert (labelled["platform"] != "news").all()
    # each reason really reads as one: spot-check the words of its posts
    by_reason = labelled.merge(truth, on="mention_id").groupby("reason")["text"]
    assert by_reason.apply(lambda t: t.str.contains("?", regex=False).mean())["question"] > 0.8
    assert by_reason.apply(lambda t: t.str.contains(
        r"(?i)share|spread|pass it on|heard|apparently|circuler", regex=True).mean()
    )["misinformation"] > 0.8


def test_stream_has_look_alikes_that_need_no_reply(stream):
    """Posts with '?', 'scam' or 'killed' that need no reply, and institutions' own voice."""
    frame, _ = stream
    truth = set(ls.demo.needs_reply(n_mentions=8_000, days=14, seed=3)["mention_id"])
    quiet = frame[~frame["mention_id"].isin(truth)]
    assert quiet["text"].str.contains("?", regex=False).sum() > 100
    assert quiet["text"].str.contains(r"(?i)\bscam\b|\bkilled it\b", regex=True).sum() > 20
    official = frame[frame["author"].isin(list(ls.demo.OFFICIAL_ACCOUNTS))]
    assert len(official) > 10
    assert not official["text"].str.contains(r"(?i)nobody cares|waited 3 hours").any()


def test_needs_reply_follows_generate_arguments():
    quiet = ls.demo.needs_reply(n_mentions=1_000, days=5, seed=8, incidents=None)
    frame, _ = generate(n_mentions=1_000, days=5, seed=8, incidents=None)
    assert quiet["mention_id"].isin(frame["mention_id"]).all() and len(quiet) > 0


def test_demo_files_are_the_same_in_every_run(tmp_path):
    """No hash-seed dependence: user ids in the twarc2 file come from a stable digest."""
    import os
    import subprocess
    import sys

    code = ("import sys; from listening.demo import generate, write_demo_files; "
            "f, _ = generate(n_mentions=300, days=2, seed=1); "
            "print(write_demo_files(f, sys.argv[1])[0].read_text(encoding='utf-8')[:4000])")
    outputs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        outputs.append(subprocess.run([sys.executable, "-c", code, str(tmp_path / hash_seed)],
                                      capture_output=True, text=True, check=True,
                                      env=env).stdout)
    assert outputs[0] == outputs[1] and '"author_id"' in outputs[0]
