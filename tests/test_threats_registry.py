"""The threat-signal registry: a new signal is one function, one entry and its strings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from listening.errors import OptionError
from listening.threats import (
    SIGNALS,
    Signal,
    SignalSpec,
    detect_threats,
    format_alerts,
    register_signal,
    signal_title,
    unregister_signal,
)
from listening.threats.registry import LANGUAGES, STRINGS, signal_strings
from tests.test_threats import START, _inject, _stream

WORD = "zorblax"


def _zorblax(ctx) -> Signal:
    """Fixture signal: bins where at least 5 mentions say the word (no baseline)."""
    run = ctx.run
    said = np.array([WORD in str(t).lower() for t in run.texts], dtype=float)
    from listening.threats.prepare import segment_matrix

    count = segment_matrix(run.dims, run.bins, run.grid.n, said)
    return Signal("zorblax", count, np.full_like(count, 0.5), np.where(count >= 5, 50.0, 0.0), count >= 5)


FIXTURE = SignalSpec("zorblax", _zorblax, strings={
    "en": {"zorblax.why": "The word was said $observed times $when", "zorblax.title": "zorblax talk"},
    "fr": {"zorblax.why": "Le mot a été dit $observed fois $when", "zorblax.title": "on parle de zorblax"}})


@pytest.fixture
def fixture_signal():
    register_signal(FIXTURE, before="volume")  # first, so it leads its episode
    try:
        yield FIXTURE
    finally:
        unregister_signal("zorblax")


def test_a_registered_signal_shows_in_alerts_and_sentences(fixture_signal):
    frame = _inject(_stream(10, seed=4), START + pd.Timedelta("8D 14h"), 6, f"Anyone else hear {WORD} tonight?")
    alerts = detect_threats(frame, by=("all",))
    mine = alerts[alerts["signal"] == "zorblax"]
    assert len(mine) == 1
    row = mine.iloc[0]
    assert row["why"].startswith("The word was said 6 times in the hour to ")
    assert row["why_fr"].startswith("Le mot a été dit 6 fois dans l'heure précédant ")
    assert "zorblax" in format_alerts(alerts)
    assert signal_title("zorblax") == "zorblax talk"
    assert signal_title("zorblax", "fr") == "on parle de zorblax"


def test_unregistering_removes_the_signal():
    register_signal(FIXTURE)
    unregister_signal("zorblax")
    assert "zorblax" not in SIGNALS
    frame = _inject(_stream(10, seed=4), START + pd.Timedelta("8D 14h"), 6, f"{WORD} {WORD}")
    assert "zorblax" not in set(detect_threats(frame, by=("all",))["signal"])


def test_a_signal_without_its_strings_is_refused():
    with pytest.raises(OptionError, match="no 'en' string for quiet.why"):
        register_signal(SignalSpec("quiet", _zorblax))
    with pytest.raises(OptionError, match="value='percent' is not accepted"):
        SignalSpec("quiet", _zorblax, value="percent")
    assert "quiet" not in SIGNALS


def test_every_signal_has_its_strings_and_every_string_its_signal():
    from importlib import resources

    data = yaml.safe_load(resources.files("listening").joinpath(STRINGS).read_text("utf-8"))
    assert set(data) == set(LANGUAGES)
    assert set(data["en"]) == set(data["fr"])
    named = {k.split(".")[0] for k in data["en"] if "." in k}
    assert named == set(SIGNALS)
    for lang in LANGUAGES:
        for spec in SIGNALS.values():
            assert spec.why_key in signal_strings(lang) and spec.title_key in signal_strings(lang)


def test_signal_titles_are_plain_words():
    assert signal_title("volume") == "unusual volume"
    assert signal_title("volume", "fr") == "volume inhabituel"
    assert signal_title("threat_vocabulary") == "threat vocabulary"
    assert signal_title("renamed_long_ago") == "renamed_long_ago"
    with pytest.raises(OptionError, match="lang='de'"):
        signal_title("volume", "de")


def test_options_after_the_frame_are_keyword_only():
    frame = _stream(2, seed=1)
    with pytest.raises(TypeError):
        detect_threats(frame, "1h")
