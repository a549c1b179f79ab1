"""listening.schema: the failure paths of validate, coerce and require_columns."""

import numpy as np
import pandas as pd
import pytest

import listening as ls
from listening.errors import SchemaError
from listening.schema import (
    MENTION_COLUMNS,
    coerce,
    empty_frame,
    make_mention_ids,
    require_columns,
    validate,
)


@pytest.fixture
def good():
    frame, _ = ls.demo.generate(n_mentions=40, days=1, seed=2)
    return frame


def test_good_frame_passes_unchanged(good):
    assert validate(good) is good
    assert validate(empty_frame()).empty


def test_not_a_frame():
    with pytest.raises(SchemaError, match="expected a pandas DataFrame, got list"):
        validate([{"text": "hello"}])


def test_every_failure_is_collected_lazily(good):
    bad = good.copy()
    bad.loc[bad.index[0], "text"] = "   "
    bad.loc[bad.index[1], "mention_id"] = bad.loc[bad.index[2], "mention_id"]
    bad["language"] = bad["language"].astype("string")
    bad.loc[bad.index[3], "language"] = "english"
    bad["likes"] = bad["likes"].astype("Int64")
    bad.loc[bad.index[4], "likes"] = -3
    bad = bad.drop(columns=["country"])
    with pytest.raises(SchemaError) as info:
        validate(bad)
    failures = info.value.failures
    assert list(failures.columns) == ["column", "check", "failure_case", "index"]
    found = set(zip(failures["column"], failures["check"]))
    assert {("country", "column present"), ("text", "not empty"), ("mention_id", "unique"),
            ("language", "ISO 639-1 code or 'und'"),
            ("likes", "not negative")} <= found
    # the message names the first problem and counts the rest
    assert "column 'country' fails check 'column present'" in str(info.value)
    assert "more problem(s) in .failures" in str(info.value)
    assert info.value.column == "country"
    # the failing rows are named by index
    row = failures[(failures["column"] == "likes")].iloc[0]
    assert row["index"] == bad.index[4] and row["failure_case"] == -3


def test_wrong_dtype_is_named(good):
    bad = good.assign(timestamp=good["timestamp"].astype(str))
    with pytest.raises(SchemaError, match=r"column 'timestamp' fails check 'dtype is") as info:
        validate(bad)
    assert info.value.column == "timestamp"


def test_sentiment_out_of_range_only_when_enriched(good):
    bad = good.assign(sentiment=np.linspace(-2, 2, len(good)))
    with pytest.raises(SchemaError, match="sentiment.*between -1 and 1"):
        validate(bad)
    assert validate(bad, enriched=False) is bad


def test_many_failures_are_summarised(good):
    bad = good.assign(text=pd.Series([""] * len(good), index=good.index, dtype="string"))
    with pytest.raises(SchemaError) as info:
        validate(bad)
    cases = info.value.failures["failure_case"].astype(str).tolist()
    assert cases.count("") == 20 and f"... and {len(good) - 20} more" in cases


def test_coerce_names_the_column_it_cannot_cast():
    frame = pd.DataFrame({"mention_id": ["a"], "timestamp": ["not a time"], "text": ["x"]})
    with pytest.raises(SchemaError, match="column 'timestamp' cannot be read as") as info:
        coerce(frame)
    assert info.value.column == "timestamp"
    frame = pd.DataFrame({"mention_id": ["a"], "timestamp": ["2026-11-01"], "text": ["x"],
                          "likes": ["many"]})
    with pytest.raises(SchemaError, match="column 'likes' cannot be read as Int64"):
        coerce(frame)


def test_coerce_keeps_input_and_extra_columns():
    frame = pd.DataFrame({"mention_id": ["a"], "timestamp": ["2026-11-01 10:00"],
                          "text": ["x"], "platform": ["X"], "mine": [1]})
    before = frame.copy()
    out = coerce(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert list(out.columns) == [*MENTION_COLUMNS, "mine"]
    assert out.loc[0, "platform"] == "x"
    assert pd.isna(out.loc[0, "language"])  # absent: left for detection, not guessed


def test_require_columns_lists_what_the_frame_has():
    with pytest.raises(SchemaError, match=r"trends\.volume needs column\(s\) 'timestamp'; "
                                          r"the frame has: text, author") as info:
        require_columns(pd.DataFrame(columns=["text", "author"]), ["timestamp", "text"],
                        stage="trends.volume")
    assert info.value.column == "timestamp"
    with pytest.raises(SchemaError, match="the frame has: none"):
        require_columns(pd.DataFrame(), ["text"], stage="x")


def test_mention_ids_are_stable_and_prefixed():
    args = [pd.Series(["x"]), pd.Series(["@a"]), pd.Series(pd.to_datetime(["2026-11-01"])),
            pd.Series(["hello"])]
    first, again = make_mention_ids(*args), make_mention_ids(*args)
    assert first.iloc[0] == again.iloc[0] and first.iloc[0].startswith("h:")
    other = make_mention_ids(*args[:3], pd.Series(["hello!"]))
    assert other.iloc[0] != first.iloc[0]


def test_missing_languages_are_a_failure_not_a_crash(good):
    bad = good.assign(language=pd.array([None] * len(good), dtype="string[pyarrow]"))
    with pytest.raises(SchemaError) as info:
        validate(bad)
    checks = info.value.failures["check"].tolist()
    assert checks.count("ISO 639-1 code or 'und'") == 21  # 20 shown and "... and n more"
