"""ls.enrich: one per-partition function behind both the pandas and the Dask engine."""

import pandas as pd
import pytest

import listening as ls
from listening.pipeline import enrich_partition


@pytest.fixture(scope="module")
def small():
    frame, _ = ls.demo.generate(n_mentions=3_000, days=7, seed=11)
    return frame


@pytest.fixture(scope="module")
def rules():
    return [ls.Rule.parse('scam OR fraude OR "fake officer"', name="scam"),
            ls.Rule.parse("401 AND (closed OR closure OR fermée)", name="road_closure")]


@pytest.fixture(scope="module")
def model(small):
    return ls.fit_topics(small, n_topics=6, seed=0)


def test_enrich_adds_every_enrichment_and_keeps_input(small, rules, model):
    before = small.copy(deep=True)
    out = ls.enrich(small, topics=model, rules=rules)
    pd.testing.assert_frame_equal(small, before)
    assert {"sentiment", "sentiment_label", "topic", "topic_label", "rule_scam",
            "rule_road_closure"} <= set(out.columns)
    assert len(out) == len(small) and out.index.equals(small.index)
    ls.validate(out)
    scam = out["text"].str.contains(r"\bscam\b", case=False, regex=True)
    assert out.loc[scam, "rule_scam"].all()


def test_chunks_give_the_same_result_as_one_pass(small, rules, model):
    whole = ls.enrich(small, topics=model, rules=rules, chunk_size=len(small))
    chunked = ls.enrich(small, topics=model, rules=rules, chunk_size=700)
    pd.testing.assert_frame_equal(whole, chunked)


def test_missing_language_is_detected(small):
    frame = small.head(50).drop(columns="language")
    out = enrich_partition(frame, sentiment=None)
    assert out["language"].isin(["en", "fr", "und"]).mean() > 0.9


def test_missing_text_column_is_named(small):
    with pytest.raises(ls.errors.SchemaError, match="'text'"):
        ls.enrich(small.drop(columns="text"), topics=None, rules=[])


def test_dask_equals_pandas_row_for_row(tmp_path, small, rules, model):
    distributed = pytest.importorskip("distributed")
    source = tmp_path / "in"
    source.mkdir()
    for i, lo in enumerate(range(0, len(small), 1_000)):
        small.iloc[lo:lo + 1_000].to_parquet(source / f"part-{i}.parquet", index=False)
    expected = ls.enrich(small, topics=model, rules=rules)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        out = ls.enrich(str(source / "*.parquet"), engine="dask", client=client,
                        output=tmp_path / "out", topics=model, rules=rules)
    got = pd.read_parquet(out).sort_values("mention_id").reset_index(drop=True)
    expected = expected.sort_values("mention_id").reset_index(drop=True)
    assert len(got) == len(expected)
    for column in expected.columns:
        a, b = expected[column], got[column]
        if isinstance(a.dtype, pd.CategoricalDtype) or isinstance(b.dtype, pd.CategoricalDtype):
            a, b = a.astype("string"), b.astype("string")
        if column == "timestamp":
            b = pd.to_datetime(b, utc=True)
        pd.testing.assert_series_equal(a, b, check_dtype=False, check_names=False,
                                       obj=f"column {column}")
