"""Shared fixtures: a nasty frame (STYLE.md §7) and small seeded demo streams."""

from __future__ import annotations

import sys

import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

# CI shares 2 cores with nothing else, but a loaded developer machine can make any
# single example slow: property tests check behaviour, never speed.
settings.register_profile("listening", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("listening")


@pytest.fixture(autouse=True)
def fresh_language_switch():
    """Each test starts without the widgets' shared EN/FR switch (one per kernel, as in a
    notebook), so a language chosen in one test never leaks into the next. Nothing is
    imported for tests that never loaded the widgets."""
    common = sys.modules.get("listening.widgets._common")
    if common is not None:
        common.forget_language_switch()
    yield


@pytest.fixture
def nasty_frame() -> pd.DataFrame:
    """A mention frame with the awkward cases every stage must survive.

    NaN and empty strings, emoji, a duplicate text (retweet), mixed time zones in
    the raw values (already converted to UTC here), French accents, HTML, a
    formula-looking cell, a zero-reach and a missing-reach row.
    """
    from listening.schema import coerce

    raw = pd.DataFrame({
        "mention_id": ["1", "2", "3", "4", "5", "6", "7", "8"],
        "timestamp": pd.to_datetime([
            "2026-03-08T06:59:00Z", "2026-03-08T07:01:00Z", "2026-03-08T12:00:00+02:00",
            "2026-03-08T12:00:00-05:00", "2026-03-09T00:00:00Z", "2026-03-09T01:30:00Z",
            "2026-03-09T02:00:00Z", "2026-03-09T03:00:00Z"], utc=True, format="ISO8601"),
        "platform": ["x", "x", "facebook", "reddit", "news", "instagram", "youtube", "x"],
        "author": ["@OPP_News", "@jane", "Marc Tremblay", "u/throwaway", None, "", "@bot123", "@jane"],
        "text": [
            "Highway 401 closed westbound near Kingston after a collision 🚧",
            "RT @OPP_News: Highway 401 closed westbound near Kingston after a collision 🚧",
            "La Sûreté du Québec n'a jamais répondu à mes questions. Très décevant!",
            "Is this text from the 'police' a scam?? They want $500 in gift cards",
            "<script>alert(1)</script> Police presence downtown tonight",
            "=HYPERLINK(\"http://evil.example\",\"click\") great work officers 👏👏",
            "   ",
            "😡😡😡",
        ],
        "url": ["https://x.com/OPP_News/status/1", None, "https://facebook.com/p/3",
                "https://www.reddit.com/r/ontario/comments/4", "https://news.example.ca/a",
                None, "https://youtube.com/watch?v=7", None],
        "language": ["en", "en", "fr", "en", "en", "en", "und", "und"],
        "likes": [120, 0, 3, None, None, 5, 0, 1],
        "shares": [45, 0, None, None, None, 0, 0, 0],
        "comments": [10, 0, 1, 7, None, 0, 0, 0],
        "reach": [250_000, 310, 1_200, None, 80_000, 0, 12, 40],
        "country": ["CA", "CA", "CA", None, "CA", None, None, "CA"],
        "source": [f"nasty.csv#{i}" for i in range(2, 10)],
    })
    return coerce(raw)
