"""JSON and JSON Lines: records, API pages (X/Twitter v2, YouTube, Reddit) and rejects."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import MentionDataError
from .readers import RawTable, cap, decode, dump_json, reject_row

__all__ = ["MAX_FLATTEN_DEPTH", "explode", "read_json", "read_jsonl"]

# JSON nesting kept as columns; deeper values are kept as JSON text.
MAX_FLATTEN_DEPTH = 8


def _flatten(record: dict, depth: int = 0, prefix: str = "", out: dict | None = None) -> dict:
    out = {} if out is None else out
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and depth < MAX_FLATTEN_DEPTH:
            _flatten(value, depth + 1, name + ".", out)
        elif isinstance(value, (dict, list)):
            out[name] = value if depth < MAX_FLATTEN_DEPTH else dump_json(value)
        else:
            out[name] = value
    return out


def _is_counts_page(obj: dict) -> bool:
    data = obj.get("data")
    return (isinstance(data, list) and bool(data) and isinstance(data[0], dict)
            and "tweet_count" in data[0] and "start" in data[0] and "text" not in data[0])


def explode(obj, path: Path) -> list[dict] | None:
    """The mention records inside one JSON document, or None if it is not an object.

    Recognised wrappers: an X/Twitter API v2 page (``data`` + ``includes``; each
    tweet gets its author from ``includes.users`` and place from
    ``includes.places`` inline, as ``twarc2 flatten`` does; ``includes.tweets``,
    the referenced tweets, are context rather than matches and are not loaded);
    a YouTube ``commentThreadListResponse`` or ``commentListResponse`` (top-level
    comments and their replies each become a record); a Reddit API ``Listing``;
    a generic ``{"data": [...]}`` wrapper. Anything else is one record.
    """
    if isinstance(obj, list):
        out = []
        for item in obj:
            found = explode(item, path)
            if found is None:  # an array of non-objects holds no records we can read
                return None
            out.extend(found)
        return out
    if not isinstance(obj, dict):
        return None
    if _is_counts_page(obj):
        raise MentionDataError(
            f"{path}: this is an X/Twitter API *counts* response (tweet_count per time "
            "bucket), not mentions; it has no text to load. Use it as a volume series "
            "instead (e.g. pandas.json_normalize(page['data']))", path=str(path))
    data = obj.get("data")
    if isinstance(data, list) and ("includes" in obj or "meta" in obj or "__twarc" in obj):
        includes = obj.get("includes") or {}
        users = {u.get("id"): u for u in includes.get("users", []) if isinstance(u, dict)}
        places = {p.get("id"): p for p in includes.get("places", []) if isinstance(p, dict)}
        out = []
        for tweet in data:
            if not isinstance(tweet, dict):
                continue
            record = dict(tweet)
            if record.get("author_id") in users and not isinstance(record.get("author"), dict):
                record["author"] = users[record["author_id"]]
            geo = record.get("geo")
            if isinstance(geo, dict) and geo.get("place_id") in places:
                record["geo"] = {**geo, **places[geo["place_id"]]}
            out.append(record)
        return out
    kind = obj.get("kind")
    if isinstance(kind, str) and kind.startswith("youtube#"):
        items = obj.get("items") if "items" in obj else [obj]
        out = []
        for item in items or []:
            if not isinstance(item, dict):
                continue
            if item.get("kind") == "youtube#commentThread":
                snippet = item.get("snippet") or {}
                top = snippet.get("topLevelComment")
                if isinstance(top, dict):
                    out.append({**top, "totalReplyCount": snippet.get("totalReplyCount")})
                replies = (item.get("replies") or {}).get("comments") or []
                out.extend(r for r in replies if isinstance(r, dict))
            else:
                out.append(item)
        return out
    if kind == "Listing" and isinstance(obj.get("data"), dict):
        children = obj["data"].get("children") or []
        return [c.get("data") for c in children if isinstance(c, dict)
                and isinstance(c.get("data"), dict)]
    if isinstance(data, list) and all(isinstance(d, dict) for d in data) and len(obj) <= 3:
        return list(data)
    return [obj]


_JSON_TYPES = {str: "string", list: "array", int: "number", float: "number", bool: "boolean",
               type(None): "null"}


def _records_frame(records: list[dict]) -> pd.DataFrame:
    flat = [_flatten(r) for r in records]
    frame = pd.DataFrame.from_records(flat) if flat else pd.DataFrame()
    frame.columns = [str(c) for c in frame.columns]
    return frame


def read_jsonl(path: Path, data: bytes, *, label: str, text: str | None = None) -> RawTable:
    """One JSON document per line; each line may hold one record or a page of them."""
    if text is None:
        text, encoding = decode(data, path)
    else:
        encoding = "utf-8"
    if not text.strip():
        raise MentionDataError(f"{path}: the file holds only whitespace, no records",
                               path=str(path))
    records, lines, raws, rejects = [], [], [], []
    read = 0
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip().replace("\x00", "")
        if not stripped:
            continue
        try:
            obj = json.loads(stripped)
        except json.JSONDecodeError as exc:
            read += 1
            rejects.append(reject_row(label, number, None,
                                   f"Line is not valid JSON: {exc.msg} at column {exc.colno}", line))
            continue
        except RecursionError:
            read += 1
            rejects.append(reject_row(label, number, None,
                                   "Line holds JSON nested too deeply to read", line))
            continue
        found = explode(obj, path)
        if found is None:
            read += 1
            rejects.append(reject_row(label, number, None,
                                   f"Line holds a JSON {_JSON_TYPES.get(type(obj), 'value')}, "
                                   "not an object with fields", line))
            continue
        read += len(found)
        single = len(found) == 1 and found[0] is obj
        for record in found:
            records.append(record)
            lines.append(number)
            raws.append(line if single else None)
    frame = _records_frame(records)

    def raw(positions: Sequence[int]) -> list[str]:
        return [cap(raws[p] if raws[p] is not None else dump_json(records[p])) for p in positions]

    return RawTable(frame, np.asarray(lines, dtype=np.int64), raw, "jsonl", read, rejects,
                    encoding=encoding)


def _array_lines(text: str, obj, count: int) -> np.ndarray | None:
    """Physical start line of each element of a top-level array of objects, else None."""
    if not (isinstance(obj, list) and len(obj) == count and all(isinstance(o, dict) for o in obj)):
        return None
    decoder = json.JSONDecoder()
    starts, pos = [], text.index("[") + 1
    try:
        for _ in range(count):
            while text[pos] in " \t\r\n,":
                pos += 1
            starts.append(pos)
            _, pos = decoder.raw_decode(text, pos)
    except (ValueError, IndexError):
        return None
    newlines = np.flatnonzero(np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32) == 10)
    return np.searchsorted(newlines, np.asarray(starts)).astype(np.int64) + 1


def read_json(path: Path, data: bytes, *, label: str) -> RawTable:
    """A JSON document (array, API page or response); NDJSON saved as .json also works."""
    text, encoding = decode(data, path)
    text = text.replace("\x00", "")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            table = read_jsonl(path, data, label=label, text=text)
            table.notes.append("the file holds one JSON document per line; read as JSONL")
            return table
        raise MentionDataError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno} "
                               f"column {exc.colno}", path=str(path)) from None
    except RecursionError:
        raise MentionDataError(f"{path}: the JSON is nested too deeply to read",
                               path=str(path)) from None
    records = explode(obj, path)
    if records is None:
        raise MentionDataError(f"{path}: the JSON holds a {type(obj).__name__}, not records "
                               "(objects with fields)", path=str(path))
    frame = _records_frame(records)
    lines = _array_lines(text, obj, len(records))
    if lines is None:
        lines = np.arange(1, len(records) + 1, dtype=np.int64)
        note = ["line numbers are record numbers (1 = first record in the document)"]
    else:
        note = []
    return RawTable(frame, lines, lambda positions: [cap(dump_json(records[p])) for p in positions],
                    "json", len(records), encoding=encoding, notes=note)
