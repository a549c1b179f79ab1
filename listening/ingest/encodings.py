"""Bytes -> text: byte-order marks, UTF-8 with a per-line fallback, legacy encodings.

A file that is valid UTF-8 except for some lines is UTF-8 (:class:`DecodingScan`
says when): the lines that are not are decoded as :data:`FALLBACK_ENCODING` and
listed, so the loader can note each one. A file whose non-ASCII lines are mostly
not UTF-8 is in a legacy encoding, chosen once for the whole file. The choice is
a :class:`Decoding`, made from the whole file, so the whole-file loader and the
streaming one decode every line alike.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import MentionDataError

__all__ = ["FALLBACK_ENCODING", "FALLBACK_ERRORS", "Decoding", "DecodingScan", "choose_decoding",
           "decode",
           "is_utf8", "refuse_binary", "unicode_signature", "utf8_bytes"]

# Share of control characters above which "text" is binary garbage.
_BINARY_SHARE = 0.05


_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32-le"),
         (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe", "utf-16-le"),
         (b"\xfe\xff", "utf-16-be"))


def unicode_signature(data: bytes) -> tuple[str | None, int]:
    """``(encoding, bom_length)`` from a byte-order mark or BOM-less UTF-16's NUL pattern."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, len(bom)
    sample = data[:4096]
    even, odd = sample[0::2], sample[1::2]
    if len(sample) >= 4:
        if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.1 * len(even):
            return "utf-16-le", 0
        if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.1 * len(odd):
            return "utf-16-be", 0
    return None, 0


def is_utf8(data: bytes) -> bool:
    """True if ``data`` is valid UTF-8 (checked by Arrow, without building a str)."""
    import pyarrow as pa

    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64).tobytes())
    array = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        array.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


# The fallback for the few lines of a UTF-8 file that are not UTF-8: Windows-1252, the
# encoding such stray lines come from (a row pasted from an old spreadsheet); its five
# undefined bytes (0x81 0x8D 0x8F 0x90 0x9D) are read as Latin-1 so no line can fail.
FALLBACK_ENCODING = "cp1252"
FALLBACK_ERRORS = "listening-latin1"
codecs.register_error(FALLBACK_ERRORS,
                      lambda exc: (exc.object[exc.start:exc.end].decode("latin-1"), exc.end))
# Bytes of the non-UTF-8 lines used to choose a legacy encoding for a whole file.
_LEGACY_SAMPLE = 1 << 20


@dataclass(frozen=True)
class Decoding:
    """How a file's bytes become text.

    ``encoding`` is the file's encoding. For ``"utf-8"``, ``fallback`` (when set)
    is the encoding of the lines that are not valid UTF-8; each such line is
    noted. :func:`choose_decoding` decides it from the whole file, so the
    whole-file loader and the streaming one decode every line alike.
    """

    encoding: str
    fallback: str | None = None


class DecodingScan:
    """Counts lines, over one or several blocks of a file, to choose its :class:`Decoding`.

    A file that is valid UTF-8 except for some lines is UTF-8 when at least as
    many lines hold valid non-ASCII UTF-8 as lines that are not UTF-8 (a few stray
    bytes in a UTF-8 export); the others are decoded with
    :data:`FALLBACK_ENCODING`. Otherwise the file is in a legacy encoding, chosen
    from its non-UTF-8 lines (:func:`_legacy_encoding`). Blocks must end at a
    newline.
    """

    def __init__(self) -> None:
        self.utf8_lines = 0
        self.bad_lines = 0
        self.sample = bytearray()

    def update(self, block: bytes) -> None:
        if is_utf8(block):
            self.utf8_lines += _non_ascii_lines(block)
            return
        for line in block.split(b"\n"):
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
                self.utf8_lines += 1
            except UnicodeDecodeError:
                self.bad_lines += 1
                if len(self.sample) < _LEGACY_SAMPLE:
                    self.sample += line + b"\n"

    def result(self) -> Decoding:
        if self.bad_lines == 0:
            return Decoding("utf-8")
        if self.utf8_lines >= self.bad_lines:
            return Decoding("utf-8", FALLBACK_ENCODING)
        return Decoding(_legacy_encoding(bytes(self.sample)))


def _non_ascii_lines(block: bytes) -> int:
    """Number of lines of ``block`` holding a byte >= 0x80 (counted with numpy)."""
    data = np.frombuffer(block, dtype=np.uint8)
    high = np.flatnonzero(data >= 0x80)
    if not len(high):
        return 0
    newlines = np.flatnonzero(data == 10)
    return len(np.unique(np.searchsorted(newlines, high)))


def choose_decoding(data: bytes) -> Decoding:
    """The :class:`Decoding` of a file's bytes (after any byte-order mark)."""
    scan = DecodingScan()
    scan.update(data)
    return scan.result()


def decode(data: bytes, path: Path, *, decoding: Decoding | None = None
           ) -> tuple[str, str, list[tuple[int, str]]]:
    """Decode ``data``: BOMs, BOM-less UTF-16, UTF-8 (with a per-line fallback), legacy.

    Returns ``(text, encoding, fallback_lines)``: ``fallback_lines`` lists
    ``(line, text)`` for each physical line decoded with the fallback encoding.
    ``decoding`` imposes a choice made for the whole file (the streaming loader
    passes it for each chunk). Raises :class:`MentionDataError` for binary data.
    """
    encoding, skip = unicode_signature(data)
    data = data[skip:]
    fallback_lines: list[tuple[int, str]] = []
    if encoding is not None and encoding != "utf-8-sig":
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise MentionDataError(
                f"{path}: starts like {encoding} but byte {exc.start} cannot be decoded as "
                f"{encoding}; re-save the file as UTF-8", path=str(path)) from None
    else:
        label = encoding or "utf-8"
        try:
            if decoding is not None and decoding.encoding != "utf-8":
                raise UnicodeDecodeError("utf-8", b"", 0, 1, "the file's decoding is imposed")
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            decoding = decoding or choose_decoding(data)
            if decoding.encoding == "utf-8":
                text, fallback_lines = _decode_lines(data, decoding.fallback or FALLBACK_ENCODING)
            else:
                text, label = data.decode(decoding.encoding, errors=FALLBACK_ERRORS), \
                    decoding.encoding
        encoding = label
    refuse_binary(text, path)
    return text, encoding, fallback_lines


def _decode_lines(data: bytes, fallback: str) -> tuple[str, list[tuple[int, str]]]:
    """UTF-8 line by line; the lines that are not UTF-8 in ``fallback`` (and listed)."""
    out, fell = [], []
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            out.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            text = line.decode(fallback, errors=FALLBACK_ERRORS)
            out.append(text)
            fell.append((number, text.rstrip("\r")))
    return "\n".join(out), fell


def utf8_bytes(data: bytes, path: Path, *, decoding: Decoding | None = None
               ) -> tuple[bytes, str, list[tuple[int, str]]]:
    """The file's content as UTF-8 bytes (BOM removed), its encoding and fallback lines.

    UTF-8 input, the usual case, is validated and returned without decoding it.
    """
    encoding, skip = unicode_signature(data)
    utf8 = decoding is None or decoding.encoding == "utf-8"
    if encoding in (None, "utf-8-sig") and utf8 and is_utf8(data[skip:]):
        body = data[skip:]
        refuse_binary(body[:65536].decode("utf-8", errors="ignore"), path)
        return body, encoding or "utf-8", []
    text, encoding, fell = decode(data, path, decoding=decoding)
    return text.encode("utf-8"), encoding, fell


# Non-ASCII characters typical of English/French (and other Western) text in
# Windows-1252: accented Latin letters are checked by range, these by list.
_WESTERN_PUNCTUATION = set("’‘“”–—…€«»°±·©®™§ºª\xa0•×÷¿¡")
# Share of non-ASCII characters that must look Western to accept Windows-1252.
_WESTERN_SHARE = 0.9


def _looks_western(text: str) -> bool:
    odd = [ch for ch in text if ord(ch) > 127]
    if not odd:
        return True
    good = sum(1 for ch in odd if (ch.isalpha() and ord(ch) < 0x250) or ch in _WESTERN_PUNCTUATION)
    return good >= _WESTERN_SHARE * len(odd)


def _legacy_encoding(sample: bytes) -> str:
    """Not UTF-8: Windows-1252 when ``sample`` (the file's non-UTF-8 lines) reads as
    Western text (the usual case for English/French exports), else charset-normalizer's
    guess, else Latin-1."""
    try:
        if _looks_western(sample.decode("cp1252")):
            return "cp1252"
    except UnicodeDecodeError:
        pass
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(sample).best()
        if best is not None:
            return best.encoding
    except (LookupError, ImportError):
        pass
    return "latin-1"


def refuse_binary(text: str, path: Path) -> None:
    sample = text[:65536]
    if not sample:
        return
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\n\r\x0c")
    if controls > _BINARY_SHARE * len(sample):
        raise MentionDataError(
            f"{path}: looks like binary data, not text ({controls} control characters in "
            f"the first {len(sample)}); export the mentions as CSV, XLSX or JSON",
            path=str(path))
