"""Token-level lexicon features of the trained sentiment models."""

import numpy as np
import pytest

from listening.errors import ModelError
from listening.sentiment import _lexicons
from listening.sentiment.lexicon_features import (
    LEXICONS,
    PER_LEXICON,
    LexiconFeatures,
    polarity_lexicon,
)

N_POS, N_NEG, SUM_POS, SUM_NEG, MAX, MIN, LAST = range(len(PER_LEXICON))


def features(texts, language="en"):
    """Raw (un-logged, unweighted) features of the first lexicon of ``language``."""
    x = LexiconFeatures(language, weight=1.0).fit(texts).transform(texts)
    block = x[:, :len(PER_LEXICON)]
    return np.round(np.sign(block) * np.expm1(np.abs(block)), 9)


def test_every_lexicon_is_read_from_its_package_on_vaders_scale():
    for name in LEXICONS:
        table = polarity_lexicon(name)
        assert len(table) > 1000, name
        assert max(abs(v) for v in table.values()) <= 4.0 + 1e-9, name
    assert polarity_lexicon("afinn_en")["good"] > 0 > polarity_lexicon("afinn_en")["bad"]
    assert polarity_lexicon("pattern_en")["good"] > 0
    # French keys are accent-folded, so "désolé" and "desole" look up the same word.
    assert "desole" in polarity_lexicon("pattern_fr") or "desolee" in polarity_lexicon("pattern_fr")


def test_counts_sums_extremes_and_last_word():
    f = features(["Great job, awful traffic and a good detour"])[0]
    vader = polarity_lexicon("vader_en")
    assert f[N_POS] == 2 and f[N_NEG] == 1
    assert f[SUM_POS] == pytest.approx(vader["great"] + vader["good"])
    assert f[SUM_NEG] == pytest.approx(vader["awful"])
    assert f[MAX] == pytest.approx(vader["great"]) and f[MIN] == pytest.approx(vader["awful"])
    assert f[LAST] == pytest.approx(vader["good"])


def test_negation_flips_within_three_tokens_and_stops_at_a_clause_end():
    good = polarity_lexicon("vader_en")["good"]
    f = features(["not good", "don't think it is good", "not now. good", "never really very good"])
    assert f[0, SUM_NEG] == pytest.approx(-0.74 * good) and f[0, N_POS] == 0
    assert f[1, N_POS] == 1  # four tokens away: out of reach
    assert f[2, N_POS] == 1  # the full stop ends the negation's clause
    assert f[3, N_NEG] == 1


def test_french_elision_and_accents():
    f = features(["Ce n'est pas bon", "c'est bon", "très décevant"], language="fr")
    assert f[0, N_NEG] == 1 and f[0, N_POS] == 0
    assert f[1, N_POS] == 1
    assert f[2, N_NEG] >= 1


def test_texts_without_sentiment_words_give_zeros_and_shape_matches_names():
    f = LexiconFeatures("en").fit([])
    x = f.transform(["meeting at 3 pm", "", "http://example.org @user"])
    assert x.shape == (3, len(f.get_feature_names_out())) == (3, 3 * len(PER_LEXICON))
    assert (x == 0).all()
    assert LexiconFeatures("fr").fit([]).transform([]).shape == (0, 2 * len(PER_LEXICON))


def test_unknown_language_and_lexicon_are_refused():
    with pytest.raises(ValueError, match="no VADER rules for language .es.; use one of en, fr"):
        LexiconFeatures("es").fit(["hola"])
    with pytest.raises(ModelError, match="unknown lexicon 'sentiwordnet'"):
        polarity_lexicon("sentiwordnet")


def test_a_missing_lexicon_package_says_what_to_install(monkeypatch):
    monkeypatch.setattr(_lexicons.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelError, match=r"'afinn' package is not installed.*pip install afinn"):
        _lexicons.package_file("afinn", "data/AFINN-en-165.txt")
