"""Finding export files that are new or changed: by content (SHA-256), not by name or time.

A watched path is a folder (searched recursively), a file or a glob. A file is
new when its SHA-256 is in neither the watcher's ``watch_files`` table nor the
store's audit log (so a file loaded earlier with ``listening ingest`` is not
loaded again); a file changed in place has a new hash and is read again (the
store keeps each mention once). Files still being written - modified less than
``settle`` seconds ago - wait for the next pass.
"""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import os
import time
from collections.abc import Iterable
from pathlib import Path

from ..ingest.load import FOLDER_EXTENSIONS

DEFAULT_SETTLE = 5.0  # seconds a file must stay unmodified before it is read


@dataclasses.dataclass(frozen=True)
class Found:
    path: Path
    sha256: str
    size: int


def _wanted(path: Path) -> bool:
    name = path.name
    return (path.is_file() and path.suffix.lower() in FOLDER_EXTENSIONS
            and not name.startswith((".", "~$")))


def candidates(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Export files under ``paths`` (folders, files, globs), sorted, each once.

    A folder or pattern that matches nothing yet is fine: exports arrive later.
    """
    out: list[Path] = []
    for item in paths:
        text = os.fspath(item)
        path = Path(text).expanduser()
        if path.is_dir():
            out += sorted(p for p in path.rglob("*") if _wanted(p))
        elif path.is_file():
            out.append(path)
        elif glob.has_magic(text):
            out += sorted(Path(p) for p in glob.glob(os.path.expanduser(text), recursive=True)
                          if _wanted(Path(p)))
    return list(dict.fromkeys(p.resolve() for p in out))


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def new_files(paths: Iterable[str | os.PathLike], seen: set[str], *,
              settle: float = DEFAULT_SETTLE, clock=time.time) -> list[Found]:
    """Files under ``paths`` whose content was never seen, oldest name first.

    Two files with the same content are one file (the first by path).
    """
    found, hashes = [], set(seen)
    for path in candidates(paths):
        try:
            stat = path.stat()
            if clock() - stat.st_mtime < settle:
                continue  # still being written, perhaps: next pass
            digest = sha256(path)
        except OSError:
            continue  # moved or deleted meanwhile
        if digest in hashes:
            continue
        hashes.add(digest)
        found.append(Found(path, digest, stat.st_size))
    return found
