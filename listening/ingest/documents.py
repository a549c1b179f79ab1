"""JSON and JSON Lines: records, API pages and threads, rejects and not-a-mention stubs.

Recognised wrappers (:func:`explode`), each turned into one record per mention:

* X/Twitter API v2 pages as ``twarc2 search``/``timeline`` write them (``data`` is
  a list) and the lines of ``twarc2 stream``/``filter``/``sample`` (``data`` is one
  tweet, with ``matching_rules``): authors and places from ``includes`` are joined
  in, as ``twarc2 flatten`` does; ``includes.tweets`` (referenced tweets) are
  context, not matches, and are not loaded.
* YouTube ``commentThreadListResponse``/``commentListResponse``: top-level
  comments and their replies.
* Reddit API listings, including a whole thread (``/comments/<id>.json``: a post
  listing and a comment tree): replies are walked to any depth. ``kind ==
  "more"`` stubs ("load more comments", "continue this thread") are not
  mentions: they are counted in the report's ``not_mentions`` and noted with
  how many comments they stand for ("more comments exist, not in this file").
* CrowdTangle API responses (``{"status": 200, "result": {"posts": [...]}}``).
* a generic ``{"data": [...]}`` wrapper. Anything else is one record.

Integers beyond 2**53 (tweet ids in X API v1.1 and snscrape output) are kept as
text so they keep every digit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import MentionDataError
from .encodings import Decoding, decode
from .readers import (
    RawTable,
    cap,
    dump_json,
    fallback_file_notes,
    fallback_notes,
    note_row,
    reject_row,
)

__all__ = ["MAX_FLATTEN_DEPTH", "explode", "read_json", "read_jsonl"]

# JSON nesting kept as columns; deeper values are kept as JSON text.
MAX_FLATTEN_DEPTH = 8
# Reddit nests replies this deep at most (its API stops at depth 10 and writes a
# "continue this thread" stub); the walk stops far beyond, against crafted files.
_MAX_THREAD_DEPTH = 500
# Integers wider than a float64 mantissa lose digits in a pandas column: keep them as text.
_EXACT_INT = 2 ** 53


def _flatten(record: dict, depth: int = 0, prefix: str = "", out: dict | None = None) -> dict:
    out = {} if out is None else out
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and depth < MAX_FLATTEN_DEPTH:
            _flatten(value, depth + 1, name + ".", out)
        elif isinstance(value, (dict, list)):
            out[name] = value if depth < MAX_FLATTEN_DEPTH else dump_json(value)
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > _EXACT_INT:
            out[name] = str(value)
        else:
            out[name] = value
    return out


def _is_counts_page(obj: dict) -> bool:
    data = obj.get("data")
    return (isinstance(data, list) and bool(data) and isinstance(data[0], dict)
            and "tweet_count" in data[0] and "start" in data[0] and "text" not in data[0])


def _tweets(tweets: list, obj: dict) -> list[dict]:
    """X API v2 tweets with their author and place from the page's ``includes``."""
    includes = obj.get("includes") or {}
    users = {u.get("id"): u for u in includes.get("users", []) if isinstance(u, dict)}
    places = {p.get("id"): p for p in includes.get("places", []) if isinstance(p, dict)}
    out = []
    for tweet in tweets:
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


def _reddit(listing: dict, stubs: list[dict], depth: int = 0) -> list[dict]:
    """Every post and comment of a Reddit listing, replies walked depth first.

    Records come in the order a reader meets them on the page (a comment, then its
    replies); ``kind == "more"`` children are appended to ``stubs``.
    """
    out = []
    data = listing.get("data") if isinstance(listing.get("data"), dict) else {}
    for child in data.get("children") or []:
        if not isinstance(child, dict) or not isinstance(child.get("data"), dict):
            continue
        if child.get("kind") == "more":
            stubs.append(child["data"])
            continue
        record = {k: v for k, v in child["data"].items() if k != "replies"}
        out.append(record)
        replies = child["data"].get("replies")
        if isinstance(replies, dict) and depth < _MAX_THREAD_DEPTH:
            out += _reddit(replies, stubs, depth + 1)
    return out


def explode(obj, path: Path, stubs: list[dict] | None = None) -> list[dict] | None:
    """The mention records inside one JSON document, or None if it is not an object.

    Records that are not mentions (Reddit "more" stubs) go to ``stubs`` (see the
    module docstring for the shapes recognised).
    """
    stubs = [] if stubs is None else stubs
    if isinstance(obj, list):
        out = []
        for item in obj:
            found = explode(item, path, stubs)
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
    twarc = "includes" in obj or "meta" in obj or "__twarc" in obj or "matching_rules" in obj
    if isinstance(data, list) and twarc:
        return _tweets(data, obj)
    if isinstance(data, dict) and twarc and "kind" not in obj:  # a twarc2 stream line
        return _tweets([data], obj)
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
    if kind == "Listing" and isinstance(data, dict):
        return _reddit(obj, stubs)
    result = obj.get("result")
    if isinstance(result, dict) and isinstance(result.get("posts"), list) and "status" in obj:
        return [p for p in result["posts"] if isinstance(p, dict)]  # CrowdTangle API
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


def stub_note(label: str, line: int, record: int, stub: dict) -> dict:
    """The ``report.notes`` row of a Reddit "more" stub: not a mention, and what it hides."""
    count = stub.get("count") if isinstance(stub.get("count"), int) else 0
    children = stub.get("children") if isinstance(stub.get("children"), list) else []
    parent = stub.get("parent_id") or "?"
    if count or children:
        hidden = max(count, len(children))
        action = (f"not a mention: a 'load more comments' stub under {parent}; {hidden} "
                  "comment(s) exist on Reddit, not in this file (fetch them with the API's "
                  "/api/morechildren)")
    else:
        action = (f"not a mention: a 'continue this thread' stub under {parent}; 0 comment(s) "
                  "counted here, deeper replies exist on Reddit, not in this file")
    return note_row(label, line, "kind", "more", action, record)


def read_jsonl(path: Path, data: bytes, *, label: str, text: str | None = None,
               decoding: Decoding | None = None) -> RawTable:
    """One JSON document per line; each line may hold one record or a page of them.

    A line that is not valid JSON is one reject; when it is the last line and is
    cut short (a stream stopped while writing), the reason says so.
    """
    fell: list[tuple[int, str]] = []
    if text is None:
        text, encoding, fell = decode(data, path, decoding=decoding)
    else:
        encoding = "utf-8"
    if not text.strip():
        raise MentionDataError(f"{path}: the file holds only whitespace, no records",
                               path=str(path))
    records, lines, numbers, raws, rejects, changes = [], [], [], [], [], []
    read = not_mentions = 0
    physical = text.split("\n")
    last = max((k for k, line in enumerate(physical, start=1) if line.strip()), default=0)
    cut_off_end = text.rstrip(" \t\r\x00")  # a finished last line ends with a newline
    for number, line in enumerate(physical, start=1):
        stripped = line.strip().replace("\x00", "")
        if not stripped:
            continue
        try:
            obj = json.loads(stripped)
        except json.JSONDecodeError as exc:
            read += 1
            reason = f"Line is not valid JSON: {exc.msg} (column {exc.colno})"
            if number == last and not cut_off_end.endswith("\n"):
                reason = (f"Line is cut short, the file's last and unfinished line ({exc.msg}, "
                          f"column {exc.colno}): the program writing it (e.g. a twarc2 "
                          "stream) was stopped in the middle of a record")
            rejects.append(reject_row(label, number, None, reason, line))
            continue
        except RecursionError:
            read += 1
            rejects.append(reject_row(label, number, None,
                                      "Line holds JSON nested too deeply to read", line))
            continue
        stubs: list[dict] = []
        found = explode(obj, path, stubs)
        if found is None:
            read += 1
            rejects.append(reject_row(label, number, None,
                                      f"Line holds a JSON {_JSON_TYPES.get(type(obj), 'value')}, "
                                      "not an object with fields", line))
            continue
        read += len(found)
        not_mentions += len(stubs)
        single = len(found) == 1 and found[0] is obj
        for k, record in enumerate(found, start=1):
            records.append(record)
            lines.append(number)
            numbers.append(k)
            raws.append(line if single else None)
        changes += [stub_note(label, number, len(found) + k, stub)
                    for k, stub in enumerate(stubs, start=1)]
    frame = _records_frame(records)

    def raw(positions: Sequence[int]) -> list[str]:
        return [cap(raws[p] if raws[p] is not None else dump_json(records[p])) for p in positions]

    return RawTable(frame, np.asarray(lines, dtype=np.int64), raw, "jsonl", read, rejects,
                    encoding=encoding, records=np.asarray(numbers, dtype=np.int64),
                    changes=fallback_notes(label, fell, None) + changes,
                    not_mentions=not_mentions, notes=fallback_file_notes(fell))


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


def read_json(path: Path, data: bytes, *, label: str, decoding: Decoding | None = None
              ) -> RawTable:
    """A JSON document (array, API page or response); NDJSON saved as .json also works.

    Each record's ``line`` is the physical line where it starts for a top-level
    array of records, else its number inside the document (noted); ``record``
    numbers it inside the document either way (so a one-line array's rejects are
    told apart).
    """
    text, encoding, fell = decode(data, path, decoding=decoding)
    text = text.replace("\x00", "")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            table = read_jsonl(path, data, label=label, text=text)
            table.encoding = encoding
            table.changes = fallback_notes(label, fell, None) + table.changes
            table.notes += [*fallback_file_notes(fell),
                            "the file holds one JSON document per line; read as JSONL"]
            return table
        raise MentionDataError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno} "
                               f"column {exc.colno}", path=str(path)) from None
    except RecursionError:
        raise MentionDataError(f"{path}: the JSON is nested too deeply to read",
                               path=str(path)) from None
    stubs: list[dict] = []
    records = explode(obj, path, stubs)
    if records is None:
        raise MentionDataError(f"{path}: the JSON holds a {type(obj).__name__}, not records "
                               "(objects with fields)", path=str(path))
    frame = _records_frame(records)
    numbers = np.arange(1, len(records) + 1, dtype=np.int64)
    lines = _array_lines(text, obj, len(records))
    if lines is None:
        lines = numbers.copy()
        note = ["line numbers are record numbers (1 = first record in the document)"]
    else:
        note = []
    changes = fallback_notes(label, fell, None) + [
        stub_note(label, len(records) + k, len(records) + k, stub)
        for k, stub in enumerate(stubs, start=1)]
    return RawTable(frame, lines, lambda positions: [cap(dump_json(records[p])) for p in positions],
                    "json", len(records), encoding=encoding,
                    notes=note + fallback_file_notes(fell), records=numbers,
                    changes=changes, not_mentions=len(stubs))
