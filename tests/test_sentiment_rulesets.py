"""Languages as data: rule sets discovered from files, a third language without code."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

import listening as ls
from listening.errors import ModelError, OptionError
from listening.sentiment import polarity
from listening.sentiment.rulesets import (
    RULES_ENV,
    check_language,
    load_rule_set,
    rule_set,
    supported_languages,
)

FIXTURES = Path(__file__).parent / "fixtures" / "sentiment_rules"


@pytest.fixture
def spanish(monkeypatch):
    monkeypatch.setenv(RULES_ENV, str(FIXTURES))
    return "es"


def one(text: str, language: str) -> float:
    return float(polarity([text], language=language)[0])


def test_supported_languages_come_from_the_rule_set_files():
    assert supported_languages() == ("en", "fr")
    assert rule_set("en").negation_style == "nltk" and rule_set("fr").negation_style == "once"
    with pytest.raises(OptionError, match="no VADER rules for language 'es'; use one of en, fr"):
        check_language("es")


def test_english_rule_set_is_built_from_nltk_constants():
    from nltk.sentiment.vader import VaderConstants

    c = VaderConstants()
    en = rule_set("en")
    assert dict(en.boosters) == dict(c.BOOSTER_DICT)
    assert en.negations == frozenset(c.NEGATE)
    assert dict(en.context_idioms) == dict(c.SPECIAL_CASE_IDIOMS)
    assert en.scalars["N_SCALAR"] == c.N_SCALAR


def test_a_third_language_from_a_fixture_rule_set(spanish):
    assert supported_languages() == ("en", "es", "fr")
    assert one("bueno", "es") > 0
    assert one("muy bueno", "es") > one("bueno", "es") > one("un poco bueno", "es") > 0
    assert one("no es bueno", "es") < 0
    assert one("buenas noticias", "es") == pytest.approx(one("bueno", "es"))  # inflection hook
    assert one("el servicio es bueno pero el trato es malo", "es") < 0  # contrast word
    assert one("No está mal", "es") > 0  # idiom, joined into one token, not negated again
    assert one("Reunión a las tres", "es") == 0
    frame = pd.DataFrame({"text": ["¡Muy bueno, gracias!", "Qué triste y terrible", "Hello there",
                                   "Sehr gut"], "language": ["es", "es", "en", "de"]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = ls.score_sentiment(frame, n_jobs=1, progress=False)
    assert out["sentiment_label"].tolist()[:3] == ["positive", "negative", "neutral"]
    assert pd.isna(out["sentiment_label"].iloc[3])  # German: still no rules, counted
    assert [str(w.message) for w in caught if "de: 1" in str(w.message)]


def test_a_rule_set_language_without_a_model_still_scores_with_rules(spanish):
    from listening.sentiment.trained import resolve_models

    assert "es" not in resolve_models(None)  # no shipped model: rules only, no error


def test_rule_set_files_are_checked(tmp_path):
    bad = tmp_path / "xx.yaml"
    bad.write_text("lexicon: {words: {bon: 1}}\nboosterz: [tres]\n", encoding="utf-8")
    with pytest.raises(ModelError, match="unknown field.*boosterz"):
        load_rule_set(bad)
    bad.write_text("negations: [pas]\n", encoding="utf-8")
    with pytest.raises(ModelError, match="needs a 'lexicon'"):
        load_rule_set(bad)
