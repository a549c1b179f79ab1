"""Institutional accounts: one list for "who speaks as an institution".

The organisation's own accounts, other government bodies, partners and news
outlets (``listening/resources/accounts.yaml``) are read here once and used twice:
pseudonymisation keeps them readable, and the response queue never queues them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from .errors import OptionError
from .handles import handle_key

__all__ = ["GROUPS", "institutional_accounts"]

# The groups of accounts.yaml, in the order they are documented.
GROUPS = ("own", "official", "partners", "news")


@lru_cache(maxsize=1)
def _packaged() -> dict:
    text = resources.files("listening").joinpath("resources/accounts.yaml").read_text("utf-8")
    return yaml.safe_load(text) or {}


def institutional_accounts(accounts: str | os.PathLike | Mapping | None = None
                           ) -> dict[str, frozenset[str]]:
    """Normalised handles (:func:`~listening.handles.handle_key`) by group.

    ``accounts`` is a YAML file shaped like ``listening/resources/accounts.yaml``,
    a mapping of group -> handles, or None for the packaged file.

    >>> sorted(institutional_accounts({"own": ["@OPP_News"], "news": ["CBCToronto"]}).items())
    [('news', frozenset({'cbctoronto'})), ('own', frozenset({'opp_news'}))]
    """
    if accounts is None:
        data = _packaged()
    elif isinstance(accounts, Mapping):
        data = accounts
    else:
        try:
            data = yaml.safe_load(Path(accounts).read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise OptionError(f"accounts={str(accounts)!r} cannot be read ({exc.strerror}): "
                              "pass a YAML file like listening/resources/accounts.yaml, or a "
                              "dict of group -> handles", name="accounts", value=accounts) from None
    if not isinstance(data, Mapping):
        raise OptionError(f"accounts must map groups ({', '.join(GROUPS)}) to lists of handles, "
                          f"got {type(data).__name__}", name="accounts", value=data)
    return {str(group): frozenset(handle_key(h) for h in (handles or []))
            for group, handles in data.items()}
