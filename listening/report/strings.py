"""The words of the brief, its charts and its alert titles, in English or French.

Every word the brief writes comes from ``listening/resources/templates/strings.yaml``
(one block per language, the same keys in each; nested tables such as
``platforms`` and ``languages`` name the values of the data). French typography
(no-break spaces before ``: ; ! ?`` and ``%``) is applied here.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml

from .actions import french_typography
from .formatting import check_lang

__all__ = ["strings"]


@lru_cache(maxsize=1)
def _table() -> dict:
    text = resources.files("listening").joinpath("resources/templates/strings.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def _typeset(value, lang: str):
    if isinstance(value, dict):
        return {k: _typeset(v, lang) for k, v in value.items()}
    return french_typography(value) if lang == "fr" and isinstance(value, str) else value


@lru_cache(maxsize=4)
def _strings(lang: str) -> dict:
    return _typeset(_table()[check_lang(lang)], lang)


def strings(lang: str) -> dict:
    """The brief's words in ``lang`` (a copy: callers may not change the shared table)."""
    return dict(_strings(lang))
