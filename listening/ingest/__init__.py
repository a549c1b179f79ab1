"""Loaders: read mention exports (CSV, XLSX, JSON, JSONL, Parquet) into the mention frame.

``load(path_or_paths, *, platform=None, tz="UTC", mapping=None, progress=None)``
returns ``(frame, LoadReport)``; ``register_mapping(name, table)`` teaches it a new
source. See :mod:`listening.ingest.load` for every decision the loader makes.
"""

from __future__ import annotations

from .accounting import FileLoad, LoadReport
from .load import load
from .mappings import Mapping, builtin_mappings, register_mapping

__all__ = ["FileLoad", "LoadReport", "Mapping", "builtin_mappings", "load", "register_mapping"]
