"""Trained path: train_sentiment, SentimentModel, skops save/load, method="model"."""

import zipfile

import numpy as np
import pandas as pd
import pytest

import listening as ls
from listening.errors import ModelError, NotFittedError
from listening.sentiment import SentimentModel
from listening.sentiment.trained import default_model_path

POS = ["great job officers", "thank you so much", "love this community", "well done team",
       "amazing rescue, thanks", "so grateful for your help"]
NEG = ["awful delay again", "terrible service", "worst response ever", "this is a disgrace",
       "angry about the closure", "horrible handling of this"]
NEU = ["road open at 5", "meeting at 3 pm", "report filed today", "highway 11 update",
       "press release posted", "detour via county road 2"]


@pytest.fixture(scope="module")
def model():
    texts = (POS + NEG + NEU) * 2
    labels = (["positive"] * 6 + ["negative"] * 6 + ["neutral"] * 6) * 2
    return ls.train_sentiment(texts, labels, language="en", metadata={"data": "unit test"})


def test_fit_predict(model):
    assert isinstance(model, SentimentModel) and model.n_train_ == 36
    proba = model.predict_proba(["thank you, great job", "terrible, awful"])
    assert list(proba.columns) == ["negative", "neutral", "positive"]
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert model.predict(["thank you, great job", "terrible, awful"]).tolist() == \
        ["positive", "negative"]
    s = model.score(["thank you, great job"])
    assert -1 <= s[0] <= 1 and s[0] > 0


def test_save_load_round_trip(model, tmp_path):
    path = model.save(tmp_path / "m.skops")
    assert zipfile.is_zipfile(path)  # skops format, not a pickle
    loaded = ls.load_sentiment_model(path)
    texts = POS[:2] + NEG[:2] + ["a brand new text nobody has seen"]
    pd.testing.assert_frame_equal(loaded.predict_proba(texts), model.predict_proba(texts))
    assert loaded.metadata_ == {"data": "unit test"}
    assert loaded.language == "en" and loaded.trained_at_ == model.trained_at_


def test_load_refuses_untrusted_types(tmp_path):
    import skops.io as sio

    path = tmp_path / "evil.skops"
    sio.dump({"format": "listening-sentiment/1", "payload": Sneaky()}, path)
    with pytest.raises(ModelError, match="not trusted: .*Sneaky"):
        ls.load_sentiment_model(path)
    with pytest.raises(ModelError, match="no sentiment model at"):
        ls.load_sentiment_model(tmp_path / "missing.skops")
    (tmp_path / "junk.skops").write_text("not a model")
    with pytest.raises(ModelError, match="not a skops model file"):
        ls.load_sentiment_model(tmp_path / "junk.skops")


class Sneaky:
    pass


def test_unfitted_and_bad_labels():
    with pytest.raises(NotFittedError, match="not fitted"):
        SentimentModel("en").predict(["x"])
    with pytest.raises(ValueError, match="label 'angry' at position 1"):
        ls.train_sentiment(["a", "b"], ["positive", "angry"])
    with pytest.raises(ValueError, match="none for: neutral"):
        ls.train_sentiment(POS + NEG, ["positive"] * 6 + ["negative"] * 6)
    with pytest.raises(ValueError, match="2 texts but 3 labels"):
        ls.train_sentiment(["a", "b"], [0, 1, 2])


def test_integer_labels_follow_tweeteval_convention():
    texts = (POS + NEG + NEU)
    labels = [2] * 6 + [0] * 6 + [1] * 6
    m = ls.train_sentiment(texts, labels)
    assert set(m.classes_) == {"negative", "neutral", "positive"}


def test_score_sentiment_with_a_given_model(model):
    frame = pd.DataFrame({"text": ["thank you, great job", "terrible service", "Muy mal"],
                          "language": ["en", "en", "es"]})
    before = frame.copy(deep=True)
    with pytest.warns(UserWarning, match=r"1 mention\(s\).*es: 1"):
        out = ls.score_sentiment(frame, method="model", model=model)
    pd.testing.assert_frame_equal(frame, before)
    assert out["sentiment_label"].tolist()[:2] == ["positive", "negative"]
    assert np.isnan(out["sentiment"].iloc[2])


@pytest.mark.skipif(not default_model_path("en").is_file(), reason="shipped models not built")
def test_shipped_models_work_out_of_the_box():
    frame = pd.DataFrame({"text": ["Thank you OPP for the quick response, amazing work!",
                                   "Worst traffic management ever, a total disgrace",
                                   "Merci beaucoup à la police, excellent travail",
                                   "C'est une honte, service nul et inacceptable"],
                          "language": ["en", "en", "fr", "fr"]})
    out = ls.score_sentiment(frame, method="model")
    assert out["sentiment_label"].tolist() == ["positive", "negative", "positive", "negative"]
    assert out["sentiment"].between(-1, 1).all()


def test_saved_model_holds_the_lexicon_features_but_no_lexicon(model, tmp_path):
    import skops.io as sio

    path = model.save(tmp_path / "m.skops")
    types = set(sio.get_untrusted_types(file=path))
    assert "listening.sentiment.lexicon_features.LexiconFeatures" in types
    # Lexicons are read from the installed packages at use, not copied into the file.
    assert path.stat().st_size < 200_000


def test_a_model_saved_by_the_earlier_svm_recipe_still_loads(tmp_path):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.svm import LinearSVC

    from listening.sentiment.trained import VaderFeatures

    old = SentimentModel("en")
    old.pipeline_ = Pipeline([
        ("features", FeatureUnion([("word", TfidfVectorizer()), ("vader", VaderFeatures("en"))])),
        ("classifier", CalibratedClassifierCV(LinearSVC(C=0.1), method="sigmoid", cv=3,
                                              ensemble=False)),
    ]).fit((POS + NEG + NEU) * 2, (["positive"] * 6 + ["negative"] * 6 + ["neutral"] * 6) * 2)
    old.classes_ = np.asarray(old.pipeline_.classes_, dtype=object)
    old.n_train_, old.trained_at_, old.metadata_ = 36, "2026-11-23T00:00:00+00:00", {}
    loaded = ls.load_sentiment_model(old.save(tmp_path / "old.skops"))
    assert loaded.predict(["thank you so much"]).tolist() == old.predict(["thank you so much"]).tolist()


def test_training_is_reproducible_and_sample_weights_count():
    texts = (POS + NEG + NEU) * 2
    labels = (["positive"] * 6 + ["negative"] * 6 + ["neutral"] * 6) * 2
    probe = ["thank you, great job", "terrible, awful", "road update at 5"]
    a = ls.train_sentiment(texts, labels).predict_proba(probe)
    b = ls.train_sentiment(texts, labels).predict_proba(probe)
    pd.testing.assert_frame_equal(a, b)  # seeded solver: same data, same model
    ones = ls.train_sentiment(texts, labels, sample_weight=[1.0] * len(texts))
    pd.testing.assert_frame_equal(ones.predict_proba(probe), a)
    # light weight on half of the negative examples: less sure of "negative"
    weights = [0.05 if lab == "negative" and i % 2 else 1.0 for i, lab in enumerate(labels)]
    muted = ls.train_sentiment(texts, labels, sample_weight=weights).predict_proba(probe)
    assert muted["negative"].iloc[1] < a["negative"].iloc[1]
    with pytest.raises(ValueError, match="one finite, non-negative number per text"):
        ls.train_sentiment(texts, labels, sample_weight=[1.0, -1.0] * (len(texts) // 2))
    with pytest.raises(ValueError, match="one finite, non-negative number per text"):
        ls.train_sentiment(texts, labels, sample_weight=[1.0])


def test_decision_offsets_move_labels_and_survive_save_load(model, tmp_path):
    texts = POS + NEG + NEU
    proba = model.predict_proba(texts).to_numpy()
    # An offset larger than any log-probability gap makes neutral win everywhere.
    gap = float(np.max(np.log(proba.max(axis=1)) - np.log(proba[:, 1]))) + 0.01
    shifted = SentimentModel("en", offsets=(0.0, gap, 0.0))
    shifted.pipeline_, shifted.classes_ = model.pipeline_, model.classes_
    shifted.n_train_, shifted.trained_at_, shifted.metadata_ = 36, model.trained_at_, {}
    assert set(shifted.predict(texts).tolist()) == {"neutral"}
    assert np.allclose(shifted.score(texts), model.score(texts))  # the score ignores offsets
    assert model.offsets == (0.0, 0.0, 0.0)
    loaded = ls.load_sentiment_model(shifted.save(tmp_path / "offsets.skops"))
    assert loaded.offsets == (0.0, gap, 0.0)
    assert loaded.predict(texts).tolist() == shifted.predict(texts).tolist()
    with pytest.raises(ValueError, match="three finite numbers"):
        SentimentModel("en", offsets=(0.0, 1.0))
