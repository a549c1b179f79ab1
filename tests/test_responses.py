"""listening.response_queue: which posts the organisation should answer, in what order, why."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import listening as ls
from listening.errors import OptionError, SchemaError
from listening.responses import HALF_LIFE_HOURS, KINDS, excluded_accounts, response_queue
from listening.schema import coerce

T0 = pd.Timestamp("2026-11-01T12:00Z")


def _frame(rows: list[dict]) -> pd.DataFrame:
    base = {"platform": "x", "author": "@someone", "reach": 100, "source": "t#1"}
    out = pd.DataFrame([{**base, "mention_id": str(i), "timestamp": T0, **r}
                        for i, r in enumerate(rows)])
    return coerce(out)


def test_each_kind_in_english_and_french():
    f = _frame([
        {"text": "That cop better watch his back"},
        {"text": "Heard the OPP is closing the Barrie detachment. Share this"},
        {"text": "How do I get a police record check in Orillia?"},
        {"text": "Car swerving on the 400 right now, looks impaired"},
        {"text": "Called the detachment three times, still no call back"},
        {"text": "Il paraît que la PPO va fermer le détachement. Faites circuler"},
        {"text": "Où dois-je signaler un appel frauduleux?"},
        {"text": "J'ai appelé le détachement trois fois, toujours aucun retour"},
        {"text": "Lovely sunset over the lake"},
    ])
    out = response_queue(f).set_index("mention_id")
    assert out["kind"].to_dict() == {
        "0": "threat", "1": "misinformation", "2": "question", "3": "safety", "4": "complaint",
        "5": "misinformation", "6": "question", "7": "complaint"}
    assert "share this" in out.loc["1", "cues"] and "il paraît" in out.loc["5", "cues"]


def test_look_alikes_are_not_queued():
    f = _frame([
        {"text": "Anyone else stuck on the 401 tonight? lol"},         # rhetorical
        {"text": "What time does the parade start?"},                  # not about us
        {"text": "We killed it at the hockey game against the OPP"},   # figurative
        {"text": "This phone plan is such a scam"},                    # not about us
        {"text": "Heard the new album yet? Share this"},               # a rumour not about us
        {"text": "Never heard back from the gym, whatever"},           # not a rumour
        {"text": "Read https://example.ca/page?id=3 about the police"},  # '?' in a link
    ])
    assert response_queue(f).empty


def test_institutions_news_and_retweets_are_left_out(tmp_path):
    f = _frame([
        {"text": "RT @jane: Is the 401 closed? Any detour?"},
        {"text": "Is the 401 closed? Any detour?", "author": "@OPP_News"},      # own
        {"text": "Is the 401 closed? Any detour?", "author": "cbctoronto"},     # news outlet
        {"text": "Is the 401 closed? Any detour?", "author": "@Ontario511"},    # partner
        {"text": "Is the 401 closed? Any detour?", "platform": "news", "author": "@blog"},
        {"text": "Is the 401 closed? Any detour?", "author": "@jane"},
    ])
    assert response_queue(f)["mention_id"].tolist() == ["5"]
    mine = tmp_path / "accounts.yaml"
    mine.write_text("own: ['@jane']\nnews: []\n", encoding="utf-8")
    assert response_queue(f, accounts=mine)["mention_id"].tolist() == ["1", "2", "3"]
    assert response_queue(f, accounts={})["mention_id"].tolist() == ["1", "2", "3", "5"]
    assert excluded_accounts(mine) == {"own": {"jane"}, "news": set()}


def test_own_handles_name_the_organisation(tmp_path):
    f = _frame([{"text": "@OPP_News is the 401 open?"}, {"text": "@jane is the 401 open?"},
                {"text": "@jane is the 401 still closed?"}])
    assert response_queue(f)["mention_id"].tolist() == ["0", "2"]   # names us, or a service
    f = _frame([{"text": "@OPP_News heard you are hiring. Spread the word"},
                {"text": "@jane heard you are hiring. Spread the word"}])
    assert response_queue(f)["mention_id"].tolist() == ["0"]


def test_priority_is_urgency_times_recency_times_reach():
    f = _frame([
        {"text": "Is the detachment open?", "reach": 100},
        {"text": "Is the detachment open?", "reach": 100_000},
        {"text": "Is the detachment open?", "reach": 100_000,
         "timestamp": T0 - pd.Timedelta(hours=HALF_LIFE_HOURS)},
        {"text": "The police never called back, still no call back", "reach": 100_000},
        {"text": "Heard the OPP is closing. Share this", "reach": 100_000},
        {"text": "That cop better watch his back", "reach": 100_000},
    ])
    out = response_queue(f, now=T0).set_index("mention_id")
    p = out["priority"]
    assert p["1"] > p["0"]                              # more reach
    assert p["2"] == pytest.approx(p["1"] / 2)          # one half-life older
    assert p["5"] > p["4"] > p["1"] > p["3"]            # threat, misinformation, question, complaint
    row = out.loc["1"]
    assert row["priority"] == pytest.approx(row["urgency"] * row["reach_factor"])
    assert response_queue(f, now=T0)["mention_id"].tolist()[:2] == ["5", "4"]


def test_sentiment_does_not_reorder_the_queue():
    rows = [{"text": "Is the detachment open?"}, {"text": "Is the detachment open today?"}]
    calm = response_queue(_frame([{**r, "sentiment": 0.5} for r in rows]))
    angry = response_queue(_frame([{**r, "sentiment": -0.9 * i} for i, r in enumerate(rows)]))
    assert calm["priority"].tolist() == angry["priority"].tolist()


def test_reason_in_english_and_french():
    f = _frame([{"text": "How do I get a police record check?", "reach": 12_345}])
    en = response_queue(f)["reason"].iloc[0]
    fr = response_queue(f, lang="fr")["reason"].iloc[0]
    assert en.startswith("question to us · cues: how do i") and "reach 12,345" in en
    assert fr.startswith("question qui nous est adressée · indices : how do i")
    assert "portée 12\u202f345" in fr


def test_handled_posts_leave_or_say_who_when_and_what():
    f = _frame([{"text": "Is the detachment open?"}, {"text": "Where do I report a scam call?"}])
    handled = pd.DataFrame({"mention_id": ["0", "0"], "by": ["amy", "bo"],
                            "note": ["", "replied with hours"],
                            "at": pd.to_datetime(["2026-11-01T13:00Z", "2026-11-01T14:30Z"])})
    assert response_queue(f, handled=handled)["mention_id"].tolist() == ["1"]
    shown = response_queue(f, handled=handled, include_handled=True).set_index("mention_id")
    assert shown["handled"].to_dict() == {"0": True, "1": False}
    assert shown.loc["0", "handled_by"] == "bo"                    # the latest mark
    assert shown.loc["0", "handled_at"] == pd.Timestamp("2026-11-01T14:30Z")
    reason = shown.loc["0", "reason"]
    assert "handled by bo on 2026-11-01 09:30" in reason          # Eastern time
    assert "replied with hours" in reason
    fr = response_queue(f, handled=handled, include_handled=True, lang="fr")
    assert "traité par bo le 2026-11-01 09:30" in fr.set_index("mention_id").loc["0", "reason"]


def test_handled_marks_from_a_real_store(tmp_path):
    f = _frame([{"text": "Is the detachment open?"}, {"text": "Where do I report a scam call?"}])
    with ls.open_store(tmp_path / "s.duckdb") as store:
        store.add(f)
        store.mark_handled(["1"], by="cy", note="sent CAFC link")
        out = response_queue(f, handled=store.handled(), include_handled=True)
    row = out.set_index("mention_id").loc["1"]
    assert row["handled"] and row["handled_by"] == "cy" and "sent CAFC link" in row["reason"]


def test_since_window_and_kinds():
    f = _frame([{"text": "Is the detachment open?", "timestamp": T0 - pd.Timedelta(days=3)},
                {"text": "Is the detachment open?"},
                {"text": "Heard the OPP is closing. Share this"}])
    assert response_queue(f, since="48h")["mention_id"].tolist() == ["2", "1"]
    assert response_queue(f, kinds=["question"])["mention_id"].tolist() == ["1", "0"]
    assert response_queue(f, kinds="misinformation")["mention_id"].tolist() == ["2"]


def test_input_unchanged_empty_and_errors():
    f = _frame([{"text": "Is the detachment open?"}, {"text": "Nice"}])
    before = f.copy()
    response_queue(f)
    pd.testing.assert_frame_equal(f, before)
    none = response_queue(_frame([{"text": "Nice"}]))
    assert none.empty and {"priority", "reason", "kind", "handled_by"} <= set(none.columns)
    with pytest.raises(SchemaError, match="text"):
        response_queue(f.drop(columns="text"))
    with pytest.raises(OptionError, match="'rants' is not accepted; use 'threat'"):
        response_queue(f, kinds=("rants",))
    with pytest.raises(OptionError, match="lang='es'.*'en' or 'fr'"):
        response_queue(f, lang="es")
    with pytest.raises(OptionError, match="since='soon'"):
        response_queue(f, since="soon")
    with pytest.raises(OptionError, match="cannot be read"):
        response_queue(f, accounts="/nonexistent/accounts.yaml")


def test_public_api():
    assert ls.response_queue is response_queue
    assert "response_queue" in ls.__all__
    assert set(KINDS) == set(ls.demo.REPLY_REASONS)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=60), min_size=1, max_size=8))
def test_any_text_is_safe(texts):
    """Regex metacharacters, emoji, empty strings: never an error, always sorted."""
    f = _frame([{"text": t} for t in texts])
    out = response_queue(f)
    assert out["priority"].is_monotonic_decreasing
    assert set(out["mention_id"]) <= set(f["mention_id"])
