"""Bytes to text: a byte order mark's encoding, else UTF-8, else a confident guess, else
a clear error that says to set `dataset.encoding`."""

from __future__ import annotations

import codecs
from pathlib import Path

from fieldeval.errors import DataError

ENCODING_HINT = "save the file as UTF-8, or set `dataset.encoding` in the suite (e.g. cp1252)"

# A guess is kept only when its decoded text is clean and reads like a language; short
# files rarely qualify, and a wrong guess would silently garble every row.
_MAX_CHAOS = 0.1
_MIN_COHERENCE = 0.2
# A byte order mark names its encoding outright; UTF-32's are tried first, as UTF-32 LE's
# begins with UTF-16 LE's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_WIDE_BOMS = tuple(bom for bom, _ in _BOMS)


def decode(data: bytes, path: Path, *, encoding: str | None = None) -> str:
    """The text of a data file; `path` is only named in errors."""
    marked = next((name for bom, name in _BOMS if data.startswith(bom)), None)
    if encoding is not None:
        text = _decode_as(data, path, encoding)
    elif marked is not None:
        text = _decode_as(data, path, marked)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as utf8_error:
            text = _guess(data, path, utf8_error)
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise DataError(
            f"{path} is empty", hint="export the data again: fieldeval needs at least one row"
        )
    if "\x00" in text:
        offset = text.index("\x00")
        raise DataError(
            f"{path} looks like a binary file (a NUL character on line "
            f"{text.count(chr(10), 0, offset) + 1})",
            hint="fieldeval reads CSV, TSV, JSON Lines and JSON: export the data as one of those"
            " (a spreadsheet: Save as > CSV UTF-8)",
        )
    return text


def _decode_as(data: bytes, path: Path, encoding: str) -> str:
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        raise DataError(
            f"unknown encoding {encoding!r} for {path}",
            hint="use a Python codec name such as utf-8, cp1252, latin-1 or utf-16",
        ) from None
    name = "utf-8-sig" if codec.name == "utf-8" else codec.name
    try:
        return data.decode(name)
    except UnicodeDecodeError as error:
        raise _undecodable(data, path, error, name, detected=False) from None


def _guess(data: bytes, path: Path, utf8_error: UnicodeDecodeError) -> str:
    if b"\x00" in data and not data.startswith(_WIDE_BOMS):
        return data.decode("latin-1")  # decode() reports the NUL as a binary file
    from charset_normalizer import from_bytes  # only for a file that is not UTF-8

    best = from_bytes(data).best()
    if best is not None and best.chaos <= _MAX_CHAOS and best.coherence >= _MIN_COHERENCE:
        try:
            return data.decode(best.encoding)
        except (UnicodeDecodeError, LookupError):
            pass  # the guess was wrong after all: report the UTF-8 failure
    raise _undecodable(data, path, utf8_error, "UTF-8", detected=True)


def _undecodable(
    data: bytes, path: Path, error: UnicodeDecodeError, name: str, *, detected: bool
) -> DataError:
    line = data.count(b"\n", 0, error.start) + 1
    byte = data[error.start : error.start + 1].hex()
    tried = ", and no other encoding could be detected with confidence" if detected else ""
    return DataError(
        f"{path} is not valid {name}: byte 0x{byte} at offset {error.start} (line {line})"
        f" cannot be decoded{tried}",
        hint=ENCODING_HINT,
    )
