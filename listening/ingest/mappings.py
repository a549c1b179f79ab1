"""Declarative source mappings: which source field becomes which mention column.

A mapping is a small table (a dict, or a YAML file like those in
``listening/resources/mappings/``)::

    name: reddit
    platform: reddit                 # fixed platform (optional)
    detect:                          # how to recognise the source from its columns
      all: [created_utc, subreddit]  # every one present ...
      any: [body, selftext, title]   # ... and at least one of these
      any_of: [[a, b], [c, d]]       # ... and one of each group
    fields:                          # target column -> field spec
      mention_id: [name, id]         # a list: the first non-empty per row
      text: [body, {join: [title, selftext], sep: "\\n\\n"}]
      url: {column: permalink, prefix: "https://www.reddit.com"}   # prefix relative values
      author: {template: "{author.username}"}                      # build from columns
      likes: score
    unescape_html: false             # true: &amp; -> & in text (X API v2 escapes text)
    empty_values: ["[removed]"]      # texts that mean "no text": rejected like empty text
    order: 40                        # detection rank among the built-in mappings: most
                                     # specific first (lower first; generic is 1000)
    date_order: dmy                  # day/month order of 03/04/2026-style dates (or mdy)
    tz: UTC                          # the source's naive times are in this zone, whatever
                                     # load(tz=...) says (an API documented as UTC)
    ids: platform                    # platform (default): the id column holds ids that
                                     # are unique for the platform; file: ids mean
                                     # something only inside one file (row numbers)

Ids (``ids``): a tweet id, a Reddit fullname, a YouTube comment id or a vendor's
document id is the same mention in any file, so a second copy, from any file of
the load, is a duplicate. A source whose ids are only meaningful inside one file
(``ids: file``, the generic mapping: row numbers, a spreadsheet's own numbering)
gets ids made from the mention itself instead
(:func:`listening.schema.make_mention_ids`: platform, author, time and text), so
row 1 of two files is two mentions unless they are the same post. Two exceptions:
a ``mention_id`` column (a frame listening wrote) always keeps its ids, and ids
that are only the row numbers (1, 2, 3, ... in file order) are treated as
``file`` ids in any mapping.

Column names are matched ignoring case and surrounding spaces. Targets are the
mention columns of :mod:`listening.schema` except ``source`` (the loader sets
it); ``timestamp`` and ``text`` are required. Built-in mappings are tried from
the most specific to ``generic`` (their ``order``; a new source format is one
YAML file in that folder, no code); mappings registered with
:func:`register_mapping` are tried first, newest first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..errors import MentionDataError, check_option

__all__ = [
    "TARGETS",
    "Mapping",
    "builtin_mappings",
    "detect_mapping",
    "get_mapping",
    "parse_mapping",
    "register_mapping",
    "vocabulary",
]

TARGETS: tuple[str, ...] = ("mention_id", "timestamp", "platform", "author", "text", "url",
                            "language", "likes", "shares", "comments", "reach", "country")
REQUIRED_TARGETS: tuple[str, ...] = ("timestamp", "text")
ID_SCOPES: tuple[str, ...] = ("platform", "file")
_TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")
_STRING = pd.StringDtype("pyarrow")

_registry: dict[str, Mapping] = {}


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping table (see the module docstring for the format)."""

    name: str
    fields: dict
    platform: str | None = None
    detect_all: tuple[str, ...] = ()
    detect_any: tuple[str, ...] = ()
    detect_groups: tuple[tuple[str, ...], ...] = ()
    description: str = ""
    unescape_html: bool = False
    empty_values: tuple[str, ...] = ()
    date_order: str | None = None
    tz: str | None = None
    ids: str = "platform"

    def matches(self, columns) -> bool:
        """True if a table with these columns looks like this mapping's source."""
        have = {_key(c) for c in columns}
        if not self.detect_all and not self.detect_any and not self.detect_groups:
            return False
        if any(_key(c) not in have for c in self.detect_all):
            return False
        if self.detect_any and not any(_key(c) in have for c in self.detect_any):
            return False
        return all(any(_key(c) in have for c in group) for group in self.detect_groups)

    def candidates(self, target: str) -> list[str]:
        """Every source column named for ``target`` (for error messages)."""
        return _spec_columns(self.fields.get(target))


def _key(name) -> str:
    return str(name).strip().lower()


def _spec_columns(spec) -> list[str]:
    if spec is None:
        return []
    if isinstance(spec, str):
        return [spec]
    if isinstance(spec, list):
        return [c for item in spec for c in _spec_columns(item)]
    if isinstance(spec, dict):
        if "template" in spec:
            return _TEMPLATE_FIELD.findall(spec["template"])
        return _spec_columns(spec.get("join") or spec.get("column") or spec.get("columns"))
    return []


def _check_spec(spec, where: str) -> None:
    if isinstance(spec, str):
        return
    if isinstance(spec, list) and spec:
        for item in spec:
            _check_spec(item, where)
        return
    if isinstance(spec, dict):
        keys = set(spec)
        if keys <= {"join", "sep"} and "join" in keys:
            _check_spec(list(spec["join"]), where)
            return
        if keys <= {"column", "prefix"} and "column" in keys:
            return
        if keys == {"template"} and isinstance(spec["template"], str):
            return
        if keys == {"value"}:
            return
    raise MentionDataError(
        f"mapping field {where}: {spec!r} is not a field spec; use a column name, a list of "
        "names, {join: [...], sep: ' '}, {column: ..., prefix: ...}, {template: '...{col}...'} "
        "or {value: ...}")


def parse_mapping(table, *, name: str | None = None) -> Mapping:
    """Build a :class:`Mapping` from a dict, a YAML file path, or a Mapping."""
    if isinstance(table, Mapping):
        return table
    if isinstance(table, (str, Path)) and str(table).lower().endswith((".yml", ".yaml")):
        path = Path(table)
        try:
            table = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise MentionDataError(f"mapping file {path}: cannot be read ({exc})",
                                   path=str(path)) from None
        name = name or (table or {}).get("name") or path.stem
    if not isinstance(table, dict):
        raise MentionDataError(f"a mapping must be a dict or a YAML file path, got "
                               f"{type(table).__name__}")
    fields = table.get("fields")
    if fields is None:  # a bare {target: column} dict is accepted too
        fields = {k: v for k, v in table.items() if k in TARGETS}
    unknown = sorted(set(fields) - set(TARGETS))
    if unknown:
        raise MentionDataError(f"mapping {name or table.get('name')!r}: unknown target(s) "
                               f"{', '.join(unknown)}; targets are {', '.join(TARGETS)}")
    for target, spec in fields.items():
        _check_spec(spec, f"{target!r}")
    missing = [t for t in REQUIRED_TARGETS if t not in fields]
    if missing:
        raise MentionDataError(f"mapping {name or table.get('name')!r} must name a column for "
                               f"{' and '.join(missing)}")
    detect = table.get("detect") or {}
    mapping_name = name or table.get("name") or "custom"
    from .timestamps import DATE_ORDERS
    from .zones import check_tz

    date_order = table.get("date_order")
    if date_order is not None:
        check_option(f"mapping {mapping_name!r} date_order", date_order, DATE_ORDERS)
    zone = table.get("tz")
    if zone is not None:
        check_tz(f"mapping {mapping_name!r} tz", zone)
    ids = check_option(f"mapping {mapping_name!r} ids", table.get("ids", "platform"), ID_SCOPES)
    return Mapping(
        name=str(mapping_name), fields=dict(fields), platform=table.get("platform"),
        detect_all=tuple(detect.get("all", ())), detect_any=tuple(detect.get("any", ())),
        detect_groups=tuple(tuple(g) for g in detect.get("any_of", ())),
        description=str(table.get("description", "")).strip(),
        unescape_html=bool(table.get("unescape_html", False)),
        empty_values=tuple(str(v) for v in table.get("empty_values", ())),
        date_order=date_order, tz=zone, ids=ids)


def register_mapping(name: str, table) -> Mapping:
    """Register a mapping so :func:`listening.load` recognises its source.

    Parameters
    ----------
    name : str
        Name shown in the load report; ``load(..., mapping=name)`` selects it.
    table : dict or str or Path
        The mapping table, or a YAML file holding it. Give it a ``detect``
        section for automatic recognition; registered mappings are tried before
        the built-in ones, the newest first.

    >>> m = register_mapping("intranet", {"fields": {"timestamp": "Posted", "text": "Body"},
    ...                                   "detect": {"all": ["Posted", "Body"]}})
    >>> m.matches(["Posted", "Body", "Extra"])
    True
    """
    mapping = parse_mapping(table, name=name)
    _registry.pop(name, None)
    _registry[name] = mapping
    return mapping


@lru_cache(maxsize=1)
def builtin_mappings() -> dict[str, Mapping]:
    """The mappings shipped in ``listening/resources/mappings/``, by name, in detection order.

    Every ``*.yaml`` file there except ``_*`` (shared vocabularies) is a mapping;
    they are tried by their ``order`` key (most specific first), then by name, so
    the order never depends on how the file system lists the folder.
    """
    folder = resources.files("listening") / "resources" / "mappings"
    tables = []
    for entry in folder.iterdir():
        if not entry.name.endswith(".yaml") or entry.name.startswith("_"):
            continue
        table = yaml.safe_load(entry.read_text(encoding="utf-8"))
        order = table.get("order") if isinstance(table, dict) else None
        if not isinstance(order, int):
            raise MentionDataError(f"built-in mapping {entry.name}: needs an integer `order:` "
                                   "(its detection rank; most specific first, generic is 1000)")
        tables.append((order, entry.name[:-len(".yaml")], table))
    return {name: parse_mapping(table, name=name) for _, name, table in sorted(tables)}


@lru_cache(maxsize=1)
def vocabulary() -> dict:
    """Platform and language vocabularies (``_vocabulary.yaml``), keys lower-cased."""
    folder = resources.files("listening") / "resources" / "mappings"
    raw = yaml.safe_load((folder / "_vocabulary.yaml").read_text(encoding="utf-8"))
    return {
        "platforms": {_key(k): str(v) for k, v in raw["platforms"].items()},
        "languages": {_key(k): str(v) for k, v in raw["languages"].items()},
        "unknown_languages": {_key(v) for v in raw["unknown_languages"]},
    }


def get_mapping(mapping) -> Mapping:
    """Resolve ``load(mapping=...)``: a registered or built-in name, a dict, or a YAML path."""
    if isinstance(mapping, str) and not mapping.lower().endswith((".yml", ".yaml")):
        if mapping in _registry:
            return _registry[mapping]
        if mapping in builtin_mappings():
            return builtin_mappings()[mapping]
        known = list(_registry) + list(builtin_mappings())
        raise MentionDataError(f"no mapping named {mapping!r}; known mappings: "
                               f"{', '.join(known)} (or pass a dict / YAML file)")
    return parse_mapping(mapping)


def detect_mapping(columns, *, path=None) -> Mapping:
    """The first mapping (registered, then built-in) whose ``detect`` fits ``columns``."""
    for mapping in list(reversed(_registry.values())) + list(builtin_mappings().values()):
        if mapping.matches(columns):
            return mapping
    found = ", ".join(map(str, list(columns)[:60])) or "none"
    generic = builtin_mappings()["generic"]
    raise MentionDataError(
        f"{path}: cannot tell which columns hold the mention time and text. Looked for a "
        f"time column ({', '.join(generic.candidates('timestamp')[:8])}, ...) and a text "
        f"column ({', '.join(generic.candidates('text')[:6])}, ...). Columns found: {found}. "
        "Pass mapping={'timestamp': ..., 'text': ...} to name them.",
        path=None if path is None else str(path))


# --------------------------------------------------------------------------- applying

def _as_strings(series: pd.Series) -> pd.Series:
    """Source values as strings ("" for missing), vectorised for typed (Parquet) columns."""
    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype):
        return series.fillna("")
    try:
        if pd.api.types.is_bool_dtype(dtype):
            return series.map({True: "true", False: "false"}).astype(_STRING).fillna("")
        if pd.api.types.is_integer_dtype(dtype):
            return series.astype(_STRING).fillna("")
        if pd.api.types.is_float_dtype(dtype):
            values = series.astype("float64")
            whole = values.dropna()
            if ((whole % 1 == 0) & (whole.abs() < 1e16)).all():
                return values.astype("Int64").astype(_STRING).fillna("")
            return values.astype(_STRING).fillna("")
        if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
            import pyarrow as pa
            import pyarrow.compute as pc

            text = pc.cast(pa.array(series), pa.string())  # ISO with "Z" when tz-aware
            return pd.Series(text, index=series.index, dtype=_STRING).fillna("")
    except (TypeError, ValueError, ImportError):
        pass
    values = series.map(_scalar_text, na_action="ignore")
    return values.astype(_STRING).fillna("")


def _scalar_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if np.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, (list, dict)):
        import json

        return json.dumps(value, ensure_ascii=False)
    if hasattr(value, "isoformat") and not isinstance(value, str):
        return value.isoformat()
    return str(value)


class _Columns:
    """Case-insensitive access to a raw frame's columns, recording which were used."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.lookup: dict[str, str] = {}
        for c in frame.columns:
            self.lookup.setdefault(_key(c), c)
        self.used: set[str] = set()
        self.cache: dict[str, pd.Series] = {}

    def get(self, name: str) -> pd.Series | None:
        actual = self.lookup.get(_key(name))
        if actual is None:
            return None
        self.used.add(actual)
        if actual not in self.cache:
            self.cache[actual] = _as_strings(self.frame[actual])
        return self.cache[actual]

    def name(self, name: str) -> str | None:
        return self.lookup.get(_key(name))


def _resolve(spec, cols: _Columns) -> tuple[pd.Series | None, str | None]:
    """Evaluate a field spec: (values as strings with "" for missing, source column name)."""
    if isinstance(spec, str):
        return cols.get(spec), cols.name(spec)
    if isinstance(spec, list):
        result, label = None, None
        for item in spec:
            values, name = _resolve(item, cols)
            if values is None:
                continue
            if result is None:
                result, label = values, name
            else:
                result = result.where(result.str.strip() != "", values)
        return result, label
    if "join" in spec:
        parts = [p for p in (_resolve(c, cols) for c in spec["join"]) if p[0] is not None]
        if not parts:
            return None, None
        sep = spec.get("sep", " ")
        result = parts[0][0]
        for values, _ in parts[1:]:
            both = (result.str.strip() != "") & (values.str.strip() != "")
            result = (result + pd.Series(sep, index=result.index, dtype=_STRING).where(both, "")
                      + values)
        return result, " + ".join(name for _, name in parts)
    if "column" in spec:
        values, name = _resolve(spec["column"], cols)
        prefix = spec.get("prefix")
        if values is not None and prefix:
            relative = (values != "") & ~values.str.contains(r"^[a-zA-Z][a-zA-Z0-9+.-]*://",
                                                             regex=True)
            values = values.where(~relative, prefix + values)
        return values, name
    if "template" in spec:
        template = spec["template"]
        pieces = re.split(r"(\{[^{}]+\})", template)
        result, missing = None, None
        for piece in pieces:
            if piece.startswith("{") and piece.endswith("}"):
                values = cols.get(piece[1:-1])
                if values is None:
                    return None, None
                blank = values.str.strip() == ""
                missing = blank if missing is None else (missing | blank)
            else:
                values = piece
            result = values if result is None else result + values
        if isinstance(result, str):
            return None, None
        if missing is not None:
            result = result.where(~missing, "")
        return result, "template"
    if "value" in spec:
        return pd.Series(str(spec["value"]), index=cols.frame.index, dtype=_STRING), None
    return None, None


def apply_mapping(mapping: Mapping, frame: pd.DataFrame) -> tuple[dict, dict, list[str]]:
    """Evaluate every field of ``mapping`` over ``frame``.

    Returns ``(values, sources, ignored)``: target -> string Series ("" where the
    source has nothing), target -> source column name (for rejects), and the
    frame's columns no field used.
    """
    cols = _Columns(frame)
    values, sources = {}, {}
    for target, spec in mapping.fields.items():
        result, label = _resolve(spec, cols)
        if result is not None:
            values[target] = result
            sources[target] = label
    ignored = [c for c in frame.columns if c not in cols.used]
    return values, sources, ignored
