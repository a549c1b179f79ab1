"""The response queue widget: ranked by ls.response_queue, filtered by kind, marks kept."""

from __future__ import annotations

import pandas as pd
import pytest

import listening as ls

pytest.importorskip("ipywidgets")


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return ls.demo.generate(n_mentions=3_000, days=10, seed=21)[0]


def test_shows_the_queue_in_rank_order_with_kind_and_reason(frame):
    from listening.widgets import ResponseQueue

    q = ResponseQueue(frame)
    expected = ls.response_queue(frame)
    assert q.queue["mention_id"].tolist() == expected["mention_id"].tolist()
    assert q.page_frame["mention_id"].tolist() == expected["mention_id"].head(15).tolist()
    html = q.table.value
    assert ">Kind<" in html and ">Why<" in html and ">Priority<" in html
    top = expected.iloc[0]
    assert ls.responses.kind_label(top["kind"]) in html
    assert f"<b>{len(expected):,}</b> posts to answer" in q.status.value


def test_filter_by_kind_and_french_labels(frame):
    from listening.widgets import ResponseQueue

    q = ResponseQueue(frame, lang="fr")
    assert ("fausse information à notre sujet", "misinformation") in q.category.options
    q.category.value = "misinformation"
    assert len(q.queue) > 0 and q.queue["categories"].str.contains("misinformation").all()
    assert ">Pourquoi<" in q.table.value and "fausse information à notre sujet" in q.table.value
    assert "publications à traiter" in q.status.value


def test_session_marks_leave_the_queue_and_come_back_with_who_and_note(frame):
    from listening.widgets import ResponseQueue

    q = ResponseQueue(frame)
    first = q.page_frame["mention_id"].iloc[0]
    q.pick.value = (first,)
    q.by.value, q.note.value = "amy", "replied with the hours"
    assert q.mark_handled() == 1
    assert first not in set(q.queue["mention_id"])
    assert "not saved" in q.status.value
    q.include_handled.value = True
    row = q.queue.set_index("mention_id").loc[first]
    assert row["handled"] and row["handled_by"] == "amy"
    assert "handled by amy on" in row["reason"] and "replied with the hours" in row["reason"]
    assert "handled by amy" in q.table.value and "✓" in q.table.value
    assert "Also shown: 1 handled" in q.status.value


def test_store_marks_persist_for_the_next_shift(frame, tmp_path):
    from listening.widgets import ResponseQueue

    path = tmp_path / "store.duckdb"
    with ls.open_store(path) as store:
        store.add(frame)
    q = ResponseQueue(frame, store=str(path))
    ids = q.page_frame["mention_id"].head(2).tolist()
    q.pick.value = tuple(ids)
    q.by.value, q.note.value = "bo", "referred to detachment"
    assert q.mark_handled() == 2
    nxt = ResponseQueue(frame, store=str(path))
    assert not nxt.queue["mention_id"].isin(ids).any()
    nxt.include_handled.value = True
    shown = nxt.queue.set_index("mention_id").loc[ids]
    assert (shown["handled_by"] == "bo").all()
    assert shown["reason"].str.contains("referred to detachment").all()


def test_nothing_selected_says_so(frame):
    from listening.widgets import ResponseQueue

    q = ResponseQueue(frame)
    assert q.mark_handled() == 0 and "Select posts" in q.status.value


def test_the_shared_language_switch_relabels_the_queue(frame):
    from listening.widgets import ResponseQueue
    from listening.widgets._common import language_switch

    q = ResponseQueue(frame)
    assert q.mark.description == "mark handled" and ">Why<" in q.table.value
    language_switch().value = "fr"
    assert q.mark.description == "marquer traité" and ">Pourquoi<" in q.table.value
    assert "publications à traiter" in q.status.value
    assert ResponseQueue(frame).lang == "fr"  # a new widget follows the switch too
