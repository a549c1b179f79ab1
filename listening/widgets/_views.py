"""Named explorer views: filters and period saved in the store, reopened by name.

A view is a small JSON document (the filter values, the period, granularity, zone and
the compare toggle) kept in the store's ``views`` worklog table
(:data:`listening.store.tables.VIEWS`); saving a name again keeps the older version in
the table and reopens the newest. Without a store the views live in the session only.
"""

from __future__ import annotations

import json

import pandas as pd

from ..errors import OptionError
from ..store.sql import now
from ..store.tables import VIEWS
from ..store.worklog import append, latest
from ._common import StoreRef

__all__ = ["ViewBook"]

# What a view holds; anything else in a stored document is ignored on reading.
VIEW_KEYS = ("period", "since", "until", "platform", "language", "sentiment", "topic", "rule",
             "freq", "tz", "compare", "share_of")


def _check_name(name: str) -> str:
    name = str(name or "").strip()
    if not name or len(name) > 80:
        raise OptionError("a view needs a name of 1 to 80 characters, e.g. 'scams last 7 days'",
                          name="view name", value=name)
    return name


class ViewBook:
    """Save and read named views in a store (a ``Store``, a path) or in memory (``None``)."""

    def __init__(self, store) -> None:
        self.ref = StoreRef(store)
        self._memory: dict[str, dict] = {}

    def save(self, name: str, spec: dict, *, by: str = "") -> str:
        name = _check_name(name)
        spec = {k: spec[k] for k in VIEW_KEYS if k in spec}
        text = json.dumps(spec, sort_keys=True, ensure_ascii=False)
        if not self.ref.persistent:
            self._memory[name] = json.loads(text)
            return name
        rows = pd.DataFrame({"name": pd.array([name], dtype="string"),
                             "spec": pd.array([text], dtype="string"),
                             "by": pd.array([str(by)], dtype="string"), "at": [now()]})
        self.ref.call("_write", "save an explorer view",
                      lambda con: append(con, VIEWS, rows))
        return name

    def _stored(self) -> pd.DataFrame:
        def read(store):
            return latest(store, VIEWS, key="name", order="at", columns=("name", "spec", "at"))

        if hasattr(self.ref.store, "_read"):
            return read(self.ref.store)
        from ..store import open_store

        with open_store(self.ref.store) as store:
            return read(store)

    def names(self) -> list[str]:
        """Saved view names, sorted."""
        if not self.ref.persistent:
            return sorted(self._memory)
        return sorted(self._stored()["name"].astype(str))

    def load(self, name: str) -> dict:
        """The newest view saved under ``name``."""
        if not self.ref.persistent:
            found = self._memory.get(name)
        else:
            views = self._stored()
            match = views[views["name"].astype(str) == name]
            found = None if match.empty else json.loads(str(match["spec"].iloc[-1]))
        if found is None:
            raise OptionError(f"no saved view named {name!r}; saved views: "
                              f"{', '.join(self.names()) or 'none yet'}", name="view",
                              value=name)
        return {k: found[k] for k in VIEW_KEYS if k in found}
