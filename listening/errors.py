"""Exceptions raised by ``listening``.

Every error a user can meet derives from :class:`ListeningError`, so a notebook
can catch the whole family in one ``except``. Messages name the file, line,
column or value at fault and say what to do next.
"""

from __future__ import annotations

__all__ = [
    "ListeningError",
    "MentionDataError",
    "SchemaError",
    "RuleSyntaxError",
    "StoreLockedError",
    "StoreError",
    "ModelError",
    "NotFittedError",
    "RendererMissingError",
    "UnsafePathError",
    "RuleFileError",
]


class ListeningError(Exception):
    """Base class of every error raised by ``listening``."""


class MentionDataError(ListeningError):
    """A file or frame of mentions cannot be used at all (not a row-level reject)."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        super().__init__(message)


class SchemaError(ListeningError):
    """A frame does not follow the mention schema.

    ``column`` names the offending column; ``failures`` is a DataFrame of every
    problem found (column, check, failure_case, index) when validation was lazy.
    """

    def __init__(self, message: str, *, column: str | None = None, failures=None) -> None:
        self.column = column
        self.failures = failures
        super().__init__(message)


class RuleSyntaxError(ListeningError):
    """A monitoring rule could not be parsed.

    ``position`` is the 0-based character offset, ``column`` the 1-based column,
    ``expected`` what the parser wanted there. ``str(error)`` shows the query
    with a caret under the fault.
    """

    def __init__(self, message: str, *, query: str = "", position: int = 0,
                 expected: str = "") -> None:
        self.query = query
        self.position = position
        self.column = position + 1
        self.expected = expected
        self.message = message
        caret = ""
        if query:
            # Show the query on one line so the caret lines up under the fault.
            shown = query.replace("\n", " ").replace("\t", " ")
            caret = f"\n  {shown}\n  {' ' * position}^"
        super().__init__(f"{message}{caret}")


class StoreError(ListeningError):
    """The mention store cannot be opened or written."""


class StoreLockedError(StoreError):
    """Another process holds the store open for writing."""


class ModelError(ListeningError):
    """A model file is missing, unsafe or of the wrong kind."""


class NotFittedError(ListeningError, ValueError):
    """A learned object was used before ``fit``."""


class RendererMissingError(ListeningError):
    """An optional renderer (headless Chromium, vl-convert) is not installed."""


class UnsafePathError(ListeningError):
    """A path would write outside the folder the user chose."""


class RuleFileError(RuleSyntaxError):
    """A rule file in the rule library is invalid.

    ``path`` names the file and ``field`` the YAML field at fault (``query``,
    ``severity``, ...). A bad query keeps the query, position and caret of the
    underlying :class:`RuleSyntaxError`.
    """

    def __init__(self, message: str, *, path: str = "", field: str = "", query: str = "",
                 position: int = 0, expected: str = "") -> None:
        self.path = path
        self.field = field
        super().__init__(message, query=query, position=position, expected=expected)
