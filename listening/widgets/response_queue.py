"""Response queue: posts that may need a reply, most urgent first, with mark-as-handled.

The ranking is :func:`listening.responses.response_candidates` (reach × negativity ×
urgency, with a plain-language ``reason``); this widget pages through it, lets the
analyst tick posts and mark them handled. Handled marks go to the store
(``store.mark_handled``), so the next shift does not answer the same post twice.
"""

from __future__ import annotations

import pandas as pd

from ..responses import CATEGORIES, response_candidates
from ._common import StoreRef, escape, posts_html

__all__ = ["ResponseQueue"]

PAGE_SIZE = 15
QUEUE_COLUMNS = ("priority", "response_category", "reason", "timestamp", "platform", "author",
                 "text", "reach", "url")


class ResponseQueue:
    """Ranked posts needing a reply.

    Parameters
    ----------
    frame : DataFrame
        Mentions (sentiment columns used when present), see ``response_candidates``.
    store : Store, path or None
        Where handled marks are saved and read (``mark_handled`` / ``handled``).
    now : Timestamp, optional
        Passed to ``response_candidates`` (default: the newest post).
    """

    def __init__(self, frame: pd.DataFrame, *, store=None, now=None,
                 page_size: int = PAGE_SIZE) -> None:
        import ipywidgets as w

        self.store = StoreRef(store)
        self.candidates = response_candidates(frame, now=now)
        self._handled_here: set[str] = set()
        self.page_size = page_size
        self.page = 0
        self.category = w.Dropdown(options=["all", *CATEGORIES], description="kind")
        self.include_handled = w.Checkbox(value=False, description="show handled")
        self.pick = w.SelectMultiple(options=[], rows=page_size, description="select",
                                     layout=w.Layout(width="100%"))
        self.by = w.Text(description="by", placeholder="your name")
        self.note = w.Text(description="note", placeholder="replied / referred to …")
        self.mark = w.Button(description="mark handled", icon="check", button_style="success")
        self.prev_page = w.Button(description="previous", icon="arrow-left")
        self.next_page = w.Button(description="next", icon="arrow-right")
        self.status = w.HTML()
        self.table = w.HTML()
        for control in (self.category, self.include_handled):
            control.observe(lambda _: self._reset_page(), names="value")
        self.mark.on_click(lambda _: self.mark_handled())
        self.prev_page.on_click(lambda _: self._turn(-1))
        self.next_page.on_click(lambda _: self._turn(+1))
        self.widget = w.VBox([
            w.HBox([self.category, self.include_handled]), self.status, self.table,
            w.HBox([self.prev_page, self.next_page]), self.pick,
            w.HBox([self.by, self.note, self.mark])])
        self.widget.add_class("listening-response-queue")
        self.refresh()

    # ----------------------------------------------------------------- data
    def handled_ids(self) -> set[str]:
        """Ids marked handled (in the store, or in this session when there is none)."""
        if self.store.persistent:
            return set(self.store.call("handled")["mention_id"].astype(str))
        return set(self._handled_here)

    @property
    def queue(self) -> pd.DataFrame:
        """The candidates the current filters show, highest priority first."""
        out = self.candidates
        if self.category.value != "all":
            out = out[out["categories"].str.contains(self.category.value, regex=False)]
        if not self.include_handled.value:
            out = out[~out["mention_id"].astype(str).isin(self.handled_ids())]
        return out

    # -------------------------------------------------------------- actions
    def mark_handled(self, mention_ids=None) -> int:
        """Mark ``mention_ids`` (default: the selected posts) handled; returns how many."""
        ids = [str(i) for i in (self.pick.value if mention_ids is None else mention_ids)]
        if not ids:
            self.status.value = "<em>Select posts to mark first.</em>"
            return 0
        if self.store.persistent:
            self.store.call("mark_handled", ids, by=self.by.value.strip(),
                            note=self.note.value.strip())
        self._handled_here.update(ids)
        self.refresh()
        self.status.value += f" Marked {len(ids)} handled — {escape(self.store.describe())}."
        return len(ids)

    def _reset_page(self) -> None:
        self.page = 0
        self.refresh()

    def _turn(self, step: int) -> None:
        pages = max(1, -(-len(self.queue) // self.page_size))
        self.page = min(max(self.page + step, 0), pages - 1)
        self.refresh()

    # -------------------------------------------------------------- drawing
    def refresh(self) -> None:
        queue = self.queue
        pages = max(1, -(-len(queue) // self.page_size))
        self.page = min(self.page, pages - 1)
        lo = self.page * self.page_size
        shown = queue.iloc[lo:lo + self.page_size]
        self.page_frame = shown
        columns = [c for c in QUEUE_COLUMNS if c in shown.columns]
        table = shown.loc[:, columns].assign(priority=shown["priority"].round(2))
        self.table.value = posts_html(table, columns)
        self.pick.options = [
            (f"{r.priority:.2f} · {r.response_category} · {str(r.text)[:90]}", str(r.mention_id))
            for r in shown.itertuples(index=False)]
        self.status.value = (f"<b>{len(queue):,}</b> posts may need a reply "
                             f"(page {self.page + 1} of {pages}).")
        self.prev_page.disabled = self.page == 0
        self.next_page.disabled = self.page + 1 >= pages

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
