"""Tests for listening.topics and the shared social analyzer (listening.tokens)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import listening as ls
from listening.errors import MentionDataError, ModelError, NotFittedError
from listening.schema import coerce
from listening.tokens import build_analyzer, load_stop_words
from listening.topics import OTHER_LABEL, OTHER_TOPIC, TopicModel

ROADS_EN = ["Highway {n} closed near {p} after a collision, take the detour",
            "Collision on Highway {n} at {p}, traffic backed up, detour in place",
            "Detour signs missing on Highway {n} near {p}, the closure is a mess"]
ROADS_FR = ["Autoroute {n} fermée près de {p} après une collision, prenez le détour",
            "Collision sur l'autoroute {n} à {p}, circulation bloquée, détour en place"]
SCAM_EN = ["Scam call from a fake officer in {p} asking for gift cards",
           "Fake police officer phoned my mom in {p} demanding gift cards, scam",
           "Warning {p}: scammers impersonating police want gift cards"]
SCAM_FR = ["Arnaque à {p} : un faux policier exige des cartes-cadeaux",
           "Fraude téléphonique à {p}, un faux policier demande des cartes-cadeaux"]
FIRE_EN = ["Wildfire near {p} forces an evacuation, smoke everywhere",
           "Evacuation near {p} as the wildfire smoke spreads",
           "Wildfire smoke and evacuation orders around {p}"]
FIRE_FR = ["Feu de forêt près de {p}, évacuation des résidents, beaucoup de fumée",
           "Ordre d'évacuation à {p} à cause du feu de forêt"]
PLACES = ["Kingston", "Barrie", "Sudbury", "Kenora", "Ottawa", "Timmins", "Orillia", "Cornwall"]
# Every post also gets a time phrase, so each theme has about as many distinct texts.
WHEN = ["tonight", "this morning", "right now", "ce soir", "ce matin", "earlier"]


def _frame(groups: dict[str, list[str]], *, n_each: int, seed: int = 0,
           start: str = "2026-11-02", id_prefix: str = "m") -> pd.DataFrame:
    """A small bilingual mention frame from templates, with ids, times and URLs."""
    rng = np.random.default_rng(seed)
    rows = []
    for name, templates in groups.items():
        for i in range(n_each):
            t = templates[i % len(templates)]
            text = t.format(n=rng.choice(["401", "417", "400"]), p=rng.choice(PLACES))
            text += " " + rng.choice(WHEN)
            if i % 4 == 0:
                text += f" https://t.co/{rng.integers(10**6)} @OPP_News #{name}"
            rows.append({"text": text, "group": name})
    frame = pd.DataFrame(rows)
    n = len(frame)
    frame["mention_id"] = [f"{id_prefix}{i}" for i in range(n)]
    frame["timestamp"] = pd.Timestamp(start, tz="UTC") + pd.to_timedelta(
        rng.integers(0, 3 * 24 * 3600, n), unit="s")
    frame["platform"] = rng.choice(["x", "facebook", "reddit"], n)
    frame["source"] = [f"test#{i}" for i in range(n)]
    return coerce(frame)


@pytest.fixture(scope="module")
def base() -> pd.DataFrame:
    return _frame({"roads": ROADS_EN + ROADS_FR, "scam": SCAM_EN + SCAM_FR}, n_each=60)


@pytest.fixture(scope="module")
def model(base) -> TopicModel:
    # Three topics: road closures (English and French share "collision", "401",
    # "détour"), and the scam in English and in French, which share no words.
    return ls.fit_topics(base, n_topics=3, seed=0)


# ------------------------------------------------------------------ analyzer
def test_analyzer_keeps_hashtags_drops_urls_handles_and_stop_words():
    terms = build_analyzer(ngram_range=(1, 1))(
        "RT @OPP_News: The 401 is CLOSED at Kingston!!! https://t.co/AbC x.com #ONHwys 3 😡 :)")
    assert terms == ["401", "closed", "kingston", "#onhwys"]


def test_analyzer_splits_french_elisions_and_folds_accents():
    terms = build_analyzer(ngram_range=(1, 1))("L'évacuation d’urgence qu'on attendait à Sûreté")
    assert terms == ["evacuation", "urgence", "attendait", "surete"]
    assert "é" in "".join(build_analyzer(ngram_range=(1, 1), fold=False)("Évacuation"))


def test_stop_word_lists_cover_both_languages():
    stop = load_stop_words(("en", "fr"))
    assert {"the", "and", "rt", "le", "les", "est", "tres", "pres"} <= stop
    with pytest.raises(ValueError, match="no stop word list for language 'xx'"):
        load_stop_words(("xx",))


# --------------------------------------------------------------------- fitting
def test_same_seed_gives_the_same_model(base, model):
    again = ls.fit_topics(base, n_topics=3, seed=0)
    assert again.labels_ == model.labels_
    np.testing.assert_allclose(again.components_, model.components_)
    pd.testing.assert_frame_equal(again.assign(base), model.assign(base))


def test_topics_separate_the_themes_in_both_languages(base, model):
    out = model.assign(base)
    fr = out["text"].str.contains("autoroute|policier|Fraude|Arnaque", case=False)
    for group, lang in (("roads", fr | ~fr), ("scam", fr), ("scam", ~fr)):
        topics = out.loc[(out["group"] == group) & lang, "topic"]
        assert topics.value_counts(normalize=True).iloc[0] > 0.9, (group, topics.value_counts())
    # French and English road posts share a topic (folded "détour", "collision", "401").
    roads = out[out["group"] == "roads"]
    assert roads.loc[fr, "topic"].mode()[0] == roads.loc[~fr, "topic"].mode()[0]
    assert roads["topic"].nunique() == 1


def test_labels_are_readable(model):
    stop = load_stop_words(("en", "fr"))
    described = model.describe().iloc[:-1]  # the last row is "other"
    for label, terms in zip(described["label"], described["top_terms"]):
        assert label and label != "topic"
        assert not re.search(r"https?|t\.co|www|@|/", label), label
        words = [w for part in label.split(" · ") for w in part.split(" ")]
        assert not any(w.lower() in stop for w in words), label
        assert not any(re.search(r"https?|t\.co|@", t) for t in terms), terms
    assert described["label"].is_unique
    # The accented spelling is shown, not the folded one.
    all_terms = {t for terms in described["top_terms"] for t in terms}
    assert {"détour", "cartes-cadeaux"} & all_terms or any("é" in t for t in all_terms)


def test_describe_has_one_row_per_topic_plus_other(base):
    scored = base.assign(sentiment=np.where(base["group"] == "scam", -0.6, 0.2))
    model = ls.fit_topics(scored, n_topics=3, seed=0)
    d = model.describe()
    assert list(d.columns) == ["topic", "label", "top_terms", "weights", "size", "share",
                               "mean_sentiment", "representative", "representative_ids", "is_new",
                               "language"]
    assert d["topic"].iloc[-1] == OTHER_TOPIC and d["label"].iloc[-1] == OTHER_LABEL
    assert d["size"].sum() == len(base)
    assert d["share"].sum() == pytest.approx(1.0)
    scam = d[d["label"].str.contains("scam|gift|policier|arnaque|faux", case=False)]
    assert len(scam) and np.allclose(scam["mean_sentiment"], -0.6)
    assert all(len(r) <= 3 and len(set(r)) == len(r) for r in d["representative"])
    assert (~d["is_new"]).all()
    assert set(model.timeline_.columns) == {"day", "topic", "count", "share"}


def test_auto_number_of_topics_is_the_best_scored_candidate(base):
    from listening.topics.model import AUTO_CANDIDATES

    model = ls.fit_topics(base, seed=0)
    assert model.k_scores_ and set(model.k_scores_) <= set(AUTO_CANDIDATES)
    best = max(model.k_scores_, key=lambda k: (model.k_scores_[k], -k))
    assert 2 <= len(model.topic_ids_) <= best  # NMF may leave a component empty
    assert ls.fit_topics(base, n_topics=3, seed=0).k_scores_ == {}


def test_retweets_do_not_dominate_a_topic(base):
    spam = "RT @promo: scam gift cards moonshot giveaway, click now"
    copies = coerce(pd.DataFrame({
        "text": [spam] * 3000, "mention_id": [f"rt{i}" for i in range(3000)],
        "timestamp": pd.Timestamp("2026-11-03", tz="UTC"), "platform": "x",
        "source": "test#rt"}))
    model = ls.fit_topics(pd.concat([base, copies], ignore_index=True), n_topics=3, seed=0)
    top3 = [t for terms in model.describe()["top_terms"] for t in terms[:3]]
    assert "moonshot" not in top3 and "giveaway" not in top3


def test_too_few_mentions_is_a_clear_error(base):
    with pytest.raises(MentionDataError,
                       match="12 mentions in the period; topics need at least 50 — widen the "
                             "date range"):
        ls.fit_topics(base.head(12))


def test_bad_arguments_are_named(base):
    with pytest.raises(ValueError, match="n_topics must be 'auto' or an integer >= 2, got 1"):
        ls.fit_topics(base, n_topics=1)
    with pytest.raises(ls.errors.SchemaError, match="fit_topics needs column\\(s\\) 'text'"):
        ls.fit_topics(base.drop(columns="text"))


def test_input_frames_are_not_modified(base, model):
    before = base.copy(deep=True)
    ls.fit_topics(base, n_topics=3, seed=1)
    model.assign(base)
    pd.testing.assert_frame_equal(base, before)


# ------------------------------------------------------------------- assigning
def test_assign_adds_typed_columns_for_later_mentions(model):
    later = _frame({"roads": ROADS_EN, "scam": SCAM_FR}, n_each=5, seed=7, id_prefix="late")
    out = model.assign(later)
    assert str(out["topic"].dtype) == "Int64"
    assert isinstance(out["topic_label"].dtype, pd.StringDtype)
    assert out["topic_weight"].dtype == np.float64
    assert out["topic_weight"].between(0, 1).all()
    assert (out["topic"] != OTHER_TOPIC).all()
    assert out.index.equals(later.index)


def test_mentions_that_fit_no_topic_go_to_other(model, nasty_frame):
    odd = pd.DataFrame({"text": ["Lovely sunset over the lake with my dog", "", None, "😡😡",
                                 "https://t.co/xyz @someone"]})
    out = model.assign(odd)
    assert (out["topic"] == OTHER_TOPIC).all()
    assert (out["topic_label"] == OTHER_LABEL).all()
    assert (out["topic_weight"] == 0).all()
    assert len(model.assign(nasty_frame)) == len(nasty_frame)


def test_unfitted_model_raises():
    with pytest.raises(NotFittedError, match="not fitted"):
        TopicModel().assign(pd.DataFrame({"text": ["x"]}))


# ---------------------------------------------------------------- stable ids
def test_refit_on_a_superset_keeps_ids_and_labels(base, model):
    fire = _frame({"fire": FIRE_EN}, n_each=60, seed=3, id_prefix="f")
    superset = pd.concat([base, fire], ignore_index=True)
    refit = ls.fit_topics(superset, n_topics=4, seed=0, previous=model)
    old = model.describe().set_index("label")["topic"].drop(OTHER_LABEL)
    new = refit.describe().set_index("label")
    for label, topic_id in old.items():
        assert label in new.index
        assert new.loc[label, "topic"] == topic_id
        assert not new.loc[label, "is_new"]
    fresh = new[new["is_new"]]
    assert len(fresh) == 1
    assert fresh["topic"].iloc[0] >= model.next_id_
    out = refit.assign(fire)
    assert (out["topic"] == fresh["topic"].iloc[0]).mean() > 0.9


def test_a_retired_topic_id_is_never_reused(base, model):
    roads = base[base["group"] == "roads"]
    fire = _frame({"fire": FIRE_EN}, n_each=60, seed=3, id_prefix="f")
    refit = ls.fit_topics(pd.concat([roads, fire], ignore_index=True), n_topics=2, seed=0,
                          previous=model)
    assert len(refit.retired_) == 2  # the English and the French scam topics
    assert not set(refit.retired_) & set(refit.topic_ids_)
    assert max(refit.topic_ids_) >= model.next_id_


# ---------------------------------------------------------------------- saving
def test_save_and_load_round_trip(tmp_path, base, model):
    path = model.save(tmp_path / "topics")
    assert path.suffix == ".npz"
    with np.load(path, allow_pickle=False) as data:  # no pickle inside
        assert set(data.files) == {"components", "idf", "vocabulary", "meta"}
    loaded = ls.load_topics(path)
    pd.testing.assert_frame_equal(loaded.assign(base), model.assign(base))
    pd.testing.assert_frame_equal(loaded.describe(), model.describe())
    refit = ls.fit_topics(base, n_topics=3, seed=0, previous=loaded)
    assert list(refit.labels_) == list(model.labels_)


def test_a_used_model_can_be_pickled_for_dask_workers(base, model):
    import pickle

    model.assign(base.head(5))  # builds the analyzer closure
    clone = pickle.loads(pickle.dumps(model))
    pd.testing.assert_frame_equal(clone.assign(base), model.assign(base))


def test_loading_a_wrong_file_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="no topic model at"):
        ls.load_topics(tmp_path / "missing.npz")
    bad = tmp_path / "bad.npz"
    np.savez(bad, something=np.arange(3))
    with pytest.raises(ModelError, match="is not a saved topic model"):
        ls.load_topics(bad)
