"""Exceptions raised by ``listening``.

Every error a user can meet derives from :class:`ListeningError`, so a notebook
can catch the whole family in one ``except``. Messages name the file, line,
column or value at fault and say what to do next.
"""

from __future__ import annotations

__all__ = [
    "ListeningError",
    "MentionDataError",
    "ModelError",
    "NotFittedError",
    "OptionError",
    "RendererMissingError",
    "RuleFileError",
    "RuleSyntaxError",
    "SchemaError",
    "StoreConflictError",
    "StoreDamagedError",
    "StoreDiskFullError",
    "StoreError",
    "StoreLockedError",
    "UnsafePathError",
    "check_option",
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


class OptionError(ListeningError, ValueError):
    """An option has a value the function does not accept.

    ``name`` is the option (``"lang"``, ``"--period"``), ``value`` what was given
    and ``allowed`` what is accepted (a list of values, or a sentence such as
    ``"a duration like '24h' or '7D'"``). Also a :class:`ValueError`, so code
    written against plain Python conventions keeps working.
    """

    def __init__(self, message: str, *, name: str = "", value: object = None,
                 allowed: object = None) -> None:
        self.name = name
        self.value = value
        self.allowed = allowed
        super().__init__(message)


def _describe_allowed(allowed) -> str:
    if isinstance(allowed, str):
        return allowed
    shown = [repr(a) if isinstance(a, str) else str(a) for a in allowed]
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " or " + shown[-1]


def check_option(name: str, value: object, allowed, *, hint: str = "") -> object:
    """Return ``value`` when it is one of ``allowed``, else raise :class:`OptionError`.

    The one place where an option's value is checked against a fixed set, so
    every message has the same shape: the option, the value given and every
    accepted value. ``hint`` adds a sentence on what to do next.

    >>> check_option("lang", "en", ("en", "fr"))
    'en'
    >>> check_option("lang", "es", ("en", "fr"))
    Traceback (most recent call last):
    ...
    listening.errors.OptionError: lang='es' is not accepted; use 'en' or 'fr'
    """
    choices = tuple(allowed)
    try:
        ok = value in choices
    except TypeError:  # an unhashable value compared with a set or dict keys
        ok = False
    if ok:
        return value
    message = f"{name}={value!r} is not accepted; use {_describe_allowed(choices)}"
    if hint:
        message += f". {hint}"
    raise OptionError(message, name=name, value=value, allowed=choices)


class StoreError(ListeningError):
    """The mention store cannot be opened or written."""


class StoreLockedError(StoreError):
    """Another process holds the store open for writing."""


class StoreDamagedError(StoreError):
    """The store file (or its write-ahead log) cannot be read back whole.

    ``path`` is the store; ``backup`` the newest backup generation that reads
    back whole (None when there is none); ``lost`` the import ids the store
    recorded that restoring ``backup`` would lose (None when the damaged file's
    own audit log cannot be read). The message names the command to restore.
    """

    def __init__(self, message: str, *, path=None, backup=None, lost=None) -> None:
        self.path = path
        self.backup = backup
        self.lost = lost
        super().__init__(message)


class StoreDiskFullError(StoreError):
    """The disk holding the store has too little free space for a write or a backup.

    ``needed`` and ``available`` are in bytes; ``folder`` is where space is needed.
    """

    def __init__(self, message: str, *, needed: int | None = None,
                 available: int | None = None, folder=None) -> None:
        self.needed = needed
        self.available = available
        self.folder = folder
        super().__init__(message)


class StoreConflictError(StoreError):
    """Two writers in one process (two ``Store`` objects on one file) changed the same rows."""


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
