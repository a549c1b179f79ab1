"""Put the VADER lexicons where nltk's loader accepts them, and load them by name.

nltk data cannot be downloaded here, and nltk 3.10 refuses absolute paths outside
its data folders ("Unsafe resource path"). The lexicons come from pip packages
instead: ``vaderSentiment`` (English lexicon and emoji descriptions) and
``vaderSentiment-fr`` (French lexicon and French emoji descriptions). At first use
they are copied from the installed packages into a cache folder, that folder is
appended to ``nltk.data.path``, and the files are read back with
``nltk.data.load("sentiment/...")`` like any nltk resource. Nothing touches the
network.

The cache folder is ``$LISTENING_NLTK_DATA`` if set, else
``$XDG_CACHE_HOME/listening/nltk_data`` (``~/.cache/listening/nltk_data``), else a
folder in the system temporary directory when the home cache is not writable.
Copies are written atomically (temporary file + rename), so parallel workers that
start together never read a half-written lexicon.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from functools import lru_cache
from pathlib import Path

from ..errors import ModelError

__all__ = ["LEXICON_RESOURCES", "load_text_resource", "nltk_data_dir", "package_file"]

# resource name under nltk_data -> (pip distribution's import name, file in it)
LEXICON_RESOURCES: dict[str, tuple[str, str]] = {
    "sentiment/listening_vader_en/vader_lexicon.txt": ("vaderSentiment", "vader_lexicon.txt"),
    "sentiment/listening_vader_en/emoji_utf8_lexicon.txt": ("vaderSentiment", "emoji_utf8_lexicon.txt"),
    "sentiment/listening_vader_fr/fr_lexicon.txt": ("vaderSentiment_fr", "fr_lexicon.txt"),
    "sentiment/listening_vader_fr/emojis_fr.txt": ("vaderSentiment_fr", "emojis_fr.txt"),
    "sentiment/listening_vader_fr/no_negate.txt": ("vaderSentiment_fr", "no_negate.txt"),
}
_PIP_NAMES = {"vaderSentiment": "vaderSentiment", "vaderSentiment_fr": "vaderSentiment-fr",
              "afinn": "afinn", "textblob": "textblob", "textblob_fr": "textblob-fr"}


def _candidate_dirs() -> list[Path]:
    env = os.environ.get("LISTENING_NLTK_DATA")
    if env:
        return [Path(env)]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return [base / "listening" / "nltk_data",
            Path(tempfile.gettempdir()) / f"listening-nltk-data-{os.getuid() if hasattr(os, 'getuid') else 0}"]


def _package_dir(import_name: str) -> Path:
    # find_spec locates the installed package without importing it (importing
    # vaderSentiment_fr pulls in fuzzywuzzy, which warns).
    spec = importlib.util.find_spec(import_name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"the {_PIP_NAMES.get(import_name, import_name)!r} package is not installed, so its "
            f"sentiment lexicon is missing; install it with "
            f"`pip install {_PIP_NAMES.get(import_name, import_name)}`")
    return Path(next(iter(spec.submodule_search_locations)))


def package_file(import_name: str, filename: str) -> str:
    """The UTF-8 text of a data file shipped inside an installed pip package.

    For the lexicons that only the trained models use (AFINN, Pattern): they are
    read in place, since nltk's loader is not involved.
    """
    path = _package_dir(import_name) / filename
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelError(f"cannot read {filename!r} from the installed "
                         f"{_PIP_NAMES.get(import_name, import_name)!r} package ({exc}); "
                         f"reinstall it with `pip install --force-reinstall "
                         f"{_PIP_NAMES.get(import_name, import_name)}`") from exc


def _copy_if_changed(src: Path, dest: Path) -> None:
    data = src.read_bytes()
    if dest.exists() and dest.read_bytes() == data:
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-", suffix=dest.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@lru_cache(maxsize=1)
def nltk_data_dir() -> Path:
    """Copy the lexicons into a cache folder on ``nltk.data.path``; return the folder.

    Idempotent and cheap after the first call in a process.
    """
    import nltk.data

    errors = []
    for folder in _candidate_dirs():
        try:
            for resource, (package, filename) in LEXICON_RESOURCES.items():
                _copy_if_changed(_package_dir(package) / filename, folder / resource)
        except OSError as exc:  # not writable: try the next candidate
            errors.append(f"{folder}: {exc}")
            continue
        if str(folder) not in nltk.data.path:
            nltk.data.path.append(str(folder))
        return folder
    raise ModelError("cannot write the sentiment lexicons to any cache folder ("
                     + "; ".join(errors) + "); set LISTENING_NLTK_DATA to a writable folder")


def load_text_resource(resource: str) -> str:
    """The text of one of :data:`LEXICON_RESOURCES`, read through ``nltk.data.load``."""
    import nltk.data

    if resource not in LEXICON_RESOURCES:
        raise ModelError(f"unknown lexicon resource {resource!r}; "
                         f"known: {', '.join(sorted(LEXICON_RESOURCES))}")
    nltk_data_dir()
    return nltk.data.load(resource, format="text", cache=False, encoding="utf-8")
