"""Response queue: the posts to answer, most urgent first, with mark-as-handled.

The queue is :func:`listening.response_queue` (who is left out, what is queued and in
what order are documented there); this widget pages through it, filters it by kind,
and lets the analyst tick posts and mark them handled with their name and a note.
Marks go to the store (``Store.mark_handled``), so the next shift does not answer the
same post twice; "show handled" brings them back, saying who handled each, when and
with what note.
"""

from __future__ import annotations

import pandas as pd

from ..report import posts_table_html
from ..responses import KINDS, kind_label, response_queue
from ._common import StoreRef, escape, follow_language, language_switch, local_tz

__all__ = ["ResponseQueue"]

PAGE_SIZE = 15
QUEUE_COLUMNS = ("priority", "kind_label", "reason", "timestamp", "platform", "author", "text",
                 "reach", "url")
_WORDS = {
    "en": {"kind": "kind", "all": "all kinds", "show_handled": "show handled", "by": "by",
           "note": "note", "mark": "mark handled", "previous": "previous", "next": "next",
           "select": "select", "your_name": "your name", "note_hint": "replied / referred to …",
           "priority": "Priority", "kind_label": "Kind", "reason": "Why",
           "pick_first": "Select posts to mark first.",
           "status": "<b>{n}</b> posts to answer (page {page} of {pages}).",
           "marked": " Marked {n} handled — {where}.",
           "handled_shown": " Also shown: {n} handled (✓)."},
    "fr": {"kind": "type", "all": "tous les types", "show_handled": "voir les traités",
           "by": "par", "note": "note", "mark": "marquer traité", "previous": "précédent",
           "next": "suivant", "select": "choisir", "your_name": "votre nom",
           "note_hint": "répondu / transmis à …", "priority": "Priorité", "kind_label": "Type",
           "reason": "Pourquoi", "pick_first": "Choisissez d'abord des publications.",
           "status": "<b>{n}</b> publications à traiter (page {page} sur {pages}).",
           "marked": " {n} marquée(s) traitée(s) — {where}.",
           "handled_shown": " Aussi affichées : {n} déjà traitées (✓)."},
}


class ResponseQueue:
    """Ranked posts needing a reply, with mark-as-handled.

    Parameters
    ----------
    frame : DataFrame
        Mentions, see :func:`listening.response_queue`.
    store : Store, path or None
        Where handled marks are saved and read (``mark_handled`` / ``handled``);
        None keeps them for this session only.
    now : Timestamp, optional
        Passed to ``response_queue`` (default: the newest post).
    lang : {"en", "fr"}, optional
        Language of the labels and of the reasons; sets the EN/FR switch shared by
        every widget (default: that switch's current language).
    tz : str, optional
        Zone of the times shown (default :func:`listening.widgets._common.local_tz`).
    """

    def __init__(self, frame: pd.DataFrame, *, store=None, now=None,
                 page_size: int = PAGE_SIZE, lang: str | None = None,
                 tz: str | None = None) -> None:
        import ipywidgets as w

        self.frame = frame
        self.now = now
        self.tz = tz or local_tz()
        self.lang = language_switch().value if lang is None else lang
        self.words = _WORDS[self.lang]
        self.store = StoreRef(store)
        self._handled_here: list[dict] = []
        self.page_size = page_size
        self.page = 0
        words = self.words
        self.category = w.Dropdown(
            options=[(words["all"], "all"), *((kind_label(k, self.lang), k) for k in KINDS)],
            description=words["kind"])
        self.include_handled = w.Checkbox(value=False, description=words["show_handled"])
        self.pick = w.SelectMultiple(options=[], rows=page_size, description=words["select"],
                                     layout=w.Layout(width="100%"))
        self.by = w.Text(description=words["by"], placeholder=words["your_name"])
        self.note = w.Text(description=words["note"], placeholder=words["note_hint"])
        self.mark = w.Button(description=words["mark"], icon="check", button_style="success")
        self.prev_page = w.Button(description=words["previous"], icon="arrow-left")
        self.next_page = w.Button(description=words["next"], icon="arrow-right")
        self.status = w.HTML()
        self.table = w.HTML()
        for control in (self.category, self.include_handled):
            control.observe(lambda _: self._reset_page(), names="value")
        self.mark.on_click(lambda _: self.mark_handled())
        self.prev_page.on_click(lambda _: self._turn(-1))
        self.next_page.on_click(lambda _: self._turn(+1))
        self.widget = w.VBox([
            w.HBox([language_switch(), self.category, self.include_handled]), self.status,
            self.table,
            w.HBox([self.prev_page, self.next_page]), self.pick,
            w.HBox([self.by, self.note, self.mark])])
        self.widget.add_class("listening-response-queue")
        follow_language(lang, self._on_language)
        self.refresh()

    def _on_language(self, lang: str) -> None:
        """Relabel every control and redraw in ``lang`` (the shared EN/FR switch)."""
        self.lang, self.words = lang, _WORDS[lang]
        words = self.words
        category = self.category.value
        self.category.options = [(words["all"], "all"),
                                 *((kind_label(k, lang), k) for k in KINDS)]
        self.category.value = category
        for control, key in ((self.category, "kind"), (self.include_handled, "show_handled"),
                             (self.pick, "select"), (self.by, "by"), (self.note, "note"),
                             (self.mark, "mark"), (self.prev_page, "previous"),
                             (self.next_page, "next")):
            control.description = words[key]
        self.by.placeholder, self.note.placeholder = words["your_name"], words["note_hint"]
        self.refresh()

    # ----------------------------------------------------------------- data
    def handled_marks(self) -> pd.DataFrame:
        """``mention_id, by, note, at`` of handled posts (the store's, or this session's)."""
        if self.store.persistent:
            return self.store.call("handled")
        return pd.DataFrame(self._handled_here, columns=["mention_id", "by", "note", "at"])

    def handled_ids(self) -> set[str]:
        """Ids marked handled."""
        return set(self.handled_marks()["mention_id"].astype(str))

    @property
    def queue(self) -> pd.DataFrame:
        """The queued posts the current filters show, highest priority first."""
        out = response_queue(self.frame, now=self.now, handled=self.handled_marks(),
                             include_handled=self.include_handled.value, lang=self.lang)
        if self.category.value != "all":
            out = out[out["categories"].str.contains(self.category.value, regex=False)]
        return out

    # -------------------------------------------------------------- actions
    def mark_handled(self, mention_ids=None) -> int:
        """Mark ``mention_ids`` (default: the selected posts) handled; returns how many."""
        ids = [str(i) for i in (self.pick.value if mention_ids is None else mention_ids)]
        if not ids:
            self.status.value = f"<em>{escape(self.words['pick_first'])}</em>"
            return 0
        by, note = self.by.value.strip(), self.note.value.strip()
        if self.store.persistent:
            self.store.call("mark_handled", ids, by=by, note=note)
        else:
            at = pd.Timestamp.now(tz="UTC")   # when the analyst clicked: a record, not a result
            self._handled_here += [{"mention_id": i, "by": by, "note": note, "at": at}
                                   for i in ids]
        self.refresh()
        self.status.value += escape(self.words["marked"].format(
            n=len(ids), where=self.store.describe()))
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
        labels = [kind_label(k, self.lang) for k in shown["kind"]]
        # the Kind column already names the kind: "Why" shows the rest of the reason
        why = [("✓ " if done else "") + r.removeprefix(label).removeprefix(" · ")
               for r, label, done in zip(shown["reason"].astype(str), labels, shown["handled"])]
        table = shown.assign(priority=shown["priority"].round(2), kind_label=labels, reason=why)
        headers = {c: self.words[c] for c in ("priority", "kind_label", "reason")}
        self.table.value = ("<p><em>—</em></p>" if shown.empty else posts_table_html(
            table, QUEUE_COLUMNS, lang=self.lang, tz=self.tz, max_rows=len(table),
            headers=headers))
        self.pick.options = [
            (f"{r.priority:.2f} · {kind_label(r.kind, self.lang)} · {str(r.text)[:90]}",
             str(r.mention_id)) for r in shown.itertuples(index=False)]
        done = int(queue["handled"].sum())
        self.status.value = self.words["status"].format(n=f"{len(queue) - done:,}",
                                                        page=self.page + 1, pages=pages)
        if done:
            self.status.value += escape(self.words["handled_shown"].format(n=f"{done:,}"))
        self.prev_page.disabled = self.page == 0
        self.next_page.disabled = self.page + 1 >= pages

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
