"""Loaders: read mention exports (CSV, XLSX, JSON, JSONL, Parquet) into the mention frame.

``load(path_or_paths, *, platform=None, tz="UTC", date_order=None, tz_names=None,
mapping=None, progress=None)`` returns ``(frame, LoadReport)``; ``report.notes`` lists
every value changed or replaced; ``register_mapping(name, table)`` teaches it a new
source. See :mod:`listening.ingest.load` for every decision the loader makes.
``load_to_parquet(path, folder, *, chunk_bytes=...)`` streams one CSV/JSONL file larger
than memory into Parquet parts (:mod:`listening.ingest.stream`).
"""

from __future__ import annotations

from .accounting import FileLoad, LoadReport
from .load import load
from .mappings import Mapping, builtin_mappings, register_mapping
from .stream import load_to_parquet

__all__ = ["FileLoad", "LoadReport", "Mapping", "builtin_mappings", "load", "load_to_parquet",
           "register_mapping"]
