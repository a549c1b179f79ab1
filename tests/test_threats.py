"""Tests for listening.threats: seasonal baseline, signals, episodes, why, online use."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listening.demo import DOW_PROFILE, HOUR_PROFILE
from listening.errors import MentionDataError, OptionError, SchemaError
from listening.schema import coerce, empty_frame
from listening.threats import (
    ALERT_COLUMNS,
    DEFAULT_PAGE_SEVERITY,
    detect_threats,
    format_alerts,
    load_vocabulary,
)
from listening.threats.baseline import make_grid, seasonal_expectation
from listening.threats.emerging import log_odds_z
from listening.threats.explain import fmt_number
from listening.threats.signals import match_vocabulary

TZ = "America/Toronto"
START = pd.Timestamp("2026-10-05", tz=TZ)  # a Monday, clear of the DST change
BACKGROUND = [
    "RIDE check on Highway 11 near Orillia tonight, plan a safe ride home",
    "Thanks to the officers in Barrie who helped after the storm",
    "Traffic slow on Highway 400 northbound near Barrie, construction",
    "How do I get a police record check for a volunteer job?",
    "Contrôle routier sur l'autoroute 417 près d'Ottawa ce soir",
    "Winter tires make a difference, slow down on Highway 17",
    "Snowmobile trails near Sudbury opening soon, stay on marked trails",
    "Great community BBQ with the detachment in Kenora today",
]


def _stream(days: int, *, rate: float = 12.0, seed: int = 0, start: pd.Timestamp = START) -> pd.DataFrame:
    """Background mentions with the demo's hour-of-day and day-of-week rhythm."""
    rng = np.random.default_rng(seed)
    hours = pd.date_range(start, periods=days * 24, freq="h")
    lam = rate * HOUR_PROFILE[hours.hour] * DOW_PROFILE[hours.day_of_week]
    counts = rng.poisson(lam)
    ts = np.repeat(hours.tz_convert("UTC").as_unit("ns").asi8, counts) + rng.integers(0, 3_600 * 10**9, counts.sum())
    return _frame(pd.to_datetime(np.sort(ts), utc=True), rng.choice(BACKGROUND, len(ts)), rng, "b")


def _frame(ts, texts, rng, prefix: str, authors=None) -> pd.DataFrame:
    n = len(ts)
    return coerce(pd.DataFrame({
        "mention_id": [f"{prefix}{i}" for i in range(n)], "timestamp": ts,
        "platform": rng.choice(["x", "facebook", "reddit"], n),
        "author": authors if authors is not None else [f"@user{k}" for k in rng.integers(0, 400, n)],
        "text": texts, "language": "en", "reach": rng.integers(10, 2_000, n),
        "source": [f"test#{i}" for i in range(n)]}))


def _inject(frame: pd.DataFrame, at: pd.Timestamp, n: int, text: str, *, seed: int = 1,
            minutes: int = 50, prefix: str = "s") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ts = at.tz_convert("UTC") + pd.to_timedelta(rng.integers(0, minutes * 60, n), unit="s")
    spike = _frame(pd.DatetimeIndex(np.sort(ts.as_unit("ns").asi8)).tz_localize("UTC"), [text] * n, rng, prefix,
                   authors=[f"@new{prefix}{i}" for i in range(n)])
    return pd.concat([frame, spike]).sort_values("timestamp", kind="stable").reset_index(drop=True)


@pytest.fixture(scope="module")
def quiet() -> pd.DataFrame:
    return _stream(21, seed=3)


def test_seasonality_alone_does_not_alert(quiet):
    alerts = detect_threats(quiet, by=("all", "platform"))
    assert len(alerts) == 0, format_alerts(alerts)
    assert list(alerts.columns) == ALERT_COLUMNS


def test_baseline_is_seasonal_and_causal(quiet):
    grid, bins = make_grid(quiet["timestamp"], "1h", TZ)
    X = np.bincount(bins, minlength=grid.n)[None, :].astype(float)
    E, mode = seasonal_expectation(X, grid)
    late = np.arange(grid.n) >= 18 * 24
    night = late & (grid.local_hour == 3)
    evening = late & (grid.local_hour == 20)
    assert E[0, evening].mean() > 5 * E[0, night].mean()  # learnt the daily rhythm
    assert set(np.unique(mode[late])) == {3}  # seasonal + weekday after two weeks
    # Causal: changing the future does not change the past expectations.
    X2 = X.copy()
    X2[0, 300:] *= 10
    E2, _ = seasonal_expectation(X2, grid)
    np.testing.assert_array_equal(E[0, :301], E2[0, :301])


def test_night_spike_alerts_with_real_numbers(quiet):
    at = pd.Timestamp("2026-10-20 03:00", tz=TZ)
    frame = _inject(quiet, at, 40, "Fake officer called my mom asking for gift cards, is this a scam?")
    alerts = detect_threats(frame, by=("all",))
    assert len(alerts) == 1, format_alerts(alerts)
    alert = alerts.iloc[0]
    assert alert["start"] == at.tz_convert("UTC")
    assert alert["end"] == at.tz_convert("UTC") + pd.Timedelta("1h")
    assert alert["segment"] == "all"
    assert alert["observed"] >= 40 and alert["expected"] < 5
    why = alert["why"]
    assert "04:00 EDT" in why  # the hour to 04:00, local time with the zone abbreviation
    numbers = re.search(r"(?:rose to|^)([\d,.]+)(?: mentions)?.*?the usual ([\d,.]+)", why)
    assert numbers, why
    assert numbers.group(1) == fmt_number(alert["observed"])
    assert numbers.group(2) == fmt_number(alert["expected"])
    assert "scam" in " ".join(alert["terms"]) or "gift cards" in " ".join(alert["terms"])
    assert len(alert["example_ids"]) >= 1 and alert["example_ids"][0].startswith("s")
    assert alert["new_author_share"] > 0.5  # injected authors are all new
    assert 1 <= alert["severity"] <= 10
    expected_key = hashlib.sha1(f"all|{alert['signal']}|{alert['start'].isoformat()}".encode()).hexdigest()[:16]
    assert alert["alert_key"] == expected_key


def test_volume_why_numbers_equal_columns(quiet):
    at = pd.Timestamp("2026-10-21 13:00", tz=TZ)
    frame = _inject(quiet, at, 120, "Highway 400 closed near Barrie after a crash", seed=4)
    alerts = detect_threats(frame, by=("all",))
    vol = alerts[alerts["signal"] == "volume"]
    assert len(vol) == 1, format_alerts(alerts)
    row = vol.iloc[0]
    m = re.search(r"rose to ([\d,.]+) in the hour to (\d\d:\d\d) (EDT|EST).*?, [\d.]+× the usual ([\d,.]+)",
                  row["why"])
    assert m, row["why"]
    assert m.group(1) == fmt_number(row["observed"]) and m.group(4) == fmt_number(row["expected"])
    assert m.group(2) == "14:00"


def test_new_hashtag_is_an_emerging_term(quiet):
    # +25 mentions on ~15 expected: not a volume spike by itself, but a brand-new hashtag.
    frame = _inject(quiet, pd.Timestamp("2026-10-20 14:00", tz=TZ), 25,
                    "Northern lights over Kenora tonight #kenoralights", seed=31)
    alerts = detect_threats(frame, by=("all",))
    assert len(alerts) == 1, format_alerts(alerts)
    a = alerts.iloc[0]
    assert a["signal"] == "emerging_terms"
    assert a["terms"][0] == "#kenoralights"
    assert a["why"].startswith("'#kenoralights'") and f"in {fmt_number(a['observed'])} mentions" in a["why"]


def test_new_topic_signal(quiet):
    frame = _inject(quiet, pd.Timestamp("2026-10-20 14:00", tz=TZ), 15, "Northern lights over Kenora",
                    seed=32)
    spike = frame["mention_id"].str.startswith("s")
    frame = frame.assign(topic=pd.array(np.where(spike, 9, 1), dtype="Int64"),
                         topic_label=np.where(spike, "aurora", "roads"))
    alerts = detect_threats(frame, by=("topic",))
    assert alerts["signal"].tolist() == ["new_topic"]
    assert alerts.iloc[0]["segment"] == "topic:9" and "New topic 'aurora'" in alerts.iloc[0]["why"]


def test_consecutive_hot_bins_merge_into_one_episode(quiet):
    frame = quiet
    for k, hour in enumerate([10, 11, 12, 14]):  # one cold hour inside: still one episode
        frame = _inject(frame, pd.Timestamp(f"2026-10-22 {hour}:00", tz=TZ), 80,
                        "Protest blockade at the detachment in Orillia", seed=10 + k, prefix=f"m{k}_")
    alerts = detect_threats(frame, by=("all",))
    assert len(alerts) == 1, format_alerts(alerts)
    a = alerts.iloc[0]
    assert a["start"] == pd.Timestamp("2026-10-22 10:00", tz=TZ).tz_convert("UTC")
    assert a["end"] == pd.Timestamp("2026-10-22 15:00", tz=TZ).tz_convert("UTC")
    assert a["mentions"] >= 320
    # with no cooldown the cold hour splits the episode
    split = detect_threats(frame, by=("all",), cooldown="0h")
    assert len(split) == 2


def test_no_alert_on_empty_zero_or_tiny_streams(nasty_frame):
    empty = detect_threats(empty_frame())
    assert len(empty) == 0 and list(empty.columns) == ALERT_COLUMNS
    assert format_alerts(empty) == "no alerts"
    assert len(detect_threats(nasty_frame)) == 0
    tiny = _stream(2, rate=0.3, seed=5)
    assert len(detect_threats(tiny)) == 0


def test_missing_columns_are_named():
    with pytest.raises(SchemaError, match="detect_threats needs column"):
        detect_threats(pd.DataFrame({"timestamp": [pd.Timestamp("2026-01-01", tz="UTC")]}))


def test_short_history_falls_back_and_says_so():
    frame = _stream(1, seed=6, start=pd.Timestamp("2026-10-05 08:00", tz=TZ))
    frame = frame[frame["timestamp"] < pd.Timestamp("2026-10-06 02:00", tz=TZ)]
    frame = _inject(frame, pd.Timestamp("2026-10-05 19:00", tz=TZ), 90,
                    "Shots fired near the Orillia detachment, avoid the area", seed=7)
    alerts = detect_threats(frame, by=("all",))
    assert len(alerts) >= 1, format_alerts(alerts)
    a = alerts.iloc[0]
    assert a["baseline"] == "recent"
    assert "recent window only" in a["why"] and "hours of history" in a["why"]
    assert a["signal"] in {"volume", "threat_vocabulary"}


def test_brand_new_stream_uses_absolute_threat_floor():
    frame = _inject(_stream(1, rate=0.1, seed=8).iloc[:0], pd.Timestamp("2026-10-05 10:00", tz=TZ), 30,
                    "Évacuation immédiate au nord de Kenora, feu de forêt", seed=9)
    alerts = detect_threats(frame, by=("all",))
    assert len(alerts) == 1
    assert alerts.iloc[0]["signal"] == "threat_vocabulary"
    assert "no baseline yet" in alerts.iloc[0]["why"]


def test_batch_and_online_agree():
    from listening.demo import generate

    frame, _ = generate(n_mentions=12_000, days=14, seed=11)
    cut = pd.Timestamp("2026-11-06 12:00", tz=TZ).tz_convert("UTC")
    since = cut - pd.Timedelta("4D")
    batch = detect_threats(frame, by=("all", "language"), max_alerts=None)
    online = detect_threats(frame[frame["timestamp"] < cut], by=("all", "language"),
                            since=since, max_alerts=None)
    settled = cut - pd.Timedelta("7h")  # episodes that ended before the cooldown at the cut
    cols = ["alert_key", "segment", "start", "end", "signal", "observed", "expected", "score",
            "severity", "terms", "mentions", "why"]
    want = batch[(batch["end"] > since) & (batch["end"] <= settled)][cols]
    got = online[online["end"] <= settled][cols]
    assert len(want) >= 1
    pd.testing.assert_frame_equal(want.sort_values("alert_key").reset_index(drop=True),
                                  got.sort_values("alert_key").reset_index(drop=True))
    assert online.attrs["since"] == since.isoformat()


def test_since_duration_is_relative_to_latest_mention(quiet):
    frame = _inject(quiet, pd.Timestamp("2026-10-25 20:00", tz=TZ), 60, "Missing child last seen in Orillia")
    everything = detect_threats(frame, by=("all",))
    recent = detect_threats(frame, by=("all",), since="24h")
    assert len(recent) == len(everything) == 1
    assert len(detect_threats(frame, by=("all",), since="1h")) == 0
    with pytest.raises(OptionError, match="not a window"):
        detect_threats(frame, since="yesterday-ish")


def test_sentiment_topics_rules_are_used_when_present(quiet):
    at = pd.Timestamp("2026-10-20 15:00", tz=TZ)
    frame = _inject(quiet, at, 60, "This arrest video is disgusting, the officer must be fired")
    spike = frame["mention_id"].str.startswith("s")
    frame = frame.assign(
        sentiment_label=pd.Categorical(np.where(spike, "negative", "neutral"),
                                       categories=["negative", "neutral", "positive"]),
        topic=pd.array(np.where(spike, 7, 1), dtype="Int64"),
        topic_label=np.where(spike, "arrest video", "roads"))

    class VideoRule:
        name = "video"

        def match(self, f):
            return f["text"].str.contains("video", case=False, regex=False)

    alerts = detect_threats(frame, by=("all", "topic"), rules=[VideoRule()], max_alerts=None)
    main = alerts[alerts["segment"] == "all"].iloc[0]
    assert "negative_surge" in main["signals"]
    assert "100% negative" in main["why"] or main["signal"] == "negative_surge"
    related = set(main["related"])
    assert "topic:7" in related and "rule:video" in related


def test_rule_queries_become_segments(quiet):
    frame = _inject(quiet, pd.Timestamp("2026-10-21 09:00", tz=TZ), 50,
                    "Got a call asking for gift cards, total scam", seed=21)
    alerts = detect_threats(frame, by=("platform",), rules={"scams": '"gift cards" OR scam*'},
                            max_alerts=None)
    segments = set(alerts["segment"]) | {s for r in alerts["related"] for s in r}
    assert "rule:scams" in segments


def test_input_frame_unchanged(quiet):
    frame = _inject(quiet, pd.Timestamp("2026-10-20 03:00", tz=TZ), 40, "scam call")
    before = frame.copy(deep=True)
    detect_threats(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_format_alerts_table_and_page_threshold(quiet):
    frame = _inject(quiet, pd.Timestamp("2026-10-20 03:00", tz=TZ), 40, "scam call from a fake officer")
    alerts = detect_threats(frame, by=("all",))
    text = format_alerts(alerts)
    assert text.splitlines()[0].split()[:3] == ["SEV", "START", "SEGMENT"]
    assert alerts.iloc[0]["alert_key"] in text and "EDT" in text
    assert 1 <= DEFAULT_PAGE_SEVERITY <= 10


def test_vocabulary_matches_accents_and_word_edges(tmp_path):
    vocab = load_vocabulary()
    texts = pd.Series(["Ordre d’ÉVACUATION à Kenora", "patriot game tonight", "riot downtown",
                       "Arnaque : faux policier", None, ""], dtype="string")
    hit, cats = match_vocabulary(texts, vocab)
    assert hit.tolist() == [True, False, True, True, False, False]
    names = list(vocab)
    assert cats[0, names.index("evacuation")] and cats[3, names.index("scam_impersonation")]
    with pytest.raises(MentionDataError, match="not found"):
        load_vocabulary(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("categories: {x: {label: x}}\n", encoding="utf-8")
    with pytest.raises(MentionDataError, match="lists no"):
        load_vocabulary(bad)


def test_log_odds_ranks_new_terms_first():
    fg = np.array([40.0, 10, 10])
    bg = np.array([0.0, 500, 500])
    z = log_odds_z(fg, bg)
    assert z[0] > 5 and z[0] > z[1]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 72 * 3600), st.sampled_from(BACKGROUND + ["scam!", "🚨", ""])),
                min_size=0, max_size=60))
def test_never_raises_on_small_random_streams(rows):
    rng = np.random.default_rng(0)
    ts = pd.to_datetime([START.tz_convert("UTC") + pd.Timedelta(seconds=s) for s, _ in rows], utc=True)
    frame = _frame(ts, [t for _, t in rows], rng, "h")
    alerts = detect_threats(frame)
    assert list(alerts.columns) == ALERT_COLUMNS
    assert alerts["severity"].between(1, 10).all()


def test_why_is_also_written_in_french(quiet):
    """The French brief needs the alert's sentence in French, with the same numbers."""
    at = pd.Timestamp("2026-10-21 13:00", tz=TZ)
    frame = _inject(quiet, at, 120, "Highway 400 closed near Barrie after a crash", seed=4)
    row = detect_threats(frame, by=("all",)).query("signal == 'volume'").iloc[0]
    m = re.search(r"sont montées à ([\d\u202f,]+) dans l'heure précédant 14 h 00 (EDT|EST) "
                  r"\(mer\. 21 oct\.\), [\d,]+× la normale de ([\d\u202f,]+)", row["why_fr"])
    assert m, row["why_fr"]
    assert m.group(1) == fmt_number(row["observed"], "fr")
    assert m.group(3) == fmt_number(row["expected"], "fr")


def test_french_numbers_use_french_typography():
    assert fmt_number(1234.5, "fr") == "1\u202f234,5"
    assert fmt_number(1234.5) == "1,234.5"
