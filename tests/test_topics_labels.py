"""Topic labels an analyst reads at a glance, in the language of the topic's posts,
and topic ids that stay put across refits (issue 16.2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import listening as ls
from listening.schema import coerce
from listening.text import fold_accents
from listening.topics import OTHER_LABEL, _nmf

PLACES = ["Kingston", "Barrie", "Sudbury", "Kenora", "Ottawa", "Timmins", "Orillia", "Cornwall"]
WHEN = {"en": ["tonight", "this morning", "right now", "earlier"],
        "fr": ["ce soir", "ce matin", "maintenant", "plus tôt"]}
# One incident told in both languages: the posts share the highway number, the
# place and "collision", so they form one topic whichever language dominates.
# Every English post says "highway" and "traffic", while the French posts vary
# their words: over all posts of the topic those two English words are the most
# frequent even when French posts are the majority.
ROADS = {"en": ["Highway {n} closed near {p} after a collision, traffic backed up",
                "Collision on Highway {n} at {p}, expect delays and heavy traffic",
                "Traffic stopped on Highway {n} near {p}, collision cleanup underway"],
         "fr": ["Autoroute {n} fermée près de {p} après une collision, circulation bloquée",
                "Collision sur la route {n} à {p}, ralentissements et bouchons",
                "Trafic arrêté près de {p} sur la {n}, collision en cours"]}
SCAM = {"en": ["Scam call from a fake officer in {p} asking for gift cards #scamalert",
               "Fake police officer phoned my mom in {p} demanding gift cards #scamalert",
               "Warning {p}: scammers impersonating police want gift cards #scamalert"]}


def _posts(templates: dict[str, list[str]], counts: dict[str, int], seed: int,
           prefix: str) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for lang, n in counts.items():
        for i in range(n):
            text = templates[lang][i % len(templates[lang])].format(
                n=rng.choice(["401", "417"]), p=rng.choice(PLACES))
            rows.append({"text": f"{text} {rng.choice(WHEN[lang])}", "language": lang})
    frame = pd.DataFrame(rows)
    frame["mention_id"] = [f"{prefix}{i}" for i in range(len(frame))]
    frame["timestamp"] = pd.Timestamp("2026-11-02", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 2 * 24 * 3600, len(frame)), unit="s")
    frame["platform"] = "x"
    frame["source"] = [f"test#{i}" for i in range(len(frame))]
    return coerce(frame)


def _stream(roads: dict[str, int], *, seed: int = 0, prefix: str = "m") -> pd.DataFrame:
    return pd.concat([_posts(ROADS, roads, seed, prefix + "r"),
                      _posts(SCAM, {"en": 60}, seed + 1, prefix + "s")], ignore_index=True)


def _label_of(model, frame, word: str) -> tuple[str, str]:
    """(label, language) of the topic most of the posts containing ``word`` are in."""
    out = model.assign(frame)
    topic = out.loc[out["text"].str.contains(word, case=False), "topic"].mode()[0]
    row = model.describe().set_index("topic").loc[topic]
    return row["label"], row["language"]


def _words(label: str) -> list[str]:
    return [fold_accents(w.lower().lstrip("#")) for part in label.split(" · ")
            for w in part.split(" ")]


@pytest.mark.parametrize("major, minor, n_major, own, other_words", [
    ("fr", "en", 55, {"autoroute", "route", "circulation", "fermee", "arrete", "trafic",
                      "bouchons", "ralentissements"}, {"highway", "traffic", "closed", "stopped"}),
    ("en", "fr", 70, {"highway", "traffic", "closed", "stopped", "delays", "heavy"},
     {"autoroute", "route", "circulation", "fermee", "arrete", "trafic", "bouchons"}),
])
def test_a_topic_is_labelled_in_the_language_of_most_of_its_posts(major, minor, n_major, own,
                                                                   other_words):
    frame = _stream({major: n_major, minor: 100 - n_major})
    model = ls.fit_topics(frame, n_topics=2, seed=0)
    label, language = _label_of(model, frame, "collision")
    assert language == major
    words = set(_words(label))
    assert words & own, label
    assert not words & other_words, label


def test_labels_lead_with_the_hashtag_and_add_distinct_words():
    frame = _stream({"en": 60, "fr": 20})
    model = ls.fit_topics(frame, n_topics=2, seed=0)
    label, _ = _label_of(model, frame, "scam")
    parts = label.split(" · ")
    assert parts[0] == "#scamalert"
    assert 3 <= len(parts) <= 4
    # No word of the hashtag repeated, no word twice, at most one phrase.
    words = _words(label)
    assert len(words) == len(set(words)), label
    assert sum(" " in p for p in parts) <= 1
    assert not any(w in "scamalert" for w in words[1:] if len(w) >= 3), label


def test_make_label_never_stacks_overlapping_bigrams():
    ranked = ["phone away", "actually phone", "teenager actually", "phone", "away",
              "teenager", "actually", "texting", "driving", "drivers"]
    label = _nmf.make_label(ranked, {}, set(), language="en")
    assert label == "phone away · teenager · actually"
    # Same stem is one word ("driving"/"drivers" are not both shown).
    label = _nmf.make_label(["texting", "driving", "drivers", "crash"], {}, set(),
                            language="en")
    assert label == "texting · driving · crash"
    # A label already taken by another topic gets another word, then a number.
    taken = {"texting · driving · crash"}
    assert _nmf.make_label(["texting", "driving", "crash", "fine"], {}, taken,
                           language="en") == "texting · driving · crash · fine"
    assert _nmf.make_label(["texting", "driving", "crash"], {}, taken,
                           language="en") == "texting · driving · crash (2)"
    # The accented spelling is shown.
    assert _nmf.make_label(["#securite", "route", "fermee"], {"fermee": "fermée"}, set(),
                           language="fr") == "#securite · route · fermée"


def test_a_frame_without_language_is_labelled_from_all_its_posts():
    frame = _stream({"en": 40, "fr": 40}).drop(columns="language")
    model = ls.fit_topics(frame, n_topics=2, seed=0)
    d = model.describe()
    assert set(d["language"]) == {"und"}
    assert d["label"].is_unique and OTHER_LABEL in set(d["label"])


# ------------------------------------------------------------------ stable ids
def test_refit_on_the_same_mentions_keeps_every_id_and_label():
    frame = _stream({"en": 50, "fr": 50})
    first = ls.fit_topics(frame, n_topics=3, seed=0)
    again = ls.fit_topics(frame, n_topics=3, seed=0, previous=first)
    assert list(again.topic_ids_) == list(first.topic_ids_)
    assert again.labels_ == first.labels_
    assert not again.is_new_.any() and again.retired_ == []
    assert again.next_id_ == first.next_id_


def test_refit_on_a_later_stream_keeps_the_ids_of_continuing_topics():
    first_week = _stream({"en": 50, "fr": 50}, seed=0, prefix="a")
    second_week = _stream({"en": 40, "fr": 60}, seed=10, prefix="b")  # new posts, same themes
    first = ls.fit_topics(first_week, n_topics=2, seed=0)
    second = ls.fit_topics(second_week, n_topics=2, seed=0, previous=first)
    a, b = first.assign(second_week), second.assign(second_week)
    # Each later post keeps the id the first model gives it.
    assert (a["topic"] == b["topic"]).mean() > 0.95
    assert list(second.labels_) == list(first.labels_)
    assert not second.is_new_.any()


def test_function_words_of_the_topic_language_stay_out_of_its_label():
    # The analyzer removes English and French stop words only; a Spanish topic's
    # ranked terms can start with "los", "para".
    ranked = ["#amuay", "los", "para", "refineria", "explosion", "venezuela"]
    assert _nmf.make_label(ranked, {"refineria": "refinería"}, set(),
                           language="es") == "#amuay · refinería · explosion"
    assert _nmf.make_label(ranked, {}, set(), language="xx").startswith("#amuay · los")
