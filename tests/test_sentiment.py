"""Rules path of listening.sentiment: VADER rules (English, French), routing, cache."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import listening as ls
from listening.errors import SchemaError
from listening.sentiment import polarity, vader_features
from listening.sentiment.vader import get_engine, reference_analyzer
from listening.text import fold_accents


def one(text, language="en", **kw):
    return float(polarity([text], language=language, **kw)[0])


# ------------------------------------------------------------------ English rules
def test_negation_flips_english():
    assert one("The service was good") > 0
    assert one("The service was not good") < 0
    assert one("The service wasn't good") < 0
    assert one("The service isn’t good") < 0  # curly apostrophe (social tokens)


def test_boosters_and_dampeners():
    assert one("very good") > one("good") > one("slightly good") > 0
    assert one("extremely bad") < one("bad") < 0


def test_caps_emphasis_only_when_some_words_are_not_caps():
    assert one("The response was GOOD today") > one("The response was good today")
    # all caps: no differential, so no extra emphasis
    assert one("THE RESPONSE WAS GOOD TODAY") == one("the response was good today")


def test_but_shifts_weight_to_the_second_clause():
    assert one("The officers were great but the wait was terrible") < 0
    assert one("The wait was terrible but the officers were great") > 0


def test_emoji_count():
    assert one("😍") > 0
    assert one("Highway closed again 😡😢") < one("Highway closed again")
    assert one("😍", language="fr") > 0


def test_social_tokens_read_punctuated_words_and_hashtags():
    # nltk's rules miss "good..." and "#happy"; the social tokeniser does not
    assert one("good...", social=False) == 0
    assert one("good...") > 0
    assert one("#happy") > 0
    assert one("sooooo goooood") > 0


def test_repeated_word_fix_differs_from_nltk_only_on_repeats():
    text = "good, not good"
    fixed = one(text, social=False)
    ref = reference_analyzer().polarity_scores(text)["compound"]
    bug = vader_features([text], social=False, first_occurrence_bug=True)[0, 0]
    assert bug == pytest.approx(ref, abs=1e-12)
    assert fixed < ref  # the second "good" is negated where it stands


# ------------------------------------------------------------------ nltk agreement
SAMPLE = [
    "VADER is smart, handsome, and funny.",
    "VADER is VERY SMART, handsome, and FUNNY!!!",
    "VADER is not smart, handsome, nor funny.",
    "At least it isn't a horrible book.",
    "The book was only kind of good.",
    "The plot was good, but the characters are uncompelling and the dialog is not great.",
    "Today SUX! Today only kinda sux! But I'll get by, lol",
    "Make sure you :) or :D today!",
    "Sentiment analysis has never been good. Sentiment analysis has never been this good!",
    "Most automated sentiment analysis tools are shit. With VADER, sentiment analysis is the shit!",
    "On the other hand, VADER is quite bad ass",
    "Roger Dodger is one of the least compelling variations on this theme.",
    "Roger Dodger is at least compelling as a variation on the theme.",
    "yeah right, that was the bomb... kiss of death",
    "He is sort of happy and kind of sad, just enough??",
    "Not bad at all ???? wow!!!!!",
    "",
    "   ",
    "Highway 401 closed near Kingston after a collision 🚧 stay safe everyone 🙏",
]
WORDS = ["good", "GOOD", "bad", "BAD", "not", "never", "so", "this", "very", "VERY", "kind",
         "of", "sort", "least", "at", "but", "BUT", "the", "shit", "bomb", "yeah", "right",
         "cut", "mustard", "no", "isn't", "hardly", "great!", "!", "?", ":)", "love", "hate",
         "without", "doubt", "a", "just", "enough", "good,", "(bad)", "happy.", "nor", "funny"]


def _check_agreement(texts):
    engine = get_engine("en", True, False)  # nltk's rules, nltk's repeated-word handling
    ref = reference_analyzer()
    ours = engine.features(list(texts))
    for text, row in zip(texts, ours):
        expected = ref.polarity_scores(engine.prepare(text))
        got = dict(zip(("compound", "pos", "neg", "neu"), row))
        for key, value in expected.items():
            assert got[key] == pytest.approx(value, abs=1e-9), (text, key)


def test_agrees_with_nltk_reference_on_sample():
    frame, _ = ls.demo.generate(n_mentions=300, days=2, seed=3)
    _check_agreement(SAMPLE + frame["text"].tolist())


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS), min_size=0, max_size=14), min_size=1, max_size=25))
def test_agrees_with_nltk_reference_on_generated_texts(sentences):
    _check_agreement([" ".join(words) for words in sentences])


# ------------------------------------------------------------------ French rules
def test_french_negation_counted_once():
    assert one("bon", "fr") > 0
    assert one("pas bon", "fr") < 0
    assert one("Ce n'est pas bon", "fr") < 0
    # "n' ... pas" is one negation, not two that cancel
    assert one("Ce n'est pas bon", "fr") == pytest.approx(one("Ce est pas bon", "fr"))
    assert one("Je n'aime pas ce service", "fr") < 0
    assert one("Il n'y a aucun bon conseil", "fr") < 0
    assert one("rien de bon", "fr") < 0
    assert one("jamais bon", "fr") < 0


def test_french_boosters():
    base = one("bon", "fr")
    for booster in ("très", "trop", "vraiment", "tres"):
        assert one(f"{booster} bon", "fr") > base, booster
    assert one("à peine bon", "fr") < base


def test_french_mais_and_caps():
    assert one("Le service est bon mais la police est nulle", "fr") < 0
    assert one("La police est nulle mais le service est bon", "fr") > 0
    assert one("C'est MAUVAIS ici", "fr") < one("C'est mauvais ici", "fr")


def fr_lexicon():
    return get_engine("fr").lexicon


def test_french_inflected_forms_absent_from_the_lexicon_score_through_their_base_form():
    lexicon = fr_lexicon()
    # plural, feminine, verb endings: (form not in the lexicon, listed form, sign)
    cases = [("crises", "crise", -1), ("dégâts", "degat", -1), ("excellente", "excellent", 1),
             ("meilleures", "meilleure", 1), ("abandonnent", "abandonne", -1),
             ("manquait", "manquer", -1), ("sauvera", "sauver", 1)]
    for form, listed, sign in cases:
        assert fold_accents(form) not in lexicon and listed in lexicon, form
        assert np.sign(one(form, "fr")) == sign, form
        assert one(form, "fr") == pytest.approx(one(listed, "fr")), form


def test_french_inflection_fallback_leaves_names_and_derived_words_alone():
    # "France" is not the feminine of "franc" (+2.3); "réchauffement" is not
    # "réchauffant" (+0.6), which a stemmer would conflate
    assert fr_lexicon()["franc"] > 0 and one("France", "fr") == 0
    assert fr_lexicon()["rechauffant"] > 0 and one("réchauffement", "fr") == 0


def test_french_elisions_and_prepositions_are_not_sentiment_words():
    lexicon = fr_lexicon()
    assert lexicon["s"] > 0 and lexicon["sur"] > 0  # "s" +0.8; "sur" is "sûr" folded
    assert one("s'accélère", "fr") == 0
    assert one("Un rapport sur le climat", "fr") == 0
    assert one("J'en suis sûr", "fr") > 0  # the adjective, written with its accent, still counts
    # every apostrophe splits an elision, and "n'" still negates
    assert one("Ce n'est pas bon", "fr") < 0
    for apostrophe in "’‘ʼ":
        assert one(f"Ce n{apostrophe}est pas bon", "fr") == pytest.approx(one("Ce n'est pas bon", "fr"))


def test_french_idioms():
    assert one("terrible", "fr") < 0 < one("pas mal", "fr")
    assert one("pas terrible", "fr") < 0  # VADER's negation alone would make it positive
    assert one("Ce n'est pas terrible", "fr") < 0  # not negated a second time
    assert one("Il y a pas mal de monde", "fr") == 0  # "quite a lot of"
    assert one("bien sûr", "fr") == 0


def test_french_lexicon_phrases_are_matched():
    lexicon = fr_lexicon()
    assert lexicon["tristement celebre"] < 0 < lexicon["celebre"]
    assert one("Un personnage tristement célèbre", "fr") < 0  # the phrase, not "célèbre"
    assert lexicon["s'emporter"] < 0
    assert one("Il ne faut pas s’emporter", "fr") > 0  # curly apostrophe; the phrase is negated
    assert one("un bouc émissaire", "fr") < 0  # neither word is in the lexicon alone
    assert one("Un chef-d’oeuvre", "fr") > 0


def test_french_ne_plus_negates_beyond_the_window():
    assert one("Il peut même aimer ça", "fr") > 0
    assert one("Il ne peut même plus aimer ça", "fr") < 0  # "ne" is four tokens before "aimer"
    assert one("plus bon", "fr") > 0  # "plus" alone is "more", not a negation


def test_french_elongations_and_hashtags():
    assert one("trooop bien", "fr") == one("trop bien", "fr") > one("bien", "fr")
    assert one("géniaaaal", "fr") == one("génial", "fr") > 0
    assert one("#honte", "fr") == one("honte", "fr") < 0


def test_french_supplement_adds_words_without_changing_the_lexicon():
    from importlib import resources

    import yaml

    supplement = yaml.safe_load(resources.files("listening.resources.sentiment")
                                .joinpath("languages").joinpath("fr_lexicon_supplement.yaml").read_text(encoding="utf-8"))
    lexicon = fr_lexicon()
    assert supplement and all(fold_accents(w) not in lexicon for w in supplement)
    assert all(one(w, "fr") < 0 for w in supplement if supplement[w] < 0)
    assert one("Non au nucléaire", "fr") < 0
    assert one("inondations", "fr") < 0  # reached through the inflection fallback


# ------------------------------------------------------------------ score_sentiment
def frame_of(texts, languages=None):
    index = pd.RangeIndex(10, 10 + len(texts))  # not 0..n-1: results must align by index
    data = {"text": pd.Series(texts, dtype="string", index=index)}
    if languages is not None:
        data["language"] = pd.Series(languages, dtype="category", index=index)
    return pd.DataFrame(data, index=index)


def test_adds_columns_and_keeps_input():
    frame = frame_of(["Thank you, great job!", "Terrible response.", "Report filed."],
                     ["en", "en", "en"])
    before = frame.copy(deep=True)
    out = ls.score_sentiment(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert out.index.equals(frame.index)
    assert out["sentiment"].dtype == "float64"
    assert list(out["sentiment_label"].cat.categories) == ["negative", "neutral", "positive"]
    assert out["sentiment_label"].tolist() == ["positive", "negative", "neutral"]
    assert out["sentiment"].between(-1, 1).all()


def test_routes_french_by_language():
    texts = ["Ce n'est pas bon du tout", "Ce n'est pas bon du tout"]
    out = ls.score_sentiment(frame_of(texts, ["fr", "en"]))
    assert out["sentiment"].iloc[0] == pytest.approx(one(texts[0], "fr"))
    assert out["sentiment"].iloc[0] < 0
    assert out["sentiment"].iloc[1] == pytest.approx(one(texts[1], "en"))


def test_unsupported_languages_get_nan_and_a_counting_warning():
    frame = frame_of(["Muy mal servicio", "Sehr schlecht", "Otra vez mal", "Great work"],
                     ["es", "de", "es", "en"])
    with pytest.warns(UserWarning, match=r"3 mention\(s\).*es: 2, de: 1"):
        out = ls.score_sentiment(frame)
    assert out["sentiment"].isna().tolist() == [True, True, True, False]
    assert out["sentiment_label"].isna().tolist() == [True, True, True, False]


def test_und_without_letters_uses_language_neutral_emoji_rules():
    out = ls.score_sentiment(frame_of(["😍😍", ":)"], ["und", "und"]))
    assert (out["sentiment"] > 0).all()


def test_detects_language_when_column_absent(monkeypatch):
    from listening.sentiment import scoring

    seen = []

    def fake_detect(texts):  # lingua's models take seconds to load; routing is what we test
        seen.append(texts.tolist())
        return pd.Series(["en", "fr"], index=texts.index, dtype="category")

    monkeypatch.setattr(scoring, "detect_language", fake_detect)
    texts = ["The officers did a wonderful job tonight", "Ce n'est pas bon du tout"]
    out = ls.score_sentiment(frame_of(texts))
    assert seen == [texts]
    assert out["sentiment_label"].tolist() == ["positive", "negative"]
    assert out["sentiment"].iloc[1] == pytest.approx(one(texts[1], "fr"))
    assert "language" not in out.columns


def test_cache_same_text_same_score_order_preserved():
    texts = ["great job", "awful delay", "RT @OPP_News: great job", "great job", "meh",
             "awful   delay", None]
    out = ls.score_sentiment(frame_of(texts, ["en"] * len(texts)))
    s = out["sentiment"]
    assert s.iloc[0] == s.iloc[2] == s.iloc[3] > 0
    assert s.iloc[1] == s.iloc[5] < 0
    assert np.isnan(s.iloc[6])
    singles = [ls.score_sentiment(frame_of([t], ["en"]))["sentiment"].iloc[0] for t in texts[:6]]
    assert s.iloc[:6].tolist() == singles
    rng = np.random.default_rng(0)
    order = rng.permutation(6)
    shuffled = polarity([texts[i] for i in order])
    assert shuffled.tolist() == polarity(texts[:6])[order].tolist()


def test_thresholds_are_parameters():
    frame = frame_of(["good"], ["en"])
    assert ls.score_sentiment(frame)["sentiment_label"].iloc[0] == "positive"
    out = ls.score_sentiment(frame, thresholds=(-0.9, 0.9))
    assert out["sentiment_label"].iloc[0] == "neutral"
    out = ls.score_sentiment(frame, thresholds={"en": (-0.9, 0.9)})
    assert out["sentiment_label"].iloc[0] == "neutral"
    with pytest.raises(ValueError, match="negative <= positive"):
        ls.score_sentiment(frame, thresholds=(0.5, -0.5))


def test_errors_name_the_problem():
    with pytest.raises(SchemaError, match="'text'"):
        ls.score_sentiment(pd.DataFrame({"body": ["x"]}))
    with pytest.raises(ValueError, match="method"):
        ls.score_sentiment(frame_of(["x"], ["en"]), method="bert")
    with pytest.raises(ValueError, match="no VADER rules for language 'es'"):
        polarity(["hola"], language="es")


def test_nasty_frame(nasty_frame):
    before = nasty_frame.copy(deep=True)
    out = ls.score_sentiment(nasty_frame)
    pd.testing.assert_frame_equal(nasty_frame, before)
    assert out["sentiment"].notna().all()
    assert out["sentiment"].iloc[0] == out["sentiment"].iloc[1]  # retweet = original
    assert out["sentiment_label"].iloc[2] == "negative"  # "n'a jamais répondu ... décevant"


def test_parallel_path_matches_serial(monkeypatch):
    from listening.sentiment import scoring

    texts = [f"post {i} was {'good' if i % 3 else 'not good'} {'!' * (i % 4)}" for i in range(400)]
    serial = polarity(texts)
    monkeypatch.setattr(scoring, "PARALLEL_MIN_TEXTS", 10)
    monkeypatch.setattr(scoring, "BATCH_SIZE", 100)
    parallel = scoring.vader_features(texts, n_jobs=2)[:, 0]
    assert parallel.tolist() == serial.tolist()


def test_engine_is_safe_to_share_between_threads():
    from concurrent.futures import ThreadPoolExecutor

    from listening.sentiment.vader import VaderEngine

    batches = [[f"text {b}-{i} is {'very good' if i % 2 else 'not bad'} word{b}x{i}"
                for i in range(300)] for b in range(8)]
    expected = [VaderEngine("en").features(batch) for batch in batches]
    shared = VaderEngine("en")
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(shared.features, batches))
    for e, g in zip(expected, got):
        assert np.array_equal(e, g)
